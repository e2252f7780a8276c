namespace Reimburse.Web.Services;

/// <summary>Who is signed in. The bearer token lives in memory only (never localStorage): a reload signs out.</summary>
public sealed class Session
{
    public string? Token { get; private set; }
    public string? UserId { get; private set; }
    public string? Name { get; private set; }
    public string? Department { get; private set; }
    public IReadOnlyList<string> Roles { get; private set; } = [];
    public DateTimeOffset? ExpiresAt { get; private set; }

    /// <summary>Set when the API refused the token (expired): the sign-in page says so.</summary>
    public bool Expired { get; private set; }

    public bool IsSignedIn => Token is not null;

    public event Action? Changed;

    public bool Has(string role) => Roles.Contains(role, StringComparer.OrdinalIgnoreCase);

    public void SignIn(string token, string userId, string name, string department, IReadOnlyList<string> roles, DateTimeOffset expiresAt)
    {
        (Token, UserId, Name, Department, Roles, ExpiresAt, Expired) = (token, userId, name, department, roles, expiresAt, false);
        Changed?.Invoke();
    }

    public void SignOut(bool expired = false)
    {
        (Token, UserId, Name, Department, Roles, ExpiresAt, Expired) = (null, null, null, null, [], null, expired);
        Changed?.Invoke();
    }

    /// <summary>The landing page for the user's main role.</summary>
    public string Home =>
        Has("finance") ? "finance" : Has("approver") ? "inbox" : Has("auditor") ? "audit" : Has("admin") ? "admin" : "claims";
}
