using System.Net;
using System.Net.Http.Json;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Resilience;

[Collection(AzuriteCollection.Name)]
public sealed class CrashAndOutageTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task KillDashNine_RightAfter202s_LosesNoAcceptedClaim()
    {
        var ct = TestTimeout.Token(120);
        var prefix = "k" + Guid.NewGuid().ToString("N")[..10];
        // The first process never processes the queue: every accepted claim must be recovered by the second one.
        await using var first = new AppProcess(azurite.ConnectionString, prefix, new() { ["LocalHost__Triggers"] = "false" });
        await first.StartAsync(ct);
        var chan = await first.ClientForAsync("emp-chan", ct);
        var accepted = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var response = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(amount: 100 + i), ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add((await response.JsonAsync(ct)).GetProperty("id").GetString()!);
        }

        first.Kill();
        await using var second = new AppProcess(azurite.ConnectionString, prefix);
        await second.StartAsync(ct);
        var chanAgain = await second.ClientForAsync("emp-chan", ct);

        foreach (var id in accepted)
        {
            await chanAgain.WaitForStatusAsync(id, "PendingApproval", ct);
        }
        var list = await (await chanAgain.GetAsync("/api/claims?pageSize=50", ct)).JsonAsync(ct);
        Assert.Equal(accepted.Order(), list.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).Order());
    }

    [Fact]
    public async Task KillDashNine_WhileSubmitting_EveryAcceptedClaimSurvives()
    {
        var ct = TestTimeout.Token(120);
        var prefix = "k" + Guid.NewGuid().ToString("N")[..10];
        await using var first = new AppProcess(azurite.ConnectionString, prefix);
        await first.StartAsync(ct);
        var chan = await first.ClientForAsync("emp-chan", ct);
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stopSubmitting = new CancellationTokenSource();
        var submitters = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stopSubmitting.IsCancellationRequested; i++)
            {
                try
                {
                    var r = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(amount: 10 + i), stopSubmitting.Token);
                    if (r.StatusCode == HttpStatusCode.Accepted) accepted.Add((await r.JsonAsync(CancellationToken.None)).GetProperty("id").GetString()!);
                }
                catch (Exception) when (stopSubmitting.IsCancellationRequested || true)
                {
                    // Requests in flight at the kill fail: they were never accepted.
                    if (stopSubmitting.IsCancellationRequested) return;
                }
            }
        })).ToArray();
        await Task.Delay(1500, ct);

        first.Kill();
        await stopSubmitting.CancelAsync();
        await Task.WhenAll(submitters);
        Assert.NotEmpty(accepted);

        await using var second = new AppProcess(azurite.ConnectionString, prefix);
        await second.StartAsync(ct);
        var chanAgain = await second.ClientForAsync("emp-chan", ct);
        foreach (var id in accepted)
        {
            await chanAgain.WaitForStatusAsync(id, "PendingApproval", ct);
        }
    }

    [Fact]
    public async Task StorageDown_Returns503WithRetryAfter_AndTheServiceStaysUp()
    {
        var ct = TestTimeout.Token(90);
        var location = Directory.CreateTempSubdirectory("azurite-").FullName;
        var own = await AzuriteInstance.StartAsync(location, cancellationToken: ct);
        try
        {
            await using var app = new ReimburseApp(own.ConnectionString);
            await app.StartAsync(ct);
            var chan = await app.ClientForAsync("emp-chan", ct);
            Assert.Equal(HttpStatusCode.Accepted, (await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).StatusCode);

            own.Kill();
            var down = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(amount: 77), ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.True(down.Headers.RetryAfter is not null);
            var problem = await down.JsonAsync(ct);
            Assert.Equal("https://reimburse.example/problems/storage-unavailable", problem.GetProperty("type").GetString());
            Assert.DoesNotContain("at Reimburse", problem.ToString());

            own = await own.RestartAsync(ct);
            HttpResponseMessage again;
            do
            {
                again = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(amount: 78), ct);
            }
            while (again.StatusCode == HttpStatusCode.ServiceUnavailable && !ct.IsCancellationRequested);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    /// <summary>An intake activity (receipt reading) that always fails.</summary>
    private sealed class AlwaysFailingActivity : ITaskActivity
    {
        public int Attempts;

        public Type InputType => typeof(string);

        public Type OutputType => typeof(bool);

        public Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            Interlocked.Increment(ref Attempts);
            throw new InvalidOperationException("simulated failure");
        }
    }

    [Fact]
    public async Task IntakeFailingEveryTime_GivesUpAfterFiveAttempts_AndFlagsTheClaim()
    {
        var ct = TestTimeout.Token(90);
        var failing = new AlwaysFailingActivity();
        await using var app = new ReimburseApp(azurite, services: s => s.AddKeyedSingleton<ITaskActivity>(nameof(ClaimIntake.ReadReceipts), failing));
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = (await (await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;

        var claim = await chan.WaitForStatusAsync(id, "NeedsAttention", ct);

        Assert.Equal(5, failing.Attempts);
        Assert.Equal(268.50m, claim.GetProperty("amount").GetDecimal());
        Assert.False(string.IsNullOrEmpty(claim.GetProperty("attentionReason").GetString()));
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.Equal("claim.needs-attention", chain[^1].Action);
    }
}
