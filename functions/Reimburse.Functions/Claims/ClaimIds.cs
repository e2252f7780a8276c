using System.Security.Cryptography;
using System.Text;

namespace Reimburse.Functions.Claims;

/// <summary>Claim ids: "clm_" + 26 Crockford base32 characters. Random ones sort by time; keyed ones are derived
/// from an idempotency key so the claim row's insert is itself the idempotency check.</summary>
public static class ClaimIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string New(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)now.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        }
        RandomNumberGenerator.Fill(bytes[6..]);
        return "clm_" + Encode(bytes);
    }

    /// <summary>The same (company, user, key) always yields the same id.</summary>
    public static string FromKey(string companyId, string userId, string scope, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{companyId}\n{userId}\n{scope}\n{key}"));
        return "clm_" + Encode(hash.AsSpan(0, 16));
    }

    public static bool IsValid(string? id) =>
        id is { Length: 30 } && id.StartsWith("clm_", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept(Alphabet) < 0;

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        // 128 bits -> 26 characters of 5 bits (the last carries 3).
        var sb = new StringBuilder(26);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            sb.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }
        return sb.ToString();
    }
}
