using System.Security.Cryptography;
using System.Text.Json;
using Reimburse.Core.Audit;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Audit;

/// <summary>The first thing found wrong: an entry (log, chain, sequence) or a digest (day), and why.</summary>
public sealed record BrokenItem(string Kind, string Log, string? ChainId, long? Sequence, string? RowKey, DateTimeOffset? At, string? Action, string? Day, string Reason);

/// <summary>What verification checked and the first problem, if any.</summary>
public sealed record VerifyResult(bool Ok, long Checked, int Chains, int Digests, BrokenItem? FirstBroken, int Problems);

/// <summary>Recomputes every chain (hash, sequence, previous-hash, row key, head) and every digest (Merkle root, link to the
/// previous digest, anchored heads still present and equal), reading storage directly. Used by GET /api/audit/verify and
/// the command-line verifier alike.</summary>
public sealed class AuditVerifier(AuditStorage storage)
{
    private sealed record Anchor(string Day, DigestHead Head)
    {
        public bool Seen { get; set; }
    }

    public async Task<VerifyResult> VerifyAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        var problems = new List<BrokenItem>();
        var (anchors, digests) = await CheckDigestsAsync(from, to, problems, cancellationToken);
        long checkedCount = 0;
        var chains = 0;

        void Chain(string log, string chainId, List<(string RowKey, AuditEntry Entry)> rows, long? headSeq, string? headHash)
        {
            if (rows.Count == 0 && headSeq is null or 0)
            {
                return;
            }
            var inRange = from is null && to is null || rows.Any(r => (from is null || r.Entry.At >= from) && (to is null || r.Entry.At < to));
            if (!inRange)
            {
                return;
            }
            chains++;
            checkedCount += rows.Count;
            if (CheckChain(log, chainId, rows, headSeq, headHash) is { } broken)
            {
                problems.Add(broken);
            }
            foreach (var (_, e) in rows)
            {
                if (anchors.TryGetValue((log, chainId, e.Sequence), out var a))
                {
                    a.Seen = true;
                    if (a.Head.Hash != e.Hash)
                    {
                        problems.Add(new BrokenItem("digest", log, chainId, e.Sequence, ClaimStore.AuditRowKey(e.Sequence), e.At, e.Action, a.Day,
                            $"the digest of {a.Day} anchored a different hash for this entry (the entry or the digest was changed)"));
                    }
                }
            }
        }

        await ScanAsync(storage.Claims, null, IndexedEntry.ClaimsLog, ClaimStore.ClaimRowKey, "AuditSeq", "AuditHead", Chain, cancellationToken);
        string? accessFilter = null;
        if (from is not null || to is not null)
        {
            var lo = from is { } f ? AccessLog.ChainPrefix(DateOnly.FromDateTime(f.UtcDateTime)) : "acc-";
            var hi = to is { } t ? AccessLog.ChainPrefix(DateOnly.FromDateTime(t.UtcDateTime)) + "~" : "acc-~";
            accessFilter = $"PartitionKey ge {TableClient.CreateQueryFilter($"{lo}")} and PartitionKey lt {TableClient.CreateQueryFilter($"{hi}")}";
        }
        await ScanAsync(storage.AccessLog, accessFilter, IndexedEntry.AccessLog, AccessLog.HeadRowKey, "Seq", "Hash", Chain, cancellationToken);

        foreach (var a in anchors.Values.Where(a => !a.Seen))
        {
            var inScope = a.Head.Log == IndexedEntry.ClaimsLog || accessFilter is null || IsInAccessRange(a.Head.ChainId, from, to);
            if (inScope)
            {
                problems.Add(new BrokenItem("digest", a.Head.Log, a.Head.ChainId, a.Head.Seq, ClaimStore.AuditRowKey(a.Head.Seq), null, null, a.Day,
                    $"the digest of {a.Day} anchors this entry but it is missing from the log (deleted or truncated)"));
            }
        }

