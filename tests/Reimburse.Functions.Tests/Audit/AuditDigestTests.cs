using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Triggers;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Audit;

[Collection(AzuriteCollection.Name)]
public sealed class AuditDigestTests(AzuriteFixture azurite)
{
    [Fact]
    public void MerkleRoot_OrderOfHeads_DoesNotMatterButContentDoes()
    {
        var a = new DigestHead("claims", "c1", 3, new string('1', 64));
        var b = new DigestHead("access", "acc-1", 9, new string('2', 64));
        var c = new DigestHead("claims", "c2", 1, new string('3', 64));

        Assert.Equal(AuditDigester.MerkleRoot([a, b, c]), AuditDigester.MerkleRoot([c, a, b]));
        Assert.NotEqual(AuditDigester.MerkleRoot([a, b, c]), AuditDigester.MerkleRoot([a, b, c with { Seq = 2 }]));
    }

    [Fact]
    public async Task Timer_AfterDaysWithoutDigest_WritesEachMissedDayLinkedToThePrevious()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-chan", "sales", 2, ct);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var digester = app.Services.GetRequiredService<AuditDigester>();
        await digester.WriteAsync(today.AddDays(-3), DateTimeOffset.UtcNow, ct);
        var timer = app.Services.GetServices<ITimerHandler>().Single(t => t.FunctionName == "AuditDigest");

        await timer.RunAsync(new TimerInvocation(new DateTimeOffset(today.ToDateTime(new TimeOnly(0, 10)), TimeSpan.Zero), false, "t1"), ct);

        var anchors = app.AuditStorage().Anchors;
        foreach (var day in new[] { today.AddDays(-2), today.AddDays(-1) })
        {
            Assert.True(await anchors.GetBlobClient(AuditDigester.BlobName(day)).ExistsAsync(ct), day.ToString());
        }
        var last = JsonSerializer.Deserialize<AuditDigestDocument>(((await anchors.GetBlobClient(AuditDigester.BlobName(today.AddDays(-1))).DownloadContentAsync(ct)).Value).Content.ToArray(), AuditDigester.Json)!;
        Assert.Contains(last.Heads, h => h.ChainId == claim.Id && h.Seq == 2);
        var auditor = await app.ClientForAsync("aud-yip", ct);
        var result = await auditor.VerifyAsync(ct);
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(3, result.GetProperty("digests").GetInt32());
    }
}
