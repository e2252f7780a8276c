using System.Globalization;
using System.Text.Json;
using Azure;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Hosting;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Claims;

/// <summary>A claim as read from storage, with what is needed to change it safely.</summary>
public sealed record StoredClaim(Claim Claim, ETag ETag, long AuditSequence, string AuditHead, string? RequestHash, TableEntity Raw);

/// <summary>What a change to a stored claim decided: the new claim, its audit entry (plus any further entries), extra
/// properties of the claim row (null removes one), and extra rows of the claim's partition (e.g. outbox rows) to add in
/// the same atomic batch.</summary>
public sealed record ClaimChange(
    Claim Claim,
    AuditDraft Audit,
    IReadOnlyDictionary<string, object?>? ExtraProperties = null,
    IReadOnlyList<AuditDraft>? MoreAudits = null,
    IReadOnlyList<TableEntity>? ExtraRows = null);

/// <summary>A committed change of a claim partition: the new row, the row it replaced (null on create), the audit entries
/// and extra rows written in the same batch, and the ETag of the dispatch marker it set.</summary>
public sealed record ClaimCommit(StoredClaim Claim, StoredClaim? Previous, IReadOnlyList<AuditEntry> Entries, IReadOnlyList<TableEntity> ExtraRows, ETag DispatchETag);

/// <summary>Told synchronously after every committed claim batch (must not block: hand work to the background).</summary>
public interface IClaimCommitListener
{
    void OnCommitted(ClaimCommit commit);
}

/// <summary>The claims table: the claim row and its audit chain share one partition, so every change and its audit
/// entry commit in one batch. Appending audit row N+1 with an Add is also the concurrency guard: two writers that read the
/// same state both try to add the same row key, and only one batch can win (this holds even where the emulator does not
/// enforce If-Match inside batches).</summary>
public sealed class ClaimStore(ReimburseStorage storage, TimeProvider clock, IEnumerable<IClaimCommitListener> listeners)
{
    public const string ClaimRowKey = "claim";
    public const string AuditRowPrefix = "audit-";
    /// <summary>A row of the claim's partition that every committing batch marks Pending (UpsertMerge); the post-commit
    /// dispatcher clears it (If-Match on this row only, so it never races the claim row) once it has carried out what the
    /// change queued — outbox rows, audit observers — and a sweeper finds what a crash left Pending.</summary>
    public const string DispatchRowKey = "dispatch";
    public const string DispatchPendingProperty = "Pending";

    /// <summary>The dispatch marker written in the same batch as a change.</summary>
    public static TableEntity DispatchMarker(string claimId, DateTimeOffset now) =>
        new(claimId, DispatchRowKey) { [DispatchPendingProperty] = true, ["ChangedAt"] = now.UtcDateTime };

    private readonly IClaimCommitListener[] _listeners = listeners.ToArray();
    // The row this process last read or wrote, per claim: the first attempt of a change starts from it instead of reading
    // again (the If-Match / audit-row Add guard turns a stale copy into one retried attempt, never a lost update).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StoredClaim> _recent = new(StringComparer.Ordinal);

    // The claim whose reads may be answered from memory on this async flow (see RememberedReads).
    private static readonly AsyncLocal<string?> RememberedScope = new();

    /// <summary>Within the returned scope, <see cref="GetAsync"/> of <paramref name="claimId"/> answers from the row this
    /// process last read or wrote, when it has one, instead of reading again. For the claim-submitted pipeline, which owns
    /// the claim while it runs: each step reads the claim the previous step just wrote. A copy that is stale (another
    /// instance changed the claim) is safe there because every step changes through <see cref="ChangeAsync"/>, whose
    /// If-Match turns it into one failed attempt and a fresh read, and a refusal is never decided on a remembered copy.</summary>
    public static IDisposable RememberedReads(string claimId)
    {
        var previous = RememberedScope.Value;
        RememberedScope.Value = claimId;
        return new ScopeExit(previous);
    }

