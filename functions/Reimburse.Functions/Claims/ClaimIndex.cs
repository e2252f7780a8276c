using System.Globalization;
using Reimburse.Core.Claims;
using Reimburse.Functions.Hosting;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Claims;

/// <summary>"My claims" index: one partition per owner, newest first by inverted creation time.
/// Written after the claim itself and again by the pipeline, so a crash in between heals.</summary>
public sealed class ClaimIndex(ReimburseStorage storage)
{
    public static string OwnerPartition(string ownerId) => "owner-" + ownerId;

    public static string RowKey(Claim claim) =>
        (DateTimeOffset.MaxValue.UtcTicks - claim.CreatedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + claim.Id;

    public Task UpsertAsync(Claim claim, CancellationToken cancellationToken = default) =>
        storage.ClaimIndex.UpsertEntityAsync(new TableEntity(OwnerPartition(claim.OwnerId), RowKey(claim))
        {
            ["ClaimId"] = claim.Id,
            ["CreatedAt"] = claim.CreatedAt.UtcDateTime,
        }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>One page of the owner's claim ids, newest first.</summary>
    public async Task<(IReadOnlyList<string> ClaimIds, string? Continuation)> PageAsync(string ownerId, int pageSize, string? continuation, CancellationToken cancellationToken = default)
    {
        var page = await storage.ClaimIndex.QueryPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {OwnerPartition(ownerId)}"), pageSize, ["ClaimId"],
            continuation is null ? null : DecodeToken(continuation), cancellationToken);
        return (page.Values.Select(e => e.GetString("ClaimId")!).Where(id => id is not null).ToList(),
            page.ContinuationToken is { Length: > 0 } next ? EncodeToken(next) : null);
    }

    /// <summary>The SDK's token (next partition and row key) made URL-safe and opaque; a token we did not issue is a FormatException.</summary>
    private static string EncodeToken(string tableToken) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(tableToken)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeToken(string token)
    {
        var b64 = token.Replace('-', '+').Replace('_', '/');
        var raw = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64.PadRight((b64.Length + 3) / 4 * 4, '=')));
        return raw.Length > 0 && !raw.Any(char.IsControl) ? raw : throw new FormatException("Malformed continuation token.");
    }
}
