using System.Net;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Audit;

[Collection(AzuriteCollection.Name)]
public sealed class AuditQueryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Query_ByClaim_ReturnsChainAndReadsNewestFirst()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-chan", "sales", 3, ct);
        await app.DispatchAsync(claim, ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        (await chan.GetAsync($"/api/claims/{claim.Id}", ct)).EnsureSuccessStatusCode();
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var items = await auditor.AuditItemsAsync($"claimId={claim.Id}", ct);

        Assert.Equal(4, items.Count);
        var times = items.Select(i => i.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);
        Assert.Equal("claim.read", items[0].GetProperty("action").GetString());
        Assert.Equal("emp-chan", items[0].GetProperty("actorId").GetString());
        Assert.Equal("sales", items[0].GetProperty("department").GetString());
        Assert.False(string.IsNullOrEmpty(items[0].GetProperty("sourceIp").GetString()));
    }

    [Fact]
    public async Task Query_ObserverDeliveredTwice_IndexesEachEntryOnce()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-chan", "sales", 2, ct);
        await app.DispatchAsync(claim, ct);
        await app.DispatchAsync(claim, ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var items = await auditor.AuditItemsAsync($"claimId={claim.Id}", ct);

        Assert.Equal([2L, 1L], items.Select(i => i.GetProperty("sequence").GetInt64()));
    }

    [Fact]
    public async Task Query_Paged_ContinuationTokenWalksEveryEntryOnce()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-chan", "sales", 7, ct);
        await app.DispatchAsync(claim, ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var seen = new List<long>();
        string? token = null;
        do
        {
            var page = await (await auditor.GetAsync($"/api/audit?claimId={claim.Id}&pageSize=3" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)), ct)).JsonAsync(ct);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sequence").GetInt64()));
            token = page.GetProperty("continuationToken").GetString();
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i).Reverse(), seen);
    }

    [Fact]
    public async Task Query_BadParameters_400ListingEach()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var response = await auditor.GetAsync("/api/audit?from=yesterday&outcome=Maybe", ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync(ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("from", out _));
        Assert.True(errors.TryGetProperty("outcome", out _));
    }

    [Fact]
    public async Task Query_DetailsWithHkidAndPhone_AreMaskedForTheAuditor()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);
        // The auditor's own query is logged with its filter: put personal numbers in it.
        (await auditor.GetAsync("/api/audit?action=" + Uri.EscapeDataString("A123456(7) 9123 4567"), ct)).EnsureSuccessStatusCode();

        var items = await auditor.AuditItemsAsync("actor=aud-yip&action=audit.query", ct);

        var details = string.Join("\n", items.Select(i => i.GetProperty("details").GetString()));
        Assert.Contains("[HKID A******(*)]", details);
        Assert.DoesNotContain("A123456", details);
        Assert.DoesNotContain("9123 4567", details);
    }

    [Fact]
    public async Task Export_LogInjectionInLoggedText_EachEntryStaysOneCsvRecord()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);
        var evil = "x\r\n2026-01-01,forged,entry\u001b[2J=cmd|' /C calc'!A0";
        (await auditor.GetAsync("/api/audit?actor=" + Uri.EscapeDataString(evil), ct)).EnsureSuccessStatusCode();
        var json = await auditor.AuditItemsAsync("actor=aud-yip", ct);

        var response = await auditor.GetAsync("/api/audit/export.csv?actor=aud-yip", ct);
        var csv = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length - 1 >= json.Count, csv);
        Assert.DoesNotContain('\u001b', csv);
        Assert.DoesNotContain(lines, l => l.StartsWith("2026-01-01,forged", StringComparison.Ordinal));
        Assert.Contains(json, i => JsonDocument.Parse(i.GetProperty("details").GetString()!).RootElement.GetProperty("filter").GetProperty("actor").GetString() == evil);
    }
}
