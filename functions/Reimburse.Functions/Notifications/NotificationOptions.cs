using System.Net;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Notifications;

/// <summary>Notification channels. A channel is on when its essential setting is present; with none on, the log channel
/// records what would have been sent.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Reimburse:Notifications";

    public DingTalkOptions DingTalk { get; set; } = new();
    public WebhookOptions Webhook { get; set; } = new();
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Development only: lets HTTP channels reach loopback/private addresses and plain http.</summary>
    public bool AllowPrivateTargets { get; set; }
}

/// <summary>DingTalk custom robot. On when AccessToken is set.</summary>
public sealed class DingTalkOptions
{
    /// <summary>Base address; the robot endpoint is {Url}/robot/send.</summary>
    public string Url { get; set; } = "https://oapi.dingtalk.com";
    public string? AccessToken { get; set; }
    /// <summary>The robot's "加簽" (sign) secret, SEC….</summary>
    public string? Secret { get; set; }
    /// <summary>DingTalk throttles a robot for 10 minutes above 20 messages a minute; stay at or below.</summary>
    public int MaxPerMinute { get; set; } = 20;
    public bool Enabled => !string.IsNullOrWhiteSpace(AccessToken);
}

/// <summary>Generic HMAC-signed webhook. On when Url is set.</summary>
public sealed class WebhookOptions
{
    public string? Url { get; set; }
    /// <summary>HMAC-SHA256 key, at least 16 characters.</summary>
    public string? Secret { get; set; }
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>E-mail over SMTP. On when Host is set.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;
    public string? From { get; set; }
    public string? User { get; set; }
    public string? Password { get; set; }
    /// <summary>Require STARTTLS (the server must offer it). Default on: credentials never cross in clear text.</summary>
    public bool UseStartTls { get; set; } = true;
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Checks every channel's settings at start and reports all problems at once.</summary>
public sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var errors = new List<string>();
        var s = NotificationOptions.Section;
        var d = options.DingTalk;
        if (d.Enabled)
        {
            CheckUrl(errors, $"{s}:DingTalk:Url", d.Url, options.AllowPrivateTargets);
            if (string.IsNullOrWhiteSpace(d.Secret))
            {
                errors.Add($"{s}:DingTalk:Secret is required with an AccessToken (the robot must use signing).");
            }
            if (d.MaxPerMinute is < 1 or > 20)
            {
                errors.Add($"{s}:DingTalk:MaxPerMinute must be 1–20 (DingTalk throttles a robot above 20 a minute).");
            }
        }
        var w = options.Webhook;
        if (w.Enabled)
        {
            CheckUrl(errors, $"{s}:Webhook:Url", w.Url!, options.AllowPrivateTargets);
            if (string.IsNullOrEmpty(w.Secret) || w.Secret.Length < 16)
            {
                errors.Add($"{s}:Webhook:Secret must be at least 16 characters.");
            }
        }
        var m = options.Smtp;
        if (m.Enabled)
        {
            if (m.Port is < 1 or > 65535) errors.Add($"{s}:Smtp:Port must be 1–65535.");
            if (string.IsNullOrWhiteSpace(m.From) || !SmtpMessage.IsPlausibleAddress(m.From)) errors.Add($"{s}:Smtp:From must be an e-mail address.");
            if (string.IsNullOrEmpty(m.User) != string.IsNullOrEmpty(m.Password)) errors.Add($"{s}:Smtp:User and Password go together.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckUrl(List<string> errors, string key, string url, bool allowPrivate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{key} must be an absolute https URL.");
            return;
        }
        if (!allowPrivate && uri.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{key} must use https (http only with {NotificationOptions.Section}:AllowPrivateTargets=true in development).");
        }
        if (!allowPrivate && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && SsrfGuard.IsBlocked(ip))
        {
            errors.Add($"{key} points at a loopback/private/link-local address ({ip}); refused unless {NotificationOptions.Section}:AllowPrivateTargets=true.");
        }
    }
}
