using System.Text.Json;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Identity;

/// <summary>POST /api/dev/tokens {"userId":"emp-chan"} — development sign-in for the seeded users. Not mapped outside development.</summary>
public static class DevTokenEndpoint
{
    /// <summary>The token answer.</summary>
    public sealed record DevToken(string Token, DateTimeOffset ExpiresAt, string UserId, string Name, IReadOnlyList<string> Roles, string Department);

    public static void MapDevTokens(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/dev/tokens", Handle).WithName("DevToken").WithTags("development").AllowAnonymous();

    public static async Task<IResult> Handle(HttpRequest request, DevTokenService tokens, CompanyProvider companies, CancellationToken cancellationToken)
    {
        string? userId = null;
        var (doc, problem) = await StrictText.ReadJsonAsync(request.Body, cancellationToken);
        if (doc is null)
        {
            return problem!;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String)
            {
                userId = u.GetString();
            }
        }
        var company = await companies.GetAsync(cancellationToken);
        var user = string.IsNullOrWhiteSpace(userId) ? null : company.FindUser(userId);
        if (user is null)
        {
            return Problems.Problem(400, Problems.Validation, "Unknown user", $"userId must be one of: {string.Join(", ", company.Users.Select(x => x.Id))}.", "userId");
        }
        var (token, expires) = tokens.Issue(user.Id, company.Id);
        return TypedResults.Ok(new DevToken(token, expires, user.Id, user.Name, user.Roles.Select(r => r.ToString().ToLowerInvariant()).ToList(), user.Department));
    }
}
