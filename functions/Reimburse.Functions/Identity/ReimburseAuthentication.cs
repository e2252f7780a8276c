using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Reimburse.Core.Company;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Identity;

/// <summary>Resolves the caller: App Service Authentication's principal header when trusted, or a development token.</summary>
public sealed class ReimburseAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<IdentityOptions> identity,
    IHostEnvironment environment,
    DevTokenService tokens,
    CompanyProvider companies)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Reimburse";
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    internal const string UserItem = "reimburse.user";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var company = await companies.GetAsync(Context.RequestAborted);
        if (Request.Headers.TryGetValue(PrincipalHeader, out var principalHeader))
        {
            // The guard middleware already refused this header when it is not trusted.
            return FromAppServicePrincipal(principalHeader.ToString(), company);
        }

        var auth = Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        if (!environment.IsDevelopment())
        {
            return AuthenticateResult.Fail("Bearer development tokens are accepted only in development mode.");
        }
        var validated = tokens.Validate(auth["Bearer ".Length..].Trim());
        if (validated is not { } t || t.CompanyId != company.Id)
        {
            return AuthenticateResult.Fail("The token is invalid or expired.");
        }
        var user = company.FindUser(t.UserId);
        return user is null ? AuthenticateResult.Fail("The token's user no longer exists.") : Success(user, "dev-token");
    }

    private AuthenticateResult FromAppServicePrincipal(string header, CompanyDirectory company)
    {
        if (!identity.Value.TrustAppServiceAuthentication)
        {
            return AuthenticateResult.Fail("X-MS-CLIENT-PRINCIPAL is not trusted here.");
        }
        try
        {
            using var doc = JsonDocument.Parse(Convert.FromBase64String(header));
            var claims = doc.RootElement.GetProperty("claims").EnumerateArray()
                .Select(c => (Type: c.GetProperty("typ").GetString() ?? "", Value: c.GetProperty("val").GetString() ?? ""))
                .ToList();
            string[] emailTypes = ["preferred_username", "email", "emails", "upn", ClaimTypes.Email, ClaimTypes.Upn, ClaimTypes.Name, "name"];
            var user = claims.Where(c => emailTypes.Contains(c.Type, StringComparer.OrdinalIgnoreCase))
                .Select(c => company.FindUserByEmail(c.Value))
                .FirstOrDefault(u => u is not null);
            return user is null ? AuthenticateResult.Fail("The signed-in account is not in the company directory.") : Success(user, "app-service");
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return AuthenticateResult.Fail("X-MS-CLIENT-PRINCIPAL is malformed.");
        }
    }

    private AuthenticateResult Success(User user, string method)
    {
        var claims = new List<Claim> { new("sub", user.Id), new(ClaimTypes.Name, user.Name), new("dept", user.Department), new("amr", method) };
        claims.AddRange(user.Roles.Select(r => new Claim(ClaimTypes.Role, r.ToString().ToLowerInvariant())));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role));
        Context.Items[UserItem] = user;
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        await Problems.Write(Context, StatusCodes.Status401Unauthorized, Problems.Unauthorized, "Sign-in required",
            failure ?? "Send a bearer token (POST /api/dev/tokens in development) or sign in through App Service Authentication.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, StatusCodes.Status403Forbidden, Problems.Forbidden, "Forbidden", "You are not allowed to do this.");
}

/// <summary>Who is calling, as the directory knows them, and from where.</summary>
public sealed record Caller(User User, string? SourceIp)
{
    public string Id => User.Id;

    /// <summary>The caller of an authenticated request.</summary>
    public static Caller From(HttpContext context, IOptions<IdentityOptions>? identity = null)
    {
        var user = context.Items[ReimburseAuthenticationHandler.UserItem] as User
            ?? throw new InvalidOperationException("No authenticated user on this request.");
        return new Caller(user, ClientIp(context, identity?.Value));
    }

    /// <summary>The connection's address, or the configured proxy header's first entry when the proxy is trusted.</summary>
    public static string? ClientIp(HttpContext context, IdentityOptions? identity)
    {
        if (identity?.ClientIpHeader is { Length: > 0 } header && context.Request.Headers.TryGetValue(header, out var value))
        {
            var first = value.ToString().Split(',')[0].Trim();
            if (System.Net.IPAddress.TryParse(first.Split(':')[0], out var ip) || System.Net.IPAddress.TryParse(first, out ip))
            {
                return ip.ToString();
            }
        }
        return context.Connection.RemoteIpAddress?.ToString();
    }

    /// <summary>The role the caller acts in for audit purposes (the most privileged relevant one).</summary>
    public string PrimaryRole => User.Roles.OrderByDescending(r => (int)r).Select(r => r.ToString().ToLowerInvariant()).FirstOrDefault() ?? "employee";
}

/// <summary>Refuses a principal header the app cannot trust (someone calling the app directly, not through App Service).</summary>
public static class PrincipalHeaderGuard
{
    public static IApplicationBuilder UsePrincipalHeaderGuard(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var trusted = context.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.TrustAppServiceAuthentication;
            if (!trusted && context.Request.Headers.ContainsKey(ReimburseAuthenticationHandler.PrincipalHeader))
            {
                await Problems.Write(context, StatusCodes.Status401Unauthorized, Problems.Unauthorized, "Untrusted identity header",
                    "X-MS-CLIENT-PRINCIPAL is accepted only behind App Service Authentication.");
                return;
            }
            await next(context);
        });
}
