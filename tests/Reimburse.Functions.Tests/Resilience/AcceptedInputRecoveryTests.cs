using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Approvals;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Resilience;

/// <summary>The crash windows between accepting an input and telling the orchestration: the process that wrote a
/// decision's slot row (or changed a resubmitted claim) dies before it raises the event. Emulated exactly: the test writes
/// what the request had written and raises nothing. The orchestration recovers the input when it wakes, or the caller's
/// retry raises it again and gets the answer of the first time; either way it is applied once.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AcceptedInputRecoveryTests(AzuriteFixture azurite)
{
    private ReimburseApp NewApp(int recheckSeconds)
    {
        var settings = WorkflowTestKit.AppSettings();
        settings["Reimburse:Workflow:RecheckSeconds"] = recheckSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ReimburseApp(azurite, settings, WorkflowTestKit.UseRecordingChannel);
    }

    /// <summary>What <see cref="ApprovalCommands.ApplyAsync"/> writes for an accepted decision, without the raise.</summary>
    private static async Task WriteAcceptedDecisionAsync(ReimburseApp app, string id, string actor, Decision decision, string? comment, CancellationToken ct)
    {
        var commands = app.Services.GetRequiredService<ApprovalCommands>();
        var read = (await commands.ReadAcceptedAsync(id, ct))!;
        var input = new DecisionMade(actor, decision, comment, read.State.Round, read.State.StepIndex);
        Assert.IsType<Transitioned>(ApprovalWorkflow.Decide(read.State, input, read.Now, read.Context));
        await app.Storage.Claims.AddEntityAsync(new TableEntity(id, WorkflowRows.DecisionRowKey(read.State.Round, read.State.StepIndex, 0))
        {
            ["Actor"] = actor,
            ["Input"] = WorkflowJson.Of<WorkflowInput>(input),
            ["ForVersion"] = read.State.Version,
            ["Context"] = WorkflowJson.Of(WorkflowContextData.From(read.Context)),
            ["ActorRole"] = "approver",
        }, ct);
    }

    [Fact]
    public async Task DecisionEventLost_RoundWakes_AppliesItOnce()
    {
        var ct = TestTimeout.Token(90);
        await using var app = NewApp(recheckSeconds: 2);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 140m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        await WriteAcceptedDecisionAsync(app, id, "mgr-wong", Decision.Approve, null, ct);

        // The periodic wake finds the accepted decision: the finance step starts and its approvers are told.
        await WorkflowApiTests.WaitForAsync(async () => (await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct)).Count(e => e.Action == "step.approved"), n => n >= 1, ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.GetProperty("currentStep").ValueKind == JsonValueKind.Object
            && w.GetProperty("currentStep").GetProperty("index").GetInt32() == 1, ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        Assert.Equal(HttpStatusCode.Conflict, (await WorkflowTestKit.DecideAsync(wong, id, "approve", null, 1, 0, ct)).StatusCode);
        await Task.Delay(2500, ct);
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.Single(chain, e => e.Action == "step.approved");
        Assert.Null(AuditChain.FindFirstBroken(chain));
    }

    [Fact]
    public async Task DecisionEventLost_SameApproverRetries_Gets202AndItIsAppliedOnce()
    {
        var ct = TestTimeout.Token(90);
        await using var app = NewApp(recheckSeconds: 3600);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 141m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        // After the round's start-up (which also looks for accepted rows, and would find this one).
        await WorkflowApiTests.WaitForAsync(async () => (await RecordingNotificationChannel.ReadAllAsync(new TableServiceClient(azurite.ConnectionString), app.Prefix, ct)).Count(n => n.PartitionKey == id), n => n >= 1, ct);
        await Task.Delay(2000, ct);
        await WriteAcceptedDecisionAsync(app, id, "mgr-wong", Decision.Approve, null, ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        var lam = await app.ClientForAsync("fin-lam", ct);

        // A double click right away is still a 409; the retry after the takeover time raises the lost event.
        Assert.Equal(HttpStatusCode.Conflict, (await WorkflowTestKit.DecideAsync(wong, id, "approve", null, 1, 0, ct)).StatusCode);
        await Task.Delay(ApprovalCommands.RetryTakeover + TimeSpan.FromSeconds(1), ct);
        var retry = await WorkflowTestKit.DecideAsync(wong, id, "approve", null, 1, 0, ct);

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        await WorkflowApiTests.WaitForAsync(async () => (await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct)).Count(e => e.Action == "step.started"), n => n >= 2, ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(lam, id, "approve", null, 1, 1, ct)).StatusCode);
        await WorkflowApiTests.WaitForAsync(async () => (await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct)).Count(e => e.Action == "claim.approved"), n => n >= 1, ct);
        Assert.Equal(HttpStatusCode.Conflict, (await WorkflowTestKit.DecideAsync(wong, id, "approve", null, 1, 0, ct)).StatusCode);
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.Equal(2, chain.Count(e => e.Action == "step.approved"));
        Assert.Single(chain, e => e.Action == "claim.approved");
        await WorkflowApiTests.WaitForAsync(async () => (await WorkflowTestKit.LedgerAsync(new TableServiceClient(azurite.ConnectionString), app.Prefix, ct)).Count(l => l.GetString("ClaimId") == id), n => n >= 1, ct);
        await Task.Delay(1000, ct);
        Assert.Single(await WorkflowTestKit.LedgerAsync(new TableServiceClient(azurite.ConnectionString), app.Prefix, ct), l => l.GetString("ClaimId") == id);
    }

    [Fact]
    public async Task ResubmitEventLost_ReturnedClaimWakes_StartsTheNextRoundOnce()
    {
        var ct = TestTimeout.Token(90);
        await using var app = NewApp(recheckSeconds: 2);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 142m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideWithReasonAsync(wong, id, "return", "Attach the receipt", "receipt-missing-or-altered", 1, 0, ct)).StatusCode);
        await chan.WaitForStatusAsync(id, "Returned", ct);

        // The resubmission's first half (the claim is Submitted again, audited), then the process dies: no event.
        var claims = app.Services.GetRequiredService<ClaimStore>();
        var (changed, error) = await claims.ChangeAsync(id, current =>
        {
            var (next, err) = ClaimLifecycle.Submit(current.Claim, current.Claim.Fields, DateTimeOffset.UtcNow);
            return next is null ? (null, err) : (new ClaimChange(next, new AuditDraft("claim.submitted", "emp-chan", "employee", null, "{}")), null);
        }, ct);
        Assert.Null(error);
        Assert.NotNull(changed);

        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending" && w.GetProperty("round").GetInt32() == 2, ct);
        await Task.Delay(2500, ct);
        var chain = await claims.ReadAuditAsync(id, ct);
        Assert.Equal(2, chain.Count(e => e.Action == "claim.received"));
        Assert.Equal(2, chain.Count(e => e.Action == "step.started" && e.Details.Contains("\"step\":\"0\"")));
    }
}
