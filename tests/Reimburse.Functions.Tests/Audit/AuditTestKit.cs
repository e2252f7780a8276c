using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Audit;

/// <summary>Shortcuts for audit tests: claims with chains of a known length written through the real claim store.</summary>
public static class AuditTestKit
{
    /// <summary>Writes a claim of <paramref name="owner"/> whose chain has <paramref name="entries"/> entries.</summary>
    public static async Task<Claim> SeedClaimAsync(this ReimburseApp app, string owner, string department, int entries, CancellationToken ct,
        ClaimStatus status = ClaimStatus.Submitted, DateTimeOffset? createdAt = null, string? description = "Lunch with supplier", IReadOnlyList<ReceiptRef>? receipts = null)
    {
        var store = app.Services.GetRequiredService<ClaimStore>();
        var now = createdAt ?? DateTimeOffset.UtcNow;
        var claim = new Claim(ClaimIds.New(DateTimeOffset.UtcNow), "harbour", owner, department, owner, ClaimSource.Api, status,
            new ClaimFields("meals", 268.50m, "HKD", DateOnly.FromDateTime(now.UtcDateTime), "Tsui Wah Restaurant", description, null, null),
            receipts ?? [], now, now, now);
        await store.CreateAsync(claim, null, new AuditDraft("claim.submitted", owner, "employee", "127.0.0.1", JsonSerializer.Serialize(new { amount = "HKD 268.50" })), ct);
        for (var i = 2; i <= entries; i++)
        {
            var step = i;
            await store.ChangeAsync(claim.Id, current => (new ClaimChange(current.Claim, new AuditDraft("step.approved", "mgr-wong", "approver", "127.0.0.1",
                JsonSerializer.Serialize(new { step, amount = "HKD 268.50" }))), null), ct);
        }
        await app.Services.GetRequiredService<ClaimIndex>().UpsertAsync(claim, ct);
        return claim;
    }

    /// <summary>Plays the workflow runtime's post-commit dispatcher: hands the claim's chain to every observer.</summary>
    public static async Task DispatchAsync(this ReimburseApp app, Claim claim, CancellationToken ct)
    {
        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(claim.Id, ct);
        foreach (var o in app.Services.GetServices<IAuditEntryObserver>())
        {
            await o.OnCommittedAsync(claim, chain, ct);
        }
    }

    public static async Task<JsonElement> VerifyAsync(this HttpClient auditor, CancellationToken ct, string query = "")
    {
        var r = await auditor.GetAsync("/api/audit/verify" + query, ct);
        r.EnsureSuccessStatusCode();
        return await r.JsonAsync(ct);
    }

    public static async Task<List<JsonElement>> AuditItemsAsync(this HttpClient auditor, string query, CancellationToken ct)
    {
        var r = await auditor.GetAsync("/api/audit?pageSize=1000&" + query, ct);
        r.EnsureSuccessStatusCode();
        return (await r.JsonAsync(ct)).GetProperty("items").EnumerateArray().ToList();
    }

    public static AuditStorage AuditStorage(this ReimburseApp app) => app.Services.GetRequiredService<AuditStorage>();

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body, CancellationToken ct) => client.PostAsJsonAsync(url, body, ct);
}
