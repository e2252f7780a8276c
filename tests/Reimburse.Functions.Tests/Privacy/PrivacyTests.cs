using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Privacy;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Privacy;

[Collection(AzuriteCollection.Name)]
public sealed class PrivacyTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Pics_Anonymous_ReturnsEnglishAndTraditionalChinese()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);

        var response = await client.GetAsync("/api/meta/pics", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync(ct);
        Assert.Contains("Personal Information Collection Statement", body.GetProperty("en").GetProperty("title").GetString());
        Assert.Contains("個人資料", body.GetProperty("zhHant").GetProperty("title").GetString());
    }

    [Fact]
    public async Task MyDataExport_Employee_GetsProfileClaimsReceiptsAndOwnAuditEntries()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = (await (await chan.PostJsonAsync("/api/claims", Api.ValidClaim(), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        (await chan.GetAsync($"/api/claims/{id}", ct)).EnsureSuccessStatusCode();

        var export = await (await chan.GetAsync("/api/me/export", ct)).JsonAsync(ct);

        Assert.Equal("tm.chan@harbour.example", export.GetProperty("profile").GetProperty("email").GetString());
        Assert.Equal(id, Assert.Single(export.GetProperty("claims").EnumerateArray()).GetProperty("id").GetString());
        var actions = export.GetProperty("auditEntries").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("claim.read", actions);
        Assert.All(export.GetProperty("auditEntries").EnumerateArray(), e => Assert.Equal("emp-chan", e.GetProperty("actorId").GetString()));
    }

    [Fact]
    public async Task Retention_ClaimOlderThanSevenYears_PersonalDataPurgedAndLoggedYoungerKept()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var receipt = ReceiptRef.Create(new string('b', 64), "image/png", 10, "old.png");
        await app.Storage.Receipts.GetBlobClient(receipt.Sha256).UploadAsync(BinaryData.FromBytes(TestFiles.Png(3)), overwrite: true, cancellationToken: ct);
        var old = await app.SeedClaimAsync("emp-chan", "sales", 1, ct, createdAt: now.AddYears(-7).AddDays(-1), description: "Dinner with Mr Wong, HKID A123456(7)", receipts: [receipt]);
        var young = await app.SeedClaimAsync("emp-chan", "sales", 1, ct, createdAt: now.AddYears(-6), description: "Still needed");
        var store = app.Services.GetRequiredService<ClaimStore>();

        var run = await app.Services.GetRequiredService<RetentionJob>().SweepAsync(now, ct);

        // (The daily timer could have run first; what matters is the stored state and the chain.)
        Assert.DoesNotContain(young.Id, run.ClaimIds);
        var purged = (await store.GetAsync(old.Id, ct))!.Claim;
        Assert.Null(purged.Fields.Description);
        Assert.Empty(purged.Receipts);
        Assert.Equal(268.50m, purged.Fields.Amount);
        Assert.False(await app.Storage.Receipts.GetBlobClient(receipt.Sha256).ExistsAsync(ct));
        var last = (await store.ReadAuditAsync(old.Id, ct))[^1];
        Assert.Equal("retention.purged", last.Action);
        Assert.Contains("description", JsonDocument.Parse(last.Details).RootElement.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("Still needed", (await store.GetAsync(young.Id, ct))!.Claim.Fields.Description);
        var auditor = await app.ClientForAsync("aud-yip", ct);
        Assert.True((await auditor.VerifyAsync(ct)).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Retention_SecondRun_PurgesNothingMore()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await app.SeedClaimAsync("emp-chan", "sales", 1, ct, createdAt: now.AddYears(-8));
        var job = app.Services.GetRequiredService<RetentionJob>();
        await job.SweepAsync(now, ct);

        var second = await job.SweepAsync(now, ct);

        Assert.Equal(0, second.ClaimsPurged);
    }
}
