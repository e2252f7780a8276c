using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;

namespace Reimburse.Functions.Approvals;

/// <summary>What a one-click link authorises: one decision by one user on one step of one round, until it expires, once.</summary>
public sealed record ApprovalLink(string ClaimId, string UserId, Decision Decision, int Round, int Step, DateTimeOffset ExpiresAt, string Nonce);

/// <summary>Signs and verifies one-click approve/reject links: Base64Url(JSON) "." Base64Url(HMAC-SHA256(key, JSON)).
/// Single use is enforced at decision time by adding a "link-{nonce}" row in the claim's partition in the decision batch.</summary>
public sealed partial class ApprovalLinks
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly byte[] _key;
    private readonly WorkflowOptions _options;
    private readonly TimeProvider _clock;

    public ApprovalLinks(IOptions<WorkflowOptions> options, TimeProvider clock, ILogger<ApprovalLinks> logger)
    {
        _options = options.Value;
        _clock = clock;
        if (_options.LinkKey is { Length: > 0 } k)
        {
            _key = Convert.FromBase64String(k);
        }
        else
        {
            _key = RandomNumberGenerator.GetBytes(32);
            LogEphemeralKey(logger);
        }
    }

    /// <summary>A deterministic nonce, so the same notification effect always carries the same (single-use) link.</summary>
    public static string NonceFor(string effectKey, string userId, Decision decision) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{effectKey}|{userId}|{decision}")))[..32];

    public string CreateToken(string claimId, string userId, Decision decision, int round, int step, string nonce)
    {
        var link = new ApprovalLink(claimId, userId, decision, round, step, _clock.GetUtcNow().AddMinutes(_options.LinkMinutes), nonce);
        var payload = JsonSerializer.SerializeToUtf8Bytes(link, Json);
        return WebEncoders.Base64UrlEncode(payload) + "." + WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_key, payload));
    }

    public string Url(string token) => _options.PublicBaseUrl.TrimEnd('/') + "/api/links/" + token;

    /// <summary>The link, or why it is not valid (tampered, malformed, expired).</summary>
    public (ApprovalLink? Link, string? Error) Verify(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return (null, "The link is malformed.");
        }
        byte[] payload, signature;
        try
        {
            payload = WebEncoders.Base64UrlDecode(token[..dot]);
            signature = WebEncoders.Base64UrlDecode(token[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return (null, "The link is malformed.");
        }
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, payload), signature))
        {
            return (null, "The link signature is not valid.");
        }
        ApprovalLink? link;
        try
        {
            link = JsonSerializer.Deserialize<ApprovalLink>(payload, Json);
        }
        catch (JsonException)
        {
            return (null, "The link is malformed.");
        }
        if (link is null)
        {
            return (null, "The link is malformed.");
        }
        return link.ExpiresAt < _clock.GetUtcNow() ? (null, "The link has expired.") : (link, null);
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "Reimburse:Workflow:LinkKey is not set: one-click links are signed with a random key and stop working when this process ends")]
    private static partial void LogEphemeralKey(ILogger logger);
}
