using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Audit;

[Collection(AzuriteCollection.Name)]
public sealed class AuditTamperTests(AzuriteFixture azurite)
{
    private static async Task<(ReimburseApp App, HttpClient Auditor, string ClaimId)> StartAsync(AzuriteFixture azurite, CancellationToken ct, int entries = 4)
    {
        var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-chan", "sales", entries, ct);
        var owner = await app.ClientForAsync("emp-chan", ct);
        (await owner.GetAsync($"/api/claims/{claim.Id}", ct)).EnsureSuccessStatusCode();   // an access-log entry too
        return (app, await app.ClientForAsync("aud-yip", ct), claim.Id);
    }

    private static TableClient Claims(ReimburseApp app) => app.AuditStorage().Claims;

    private static void AssertBroken(JsonElement result, string chainId, long sequence, string reasonPart)
    {
        Assert.False(result.GetProperty("ok").GetBoolean(), result.ToString());
        var broken = result.GetProperty("firstBroken");
        Assert.Equal(chainId, broken.GetProperty("chainId").GetString());
        Assert.Equal(sequence, broken.GetProperty("sequence").GetInt64());
        Assert.Contains(reasonPart, broken.GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Verify_UntouchedLog_IsOkAndCountsEveryEntry()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, _) = await StartAsync(azurite, ct);
        await using var _app = app;

        var result = await auditor.VerifyAsync(ct);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("firstBroken").ValueKind);
        Assert.True(result.GetProperty("checked").GetInt64() >= 5, result.ToString());   // 4 chain entries + at least one read
    }

    [Fact]
    public async Task Verify_EntryAmountEditedInTable_NamesThatEntry()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, id) = await StartAsync(azurite, ct);
        await using var _app = app;
        var row = (await Claims(app).GetEntityAsync<TableEntity>(id, ClaimStore.AuditRowKey(2), cancellationToken: ct)).Value;
        row["Details"] = ((string)row["Details"]!).Replace("268.50", "2268.50");
        await Claims(app).UpsertEntityAsync(row, TableUpdateMode.Replace, ct);

        AssertBroken(await auditor.VerifyAsync(ct), id, 2, "edited");
    }

    [Fact]
    public async Task Verify_EntryDeleted_NamesTheMissingEntry()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, id) = await StartAsync(azurite, ct);
        await using var _app = app;
        await Claims(app).DeleteEntityAsync(id, ClaimStore.AuditRowKey(2), cancellationToken: ct);

        AssertBroken(await auditor.VerifyAsync(ct), id, 2, "deleted");
    }

    [Fact]
    public async Task Verify_TwoEntriesSwapped_NamesTheFirstOfThem()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, id) = await StartAsync(azurite, ct);
        await using var _app = app;
        var a = (await Claims(app).GetEntityAsync<TableEntity>(id, ClaimStore.AuditRowKey(2), cancellationToken: ct)).Value;
        var b = (await Claims(app).GetEntityAsync<TableEntity>(id, ClaimStore.AuditRowKey(3), cancellationToken: ct)).Value;
        (a.RowKey, b.RowKey) = (b.RowKey, a.RowKey);
        await Claims(app).UpsertEntityAsync(a, TableUpdateMode.Replace, ct);
        await Claims(app).UpsertEntityAsync(b, TableUpdateMode.Replace, ct);

        AssertBroken(await auditor.VerifyAsync(ct), id, 2, "swapped");
    }

    [Fact]
    public async Task Verify_TailTruncated_NamesTheFirstMissingEntry()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, id) = await StartAsync(azurite, ct);
        await using var _app = app;
        await Claims(app).DeleteEntityAsync(id, ClaimStore.AuditRowKey(4), cancellationToken: ct);

        AssertBroken(await auditor.VerifyAsync(ct), id, 4, "tail");
    }

    [Fact]
    public async Task Verify_TailTruncatedAndHeadForged_IsCaughtByTheDigest()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, id) = await StartAsync(azurite, ct);
        await using var _app = app;
        await app.Services.GetRequiredService<AuditDigester>().WriteAsync(DateOnly.FromDateTime(DateTime.UtcNow), DateTimeOffset.UtcNow, ct);
        var third = (await Claims(app).GetEntityAsync<TableEntity>(id, ClaimStore.AuditRowKey(3), cancellationToken: ct)).Value;
        var claimRow = (await Claims(app).GetEntityAsync<TableEntity>(id, ClaimStore.ClaimRowKey, cancellationToken: ct)).Value;
        claimRow["AuditSeq"] = 3L;
        claimRow["AuditHead"] = third["Hash"];
        await Claims(app).UpsertEntityAsync(claimRow, TableUpdateMode.Replace, ct);
        await Claims(app).DeleteEntityAsync(id, ClaimStore.AuditRowKey(4), cancellationToken: ct);

        var result = await auditor.VerifyAsync(ct);

        AssertBroken(result, id, 4, "missing");
        Assert.Equal("digest", result.GetProperty("firstBroken").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Verify_DigestBlobEdited_NamesTheDigest()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, _) = await StartAsync(azurite, ct);
        await using var _app = app;
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        await app.Services.GetRequiredService<AuditDigester>().WriteAsync(day, DateTimeOffset.UtcNow, ct);
        Assert.True((await auditor.VerifyAsync(ct)).GetProperty("ok").GetBoolean());
        var anchors = app.AuditStorage().Anchors;
        var blob = JsonNode.Parse(((await anchors.GetBlobClient(AuditDigester.BlobName(day)).DownloadContentAsync(ct)).Value).Content.ToString())!;
        blob["heads"]![0]!["hash"] = new string('a', 64);
        await anchors.GetBlobClient(AuditDigester.BlobName(day)).UploadAsync(BinaryData.FromString(blob.ToJsonString()), overwrite: true, cancellationToken: ct);

        var result = await auditor.VerifyAsync(ct);

        Assert.False(result.GetProperty("ok").GetBoolean());
        var broken = result.GetProperty("firstBroken");
        Assert.Equal("digest", broken.GetProperty("kind").GetString());
        Assert.Equal(day.ToString("yyyy-MM-dd"), broken.GetProperty("day").GetString());
        Assert.Contains("Merkle root", broken.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Verify_AccessLogEntryEdited_NamesThatEntry()
    {
        var ct = TestTimeout.Token();
        var (app, auditor, _) = await StartAsync(azurite, ct);
        await using var _app = app;
        var log = app.AuditStorage().AccessLog;
        TableEntity? first = null;
        await foreach (var e in log.QueryAsync<TableEntity>($"RowKey eq '{ClaimStore.AuditRowKey(1)}'", cancellationToken: ct))
        {
            first = e;
            break;
        }
        Assert.NotNull(first);
        first["ActorId"] = "someone-else";
        await log.UpsertEntityAsync(first, TableUpdateMode.Replace, ct);

        AssertBroken(await auditor.VerifyAsync(ct), first.PartitionKey, 1, "edited");
    }
}
