using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Reimburse.Core.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;

using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Audit;

/// <summary>One chain head anchored by a digest.</summary>
public sealed record DigestHead(string Log, string ChainId, long Seq, string Hash);

/// <summary>A daily digest: the Merkle root over the heads of every chain that changed since the start of the day, linked
/// to the previous digest by the SHA-256 of that blob's bytes.</summary>
public sealed record AuditDigestDocument(int Version, string Day, DateTimeOffset CreatedAt, string PreviousDigest, IReadOnlyList<DigestHead> Heads, string Root);

/// <summary>Builds, stores and reads daily digests in the "audit-anchors" container (immutable in Azure: see infra/audit-anchors.bicep).</summary>
public sealed partial class AuditDigester(AuditStorage storage, ILogger<AuditDigester> logger)
{
    public const string BlobPrefix = "digest-";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string BlobName(DateOnly day) => BlobPrefix + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".json";

    public static DateOnly? DayOf(string blobName) =>
        blobName.StartsWith(BlobPrefix, StringComparison.Ordinal) && blobName.EndsWith(".json", StringComparison.Ordinal)
        && DateOnly.TryParseExact(blobName[BlobPrefix.Length..^5], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    /// <summary>Merkle root: leaves are SHA-256 of "leaf\n{log}\n{chain}\n{seq}\n{hash}" in (log, chain) order, inner nodes
    /// SHA-256 of "node\n{left}\n{right}"; an odd node is carried up unchanged. Domain-separated so a leaf can never pose as a node.</summary>
    public static string MerkleRoot(IEnumerable<DigestHead> heads)
    {
        var level = heads.OrderBy(h => h.Log, StringComparer.Ordinal).ThenBy(h => h.ChainId, StringComparer.Ordinal)
            .Select(h => Sha($"leaf\n{h.Log}\n{h.ChainId}\n{h.Seq.ToString(CultureInfo.InvariantCulture)}\n{h.Hash}")).ToList();
        if (level.Count == 0)
        {
            return Sha("empty");
        }
        while (level.Count > 1)
        {
            var next = new List<string>((level.Count + 1) / 2);
            for (var i = 0; i < level.Count; i += 2)
            {
                next.Add(i + 1 < level.Count ? Sha($"node\n{level[i]}\n{level[i + 1]}") : level[i]);
            }
            level = next;
        }
        return level[0];
    }

    public static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes the digest of <paramref name="day"/> (create-only). Returns null when it already exists.</summary>
    public async Task<AuditDigestDocument?> WriteAsync(DateOnly day, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        var name = BlobName(day);
        if (await storage.Anchors.GetBlobClient(name).ExistsAsync(cancellationToken))
        {
            return null;
        }
        var heads = await ChangedHeadsAsync(day, cancellationToken);
        var previous = AuditEntry.GenesisHash;
        var earlier = new List<string>();
        await foreach (var b in storage.Anchors.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: BlobPrefix, cancellationToken: cancellationToken))
        {
            if (DayOf(b.Name) is { } d && d < day) earlier.Add(b.Name);
        }
        if (earlier.Count > 0)
        {
            var prev = (await storage.Anchors.GetBlobClient(earlier.Max(StringComparer.Ordinal)!).DownloadContentAsync(cancellationToken)).Value;
            previous = Convert.ToHexStringLower(SHA256.HashData(prev.Content.ToMemory().Span));
        }
        var doc = new AuditDigestDocument(1, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), now, previous, heads, MerkleRoot(heads));
        try
        {
            await storage.Anchors.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(doc, Json)), new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" }, Conditions = new() { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return null;
        }
        LogDigest(logger, doc.Day, heads.Count, doc.Root);
        return doc;
    }

    /// <summary>Writes the digests of the days after the latest existing one, through <paramref name="through"/>
    /// (at most 31 days back, so a timer that was down for a while leaves no gap).</summary>
    public async Task<int> CatchUpAsync(DateOnly through, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        DateOnly? latest = null;
        await foreach (var b in storage.Anchors.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: BlobPrefix, cancellationToken: cancellationToken))
        {
            if (DayOf(b.Name) is { } d && d <= through && (latest is null || d > latest)) latest = d;
        }
        var start = latest?.AddDays(1) ?? through;
        if (start < through.AddDays(-30)) start = through.AddDays(-30);
        var written = 0;
        for (var day = start; day <= through; day = day.AddDays(1))
        {
            if (await WriteAsync(day, now, cancellationToken) is not null) written++;
        }
        return written;
    }

    /// <summary>Heads of every chain whose head row was written since the start of the day (the claim row carries the claim
    /// chain's head and is rewritten with every append; access chains have a head row). A chain changed again after
    /// midnight is anchored at its newer head, which anchors everything before it too.</summary>
    public async Task<IReadOnlyList<DigestHead>> ChangedHeadsAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        var since = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        var heads = new List<DigestHead>();
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>($"RowKey eq {TableClient.CreateQueryFilter($"{ClaimStore.ClaimRowKey}")} and Timestamp ge datetime'{since}'",
            select: StorageClientExtensions.WithKeys(["AuditSeq", "AuditHead"]), cancellationToken: cancellationToken))
        {
            if (e.GetInt64("AuditSeq") is { } seq and > 0 && e.GetString("AuditHead") is { } hash)
            {
                heads.Add(new DigestHead(IndexedEntry.ClaimsLog, e.PartitionKey, seq, hash));
            }
        }
        var first = AccessLog.ChainPrefix(day);
        await foreach (var e in storage.AccessLog.QueryAsync<TableEntity>(
            $"PartitionKey ge {TableClient.CreateQueryFilter($"{first}")} and PartitionKey lt {TableClient.CreateQueryFilter($"{"acc-~"}")} and RowKey eq {TableClient.CreateQueryFilter($"{AccessLog.HeadRowKey}")}",
            select: StorageClientExtensions.WithKeys(["Seq", "Hash"]), cancellationToken: cancellationToken))
        {
            if (e.GetInt64("Seq") is { } seq && e.GetString("Hash") is { } hash)
            {
                heads.Add(new DigestHead(IndexedEntry.AccessLog, e.PartitionKey, seq, hash));
            }
        }
        return heads;
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Audit digest for {Day}: {Heads} chain heads, root {Root}")]
    private static partial void LogDigest(ILogger logger, string day, int heads, string root);
}

/// <summary>Daily at 00:10 UTC: anchors the previous UTC day, and any day missed since the last digest (at most 31 back).</summary>
public sealed class AuditDigestTimer(AuditDigester digester, TimeProvider clock) : ITimerHandler
{
    public string FunctionName => "AuditDigest";
    public string Schedule => "0 10 0 * * *";

    public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default) =>
        digester.CatchUpAsync(DateOnly.FromDateTime(invocation.ScheduledFor.UtcDateTime).AddDays(-1), clock.GetUtcNow(), cancellationToken);
}
