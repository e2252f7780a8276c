using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Reimburse.Core.Company;
using Reimburse.Core.Exports;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Exports;

/// <summary>One claim's result in a batch.</summary>
public sealed record ExportClaimView(string ClaimId, string Status, string? Code, string? Reason, string? RemoteId, string? Currency, string? Amount,
    string? Rate, string? RateDate, string? RateSource, string? BaseAmount, int? Generation);

/// <summary>Counts of a batch's claims by result; <c>skipped</c> were exported to the target before (not in this batch).</summary>
public sealed record ExportCounts(int Claims, int Exported, int Queued, int Posted, int Failed, int Skipped);

/// <summary>A batch as GET /api/exports/{id} shows it.</summary>
public sealed record ExportBatchView(string Id, string Target, string From, string To, string? Department, string Status, string CreatedBy, DateTimeOffset? CreatedAt,
    bool Reexport, string? Reason, ExportCounts Counts, IReadOnlyList<string> Files, IReadOnlyList<ExportClaimView>? Claims);

/// <summary>POST/GET /api/exports, GET /api/exports/{id}, GET /api/exports/{id}/file, POST /api/exports/{id}/retry,
/// GET /api/claims/{id}/exports. Finance users for their departments, admins for all (AccessAction.ExportManage).</summary>
public static class ExportEndpoints
{
    private const int MaxRangeDays = 366;

