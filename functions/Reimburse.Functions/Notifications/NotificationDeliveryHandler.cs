using Microsoft.Extensions.Options;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Notifications;

/// <summary>Delivers a recorded notification on every configured channel (the log channel when none is). Each channel's
/// state is kept apart: a channel that already succeeded is skipped on redelivery; a failed one is retried by the queue with
/// back-off (the message comes back), and after the last attempt its state says failed with the reason.</summary>
public sealed partial class NotificationDeliveryHandler(
    NotificationStore store,
    NotificationDeliverer deliverer,
    IOptions<StandaloneOptions> standalone,
    TimeProvider clock,
    ILogger<NotificationDeliveryHandler> logger,
    MalformedMessages malformed) : IQueueHandler
{
    /// <summary>A send that takes longer than this is presumed dead and its channel may be tried again.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    /// <summary>A send is cut off this long before its lease ends, so a presumed-dead send is really over.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(15);

    public string FunctionName => "NotificationDelivery";
    public string QueueName => NotificationStore.QueueName;

    /// <summary>The channels this deployment delivers on.</summary>
    public IReadOnlyList<INotificationChannel> Channels => deliverer.Channels;

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        var message = await malformed.DecodeOrPoisonAsync<NotificationQueued>(QueueName, invocation,
            m => m.IdempotencyKey is { Length: > 0 and <= 1024 } ? null : "idempotencyKey must be 1 to 1024 characters.", cancellationToken);
        if (message is null)
        {
            return; // moved to poison with its reason
        }
        var stored = await store.GetAsync(message.IdempotencyKey, cancellationToken);
        if (stored is null)
        {
            // The sender writes the row before the message, so this is not a race: nothing to deliver.
            LogMissing(logger, message.IdempotencyKey);
            return;
        }
        var (notification, _, states) = stored.Value;
        // The Functions host and the standalone poller both move a message to poison after this many attempts.
        var finalAttempt = invocation.DequeueCount >= standalone.Value.MaxDequeueCount;
        var delivery = await deliverer.PrepareAsync(notification, cancellationToken);

        var pending = new List<string>();
        foreach (var channel in deliverer.Channels)
        {
            var outcome = await DeliverAsync(channel, delivery, states.GetValueOrDefault(channel.Name), finalAttempt, cancellationToken);
            if (outcome is not null) pending.Add($"{channel.Name}: {outcome}");
        }
        if (pending.Count > 0 && !finalAttempt)
        {
            throw new RetryLaterException($"Notification {notification.IdempotencyKey} not delivered yet — {string.Join("; ", pending)}");
        }
    }

    /// <summary>Returns null when the channel is done (sent now or before, or given up), else why it must be retried.</summary>
    private async Task<string?> DeliverAsync(INotificationChannel channel, ChannelDelivery delivery, Azure.Data.Tables.TableEntity? current, bool finalAttempt, CancellationToken cancellationToken)
    {
        var key = delivery.Notification.IdempotencyKey;
        var now = clock.GetUtcNow();
        var state = current?.GetString("State");
        if (state is DeliveryStates.Sent or DeliveryStates.Failed)
        {
            return null;
        }
        if (state == DeliveryStates.Sending && current!.GetDateTimeOffset("LeaseUntil") > now)
        {
            return "another delivery is sending";
        }
        var lease = await store.TryLeaseAsync(key, channel.Name, current, now, Lease, cancellationToken);
        if (lease is null)
        {
            return "another delivery took it";
        }
        var before = current is null ? null : NotificationStore.ToState(current);
        var after = await deliverer.AttemptAsync(channel, delivery, before, finalAttempt ? DeliveryStates.Failed : DeliveryStates.Retrying, Lease - LeaseMargin, cancellationToken);
        await store.RecordAsync(key, channel.Name, lease.Value, after.State, after.Attempts, after.LastError, clock.GetUtcNow(), CancellationToken.None);
        switch (after.State)
        {
            case DeliveryStates.Sent:
                LogSent(logger, key, channel.Name, after.Attempts);
                return null;
            case DeliveryStates.Failed:
                LogGaveUp(logger, key, channel.Name, after.Attempts, after.LastError ?? "");
                return null;
            default:
                LogSendFailed(logger, key, channel.Name, after.Attempts, after.LastError ?? "");
                return after.LastError;
        }
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Notification {Key} sent on {Channel} (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, string key, string channel, int attempt);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Notification {Key} failed on {Channel} (attempt {Attempt}), will retry: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string key, string channel, int attempt, string reason);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Error, Message = "Notification {Key} failed on {Channel} after {Attempt} attempts; giving up: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, string key, string channel, int attempt, string reason);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Notification {Key} was never recorded; dropping its message")]
    private static partial void LogMissing(ILogger logger, string key);
}
