using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;
using Reimburse.Core;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Core.Exports;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Functions.Identity;

namespace Reimburse.Functions.Exports;

/// <summary>The body of POST /api/exports.</summary>
public sealed record ExportRequest(string? Target, string? From, string? To, string? Department, bool Reexport = false, IReadOnlyList<string>? ClaimIds = null, string? Reason = null);

/// <summary>A validated request: approved in [From, To] (Hong Kong dates), in <see cref="Departments"/>.</summary>
public sealed record ExportSelection(string Target, DateOnly From, DateOnly To, string? Department, IReadOnlyList<string> Departments, bool Reexport, IReadOnlySet<string> ClaimIds, string? Reason);

/// <summary>
/// Builds export batches. Exactly once by key: the batch id comes from the caller's Idempotency-Key (a retry resumes the
/// same batch), every claim of a batch is claimed with an insert-if-absent mark (claim, target), so a claim is exported once
/// per target whatever runs concurrently; a re-export replaces the mark (If-Match) and appends <c>claim.reexported</c> to the
/// claim's audit chain once (the claim row remembers the batch). A batch left Building by a crash is resumed by the same
/// key, and its marks are taken over by a later batch once it is <see cref="StaleAfter"/> old.
/// </summary>
public sealed partial class ExportBatches(
    ReimburseStorage storage,
    ExportStore store,
    ExportMappings mappings,
    ClaimStore claims,
    CompanyProvider companies,
    TimeProvider clock,
    ILogger<ExportBatches> logger)
{
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    public ExportStore Store => store;
    private const string ReexportProperty = "LastReexport";

    public static string BatchId(string companyId, string userId, string? idempotencyKey, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(idempotencyKey))
        {
            return "exp_" + ClaimIds.New(now)[4..];
        }
        return "exp_" + ClaimIds.FromKey(companyId, userId, "export", idempotencyKey)[4..];
    }

    /// <summary>Creates (or resumes) the batch and returns its header row.</summary>
    public async Task<TableEntity> CreateAsync(string batchId, Caller caller, ExportSelection selection, DurableTaskClient? durable, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var company = await companies.GetAsync(cancellationToken);
        var header = await store.GetBatchAsync(batchId, cancellationToken);
        if (header is not null && header.GetString("Status") != ExportBatchStatus.Building)
        {
            return header;
        }
        header ??= new TableEntity(batchId, ExportStore.BatchRow)
        {
            ["Target"] = selection.Target,
            ["From"] = selection.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["To"] = selection.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["Department"] = selection.Department,
            ["Departments"] = string.Join(",", selection.Departments),
            ["CreatedBy"] = caller.Id,
            ["CreatedAt"] = now.UtcDateTime,
            ["Reexport"] = selection.Reexport,
            ["Reason"] = selection.Reason,
            ["ClaimIds"] = selection.Reexport ? string.Join(",", selection.ClaimIds.Order(StringComparer.Ordinal)) : null,
            ["Status"] = ExportBatchStatus.Building,
        };
        await store.Batches.UpsertEntityAsync(header, TableUpdateMode.Replace, cancellationToken);

        var candidates = await CandidatesAsync(selection, company, cancellationToken);
        var marks = new ConcurrentDictionary<string, TableEntity?>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(candidates, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (c, ct) =>
            marks[c.ClaimId] = await store.Marks.GetEntityOrDefaultAsync(c.ClaimId, selection.Target, cancellationToken: ct));
        var fxOverrides = new ConcurrentDictionary<string, FxRate>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(candidates.Where(c => c.Amount.Currency != company.BaseCurrency), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (c, ct) =>
        {
            if (await store.Marks.GetEntityOrDefaultAsync(c.ClaimId, ExportStore.FxOverrideRow, cancellationToken: ct) is { } o && ExportStore.ReadRate(o) is { } r) fxOverrides[c.ClaimId] = r;
        });

        var included = new List<(ExportClaim Claim, TableEntity? Mark, int Generation)>();
        var skipped = 0;
        foreach (var c in candidates)
        {
            var mark = marks[c.ClaimId];
            if (mark is null || mark.GetString("BatchId") == batchId)
            {
                included.Add((c, mark, mark?.GetInt32("Generation") ?? 1));
            }
            else if (selection.Reexport || await IsAbandonedAsync(mark.GetString("BatchId"), now, cancellationToken))
            {
                included.Add((c, mark, (mark.GetInt32("Generation") ?? 1) + (selection.Reexport ? 1 : 0)));
            }
            else
            {
                skipped++;
            }
        }

        var mapping = await mappings.GetAsync(ExportTargets.System(selection.Target), cancellationToken);
        var rates = await store.GetRatesAsync(included.Select(i => i.Claim.Amount.Currency).Where(cur => cur != company.BaseCurrency), company.BaseCurrency, cancellationToken);
        var bills = new List<(Bill Bill, ExportClaim Claim, TableEntity? Mark, int Generation)>();
        var failures = new List<BillFailure>();
        foreach (var (c, mark, generation) in included)
        {
            var fx = FxRates.Resolve(c.Amount.Currency, company.BaseCurrency, c.ExpenseDate, rates, fxOverrides.GetValueOrDefault(c.ClaimId));
            var (bill, failure) = BillBuilder.Build(c, mapping, fx, company);
            if (bill is not null) bills.Add((bill, c, mark, generation));
            else failures.Add(failure!);
        }

        // Claim the bills: insert-if-absent marks (or a re-export's conditional replace). A claim another batch took in the
        // meantime fails here with the reason, so no claim is in two batches of a target.
        var file = ExportTargets.IsFile(selection.Target);
        var won = new ConcurrentBag<(Bill Bill, ExportClaim Claim, int Generation)>();
        await Parallel.ForEachAsync(bills, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (b, ct) =>
        {
            var row = new TableEntity(b.Claim.ClaimId, selection.Target)
            {
                ["BatchId"] = batchId,
                ["Generation"] = b.Generation,
                ["Status"] = file ? ExportClaimStatus.Exported : ExportClaimStatus.Queued,
                ["Department"] = b.Claim.Department,
                ["ExportedAt"] = now.UtcDateTime,
                ["ExportedBy"] = caller.Id,
            };
            try
            {
                if (b.Mark is null) await store.Marks.AddEntityAsync(row, ct);
                else if (b.Mark.GetString("BatchId") != batchId) await store.Marks.UpdateEntityAsync(row, b.Mark.ETag, TableUpdateMode.Replace, ct);
                won.Add((b.Bill, b.Claim, b.Generation));
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                var now2 = await store.Marks.GetEntityOrDefaultAsync(b.Claim.ClaimId, selection.Target, cancellationToken: ct);
                if (now2?.GetString("BatchId") == batchId) won.Add((b.Bill, b.Claim, b.Generation));
                else lock (failures) failures.Add(new BillFailure(b.Claim.ClaimId, "exported-meanwhile", $"Batch {now2?.GetString("BatchId")} exported this claim to {selection.Target} at the same time."));
            }
        });
        var ordered = won.OrderBy(w => w.Claim.ApprovedAt).ThenBy(w => w.Claim.ClaimId, StringComparer.Ordinal).ToList();

        if (selection.Reexport)
        {
            foreach (var w in ordered.Where(w => marks[w.Claim.ClaimId] is { } m && m.GetString("BatchId") != batchId))
            {
                await AuditReexportAsync(w.Claim.ClaimId, batchId, selection, marks[w.Claim.ClaimId]!.GetString("BatchId"), caller, cancellationToken);
            }
        }

        // Per-claim rows of the batch (100 per transaction, the batch's own partition).
        var rows = ordered.Select(w => ClaimRow(batchId, w.Claim, w.Bill, w.Generation, file ? ExportClaimStatus.Exported : ExportClaimStatus.Queued, null, null))
            .Concat(failures.Select(f => FailureRow(batchId, f, candidates.First(c => c.ClaimId == f.ClaimId))))
            .ToList();
        foreach (var chunk in rows.Chunk(100))
        {
            await store.Batches.SubmitCheckedTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), cancellationToken);
        }

        var billList = ordered.Select(w => w.Bill).ToList();
        var files = new List<string>();
        if (file)
        {
            foreach (var f in ExportFiles.Csv(selection.Target, billList, batchId))
            {
                await store.PutFileAsync(batchId, f, cancellationToken);
                files.Add(f.Name);
            }
        }
        var workbook = ExportFiles.Workbook(batchId, selection.Target, billList, failures, company.BaseCurrency);
        await store.PutFileAsync(batchId, workbook, cancellationToken);
        files.Add(workbook.Name);

        header["Files"] = JsonSerializer.Serialize(files, ExportStore.Json);
        header["Skipped"] = skipped;
        header["Status"] = file || billList.Count == 0
            ? (failures.Count > 0 ? ExportBatchStatus.CompletedWithFailures : ExportBatchStatus.Completed)
            : ExportBatchStatus.Syncing;
        if (!file && billList.Count > 0)
        {
            if (durable is null) throw new InvalidOperationException("An API export needs the durable client.");
            await ExportOrchestration.StartAsync(durable, batchId, 1, billList.Select(b => b.ClaimId).ToList(), cancellationToken);
        }
        await store.Batches.UpsertEntityAsync(header, TableUpdateMode.Replace, cancellationToken);
        LogBatch(logger, batchId, selection.Target, billList.Count, failures.Count, skipped);
        return header;
    }

    private async Task<bool> IsAbandonedAsync(string? otherBatch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (otherBatch is null) return true;
        var other = await store.GetBatchAsync(otherBatch, cancellationToken);
        return other is null || (other.GetString("Status") == ExportBatchStatus.Building
            && other.GetDateTimeOffset("CreatedAt") is { } created && now - created > StaleAfter);
    }

    /// <summary>Appends <c>claim.reexported</c> to the claim's chain once per batch and target (the claim row keeps the last
    /// re-export's key, so a resumed batch does not append it again).</summary>
    private async Task AuditReexportAsync(string claimId, string batchId, ExportSelection selection, string? previousBatch, Caller caller, CancellationToken cancellationToken)
    {
        var key = batchId + ":" + selection.Target;
        await claims.ChangeAsync(claimId, current => current.Raw.GetString(ReexportProperty) == key
            ? (null, new ClaimTransitionError("done", "Recorded already."))
            : (new ClaimChange(current.Claim, new AuditDraft("claim.reexported", caller.Id, caller.PrimaryRole, caller.SourceIp,
                JsonSerializer.Serialize(new { target = selection.Target, batchId, previousBatchId = previousBatch, reason = selection.Reason }, ExportStore.Json)),
                new Dictionary<string, object?> { [ReexportProperty] = key }), null), cancellationToken);
    }

    /// <summary>Approved claims (ledger rows) in the range and departments, with what the bill needs from the claim row.</summary>
    private async Task<IReadOnlyList<ExportClaim>> CandidatesAsync(ExportSelection selection, CompanyDirectory company, CancellationToken cancellationToken)
    {
        // The ledger is partitioned by the UTC approval day; widen by a day each side and filter on Hong Kong dates.
        var fromKey = selection.From.AddDays(-1).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var toKey = selection.To.AddDays(1).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var ledger = new Dictionary<string, (DateTimeOffset ApprovedAt, TableEntity Row)>(StringComparer.Ordinal);
        await foreach (var e in storage.Ledger.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey ge {fromKey} and PartitionKey le {toKey}"), cancellationToken: cancellationToken))
        {
            var claimId = e.GetString("ClaimId");
            var approvedAt = e.GetDateTimeOffset("ApprovedAt");
            if (claimId is null || approvedAt is null) continue;
            var local = DateOnly.FromDateTime(approvedAt.Value.UtcDateTime.AddHours(8));
            if (local < selection.From || local > selection.To) continue;
            if (!selection.Departments.Contains(e.GetString("Department") ?? "")) continue;
            if (selection.ClaimIds.Count > 0 && !selection.ClaimIds.Contains(claimId)) continue;
            ledger.TryAdd(claimId, (approvedAt.Value, e));
        }
        var result = new ConcurrentBag<ExportClaim>();
        await Parallel.ForEachAsync(ledger, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (kv, ct) =>
        {
            var stored = await claims.GetAsync(kv.Key, ct);
            if (stored is null || stored.Claim.Status != ClaimStatus.Approved) return;
            var c = stored.Claim;
            var owner = company.FindUser(c.OwnerId);
            var amount = decimal.TryParse(kv.Value.Row.GetString("Amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out var a) ? a : c.Fields.Amount ?? 0m;
            result.Add(new ExportClaim(c.Id, c.OwnerId, owner?.Name ?? c.OwnerId, owner?.NameZh, owner?.Email ?? "", c.Department,
                c.Fields.Category ?? "", c.Fields.Merchant, c.Fields.Description, c.Fields.ExpenseDate ?? DateOnly.FromDateTime(kv.Value.ApprovedAt.UtcDateTime),
                kv.Value.ApprovedAt, new Money(amount, kv.Value.Row.GetString("Currency") ?? c.Fields.Currency ?? company.BaseCurrency),
                c.Receipts.Select(r => new ExportReceipt(r.Id, r.FileName, r.ContentType, r.Sha256)).ToList()));
        });
        return result.OrderBy(c => c.ApprovedAt).ThenBy(c => c.ClaimId, StringComparer.Ordinal).ToList();
    }

    internal static TableEntity ClaimRow(string batchId, ExportClaim claim, Bill bill, int generation, string status, string? remoteId, string? reason) =>
        new(batchId, ExportStore.ClaimRowKey(claim.ClaimId))
        {
            ["ClaimId"] = claim.ClaimId,
            ["Department"] = claim.Department,
            ["OwnerId"] = claim.OwnerId,
            ["Currency"] = bill.Currency,
            ["Amount"] = bill.Total.ToString(CultureInfo.InvariantCulture),
            ["Rate"] = bill.Fx.RateText,
            ["RateDate"] = bill.Fx.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["RateSource"] = bill.Fx.Source,
            ["BaseAmount"] = bill.BaseTotal.ToString(CultureInfo.InvariantCulture),
            ["Generation"] = generation,
            ["Status"] = status,
            ["RemoteId"] = remoteId,
            ["Reason"] = reason,
            ["Bill"] = JsonSerializer.Serialize(bill, ExportStore.Json),
            ["Receipts"] = JsonSerializer.Serialize(claim.Receipts, ExportStore.Json),
        };

    private static TableEntity FailureRow(string batchId, BillFailure f, ExportClaim claim) => new(batchId, ExportStore.ClaimRowKey(f.ClaimId))
    {
        ["ClaimId"] = f.ClaimId,
        ["Department"] = claim.Department,
        ["OwnerId"] = claim.OwnerId,
        ["Currency"] = claim.Amount.Currency,
        ["Amount"] = claim.Amount.Amount.ToString(CultureInfo.InvariantCulture),
        ["Status"] = ExportClaimStatus.Failed,
        ["Code"] = f.Code,
        ["Reason"] = f.Reason,
    };

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Export {BatchId} to {Target}: {Bills} bills, {Failed} failed, {Skipped} already exported")]
    private static partial void LogBatch(ILogger logger, string batchId, string target, int bills, int failed, int skipped);
}