    private sealed class ScopeExit(string? previous) : IDisposable
    {
        public void Dispose() => RememberedScope.Value = previous;
    }

    public static string AuditRowKey(long sequence) => AuditRowPrefix + sequence.ToString("D10", CultureInfo.InvariantCulture);

    public async Task<StoredClaim?> GetAsync(string claimId, CancellationToken cancellationToken = default)
    {
        if (!ClaimIds.IsValid(claimId))
        {
            return null;
        }
        if (RememberedScope.Value == claimId && _recent.TryGetValue(claimId, out var remembered))
        {
            return remembered;
        }
        var entity = await storage.Claims.GetEntityOrDefaultAsync(claimId, ClaimRowKey, cancellationToken: cancellationToken);
        var stored = entity is null ? null : ClaimEntityMapper.FromEntity(entity);
        Remember(claimId, stored);
        return stored;
    }

    /// <summary>The row this process last read or wrote for the claim, if it has one: committed, but perhaps not the latest.</summary>
    public StoredClaim? Remembered(string claimId) => _recent.TryGetValue(claimId, out var stored) ? stored : null;

    private void Remember(string claimId, StoredClaim? stored)
    {
        if (stored is null)
        {
            _recent.TryRemove(claimId, out _);
            return;
        }
        if (_recent.Count > 10_000)
        {
            _recent.Clear();
        }
        // A read that started before a later commit must not replace that commit's row: every change appends to the
        // claim's audit chain, so the sequence orders the copies. (Without this, a draft handler's read of a claim the
        // owner had just submitted landed after the pipeline's Received commit, and the pipeline's next steps, reading
        // from memory, saw "Submitted" and skipped the claim: it stayed Received.)
        _recent.AddOrUpdate(claimId, stored, (_, existing) => existing.AuditSequence > stored.AuditSequence ? existing : stored);
    }

    /// <summary>Writes a new claim with its first audit entry. Throws 409 when the id exists.</summary>
    public async Task<StoredClaim> CreateAsync(Claim claim, string? requestHash, AuditDraft audit, CancellationToken cancellationToken = default)
    {
        var entry = AuditChain.Append(claim.Id, 0, AuditEntry.GenesisHash, audit, clock.GetUtcNow());
        var entity = ClaimEntityMapper.ToEntity(claim, new TableEntity(claim.Id, ClaimRowKey), entry.Sequence, entry.Hash);
        if (requestHash is not null)
        {
            entity["RequestHash"] = requestHash;
        }
        var results = await storage.Claims.SubmitCheckedTransactionAsync(
        [
            new(TableTransactionActionType.Add, entity),
            new(TableTransactionActionType.Add, AuditEntityMapper.ToEntity(entry)),
            new(TableTransactionActionType.UpsertMerge, DispatchMarker(claim.Id, entry.At)),
        ], cancellationToken);
        entity.ETag = results.Value[0].Headers.ETag ?? default;
        var created = new StoredClaim(claim, entity.ETag, entry.Sequence, entry.Hash, requestHash, entity);
        Remember(claim.Id, created);
        Notify(new ClaimCommit(created, null, [entry], [], results.Value[^1].Headers.ETag ?? default));
        return created;
    }

