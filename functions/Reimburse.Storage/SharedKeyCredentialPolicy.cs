using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>Signs each attempt with SharedKey (Blob/Queue) or SharedKeyLite (Table); runs per retry so x-ms-date is fresh.</summary>
internal sealed class SharedKeyCredentialPolicy(string accountName, byte[] key, bool table) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var date = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);
        request.Headers.SetValue("x-ms-date", date);
        var stringToSign = table
            ? BuildTableStringToSign(accountName, date, request.Uri.ToUri())
            : BuildBlobQueueStringToSign(accountName, request.Method.Method, ContentLength(request), Headers(request), request.Uri.ToUri());
        var kind = table ? "SharedKeyLite" : "SharedKey";
        request.Headers.SetValue("Authorization", $"{kind} {accountName}:{Sign(key, stringToSign)}");
    }

    internal static string Sign(byte[] key, string stringToSign)
    {
        using var hmac = new HMACSHA256(key);
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>SharedKey for Blob/Queue (version 2015-02-21 and later: Content-Length empty when 0).</summary>
    internal static string BuildBlobQueueStringToSign(string accountName, string method, long contentLength, IEnumerable<KeyValuePair<string, string>> headers, Uri uri)
    {
        var h = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            h[name] = value;
        }
        string Get(string name) => h.TryGetValue(name, out var v) ? v : "";

        var sb = new StringBuilder();
        sb.Append(method).Append('\n')
          .Append(Get("Content-Encoding")).Append('\n')
          .Append(Get("Content-Language")).Append('\n')
          .Append(contentLength > 0 ? contentLength.ToString(CultureInfo.InvariantCulture) : "").Append('\n')
          .Append(Get("Content-MD5")).Append('\n')
          .Append(Get("Content-Type")).Append('\n')
          .Append(h.ContainsKey("x-ms-date") ? "" : Get("Date")).Append('\n')
          .Append(Get("If-Modified-Since")).Append('\n')
          .Append(Get("If-Match")).Append('\n')
          .Append(Get("If-None-Match")).Append('\n')
          .Append(Get("If-Unmodified-Since")).Append('\n')
          .Append(Get("Range")).Append('\n');
        foreach (var (name, value) in h
                     .Where(kv => kv.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                     .Select(kv => (Name: kv.Key.ToLowerInvariant(), Value: kv.Value.Trim()))
                     .OrderBy(kv => kv.Name, StringComparer.Ordinal))
        {
            sb.Append(name).Append(':').Append(value).Append('\n');
        }
        sb.Append('/').Append(accountName).Append(uri.AbsolutePath);
        foreach (var group in ParseQuery(uri.Query)
                     .GroupBy(kv => kv.Key.ToLowerInvariant())
                     .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append('\n').Append(group.Key).Append(':')
              .Append(string.Join(',', group.Select(kv => kv.Value).OrderBy(v => v, StringComparer.Ordinal)));
        }
        return sb.ToString();
    }

    /// <summary>SharedKeyLite for Table: Date, then the resource with only ?comp= kept.</summary>
    internal static string BuildTableStringToSign(string accountName, string date, Uri uri)
    {
        var sb = new StringBuilder();
        sb.Append(date).Append('\n').Append('/').Append(accountName).Append(uri.AbsolutePath);
        var comp = ParseQuery(uri.Query).FirstOrDefault(kv => string.Equals(kv.Key, "comp", StringComparison.OrdinalIgnoreCase));
        if (comp.Key is not null)
        {
            sb.Append("?comp=").Append(comp.Value);
        }
        return sb.ToString();
    }

    private static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            result.Add(new(name, value));
        }
        return result;
    }

    private static long ContentLength(Request request) =>
        request.Content is { } content && content.TryComputeLength(out var length) ? length : 0;

    private static IEnumerable<KeyValuePair<string, string>> Headers(Request request) =>
        request.Headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value));
}
