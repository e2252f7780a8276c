using System.Net;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using Reimburse.Core.Company;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using Task = System.Threading.Tasks.Task;
using TwilioHttp = Twilio.Http;

namespace Reimburse.Functions.Notifications;

/// <summary>Twilio (SMS and programmable voice) for the reminder ladder. On when AccountSid is set; secrets come from
/// configuration (in Azure: app settings backed by Key Vault references).</summary>
public sealed class TwilioOptions
{
    public const string Section = "Reimburse:Notifications:Twilio";

    /// <summary>AC + 32 hex digits.</summary>
    public string? AccountSid { get; set; }

    /// <summary>The account's auth token: REST basic auth and the key of X-Twilio-Signature on callbacks.</summary>
    public string? AuthToken { get; set; }

    /// <summary>The Twilio number SMS and calls come from (E.164).</summary>
    public string? From { get; set; }

    /// <summary>Where the REST API is; the Twilio library's own host is replaced by this one (tests: a loopback server).</summary>
    public string BaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>The app's public address Twilio calls back (status, keypress); default Reimburse:Workflow:PublicBaseUrl.
    /// Signatures are checked against this address, so it must be what Twilio was given.</summary>
    public string? CallbackBaseUrl { get; set; }

    /// <summary>Attempts per send when Twilio answers 429 or 5xx (or the network fails), with doubling back-off.</summary>
    public int MaxAttempts { get; set; } = 4;

    public int RetryBaseMilliseconds { get; set; } = 500;

    public int TimeoutSeconds { get; set; } = 10;

    public bool Enabled => !string.IsNullOrWhiteSpace(AccountSid);
}

