using Microsoft.Extensions.Options;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Privacy;

/// <summary>GET /api/me/export — everything held about the caller (PDPO data access request): directory profile, their claims
/// with receipt metadata, and the audit entries of what they did.</summary>
public static class MyDataExport
{
    public const int MaxAuditEntries = 10_000;

    public sealed record Profile(string Id, string Name, string? NameZh, string Email, string Department, IReadOnlyList<string> Roles, string? Manager, IReadOnlyList<string> FinanceDepartments);

    public sealed record Export(DateTimeOffset GeneratedAt, Profile Profile, IReadOnlyList<ClaimView> Claims, IReadOnlyList<AuditRecordView> AuditEntries, bool AuditEntriesTruncated);

    public static void MapMyDataExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/me/export", Handle).RequireAuthorization().WithName("ExportMyData");

    public static async Task<IResult> Handle(HttpContext http, AccessGuard guard, ClaimIndex claimIndex, ClaimStore claims, AuditIndex auditIndex,
        TimeProvider clock, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.OwnDataExport, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "You are not allowed to do this.");
        }
        var u = caller.User;
        var profile = new Profile(u.Id, u.Name, u.NameZh, u.Email, u.Department, u.Roles.Select(r => r.ToString().ToLowerInvariant()).Order().ToList(), u.Manager,
            u.FinanceDepartments.Order().ToList());

        var views = new List<ClaimView>();
        string? token = null;
        do
        {
            var (ids, next) = await claimIndex.PageAsync(u.Id, 100, token, cancellationToken);
            var loaded = await Task.WhenAll(ids.Select(id => claims.GetAsync(id, cancellationToken)));
            views.AddRange(loaded.Where(c => c is not null && c.Claim.OwnerId == u.Id).Select(c => ClaimView.From(c!.Claim)));
            token = next;
        }
        while (token is not null);

        var now = clock.GetUtcNow();
        var entries = new List<AuditRecordView>();
        token = null;
        var query = new AuditQuery(null, u.Id, null, null, null, null);
        do
        {
            var page = await auditIndex.QueryAsync(query, 1000, token, now, cancellationToken);
            // Their own data: shown as recorded, not masked.
            entries.AddRange(page.Items.Select(x => AuditRecordView.From(x) with { Details = x.Entry.Details }));
            token = page.Continuation;
        }
        while (token is not null && entries.Count < MaxAuditEntries);

        await guard.RecordAsync(caller, AccessAction.OwnDataExport, AccessTarget.None,
            new Dictionary<string, object?> { ["claims"] = views.Count, ["auditEntries"] = entries.Count }, cancellationToken);
        return TypedResults.Ok(new Export(now, profile, views, entries, token is not null));
    }
}
