using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Exports;

[Collection(AzuriteCollection.Name)]
public sealed class ExportApiTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task XeroCsv_FinanceExportsApprovedClaims_FileOpensWithChineseIntact()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var a = await app.SeedApprovedAsync("emp-chan", "sales", ct);
        var b = await app.SeedApprovedAsync("emp-lee", "operations", ct, amount: 88m, category: "transport", merchant: "的士 Taxi");
        await app.SeedClaimAsync("emp-tam", "sales", 1, ct); // submitted, not approved: never exported
        var finance = await app.ClientForAsync("fin-lam", ct);

        var created = await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero-csv"), ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var batch = await created.JsonAsync(ct);
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(2, batch.GetProperty("counts").GetProperty("exported").GetInt32());
        var file = await finance.GetAsync($"/api/exports/{batch.GetProperty("id").GetString()}/file", ct);
        Assert.Equal("text/csv; charset=utf-8", file.Content.Headers.ContentType!.ToString());
        var bytes = await file.Content.ReadAsByteArrayAsync(ct);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("Chan Tai Man (陳大文)", text, StringComparison.Ordinal);
        Assert.Contains("翠華餐廳 Tsui Wah", text, StringComparison.Ordinal);
        Assert.Contains(a.Id, text, StringComparison.Ordinal);
        Assert.Contains(b.Id, text, StringComparison.Ordinal);
        var workbook = await finance.GetAsync($"/api/exports/{batch.GetProperty("id").GetString()}/file?format=xlsx", ct);
        Assert.Equal(HttpStatusCode.OK, workbook.StatusCode);
        using var book = new ClosedXML.Excel.XLWorkbook(await workbook.Content.ReadAsStreamAsync(ct));
        Assert.Equal(268.50m + 88m, book.Worksheet("Bills").Cell(4, 14).GetValue<decimal>());
    }

    [Fact]
    public async Task Export_SecondTimeSameTarget_SkipsExportedClaims_ReexportIsAudited()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedApprovedAsync("emp-chan", "sales", ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        var first = await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("quickbooks-csv"), ct)).JsonAsync(ct);

        var again = await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("quickbooks-csv"), ct)).JsonAsync(ct);
        var otherTarget = await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero-csv"), ct)).JsonAsync(ct);
        var reexport = await finance.PostAsJsonAsync("/api/exports", new
        {
            target = "quickbooks-csv", from = ExportTestKit.Today, to = ExportTestKit.Today, reexport = true, claimIds = new[] { claim.Id }, reason = "QuickBooks import was rolled back",
        }, ct);

        Assert.Equal(1, first.GetProperty("counts").GetProperty("exported").GetInt32());
        Assert.Equal(0, again.GetProperty("counts").GetProperty("claims").GetInt32());
        Assert.Equal(1, again.GetProperty("counts").GetProperty("skipped").GetInt32());
        Assert.Equal(1, otherTarget.GetProperty("counts").GetProperty("exported").GetInt32());
        Assert.Equal(HttpStatusCode.Created, reexport.StatusCode);
        var re = await reexport.JsonAsync(ct);
        Assert.Equal(2, re.GetProperty("claims")[0].GetProperty("generation").GetInt32());
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(claim.Id, ct);
        var audit = Assert.Single(chain, e => e.Action == "claim.reexported");
        Assert.Equal("fin-lam", audit.ActorId);
        Assert.Contains("QuickBooks import was rolled back", audit.Details, StringComparison.Ordinal);
        Assert.Contains(first.GetProperty("id").GetString()!, audit.Details, StringComparison.Ordinal);
        var state = await (await finance.GetAsync($"/api/claims/{claim.Id}/exports", ct)).JsonAsync(ct);
        var targets = state.GetProperty("exports").EnumerateArray().ToDictionary(e => e.GetProperty("target").GetString()!, e => e.GetProperty("batchId").GetString());
        Assert.Equal(re.GetProperty("id").GetString(), targets["quickbooks-csv"]);
        Assert.Equal(otherTarget.GetProperty("id").GetString(), targets["xero-csv"]);
    }

    [Fact]
    public async Task Export_SameIdempotencyKey_ReturnsTheSameBatch()
    {
        var ct = TestTimeout.Token(60);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        await app.SeedApprovedAsync("emp-chan", "sales", ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        finance.DefaultRequestHeaders.Add("Idempotency-Key", "nov-export-1");

        var one = await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero-csv"), ct)).JsonAsync(ct);
        var two = await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero-csv"), ct)).JsonAsync(ct);

        Assert.Equal(one.GetProperty("id").GetString(), two.GetProperty("id").GetString());
        Assert.Equal(1, two.GetProperty("counts").GetProperty("exported").GetInt32());
    }

    [Fact]
    public async Task Export_CnyClaimAndUnmappedCategory_RateRecorded_OnlyThatClaimFails()
    {
        var ct = TestTimeout.Token(60);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        var rateDate = DateTime.UtcNow.AddHours(8).AddDays(-5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var rates = await finance.PostAsync("/api/fx-rates", new StringContent($"currency,date,rate,source\nCNY,{rateDate},1.0850,HKMA\n", Encoding.UTF8, "text/csv"), ct);
        Assert.Equal(HttpStatusCode.OK, rates.StatusCode);
        var cny = await app.SeedApprovedAsync("emp-chan", "sales", ct, amount: 500m, currency: "CNY");
        await app.SeedApprovedAsync("emp-chan", "sales", ct, amount: 120m, category: "misc");
        await app.SeedApprovedAsync("emp-lee", "operations", ct, amount: 90m, currency: "USD");

        var batch = await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero-csv"), ct)).JsonAsync(ct);

        Assert.Equal("completed-with-failures", batch.GetProperty("status").GetString());
        var claims = batch.GetProperty("claims").EnumerateArray().ToList();
        var converted = claims.Single(c => c.GetProperty("claimId").GetString() == cny.Id);
        Assert.Equal(("exported", "CNY", "500", "1.085", "542.50", "HKMA"), (converted.GetProperty("status").GetString(), converted.GetProperty("currency").GetString(),
            converted.GetProperty("amount").GetString(), converted.GetProperty("rate").GetString(), converted.GetProperty("baseAmount").GetString(), converted.GetProperty("rateSource").GetString()));
        var codes = claims.Where(c => c.GetProperty("status").GetString() == "failed").Select(c => c.GetProperty("code").GetString()).Order().ToList();
        Assert.Equal(["no-exchange-rate", "unmapped-category"], codes);
        var csv = Encoding.UTF8.GetString(await finance.GetByteArrayAsync($"/api/exports/{batch.GetProperty("id").GetString()}/file", ct));
        Assert.Contains(",CNY\r\n", csv, StringComparison.Ordinal);
        Assert.Contains("CNY→HKD 1.085 (HKMA", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_EmployeeOrAuditor_403_NothingExported()
    {
        var ct = TestTimeout.Token(60);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        await app.SeedApprovedAsync("emp-chan", "sales", ct);

        foreach (var user in new[] { "emp-chan", "aud-yip", "mgr-wong" })
        {
            var client = await app.ClientForAsync(user, ct);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero-csv"), ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/exports", ct)).StatusCode);
        }
        var admin = await app.ClientForAsync("admin", ct);
        var list = await (await admin.GetAsync("/api/exports", ct)).JsonAsync(ct);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Export_BadRequest_400ListsEveryField()
    {
        var ct = TestTimeout.Token(60);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);

        var response = await finance.PostAsJsonAsync("/api/exports", new { target = "sage", from = "2026-13-01", to = "yesterday", department = "marketing", reexport = true }, ct);
        var malformed = await finance.PostAsync("/api/exports", new StringContent("{\"target\":", Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync(ct)).GetProperty("errors");
        foreach (var field in new[] { "target", "from", "to", "department", "claimIds", "reason" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Mapping_InvalidEntries_400AndNotSaved()
    {
        var ct = TestTimeout.Token(60);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);

        var bad = await finance.PutAsJsonAsync("/api/export-mappings/xero", new { categories = new Dictionary<string, object> { ["caviar"] = new { accountCode = "420", taxType = "NONE" } } }, ct);
        var current = await (await finance.GetAsync("/api/export-mappings/xero", ct)).JsonAsync(ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.JsonAsync(ct)).GetProperty("errors").TryGetProperty("categories.caviar", out _));
        Assert.Equal("420", current.GetProperty("categories").GetProperty("meals").GetProperty("accountCode").GetString());
        Assert.False(current.GetProperty("categories").TryGetProperty("caviar", out _));
    }
}
