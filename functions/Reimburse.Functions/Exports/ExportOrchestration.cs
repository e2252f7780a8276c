using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Reimburse.Core.Exports;
using Reimburse.Functions.Exports.Sync;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Exports;

/// <summary>Input of <see cref="ExportOrchestration"/>: the claims of a batch to post, in order.</summary>
public sealed record ExportRun(string BatchId, int Round, IReadOnlyList<string> ClaimIds);

/// <summary>Input of <see cref="ExportActivities.SyncExportClaim"/>.</summary>
public sealed record ExportClaimSync(string BatchId, string ClaimId);

/// <summary>
/// Posts an API export batch, claim by claim, as activities of a durable orchestration (instance <c>{batchId}:r{round}</c>;
/// a retry of the failed claims is the next round). The activity is exactly once by key: it returns at once for a claim
/// whose remote id is recorded, and posts with the claim's idempotency key otherwise, so a crash between the vendor's
/// answer and our record costs one repeated request, never a second bill.
/// </summary>
public sealed class ExportOrchestration
{
    /// <summary>How many claims are in flight at once (each activity waits for the provider's pace anyway).</summary>
    private const int Parallelism = 4;

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(30)));

    [Function(nameof(ExportOrchestration))]
    public async Task<string> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var run = context.GetInput<ExportRun>() ?? throw new InvalidOperationException("No export input.");
        var pending = new Queue<string>(run.ClaimIds);
        var inFlight = new List<Task<string>>();
        while (pending.Count > 0 || inFlight.Count > 0)
        {
            while (pending.Count > 0 && inFlight.Count < Parallelism)
            {
                inFlight.Add(context.CallActivityAsync<string>(nameof(ExportActivities.SyncExportClaim), new ExportClaimSync(run.BatchId, pending.Dequeue()), Retry));
            }
            var done = await Task.WhenAny(inFlight);
            inFlight.Remove(done);
            try
            {
                await done;
            }
            catch (TaskFailedException)
            {
                // The activity records a claim's failure itself; one that still threw after its retries stays queued and
                // shows in the batch as not finished (retry the batch).
            }
        }
        await context.CallActivityAsync<bool>(nameof(ExportActivities.FinishExport), run.BatchId, Retry);
        return "done";
    }

    public static async Task StartAsync(DurableTaskClient client, string batchId, int round, IReadOnlyList<string> claimIds, CancellationToken cancellationToken = default)
    {
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ExportOrchestration), new ExportRun(batchId, round, claimIds),
                new StartOrchestrationOptions($"{batchId}:r{round}"), cancellationToken);
        }
        catch (global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException)
        {
            // A resumed batch: its orchestration runs already.
        }
    }
}

/// <summary>The export orchestration's activities.</summary>
public sealed partial class ExportActivities(ExportStore store, IEnumerable<IAccountingApi> apis, TimeProvider clock, ILogger<ExportActivities> logger)
{
    /// <summary>The idempotency key of a claim's bill: the same for every attempt of the same claim, target and generation
    /// (a re-export is a new generation, so it creates a new bill on purpose).</summary>
    public static string IdempotencyKey(string claimId, string target, int generation) => $"reimburse-{claimId}-{target}-g{generation}";

    [Function(nameof(SyncExportClaim))]
    public async Task<string> SyncExportClaim([ActivityTrigger] ExportClaimSync input)
    {
        var row = await store.Batches.GetEntityOrDefaultAsync(input.BatchId, ExportStore.ClaimRowKey(input.ClaimId))
            ?? throw new InvalidOperationException($"Claim {input.ClaimId} is not in export {input.BatchId}.");
        if (row.GetString("Status") == ExportClaimStatus.Posted) return row.GetString("RemoteId") ?? "";
        var header = await store.GetBatchAsync(input.BatchId) ?? throw new InvalidOperationException($"Export {input.BatchId} does not exist.");
        var target = header.GetString("Target")!;
        var api = apis.First(a => a.Provider == ExportTargets.System(target));
        var bill = JsonSerializer.Deserialize<Bill>(row.GetString("Bill")!, ExportStore.Json)!;
        var receipts = JsonSerializer.Deserialize<List<ExportReceipt>>(row.GetString("Receipts") ?? "[]", ExportStore.Json) ?? [];
        var generation = row.GetInt32("Generation") ?? 1;
        PostResult result;
        try
        {
            result = await api.PostBillAsync(bill, receipts, IdempotencyKey(input.ClaimId, target, generation));
        }
        catch (Exception ex) when (ex is AccountingConnectionException or RateLimitedException or HttpRequestException)
        {
            result = PostResult.Failed(ex.Message, true);
        }
        row["Status"] = result.RemoteId is not null ? ExportClaimStatus.Posted : ExportClaimStatus.Failed;
        row["RemoteId"] = result.RemoteId;
        row["Reason"] = result.Error;
        row["Code"] = result.RemoteId is not null ? null : result.Retryable ? "retryable" : "refused";
        row["SyncedAt"] = clock.GetUtcNow().UtcDateTime;
        await store.Batches.UpsertEntityAsync(row, TableUpdateMode.Replace);
        var mark = await store.Marks.GetEntityOrDefaultAsync(input.ClaimId, target);
        if (mark is not null && mark.GetString("BatchId") == input.BatchId)
        {
            mark["Status"] = row["Status"];
            mark["RemoteId"] = result.RemoteId;
            try
            {
                await store.Marks.UpdateEntityAsync(mark, mark.ETag, TableUpdateMode.Replace);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // A re-export took the mark over meanwhile: the batch row above keeps this result.
            }
        }
        LogSynced(logger, input.BatchId, input.ClaimId, (string)row["Status"], result.RemoteId, result.Error);
        return result.RemoteId ?? "";
    }

    [Function(nameof(FinishExport))]
    public async Task<bool> FinishExport([ActivityTrigger] string batchId)
    {
        var header = await store.GetBatchAsync(batchId) ?? throw new InvalidOperationException($"Export {batchId} does not exist.");
        var rows = await store.GetBatchClaimsAsync(batchId);
        header["Status"] = rows.Any(r => r.GetString("Status") == ExportClaimStatus.Failed) ? ExportBatchStatus.CompletedWithFailures
            : rows.Any(r => r.GetString("Status") == ExportClaimStatus.Queued) ? ExportBatchStatus.Syncing : ExportBatchStatus.Completed;
        header["FinishedAt"] = clock.GetUtcNow().UtcDateTime;
        await store.Batches.UpsertEntityAsync(header, TableUpdateMode.Replace);
        return true;
    }

    [LoggerMessage(EventId = 1430, Level = LogLevel.Information, Message = "Export {BatchId}: claim {ClaimId} {Status} {RemoteId} {Error}")]
    private static partial void LogSynced(ILogger logger, string batchId, string claimId, string status, string? remoteId, string? error);
}
