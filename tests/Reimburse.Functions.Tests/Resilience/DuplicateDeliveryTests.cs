using System.Net;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Approvals;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>The engine delivers an event at least once (a raise retried after a lost answer): every decision event of a
/// two-level claim arrives three times, and each decision is applied once.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DuplicateDeliveryTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task EveryDecisionEvent_DeliveredThreeTimes_AppliedOnceAndPostedOnce()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite, WorkflowTestKit.AppSettings(), WorkflowTestKit.UseRecordingChannel);
        await app.StartAsync(ct);
        var durable = app.Services.GetRequiredService<DurableTaskClient>();
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 131m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        foreach (var (user, step) in new[] { ("mgr-wong", 0), ("fin-lam", 1) })
        {
            await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Waiting().Contains(user), ct);
            Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(await app.ClientForAsync(user, ct), id, "approve", null, 1, step, ct)).StatusCode);
            // The same event again, twice, exactly as the decision endpoint raised it (from its slot row).
            var slot = (await app.Storage.Claims.GetEntityAsync<TableEntity>(id, WorkflowRows.DecisionRowKey(1, step, 0), cancellationToken: ct)).Value;
            for (var i = 0; i < 2; i++)
            {
                await durable.RaiseEventAsync(ApprovalOrchestration.InstanceId(id, 1), ApprovalOrchestration.EventName, ApprovalCommands.EventOf(slot), ct);
            }
        }

        await chan.WaitForStatusAsync(id, "Approved", ct);
        await FaultKit.AssertTwoLevelApprovedExactlyOnceAsync(app.Storage.Tables, app.Prefix, [id], output, ct);
        var effects = (await FaultKit.EffectsAsync(app.Storage.Tables, app.Prefix, [id], ct))[id];
        Assert.Equal(2, effects.AuditCount("step.started"));
        Assert.Equal(["mgr-wong", "fin-lam"], effects.Audit.Where(e => e.Action == "step.approved").Select(e => e.ActorId));
    }
}
