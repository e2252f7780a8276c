using Azure;
using Azure.Core;
using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class TableUpsertBatcherTests(AzuriteFixture azurite)
{
    private readonly CancellationToken _ct = TestTimeout.Token();

    private async Task<(TableClient Client, StorageRequestCounter Counter)> NewTableAsync()
    {
        var counter = new StorageRequestCounter();
        var options = new StorageClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"), options);
        await client.CreateIfNotExistsAsync(_ct);
        counter.Reset();
        return (client, counter);
    }

    private static async Task<List<TableEntity>> AllAsync(TableClient client, CancellationToken ct)
    {
        var all = new List<TableEntity>();
        await foreach (var e in client.QueryAsync(cancellationToken: ct))
        {
            all.Add(e);
        }
        return all;
    }

    [Fact]
    public async Task UpsertAsync_ConcurrentCallersOneSharedPartition_GroupCommitsInFewRequests()
    {
        var (client, counter) = await NewTableAsync();
        await using var batcher = new TableUpsertBatcher(TimeSpan.FromMilliseconds(50));

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            batcher.UpsertAsync(client, [new TableEntity("shared", $"r{i:D3}") { ["V"] = i }, new TableEntity($"own-{i}", "r") { ["V"] = i }], _ct)));

        var rows = await AllAsync(client, _ct);
        Assert.Equal(80, rows.Count);
        // 40 "own" partitions need a request each; the shared partition's 40 rows go in one batch (two at most, if the
        // callers straddled a round) instead of 40.
        Assert.InRange(counter.Count, 41, 44);
    }

    [Fact]
    public async Task UpsertAsync_SameRowTwiceInARound_StoresTheLastWrite()
    {
        var (client, _) = await NewTableAsync();
        await using var batcher = new TableUpsertBatcher(TimeSpan.FromMilliseconds(50));

        await Task.WhenAll(
            batcher.UpsertAsync(client, [new TableEntity("p", "r") { ["V"] = 1 }], _ct),
            batcher.UpsertAsync(client, [new TableEntity("p", "r") { ["V"] = 2 }, new TableEntity("p", "s") { ["V"] = 3 }], _ct));

        var rows = await AllAsync(client, _ct);
        Assert.Equal(2, rows.Count);
        Assert.Equal(2, rows.Single(r => r.RowKey == "r").GetInt32("V"));
    }

    [Fact]
    public async Task UpsertAsync_TableMissing_FailsThatCallerOnly()
    {
        var (client, _) = await NewTableAsync();
        var missing = new TableClient(azurite.Account, AzuriteInstance.UniqueName("gone"));
        await using var batcher = new TableUpsertBatcher(TimeSpan.FromMilliseconds(50));

        var bad = batcher.UpsertAsync(missing, [new TableEntity("p", "r")], _ct);
        var good = batcher.UpsertAsync(client, [new TableEntity("p", "r")], _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => bad);
        Assert.Equal(404, ex.Status);
        await good;
        Assert.Single(await AllAsync(client, _ct));
    }
}
