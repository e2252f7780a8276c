using System.Globalization;
using Reimburse.Core.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Storage;

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
        var page = await storage.ClaimIndex.QueryPageAsync(TableFilter.PartitionEquals(OwnerPartition(ownerId)), pageSize, ["ClaimId"], continuation, cancellationToken);
        return (page.Items.Select(e => e.GetString("ClaimId")!).Where(id => id is not null).ToList(), page.ContinuationToken);
    }
}
