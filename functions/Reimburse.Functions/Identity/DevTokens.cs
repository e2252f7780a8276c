using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Identity;

/// <summary>Signed, expiring bearer tokens for the seeded users in development (HMAC-SHA256, compact form).</summary>
public sealed class DevTokenService
{
    private const string Prefix = "rbt1";
    private readonly byte[] _key;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;

    public DevTokenService(IOptions<IdentityOptions> options, TimeProvider clock)
    {
        var configured = options.Value.DevTokenKey;
        // Without a configured key, tokens live as long as the process: fine for a demo, and never guessable.
        _key = string.IsNullOrWhiteSpace(configured) ? RandomNumberGenerator.GetBytes(32) : Convert.FromBase64String(configured);
        if (_key.Length < 32)
        {
            throw new OptionsValidationException(IdentityOptions.Section, typeof(IdentityOptions), [$"{IdentityOptions.Section}:DevTokenKey must be at least 32 bytes (Base64)."]);
        }
        _clock = clock;
        _lifetime = TimeSpan.FromMinutes(options.Value.DevTokenMinutes);
    }

    public (string Token, DateTimeOffset ExpiresAt) Issue(string userId, string companyId)
    {
        var now = _clock.GetUtcNow();
        var expires = now + _lifetime;
        var payload = JsonSerializer.SerializeToUtf8Bytes(new TokenPayload(userId, companyId, now.ToUnixTimeSeconds(), expires.ToUnixTimeSeconds(), Guid.NewGuid().ToString("N")));
        var body = Prefix + "." + Base64Url(payload);
        return (body + "." + Base64Url(Sign(body)), expires);
    }

    /// <summary>Returns the token's user and company, or null when it is malformed, forged or expired.</summary>
    public (string UserId, string CompanyId)? Validate(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] != Prefix)
        {
            return null;
        }
        byte[] signature;
        byte[] payloadBytes;
        try
        {
            signature = FromBase64Url(parts[2]);
            payloadBytes = FromBase64Url(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(signature, Sign(parts[0] + "." + parts[1])))
        {
            return null;
        }
        TokenPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<TokenPayload>(payloadBytes);
        }
        catch (JsonException)
        {
            return null;
        }
        if (payload is null || string.IsNullOrEmpty(payload.sub) || DateTimeOffset.FromUnixTimeSeconds(payload.exp) <= _clock.GetUtcNow())
        {
            return null;
        }
        return (payload.sub, payload.cid);
    }

    private byte[] Sign(string body) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + (4 - b.Length % 4) % 4, '='));
    }

    // Lower-case names keep the token short and JWT-like.
#pragma warning disable IDE1006
    private sealed record TokenPayload(string sub, string cid, long iat, long exp, string jti);
#pragma warning restore IDE1006
}