    /// <summary>Reads the claim, lets <paramref name="decide"/> choose a change, and commits it with its audit entry.
    /// Retries on a concurrent change. Returns the stored result, or the decide function's refusal. Pass
    /// <paramref name="known"/> when the claim was just read.</summary>
    public async Task<(StoredClaim? Claim, ClaimTransitionError? Error)> ChangeAsync(
        string claimId,
        Func<StoredClaim, (ClaimChange? Change, ClaimTransitionError? Error)> decide,
        CancellationToken cancellationToken = default,
        StoredClaim? known = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            // A copy the caller (or this process) just read saves a round trip; a conflict makes us read fresh state.
            var recent = attempt == 0 ? known : null;
            if (attempt == 0 && recent is null)
            {
                _recent.TryRemove(claimId, out recent);
            }
            var fromMemory = recent is not null;
            var current = fromMemory ? recent : await GetAsync(claimId, cancellationToken);
            if (current is null)
            {
                return (null, new ClaimTransitionError("not-found", "The claim does not exist."));
            }
            var (change, error) = decide(current);
            if (change is null)
            {
                if (fromMemory)
                {
                    // Only a fresh read may refuse: the remembered copy could be behind another instance's change.
                    continue;
                }
                return (current, error);
            }
            var now = clock.GetUtcNow();
            var entries = new List<AuditEntry>();
            var (seq, head) = (current.AuditSequence, current.AuditHead);
            foreach (var draft in (change.MoreAudits ?? []).Prepend(change.Audit))
            {
                var e = AuditChain.Append(claimId, seq, head, draft, now);
                entries.Add(e);
                (seq, head) = (e.Sequence, e.Hash);
            }
            var entity = ClaimEntityMapper.ToEntity(change.Claim, Clone(current.Raw), seq, head);
            foreach (var (k, v) in change.ExtraProperties ?? new Dictionary<string, object?>())
            {
                entity.Remove(k);
                if (v is not null) entity[k] = v;
            }
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, entity, current.ETag) };
            actions.AddRange(entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, AuditEntityMapper.ToEntity(e))));
            actions.AddRange((change.ExtraRows ?? []).Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
            actions.Add(new(TableTransactionActionType.UpsertMerge, DispatchMarker(claimId, now)));
            try
            {
                var results = await storage.Claims.SubmitCheckedTransactionAsync(actions, cancellationToken);
                entity.ETag = results.Value[0].Headers.ETag ?? default;
                var stored = new StoredClaim(change.Claim, entity.ETag, seq, head, current.RequestHash, entity);
                Remember(claimId, stored);
                Notify(new ClaimCommit(stored, current, entries, change.ExtraRows ?? [], results.Value[^1].Headers.ETag ?? default));
                return (stored, null);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 10)
            {
                // Someone else changed the claim between our read and write (or our remembered copy was stale): decide again
                // on fresh state.
                _recent.TryRemove(claimId, out _);
                await Task.Delay(Random.Shared.Next(5, 20 * (attempt + 1)), cancellationToken);
            }
        }
    }

    /// <summary>The claim's audit chain in order.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string claimId, CancellationToken cancellationToken = default)
    {
        var list = new List<AuditEntry>();
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {claimId} and RowKey ge {AuditRowPrefix} and RowKey lt {AuditRowPrefix + "~"}"), cancellationToken: cancellationToken))
        {
            list.Add(AuditEntityMapper.FromEntity(e));
        }
        return list;
    }

    private void Notify(ClaimCommit commit)
    {
        foreach (var l in _listeners)
        {
            l.OnCommitted(commit);
        }
    }

    private static TableEntity Clone(TableEntity source)
    {
        var copy = new TableEntity(source.PartitionKey, source.RowKey);
        foreach (var (k, v) in source)
        {
            copy[k] = v;
        }
        return copy;
    }
}

