using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Claims;

/// <summary>GET /api/claims/{id}, GET /api/claims, GET /api/claims/{id}/receipts/{receiptId}.</summary>
public static class ReadClaims
{
    public static void MapReadClaims(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}", GetClaim).WithName("GetClaim");
        group.MapGet("/", ListClaims).WithName("ListClaims");
        group.MapGet("/{id}/receipts/{receiptId}", GetReceipt).WithName("GetReceipt");
    }

    public static async Task<IResult> GetClaim(string id, HttpContext http, ClaimStore claims, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var stored = await claims.GetAsync(id, cancellationToken);
        // Not yours and not found look the same: the answer must not reveal that a claim exists.
        if (stored is null)
        {
            await guard.DenyAsync(caller, AccessAction.ClaimRead, AccessTarget.None, "no such claim", cancellationToken, objectId: id);
            return Problems.NotFoundResult("claim");
        }
        var target = AccessTarget.For(stored.Claim);
        if (!(await guard.CheckAsync(caller, AccessAction.ClaimRead, target, cancellationToken)).Allowed)
        {
            return Problems.NotFoundResult("claim");
        }
        await guard.RecordAsync(caller, AccessAction.ClaimRead, target, cancellationToken: cancellationToken);
        return TypedResults.Ok(ClaimView.From(stored));
    }

    public static async Task<IResult> ListClaims(HttpContext http, ClaimStore claims, ClaimIndex index, AccessGuard guard, IOptions<IdentityOptions> identity,
        int? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.ClaimList, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "You are not allowed to do this.");
        }
        var size = pageSize ?? 20;
        if (size is < 1 or > 100)
        {
            return Problems.Problem(400, Problems.Validation, "Bad page size", "pageSize must be between 1 and 100.", "pageSize");
        }
        (IReadOnlyList<string> ids, string? next) page;
        try
        {
            page = await index.PageAsync(caller.Id, size, continuationToken, cancellationToken);
        }
        catch (FormatException)
        {
            return Problems.Problem(400, Problems.Validation, "Bad continuation token", "continuationToken is not one this API issued.", "continuationToken");
        }
        var loaded = await Task.WhenAll(page.ids.Select(id => claims.GetAsync(id, cancellationToken)));
        var items = loaded.Where(c => c is not null && c.Claim.OwnerId == caller.Id).Select(c => ClaimView.From(c!)).ToList();
        await guard.RecordAsync(caller, AccessAction.ClaimList, AccessTarget.None,
            new Dictionary<string, object?> { ["claimIds"] = items.Select(i => i.Id).ToArray() }, cancellationToken);
        return TypedResults.Ok(new ClaimPage(items, page.next));
    }

    public static async Task<IResult> GetReceipt(string id, string receiptId, HttpContext http, ClaimStore claims, ReceiptStore receipts,
        AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var stored = await claims.GetAsync(id, cancellationToken);
        var receipt = stored?.Claim.Receipts.FirstOrDefault(r => r.Id == receiptId);
        if (stored is null || receipt is null)
        {
            await guard.DenyAsync(caller, AccessAction.ReceiptRead, stored is null ? AccessTarget.None : AccessTarget.For(stored.Claim), "no such receipt", cancellationToken, objectId: id);
            return Problems.NotFoundResult("receipt");
        }
        var target = AccessTarget.For(stored.Claim);
        if (!(await guard.CheckAsync(caller, AccessAction.ReceiptRead, target, cancellationToken)).Allowed)
        {
            return Problems.NotFoundResult("receipt");
        }
        await guard.RecordAsync(caller, AccessAction.ReceiptRead, target, new Dictionary<string, object?> { ["receiptId"] = receipt.Id }, cancellationToken);
        var (content, _) = await receipts.OpenAsync(receipt.Sha256, cancellationToken);
        // Receipts are untrusted files: never let a browser sniff them into HTML or run them.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        http.Response.Headers.CacheControl = "private, max-age=300";
        return TypedResults.File(content, receipt.ContentType, receipt.FileName, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue("\"" + receipt.Sha256 + "\""));
    }
}
