// Public surface of the storage protocol clients. Bodies are filled in by the implementation;
// signatures here are the contract the host codes against.
using Azure;
using Azure.Core;

namespace Reimburse.Storage;

/// <summary>Options shared by the Blob, Queue and Table clients (retries, logging, extra policies).</summary>
public sealed class StorageClientOptions : ClientOptions
{
    /// <summary>x-ms-version sent to Blob and Queue.</summary>
    public string BlobQueueVersion { get; set; } = "2021-12-02";

    /// <summary>x-ms-version sent to Table.</summary>
    public string TableVersion { get; set; } = "2019-02-02";
}

/// <summary>An account's endpoints plus how to authenticate (SharedKey or a TokenCredential).</summary>
public sealed class StorageAccount
{
    public string AccountName => throw new NotImplementedException();
    public Uri BlobEndpoint => throw new NotImplementedException();
    public Uri QueueEndpoint => throw new NotImplementedException();
    public Uri TableEndpoint => throw new NotImplementedException();

    /// <summary>Parses a connection string (AccountName/AccountKey/…Endpoint/DefaultEndpointsProtocol, or UseDevelopmentStorage=true).</summary>
    public static StorageAccount Parse(string connectionString) => throw new NotImplementedException();

    /// <summary>Production: endpoints plus a TokenCredential (scope https://storage.azure.com/.default).</summary>
    public static StorageAccount FromCredential(string accountName, Uri blobEndpoint, Uri queueEndpoint, Uri tableEndpoint, TokenCredential credential) => throw new NotImplementedException();
}

public sealed record BlobUploadOptions
{
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Create only: If-None-Match: *, so an existing blob answers 409.</summary>
    public bool IfNotExists { get; init; }
    public ETag? IfMatch { get; init; }
}

public sealed record BlobProperties(string Name, long ContentLength, string? ContentType, ETag ETag, DateTimeOffset LastModified, IReadOnlyDictionary<string, string> Metadata);

public sealed record BlobDownloadResult(BinaryData Content, BlobProperties Properties);

public sealed record BlobItem(string Name, long ContentLength, string? ContentType, ETag ETag, DateTimeOffset LastModified, IReadOnlyDictionary<string, string> Metadata);

public sealed record BlobPage(IReadOnlyList<BlobItem> Items, string? NextMarker);

