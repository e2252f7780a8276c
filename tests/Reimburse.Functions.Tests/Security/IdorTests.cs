using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Security;

/// <summary>Every object endpoint × every seeded user who may not touch emp-chan's claim: 403/404, nothing of the claim in
/// the body, and a denial in the audit log. Role endpoints (audit, KPIs) × users without the role likewise.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdorTests(AzuriteFixture azurite)
{
    // Not the owner, not up emp-chan's management chain (mgr-wong → head-ho → fin-cheung), not finance, not auditor.
    private static readonly string[] Outsiders = ["emp-lee", "emp-tam", "mgr-lau", "duty-ng", "admin"];

    private static async Task<(string ClaimId, string ReceiptUrl)> SubmitWithReceiptAsync(ReimburseApp app, CancellationToken ct)
    {
        var chan = await app.ClientForAsync("emp-chan", ct);
        var claim = Api.ValidClaim(merchant: "Tsui Wah Restaurant") as object;
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(claim), System.Text.Encoding.UTF8, "application/json"), "claim" } };
        var part = new ByteArrayContent(TestFiles.Png(42));
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(part, "receipts", "secret-lunch.png");
        var response = await chan.PostAsync("/api/claims", form, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync(ct)).GetProperty("id").GetString()!;
        var view = await (await chan.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);
        return (id, view.GetProperty("receipts")[0].GetProperty("url").GetString()!);
    }

    private static void AssertNoClaimData(string body)
    {
        foreach (var secret in new[] { "Tsui Wah", "268.5", "Lunch with supplier", "secret-lunch", "emp-chan", "\"receipts\"" })
        {
            Assert.DoesNotContain(secret, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task ClaimEndpoints_OtherUsersObject_403Or404WithoutDataAndDenialLogged()
    {
        var ct = TestTimeout.Token(90);
        // Working hours on the workflow clock: at night the claim's first approver is the duty supervisor (duty-ng), who
        // may then read it — this test is about outsiders, so it must not depend on the time of day it runs at.
        await using var app = new ReimburseApp(azurite, new Dictionary<string, string?> { ["Reimburse:Workflow:ClockStart"] = Approvals.WorkflowTestKit.TuesdayMorning.ToString("O") });
        await app.StartAsync(ct);
        var (id, receiptUrl) = await SubmitWithReceiptAsync(app, ct);
        var calls = new (string Name, Func<HttpClient, Task<HttpResponseMessage>> Call)[]
        {
            ("GetClaim", c => c.GetAsync($"/api/claims/{id}", ct)),
            ("GetReceipt", c => c.GetAsync(receiptUrl, ct)),
            ("SubmitDraft", c => c.PostAsync($"/api/claims/{id}/submit", null, ct)),
        };

        foreach (var user in Outsiders)
        {
            var client = await app.ClientForAsync(user, ct);
            foreach (var (name, call) in calls)
            {
                var response = await call(client);
                Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{user} {name}: {response.StatusCode}");
                AssertNoClaimData(await response.Content.ReadAsStringAsync(ct));
            }
        }

        var auditor = await app.ClientForAsync("aud-yip", ct);
        foreach (var user in Outsiders)
        {
            var denied = await auditor.AuditItemsAsync($"claimId={id}&actor={user}&outcome=Denied", ct);
            Assert.Equal(calls.Length, denied.Count);
        }
    }

    [Fact]
    public async Task SubmitDraft_AuditorWhoMayReadButNotWrite_403AndDenialLogged()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var (id, _) = await SubmitWithReceiptAsync(app, ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var response = await auditor.PostAsync($"/api/claims/{id}/submit", null, ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        AssertNoClaimData(await response.Content.ReadAsStringAsync(ct));
        var denied = await auditor.AuditItemsAsync($"claimId={id}&actor=aud-yip&outcome=Denied", ct);
        Assert.Equal("claim.submit-draft", Assert.Single(denied).GetProperty("action").GetString());
    }

    [Fact]
    public async Task RoleEndpoints_UsersWithoutTheRole_403AndDenialLogged()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        await SubmitWithReceiptAsync(app, ct);
        var endpoints = new[] { ("/api/audit", "audit.query"), ("/api/audit/verify", "audit.verify"), ("/api/audit/export.csv", "audit.export"), ("/api/kpis", "kpi.read") };
        string[] users = ["emp-chan", "emp-lee", "mgr-wong", "head-ho", "duty-ng", "admin"];
        string[] financeUsers = ["fin-lam", "fin-cheung"];

        foreach (var user in users.Concat(financeUsers))
        {
            var client = await app.ClientForAsync(user, ct);
            foreach (var (url, _) in endpoints)
            {
                var response = await client.GetAsync(url, ct);
                var financeOnKpis = financeUsers.Contains(user) && url == "/api/kpis";
                Assert.Equal(financeOnKpis ? HttpStatusCode.OK : HttpStatusCode.Forbidden, response.StatusCode);
                if (!financeOnKpis) AssertNoClaimData(await response.Content.ReadAsStringAsync(ct));
            }
        }

        var auditor = await app.ClientForAsync("aud-yip", ct);
        foreach (var user in users)
        {
            var denied = await auditor.AuditItemsAsync($"actor={user}&outcome=Denied", ct);
            Assert.Equal(endpoints.Select(e => e.Item2).Order(), denied.Select(d => d.GetProperty("action").GetString()!).Order());
        }
    }

    [Fact]
    public async Task MyDataExport_ReturnsOnlyTheCallersOwnClaims()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var (id, _) = await SubmitWithReceiptAsync(app, ct);

        var lee = await (await (await app.ClientForAsync("emp-lee", ct)).GetAsync("/api/me/export", ct)).Content.ReadAsStringAsync(ct);
        var chan = await (await (await app.ClientForAsync("emp-chan", ct)).GetAsync("/api/me/export", ct)).JsonAsync(ct);

        Assert.DoesNotContain(id, lee);
        Assert.Contains(chan.GetProperty("claims").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }
}
