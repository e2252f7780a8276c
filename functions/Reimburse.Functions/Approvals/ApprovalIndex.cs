using Reimburse.Functions.Hosting;
using Reimburse.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>"Pending for user" index (table approvalindex, partition user-{id}, row = claim id), kept by the dispatcher from
/// <see cref="Reimburse.Core.Approvals.ApprovalWorkflow.Principals"/>. Rows are only added on the write path; a row whose
/// claim no longer waits on the user is deleted by the reader (If-Match, so a row re-added meanwhile survives).</summary>
public sealed class ApprovalIndex(ReimburseStorage storage)
{
    public static string UserPartition(string userId) => "user-" + userId;

    public Task AddAsync(string userId, string claimId, int version, CancellationToken cancellationToken = default) =>
        storage.ApprovalIndex.UpsertEntityAsync(new TableEntity(UserPartition(userId), claimId)
        {
            ["ClaimId"] = claimId,
            ["Version"] = version,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<IReadOnlyList<TableEntity>> ForUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in storage.ApprovalIndex.QueryAsync(TableFilter.PartitionEquals(UserPartition(userId)), cancellationToken: cancellationToken))
        {
            rows.Add(e);
        }
        return rows;
    }

    /// <summary>Removes a stale row unless it changed since it was read.</summary>
    public async Task RemoveStaleAsync(TableEntity row, CancellationToken cancellationToken = default)
    {
        try
        {
            await storage.ApprovalIndex.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken);
        }
        catch (Azure.RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Gone already, or re-added for a new step: leave it.
        }
    }
}
