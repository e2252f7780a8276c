using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>Storage requests the runtime does not need to make (the speed work of issue 4), checked with the request
/// counter's per-kind breakdown.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkflowRequestTests(AzuriteFixture azurite)
{
    private ReimburseApp NewApp() => new(azurite, WorkflowTestKit.AppSettings(), WorkflowTestKit.UseRecordingChannel);

    [Fact]
    public async Task TimerMessage_StepAlreadyDecided_DroppedWithoutReadOrRequeue()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 140m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", null, 1, 0, ct)).StatusCode);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Waiting().Contains("fin-lam"), ct);
        var stepZero = new List<ScheduleTimer>();
        await foreach (var e in app.Storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id} and RowKey ge {"outbox-0000000001"} and RowKey lt {"outbox-0000000002"}"), cancellationToken: ct))
        {
            if (WorkflowRows.ReadEffect(e) is ScheduleTimer t) stepZero.Add(t);
        }
        Assert.NotEmpty(stepZero);
        // One of step 0's timers has come due, the other is still ahead: the old handler read the claim for the first and
        // sent the second round the queue again.
        var message = new WorkflowTimersDue(id, [stepZero[0] with { DueAt = WorkflowTestKit.TuesdayMorning.AddDays(-1) }, .. stepZero.Skip(1)]);
        var handler = app.Services.GetServices<IQueueHandler>().Single(h => h.FunctionName == "WorkflowTimers");
        var counter = app.Storage.Counter;
        counter.Breakdown = true;
        counter.Reset();

        await handler.HandleAsync(new QueueInvocation(QueueMessages.Encode(message), 1, null, "m-1", "i-1"), ct);

        Assert.DoesNotContain(counter.Kinds.Keys, k => k.Contains(nameof(WorkflowTimerHandler), StringComparison.Ordinal));
        Assert.DoesNotContain(counter.Kinds.Keys, k => k.StartsWith("GET ", StringComparison.Ordinal) && k.Contains("claims(entity)", StringComparison.Ordinal));
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.DoesNotContain(chain, e => e.Action == "step.reminded");
    }

    [Fact]
    public async Task Submit_PipelineSteps_ReadTheClaimFromMemory()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var counter = app.Storage.Counter;
        counter.Breakdown = true;
        counter.Reset();

        var id = await WorkflowTestKit.SubmitAsync(chan, 150m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        var stepReads = counter.Kinds.Where(k => k.Key.StartsWith("GET ", StringComparison.Ordinal) && k.Key.Contains("claims(entity)", StringComparison.Ordinal)
            && k.Key.Contains("Step.RunAsync", StringComparison.Ordinal)).ToList();
        Assert.Empty(stepReads);
    }

    [Fact]
    public async Task Sweep_ClaimFullyDispatched_RereadsNoChain()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-tam", "sales", 2, ct);
        await app.Services.GetRequiredService<ClaimDispatcher>().DispatchAsync(claim.Id, ct);
        var sweeper = app.Services.GetRequiredService<AuditIndexReconciler>();

        var reindexed = await sweeper.SweepAsync(ct);

        Assert.Equal(0, reindexed);
        var auditor = await app.ClientForAsync("aud-yip", ct);
        Assert.Single(await auditor.AuditItemsAsync("actor=emp-tam&action=claim.submitted", ct));
    }
}
