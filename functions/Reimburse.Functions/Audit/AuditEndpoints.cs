using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Privacy;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Audit;

/// <summary>An audit entry as the auditor API shows it (personal numbers in details masked).</summary>
public sealed record AuditRecordView(string Log, string ChainId, long Sequence, DateTimeOffset At, string Action, string ActorId, string ActorRole,
    string? SourceIp, string Outcome, string? ClaimId, string? Department, string Details, string Hash)
{
    public static AuditRecordView From(IndexedEntry x) => new(x.Log, x.Entry.ChainId, x.Entry.Sequence, x.Entry.At, x.Entry.Action, x.Entry.ActorId,
        x.Entry.ActorRole, x.Entry.SourceIp, x.Entry.Outcome.ToString(), x.ClaimId, x.Department, PersonalDataMasker.Mask(x.Entry.Details), x.Entry.Hash);
}

/// <summary>A page of audit entries, newest first.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecordView> Items, string? ContinuationToken);

/// <summary>GET /api/audit, /api/audit/verify, /api/audit/export.csv — read-only, role auditor. Every call is itself audited.</summary>
public static class AuditEndpoints
{
    public const int MaxPageSize = 1000;

    public static void MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").RequireAuthorization();
        group.MapGet("/", Query).WithName("AuditQuery");
        group.MapGet("/verify", Verify).WithName("AuditVerify");
        group.MapGet("/export.csv", Export).WithName("AuditExport");
    }

    private static IResult Forbidden() => Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only auditors may read the audit log.");

    /// <summary>Parses the shared filters, listing every bad one.</summary>
    public static (AuditQuery? Query, IResult? Problem) ParseQuery(HttpRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        string? Text(string name)
        {
            var v = request.Query[name].ToString();
            if (v.Length == 0) return null;
            if (v.Length > 200) errors[name] = ["At most 200 characters."];
            return v;
        }
        DateTimeOffset? Time(string name)
        {
            var v = request.Query[name].ToString();
            if (v.Length == 0) return null;
            if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
            errors[name] = ["Must be an ISO 8601 date or time (UTC unless it has an offset)."];
            return null;
        }
        var outcome = Text("outcome");
        if (outcome is not null && outcome is not ("Allowed" or "Denied")) errors["outcome"] = ["Must be Allowed or Denied."];
        var q = new AuditQuery(Text("claimId"), Text("actor"), Text("department"), Text("action"), Time("from"), Time("to"), outcome);
        if (q.From is { } f && q.To is { } t && f >= t) errors["to"] = ["Must be after 'from'."];
        return errors.Count > 0 ? (null, Problems.ValidationFailed(errors, "Fix the query parameters listed in 'errors'.")) : (q, null);
    }

    private static Dictionary<string, object?> Describe(AuditQuery q) => new()
    {
        ["filter"] = new Dictionary<string, string?>
        {
            ["claimId"] = q.ClaimId, ["actor"] = q.Actor, ["department"] = q.Department, ["action"] = q.Action, ["outcome"] = q.Outcome,
            ["from"] = q.From?.ToString("O", CultureInfo.InvariantCulture), ["to"] = q.To?.ToString("O", CultureInfo.InvariantCulture),
        },
    };

    public static async Task<IResult> Query(HttpContext http, AccessGuard guard, AuditIndex index, TimeProvider clock, IOptions<IdentityOptions> identity,
        int? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.AuditQuery, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Forbidden();
        }
        var (q, problem) = ParseQuery(http.Request);
        if (problem is not null) return problem;
        var size = pageSize ?? 50;
        if (size is < 1 or > MaxPageSize)
        {
            return Problems.Problem(400, Problems.Validation, "Bad page size", $"pageSize must be between 1 and {MaxPageSize}.", "pageSize");
        }
        (IReadOnlyList<IndexedEntry> Items, string? Continuation) page;
        try
        {
            page = await index.QueryAsync(q!, size, continuationToken, clock.GetUtcNow(), cancellationToken);
        }
        catch (FormatException)
        {
            return Problems.Problem(400, Problems.Validation, "Bad continuation token", "continuationToken is not one this query issued.", "continuationToken");
        }
        var details = Describe(q!);
        details["returned"] = page.Items.Count;
        await guard.RecordAsync(caller, AccessAction.AuditQuery, AccessTarget.None, details, cancellationToken);
        return TypedResults.Ok(new AuditPage(page.Items.Select(AuditRecordView.From).ToList(), page.Continuation));
    }

    public static async Task<IResult> Verify(HttpContext http, AccessGuard guard, AuditVerifier verifier, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.AuditVerify, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Forbidden();
        }
        var (q, problem) = ParseQuery(http.Request);
        if (problem is not null) return problem;
        var result = await verifier.VerifyAsync(q!.From, q.To, cancellationToken);
        var details = Describe(q);
        details["ok"] = result.Ok;
        details["checked"] = result.Checked;
        await guard.RecordAsync(caller, AccessAction.AuditVerify, AccessTarget.None, details, cancellationToken);
        return TypedResults.Ok(result);
    }

    public static async Task<IResult> Export(HttpContext http, AccessGuard guard, AuditIndex index, TimeProvider clock, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.AuditExport, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Forbidden();
        }
        var (q, problem) = ParseQuery(http.Request);
        if (problem is not null) return problem;
        await guard.RecordAsync(caller, AccessAction.AuditExport, AccessTarget.None, Describe(q!), cancellationToken);
        var now = clock.GetUtcNow();
        return Results.Stream(async stream =>
        {
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 64 * 1024);
            await writer.WriteAsync(AuditCsv.Line(AuditCsv.Header));
            string? token = null;
            do
            {
                var page = await index.QueryAsync(q!, MaxPageSize, token, now, cancellationToken);
                foreach (var item in page.Items)
                {
                    await writer.WriteAsync(AuditCsv.Line(AuditRecordView.From(item)));
                }
                token = page.Continuation;
            }
            while (token is not null);
        }, "text/csv; charset=utf-8; header=present", "audit.csv");
    }
}
