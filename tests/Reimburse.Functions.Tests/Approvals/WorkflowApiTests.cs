using Azure.Data.Tables;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>The workflow over HTTP on one in-process app: start, decisions (202/400/403/409), withdrawal, pending list,
/// one-click links.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkflowApiTests(AzuriteFixture azurite)
{
    private ReimburseApp NewApp(double speed = 1) => new(azurite, WorkflowTestKit.AppSettings(speed), WorkflowTestKit.UseRecordingChannel);

    private static async Task<JsonElement> PendingAsync(HttpClient client, string id, CancellationToken ct) =>
        await WorkflowTestKit.WaitForWorkflowAsync(client, id, w => w.Status() == "pending", ct);

    [Fact]
    public async Task Submit_MealsClaim_WaitsOnLineManagerWhoIsNotifiedWithLinks()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var id = await WorkflowTestKit.SubmitAsync(chan, 268.50m, cancellationToken: ct);

        var workflow = await PendingAsync(chan, id, ct);
        Assert.Equal(["mgr-wong"], workflow.Waiting());
        Assert.Equal("running", workflow.GetProperty("runtimeStatus").GetString());
        Assert.Equal(2, workflow.GetProperty("route").GetArrayLength());
        Assert.NotNull(workflow.GetProperty("reminderDueAt").GetString());
        Assert.Equal("PendingApproval", (await chan.WaitForStatusAsync(id, "PendingApproval", ct)).GetProperty("status").GetString());
        var sent = await WaitForNotificationsAsync(app, id, 1, ct);
        var request = Assert.Single(sent);
        Assert.Equal("approval-requested", request.GetString("Template"));
        Assert.Equal("mgr-wong", request.GetString("Recipients"));
        Assert.Equal(2, JsonDocument.Parse(request.GetString("Links")!).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Decide_LineManagerThenFinance_ApprovesPostsOnceAndKeepsTheChainIntact()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 300m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);

        var first = await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", cancellationToken: ct);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var second = await WorkflowTestKit.DecideAsync(await app.ClientForAsync("fin-lam", ct), id, "approve", "ok", cancellationToken: ct);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);

        var done = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "approved", ct);
        Assert.Equal("completed", done.GetProperty("runtimeStatus").GetString());
        await chan.WaitForStatusAsync(id, "Approved", ct);
        var ledger = await WaitForAsync(() => WorkflowTestKit.LedgerAsync(new TableServiceClient(azurite.ConnectionString), app.Prefix, ct), l => l.Count >= 1, ct);
        Assert.Equal(id, Assert.Single(ledger).GetString("ClaimId"));
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        Assert.Null(AuditChain.FindFirstBroken(chain));
        Assert.Equal(2, chain.Count(e => e.Action == "step.approved"));
        Assert.Single(chain, e => e.Action == "claim.approved");
    }

    [Fact]
    public async Task Decide_NotAnApprover_Returns403()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 120m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);

        var response = await WorkflowTestKit.DecideAsync(await app.ClientForAsync("emp-lee", ct), id, "approve", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://reimburse.example/problems/not-current-approver", (await response.JsonAsync(ct)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Decide_OwnClaim_Returns403SelfApproval()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 120m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);

        var response = await WorkflowTestKit.DecideAsync(chan, id, "approve", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://reimburse.example/problems/self-approval-forbidden", (await response.JsonAsync(ct)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Decide_DoubleClick_SecondReturns409()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 120m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);

        var first = await WorkflowTestKit.DecideAsync(wong, id, "approve", cancellationToken: ct);
        var second = await WorkflowTestKit.DecideAsync(wong, id, "approve", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("{\"decision\":\"maybe\"}")]
    [InlineData("{\"decision\":\"reject\"}")]
    [InlineData("not json")]
    public async Task Decide_BadBody_Returns400(string body)
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 120m, cancellationToken: ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);

        var response = await wong.PostAsync($"/api/claims/{id}/decisions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    public async Task Decide_ConcurrentOnOneStep_ExactlyOneWins(int concurrent)
    {
        var ct = TestTimeout.Token(90);
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 150m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);
        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", cancellationToken: ct)).StatusCode);
        // The finance step is any-of fin-lam / fin-cheung: both click at once, several times.
        var lam = await app.ClientForAsync("fin-lam", ct);
        var cheung = await app.ClientForAsync("fin-cheung", ct);
        using var start = new SemaphoreSlim(0, concurrent);

        var requests = Enumerable.Range(0, concurrent).Select(i => Task.Run(async () =>
        {
            await start.WaitAsync(ct);
            return await WorkflowTestKit.DecideAsync(i % 2 == 0 ? lam : cheung, id, "approve", null, 1, 1, ct);
        })).ToList();
        start.Release(concurrent);
        var responses = await Task.WhenAll(requests);

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        // The orchestration applies the accepted decision after the 202.
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "approved", ct);
        // The audit entries are written by the orchestration's activities, which may trail the status under load:
        // wait until the claim's approval is audited, then a little longer so that any duplicate would show.
        var store = app.Services.GetRequiredService<ClaimStore>();
        var chain = await store.ReadAuditAsync(id, ct);
        for (var waited = 0; waited < 30_000 && !chain.Any(e => e.Action == "claim.approved"); waited += 200)
        {
            await Task.Delay(200, ct);
            chain = await store.ReadAuditAsync(id, ct);
        }
        await Task.Delay(500, ct);
        chain = await store.ReadAuditAsync(id, ct);
        Assert.Equal(2, chain.Count(e => e.Action == "step.approved"));
        Assert.Single(chain, e => e.Action == "claim.approved");
    }

    [Fact]
    public async Task Withdraw_ByClaimantWhilePending_TerminatesAndTellsTheApprover()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 99m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);

        var response = await chan.PostAsync($"/api/claims/{id}/withdraw", new StringContent("{\"reason\":\"duplicate\"}", System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "withdrawn", ct);
        Assert.Equal("terminated", done.GetProperty("runtimeStatus").GetString());
        await WaitForNotificationsAsync(app, id, 2, ct);
        var again = await chan.PostAsync($"/api/claims/{id}/withdraw", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Withdraw_BySomeoneElse_Returns403()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 99m, cancellationToken: ct);
        await PendingAsync(chan, id, ct);

        var response = await (await app.ClientForAsync("mgr-wong", ct)).PostAsync($"/api/claims/{id}/withdraw", null, ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ListApprovals_LineManager_SeesTheClaimUntilDecided()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 210m, cancellationToken: ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);

        var listed = await WaitForAsync(async () => (await (await wong.GetAsync("/api/approvals", ct)).JsonAsync(ct)).GetProperty("items").EnumerateArray().ToList(),
            items => items.Any(i => i.GetProperty("claimId").GetString() == id), ct);
        var item = listed.Single(i => i.GetProperty("claimId").GetString() == id);
        Assert.Equal(0, item.GetProperty("step").GetInt32());
        Assert.Equal(210m, item.GetProperty("amount").GetDecimal());

        Assert.Equal(HttpStatusCode.Accepted, (await WorkflowTestKit.DecideAsync(wong, id, "approve", cancellationToken: ct)).StatusCode);
        // Gone from the list once the orchestration has applied the decision (moments after the 202).
        await WaitForAsync(async () => (await (await wong.GetAsync("/api/approvals", ct)).JsonAsync(ct)).GetProperty("items").EnumerateArray().ToList(),
            items => items.All(i => i.GetProperty("claimId").GetString() != id), ct);
        var lam = await app.ClientForAsync("fin-lam", ct);
        await WaitForAsync(async () => (await (await lam.GetAsync("/api/approvals", ct)).JsonAsync(ct)).GetProperty("items").EnumerateArray().ToList(),
            items => items.Any(i => i.GetProperty("claimId").GetString() == id), ct);
    }

    [Fact]
    public async Task OneClickLink_UsedTwice_FirstApprovesSecondIs409()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var (id, path) = await SubmitForLinkAsync(app, chan, 180m, "Approve", ct);
        var anonymous = app.CreateClient();

        var first = await anonymous.PostAsync(path, null, ct);
        var second = await anonymous.PostAsync(path, null, ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var workflow = await WorkflowTestKit.WorkflowAsync(chan, id, ct);
        Assert.Equal(1, workflow.GetProperty("currentStep").GetProperty("index").GetInt32());
    }

    [Fact]
    public async Task OneClickLink_Get_ShowsAConfirmationPageAndChangesNothingUntilThePost()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var (id, path) = await SubmitForLinkAsync(app, chan, 180m, "Approve", ct);
        var browser = app.CreateClient();
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        // A mail scanner or chat preview fetches the link, twice: nothing is decided.
        var page = await browser.GetAsync(path, ct);
        await browser.GetAsync(path, ct);
        var html = await page.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("HKD 180.00", html);
        Assert.Contains(id, html);
        Assert.Contains("<form method=\"post\">", html);
        Assert.Contains("批准", html);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(page.Headers.CacheControl?.NoStore);
        var still = await WorkflowTestKit.WorkflowAsync(chan, id, ct);
        Assert.Equal(("pending", 0), (still.Status(), still.GetProperty("currentStep").GetProperty("index").GetInt32()));

        // The button posts the form: decided once, with a page to say so; the link then shows as used.
        var decided = await browser.PostAsync(path, new FormUrlEncodedContent([]), ct);
        var after = await browser.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        Assert.Contains("Approved", await decided.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.Conflict, after.StatusCode);
        Assert.Contains("already used", await after.Content.ReadAsStringAsync(ct));
        Assert.Equal(1, (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).GetProperty("currentStep").GetProperty("index").GetInt32());
    }

    [Fact]
    public async Task OneClickLink_RejectWithAReasonFromTheForm_RecordsTheReason()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var (id, path) = await SubmitForLinkAsync(app, chan, 181m, "Reject", ct);
        var browser = app.CreateClient();
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        var page = await (await browser.GetAsync(path, ct)).Content.ReadAsStringAsync(ct);
        var tooLong = await browser.PostAsync(path, new FormUrlEncodedContent([new("comment", new string('x', 2001))]), ct);
        var decided = await browser.PostAsync(path, new FormUrlEncodedContent([new("comment", "Receipt is for a personal dinner <b>")]), ct);

        Assert.Contains("name=\"comment\"", page);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "rejected", ct);
        Assert.Contains("Receipt is for a personal dinner <b>", workflow.GetRawText().Replace("\\u003C", "<").Replace("\\u003E", ">"));
    }

    [Fact]
    public async Task OneClickLink_Tampered_Returns403()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var (id, path) = await SubmitForLinkAsync(app, chan, 180m, "Approve", ct);
        var tampered = path[..^3] + (path[^3] == 'A' ? "B" : "A") + path[^2..];

        var page = await app.CreateClient().GetAsync(tampered, ct);
        var post = await app.CreateClient().PostAsync(tampered, null, ct);

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("signature is not valid", await page.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);
        Assert.Equal("pending", (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).Status());
    }

    /// <summary>Submits a claim and returns the path of the line manager's one-click link with this label.</summary>
    internal static async Task<(string Id, string Path)> SubmitForLinkAsync(ReimburseApp app, HttpClient claimant, decimal amount, string label, CancellationToken ct)
    {
        var id = await WorkflowTestKit.SubmitAsync(claimant, amount, cancellationToken: ct);
        var sent = await WaitForNotificationsAsync(app, id, 1, ct);
        var link = JsonDocument.Parse(sent[0].GetString("Links")!).RootElement.EnumerateArray().First(l => l.GetProperty("Label").GetString() == label);
        return (id, new Uri(link.GetProperty("Url").GetString()!).AbsolutePath);
    }

    internal static async Task<List<Azure.Data.Tables.TableEntity>> WaitForNotificationsAsync(ReimburseApp app, string claimId, int count, CancellationToken ct) =>
        await WaitForAsync(async () => (await RecordingNotificationChannel.ReadAllAsync(app.Storage.Tables, app.Prefix, ct)).Where(n => n.PartitionKey == claimId).ToList(),
            l => l.Count >= count, ct);

    internal static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, CancellationToken ct)
    {
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            ct.ThrowIfCancellationRequested();
            await Task.Delay(50, ct);
        }
    }
}
