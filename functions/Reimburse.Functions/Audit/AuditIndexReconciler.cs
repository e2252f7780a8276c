using System.Globalization;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Audit;

/// <summary>Every minute: indexes the claim-chain entries of claims changed since the last run. The post-commit dispatch
/// (<see cref="IAuditEntryObserver"/>) indexes entries within moments; this sweep makes the index complete even when a
/// dispatch was lost or a writer does not dispatch. Both write the same deterministic rows, so overlap costs nothing but
/// requests.</summary>
public sealed partial class AuditIndexReconciler(AuditStorage storage, AuditIndex index, ClaimStore claims, TimeProvider clock, ILogger<AuditIndexReconciler> logger) : ITimerHandler
{
    private const string MetaPartition = "meta";
    private const string WatermarkRow = "claims-watermark";
    /// <summary>Row timestamps are set by the storage service: look back a little to cover commits in flight at the last run.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(5);

    public string FunctionName => "AuditIndexSweep";
    public string Schedule => "0 * * * * *";

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default) => await SweepAsync(cancellationToken);

    /// <summary>Returns how many claims were (re)indexed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        var started = clock.GetUtcNow();
        var mark = await storage.IndexMeta.GetEntityOrDefaultAsync(MetaPartition, WatermarkRow, cancellationToken: cancellationToken);
        var since = mark?.GetDateTimeOffset("Since") is { } s ? s - Overlap : (DateTimeOffset?)null;
        var filter = $"RowKey eq {TableClient.CreateQueryFilter($"{ClaimStore.ClaimRowKey}")}";
        if (since is { } t)
        {
            filter += $" and Timestamp ge datetime'{t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)}'";
        }
        var changed = new List<(string Id, string Department, long AuditSeq)>();
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(filter, select: StorageClientExtensions.WithKeys(["Department", "AuditSeq"]), cancellationToken: cancellationToken))
        {
            changed.Add((e.PartitionKey, e.GetString("Department") ?? "", e.GetInt64("AuditSeq") ?? 0));
        }
        // Every claim batch marks the claim's dispatch row, and the dispatcher clears it only after the audit observers
        // (this index) took the entries up to its DispatchedAudit watermark. A claim whose marker is cleared and covers its
        // chain is indexed already; only the others (marker missing, still pending, or behind) need their chain re-read
        // here — not every claim changed in the window, which rewrote every entry about six times over.
        var markers = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        await foreach (var m in storage.Claims.QueryAsync<TableEntity>(filter.Replace($"RowKey eq {TableClient.CreateQueryFilter($"{ClaimStore.ClaimRowKey}")}", $"RowKey eq {TableClient.CreateQueryFilter($"{ClaimStore.DispatchRowKey}")}", StringComparison.Ordinal),
            select: StorageClientExtensions.WithKeys([ClaimStore.DispatchPendingProperty, AuditDispatcher.DispatchedAuditProperty]), cancellationToken: cancellationToken))
        {
            markers[m.PartitionKey] = m;
        }
        changed = changed.Where(c => !markers.TryGetValue(c.Id, out var m)
            || m.GetBoolean(ClaimStore.DispatchPendingProperty) != false
            || (m.GetInt64(AuditDispatcher.DispatchedAuditProperty) ?? 0) < c.AuditSeq).ToList();
        await Parallel.ForEachAsync(changed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (c, ct) =>
        {
            var chain = await claims.ReadAuditAsync(c.Id, ct);
            var fresh = chain.Where(e => since is null || e.At >= since.Value.AddMinutes(-1));
            await index.WriteAsync(fresh.Select(e => new IndexedEntry(IndexedEntry.ClaimsLog, e, c.Id, c.Department)), ct);
        });
        await storage.IndexMeta.UpsertEntityAsync(new TableEntity(MetaPartition, WatermarkRow) { ["Since"] = started.UtcDateTime }, TableUpdateMode.Replace, cancellationToken);
        if (changed.Count > 0)
        {
            LogSwept(logger, changed.Count);
        }
        return changed.Count;
    }

    [LoggerMessage(EventId = 630, Level = LogLevel.Debug, Message = "Audit index sweep: {Claims} changed claims indexed")]
    private static partial void LogSwept(ILogger logger, int claims);
}
