using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Azure;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>
/// /api/links/{token}: one-click approve/reject from a notification, no sign-in (the signed token is the credential).
/// <para>GET only shows the claim and a button (bilingual HTML) and changes nothing, so mail scanners and chat link
/// previews that fetch every URL cannot decide a claim. The button POSTs to the same URL, which records the decision once
/// (the link's nonce row is added in the decision batch). POST without an HTML Accept header answers JSON like
/// POST /api/claims/{id}/decisions: 202, 403 invalid-link, 409 when used again or the step moved on.</para>
/// </summary>
public static class ApprovalLinkPage
{
    private const string ProblemBase = "https://reimburse.example/problems/";
    private const string DefaultRejectComment = "Rejected with a one-click link.";
    private const int MaxComment = 2000;
    private static readonly TimeZoneInfo HongKong = TimeZoneInfo.FindSystemTimeZoneById("Asia/Hong_Kong");

    public static async Task<IResult> HandleAsync(string token, HttpContext http, ApprovalLinks links, ApprovalCommands commands, [FromServices] DurableTaskClient client, ClaimStore claims,
        ReimburseStorage storage, CompanyProvider companies, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var html = WantsHtml(http.Request);
        SecureHeaders(http.Response);
        var (link, error) = links.Verify(token);
        var company = await companies.GetAsync(cancellationToken);
        var user = link is null ? null : company.FindUser(link.UserId);
        if (link is null || user is null)
        {
            error ??= "The link's user is unknown.";
            return html
                ? Page(403, "This link cannot be used", "此連結無法使用", Encode(error))
                : Problems.Problem(403, ProblemBase + "invalid-link", "Link not valid", error);
        }
        return HttpMethods.IsPost(http.Request.Method)
            ? await DecideAsync(link, user, http, html, commands, client, identity.Value, cancellationToken)
            : await ShowAsync(link, user, company, claims, storage, cancellationToken);
    }

