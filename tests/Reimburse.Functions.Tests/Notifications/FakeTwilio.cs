using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.WebUtilities;

namespace Reimburse.Tests.Notifications;

/// <summary>A message or call as the fake Twilio accepted it (form fields as posted).</summary>
public sealed record TwilioRequest(string Kind, string Sid, IReadOnlyDictionary<string, string> Form);

/// <summary>
/// A loopback stand-in for Twilio's REST API (2010-04-01) that checks each request against Twilio's documented contract
/// before accepting it: POST to /2010-04-01/Accounts/{AccountSid}/Messages.json or Calls.json, HTTP basic auth with the
/// account SID and auth token, an application/x-www-form-urlencoded body; Messages: To and From in E.164 and a Body
/// (at most 1,600 characters); Calls: To and From and exactly one of Url, Twiml or ApplicationSid (Twiml: a &lt;Response&gt;
/// document under 4,000 characters); StatusCallback an absolute URL. Anything else gets Twilio's error shape
/// ({"code","message","more_info","status"}) and is counted as a contract violation. It answers 201 with a resource JSON,
/// or the statuses queued in <see cref="FailNext"/> first (429, 500…). It signs callbacks like Twilio
/// (<see cref="Sign"/>: X-Twilio-Signature = Base64(HMAC-SHA1(auth token, URL + each POST field name and value, sorted by name))).
/// </summary>
public sealed class FakeTwilio : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "f00dfeedf00dfeedf00dfeedf00dfeed";
    public const string From = "+85230011234";

    private static readonly Regex E164 = new(@"^\+[1-9][0-9]{6,14}$");
    private static readonly Regex PathPattern = new(@"^/2010-04-01/Accounts/(?<sid>AC[0-9a-f]{32})/(?<kind>Messages|Calls)\.json$");
    private LoopbackHttpServer _server = null!;
    private int _sequence;

    public ConcurrentQueue<TwilioRequest> Accepted { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Statuses to answer (in order) before accepting again, e.g. 429, 500.</summary>
    public ConcurrentQueue<int> FailNext { get; } = new();

    public int Attempts;

    public Uri BaseAddress => _server.BaseAddress;

    public static async Task<FakeTwilio> StartAsync()
    {
        var fake = new FakeTwilio();
        fake._server = await LoopbackHttpServer.StartAsync(fake.Respond);
        return fake;
    }

    /// <summary>App settings that point the product's Twilio client here.</summary>
    public Dictionary<string, string?> Settings(string callbackBase = "http://localhost") => new()
    {
        ["Reimburse:Notifications:Twilio:AccountSid"] = AccountSid,
        ["Reimburse:Notifications:Twilio:AuthToken"] = AuthToken,
        ["Reimburse:Notifications:Twilio:From"] = From,
        ["Reimburse:Notifications:Twilio:BaseUrl"] = BaseAddress.ToString(),
        ["Reimburse:Notifications:Twilio:CallbackBaseUrl"] = callbackBase,
        ["Reimburse:Notifications:Twilio:RetryBaseMilliseconds"] = "50",
        ["Reimburse:Notifications:AllowPrivateTargets"] = "true",
    };

    /// <summary>Twilio's request signature over the full callback URL and the POST fields.</summary>
    public static string Sign(string url, IReadOnlyDictionary<string, string> form, string authToken = AuthToken)
    {
        var data = new StringBuilder(url);
        foreach (var (k, v) in form.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            data.Append(k).Append(v);
        }
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private (int Status, string Body, string? Location) Respond(RecordedRequest request)
    {
        Interlocked.Increment(ref Attempts);
        var problem = Check(request, out var kind, out var form);
        if (problem is not null)
        {
            Violations.Enqueue(problem);
            return Error(problem.StartsWith("401", StringComparison.Ordinal) ? 401 : 400, 21_000, problem);
        }
        if (FailNext.TryDequeue(out var status))
        {
            return Error(status, status == 429 ? 20_429 : 20_500, status == 429 ? "Too Many Requests" : "Internal Server Error");
        }
        var prefix = kind == "Messages" ? "SM" : "CA";
        var sid = prefix + Interlocked.Increment(ref _sequence).ToString("x32");
        Accepted.Enqueue(new TwilioRequest(kind!, sid, form!));
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["sid"] = sid,
            ["account_sid"] = AccountSid,
            ["to"] = form!["To"],
            ["from"] = form["From"],
            ["status"] = "queued",
            ["api_version"] = "2010-04-01",
            ["uri"] = $"/2010-04-01/Accounts/{AccountSid}/{kind}/{sid}.json",
        });
        return (201, body, null);
    }

    private static string? Check(RecordedRequest r, out string? kind, out Dictionary<string, string>? form)
    {
        kind = null;
        form = null;
        var m = PathPattern.Match(r.Path);
        if (r.Method != "POST" || !m.Success)
        {
            return $"404 {r.Method} {r.Path} is not Messages.json or Calls.json of an account";
        }
        kind = m.Groups["kind"].Value;
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        if (m.Groups["sid"].Value != AccountSid || r.Headers.Authorization.ToString() != expected)
        {
            return "401 basic auth must be the account SID and auth token, for the account in the path";
        }
        if (!r.Headers.ContentType.ToString().StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return $"400 Content-Type must be application/x-www-form-urlencoded, not '{r.Headers.ContentType}'";
        }
        var fields = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(r.Body));
        if (fields.Any(f => f.Value.Count != 1))
        {
            return "400 a field is repeated";
        }
        form = fields.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        foreach (var key in new[] { "To", "From" })
        {
            if (!form.TryGetValue(key, out var number) || !E164.IsMatch(number))
            {
                return $"400 {key} must be an E.164 number, got '{form.GetValueOrDefault(key)}'";
            }
        }
        if (form.TryGetValue("StatusCallback", out var cb) && !Uri.TryCreate(cb, UriKind.Absolute, out _))
        {
            return "400 StatusCallback must be an absolute URL";
        }
        if (kind == "Messages")
        {
            if (!form.TryGetValue("Body", out var body) || body.Length is 0 or > 1600)
            {
                return "400 Body is required, at most 1600 characters";
            }
            return null;
        }
        var how = new[] { "Url", "Twiml", "ApplicationSid" }.Count(form.ContainsKey);
        if (how != 1)
        {
            return "400 a call needs exactly one of Url, Twiml, ApplicationSid";
        }
        if (form.TryGetValue("Twiml", out var twiml))
        {
            try
            {
                if (twiml.Length > 4000 || XDocument.Parse(twiml).Root?.Name.LocalName != "Response")
                {
                    return "400 Twiml must be a <Response> document under 4000 characters";
                }
            }
            catch (System.Xml.XmlException ex)
            {
                return "400 Twiml is not XML: " + ex.Message;
            }
        }
        return null;
    }

    private static (int, string, string?) Error(int status, int code, string message) =>
        (status, JsonSerializer.Serialize(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }), null);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
