using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>kill -9 of the LocalHost process while decisions flow through 50 two-level approvals, then a restart on the
/// same task hub: the engine redelivers what the dead process had dequeued, and every effect stays exactly once by key.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class KillDashNineTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task KillDashNine_DuringFiftyTwoLevelApprovals_EveryClaimApprovedWithEffectsOnceByKey()
    {
        var ct = TestTimeout.Token(300);
        var prefix = "k9" + Guid.NewGuid().ToString("N")[..9];
        var processes = new List<AppProcess>();
        AppProcess current = null!;
        async Task StartAsync()
        {
            var p = new AppProcess(azurite.ConnectionString, prefix, FaultKit.ProcessSettings());
            processes.Add(p);
            await p.StartAsync(ct);
            current = p;
        }
        try
        {
            await StartAsync();
            var chan = await current.ClientForAsync("emp-chan", ct);
            var ids = await FaultKit.SubmitTwoLevelAsync([chan], 50, 100m, ct);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var approvers = FaultKit.StartApprovers(u => current.ClientForAsync(u, ct), stop.Token);

            // Decisions flowing: some claims done, most somewhere between their first and last decision.
            var tables = new TableServiceClient(azurite.ConnectionString);
            var postedAtKill = await WorkflowApiTests.WaitForAsync(async () => (await WorkflowTestKit.LedgerAsync(tables, prefix, ct)).Count, n => n >= 5, ct);
            current.Kill();
            output.WriteLine($"killed with {postedAtKill} of {ids.Count} claims posted to the ledger");
            Assert.True(postedAtKill < ids.Count, "every claim was done before the kill: nothing was in flight");
            var killedAt = DateTimeOffset.UtcNow;
            await StartAsync();

            await FaultKit.WaitForStatusesAsync(() => current.ClientForAsync("emp-chan", ct), ids.ToDictionary(i => i, _ => "Approved"), ct);
            output.WriteLine($"all approved {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:F1} s after the kill");
            // A channel send the kill cut off before its outcome was written goes out again (at least once; a receiver
            // deduplicates by key): at most one per send that can be in flight, reported.
            await FaultKit.AssertTwoLevelApprovedExactlyOnceAsync(tables, prefix, ids, output, ct, maxRepeatedDeliveries: 32);
            await stop.CancelAsync();
            await Task.WhenAll(approvers);
        }
        finally
        {
            foreach (var p in processes) await p.DisposeAsync();
        }
    }
}
