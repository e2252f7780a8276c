using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>Three LocalHost processes on one task hub (competing workers for its control and work-item queues): claims
/// submitted through one process are decided through the others, and every effect happens once.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CompetingWorkersTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeLocalHostProcesses_OneTaskHub_ExactOutcomesNothingDoubled()
    {
        var ct = TestTimeout.Token(240);
        var prefix = "cw" + Guid.NewGuid().ToString("N")[..9];
        var hosts = Enumerable.Range(0, 3).Select(_ => new AppProcess(azurite.ConnectionString, prefix, FaultKit.ProcessSettings())).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.StartAsync(ct)));
            var submitters = await Task.WhenAll(hosts.Select(h => h.ClientForAsync("emp-chan", ct)));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // Each approver decides through a different process; each claim is submitted through one of the three.
            var approvers = FaultKit.StartApprovers(u => hosts[(Array.IndexOf(FaultKit.Approvers, u) + 1) % 3].ClientForAsync(u, ct), stop.Token);
            var ids = (await Task.WhenAll(Enumerable.Range(0, 3).Select(h => FaultKit.SubmitTwoLevelAsync([submitters[h]], 10, 200m + 20 * h, ct)))).SelectMany(x => x).ToList();

            await FaultKit.WaitForStatusesAsync(() => Task.FromResult(submitters[2]), ids.ToDictionary(i => i, _ => "Approved"), ct);
            await FaultKit.AssertTwoLevelApprovedExactlyOnceAsync(new TableServiceClient(azurite.ConnectionString), prefix, ids, output, ct);
            Assert.All(hosts, h => Assert.False(h.HasExited));
            await stop.CancelAsync();
            await Task.WhenAll(approvers);
        }
        finally
        {
            foreach (var h in hosts) await h.DisposeAsync();
        }
    }
}
