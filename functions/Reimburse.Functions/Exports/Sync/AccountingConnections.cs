using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Reimburse.Core.Exports;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Exports.Sync;

/// <summary>An access token ready to use, and the organisation (Xero tenant id / QuickBooks realm id) it is for.</summary>
public sealed record AccessToken(string Token, string Organisation, DateTimeOffset ExpiresAt);

/// <summary>Why no token: not connected, or the connection was revoked (at the vendor, or the refresh token expired).</summary>
public sealed class AccountingConnectionException(string message) : Exception(message);

/// <summary>
/// OAuth 2.0 authorization code flow with PKCE (S256) for Xero and QuickBooks Online. The refresh and access tokens are kept
/// encrypted with ASP.NET Core Data Protection in table <c>accountingconnections</c>; an access token is refreshed
/// <see cref="AccountingOptions.RefreshBeforeExpirySeconds"/> before it expires (and at once after a 401), one refresh at
/// a time per provider in this process and If-Match across processes (both vendors rotate the refresh token). A refresh the
/// vendor refuses (invalid_grant: revoked or expired) marks the connection revoked; posting then fails each claim with
/// "reconnect" until finance connects again.
/// </summary>
public sealed partial class AccountingConnections(
    ReimburseStorage storage,
    IDataProtectionProvider protection,
    IOptions<AccountingOptions> options,
    IOptions<Approvals.WorkflowOptions> workflow,
    IHttpClientFactory http,
    TimeProvider clock,
    ILogger<AccountingConnections> logger)
{
    public const string HttpClientName = "accounting";
    private const string PendingPartition = "pending";
    private static readonly TimeSpan PendingFor = TimeSpan.FromMinutes(15);
    private readonly IDataProtector _protector = protection.CreateProtector("Reimburse.Accounting.Tokens.v1");
    private readonly Dictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal) { [ExportTargets.Xero] = new(1, 1), [ExportTargets.QuickBooks] = new(1, 1) };

    public TableClient Table { get; } = storage.Table("accountingconnections");

    public static bool IsProvider(string? p) => p is ExportTargets.Xero or ExportTargets.QuickBooks;

    private AccountingProviderOptions Options(string provider) => options.Value.For(provider);

    public string RedirectUri(string provider) =>
        Options(provider).RedirectUri ?? new Uri(new Uri(workflow.Value.PublicBaseUrl), $"/api/accounting/{provider}/callback").ToString();

    /// <summary>Starts a connection: a single-use state and a PKCE verifier (kept encrypted), and the vendor's consent URL.</summary>
    public async Task<string> StartAsync(string provider, string userId, CancellationToken cancellationToken = default)
    {
        var o = Options(provider);
        if (string.IsNullOrEmpty(o.ClientId)) throw new AccountingConnectionException($"Set Reimburse:Accounting:{Name(provider)}:ClientId (and ClientSecret) to connect {Name(provider)}.");
        var state = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var challenge = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        await Table.AddEntityAsync(new TableEntity(PendingPartition, state)
        {
            ["Provider"] = provider,
            ["Verifier"] = _protector.Protect(verifier),
            ["CreatedBy"] = userId,
            ["CreatedAt"] = clock.GetUtcNow().UtcDateTime,
        }, cancellationToken);
        return QueryHelpers.AddQueryString(o.AuthorizeUrl, new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = o.ClientId,
            ["redirect_uri"] = RedirectUri(provider),
            ["scope"] = o.Scopes,
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        });
    }

    /// <summary>The vendor redirected back: the state must be one we issued (used once, within 15 minutes); the code is
    /// exchanged with the PKCE verifier; the tokens are stored encrypted.</summary>
    public async Task CompleteAsync(string provider, string code, string state, string? realmId, CancellationToken cancellationToken = default)
    {
        var pending = await Table.GetEntityOrDefaultAsync(PendingPartition, state, cancellationToken: cancellationToken);
        if (pending is null || pending.GetString("Provider") != provider || clock.GetUtcNow() - (pending.GetDateTimeOffset("CreatedAt") ?? default) > PendingFor)
        {
            throw new AccountingConnectionException("Unknown or expired state: start the connection again.");
        }
        try
        {
            await Table.DeleteEntityAsync(pending, pending.ETag, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            throw new AccountingConnectionException("This consent was already used: start the connection again.");
        }
        var verifier = _protector.Unprotect(pending.GetString("Verifier")!);
        var tokens = await TokenRequestAsync(provider, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri(provider),
            ["code_verifier"] = verifier,
        }, cancellationToken);
        var organisation = provider == ExportTargets.QuickBooks
            ? realmId ?? throw new AccountingConnectionException("QuickBooks did not say which company (realmId) was connected.")
            : await XeroTenantAsync(tokens.AccessToken, cancellationToken);
        var row = Row(provider, tokens, organisation);
        row["ConnectedBy"] = pending.GetString("CreatedBy");
        row["ConnectedAt"] = clock.GetUtcNow().UtcDateTime;
        await Table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
        LogConnected(logger, provider, organisation);
    }

    /// <summary>A valid access token, refreshed first when it expires soon (or when <paramref name="forceRefresh"/>, after a 401).</summary>
    public async Task<AccessToken> GetAccessTokenAsync(string provider, bool forceRefresh = false, string? rejectedToken = null, CancellationToken cancellationToken = default)
    {
        var row = await Table.GetEntityOrDefaultAsync(provider, "connection", cancellationToken: cancellationToken)
            ?? throw new AccountingConnectionException($"{Name(provider)} is not connected: finance connects it under Settings (POST /api/accounting/{provider}/connect).");
        if (row.GetString("Status") == "revoked")
        {
            throw new AccountingConnectionException($"The {Name(provider)} connection was revoked or expired ({row.GetString("LastError")}): reconnect it, then retry the export.");
        }
        var current = Read(row);
        if (!NeedsRefresh(current, forceRefresh, rejectedToken)) return current;
        var gate = _gates[provider];
        await gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have refreshed while we waited.
            row = await Table.GetEntityOrDefaultAsync(provider, "connection", cancellationToken: cancellationToken) ?? row;
            current = Read(row);
            if (!NeedsRefresh(current, forceRefresh && current.Token == (rejectedToken ?? current.Token), rejectedToken)) return current;
            TokenSet tokens;
            try
            {
                tokens = await TokenRequestAsync(provider, new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = _protector.Unprotect(row.GetString("RefreshToken")!),
                }, cancellationToken);
            }
            catch (TokenRefusedException ex)
            {
                row["Status"] = "revoked";
                row["LastError"] = ex.Message;
                await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
                LogRevoked(logger, provider, ex.Message);
                throw new AccountingConnectionException($"The {Name(provider)} connection was revoked or expired ({ex.Message}): reconnect it, then retry the export.");
            }
            var updated = Row(provider, tokens, current.Organisation);
            foreach (var k in new[] { "ConnectedBy", "ConnectedAt" }) updated[k] = row[k];
            await Table.UpdateEntityAsync(updated, row.ETag, TableUpdateMode.Replace, cancellationToken);
            LogRefreshed(logger, provider);
            return Read(updated);
        }
        finally
        {
            gate.Release();
        }
    }

    private bool NeedsRefresh(AccessToken token, bool force, string? rejected) =>
        (force && (rejected is null || rejected == token.Token))
        || token.ExpiresAt - clock.GetUtcNow() < TimeSpan.FromSeconds(options.Value.RefreshBeforeExpirySeconds);

    /// <summary>Disconnects: revokes the refresh token at the vendor (best effort) and forgets the tokens.</summary>
    public async Task DisconnectAsync(string provider, CancellationToken cancellationToken = default)
    {
        var row = await Table.GetEntityOrDefaultAsync(provider, "connection", cancellationToken: cancellationToken);
        if (row is null) return;
        var o = Options(provider);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, o.RevokeUrl)
            {
                Content = provider == ExportTargets.QuickBooks
                    ? JsonContent.Create(new { token = _protector.Unprotect(row.GetString("RefreshToken")!) })
                    : new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = _protector.Unprotect(row.GetString("RefreshToken")!), ["token_type_hint"] = "refresh_token" }),
            };
            request.Headers.Authorization = Basic(o);
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            LogRevokeCalled(logger, provider, (int)response.StatusCode);
        }
        catch (HttpRequestException ex)
        {
            LogRevokeFailed(logger, provider, ex.Message);
        }
        await Table.DeleteEntityAsync(row, ETag.All, cancellationToken);
    }

    /// <summary>The connections as finance sees them (never the tokens).</summary>
    public async Task<IReadOnlyList<object>> ListAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<object>();
        foreach (var provider in new[] { ExportTargets.Xero, ExportTargets.QuickBooks })
        {
            var row = await Table.GetEntityOrDefaultAsync(provider, "connection", cancellationToken: cancellationToken);
            list.Add(new
            {
                provider,
                status = row?.GetString("Status") ?? "not-connected",
                organisation = row?.GetString("Organisation"),
                connectedBy = row?.GetString("ConnectedBy"),
                connectedAt = row?.GetDateTimeOffset("ConnectedAt"),
                accessTokenExpiresAt = row?.GetDateTimeOffset("ExpiresAt"),
                lastError = row?.GetString("LastError"),
            });
        }
        return list;
    }

    private sealed record TokenSet(string AccessToken, string RefreshToken, int ExpiresIn);

    private sealed class TokenRefusedException(string message) : Exception(message);

    private async Task<TokenSet> TokenRequestAsync(string provider, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        var o = Options(provider);
        using var request = new HttpRequestMessage(HttpMethod.Post, o.TokenUrl) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = Basic(o);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized)
        {
            var error = TryError(body);
            throw new TokenRefusedException(error ?? $"token endpoint answered {(int)response.StatusCode}");
        }
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{Name(provider)} token endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        return new TokenSet(root.GetProperty("access_token").GetString()!, root.GetProperty("refresh_token").GetString()!,
            root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) ? s : 1800);
    }

    private static string? TryError(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<string> XeroTenantAsync(string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Options(ExportTargets.Xero).ConnectionsUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            if (c.TryGetProperty("tenantType", out var t) && t.GetString() == "ORGANISATION") return c.GetProperty("tenantId").GetString()!;
        }
        throw new AccountingConnectionException("The Xero consent included no organisation.");
    }

    private TableEntity Row(string provider, TokenSet tokens, string organisation) => new(provider, "connection")
    {
        ["Status"] = "connected",
        ["Organisation"] = organisation,
        ["AccessToken"] = _protector.Protect(tokens.AccessToken),
        ["RefreshToken"] = _protector.Protect(tokens.RefreshToken),
        ["ExpiresAt"] = clock.GetUtcNow().AddSeconds(tokens.ExpiresIn).UtcDateTime,
    };

    private AccessToken Read(TableEntity row) => new(_protector.Unprotect(row.GetString("AccessToken")!), row.GetString("Organisation") ?? "",
        row.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.MinValue);

    private static AuthenticationHeaderValue Basic(AccountingProviderOptions o) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.ClientId}:{o.ClientSecret}")));

    public static string Name(string provider) => provider == ExportTargets.Xero ? "Xero" : "QuickBooks";

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "{Provider} connected to organisation {Organisation}")]
    private static partial void LogConnected(ILogger logger, string provider, string organisation);

    [LoggerMessage(EventId = 1411, Level = LogLevel.Information, Message = "{Provider} access token refreshed")]
    private static partial void LogRefreshed(ILogger logger, string provider);

    [LoggerMessage(EventId = 1412, Level = LogLevel.Warning, Message = "{Provider} refused the refresh token ({Error}): connection marked revoked")]
    private static partial void LogRevoked(ILogger logger, string provider, string error);

    [LoggerMessage(EventId = 1413, Level = LogLevel.Information, Message = "{Provider} token revocation answered {Status}")]
    private static partial void LogRevokeCalled(ILogger logger, string provider, int status);

    [LoggerMessage(EventId = 1414, Level = LogLevel.Warning, Message = "{Provider} token revocation failed: {Error}")]
    private static partial void LogRevokeFailed(ILogger logger, string provider, string error);
}
