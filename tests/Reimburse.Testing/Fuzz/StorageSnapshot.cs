using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Reimburse.Testing.Fuzz;

/// <summary>
/// Row, blob and message counts of every table, container and queue of one app (its resource prefix): claims and their
/// audit chains, indexes, receipts, the ledger, delegations, queues. Two equal snapshots around a refused request mean it
/// changed nothing. Callers leave out the access log and its index rows on purpose: a denied request must be logged.
/// </summary>
public sealed class StorageSnapshot(string connectionString, string prefix, params string[] excluded)
{
    private readonly TableServiceClient _tables = new(connectionString);
    private readonly BlobServiceClient _blobs = new(connectionString, new BlobClientOptions(BlobClientOptions.ServiceVersion.V2025_01_05));
    private readonly QueueServiceClient _queues = new(connectionString, new QueueClientOptions(QueueClientOptions.ServiceVersion.V2025_01_05));

    public async Task<string> TakeAsync(CancellationToken cancellationToken = default)
    {
        var counts = new List<Task<string>>();
        await foreach (var t in _tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "~") < 0, cancellationToken: cancellationToken))
        {
            if (Excluded(t.Name)) continue;
            counts.Add(CountRowsAsync(t.Name, cancellationToken));
        }
        await foreach (var c in _blobs.GetBlobContainersAsync(prefix: prefix, cancellationToken: cancellationToken))
        {
            if (Excluded(c.Name)) continue;
            counts.Add(CountBlobsAsync(c.Name, cancellationToken));
        }
        await foreach (var q in _queues.GetQueuesAsync(prefix: prefix, cancellationToken: cancellationToken))
        {
            if (Excluded(q.Name)) continue;
            counts.Add(CountMessagesAsync(q.Name, cancellationToken));
        }
        return string.Join(" ", (await Task.WhenAll(counts)).Order(StringComparer.Ordinal));
    }

    /// <summary>Names (after the prefix) that start with one of the excluded ones are not counted.</summary>
    private bool Excluded(string name) => excluded.Any(e => name[prefix.Length..].StartsWith(e, StringComparison.OrdinalIgnoreCase));

    private async Task<string> CountRowsAsync(string table, CancellationToken cancellationToken)
    {
        var n = 0;
        await foreach (var _ in _tables.GetTableClient(table).QueryAsync<TableEntity>(select: ["PartitionKey"], cancellationToken: cancellationToken)) n++;
        return $"{table[prefix.Length..]}={n}";
    }

    private async Task<string> CountBlobsAsync(string container, CancellationToken cancellationToken)
    {
        var n = 0;
        await foreach (var _ in _blobs.GetBlobContainerClient(container).GetBlobsAsync(cancellationToken: cancellationToken)) n++;
        return $"{container[prefix.Length..]}={n}";
    }

    private async Task<string> CountMessagesAsync(string queue, CancellationToken cancellationToken)
    {
        var props = await _queues.GetQueueClient(queue).GetPropertiesAsync(cancellationToken);
        return $"{queue[prefix.Length..]}={props.Value.ApproximateMessagesCount}";
    }
}
