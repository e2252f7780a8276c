using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Exports;

/// <summary>Approved claims as the workflow leaves them: the claim row (status Approved) and its ledger row.</summary>
public static class ExportTestKit
{
    public static async Task<Claim> SeedApprovedAsync(this ReimburseApp app, string owner, string department, CancellationToken ct,
        decimal amount = 268.50m, string currency = "HKD", string category = "meals", string merchant = "翠華餐廳 Tsui Wah", bool receipt = false,
        DateTimeOffset? approvedAt = null)
    {
        var store = app.Services.GetRequiredService<ClaimStore>();
        var approved = approvedAt ?? DateTimeOffset.UtcNow;
        IReadOnlyList<ReceiptRef> receipts = receipt
            ? [await app.Services.GetRequiredService<ReceiptStore>().PutAsync(TestFiles.Png((byte)Random.Shared.Next(256)), ReceiptFileType.Png, "收據.png", ct)]
            : [];
        var claim = new Claim(ClaimIds.New(approved), "harbour", owner, department, owner, ClaimSource.Api, ClaimStatus.Approved,
            new ClaimFields(category, amount, currency, DateOnly.FromDateTime(approved.UtcDateTime.AddDays(-2)), merchant, "午餐 lunch", null, null),
            receipts, approved, approved, approved);
        await store.CreateAsync(claim, null, new AuditDraft("claim.approved", "mgr-wong", "approver", "127.0.0.1", "{}"), ct);
        await app.Storage.Ledger.AddEntityAsync(new TableEntity(approved.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture), claim.Id + ":v1:e0")
        {
            ["ClaimId"] = claim.Id,
            ["ClaimantId"] = owner,
            ["Amount"] = amount.ToString(CultureInfo.InvariantCulture),
            ["Currency"] = currency,
            ["ApprovedAt"] = approved.UtcDateTime,
            ["Department"] = department,
            ["Category"] = category,
        }, ct);
        return claim;
    }

    public static string Today => DateTime.UtcNow.AddHours(8).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static object Request(string target, string? department = null) => new { target, from = Today, to = Today, department };

    public static async Task<JsonElement> WaitForExportAsync(this HttpClient client, string id, CancellationToken ct)
    {
        JsonElement last = default;
        while (!ct.IsCancellationRequested)
        {
            var r = await client.GetAsync($"/api/exports/{id}", ct);
            last = await r.JsonAsync(ct);
            if (last.GetProperty("status").GetString() is "completed" or "completed-with-failures") return last;
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"Export {id} did not finish; last seen {last}");
    }
}