    private static async Task<IResult> ShowAsync(ApprovalLink link, User user, CompanyDirectory company, ClaimStore claims, ReimburseStorage storage, CancellationToken cancellationToken)
    {
        var stored = await claims.GetAsync(link.ClaimId, cancellationToken);
        if (stored is null)
        {
            return Page(404, "Claim not found", "找不到報銷申請", "");
        }
        var state = WorkflowRows.ReadState(stored);
        var used = await storage.Claims.GetEntityOrDefaultAsync(link.ClaimId, WorkflowRows.LinkPrefix + link.Nonce, ["UserId"], cancellationToken);
        var claim = stored.Claim;
        var summary = Summary(claim, state, link, company);
        if (used is not null)
        {
            return Page(409, "This link was already used", "此連結已使用過", summary);
        }
        if (state.Status != WorkflowStatus.Pending || state.Round != link.Round || state.StepIndex != link.Step)
        {
            return Page(409, "This step has already moved on", "此審批步驟已完成", summary +
                $"<p>Current status: {Encode(claim.Status.ToString())}.</p>");
        }
        var approve = link.Decision == Decision.Approve;
        var form = new StringBuilder();
        form.Append("<form method=\"post\">");
        if (!approve)
        {
            form.Append("<label for=\"reasonCode\">Reason / 原因</label><select id=\"reasonCode\" name=\"reasonCode\">");
            foreach (var r in DecisionReasons.All)
            {
                // "other" preselected: a hurried click must not label a claim as a duplicate or a fraud.
                form.Append(CultureInfo.InvariantCulture, $"<option value=\"{Encode(r.Code)}\"{(r.Code == DecisionReasons.Other ? " selected" : "")}>{Encode(r.English)} / {Encode(r.Chinese)}</option>");
            }
            form.Append("</select>");
            form.Append(CultureInfo.InvariantCulture, $"<label for=\"comment\">Comment (optional) / 備註（可選）</label><textarea id=\"comment\" name=\"comment\" maxlength=\"{MaxComment}\" rows=\"3\"></textarea>");
        }
        form.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\" class=\"{(approve ? "approve" : "reject")}\">{(approve ? "Approve / 批准" : "Reject / 拒絕")}</button></form>");
        var expires = TimeZoneInfo.ConvertTime(link.ExpiresAt, HongKong).ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture);
        form.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">A personal link for {Encode(Name(user))}. It works once and expires {Encode(expires)} (Hong Kong time). / 此為您的個人連結，只可使用一次。</p>");
        return Page(200, approve ? $"Approve claim {claim.Id}?" : $"Reject claim {claim.Id}?", approve ? "批准此報銷申請？" : "拒絕此報銷申請？", summary + form);
    }

    private static async Task<IResult> DecideAsync(ApprovalLink link, User user, HttpContext http, bool html, ApprovalCommands commands, DurableTaskClient client, IdentityOptions identity, CancellationToken cancellationToken)
    {
        string? comment = null;
        string? reasonCode = null;
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(cancellationToken);
            comment = form["comment"].ToString().Trim() is { Length: > 0 } c ? c : null;
            reasonCode = form["reasonCode"].ToString().Trim() is { Length: > 0 } rc ? rc : null;
        }
        // Like the comment, the reason may be left out of a one-click rejection: it is then "other", which labels nothing.
        if (link.Decision != Decision.Approve)
        {
            reasonCode ??= DecisionReasons.Other;
        }
        if (link.Decision != Decision.Approve && DecisionReasons.Find(reasonCode) is null)
        {
            var message = $"Unknown reason; choose one of {DecisionReasons.CodeList}.";
            return html
                ? Page(400, "Choose a reason", "請選擇原因", $"<p>{Encode(message)}</p>")
                : Problems.ValidationFailed(new Dictionary<string, string[]> { ["reasonCode"] = [message] }, "Fix the fields listed in 'errors' and try again.");
        }
        if (comment is { Length: > MaxComment })
        {
            return html
                ? Page(400, "The reason is too long", "原因過長", $"<p>At most {MaxComment} characters.</p>")
                : Problems.Problem(400, Problems.Validation, "Invalid decision", $"comment must be at most {MaxComment} characters.", "comment");
        }
        if (link.Decision == Decision.Reject)
        {
            comment ??= DefaultRejectComment;
        }
        var caller = new Caller(user, Caller.ClientIp(http, identity));
        var result = await commands.ApplyAsync(client, link.ClaimId, new DecisionMade(link.UserId, link.Decision, comment, link.Round, link.Step, link.Decision == Decision.Approve ? null : reasonCode),
            caller.PrimaryRole, caller.SourceIp,
            // Single use: this row is added in the decision batch, so a second use of the link cannot commit.
            () => new TableEntity(link.ClaimId, WorkflowRows.LinkPrefix + link.Nonce) { ["UserId"] = link.UserId, ["Decision"] = link.Decision.ToString() },
            cancellationToken);
        if (!html)
        {
            return ApprovalEndpoints.Answer(link.ClaimId, result);
        }
        if (result.NotFound)
        {
            return Page(404, "Claim not found", "找不到報銷申請", "");
        }
        if (result.Error is { } e)
        {
            var late = e.HttpStatus == 409;
            return Page(e.HttpStatus, late ? "Already decided" : "Your decision was not recorded", late ? "已有決定" : "未能記錄您的決定",
                $"<p>{Encode(e.Message)}</p>");
        }
        var approved = link.Decision == Decision.Approve;
        return Page(202, approved ? "Approved — thank you" : "Rejected", approved ? "已批准，謝謝" : "已拒絕",
            $"<p>Claim {Encode(link.ClaimId)} is now {Encode(result.Status ?? "")}. You can close this page. / 您可關閉此頁。</p>");
    }

    private static string Summary(Claim claim, WorkflowState state, ApprovalLink link, CompanyDirectory company)
    {
        var f = claim.Fields;
        var stepName = state.Route is { } route && link.Step < route.Steps.Count ? route.Steps[link.Step].Name : $"step {link.Step + 1}";
        var amount = f.Amount is { } a ? $"{f.Currency ?? "HKD"} {a.ToString("N2", CultureInfo.InvariantCulture)}" : "—";
        var rows = new (string Label, string? Value)[]
        {
            ("Claim / 申請編號", claim.Id),
            ("Claimant / 申請人", company.FindUser(claim.OwnerId) is { } owner ? Name(owner) : claim.OwnerId),
            ("Amount / 金額", amount),
            ("Category / 類別", f.Category),
            ("Merchant / 商戶", f.Merchant),
            ("Expense date / 消費日期", f.ExpenseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("Description / 說明", f.Description),
            ("Step / 審批步驟", stepName),
        };
        var sb = new StringBuilder("<table>");
        foreach (var (label, value) in rows.Where(r => !string.IsNullOrWhiteSpace(r.Value)))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><th>{Encode(label)}</th><td>{Encode(value!)}</td></tr>");
        }
        return sb.Append("</table>").ToString();
    }

    private static string Name(User u) => u.NameZh is { Length: > 0 } zh ? $"{u.Name} {zh}" : u.Name;

    private static string Encode(string s) => WebUtility.HtmlEncode(s);

    private static bool WantsHtml(HttpRequest request) =>
        request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true)
        // A GET is a click from a notification, unless the caller asked for JSON (an API client gets ProblemDetails).
        || ((HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && !request.Headers.Accept.Any(a => a?.Contains("json", StringComparison.OrdinalIgnoreCase) == true));

    /// <summary>The token is in the URL and the page carries a decision button: never cached, framed, indexed or leaked
    /// through a Referer; no script at all.</summary>
    private static void SecureHeaders(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers["X-Frame-Options"] = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["X-Robots-Tag"] = "noindex, nofollow";
    }

    private static IResult Page(int status, string title, string titleZh, string body) =>
        TypedResults.Content($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Encode(title)}} · Reimburse</title>
            <style>
            body{font-family:system-ui,"Noto Sans CJK TC",sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
            h1{font-size:1.4rem;margin-bottom:.2rem} h2{font-size:1.1rem;font-weight:normal;margin-top:0;color:#555}
            table{border-collapse:collapse;width:100%;margin:1rem 0} th{text-align:left;padding:.3rem .8rem .3rem 0;color:#555;font-weight:normal;vertical-align:top;width:40%} td{padding:.3rem 0}
            textarea,select{display:block;width:100%;margin:.3rem 0 1rem} button{font-size:1.1rem;padding:.6rem 1.6rem;border:0;border-radius:.3rem;color:#fff;cursor:pointer}
            .approve{background:#1a7f37} .reject{background:#b42318} .note{color:#666;font-size:.9rem}
            </style></head>
            <body><h1>{{Encode(title)}}</h1><h2>{{Encode(titleZh)}}</h2>{{body}}</body></html>
            """, "text/html; charset=utf-8", Encoding.UTF8, status);
}
