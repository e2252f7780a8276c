using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Reimburse.Testing.Accounting;

/// <summary>What a fake does to the next matching API request, before (or after) handling it.</summary>
public enum Fault { TooManyRequests, ServerError, DropAfterAccept, ExpireToken }

/// <summary>
/// A loopback stand-in for Xero or QuickBooks Online: an OAuth 2.0 authorization server (authorization code with PKCE S256,
/// rotating refresh tokens, revocation) and the accounting API. Every API request body is checked against the vendor's
/// published contract (<see cref="XeroContract"/>, <see cref="QuickBooksContract"/>) and refused with 400 like the vendor
/// would when it does not conform; violations are also kept in <see cref="ContractErrors"/>. Idempotency as the vendors
/// document it: a repeated Idempotency-Key (Xero) or requestid (QuickBooks) gets the first answer and creates nothing.
/// A per-minute limit answers 429 with Retry-After. Faults can be queued to play 429 storms, 500s, expired tokens and a
/// connection dropped after the request was accepted.
/// </summary>
public sealed class FakeAccounting : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _xero;
    private readonly ConcurrentDictionary<string, (string Challenge, string Redirect)> _codes = new();
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _idempotent = new();
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<DateTimeOffset> _window = new();
    private readonly object _tokenLock = new();
    private string? _accessToken;
    private string? _refreshToken;
    private DateTimeOffset _accessExpires;

    public const string ClientId = "reimburse-test-client";
    public const string ClientSecret = "s3cret";
    public const string Tenant = "8b3a6c39-0d5e-4a43-9d5f-2a1d1b0c7e11";
    public const string Realm = "9130357012345678";

    private FakeAccounting(WebApplication app, bool xero)
    {
        _app = app;
        _xero = xero;
    }

    public string BaseUrl { get; private set; } = "";
    public ConcurrentBag<JsonObject> Bills { get; } = new();
    public ConcurrentBag<(string BillId, string FileName, int Length)> Attachments { get; } = new();
    public ConcurrentBag<string> ContractErrors { get; } = new();
    public int Refreshes;
    public int Requests;
    public int Throttled;
    public int Revocations;
    /// <summary>Requests a minute before 429 (0 = no limit).</summary>
    public int PerMinuteLimit { get; set; }
    /// <summary>Delay of each API answer (realistic latency in the bench).</summary>
    public TimeSpan Latency { get; set; }
    public int AccessTokenSeconds { get; set; } = 1800;

    public void Queue(params Fault[] faults)
    {
        foreach (var f in faults) _faults.Enqueue(f);
    }

    /// <summary>The vendor revokes the connection (an admin removed the app): the tokens stop working.</summary>
    public void RevokeAll()
    {
        lock (_tokenLock)
        {
            _accessToken = null;
            _refreshToken = null;
        }
    }

    public Dictionary<string, string?> Settings(string provider)
    {
        var prefix = $"Reimburse:Accounting:{provider}:";
        var api = _xero ? BaseUrl + "/api.xro/2.0" : BaseUrl;
        return new()
        {
            [prefix + "ClientId"] = ClientId,
            [prefix + "ClientSecret"] = ClientSecret,
            [prefix + "AuthorizeUrl"] = BaseUrl + "/authorize",
            [prefix + "TokenUrl"] = BaseUrl + "/connect/token",
            [prefix + "RevokeUrl"] = BaseUrl + "/connect/revocation",
            [prefix + "ApiBaseUrl"] = api,
            [prefix + "ConnectionsUrl"] = BaseUrl + "/connections",
            [prefix + "RequestsPerMinute"] = "6000",
        };
    }

    public static Task<FakeAccounting> StartXeroAsync() => StartAsync(xero: true);
    public static Task<FakeAccounting> StartQuickBooksAsync() => StartAsync(xero: false);

    private static async Task<FakeAccounting> StartAsync(bool xero)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeAccounting(app, xero);
        app.MapGet("/authorize", (Delegate)fake.Authorize);
        app.MapPost("/connect/token", (Delegate)fake.Token);
        app.MapPost("/connect/revocation", (Delegate)fake.Revoke);
        app.MapGet("/connections", (HttpContext c) => fake.Authorized(c) ? Results.Json(new[] { new { id = Guid.NewGuid(), tenantId = Tenant, tenantType = "ORGANISATION", tenantName = "Harbour Trading" } }) : Results.Unauthorized());
        if (xero)
        {
            app.MapPut("/api.xro/2.0/Invoices", (Delegate)fake.XeroInvoices);
            app.MapPut("/api.xro/2.0/Invoices/{id}/Attachments/{fileName}", (Delegate)fake.XeroAttachment);
        }
        else
        {
            app.MapPost("/v3/company/{realm}/bill", (Delegate)fake.QuickBooksBill);
            app.MapPost("/v3/company/{realm}/upload", (Delegate)fake.QuickBooksUpload);
        }
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    private IResult Authorize(HttpContext c)
    {
        var q = c.Request.Query;
        if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]) || string.IsNullOrEmpty(q["state"]))
        {
            return Results.BadRequest(new { error = "invalid_request" });
        }
        var code = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        _codes[code] = (q["code_challenge"]!, q["redirect_uri"]!);
        var location = QueryHelpers.AddQueryString(q["redirect_uri"]!, new Dictionary<string, string?> { ["code"] = code, ["state"] = q["state"], ["realmId"] = _xero ? null : Realm });
        return Results.Redirect(location);
    }

    private async Task<IResult> Token(HttpContext c)
    {
        if (c.Request.Headers.Authorization != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"))) return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        var form = await c.Request.ReadFormAsync();
        lock (_tokenLock)
        {
            switch (form["grant_type"].ToString())
            {
                case "authorization_code":
                    if (!_codes.TryRemove(form["code"].ToString(), out var pending) || pending.Redirect != form["redirect_uri"]) return Results.BadRequest(new { error = "invalid_grant" });
                    var challenge = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
                    if (challenge != pending.Challenge) return Results.BadRequest(new { error = "invalid_grant", error_description = "PKCE verification failed" });
                    break;
                case "refresh_token":
                    if (_refreshToken is null || form["refresh_token"] != _refreshToken) return Results.BadRequest(new { error = "invalid_grant" });
                    Interlocked.Increment(ref Refreshes);
                    break;
                default:
                    return Results.BadRequest(new { error = "unsupported_grant_type" });
            }
            _accessToken = "at-" + Guid.NewGuid().ToString("N");
            _refreshToken = "rt-" + Guid.NewGuid().ToString("N");
            _accessExpires = DateTimeOffset.UtcNow.AddSeconds(AccessTokenSeconds);
            return Results.Json(new { access_token = _accessToken, refresh_token = _refreshToken, expires_in = AccessTokenSeconds, token_type = "Bearer" });
        }
    }

    private async Task<IResult> Revoke(HttpContext c)
    {
        if (c.Request.HasFormContentType) _ = await c.Request.ReadFormAsync();
        Interlocked.Increment(ref Revocations);
        RevokeAll();
        return Results.Ok();
    }

    private bool Authorized(HttpContext c)
    {
        lock (_tokenLock)
        {
            return _accessToken is not null && c.Request.Headers.Authorization == "Bearer " + _accessToken && DateTimeOffset.UtcNow < _accessExpires;
        }
    }

    /// <summary>Shared front of every API call: token, organisation, idempotency key, rate limit, queued faults.
    /// Returns a result to send instead of handling the request, or null to go on.</summary>
    private async Task<IResult?> FrontAsync(HttpContext c, string? idempotencyKey)
    {
        Interlocked.Increment(ref Requests);
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency);
        if (_faults.TryPeek(out var fault) && fault == Fault.ExpireToken && _faults.TryDequeue(out _))
        {
            lock (_tokenLock) _accessExpires = DateTimeOffset.UtcNow;
        }
        if (!Authorized(c)) return Results.Json(new { Title = "Unauthorized", Status = 401, Detail = "AuthenticationUnsuccessful" }, statusCode: 401);
        if (_xero && c.Request.Headers["xero-tenant-id"] != Tenant) return Results.Json(new { Title = "Forbidden", Status = 403 }, statusCode: 403);
        if (string.IsNullOrEmpty(idempotencyKey) || idempotencyKey.Length > 128)
        {
            ContractErrors.Add($"{c.Request.Path}: idempotency key missing or longer than 128 characters");
            return Results.BadRequest();
        }
        if (PerMinuteLimit > 0)
        {
            var now = DateTimeOffset.UtcNow;
            lock (_window)
            {
                while (_window.TryPeek(out var t) && now - t > TimeSpan.FromMinutes(1)) _window.TryDequeue(out _);
                if (_window.Count >= PerMinuteLimit)
                {
                    Interlocked.Increment(ref Throttled);
                    var wait = Math.Max(1, (int)Math.Ceiling((TimeSpan.FromMinutes(1) - (now - _window.First())).TotalSeconds));
                    c.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    c.Response.Headers["X-Rate-Limit-Problem"] = "minute";
                    return Results.StatusCode(429);
                }
                _window.Enqueue(now);
            }
        }
        if (_faults.TryPeek(out fault) && fault is Fault.TooManyRequests or Fault.ServerError && _faults.TryDequeue(out _))
        {
            if (fault == Fault.TooManyRequests)
            {
                Interlocked.Increment(ref Throttled);
                c.Response.Headers.RetryAfter = "1";
                c.Response.Headers["X-Rate-Limit-Problem"] = "minute";
                return Results.StatusCode(429);
            }
            return Results.Json(new { Title = "An error occurred", Status = 500 }, statusCode: 500);
        }
        return null;
    }

    /// <summary>Answers with the first result for a repeated key; otherwise creates through <paramref name="create"/>.
    /// A queued DropAfterAccept keeps the result and then drops the connection, as if the answer was lost.</summary>
    private IResult Idempotent(HttpContext c, string key, Func<(int Status, string Body)> create)
    {
        var created = false;
        var answer = _idempotent.GetOrAdd(key, _ => { created = true; return create(); });
        if (created && _faults.TryPeek(out var f) && f == Fault.DropAfterAccept && _faults.TryDequeue(out _))
        {
            c.Abort();
            return Results.Empty;
        }
        return Results.Content(answer.Body, "application/json", Encoding.UTF8, answer.Status);
    }

    private async Task<IResult> XeroInvoices(HttpContext c)
    {
        var key = c.Request.Headers["Idempotency-Key"].ToString();
        if (await FrontAsync(c, key) is { } early) return early;
        var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
        var errors = XeroContract.Validate("/Invoices", "PUT", body);
        foreach (var e in errors) ContractErrors.Add(e);
        if (errors.Count > 0)
        {
            return Results.Json(new { ErrorNumber = 10, Type = "ValidationException", Message = "A validation exception occurred",
                Elements = new[] { new { ValidationErrors = errors.Select(e => new { Message = e }).ToArray() } } }, statusCode: 400);
        }
        return Idempotent(c, key, () =>
        {
            var invoice = JsonNode.Parse(body)!["Invoices"]![0]!.AsObject();
            var id = Guid.NewGuid().ToString();
            var stored = (JsonObject)invoice.DeepClone();
            stored["InvoiceID"] = id;
            Bills.Add(stored);
            var answer = new JsonObject { ["Id"] = Guid.NewGuid().ToString(), ["Status"] = "OK", ["Invoices"] = new JsonArray(stored.DeepClone()) };
            return (200, answer.ToJsonString());
        });
    }

    private async Task<IResult> XeroAttachment(HttpContext c, string id, string fileName)
    {
        var key = c.Request.Headers["Idempotency-Key"].ToString();
        if (await FrontAsync(c, key) is { } early) return early;
        if (XeroContract.RequestSchema("/Invoices/{InvoiceID}/Attachments/{FileName}", "PUT", "application/octet-stream") is null || c.Request.ContentType != "application/octet-stream")
        {
            ContractErrors.Add($"attachment content type {c.Request.ContentType}, the contract says application/octet-stream");
        }
        using var buffer = new MemoryStream();
        await c.Request.Body.CopyToAsync(buffer);
        if (buffer.Length == 0) ContractErrors.Add("empty attachment");
        if (!Bills.Any(b => b["InvoiceID"]!.GetValue<string>() == id)) return Results.NotFound();
        return Idempotent(c, key, () =>
        {
            Attachments.Add((id, fileName, (int)buffer.Length));
            return (200, new JsonObject { ["Attachments"] = new JsonArray(new JsonObject { ["AttachmentID"] = Guid.NewGuid().ToString(), ["FileName"] = fileName }) }.ToJsonString());
        });
    }

    private async Task<IResult> QuickBooksBill(HttpContext c, string realm)
    {
        var key = c.Request.Query["requestid"].ToString();
        if (await FrontAsync(c, key) is { } early) return early;
        if (realm != Realm) return Results.NotFound();
        var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
        var errors = QuickBooksContract.Validate("Bill", body);
        foreach (var e in errors) ContractErrors.Add(e);
        if (errors.Count > 0)
        {
            return Results.Json(new { Fault = new { Error = errors.Select(e => new { Message = "Request has invalid or unsupported property", Detail = e, code = "2010" }).ToArray(), type = "ValidationFault" } }, statusCode: 400);
        }
        return Idempotent(c, key, () =>
        {
            var bill = JsonNode.Parse(body)!.AsObject();
            bill["Id"] = (Bills.Count + 100).ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
            Bills.Add(bill);
            return (200, new JsonObject { ["Bill"] = bill.DeepClone(), ["time"] = DateTimeOffset.UtcNow.ToString("O") }.ToJsonString());
        });
    }

    private async Task<IResult> QuickBooksUpload(HttpContext c, string realm)
    {
        var key = c.Request.Query["requestid"].ToString();
        if (await FrontAsync(c, key) is { } early) return early;
        if (!c.Request.HasFormContentType) { ContractErrors.Add("upload is not multipart/form-data"); return Results.BadRequest(); }
        var form = await c.Request.ReadFormAsync();
        var metadata = form.Files.GetFile("file_metadata_0");
        var content = form.Files.GetFile("file_content_0");
        if (metadata is null || content is null) { ContractErrors.Add("upload lacks file_metadata_0 or file_content_0"); return Results.BadRequest(); }
        var json = await new StreamReader(metadata.OpenReadStream()).ReadToEndAsync();
        var errors = QuickBooksContract.Validate("Attachable", json);
        foreach (var e in errors) ContractErrors.Add(e);
        if (errors.Count > 0) return Results.BadRequest();
        var billId = JsonNode.Parse(json)!["AttachableRef"]![0]!["EntityRef"]!["value"]!.GetValue<string>();
        if (!Bills.Any(b => b["Id"]!.GetValue<string>() == billId)) return Results.NotFound();
        return Idempotent(c, key, () =>
        {
            Attachments.Add((billId, content.FileName, (int)content.Length));
            return (200, new JsonObject { ["AttachableResponse"] = new JsonArray(new JsonObject { ["Attachable"] = new JsonObject { ["Id"] = Guid.NewGuid().ToString("N")[..8], ["FileName"] = content.FileName } }) }.ToJsonString());
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
