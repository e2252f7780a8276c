using Reimburse.Functions.Claims;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Audit;

/// <summary>An audit entry with where it lives (the claim chains in the claims table, or the access log) and the
/// claim and department it concerns, as the query index stores it.</summary>
public sealed record IndexedEntry(string Log, AuditEntry Entry, string? ClaimId, string? Department)
{
    public const string ClaimsLog = "claims";
    public const string AccessLog = "access";
}

/// <summary>The auditor's filters. Time is [From, To).</summary>
public sealed record AuditQuery(string? ClaimId, string? Actor, string? Department, string? Action, DateTimeOffset? From, DateTimeOffset? To, string? Outcome = null);

/// <summary>Query index over both logs: each entry is copied (denormalised, so a page needs no further reads) into
/// partitions by claim, actor, department, action and UTC day, with a row key of inverted time so a partition reads
/// newest first. Rows are upserted under a deterministic key, so writing them twice (observers run at least once) is
/// harmless. Index rows are derived data — the chains stay the record — so they may be rebuilt from the chains. With a
/// <see cref="TableUpsertBatcher"/> the rows of concurrent writers are group-committed: the actor, action, day and
/// department partitions are shared by many claims, so a round costs one batch per partition, not one per entry.</summary>
public sealed class AuditIndex(AuditStorage storage, TableUpsertBatcher? batcher = null) : IAuditEntryObserver
{
    /// <summary>Without a filter and a start, a query looks this far back (day partitions are walked newest first).</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(92);

    public Task OnCommittedAsync(Claim claim, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default) =>
        WriteAsync(entries.Select(e => new IndexedEntry(IndexedEntry.ClaimsLog, e, claim.Id, claim.Department)), cancellationToken);