        // Chain breaks first (earliest entry first); then digests by day, the blob's own problems before the heads it anchors.
        var first = problems
            .OrderBy(p => p.Kind == "chain" ? 0 : 1)
            .ThenBy(p => p.Kind == "chain" ? p.At ?? DateTimeOffset.MaxValue : DateTimeOffset.MinValue)
            .ThenBy(p => p.Day, StringComparer.Ordinal)
            .ThenBy(p => p.ChainId is null ? 0 : 1)
            .FirstOrDefault();
        return new VerifyResult(problems.Count == 0, checkedCount, chains, digests, first, problems.Count);
    }

    private static bool IsInAccessRange(string chainId, DateTimeOffset? from, DateTimeOffset? to)
    {
        var lo = from is { } f ? AccessLog.ChainPrefix(DateOnly.FromDateTime(f.UtcDateTime)) : "acc-";
        var hi = to is { } t ? AccessLog.ChainPrefix(DateOnly.FromDateTime(t.UtcDateTime)) + "~" : "acc-~";
        return string.CompareOrdinal(chainId, lo) >= 0 && string.CompareOrdinal(chainId, hi) < 0;
    }

    /// <summary>Reads a table in key order and hands each partition's audit rows and head to <paramref name="onChain"/>.</summary>
    private static async Task ScanAsync(TableClient table, string? filter, string log, string headRowKey, string headSeqProperty, string headHashProperty,
        Action<string, string, List<(string, AuditEntry)>, long?, string?> onChain, CancellationToken cancellationToken)
    {
        string? partition = null;
        var rows = new List<(string, AuditEntry)>();
        long? headSeq = null;
        string? headHash = null;
        await foreach (var e in table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken))
        {
            if (e.PartitionKey != partition)
            {
                if (partition is not null) onChain(log, partition, rows, headSeq, headHash);
                (partition, rows, headSeq, headHash) = (e.PartitionKey, new List<(string, AuditEntry)>(), null, null);
            }
            if (e.RowKey.StartsWith(ClaimStore.AuditRowPrefix, StringComparison.Ordinal))
            {
                rows.Add((e.RowKey, AuditEntityMapper.FromEntity(e)));
            }
            else if (e.RowKey == headRowKey)
            {
                headSeq = e.GetInt64(headSeqProperty) ?? 0;
                headHash = e.GetString(headHashProperty);
            }
        }
        if (partition is not null) onChain(log, partition, rows, headSeq, headHash);
    }

    /// <summary>Checks one chain: row keys, sequence, previous-hash, hash, then the head row. Pure.</summary>
    public static BrokenItem? CheckChain(string log, string chainId, IReadOnlyList<(string RowKey, AuditEntry Entry)> rows, long? headSeq, string? headHash)
    {
        BrokenItem Broken(AuditEntry? e, string? rowKey, long? seq, string reason) =>
            new("chain", log, chainId, seq ?? e?.Sequence, rowKey, e?.At, e?.Action, null, reason);

        var expectedPrev = AuditEntry.GenesisHash;
        long expectedSeq = 1;
        foreach (var (rowKey, e) in rows)
        {
            if (rowKey != ClaimStore.AuditRowKey(expectedSeq))
            {
                return Broken(e, rowKey, expectedSeq, $"entry {expectedSeq} is missing (the next row is {rowKey}): an entry was deleted");
            }
            if (e.Sequence != expectedSeq || e.ChainId != chainId)
            {
                return Broken(e, rowKey, expectedSeq, $"row {rowKey} holds entry {e.Sequence} of chain {e.ChainId}: entries were swapped or moved");
            }
            if (!string.Equals(e.PreviousHash, expectedPrev, StringComparison.Ordinal))
            {
                return Broken(e, rowKey, null, "previous-hash does not match the hash of the entry before it");
            }
            if (!string.Equals(AuditChain.ComputeHash(e), e.Hash, StringComparison.Ordinal))
            {
                return Broken(e, rowKey, null, "content does not match its hash (the entry was edited)");
            }
            expectedPrev = e.Hash;
            expectedSeq++;
        }
        var last = expectedSeq - 1;
        if (headSeq is null)
        {
            return Broken(rows.Count > 0 ? rows[^1].Entry : null, rows.Count > 0 ? rows[^1].RowKey : null, null, "the chain's head row is missing");
        }
        if (headSeq > last)
        {
            return Broken(null, ClaimStore.AuditRowKey(last + 1), last + 1,
                $"the head says the chain has {headSeq} entries but it ends at {last}: entries were removed from the tail");
        }
        if (headSeq < last || !string.Equals(headHash, expectedPrev, StringComparison.Ordinal))
        {
            return Broken(rows[^1].Entry, rows[^1].RowKey, null, $"the head (entry {headSeq}) does not match the last entry {last}");
        }
        return null;
    }

    private async Task<(Dictionary<(string, string, long), Anchor> Anchors, int Count)> CheckDigestsAsync(DateTimeOffset? from, DateTimeOffset? to, List<BrokenItem> problems, CancellationToken cancellationToken)
    {
        var anchors = new Dictionary<(string, string, long), Anchor>();
        var names = new List<(DateOnly Day, string Name)>();
        await foreach (var b in storage.Anchors.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: AuditDigester.BlobPrefix, cancellationToken: cancellationToken))
        {
            if (AuditDigester.DayOf(b.Name) is { } d) names.Add((d, b.Name));
        }
        names.Sort((a, b) => a.Day.CompareTo(b.Day));
        var firstDay = from is { } f ? DateOnly.FromDateTime(f.UtcDateTime) : DateOnly.MinValue;
        var lastDay = to is { } t ? DateOnly.FromDateTime(t.UtcDateTime) : DateOnly.MaxValue;
        var count = 0;
        string? previousHash = null;
        for (var i = 0; i < names.Count; i++)
        {
            var (day, name) = names[i];
            var wanted = day >= firstDay && day <= lastDay;
            var nextWanted = i + 1 < names.Count && names[i + 1].Day >= firstDay && names[i + 1].Day <= lastDay;
            if (!wanted && !nextWanted)
            {
                previousHash = null;
                continue;
            }
            var bytes = ((await storage.Anchors.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value).Content.ToArray();
            var expectedPrevious = previousHash ?? (i == 0 ? AuditEntry.GenesisHash : null);
            previousHash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!wanted)
            {
                continue;
            }
            count++;
            var dayText = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            BrokenItem Bad(string reason) => new("digest", "anchors", null, null, null, null, null, dayText, reason);
            AuditDigestDocument? doc;
            try
            {
                doc = JsonSerializer.Deserialize<AuditDigestDocument>(bytes, AuditDigester.Json);
            }
            catch (JsonException)
            {
                doc = null;
            }
            if (doc?.Heads is null || doc.Root is null)
            {
                problems.Add(Bad($"digest {name} is not readable"));
                continue;
            }
            if (doc.Day != dayText)
            {
                problems.Add(Bad($"digest {name} claims to be for {doc.Day}"));
            }
            if (AuditDigester.MerkleRoot(doc.Heads) != doc.Root)
            {
                problems.Add(Bad($"digest {name}: the Merkle root does not match its chain heads (the digest was edited)"));
            }
            if (expectedPrevious is not null && doc.PreviousDigest != expectedPrevious)
            {
                problems.Add(Bad($"digest {name}: the link to the previous digest is broken (an earlier digest was edited or removed)"));
            }
            foreach (var h in doc.Heads)
            {
                anchors.TryAdd((h.Log, h.ChainId, h.Seq), new Anchor(dayText, h));
            }
        }
        return (anchors, count);
    }
}
