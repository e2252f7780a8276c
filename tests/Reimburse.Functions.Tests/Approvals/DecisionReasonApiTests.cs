using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>Reject and return carry a reason code from the fixed bilingual list: listed by GET /api/reason-codes, validated
/// (400 listing the codes, nothing changed), stored in the workflow history, the audit chain and the claim view.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DecisionReasonApiTests(AzuriteFixture azurite)
{
    private ReimburseApp NewApp() => new(azurite, WorkflowTestKit.AppSettings(1), WorkflowTestKit.UseRecordingChannel);

    [Fact]
    public async Task ReasonCodes_Listed_AllSevenWithEnglishAndChinese()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);

        var items = (await wong.GetFromJsonAsync<JsonElement>("/api/reason-codes", ct)).GetProperty("items").EnumerateArray().ToList();

        Assert.Equal(["duplicate", "over-policy-limit", "personal-expense", "vendor-not-allowed", "receipt-missing-or-altered", "suspicious-pattern", "other"],
            items.Select(i => i.GetProperty("code").GetString()));
        Assert.Equal("重複申請", items[0].GetProperty("chinese").GetString());
        Assert.All(items, i => Assert.False(string.IsNullOrWhiteSpace(i.GetProperty("english").GetString())));
    }

    [Fact]
    public async Task Reject_WithoutOrWithUnknownReasonCode_Returns400AndClaimStaysPending()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 268.50m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        var missing = await WorkflowTestKit.DecideAsync(wong, id, "reject", "Not a client meeting", cancellationToken: ct);
        var unknown = await WorkflowTestKit.DecideWithReasonAsync(wong, id, "return", "Fix it", "fraud", cancellationToken: ct);
        var onApprove = await wong.PostAsJsonAsync($"/api/claims/{id}/decisions", new { decision = "approve", reasonCode = "duplicate" }, ct);

        foreach (var response in new[] { missing, unknown, onApprove })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty("reasonCode", out _));
        }
        Assert.Contains("duplicate, over-policy-limit", (await missing.Content.ReadAsStringAsync(ct)));
        var workflow = await wong.GetFromJsonAsync<JsonElement>($"/api/claims/{id}/workflow", ct);
        Assert.Equal("pending", workflow.Status());
        Assert.Equal(["mgr-wong"], workflow.Waiting());
    }

    [Fact]
    public async Task Reject_WithReasonCode_StoredInHistoryAuditAndClaimView()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 268.50m, cancellationToken: ct);
        await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        var response = await WorkflowTestKit.DecideWithReasonAsync(wong, id, "reject", "Same receipt as last week", "duplicate", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "rejected", ct);
        var entry = workflow.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("action").GetString() == "claim.rejected");
        Assert.Equal("duplicate", entry.GetProperty("reasonCode").GetString());
        var claim = await chan.WaitForStatusAsync(id, "Rejected", ct);
        var reason = claim.GetProperty("decisionReason");
        Assert.Equal("duplicate", reason.GetProperty("code").GetString());
        Assert.Equal("Duplicate claim", reason.GetProperty("english").GetString());
        Assert.Equal("重複申請", reason.GetProperty("chinese").GetString());
        Assert.Equal("Same receipt as last week", reason.GetProperty("comment").GetString());
        Assert.Equal("mgr-wong", reason.GetProperty("by").GetString());
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);
        var audited = Assert.Single(chain, e => e.Action == "claim.rejected");
        Assert.Equal("duplicate", JsonDocument.Parse(audited.Details).RootElement.GetProperty("reasonCode").GetString());
    }

    [Fact]
    public async Task OneClickReject_ReasonFromTheForm_RecordedUnknownRefusedMissingIsOther()
    {
        var ct = TestTimeout.Token();
        await using var app = NewApp();
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var (id, path) = await WorkflowApiTests.SubmitForLinkAsync(app, chan, 182m, "Reject", ct);
        var browser = app.CreateClient();
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        var page = await (await browser.GetAsync(path, ct)).Content.ReadAsStringAsync(ct);
        var unknown = await browser.PostAsync(path, new FormUrlEncodedContent([new("reasonCode", "fraud"), new("comment", "x")]), ct);
        var decided = await browser.PostAsync(path, new FormUrlEncodedContent([new("reasonCode", "personal-expense"), new("comment", "Family dinner")]), ct);

        Assert.Contains("<option value=\"personal-expense\">Personal expense / 私人開支</option>", page);
        Assert.Contains("<option value=\"other\" selected>", page);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "rejected", ct);
        Assert.Equal("personal-expense", workflow.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("action").GetString() == "claim.rejected").GetProperty("reasonCode").GetString());

        var (second, secondPath) = await WorkflowApiTests.SubmitForLinkAsync(app, chan, 183m, "Reject", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.PostAsync(secondPath, new FormUrlEncodedContent([]), ct)).StatusCode);
        var other = await WorkflowTestKit.WaitForWorkflowAsync(chan, second, w => w.Status() == "rejected", ct);
        Assert.Equal("other", other.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("action").GetString() == "claim.rejected").GetProperty("reasonCode").GetString());
    }
}
