using Reimburse.Functions.Hosting;
using Reimburse.Storage;

namespace Reimburse.Functions.Audit;

/// <summary>The audit feature's own storage resources (beside the claims table, which holds the claim chains).</summary>
public sealed class AuditStorage
{
    public const string AccessLogTable = "accesslog";
    public const string AuditIndexTable = "auditindex";
    public const string AnchorsContainer = "audit-anchors";

    private readonly object _gate = new();
    private Task? _created;

    public AuditStorage(ReimburseStorage storage)
    {
        Storage = storage;
        AccessLog = storage.Table(AccessLogTable);
        Index = storage.Table(AuditIndexTable);
        Anchors = storage.Container(AnchorsContainer);
    }

    public ReimburseStorage Storage { get; }
    public TableClient Claims => Storage.Claims;
    public TableClient AccessLog { get; }
    public TableClient Index { get; }
    public BlobContainerClient Anchors { get; }

    /// <summary>Creates the tables and container once per process; a failure is retried by the next caller.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = Task.WhenAll(
                    AccessLog.CreateIfNotExistsAsync(cancellationToken),
                    Index.CreateIfNotExistsAsync(cancellationToken),
                    Anchors.CreateIfNotExistsAsync(cancellationToken));
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