    /// <summary>Writes the index rows of the entries: one batch per partition and 100 rows (shared with other writers'
    /// rows when group-committed).</summary>
    public async Task WriteAsync(IEnumerable<IndexedEntry> entries, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        if (batcher is not null)
        {
            await Task.WhenAll(entries.SelectMany(Rows).GroupBy(r => storage.IndexFor(r.PartitionKey))
                .Select(g => batcher.UpsertAsync(g.Key, g.ToList(), cancellationToken)));
            return;
        }
        var batches = entries.SelectMany(Rows)
            .GroupBy(r => r.PartitionKey, StringComparer.Ordinal)
            .SelectMany(g => g.DistinctBy(r => r.RowKey).Chunk(StorageRules.MaxTransactionActions))
            .ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (rows, ct) =>
        {
            if (rows.Length == 1)
            {
                await storage.IndexFor(rows[0].PartitionKey).UpsertEntityAsync(rows[0], TableUpdateMode.Replace, ct);
            }
            else
            {
                await storage.IndexFor(rows[0].PartitionKey).SubmitCheckedTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct);
            }
        });
    }

    public static string Partition(string kind, string value) => kind + "|" + SafeKey(value);
    public static string DayPartition(DateTimeOffset at) => "day|" + at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Row keys sort newest first: inverted ticks, then chain and sequence to make them unique.</summary>
    public static string TimeKey(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    public static IEnumerable<TableEntity> Rows(IndexedEntry x)
    {
        var e = x.Entry;
        var rowKey = TimeKey(e.At) + "-" + SafeKey(e.ChainId) + "-" + e.Sequence.ToString("D10", CultureInfo.InvariantCulture);
        var partitions = new List<string>(5) { Partition("actor", e.ActorId), Partition("action", e.Action), DayPartition(e.At) };
        if (x.ClaimId is { Length: > 0 } c) partitions.Add(Partition("claim", c));
        if (x.Department is { Length: > 0 } d) partitions.Add(Partition("dept", d));
        foreach (var p in partitions)
        {
            yield return new TableEntity(p, rowKey)
            {
                ["Log"] = x.Log,
                ["ChainId"] = e.ChainId,
                ["Seq"] = e.Sequence,
                ["Action"] = e.Action,
                ["ActorId"] = e.ActorId,
                ["ActorRole"] = e.ActorRole,
                ["At"] = e.At.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
                ["SourceIp"] = e.SourceIp ?? "",
                ["Outcome"] = e.Outcome.ToString(),
                ["Details"] = e.Details,
                ["ClaimId"] = x.ClaimId ?? "",
                ["Department"] = x.Department ?? "",
                ["PrevHash"] = e.PreviousHash,
                ["Hash"] = e.Hash,
            };
        }
    }

    public static IndexedEntry FromRow(TableEntity r)
    {
        var entry = AuditEntityMapper.FromEntity(r, r.GetString("ChainId") ?? "", missingSequence: 0);
        return new IndexedEntry(r.GetString("Log") ?? "", entry,
            r.GetString("ClaimId") is { Length: > 0 } c ? c : null,
            r.GetString("Department") is { Length: > 0 } d ? d : null);
    }

    /// <summary>One page, newest first. The most selective filter picks the partition; the others filter inside it.</summary>
    /// <exception cref="FormatException">The continuation token was not issued by this query.</exception>
    public async Task<(IReadOnlyList<IndexedEntry> Items, string? Continuation)> QueryAsync(AuditQuery q, int pageSize, string? continuation, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        var to = q.To ?? now.AddMinutes(1);
        var from = q.From ?? (q.ClaimId ?? q.Actor ?? q.Department ?? q.Action) switch { null => to - DefaultWindow, _ => DateTimeOffset.MinValue };
        var partitions = PartitionsFor(q, from, to);
        var (partitionIndex, tableToken) = (0, (string?)null);
        if (continuation is not null)
        {
            var (p, t) = DecodeToken(continuation);
            partitionIndex = partitions.IndexOf(p);
            if (partitionIndex < 0) throw new FormatException("The continuation token belongs to another query.");
            tableToken = t;
        }

        var items = new List<IndexedEntry>(pageSize);
        while (partitionIndex < partitions.Count)
        {
            var filter = Filter(partitions[partitionIndex], q, from, to);
            var page = await storage.IndexFor(partitions[partitionIndex]).QueryPageAsync(filter, pageSize - items.Count, null, tableToken, cancellationToken);
            items.AddRange(page.Values.Select(FromRow));
            tableToken = page.ContinuationToken;
            if (tableToken is null)
            {
                partitionIndex++;
            }
            if (items.Count >= pageSize)
            {
                break;
            }
        }
        var next = partitionIndex < partitions.Count ? EncodeToken(partitions[partitionIndex], tableToken) : null;
        return (items, next);
    }

    private static List<string> PartitionsFor(AuditQuery q, DateTimeOffset from, DateTimeOffset to)
    {
        if (q.ClaimId is { } c) return [Partition("claim", c)];
        if (q.Actor is { } a) return [Partition("actor", a)];
        if (q.Department is { } d) return [Partition("dept", d)];
        if (q.Action is { } ac) return [Partition("action", ac)];
        var days = new List<string>();
        var first = from.UtcDateTime.Date;
        for (var day = to.AddTicks(-1).UtcDateTime.Date; day >= first && days.Count < 3700; day = day.AddDays(-1))
        {
            days.Add(DayPartition(new DateTimeOffset(day, TimeSpan.Zero)));
        }
        return days;
    }

    private static string Filter(string partition, AuditQuery q, DateTimeOffset from, DateTimeOffset to)
    {
        // At < to  ⇔ inverted ticks > inverted(to);  At ≥ from ⇔ inverted ticks ≤ inverted(from).
        var lower = to >= DateTimeOffset.MaxValue.AddTicks(-1) ? "0" : (DateTimeOffset.MaxValue.UtcTicks - to.UtcTicks + 1).ToString("D19", CultureInfo.InvariantCulture);
        var upper = from <= DateTimeOffset.MinValue ? "~" : (DateTimeOffset.MaxValue.UtcTicks - from.UtcTicks + 1).ToString("D19", CultureInfo.InvariantCulture);
        var sb = new StringBuilder(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {lower} and RowKey lt {upper}"));
        void And(string property, string? value)
        {
            if (value is not null) sb.Append(" and ").Append(property).Append(" eq ").Append(TableClient.CreateQueryFilter($"{value}"));
        }
        // The partition already fixes its own dimension; filter on the others only.
        if (!partition.StartsWith("claim|", StringComparison.Ordinal)) And("ClaimId", q.ClaimId);
        if (!partition.StartsWith("actor|", StringComparison.Ordinal)) And("ActorId", q.Actor);
        if (!partition.StartsWith("dept|", StringComparison.Ordinal)) And("Department", q.Department);
        if (!partition.StartsWith("action|", StringComparison.Ordinal)) And("Action", q.Action);
        And("Outcome", q.Outcome);
        return sb.ToString();
    }

    private static string EncodeToken(string partition, string? tableToken) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new[] { partition, tableToken ?? "" })).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (string Partition, string? TableToken) DecodeToken(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            var parts = JsonSerializer.Deserialize<string[]>(Convert.FromBase64String(b64.PadRight((b64.Length + 3) / 4 * 4, '=')));
            if (parts is not [var p, var t]) throw new FormatException("Malformed continuation token.");
            return (p, t.Length == 0 ? null : t);
        }
        catch (JsonException ex)
        {
            throw new FormatException("Malformed continuation token.", ex);
        }
    }

    /// <summary>Table keys must not hold / \ # ? or control characters.</summary>
    public static string SafeKey(string value)
    {
        var chars = value.Select(ch => ch is '/' or '\\' or '#' or '?' || char.IsControl(ch) ? '_' : ch).ToArray();
        var s = new string(chars);
        return s.Length > 200 ? s[..200] : s;
    }
}
