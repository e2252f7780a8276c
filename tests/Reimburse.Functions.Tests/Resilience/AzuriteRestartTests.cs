using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>Azurite stopped and started again (same ports, same data folder) while claims are being decided: the LocalHost
/// process answers 503 ProblemDetails while storage is down, stays up, and every in-flight claim completes once.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzuriteRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AzuriteRestartedMidRun_503WhileDown_InFlightClaimsCompleteNothingDoubled()
    {
        var ct = TestTimeout.Token(300);
        var location = Directory.CreateTempSubdirectory("azurite-restart-").FullName;
        var storage = await AzuriteInstance.StartAsync(location, cancellationToken: ct);
        var prefix = "ar" + Guid.NewGuid().ToString("N")[..9];
        await using var host = new AppProcess(storage.ConnectionString, prefix, FaultKit.ProcessSettings());
        try
        {
            await host.StartAsync(ct);
            var chan = await host.ClientForAsync("emp-chan", ct);
            var ids = await FaultKit.SubmitTwoLevelAsync([chan], 20, 300m, ct);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var approvers = FaultKit.StartApprovers(u => host.ClientForAsync(u, ct), stop.Token);
            var approvedAtStop = await WorkflowApiTests.WaitForAsync(() => FaultKit.CountApprovedAsync(chan, ids, ct), n => n >= 3, ct);

            await storage.StopAsync(ct);
            output.WriteLine($"Azurite stopped with {approvedAtStop} of {ids.Count} approved");
            var down = DateTimeOffset.UtcNow;
            var answers = new List<HttpStatusCode>();
            while (DateTimeOffset.UtcNow - down < TimeSpan.FromSeconds(6))
            {
                foreach (var response in new[]
                {
                    await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(amount: 77), ct),
                    await chan.GetAsync($"/api/claims/{ids[^1]}", ct),
                })
                {
                    answers.Add(response.StatusCode);
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    Assert.NotNull(response.Headers.RetryAfter);
                    var problem = await response.JsonAsync(ct);
                    Assert.Equal("https://reimburse.example/problems/storage-unavailable", problem.GetProperty("type").GetString());
                    Assert.DoesNotContain(" at Reimburse.", problem.ToString());
                }
                await Task.Delay(500, ct);
            }
            Assert.False(host.HasExited, "LocalHost exited while storage was down");
            output.WriteLine($"{answers.Count} requests while down, all 503 storage-unavailable");

            storage = await storage.StartAgainAsync(ct);
            var up = DateTimeOffset.UtcNow;
            HttpResponseMessage again;
            do
            {
                again = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(amount: 78), ct);
            }
            while (again.StatusCode == HttpStatusCode.ServiceUnavailable && !ct.IsCancellationRequested);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
            output.WriteLine($"first 202 {(DateTimeOffset.UtcNow - up).TotalSeconds:F1} s after Azurite was back");

            await FaultKit.WaitForStatusesAsync(() => Task.FromResult(chan), ids.ToDictionary(i => i, _ => "Approved"), ct);
            output.WriteLine($"all approved {(DateTimeOffset.UtcNow - up).TotalSeconds:F1} s after Azurite was back");
            // A channel send whose outcome write met the outage goes out again (at least once, deduplicated by key): reported.
            await FaultKit.AssertTwoLevelApprovedExactlyOnceAsync(new TableServiceClient(storage.ConnectionString), prefix, ids, output, ct, maxRepeatedDeliveries: 8);
            Assert.False(host.HasExited);
            await stop.CancelAsync();
            await Task.WhenAll(approvers);
        }
        finally
        {
            host.Kill();
            await storage.DisposeAsync();
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }
}
