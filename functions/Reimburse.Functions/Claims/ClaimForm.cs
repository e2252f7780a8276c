using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Reimburse.Core.Claims;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Claims;

/// <summary>Plain HTML form posts to POST /api/claims: urlencoded or multipart fields (<c>amount</c>, <c>currency</c>,
/// <c>category</c>, <c>expenseDate</c>, <c>merchant</c>, <c>description</c>, files as <c>receipts</c>), mapped onto the
/// same reader and validation as a JSON body (<see cref="ClaimRequest.Parse"/>). A browser (Accept: text/html) gets a small
/// bilingual page instead of JSON. A cross-site form post is refused unless it carries a bearer token or the anti-forgery
/// token from GET /api/forms/token.</summary>
public static class ClaimForm
{
    /// <summary>The form field holding the anti-forgery token (ASP.NET Core's default name).</summary>
    public const string TokenField = "__RequestVerificationToken";
    public const string TokenHeader = "X-CSRF-TOKEN";

    /// <summary>Fields a form may carry besides the claim's own: the anti-forgery token, the older JSON part, files.</summary>
    private static readonly HashSet<string> NotClaimFields = new(StringComparer.Ordinal) { TokenField, "claim", "receipts" };

    public static bool IsForm(HttpRequest request) => request.HasFormContentType;

    /// <summary>The form's plain fields as the JSON object a JSON client would send: every value a string, an empty
    /// field as absent (HTML forms send empty inputs), a repeated field refused.</summary>
    public static (ClaimFields Fields, Dictionary<string, List<string>> Errors) Parse(IFormCollection form)
    {
        var json = new JsonObject();
        var repeated = new List<string>();
        foreach (var (name, values) in form)
        {
            if (NotClaimFields.Contains(name))
            {
                continue;
            }
            if (values.Count > 1)
            {
                repeated.Add(name);
                continue;
            }
            var value = values.ToString().Trim();
            if (value.Length > 0)
            {
                json[name] = value;
            }
        }
        using var doc = JsonDocument.Parse(json.ToJsonString());
        var (fields, errors) = ClaimRequest.Parse(doc.RootElement);
        foreach (var name in repeated)
        {
            (errors.TryGetValue(name, out var l) ? l : errors[name] = []).Add("Send this field once.");
        }
        return (fields, errors);
    }

    /// <summary>Refuses a cross-site form post that has neither a bearer token nor a valid anti-forgery token. Same-site
    /// posts and non-browser clients (no Origin / Sec-Fetch-Site) pass; JSON bodies cannot be sent cross-site by a plain
    /// form and need CORS, which the API does not grant.</summary>
    public static async ValueTask<object?> GuardAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (IsForm(request)
            && !request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && IsCrossSite(request)
            && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            return Problems.Problem(403, Problems.CrossSite, "Cross-site form post refused",
                "A form posted from another site needs the bearer token or the anti-forgery token (GET /api/forms/token). 跨站表單提交須附 bearer token 或防偽造 token。",
                TokenField);
        }
        return await next(context);
    }

    private static bool IsCrossSite(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0)
        {
            return fetchSite is not ("same-origin" or "none");
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return false;
        }
        return !Uri.TryCreate(origin, UriKind.Absolute, out var o)
            || !string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(o.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>For a browser (Accept prefers text/html): the result as a small bilingual page with the claim's link, or
    /// the problem's fields, with the same status code.</summary>
    public static async ValueTask<object?> HtmlAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (!WantsHtml(context.HttpContext.Request))
        {
            return result;
        }
        return result switch
        {
            Accepted<ClaimAccepted> { Value: { } accepted } => Page(202, "Claim submitted · 已提交報銷申請",
                $"""
                <p>Your claim <strong>{Enc(accepted.Id)}</strong> was received and sent for approval.</p>
                <p>你的報銷申請 <strong>{Enc(accepted.Id)}</strong> 已收到，並已送交審批。</p>
                <p><a href="{Enc(accepted.StatusUrl)}">View the claim · 查看申請</a></p>
                """, accepted.StatusUrl),
            ProblemHttpResult problem => Page(problem.StatusCode, "The claim was not submitted · 報銷申請未能提交",
                $"""
                <p>{Enc(problem.ProblemDetails.Title ?? "")}: {Enc(problem.ProblemDetails.Detail ?? "")}</p>
                <p>請更正以下欄位後再提交。Please correct these fields and send the form again.</p>
                <ul>{string.Concat(Errors(problem.ProblemDetails).Select(e => $"<li><code>{Enc(e.Key)}</code>: {Enc(string.Join(" ", e.Value))}</li>"))}</ul>
                """, null),
            _ => result,
        };
    }

    private static IEnumerable<KeyValuePair<string, string[]>> Errors(Microsoft.AspNetCore.Mvc.ProblemDetails problem) =>
        problem is HttpValidationProblemDetails v ? v.Errors
        : problem.Extensions.TryGetValue("errors", out var e) && e is IDictionary<string, string[]> d ? d
        : [];

    private static bool WantsHtml(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepts))
        {
            return false;
        }
        var html = accepts.Where(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        var json = accepts.Where(a => a.MediaType.Value is { } m && (m.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || m.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
            .Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        return html > 0 && html >= json;
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    private static IResult Page(int status, string title, string body, string? location) => new HtmlPage(status, $$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{Enc(title)}}</title>
        <style>body{font-family:system-ui,"Noto Sans CJK TC",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}</style></head>
        <body>
        <h1>{{Enc(title)}}</h1>
        {{body}}
        </body>
        </html>
        """, location);

    private sealed class HtmlPage(int status, string html, string? location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            if (location is not null)
            {
                httpContext.Response.Headers.Location = location;
            }
            // The page shows what the user typed back to them: no scripts at all.
            httpContext.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
            httpContext.Response.Headers.XContentTypeOptions = "nosniff";
            httpContext.Response.ContentType = "text/html; charset=utf-8";
            return httpContext.Response.WriteAsync(html, httpContext.RequestAborted);
        }
    }

    /// <summary>GET /api/forms/token: an anti-forgery token for a form, and its cookie.</summary>
    public static IResult Token(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return TypedResults.Ok(new FormToken(tokens.FormFieldName, tokens.HeaderName, tokens.RequestToken!));
    }
}

/// <summary>Answer to GET /api/forms/token: put <c>token</c> in a hidden field named <c>fieldName</c>.</summary>
public sealed record FormToken(string FieldName, string? HeaderName, string Token);
