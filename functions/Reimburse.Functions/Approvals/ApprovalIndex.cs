using Reimburse.Functions.Hosting;
using Azure;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>"Pending for user" index (table approvalindex, partition user-{id}, row = claim id), kept by the dispatcher from
/// <see cref="Reimburse.Core.Approvals.ApprovalWorkflow.Principals"/>. Rows are only added on the write path; a row whose
/// claim no longer waits on the user is deleted by the reader (If-Match, so a row re-added meanwhile survives). Adds are
/// group-committed: an approver's partition collects the rows of every claim dispatched in the same round.</summary>
public sealed class ApprovalIndex(ReimburseStorage storage, TableUpsertBatcher batcher)
{
    public static string UserPartition(string userId) => "user-" + userId;

    public Task AddAsync(string userId, string claimId, int version, CancellationToken cancellationToken = default) =>
        batcher.UpsertAsync(storage.ApprovalIndex, [Row(userId, claimId, version)], cancellationToken);

    /// <summary>Adds the claim's rows for several users (one group-commit hand-off).</summary>
    public Task AddAsync(IEnumerable<string> userIds, string claimId, int version, CancellationToken cancellationToken = default) =>
        batcher.UpsertAsync(storage.ApprovalIndex, userIds.Select(u => Row(u, claimId, version)).ToList(), cancellationToken);

    private static TableEntity Row(string userId, string claimId, int version) => new(UserPartition(userId), claimId)
    {
        ["ClaimId"] = claimId,
        ["Version"] = version,
    };

    public async Task<IReadOnlyList<TableEntity>> ForUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in storage.ApprovalIndex.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {UserPartition(userId)}"), cancellationToken: cancellationToken))
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
