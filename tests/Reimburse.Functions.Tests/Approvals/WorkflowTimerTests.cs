using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Microsoft.DurableTask.Client;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>Durable timers on a fast workflow clock (7200×: a working hour passes in half a second), and the demo claim.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkflowTimerTests(AzuriteFixture azurite)
{
    private const double Fast = 7200;

    private ReimburseApp NewApp(double speed = Fast) => new(azurite, WorkflowTestKit.AppSettings(speed), WorkflowTestKit.UseRecordingChannel);

    private static async Task<List<TableEntity>> SentAsync(ReimburseApp app, string id, CancellationToken ct) =>
        (await RecordingNotificationChannel.ReadAllAsync(app.Storage.Tables, app.Prefix, ct)).Where(n => n.PartitionKey == id).ToList();

    private static string? Step(TableEntity n) => JsonDocument.Parse(n.GetString("Data")!).RootElement.TryGetProperty("step", out var s) ? s.GetString() : null;

    [Fact]
    public async Task DemoClaim_HK6200ClientEntertainment_NeedsWongThenHoThenBothFinanceOfficers()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp(speed: 1);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 6200m, "client-entertainment", ct);

        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        var route = workflow.GetProperty("route").EnumerateArray().Select(s => s.GetProperty("slots").EnumerateArray()
            .SelectMany(sl => sl.GetProperty("approvers").EnumerateArray().Select(a => a.GetString()!)).ToArray()).ToList();
        Assert.Equal([["mgr-wong"], ["head-ho"], ["fin-lam", "fin-cheung"]], route);
        foreach (var (user, step) in new[] { ("mgr-wong", 0), ("head-ho", 1), ("fin-lam", 2), ("fin-cheung", 2) })
        {
            var response = await WorkflowTestKit.DecideAsync(await app.ClientForAsync(user, ct), id, "approve", null, 1, step, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{user}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
        var done = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "approved", ct);
        Assert.Equal(["mgr-wong", "head-ho", "fin-lam", "fin-cheung"],
            done.GetProperty("history").EnumerateArray().Where(h => h.GetProperty("action").GetString() == "step.approved").Select(h => h.GetProperty("actor").GetString()));
    }

    [Fact]
    public async Task DemoClaim_LeftAlone_IsRemindedThenEscalatedToTheManager()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 6200m, "client-entertainment", ct);

        // Reminder after 4 working hours (2 s here), escalation after one working day (4.5 s).
        var escalated = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.GetProperty("currentStep").ValueKind == JsonValueKind.Object
            && w.GetProperty("currentStep").GetProperty("escalationLevel").GetInt32() >= 1, ct);
        Assert.Contains("head-ho", escalated.Waiting());
        Assert.Contains("mgr-wong", escalated.Waiting());
        var sent = await WorkflowApiTests.WaitForAsync(() => SentAsync(app, id, ct), l => l.Any(n => n.GetString("Template") == "approval-escalated"), ct);
        var reminder = Assert.Single(sent, n => n.GetString("Template") == "approval-reminder");
        Assert.Equal("mgr-wong", reminder.GetString("Recipients"));
        Assert.Contains(sent, n => n.GetString("Template") == "approval-escalated" && n.GetString("Recipients") == "head-ho");
        var actions = escalated.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()).ToList();
        Assert.True(actions.IndexOf("step.reminded") < actions.IndexOf("step.escalated"));
    }

    [Fact]
    public async Task TimerOfADecidedStep_FiresLater_IsANoOp()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 140m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", null, 1, 0, ct)).StatusCode);

        // Both step 0's and step 1's reminders come due; only step 1's may do anything.
        var sent = await WorkflowApiTests.WaitForAsync(() => SentAsync(app, id, ct), l => l.Any(n => n.GetString("Template") == "approval-reminder"), ct);
        await Task.Delay(1500, ct);
        sent = await SentAsync(app, id, ct);

        Assert.All(sent.Where(n => n.GetString("Template") == "approval-reminder"), n => Assert.Equal("1", Step(n)));
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.All(chain.Where(e => e.Action == "step.reminded"), e => Assert.Contains("\"step\":\"1\"", e.Details));
    }

    [Fact]
    public async Task DecisionEvent_DeliveredThreeTimes_AppliedOnce()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp(speed: 1);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 130m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", null, 1, 0, ct)).StatusCode);

        // The engine may deliver an event more than once (a raise retried after a lost answer): the same decision again.
        var slot = (await app.Storage.Claims.GetEntityAsync<TableEntity>(id, WorkflowRows.DecisionRowKey(1, 0, 0), cancellationToken: ct)).Value;
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        var policies = app.Services.GetRequiredService<PolicyProvider>();
        var again = new WorkflowEvent(slot.GetString("Input"), WorkflowContextData.From(await policies.ContextAsync(ct)), "approver", null);
        await client.RaiseEventAsync(ApprovalOrchestration.InstanceId(id, 1), ApprovalOrchestration.EventName, again, ct);
        await client.RaiseEventAsync(ApprovalOrchestration.InstanceId(id, 1), ApprovalOrchestration.EventName, again, ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.GetProperty("currentStep").ValueKind == JsonValueKind.Object
            && w.GetProperty("currentStep").GetProperty("index").GetInt32() == 1, ct);
        await Task.Delay(1000, ct);

        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.Single(chain, e => e.Action == "step.approved");
        Assert.Single(chain, e => e.Action == "step.started" && e.Details.Contains("\"step\":\"1\""));
        Assert.Equal(["fin-cheung", "fin-lam"], (await SentAsync(app, id, ct)).Where(n => n.GetString("Template") == "approval-requested" && Step(n) == "1")
            .Select(n => n.GetString("Recipients")!).Order());
        Assert.Equal(1, (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).GetProperty("currentStep").GetProperty("index").GetInt32());
    }
}
