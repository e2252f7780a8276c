using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests.Storage;

/// <summary>The checks Azure makes and Azurite does not (architecture §7), and the conditional-write semantics the
/// features rely on, against Azurite through the app's own SDK clients.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageRulesTests(AzuriteFixture azurite)
{
    private readonly CancellationToken _ct = TestTimeout.Token();

    private ReimburseStorage NewStorage(StorageRequestCounter? counter = null) =>
        ReimburseStorage.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, ResourcePrefix = AzuriteInstance.UniqueName("s")[..12] }, counter);

    private async Task<TableClient> NewTableAsync(ReimburseStorage? storage = null)
    {
        var table = (storage ?? NewStorage()).Table("rules");
        await table.CreateIfNotExistsAsync(_ct);
        return table;
    }

    private async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = NewStorage().Container("rules");
        await container.CreateIfNotExistsAsync(cancellationToken: _ct);
        return container;
    }

    private async Task<List<TableEntity>> AllAsync(TableClient table) => await table.QueryAsync<TableEntity>(cancellationToken: _ct).ToListAsync(_ct);

    [Fact]
    public async Task AddEntityAsync_Existing_Throws409()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r"), _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(new TableEntity("p", "r"), _ct));

        Assert.Equal(409, ex.Status);
    }

    [Fact]
    public async Task UpdateEntityAsync_StaleETag_Throws412AndKeepsTheNewerRow()
    {
        var table = await NewTableAsync();
        var stale = (await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 }, _ct)).Headers.ETag!.Value;
        await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, stale, TableUpdateMode.Replace, _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 3 }, stale, TableUpdateMode.Replace, _ct));

        Assert.Equal(412, ex.Status);
        Assert.Equal(2, (await table.GetEntityAsync<TableEntity>("p", "r", cancellationToken: _ct)).Value.GetInt32("V"));
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_StaleIfMatch_Fails412WithNothingApplied()
    {
        var table = await NewTableAsync();
        var stale = (await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 }, _ct)).Headers.ETag!.Value;
        await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, stale, TableUpdateMode.Replace, _ct);

        var ex = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitCheckedTransactionAsync([
            new(TableTransactionActionType.Add, new TableEntity("p", "other")),
            new(TableTransactionActionType.UpdateReplace, new TableEntity("p", "r") { ["V"] = 3 }, stale),
        ], _ct));

        Assert.Equal(412, ex.Status);
        Assert.Equal(1, ex.FailedTransactionActionIndex);
        var only = Assert.Single(await AllAsync(table));
        Assert.Equal(2, only.GetInt32("V"));
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_HundredActions_Commits()
    {
        var table = await NewTableAsync();

        await table.SubmitCheckedTransactionAsync(Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", $"r{i:D3}"))), _ct);

        Assert.Equal(100, (await AllAsync(table)).Count);
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_101Actions_ThrowsBeforeSending()
    {
        var counter = new StorageRequestCounter();
        var table = await NewTableAsync(NewStorage(counter));
        counter.Reset();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitCheckedTransactionAsync(
            Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", $"r{i:D3}"))), _ct));

        Assert.Contains("at most 100", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, counter.Count);
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_TwoPartitions_ThrowsArgumentException()
    {
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitCheckedTransactionAsync([
            new(TableTransactionActionType.Add, new TableEntity("a", "r")),
            new(TableTransactionActionType.Add, new TableEntity("b", "r")),
        ], _ct));

        Assert.Contains("one partition", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await AllAsync(table));
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_SameRowTwice_ThrowsArgumentException()
    {
        var table = await NewTableAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitCheckedTransactionAsync([
            new(TableTransactionActionType.UpsertMerge, new TableEntity("p", "r")),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("p", "r")),
        ], _ct));
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_Empty_ThrowsArgumentException()
    {
        var table = await NewTableAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitCheckedTransactionAsync([], _ct));
    }

    [Fact]
    public async Task SubmitCheckedTransactionAsync_DecimalProperty_ThrowsArgumentExceptionNamingIt()
    {
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitCheckedTransactionAsync([
            new(TableTransactionActionType.Add, new TableEntity("p", "r") { ["Amount"] = 12.50m }),
        ], _ct));

        Assert.Contains("'Amount'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await AllAsync(table));
    }

    [Fact]
    public void ThrowIfDecimal_TypedEntityWithDecimal_Throws() =>
        Assert.Throws<ArgumentException>(() => StorageRules.ThrowIfDecimal(new MoneyRow { PartitionKey = "p", RowKey = "r", Amount = 1m }));

    [Fact]
    public void ThrowIfDecimal_MoneyAsStringOrCents_Passes() =>
        StorageRules.ThrowIfDecimal(new TableEntity("p", "r") { ["Amount"] = "12.50", ["AmountCents"] = 1250L });

    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("\u5348\u9910")]
    [InlineData(" padded")]
    public async Task UploadAsync_NonAsciiOrUnsafeMetadataValue_ThrowsArgumentExceptionAndStoresNothing(string value)
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("m.txt");

        await Assert.ThrowsAsync<ArgumentException>(() => blob.UploadAsync(BinaryData.FromString("x"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["reason"] = value } }, _ct));

        Assert.False(await blob.ExistsAsync(_ct));
    }

    [Fact]
    public async Task UploadAsync_MetadataNameNotIdentifier_ThrowsArgumentException()
    {
        var container = await NewContainerAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => container.GetBlobClient("m.txt").UploadAsync(BinaryData.FromString("x"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["bad-name"] = "ok" } }, _ct));
    }

    [Fact]
    public async Task UploadAsync_AsciiMetadata_RoundTrips()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("m.txt");

        await blob.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["reason"] = "file-too-large", ["originalsize"] = "42" } }, _ct);

        var metadata = (await blob.GetPropertiesAsync(cancellationToken: _ct)).Value.Metadata;
        Assert.Equal("file-too-large", metadata["reason"]);
        Assert.Equal("42", metadata["originalsize"]);
    }

    [Fact]
    public async Task UploadAsync_IfNoneMatchOnExisting_Throws409()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("once.txt");
        var createOnly = new BlobUploadOptions { Conditions = new() { IfNoneMatch = ETag.All } };
        await blob.UploadAsync(BinaryData.FromString("first"), createOnly, _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("second"), createOnly, _ct));

        Assert.Equal(409, ex.Status);
        Assert.Equal("first", (await blob.DownloadContentAsync(_ct)).Value.Content.ToString());
    }

    [Fact]
    public async Task UploadAsync_StaleIfMatch_Throws412()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("pointer.json");
        var stale = (await blob.UploadAsync(BinaryData.FromString("1"), overwrite: true, _ct)).Value.ETag;
        await blob.UploadAsync(BinaryData.FromString("2"), overwrite: true, _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("3"), new BlobUploadOptions { Conditions = new() { IfMatch = stale } }, _ct));

        Assert.Equal(412, ex.Status);
    }

    [Fact]
    public async Task SendMessageAsync_JsonWithChineseText_IsBase64OnTheWireAndRoundTrips()
    {
        var storage = NewStorage();
        var queue = storage.Queue("rules");
        await queue.CreateIfNotExistsAsync(cancellationToken: _ct);
        const string text = "{\"claimId\":\"c-1\",\"merchant\":\"\u7fe0\u83ef <&>\"}";

        await queue.SendMessageAsync(text, cancellationToken: _ct);

        // The Functions queue trigger expects Base64 (host.json messageEncoding): read the raw text with a plain client.
        var raw = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, queue.Name);
        var peeked = Assert.Single((await raw.PeekMessagesAsync(1, _ct)).Value);
        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)), peeked.Body.ToString());
        var received = Assert.Single((await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30), _ct)).Value);
        Assert.Equal(text, received.Body.ToString());
    }

    [Fact]
    public async Task Counter_EveryRequestOfEveryClient_IsCounted()
    {
        var counter = new StorageRequestCounter();
        var storage = NewStorage(counter);
        var table = await NewTableAsync(storage);
        var container = storage.Container("rules");
        await container.CreateIfNotExistsAsync(cancellationToken: _ct);
        counter.Reset();

        await table.UpsertEntityAsync(new TableEntity("p", "r"), TableUpdateMode.Replace, _ct);
        await container.GetBlobClient("b").UploadAsync(BinaryData.FromString("x"), overwrite: true, _ct);
        await storage.Queue("rulesq").CreateIfNotExistsAsync(cancellationToken: _ct);

        Assert.Equal(3, counter.Count);
    }

    [Fact]
    public async Task UpsertAsync_ConcurrentCallersOneSharedPartition_GroupCommitsInFewRequests()
    {
        var counter = new StorageRequestCounter();
        var table = await NewTableAsync(NewStorage(counter));
        counter.Reset();
        await using var batcher = new TableUpsertBatcher(TimeSpan.FromMilliseconds(50));

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            batcher.UpsertAsync(table, [new TableEntity("shared", $"r{i:D3}") { ["V"] = i }, new TableEntity($"own-{i}", "r") { ["V"] = i }], _ct)));

        Assert.Equal(80, (await AllAsync(table)).Count);
        // 40 "own" partitions need a request each (the scan above is one more); the shared partition's 40 rows go in one
        // batch (two at most, if the callers straddled a round) instead of 40.
        Assert.InRange(counter.Count, 42, 45);
    }

    [Fact]
    public async Task UpsertAsync_SameRowTwiceInARound_StoresTheLastWrite()
    {
        var table = await NewTableAsync();
        await using var batcher = new TableUpsertBatcher(TimeSpan.FromMilliseconds(50));

        await Task.WhenAll(
            batcher.UpsertAsync(table, [new TableEntity("p", "r") { ["V"] = 1 }], _ct),
            batcher.UpsertAsync(table, [new TableEntity("p", "r") { ["V"] = 2 }, new TableEntity("p", "s") { ["V"] = 3 }], _ct));

        var rows = await AllAsync(table);
        Assert.Equal(2, rows.Count);
        Assert.Equal(2, rows.Single(r => r.RowKey == "r").GetInt32("V"));
    }

    [Fact]
    public async Task UpsertAsync_TableMissing_FailsThatCallerOnly()
    {
        var storage = NewStorage();
        var table = await NewTableAsync(storage);
        var missing = storage.Table("gone");
        await using var batcher = new TableUpsertBatcher(TimeSpan.FromMilliseconds(50));

        var bad = batcher.UpsertAsync(missing, [new TableEntity("p", "r")], _ct);
        var good = batcher.UpsertAsync(table, [new TableEntity("p", "r")], _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => bad);
        Assert.Equal(404, ex.Status);
        await good;
        Assert.Single(await AllAsync(table));
    }

    private sealed class MoneyRow : ITableEntity
    {
        public string PartitionKey { get; set; } = "";
        public string RowKey { get; set; } = "";
        public DateTimeOffset? Timestamp { get; set; }
        public ETag ETag { get; set; }
        public decimal Amount { get; set; }
    }
}