    public static IEndpointRouteBuilder MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/exports", Create).RequireAuthorization().WithName("CreateExport");
        app.MapGet("/api/exports", List).RequireAuthorization().WithName("ListExports");
        app.MapGet("/api/exports/{id}", Get).RequireAuthorization().WithName("GetExport");
        app.MapGet("/api/exports/{id}/file", File).RequireAuthorization().WithName("GetExportFile");
        app.MapPost("/api/exports/{id}/retry", Retry).RequireAuthorization().WithName("RetryExport");
        app.MapGet("/api/claims/{id}/exports", ClaimExports).RequireAuthorization().WithName("GetClaimExports");
        return app;
    }

    public static async Task<IResult> Create(HttpContext http, ExportBatches batches, CompanyProvider companies, AccessGuard guard, TimeProvider clock,
        [FromServices] DurableTaskClient durable, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        ExportRequest? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync<ExportRequest>(ExportStore.Json, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "The body must be a JSON object: {\"target\", \"from\", \"to\", \"department\"?}.");
        }
        if (request is null) return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "The body must be a JSON object.");
        var idempotencyKey = http.Request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length > 200 || idempotencyKey.Any(c => c is < ' ' or > '~'))
        {
            return Problems.Problem(400, Problems.MalformedRequest, "Bad Idempotency-Key", "Idempotency-Key must be printable ASCII, at most 200 characters.", "Idempotency-Key");
        }
        var company = await companies.GetAsync(cancellationToken);

        // Who may export what: a department must be one the caller covers; none means all the caller covers.
        var scopes = AccessMatrix.ScopesFor(caller.User, AccessAction.ExportManage);
        var departments = scopes.Contains(AccessScope.Any)
            ? company.Departments.Select(d => d.Id).ToList()
            : caller.User.FinanceDepartments.Order(StringComparer.Ordinal).ToList();
        // An unknown department is a validation error (400, below), not a denial.
        var target = request.Department is not null && company.FindDepartment(request.Department) is not null ? AccessTarget.ForDepartment(request.Department)
            : AccessTarget.ForDepartment(departments.FirstOrDefault() ?? caller.User.Department);
        if (!(await guard.CheckAsync(caller, AccessAction.ExportManage, target, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only finance (for its departments) and admins may export claims.");
        }

        var (selection, errors) = Validate(request, company, departments);
        if (selection is null) return Problems.ValidationFailed(errors, "Fix the fields listed in 'errors'; nothing was exported.");

        var batchId = ExportBatches.BatchId(company.Id, caller.Id, idempotencyKey, clock.GetUtcNow());
        var header = await batches.CreateAsync(batchId, caller, selection, durable, cancellationToken);
        if (header.GetString("Target") != selection.Target || header.GetString("From") != request.From || header.GetString("To") != request.To)
        {
            return Problems.Problem(422, Problems.IdempotencyMismatch, "Idempotency-Key reused", "This Idempotency-Key was used for a different export.", "Idempotency-Key");
        }
        await guard.RecordAsync(caller, AccessAction.ExportManage, AccessTarget.ForDepartment(selection.Department), new Dictionary<string, object?>
        {
            ["batchId"] = batchId, ["target"] = selection.Target, ["from"] = request.From, ["to"] = request.To, ["reexport"] = selection.Reexport, ["reason"] = selection.Reason,
        }, cancellationToken);
        var view = await ViewAsync(batches.Store, header, includeClaims: true, cancellationToken);
        return TypedResults.Created($"/api/exports/{batchId}", view);
    }

    internal static (ExportSelection? Selection, Dictionary<string, string[]> Errors) Validate(ExportRequest r, CompanyDirectory company, IReadOnlyList<string> callerDepartments)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!ExportTargets.IsKnown(r.Target)) errors["target"] = [$"Must be one of: {string.Join(", ", ExportTargets.All)}."];
        static DateOnly? Date(string? v) => DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        var from = Date(r.From);
        var to = Date(r.To);
        if (from is null) errors["from"] = ["Must be a date, YYYY-MM-DD."];
        if (to is null) errors["to"] = ["Must be a date, YYYY-MM-DD."];
        if (from is { } f && to is { } t)
        {
            if (t < f) errors["to"] = ["Must not be before 'from'."];
            else if (t.DayNumber - f.DayNumber > MaxRangeDays) errors["from"] = [$"The range may span at most {MaxRangeDays} days."];
        }
        if (r.Department is not null && company.FindDepartment(r.Department) is null) errors["department"] = ["Unknown department."];
        var ids = (r.ClaimIds ?? []).ToHashSet(StringComparer.Ordinal);
        if (r.Reexport)
        {
            if (ids.Count == 0) errors["claimIds"] = ["A re-export names the claims to export again."];
            if (string.IsNullOrWhiteSpace(r.Reason) || r.Reason.Length > 500) errors["reason"] = ["A re-export needs a reason (at most 500 characters); it goes into the audit log."];
        }
        if (ids.Count > 5000) errors["claimIds"] = ["At most 5000 claims."];
        else if (ids.Any(id => !ClaimIds.IsValid(id))) errors["claimIds"] = ["Every entry must be a claim id."];
        if (errors.Count > 0) return (null, errors);
        var departments = r.Department is null ? callerDepartments : [r.Department];
        return (new ExportSelection(r.Target!, from!.Value, to!.Value, r.Department, departments, r.Reexport, ids, r.Reexport ? r.Reason!.Trim() : null), errors);
    }

    public static async Task<IResult> List(HttpContext http, ExportStore store, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var scopes = AccessMatrix.ScopesFor(caller.User, AccessAction.ExportManage);
        if (scopes.Count == 0)
        {
            await guard.DenyAsync(caller, AccessAction.ExportManage, AccessTarget.None, "no export role", cancellationToken);
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only finance and admins see exports.");
        }
        var items = new List<ExportBatchView>();
        await foreach (var e in store.Batches.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {ExportStore.BatchRow}"), cancellationToken: cancellationToken))
        {
            if (Visible(caller.User, e)) items.Add(await ViewAsync(store, e, includeClaims: false, cancellationToken));
        }
        return TypedResults.Ok(new { items = items.OrderByDescending(i => i.CreatedAt).Take(200).ToList() });
    }

    /// <summary>Admins see every batch; finance users those whose departments they all cover.</summary>
    private static bool Visible(User user, TableEntity batch) =>
        AccessMatrix.ScopesFor(user, AccessAction.ExportManage).Contains(AccessScope.Any)
        || (batch.GetString("Departments") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).All(user.FinanceDepartments.Contains);

    private static async Task<(TableEntity? Batch, IResult? Problem)> FindAsync(string id, HttpContext http, ExportStore store, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var batch = id.StartsWith("exp_", StringComparison.Ordinal) && id.Length <= 40 ? await store.GetBatchAsync(id, cancellationToken) : null;
        if (batch is null || AccessMatrix.ScopesFor(caller.User, AccessAction.ExportManage).Count == 0 || !Visible(caller.User, batch))
        {
            await guard.DenyAsync(caller, AccessAction.ExportManage, AccessTarget.None, batch is null ? "no such export" : "export outside the caller's departments", cancellationToken, id);
            return (null, Problems.NotFoundResult("export"));
        }
        return (batch, null);
    }

    public static async Task<IResult> Get(string id, HttpContext http, ExportStore store, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (batch, problem) = await FindAsync(id, http, store, guard, identity, cancellationToken);
        return batch is null ? problem! : TypedResults.Ok(await ViewAsync(store, batch, includeClaims: true, cancellationToken));
    }

    /// <summary>The import file: the CSV (or, for a batch split into parts, <c>?part=N</c>, else a zip of every part and the
    /// workbook); <c>?format=xlsx</c> the workbook summary (every target has one).</summary>
    public static async Task<IResult> File(string id, HttpContext http, ExportStore store, AccessGuard guard, IOptions<IdentityOptions> identity, string? part, string? format, CancellationToken cancellationToken)
    {
        var (batch, problem) = await FindAsync(id, http, store, guard, identity, cancellationToken);
        if (batch is null) return problem!;
        var files = JsonSerializer.Deserialize<List<string>>(batch.GetString("Files") ?? "[]", ExportStore.Json) ?? [];
        if (batch.GetString("Status") == ExportBatchStatus.Building)
        {
            return Problems.Problem(409, Problems.Conflict, "Not ready", "The export is still being built; retry the POST with the same Idempotency-Key to finish it.");
        }
        var csv = files.Where(f => f.EndsWith(".csv", StringComparison.Ordinal)).ToList();
        string? name;
        if (format is "xlsx") name = files.FirstOrDefault(f => f.EndsWith(".xlsx", StringComparison.Ordinal));
        else if (format is not (null or "csv")) return Problems.ValidationFailed(new Dictionary<string, string[]> { ["format"] = ["Must be csv or xlsx."] });
        else if (csv.Count == 0) return Problems.Problem(404, Problems.NotFound, "No file", "This export posts through the API; it has no CSV (use ?format=xlsx for the summary).");
        else if (part is not null)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > csv.Count)
                return Problems.ValidationFailed(new Dictionary<string, string[]> { ["part"] = [$"Must be 1 to {csv.Count}."] });
            name = csv[n - 1];
        }
        else if (csv.Count == 1) name = csv[0];
        else
        {
            var all = new List<ExportFile>();
            foreach (var f in files)
            {
                if (await store.GetFileAsync(id, f, cancellationToken) is { } content) all.Add(content);
            }
            var zip = ExportFiles.Zip(id, all);
            return TypedResults.File(zip.Content, zip.ContentType, zip.Name);
        }
        var file = name is null ? null : await store.GetFileAsync(id, name, cancellationToken);
        return file is null ? Problems.NotFoundResult("file") : TypedResults.File(file.Content, file.ContentType, file.Name);
    }

    /// <summary>Posts the batch's failed claims again (API targets). The idempotency key of each claim's bill is unchanged,
    /// so a bill the accounting system did accept before the failure is not posted twice.</summary>
    public static async Task<IResult> Retry(string id, HttpContext http, ExportStore store, AccessGuard guard, [FromServices] DurableTaskClient durable, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (batch, problem) = await FindAsync(id, http, store, guard, identity, cancellationToken);
        if (batch is null) return problem!;
        var target = batch.GetString("Target") ?? "";
        if (ExportTargets.IsFile(target)) return Problems.Problem(409, Problems.Conflict, "Nothing to retry", "A file export has nothing to post; fix the mapping and export the failed claims in a new batch.");
        var failedRows = (await store.GetBatchClaimsAsync(id, cancellationToken))
            .Where(r => r.GetString("Status") == ExportClaimStatus.Failed && r.GetString("Bill") is not null).ToList();
        if (failedRows.Count == 0) return Problems.Problem(409, Problems.Conflict, "Nothing to retry", "No claim of this export failed to post.");
        // Queued again before the orchestration starts, so the batch reads as syncing until each is posted or fails again.
        foreach (var chunk in failedRows.Chunk(100))
        {
            foreach (var r in chunk) r["Status"] = ExportClaimStatus.Queued;
            await store.Batches.SubmitCheckedTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpdateReplace, r, r.ETag)), cancellationToken);
        }
        var failed = failedRows.Select(r => r.GetString("ClaimId")!).ToList();
        var round = (batch.GetInt32("Round") ?? 1) + 1;
        batch["Round"] = round;
        batch["Status"] = ExportBatchStatus.Syncing;
        await store.Batches.UpdateEntityAsync(batch, batch.ETag, TableUpdateMode.Replace, cancellationToken);
        await ExportOrchestration.StartAsync(durable, id, round, failed, cancellationToken);
        var caller = Caller.From(http, identity);
        await guard.RecordAsync(caller, AccessAction.ExportManage, AccessTarget.None, new Dictionary<string, object?> { ["batchId"] = id, ["retry"] = round, ["claims"] = failed.Count }, cancellationToken);
        return TypedResults.Accepted($"/api/exports/{id}", await ViewAsync(store, batch, includeClaims: true, cancellationToken));
    }

    /// <summary>Where a claim was exported: per target, the batch, its state, the remote id, the reason of a failure.</summary>
    public static async Task<IResult> ClaimExports(string id, HttpContext http, ClaimStore claims, ExportStore store, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var stored = await claims.GetAsync(id, cancellationToken);
        if (stored is null || !(await guard.CheckAsync(caller, AccessAction.ClaimRead, AccessTarget.For(stored.Claim), cancellationToken)).Allowed)
        {
            return Problems.NotFoundResult("claim");
        }
        var marks = await store.GetMarksAsync(id, cancellationToken);
        var exports = new List<object>();
        foreach (var m in marks.Where(m => m.RowKey != ExportStore.FxOverrideRow))
        {
            var batchId = m.GetString("BatchId") ?? "";
            var row = await store.Batches.GetEntityOrDefaultAsync(batchId, ExportStore.ClaimRowKey(id), cancellationToken: cancellationToken);
            exports.Add(new
            {
                target = m.RowKey,
                batchId,
                status = row?.GetString("Status") ?? m.GetString("Status"),
                remoteId = row?.GetString("RemoteId"),
                reason = row?.GetString("Reason"),
                generation = m.GetInt32("Generation"),
                exportedAt = m.GetDateTimeOffset("ExportedAt"),
                exportedBy = m.GetString("ExportedBy"),
            });
        }
        var fx = marks.FirstOrDefault(m => m.RowKey == ExportStore.FxOverrideRow) is { } o ? ExportStore.ReadRate(o) : null;
        return TypedResults.Ok(new { claimId = id, exports, fxOverride = fx });
    }

    internal static async Task<ExportBatchView> ViewAsync(ExportStore store, TableEntity e, bool includeClaims, CancellationToken cancellationToken)
    {
        var rows = await store.GetBatchClaimsAsync(e.PartitionKey, cancellationToken);
        int Count(string status) => rows.Count(r => r.GetString("Status") == status);
        var claims = includeClaims
            ? rows.Select(r => new ExportClaimView(r.GetString("ClaimId") ?? "", r.GetString("Status") ?? "", r.GetString("Code"), r.GetString("Reason"), r.GetString("RemoteId"),
                r.GetString("Currency"), r.GetString("Amount"), r.GetString("Rate"), r.GetString("RateDate"), r.GetString("RateSource"), r.GetString("BaseAmount"), r.GetInt32("Generation"))).ToList()
            : null;
        var status = e.GetString("Status") ?? "";
        if (status == ExportBatchStatus.Syncing && Count(ExportClaimStatus.Queued) == 0)
        {
            status = Count(ExportClaimStatus.Failed) > 0 ? ExportBatchStatus.CompletedWithFailures : ExportBatchStatus.Completed;
        }
        return new ExportBatchView(e.PartitionKey, e.GetString("Target") ?? "", e.GetString("From") ?? "", e.GetString("To") ?? "", e.GetString("Department"), status,
            e.GetString("CreatedBy") ?? "", e.GetDateTimeOffset("CreatedAt"), e.GetBoolean("Reexport") ?? false, e.GetString("Reason"),
            new ExportCounts(rows.Count, Count(ExportClaimStatus.Exported), Count(ExportClaimStatus.Queued), Count(ExportClaimStatus.Posted), Count(ExportClaimStatus.Failed), e.GetInt32("Skipped") ?? 0),
            JsonSerializer.Deserialize<List<string>>(e.GetString("Files") ?? "[]", ExportStore.Json) ?? [], claims);
    }
}
