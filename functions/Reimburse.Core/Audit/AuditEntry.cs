using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Reimburse.Core.Audit;

/// <summary>Whether the audited action was allowed.</summary>
public enum AuditOutcome { Allowed, Denied }

/// <summary>One entry of a claim's hash-chained audit log: who did what, when (UTC), from where.</summary>
public sealed record AuditEntry(
    string ChainId,
    long Sequence,
    string Action,
    string ActorId,
    string ActorRole,
    DateTimeOffset At,
    string? SourceIp,
    AuditOutcome Outcome,
    string Details,
    string PreviousHash,
    string Hash)
{
    /// <summary>The previous hash of the first entry of every chain.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
}

/// <summary>What a state change wants recorded; the chain position and hashes are added by <see cref="AuditChain"/>.</summary>
public sealed record AuditDraft(string Action, string ActorId, string ActorRole, string? SourceIp, string Details, AuditOutcome Outcome = AuditOutcome.Allowed);

/// <summary>Hashing rules of the audit chain. Pure: the same entry always hashes the same.</summary>
public static class AuditChain
{
    /// <summary>Builds the next entry after a chain head (sequence 0 and genesis hash for an empty chain).</summary>
    public static AuditEntry Append(string chainId, long headSequence, string headHash, AuditDraft draft, DateTimeOffset at)
    {
        var seq = headSequence + 1;
        var utc = at.ToUniversalTime();
        var hash = ComputeHash(chainId, seq, draft.Action, draft.ActorId, draft.ActorRole, utc, draft.SourceIp, draft.Outcome, draft.Details, headHash);
        return new AuditEntry(chainId, seq, draft.Action, draft.ActorId, draft.ActorRole, utc, draft.SourceIp, draft.Outcome, draft.Details, headHash, hash);
    }

    /// <summary>Recomputes an entry's hash from its fields.</summary>
    public static string ComputeHash(AuditEntry e) =>
        ComputeHash(e.ChainId, e.Sequence, e.Action, e.ActorId, e.ActorRole, e.At, e.SourceIp, e.Outcome, e.Details, e.PreviousHash);

    /// <summary>SHA-256 over a JSON array of the fields: unambiguous, whatever the field contents.</summary>
    public static string ComputeHash(string chainId, long seq, string action, string actorId, string actorRole, DateTimeOffset at, string? sourceIp, AuditOutcome outcome, string details, string previousHash)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[]
        {
            "v1", chainId, seq, action, actorId, actorRole, at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture),
            sourceIp, outcome.ToString(), details, previousHash,
        });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }

    /// <summary>Checks a chain in order; returns the first broken entry and why, or null when intact.</summary>
    public static (AuditEntry Entry, string Reason)? FindFirstBroken(IEnumerable<AuditEntry> chainInOrder)
    {
        var expectedPrev = AuditEntry.GenesisHash;
        long expectedSeq = 1;
        foreach (var e in chainInOrder)
        {
            if (e.Sequence != expectedSeq)
            {
                return (e, $"sequence {e.Sequence} where {expectedSeq} was expected (an entry is missing or out of order)");
            }
            if (!string.Equals(e.PreviousHash, expectedPrev, StringComparison.Ordinal))
            {
                return (e, "previous-hash does not match the hash of the entry before it");
            }
            if (!string.Equals(ComputeHash(e), e.Hash, StringComparison.Ordinal))
            {
                return (e, "content does not match its hash (the entry was edited)");
            }
            expectedPrev = e.Hash;
            expectedSeq++;
        }
        return null;
    }
}
