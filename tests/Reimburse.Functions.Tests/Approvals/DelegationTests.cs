using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>Runtime delegation over HTTP (the workflow clock is fixed at Tuesday 24 Nov 2026, 10:00 in Hong Kong): an
/// approver names a delegate for a date range, the delegate sees and decides the claim on their behalf, bad input changes
/// nothing, and a revoked delegation stops working.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DelegationTests(AzuriteFixture azurite)
{
    private ReimburseApp NewApp() => new(azurite, WorkflowTestKit.AppSettings(), WorkflowTestKit.UseRecordingChannel);

    private static Task<HttpResponseMessage> DelegateAsync(HttpClient client, object body, CancellationToken ct) =>
        client.PostAsJsonAsync("/api/me/delegations", body, ct);

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, CancellationToken ct) =>
        (await (await client.GetAsync("/api/me/delegations", ct)).JsonAsync(ct)).GetProperty("items").EnumerateArray().ToList();

    [Fact]
    public async Task Delegate_ManagerOnLeave_DelegateIsNotifiedSeesTheClaimAndApprovesOnTheirBehalf()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        var lau = await app.ClientForAsync("mgr-lau", ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var created = await DelegateAsync(wong, new { to = "mgr-lau", start = "2026-11-24", end = "2026-11-27", reason = "Annual leave" }, ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var delegation = await created.JsonAsync(ct);
        Assert.Equal(("mgr-wong", "mgr-lau", "active", "runtime"), (delegation.GetProperty("from").GetString(), delegation.GetProperty("to").GetString(),
            delegation.GetProperty("status").GetString(), delegation.GetProperty("source").GetString()));
        Assert.Equal($"/api/me/delegations/{delegation.GetProperty("id").GetString()}", created.Headers.Location?.OriginalString);
        Assert.Contains(await ListAsync(lau, ct), d => d.GetProperty("from").GetString() == "mgr-wong");

        var id = await WorkflowTestKit.SubmitAsync(chan, 268.50m, cancellationToken: ct);
        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);
        Assert.Equal(["mgr-lau", "mgr-wong"], workflow.Waiting().Order());
        var sent = await WorkflowApiTests.WaitForNotificationsAsync(app, id, 2, ct);
        Assert.Contains(sent, n => n.GetString("Recipients") == "mgr-lau" && n.GetString("Template") == "approval-requested");
        var pending = (await (await lau.GetAsync("/api/approvals", ct)).JsonAsync(ct)).GetProperty("items").EnumerateArray().ToList();
        var item = Assert.Single(pending, p => p.GetProperty("claimId").GetString() == id);
        Assert.Equal("mgr-wong", item.GetProperty("onBehalfOf").GetString());

        var decided = await WorkflowTestKit.DecideAsync(lau, id, "approve", "For Wong while on leave", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        // Applied by the orchestration moments after the 202.
        var after = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.GetProperty("currentStep").ValueKind == System.Text.Json.JsonValueKind.Object
            && w.GetProperty("currentStep").GetProperty("index").GetInt32() != 0, ct);
        Assert.Equal(1, after.GetProperty("currentStep").GetProperty("index").GetInt32());
        Assert.Contains(after.GetProperty("history").EnumerateArray(), h => h.GetRawText().Contains("\"mgr-lau\"") && h.GetRawText().Contains("\"mgr-wong\""));
    }

    [Fact]
    public async Task Delegate_BadInput_400PerFieldOr403Or409AndNothingIsStored()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);

        async Task<JsonElement> BadAsync(object body, string field)
        {
            var r = await DelegateAsync(wong, body, ct);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var problem = await r.JsonAsync(ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{field} not in {problem}");
            return problem;
        }
        await BadAsync(new { to = "mgr-wong", start = "2026-11-24", end = "2026-11-25" }, "to");
        await BadAsync(new { to = "nobody", start = "2026-11-24", end = "2026-11-25" }, "to");
        await BadAsync(new { to = "emp-tam", start = "2026-11-24", end = "2026-11-25" }, "to");  // cannot approve
        await BadAsync(new { to = "aud-yip", start = "2026-11-24", end = "2026-11-25" }, "to");  // auditors never decide
        await BadAsync(new { to = "mgr-lau", start = "24/11/2026", end = "2026-11-25" }, "start");
        await BadAsync(new { to = "mgr-lau", start = "2026-11-26", end = "2026-11-25" }, "end");
        await BadAsync(new { to = "mgr-lau", start = "2026-11-01", end = "2026-11-20" }, "end");   // in the past
        await BadAsync(new { to = "mgr-lau", start = "2026-11-24", end = "2027-06-30" }, "end");   // longer than 92 days
        var all = await BadAsync(new { }, "to");
        Assert.True(all.GetProperty("errors").TryGetProperty("start", out _) && all.GetProperty("errors").TryGetProperty("end", out _));
        var malformed = await wong.PostAsync("/api/me/delegations", new StringContent("{\"to\":", System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        // Only approvers delegate their approvals.
        var chan = await app.ClientForAsync("emp-chan", ct);
        Assert.Equal(HttpStatusCode.Forbidden, (await DelegateAsync(chan, new { to = "mgr-lau", start = "2026-11-24", end = "2026-11-25" }, ct)).StatusCode);
        Assert.Empty(await ListAsync(wong, ct));

        // One delegate at a time.
        Assert.Equal(HttpStatusCode.Created, (await DelegateAsync(wong, new { to = "mgr-lau", start = "2026-11-24", end = "2026-11-27" }, ct)).StatusCode);
        var overlap = await DelegateAsync(wong, new { to = "head-ho", start = "2026-11-27", end = "2026-11-30" }, ct);
        Assert.Equal(HttpStatusCode.Conflict, overlap.StatusCode);
        Assert.Single(await ListAsync(wong, ct));
    }

    [Fact]
    public async Task Revoke_ByTheDelegator_DelegateCanNoLongerDecide_AndNobodyElseMayRevoke()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        var lau = await app.ClientForAsync("mgr-lau", ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var created = await (await DelegateAsync(wong, new { to = "mgr-lau", start = "2026-11-24", end = "2026-11-24" }, ct)).JsonAsync(ct);
        var delegationId = created.GetProperty("id").GetString()!;
        var id = await WorkflowTestKit.SubmitAsync(chan, 133m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        var byDelegate = await lau.DeleteAsync($"/api/me/delegations/{delegationId}", ct);
        var byOwner = await wong.DeleteAsync($"/api/me/delegations/{delegationId}", ct);
        var again = await wong.DeleteAsync($"/api/me/delegations/{delegationId}", ct);

        Assert.Equal(HttpStatusCode.NotFound, byDelegate.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, byOwner.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty(await ListAsync(wong, ct));
        var decided = await WorkflowTestKit.DecideAsync(lau, id, "approve", cancellationToken: ct);
        Assert.Equal(HttpStatusCode.Forbidden, decided.StatusCode);
        Assert.Equal(["mgr-wong"], (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).Waiting());
    }
}