/// <summary>One container's blobs.</summary>
public sealed class BlobContainerClient
{
    public BlobContainerClient(StorageAccount account, string containerName, StorageClientOptions? options = null) => throw new NotImplementedException();
    public string Name => throw new NotImplementedException();
    public Uri Uri => throw new NotImplementedException();
    public Task CreateAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Creates the container; swallows 409 only.</summary>
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<BlobProperties> UploadAsync(string blobName, BinaryData content, BlobUploadOptions? options = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<BlobDownloadResult> DownloadAsync(string blobName, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Streams the blob; the caller disposes the stream.</summary>
    public Task<(Stream Content, BlobProperties Properties)> OpenReadAsync(string blobName, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<BlobProperties> GetPropertiesAsync(string blobName, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<bool> ExistsAsync(string blobName, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<ETag> SetMetadataAsync(string blobName, IReadOnlyDictionary<string, string> metadata, ETag? ifMatch = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task DeleteAsync(string blobName, ETag? ifMatch = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Deletes when present; swallows 404 only. Returns whether it deleted.</summary>
    public Task<bool> DeleteIfExistsAsync(string blobName, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<BlobPage> ListPageAsync(string? prefix = null, string? marker = null, int? maxResults = null, bool includeMetadata = false, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>All blobs under a prefix, following NextMarker.</summary>
    public IAsyncEnumerable<BlobItem> ListAsync(string? prefix = null, bool includeMetadata = false, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Acquires a lease (duration 15–60 s, or null for infinite); returns the lease id.</summary>
    public Task<string> AcquireLeaseAsync(string blobName, TimeSpan? duration, string? proposedLeaseId = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task RenewLeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task ReleaseLeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}

public sealed record QueueMessage(string MessageId, string PopReceipt, long DequeueCount, string MessageText, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

public sealed record SendReceipt(string MessageId, string PopReceipt, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

public sealed record UpdateReceipt(string PopReceipt, DateTimeOffset NextVisibleTime);

/// <summary>One queue. Message text is sent as given (callers choose Base64 or not).</summary>
public sealed class QueueClient
{
    public QueueClient(StorageAccount account, string queueName, StorageClientOptions? options = null) => throw new NotImplementedException();
    public string Name => throw new NotImplementedException();
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Visibility delay ≤ 7 days; timeToLive null = service default, TimeSpan.MinValue or negative = never expires (-1).</summary>
    public Task<SendReceipt> SendMessageAsync(string messageText, TimeSpan? visibilityTimeout = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Gets 1..32 messages, hiding them for visibilityTimeout.</summary>
    public Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Changes visibility (and optionally text); returns the new pop receipt.</summary>
    public Task<UpdateReceipt> UpdateMessageAsync(string messageId, string popReceipt, TimeSpan visibilityTimeout, string? messageText = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task ClearMessagesAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task DeleteIfExistsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
}

/// <summary>A table row: PartitionKey, RowKey, ETag, Timestamp plus typed properties
/// (string, bool, int, long, double, decimal-as-string is the caller's job, DateTimeOffset, Guid, byte[]).</summary>
public sealed class TableEntity : Dictionary<string, object?>
{
    public TableEntity() : base(StringComparer.Ordinal) { }
    public TableEntity(string partitionKey, string rowKey) : this() { PartitionKey = partitionKey; RowKey = rowKey; }
    public string PartitionKey { get => (string)this[nameof(PartitionKey)]!; set => this[nameof(PartitionKey)] = value; }
    public string RowKey { get => (string)this[nameof(RowKey)]!; set => this[nameof(RowKey)] = value; }
    public ETag ETag { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public string? GetString(string key) => TryGetValue(key, out var v) ? v as string ?? v?.ToString() : null;
    public long? GetInt64(string key) => throw new NotImplementedException();
    public int? GetInt32(string key) => throw new NotImplementedException();
    public double? GetDouble(string key) => throw new NotImplementedException();
    public bool? GetBoolean(string key) => throw new NotImplementedException();
    public DateTimeOffset? GetDateTimeOffset(string key) => throw new NotImplementedException();
    public Guid? GetGuid(string key) => throw new NotImplementedException();
    public byte[]? GetBinary(string key) => throw new NotImplementedException();
}

public enum TableUpdateMode { Merge, Replace }

public enum TableTransactionActionType { Add, UpdateMerge, UpdateReplace, UpsertMerge, UpsertReplace, Delete }

/// <summary>One operation of a batch; ETag is used for Update*/Delete (default = *).</summary>
public sealed record TableTransactionAction(TableTransactionActionType ActionType, TableEntity Entity, ETag ETag = default);

/// <summary>Per-operation result of a committed batch (new ETag for writes).</summary>
public sealed record TableTransactionResult(int Status, ETag ETag);

/// <summary>Thrown when a batch is rejected; nothing in it was applied.</summary>
public sealed class TableTransactionFailedException : RequestFailedException
{
    public TableTransactionFailedException(int status, string? errorCode, string message, int? failedIndex)
        : base(status, message, errorCode, null) => FailedIndex = failedIndex;
    /// <summary>Index of the operation that failed, when the service says.</summary>
    public int? FailedIndex { get; }
}

public sealed record TablePage(IReadOnlyList<TableEntity> Items, string? ContinuationToken);

/// <summary>One table.</summary>
public sealed class TableClient
{
    public TableClient(StorageAccount account, string tableName, StorageClientOptions? options = null) => throw new NotImplementedException();
    public string Name => throw new NotImplementedException();
    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task DeleteIfExistsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Insert; 409 EntityAlreadyExists when present.</summary>
    public Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Insert-or-replace / insert-or-merge (no If-Match).</summary>
    public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Update with If-Match (ETag.All for unconditional); 412 on mismatch, 404 when absent.</summary>
    public Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Point read; throws RequestFailedException 404 when absent.</summary>
    public Task<TableEntity> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Point read; null when absent.</summary>
    public Task<TableEntity?> GetEntityIfExistsAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>One page (≤ 1000, or top); ContinuationToken is opaque, null at the end. A page may be empty yet continue.</summary>
    public Task<TablePage> QueryPageAsync(string? filter = null, int? top = null, IEnumerable<string>? select = null, string? continuationToken = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>All matching rows, following continuations.</summary>
    public IAsyncEnumerable<TableEntity> QueryAsync(string? filter = null, int? pageSize = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    /// <summary>Entity group transaction: one partition, ≤ 100 operations, all or nothing.</summary>
    public Task<IReadOnlyList<TableTransactionResult>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}

/// <summary>Builds OData filter strings with correctly quoted values.</summary>
public static class TableFilter
{
    /// <summary>Quotes a string literal for OData ('' escaping).</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    public static string PartitionEquals(string partitionKey) => $"PartitionKey eq {Quote(partitionKey)}";
    /// <summary>RowKey ge start and lt end within a partition.</summary>
    public static string RowKeyRange(string partitionKey, string fromInclusive, string toExclusive)
        => $"PartitionKey eq {Quote(partitionKey)} and RowKey ge {Quote(fromInclusive)} and RowKey lt {Quote(toExclusive)}";
}
