using Reimburse.Functions.Hosting;
using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Reimburse.Functions.Audit;

/// <summary>The audit feature's own storage resources (beside the claims table, which holds the claim chains).</summary>
public sealed class AuditStorage
{
    public const string AccessLogTable = "accesslog";
    /// <summary>Index tables, one per dimension (names are "auditidx" + kind). One table would do in Azure, where a
    /// partition query touches only its partition; Azurite scans the whole table per query, so smaller tables keep the
    /// local figures honest about our code rather than about the emulator.</summary>
    public const string AuditIndexTablePrefix = "auditidx";
    public static readonly string[] IndexKinds = ["claim", "actor", "dept", "action", "day"];
    public const string AnchorsContainer = "audit-anchors";

    private readonly object _gate = new();
    private Task? _created;

    public AuditStorage(ReimburseStorage storage)
    {
        Storage = storage;
        AccessLog = storage.Table(AccessLogTable);
        IndexTables = IndexKinds.ToDictionary(k => k, k => storage.Table(AuditIndexTablePrefix + k), StringComparer.Ordinal);
        Anchors = storage.Container(AnchorsContainer);
    }

    public ReimburseStorage Storage { get; }
    public TableClient Claims => Storage.Claims;
    public TableClient AccessLog { get; }
    public IReadOnlyDictionary<string, TableClient> IndexTables { get; }

    /// <summary>The index table holding a partition ("kind|value").</summary>
    public TableClient IndexFor(string partitionKey) => IndexTables[partitionKey[..partitionKey.IndexOf('|', StringComparison.Ordinal)]];

    /// <summary>The day table also keeps the index sweep's watermark (partition "meta").</summary>
    public TableClient IndexMeta => IndexTables["day"];
    public BlobContainerClient Anchors { get; }

    /// <summary>Creates the tables and container once per process; a failure is retried by the next caller.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = Task.WhenAll(IndexTables.Values.Select(t => (Task)t.CreateIfNotExistsAsync(cancellationToken: cancellationToken))
                    .Append(AccessLog.CreateIfNotExistsAsync(cancellationToken: cancellationToken))
                    .Append(Anchors.CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
            }
            return _created;
        }
    }

    /// <summary>Forgets that the resources exist (after a storage reset), so the next call creates them again.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _created = null;
        }
    }
}
