using System.Globalization;
using Microsoft.Extensions.Options;
using Reimburse.Core.Company;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;
using Azure.Data.Tables;

using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Kpis;

/// <summary>GET /api/kpis?from=&amp;to=&amp;department= — auditors see every department, finance users theirs.</summary>
public static class KpiEndpoint
{
    public static void MapKpis(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/kpis", Handle).RequireAuthorization().WithName("GetKpis");

    public static async Task<IResult> Handle(HttpContext http, AccessGuard guard, KpiSource source, CompanyProvider companies, TimeProvider clock,
        IOptions<IdentityOptions> identity, string? from, string? to, string? department, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset Parse(string name, string? v, DateTimeOffset fallback)
        {
            if (string.IsNullOrEmpty(v)) return fallback;
            if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
            errors[name] = ["Must be an ISO 8601 date or time."];
            return fallback;
        }
        var end = Parse("to", to, now);
        var start = Parse("from", from, end.AddDays(-30));
        if (start >= end) errors["to"] = ["Must be after 'from'."];
        else if (end - start > TimeSpan.FromDays(400)) errors["from"] = ["The range may span at most 400 days."];

        var company = await companies.GetAsync(cancellationToken);
        if (department is not null && company.FindDepartment(department) is null) errors["department"] = ["Unknown department."];

        // A finance user asking for no department gets the departments they cover, not the whole company.
        var anyScope = AccessMatrix.ScopesFor(caller.User, AccessAction.KpiRead).Contains(AccessScope.Any);
        var target = department is null && !anyScope && caller.User.Has(Role.Finance) && caller.User.FinanceDepartments.Count > 0
            ? AccessTarget.ForDepartment(caller.User.FinanceDepartments.Order(StringComparer.Ordinal).First())
            : AccessTarget.ForDepartment(department);
        if (!(await guard.CheckAsync(caller, AccessAction.KpiRead, target, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "You may not see KPIs for this scope.");
        }
        if (errors.Count > 0) return Problems.ValidationFailed(errors, "Fix the query parameters listed in 'errors'.");

        IReadOnlyList<string>? departments = department is not null ? [department]
            : anyScope ? null : caller.User.FinanceDepartments.Order(StringComparer.Ordinal).ToList();
        var histories = await source.LoadAsync(start, departments, cancellationToken);
        var report = KpiCalculator.Compute(histories, start, end, departments);
        await guard.RecordAsync(caller, AccessAction.KpiRead, AccessTarget.ForDepartment(department), new Dictionary<string, object?>
        {
            ["from"] = start.ToString("O", CultureInfo.InvariantCulture), ["to"] = end.ToString("O", CultureInfo.InvariantCulture),
        }, cancellationToken);
        return TypedResults.Ok(report);
    }
}

/// <summary>Loads the audit chains of every claim whose row changed since <c>from</c> (its Timestamp moves with every append,
/// so this is a superset of the claims with entries in the range). Reads the chains themselves, not the query index.</summary>
public sealed class KpiSource(ReimburseStorage storage, ClaimStore claims)
{
    public async Task<IReadOnlyList<ClaimHistory>> LoadAsync(DateTimeOffset from, IReadOnlyList<string>? departments, CancellationToken cancellationToken = default)
    {
        var since = from.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        var filter = $"RowKey eq {TableClient.CreateQueryFilter($"{ClaimStore.ClaimRowKey}")} and Timestamp ge datetime'{since}'";
        if (departments is { Count: 1 })
        {
            filter += $" and Department eq {TableClient.CreateQueryFilter($"{departments[0]}")}";
        }
        var rows = new List<(string Id, string Department)>();
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(filter, select: StorageClientExtensions.WithKeys(["Department"]), cancellationToken: cancellationToken))
        {
            var d = e.GetString("Department") ?? "";
            if (departments is null || departments.Contains(d)) rows.Add((e.PartitionKey, d));
        }
        var result = new ClaimHistory[rows.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            result[i] = new ClaimHistory(rows[i].Id, rows[i].Department, await claims.ReadAuditAsync(rows[i].Id, ct));
        });
        return result;
    }
}
