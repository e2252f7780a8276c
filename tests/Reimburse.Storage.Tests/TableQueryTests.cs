using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class TableQueryTests(AzuriteFixture azurite)
{
    private readonly CancellationToken _ct = TestTimeout.Token();

    private async Task<TableClient> NewTableWithRowsAsync(int perPartition, params string[] partitions)
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await client.CreateIfNotExistsAsync(_ct);
        foreach (var partition in partitions)
        {
            await client.SubmitTransactionAsync(Enumerable.Range(0, perPartition).Select(i =>
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, $"r{i:D2}") { ["I"] = i, ["Label"] = $"{partition}-{i}" })), _ct);
        }
        return client;
    }

    [Fact]
    public async Task QueryPageAsync_Top_PagesThroughEveryRowOnceWithContinuation()
    {
        var client = await NewTableWithRowsAsync(5, "a", "b");
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await client.QueryPageAsync(top: 3, continuationToken: token, cancellationToken: _ct);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(e => $"{e.PartitionKey}/{e.RowKey}"));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(10, seen.Count);
        Assert.Equal(seen.Distinct().Order(StringComparer.Ordinal), seen);
        Assert.True(pages >= 4, $"expected at least 4 pages, got {pages}");
    }

    [Fact]
    public async Task QueryPageAsync_FilterAndSelect_ReturnsMatchingRowsWithSelectedProperties()
    {
        var client = await NewTableWithRowsAsync(6, "a", "b");

        var page = await client.QueryPageAsync(TableFilter.RowKeyRange("b", "r02", "r05"), select: ["I"], cancellationToken: _ct);

        Assert.Null(page.ContinuationToken);
        Assert.Equal(["r02", "r03", "r04"], page.Items.Select(e => e.RowKey));
        Assert.Equal([2, 3, 4], page.Items.Select(e => e.GetInt32("I")!.Value));
        Assert.All(page.Items, e => Assert.False(e.ContainsKey("Label")));
    }

    [Fact]
    public async Task QueryAsync_PageSize_FollowsContinuationsToTheEnd()
    {
        var client = await NewTableWithRowsAsync(7, "a", "b");
        var rows = new List<TableEntity>();

        await foreach (var e in client.QueryAsync(TableFilter.PartitionEquals("b"), pageSize: 2, cancellationToken: _ct))
        {
            rows.Add(e);
        }

        Assert.Equal(7, rows.Count);
        Assert.All(rows, e => Assert.Equal("b", e.PartitionKey));
        Assert.All(rows, e => Assert.NotEqual(default, e.ETag));
        Assert.All(rows, e => Assert.NotNull(e.Timestamp));
    }

    [Fact]
    public async Task QueryAsync_QuoteInFilterValue_IsEscaped()
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await client.CreateIfNotExistsAsync(_ct);
        await client.AddEntityAsync(new TableEntity("O'Brien", "1"), _ct);
        await client.AddEntityAsync(new TableEntity("OBrien", "1"), _ct);

        var rows = new List<TableEntity>();
        await foreach (var e in client.QueryAsync(TableFilter.PartitionEquals("O'Brien"), cancellationToken: _ct))
        {
            rows.Add(e);
        }

        Assert.Equal("O'Brien", Assert.Single(rows).PartitionKey);
    }

    [Fact]
    public async Task QueryPageAsync_GarbageToken_ThrowsArgumentException()
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.QueryPageAsync(continuationToken: "!!not-a-token!!", cancellationToken: _ct));
    }

    [Theory]
    [InlineData("1!8!cGsx", "1!8!cjA1")]
    [InlineData("1!8!cGsx", null)]
    [InlineData("分區", "列")]
    public void ContinuationToken_RoundTrips(string partitionKey, string? rowKey)
    {
        var token = TableClient.EncodeContinuation(partitionKey, rowKey);
        Assert.Equal((partitionKey, rowKey), TableClient.DecodeContinuation(token));
    }

    [Fact]
    public void ContinuationToken_NoHeaders_IsNull() => Assert.Null(TableClient.EncodeContinuation(null, null));
}