/// <summary>Every problem with <see cref="TwilioOptions"/> at once, at start.</summary>
public sealed class TwilioOptionsValidator(IOptions<NotificationOptions> notifications) : IValidateOptions<TwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions o)
    {
        if (!o.Enabled)
        {
            return ValidateOptionsResult.Success;
        }
        var errors = new List<string>();
        if (!System.Text.RegularExpressions.Regex.IsMatch(o.AccountSid!, "^AC[0-9a-fA-F]{32}$"))
        {
            errors.Add($"{TwilioOptions.Section}:AccountSid must be AC followed by 32 hex digits.");
        }
        if (string.IsNullOrWhiteSpace(o.AuthToken))
        {
            errors.Add($"{TwilioOptions.Section}:AuthToken is required with AccountSid.");
        }
        if (PhoneNumber.Validate(o.From) is { } phone)
        {
            errors.Add($"{TwilioOptions.Section}:From: {phone}");
        }
        var allowHttp = notifications.Value.AllowPrivateTargets;
        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttps && !(allowHttp && baseUrl.Scheme == Uri.UriSchemeHttp)))
        {
            errors.Add($"{TwilioOptions.Section}:BaseUrl must be an https URL (http only with AllowPrivateTargets).");
        }
        if (o.CallbackBaseUrl is { Length: > 0 } cb && (!Uri.TryCreate(cb, UriKind.Absolute, out var cbUrl) || (cbUrl.Scheme != Uri.UriSchemeHttps && !(allowHttp && cbUrl.Scheme == Uri.UriSchemeHttp))))
        {
            errors.Add($"{TwilioOptions.Section}:CallbackBaseUrl must be an https URL (http only with AllowPrivateTargets).");
        }
        if (o.MaxAttempts is < 1 or > 10)
        {
            errors.Add($"{TwilioOptions.Section}:MaxAttempts must be 1 to 10.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>What a send came to: the provider's id (SM… / CA…) or the last error, and how many attempts it took.</summary>
public sealed record ProviderResult(bool Sent, string? Sid, string? Error, int Attempts);

/// <summary>
/// SMS and calls through the Twilio library's REST client (Messages.json / Calls.json of the 2010-04-01 API). Its HTTP goes
/// through our own <see cref="HttpClient"/>, whose handler sends the request to <see cref="TwilioOptions.BaseUrl"/>, so the
/// same code talks to Twilio or to a loopback server that checks Twilio's request shapes. 429 and 5xx (and network
/// failures) are retried with doubling back-off; then the send is reported failed, never thrown.
/// </summary>
public sealed partial class TwilioGateway : IDisposable
{
    private readonly TwilioOptions _options;
    private readonly HttpClient _http;
    private readonly TwilioRestClient? _client;
    private readonly TimeProvider _clock;
    private readonly ILogger<TwilioGateway> _logger;

    public TwilioGateway(IOptions<TwilioOptions> options, TimeProvider clock, ILogger<TwilioGateway> logger)
    {
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _http = new HttpClient(new BaseUrlHandler(new Uri(_options.BaseUrl)) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } })
        {
            Timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds),
        };
        if (_options.Enabled)
        {
            _client = new TwilioRestClient(_options.AccountSid, _options.AuthToken, _options.AccountSid, httpClient: new TwilioHttp.SystemNetHttpClient(_http));
        }
    }

    public bool Enabled => _client is not null;

    public TwilioOptions Options => _options;

    /// <summary>Sends an SMS; <paramref name="statusCallback"/> receives Twilio's delivery reports.</summary>
    public Task<ProviderResult> SendSmsAsync(string to, string body, Uri? statusCallback, CancellationToken cancellationToken = default) =>
        WithRetriesAsync(async () =>
        {
            var message = await MessageResource.CreateAsync(new CreateMessageOptions(new Twilio.Types.PhoneNumber(to))
            {
                From = new Twilio.Types.PhoneNumber(_options.From),
                Body = body,
                StatusCallback = statusCallback,
            }, _client).ConfigureAwait(false);
            return message.Sid;
        }, cancellationToken);

    /// <summary>Places a call that plays <paramref name="twiml"/>; <paramref name="statusCallback"/> receives the call's end.</summary>
    public Task<ProviderResult> CallAsync(string to, string twiml, Uri? statusCallback, CancellationToken cancellationToken = default) =>
        WithRetriesAsync(async () =>
        {
            var call = await CallResource.CreateAsync(new CreateCallOptions(new Twilio.Types.PhoneNumber(to), new Twilio.Types.PhoneNumber(_options.From))
            {
                Twiml = new Twilio.Types.Twiml(twiml),
                StatusCallback = statusCallback,
                StatusCallbackEvent = statusCallback is null ? null : ["completed"],
                Timeout = 30,
            }, _client).ConfigureAwait(false);
            return call.Sid;
        }, cancellationToken);

    /// <summary>The call's script: the message in the approver's language (Cantonese zh-HK or English), then "press 1" to get
    /// the link by SMS (the keypress goes to <paramref name="keypressUrl"/>).</summary>
    public static string CallTwiml(string language, string message, Uri keypressUrl)
    {
        var cantonese = language == "zh-HK";
        Say.LanguageEnum lang = cantonese ? "zh-HK" : "en-GB";
        Say.VoiceEnum voice = cantonese ? "Polly.Hiujin-Neural" : "Polly.Amy-Neural";
        var gather = new Gather(numDigits: 1, action: keypressUrl, method: TwilioHttp.HttpMethod.Post, timeout: 8)
            .Say(message, voice: voice, language: lang)
            .Say(cantonese ? "如需以短訊收取審批連結，請按一。" : "To get the approval link by text message, press 1.", voice: voice, language: lang);
        var response = new VoiceResponse().Append(gather)
            .Say(cantonese ? "再見。" : "Goodbye.", voice: voice, language: lang);
        return response.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>True when <paramref name="signature"/> (X-Twilio-Signature) is Twilio's HMAC of <paramref name="url"/> and the
    /// POSTed form fields with this account's auth token.</summary>
    public bool IsValidSignature(string url, IDictionary<string, string> form, string? signature) =>
        _options.AuthToken is { Length: > 0 } token && !string.IsNullOrEmpty(signature)
        && new Twilio.Security.RequestValidator(token).Validate(url, form, signature);

    private async Task<ProviderResult> WithRetriesAsync(Func<Task<string>> send, CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            return new ProviderResult(false, null, "Twilio is not configured.", 0);
        }
        string? error = null;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            try
            {
                return new ProviderResult(true, await send().ConfigureAwait(false), null, attempt);
            }
            catch (ApiException ex) when (ex.Status == 429 || ex.Status >= 500)
            {
                error = $"Twilio {ex.Status} (code {ex.Code}): {ex.Message}";
            }
            catch (ApiException ex)
            {
                // 4xx other than 429: the request itself is wrong (bad number, unverified caller id); retrying cannot help.
                return new ProviderResult(false, null, $"Twilio {ex.Status} (code {ex.Code}): {ex.Message}", attempt);
            }
            catch (Exception ex) when (ex is ApiConnectionException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                error = $"Twilio unreachable: {ex.Message}";
            }
            LogRetry(_logger, attempt, error);
            if (attempt < _options.MaxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_options.RetryBaseMilliseconds * (1 << (attempt - 1))), _clock, cancellationToken).ConfigureAwait(false);
            }
        }
        return new ProviderResult(false, null, error, _options.MaxAttempts);
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Twilio attempt {Attempt} failed: {Error}")]
    private static partial void LogRetry(ILogger logger, int attempt, string? error);

    /// <summary>Sends each request to the configured base address instead of the library's api.twilio.com host.</summary>
    private sealed class BaseUrlHandler(Uri baseUrl) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri)
            {
                var basePath = baseUrl.AbsolutePath.TrimEnd('/');
                request.RequestUri = new UriBuilder(baseUrl.Scheme, baseUrl.Host, baseUrl.Port, basePath + uri.AbsolutePath) { Query = uri.Query.TrimStart('?') }.Uri;
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
