using System.Net;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>16 decisions on one approval step at the same instant (both finance officers clicking, several times each):
/// the slot row lets exactly one through.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ConcurrentDecisionTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private static readonly string[] ConflictTypes =
    [
        "https://reimburse.example/problems/conflict",
        "https://reimburse.example/problems/step-already-decided",
        "https://reimburse.example/problems/claim-final",
    ];

    [Fact]
    public async Task SixteenConcurrentDecisions_OneStep_One202Fifteen409AndOneTransition()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite, WorkflowTestKit.AppSettings(), WorkflowTestKit.UseRecordingChannel);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 151m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", null, 1, 0, ct)).StatusCode);
        string[] users = ["fin-lam", "fin-cheung"];
        var clients = await Task.WhenAll(users.Select(u => app.ClientForAsync(u, ct)));
        using var start = new SemaphoreSlim(0, 16);

        var requests = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await start.WaitAsync(ct);
            return (User: users[i % 2], Response: await WorkflowTestKit.DecideAsync(clients[i % 2], id, "approve", null, 1, 1, ct));
        }, ct)).ToList();
        start.Release(16);
        var responses = await Task.WhenAll(requests);

        var winner = Assert.Single(responses, r => r.Response.StatusCode == HttpStatusCode.Accepted);
        var losers = responses.Where(r => r.Response.StatusCode != HttpStatusCode.Accepted).ToList();
        Assert.Equal(15, losers.Count);
        foreach (var (_, response) in losers)
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            // The step is decided, and (read with the accepted decision) the claim is final: either answer is a conflict.
            var problem = await response.JsonAsync(ct);
            Assert.Equal(409, problem.GetProperty("status").GetInt32());
            Assert.Contains(problem.GetProperty("type").GetString(), ConflictTypes);
        }
        await chan.WaitForStatusAsync(id, "Approved", ct);
        await FaultKit.AssertTwoLevelApprovedExactlyOnceAsync(app.Storage.Tables, app.Prefix, [id], output, ct);
        var effects = (await FaultKit.EffectsAsync(app.Storage.Tables, app.Prefix, [id], ct))[id];
        Assert.Equal(["mgr-wong", winner.User], effects.Audit.Where(e => e.Action == "step.approved").Select(e => e.ActorId));
    }
}
