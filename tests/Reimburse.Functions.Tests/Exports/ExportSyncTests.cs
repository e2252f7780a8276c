using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Exports;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

using Reimburse.Testing.Accounting;

namespace Reimburse.Tests.Exports;

/// <summary>API sync end to end: the app under LocalHost with its Durable Task engine on Azurite, against loopback Xero and
/// QuickBooks servers that check every request against the vendors' published contracts.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ExportSyncTests(AzuriteFixture azurite)
{
    private static async Task ConnectAsync(ReimburseApp app, HttpClient finance, string provider, CancellationToken ct)
    {
        var start = await (await finance.PostAsync($"/api/accounting/{provider}/connect", null, ct)).JsonAsync(ct);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var consent = await browser.GetAsync(start.GetProperty("authorizeUrl").GetString(), ct);
        Assert.Equal(HttpStatusCode.Redirect, consent.StatusCode);
        var callback = await app.CreateClient().GetAsync(consent.Headers.Location!.PathAndQuery, ct);
        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);
    }

    private static Dictionary<string, string?> Fast(Dictionary<string, string?> settings)
    {
        settings["Reimburse:Accounting:RefreshBeforeExpirySeconds"] = "60";
        return settings;
    }

    [Fact]
    public async Task Xero_429Storm500ExpiredTokenAndLostAnswer_EveryClaimPostedOnceWithReceipts()
    {
        var ct = TestTimeout.Token(120);
        await using var xero = await FakeAccounting.StartXeroAsync();
        await using var app = new ReimburseApp(azurite, Fast(xero.Settings("Xero")));
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        await ConnectAsync(app, finance, "xero", ct);
        var claims = new[]
        {
            await app.SeedApprovedAsync("emp-chan", "sales", ct, receipt: true),
            await app.SeedApprovedAsync("emp-lee", "operations", ct, amount: 500m, currency: "CNY", receipt: true),
            await app.SeedApprovedAsync("emp-tam", "sales", ct, amount: 42.5m, category: "transport", receipt: true),
        };
        await finance.PostAsJsonAsync("/api/fx-rates", new { rates = new[] { new { currency = "CNY", date = DateTime.UtcNow.AddDays(-5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), rate = "1.0850", source = "HKMA" } } }, ct);
        xero.Queue(Fault.TooManyRequests, Fault.TooManyRequests, Fault.TooManyRequests, Fault.ServerError, Fault.ExpireToken, Fault.DropAfterAccept);

        var created = await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero"), ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var batch = await finance.WaitForExportAsync((await created.JsonAsync(ct)).GetProperty("id").GetString()!, ct);

        Assert.Empty(xero.ContractErrors);
        Assert.True(batch.GetProperty("status").GetString() == "completed", batch.ToString());
        Assert.Equal(3, xero.Bills.Count);
        Assert.Equal(claims.Select(c => c.Id).Order(), xero.Bills.Select(b => b["InvoiceNumber"]!.GetValue<string>()).Order());
        Assert.All(xero.Bills, b => Assert.Equal("ACCPAY", b["Type"]!.GetValue<string>()));
        var cny = xero.Bills.Single(b => b["CurrencyCode"]!.GetValue<string>() == "CNY");
        Assert.Equal(0.921659m, cny["CurrencyRate"]!.GetValue<decimal>());
        Assert.Equal(3, xero.Attachments.Count);
        Assert.True(xero.Refreshes >= 1, "the expired access token was refreshed");
        Assert.True(xero.Throttled >= 3);
        var remoteIds = batch.GetProperty("claims").EnumerateArray().Select(c => c.GetProperty("remoteId").GetString()).Order().ToList();
        Assert.Equal(xero.Bills.Select(b => b["InvoiceID"]!.GetValue<string>()).Order(), remoteIds);
    }

    [Fact]
    public async Task Xero_CrashAfterRemoteAcceptedBeforeRecorded_RetryPostsNothingTwice()
    {
        var ct = TestTimeout.Token(90);
        await using var xero = await FakeAccounting.StartXeroAsync();
        await using var app = new ReimburseApp(azurite, Fast(xero.Settings("Xero")));
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        await ConnectAsync(app, finance, "xero", ct);
        var claim = await app.SeedApprovedAsync("emp-chan", "sales", ct, receipt: true);
        var batchId = (await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var posted = await finance.WaitForExportAsync(batchId, ct);
        var store = app.Services.GetRequiredService<ExportStore>();

        // The process died after Xero answered and before the result was stored: the row still says queued.
        var row = (await store.Batches.GetEntityAsync<TableEntity>(batchId, ExportStore.ClaimRowKey(claim.Id), cancellationToken: ct)).Value;
        row["Status"] = ExportClaimStatus.Queued;
        row["RemoteId"] = null;
        await store.Batches.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
        var again = await app.Services.GetRequiredService<ExportActivities>().SyncExportClaim(new ExportClaimSync(batchId, claim.Id));

        Assert.Single(xero.Bills);
        Assert.Single(xero.Attachments);
        Assert.Equal(posted.GetProperty("claims")[0].GetProperty("remoteId").GetString(), again);
        Assert.Empty(xero.ContractErrors);
    }

    [Fact]
    public async Task Xero_ConnectionRevoked_ClaimsFailWithReason_ReconnectAndRetryPostsEachOnce()
    {
        var ct = TestTimeout.Token(120);
        await using var xero = await FakeAccounting.StartXeroAsync();
        await using var app = new ReimburseApp(azurite, Fast(xero.Settings("Xero")));
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        await ConnectAsync(app, finance, "xero", ct);
        await app.SeedApprovedAsync("emp-chan", "sales", ct);
        await app.SeedApprovedAsync("emp-lee", "operations", ct);
        xero.RevokeAll();

        var batchId = (await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("xero"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var failed = await finance.WaitForExportAsync(batchId, ct);
        var connections = await (await finance.GetAsync("/api/accounting/connections", ct)).JsonAsync(ct);
        await ConnectAsync(app, finance, "xero", ct);
        var retry = await finance.PostAsync($"/api/exports/{batchId}/retry", null, ct);
        var done = await finance.WaitForExportAsync(batchId, ct);

        Assert.Equal("completed-with-failures", failed.GetProperty("status").GetString());
        Assert.All(failed.GetProperty("claims").EnumerateArray(), c => Assert.Contains("reconnect", c.GetProperty("reason").GetString(), StringComparison.Ordinal));
        Assert.Equal("revoked", connections.GetProperty("items")[0].GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(2, xero.Bills.Count);
        Assert.Empty(xero.ContractErrors);
    }

    [Fact]
    public async Task QuickBooks_BillsAndAttachablesPostedOnce_DespiteFaults()
    {
        var ct = TestTimeout.Token(120);
        await using var qbo = await FakeAccounting.StartQuickBooksAsync();
        await using var app = new ReimburseApp(azurite, Fast(qbo.Settings("QuickBooks")));
        await app.StartAsync(ct);
        var finance = await app.ClientForAsync("fin-lam", ct);
        await ConnectAsync(app, finance, "quickbooks", ct);
        var mapping = await (await finance.GetAsync("/api/export-mappings/quickbooks", ct)).JsonAsync(ct);
        var body = JsonSerializer.Deserialize<Dictionary<string, object>>(mapping.GetRawText())!;
        body["employees"] = new Dictionary<string, string> { ["emp-chan"] = "56", ["emp-lee"] = "57" };
        Assert.Equal(HttpStatusCode.OK, (await finance.PutAsJsonAsync("/api/export-mappings/quickbooks", body, ct)).StatusCode);
        await app.SeedApprovedAsync("emp-chan", "sales", ct, receipt: true);
        await app.SeedApprovedAsync("emp-lee", "operations", ct, receipt: true);
        await app.SeedApprovedAsync("emp-tam", "sales", ct); // no vendor mapped: fails with a reason, the others go on
        qbo.Queue(Fault.TooManyRequests, Fault.ServerError, Fault.ExpireToken, Fault.DropAfterAccept);

        var batchId = (await (await finance.PostAsJsonAsync("/api/exports", ExportTestKit.Request("quickbooks"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var batch = await finance.WaitForExportAsync(batchId, ct);

        Assert.Empty(qbo.ContractErrors);
        Assert.Equal(2, qbo.Bills.Count);
        Assert.Equal(2, qbo.Bills.Select(b => b["DocNumber"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(["56", "57"], qbo.Bills.Select(b => b["VendorRef"]!["value"]!.GetValue<string>()).Order());
        Assert.Equal(2, qbo.Attachments.Count);
        var failed = Assert.Single(batch.GetProperty("claims").EnumerateArray(), c => c.GetProperty("status").GetString() == "failed");
        Assert.Contains("vendor", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