/// <summary>Claim ↔ table row.</summary>
public static class ClaimEntityMapper
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static TableEntity ToEntity(Claim c, TableEntity entity, long auditSequence, string auditHead)
    {
        void Set(string key, object? value)
        {
            // Remove first: the SDK's entity refuses to change a property's type in place (a read DateTimeOffset vs a DateTime).
            entity.Remove(key);
            if (value is not null) entity[key] = value;
        }
        var f = c.Fields;
        Set("CompanyId", c.CompanyId);
        Set("OwnerId", c.OwnerId);
        Set("Department", c.Department);
        Set("SubmittedBy", c.SubmittedBy);
        Set("Source", c.Source.ToString());
        Set("Status", c.Status.ToString());
        Set("Category", f.Category);
        Set("Amount", f.Amount?.ToString(CultureInfo.InvariantCulture));
        Set("Currency", f.Currency);
        Set("ExpenseDate", f.ExpenseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Set("Merchant", f.Merchant);
        Set("Description", f.Description);
        Set("Project", f.Project);
        Set("CostCentre", f.CostCentre);
        Set("Receipts", JsonSerializer.Serialize(c.Receipts, Json));
        Set("CreatedAt", c.CreatedAt.UtcDateTime);
        Set("SubmittedAt", c.SubmittedAt?.UtcDateTime);
        Set("UpdatedAt", c.UpdatedAt.UtcDateTime);
        Set("AttentionReason", c.AttentionReason);
        Set("AuditSeq", auditSequence);
        Set("AuditHead", auditHead);
        return entity;
    }

    public static StoredClaim FromEntity(TableEntity e)
    {
        var fields = new ClaimFields(
            e.GetString("Category"),
            e.GetString("Amount") is { } a ? decimal.Parse(a, NumberStyles.Number, CultureInfo.InvariantCulture) : null,
            e.GetString("Currency"),
            e.GetString("ExpenseDate") is { } d ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            e.GetString("Merchant"),
            e.GetString("Description"),
            e.GetString("Project"),
            e.GetString("CostCentre"));
        var claim = new Claim(
            e.PartitionKey,
            e.GetString("CompanyId") ?? "",
            e.GetString("OwnerId") ?? "",
            e.GetString("Department") ?? "",
            e.GetString("SubmittedBy") ?? e.GetString("OwnerId") ?? "",
            Enum.Parse<ClaimSource>(e.GetString("Source") ?? nameof(ClaimSource.Api)),
            Enum.Parse<ClaimStatus>(e.GetString("Status") ?? nameof(ClaimStatus.Submitted)),
            fields,
            JsonSerializer.Deserialize<List<ReceiptRef>>(e.GetString("Receipts") ?? "[]", Json) ?? [],
            e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
            e.GetDateTimeOffset("SubmittedAt"),
            e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            e.GetString("AttentionReason"));
        return new StoredClaim(claim, e.ETag, e.GetInt64("AuditSeq") ?? 0, e.GetString("AuditHead") ?? AuditEntry.GenesisHash, e.GetString("RequestHash"), e);
    }
}

/// <summary>Audit entry ↔ table row. There is deliberately no update or delete path for these rows.</summary>
public static class AuditEntityMapper
{
    public static TableEntity ToEntity(AuditEntry a) => new(a.ChainId, ClaimStore.AuditRowKey(a.Sequence))
    {
        ["Seq"] = a.Sequence,
        ["Action"] = a.Action,
        ["ActorId"] = a.ActorId,
        ["ActorRole"] = a.ActorRole,
        ["At"] = a.At.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
        ["SourceIp"] = a.SourceIp ?? "",
        ["Outcome"] = a.Outcome.ToString(),
        ["Details"] = a.Details,
        ["PrevHash"] = a.PreviousHash,
        ["Hash"] = a.Hash,
    };

    /// <summary>Reads an audit row. Copies of entries kept elsewhere (query indexes) name their chain explicitly.</summary>
    public static AuditEntry FromEntity(TableEntity e, string? chainId = null, long missingSequence = -1) => new(
        chainId ?? e.PartitionKey,
        e.GetInt64("Seq") ?? missingSequence,
        e.GetString("Action") ?? "",
        e.GetString("ActorId") ?? "",
        e.GetString("ActorRole") ?? "",
        DateTimeOffset.Parse(e.GetString("At") ?? "0001-01-01T00:00:00Z", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
        e.GetString("SourceIp") is { Length: > 0 } ip ? ip : null,
        Enum.TryParse<AuditOutcome>(e.GetString("Outcome"), out var o) ? o : AuditOutcome.Allowed,
        e.GetString("Details") ?? "",
        e.GetString("PrevHash") ?? "",
        e.GetString("Hash") ?? "");
}
