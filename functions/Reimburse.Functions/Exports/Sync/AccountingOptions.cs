using System.ComponentModel.DataAnnotations;

namespace Reimburse.Functions.Exports.Sync;

/// <summary>One accounting system's OAuth 2.0 app and API (Reimburse:Accounting:Xero / :QuickBooks). The defaults are the
/// vendors' production endpoints; tests point them at loopback servers.</summary>
public sealed class AccountingProviderOptions
{
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    [Required] public string AuthorizeUrl { get; set; } = "";
    [Required] public string TokenUrl { get; set; } = "";
    [Required] public string RevokeUrl { get; set; } = "";
    [Required] public string ApiBaseUrl { get; set; } = "";
    /// <summary>Xero only: GET …/connections lists the organisations (tenants) the token may use.</summary>
    public string? ConnectionsUrl { get; set; }
    [Required] public string Scopes { get; set; } = "";
    /// <summary>Where the vendor sends the browser back (…/api/accounting/{provider}/callback); defaults to the app's public base URL.</summary>
    public string? RedirectUri { get; set; }
    /// <summary>Our own pace, below the vendor's limit (Xero: 60 calls a minute per organisation; QuickBooks: 500).</summary>
    [Range(1, 10_000)] public int RequestsPerMinute { get; set; } = 60;
    /// <summary>A 429 whose Retry-After is longer than this (Xero's daily limit) fails the claim for a later retry instead of waiting.</summary>
    [Range(1, 3600)] public int MaxRetryAfterSeconds { get; set; } = 120;
}

public sealed class AccountingOptions
{
    public const string Section = "Reimburse:Accounting";

    /// <summary>Refresh an access token this long before it expires.</summary>
    [Range(0, 3600)] public int RefreshBeforeExpirySeconds { get; set; } = 300;

    /// <summary>Folder for the Data Protection key ring that encrypts the stored tokens (local runs); in Azure, configure
    /// Data Protection with blob storage + Key Vault instead (docs/export.md).</summary>
    public string? KeysFolder { get; set; }

    public AccountingProviderOptions Xero { get; set; } = new()
    {
        AuthorizeUrl = "https://login.xero.com/identity/connect/authorize",
        TokenUrl = "https://identity.xero.com/connect/token",
        RevokeUrl = "https://identity.xero.com/connect/revocation",
        ApiBaseUrl = "https://api.xero.com/api.xro/2.0",
        ConnectionsUrl = "https://api.xero.com/connections",
        Scopes = "openid offline_access accounting.transactions accounting.attachments accounting.contacts",
        RequestsPerMinute = 55,
    };

    public AccountingProviderOptions QuickBooks { get; set; } = new()
    {
        AuthorizeUrl = "https://appcenter.intuit.com/connect/oauth2",
        TokenUrl = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        RevokeUrl = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        ApiBaseUrl = "https://quickbooks.api.intuit.com",
        Scopes = "com.intuit.quickbooks.accounting",
        RequestsPerMinute = 450,
    };

    public AccountingProviderOptions For(string provider) => provider == Reimburse.Core.Exports.ExportTargets.Xero ? Xero : QuickBooks;
}
