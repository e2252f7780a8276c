namespace Reimburse.Functions.Notifications;

/// <summary>A notification rendered for people: bilingual subject and text, Markdown for chat channels, and its links.</summary>
public sealed record RenderedMessage(string Subject, string Text, string Markdown, IReadOnlyList<NotificationLink> Links);

/// <summary>Someone to notify, resolved from the company directory (Email is null for an unknown user id).</summary>
public sealed record NotificationRecipient(string UserId, string? Name, string? Email);

/// <summary>One delivery to one channel.</summary>
public sealed record ChannelDelivery(OutgoingNotification Notification, RenderedMessage Message, IReadOnlyList<NotificationRecipient> Recipients);

/// <summary>A way to reach people (DingTalk, webhook, e-mail, log). SendAsync throws on failure; the caller records it and
/// the queue retries with back-off.</summary>
public interface INotificationChannel
{
    /// <summary>Stable name used in the delivery state (e.g. "dingtalk").</summary>
    string Name { get; }

    /// <summary>Whether the deployment configured this channel.</summary>
    bool IsConfigured { get; }

    Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default);
}

/// <summary>A channel refused or failed a send; Message is what the delivery state records as the last error.</summary>
public sealed class NotificationChannelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Standalone default: when no real channel is configured, records what would have been sent in the log (and the
/// outbox view at GET /api/dev/outbox shows it).</summary>
public sealed partial class LogChannel(ILogger<LogChannel> logger) : INotificationChannel
{
    public const string ChannelName = "log";
    public string Name => ChannelName;

    /// <summary>Used only when nothing else is configured (see <see cref="NotificationDeliveryHandler"/>).</summary>
    public bool IsConfigured => false;

    public Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default)
    {
        LogWouldSend(logger, delivery.Notification.IdempotencyKey, string.Join(",", delivery.Recipients.Select(r => r.UserId)), delivery.Message.Subject);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Notification {Key} to {Recipients} (log channel, nothing sent): {Subject}")]
    private static partial void LogWouldSend(ILogger logger, string key, string recipients, string subject);
}
