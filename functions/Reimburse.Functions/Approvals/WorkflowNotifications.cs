using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>What happened to one notification of a Notify effect: the notification as sent (with its one-click links),
/// each channel's state, and whether the general outbox (<see cref="OutboxNotificationSender"/>) took it over for retries.</summary>
public sealed record DeliveryRecord(OutgoingNotification Notification, bool HandedOff, IReadOnlyList<ChannelState> Channels);

/// <summary>
/// Delivers the workflow's notifications from the <see cref="WorkflowActivities.DeliverNotification"/> activity. The
/// outcome is kept on a row of the claim's partition keyed by the effect (<see cref="WorkflowRows.OutboxRowKey"/>, property
/// <see cref="DeliveryProperty"/>): the engine runs an activity at least once, and a repeat finds the record and sends only
/// what is not settled. Each channel gets one direct attempt cut off after <see cref="WorkflowOptions.DirectSendTimeoutSeconds"/>;
/// a channel that fails (or failed recently) is handed to the general outbox with its attempt counted, and retried there
/// with back-off — the workflow never waits for it.
/// <para>The one window left: the activity sent but died before the record was written. The engine then runs it again and
/// the notification goes out twice; receivers deduplicate by its idempotency key, which every channel carries.</para>
/// </summary>
public sealed partial class WorkflowNotifications(
    ApprovalLinks links,
    NotificationDeliverer deliverer,
    OutboxNotificationSender outbox,
    ReimburseStorage storage,
    IOptions<WorkflowOptions> options,
    IOptions<StandaloneOptions> standalone,
    TimeProvider clock,
    ILogger<WorkflowNotifications> logger)
{
    public const string DeliveryProperty = "Delivery";

    /// <summary>Room kept below the service's 64 KiB string limit.</summary>
    private const int MaxRecordChars = 30_000;

    private static readonly HashSet<string> LinkTemplates = [NotificationTemplates.ApprovalRequested, NotificationTemplates.ApprovalReminder, NotificationTemplates.ApprovalEscalated];

    // Channels that failed a direct send recently: skipped by the dispatcher until then (the retry outbox still tries them).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _downUntil = new(StringComparer.Ordinal);

    /// <summary>The notifications a Notify effect stands for. Decision requests carry personal one-click links, so each
    /// recipient gets their own (key "{effect key}:{user}"); everything else is one notification to all recipients.</summary>
    public IReadOnlyList<OutgoingNotification> Expand(string claimId, string key, Notify n)
    {
        if (!LinkTemplates.Contains(n.Template)
            || !n.Data.TryGetValue("round", out var r) || !n.Data.TryGetValue("step", out var s))
        {
            return [new OutgoingNotification(key, claimId, n.Recipients, n.Template, n.Data, [])];
        }
        var round = int.Parse(r, CultureInfo.InvariantCulture);
        var step = int.Parse(s, CultureInfo.InvariantCulture);
        return n.Recipients.Select(user =>
        {
            var linkList = new[] { Decision.Approve, Decision.Reject }.Select(d => new NotificationLink(
                d == Decision.Approve ? "Approve" : "Reject",
                links.Url(links.CreateToken(claimId, user, d, round, step, ApprovalLinks.NonceFor(key, user, d))))).ToList();
            return new OutgoingNotification(key + ":" + user, claimId, [user], n.Template, n.Data, linkList);
        }).ToList();
    }

    /// <summary>Delivers (or hands over) what the effect still owes and records the outcome. Returns whether anything was
    /// sent or handed over now. Never throws for a channel's failure.</summary>
    public async Task<bool> DeliverAsync(string claimId, KeyedEffect effect, Notify notify, CancellationToken cancellationToken = default)
    {
        var rowKey = WorkflowRows.OutboxRowKey(effect.Version, effect.Index);
        var row = await storage.Claims.GetEntityOrDefaultAsync(claimId, rowKey, cancellationToken: cancellationToken);
        var known = row?.GetString(DeliveryProperty) is { Length: > 0 } stored
            ? JsonSerializer.Deserialize<List<DeliveryRecord>>(stored, ApprovalJson.Options)
            : null;
        var records = known ?? Expand(claimId, effect.Key, notify).Select(n => new DeliveryRecord(n, false, [])).ToList();
        var timeout = TimeSpan.FromSeconds(options.Value.DirectSendTimeoutSeconds);
        var results = await Task.WhenAll(records.Select(r => DeliverOneAsync(r, timeout, cancellationToken)));
        if (!results.Any(r => r.Changed))
        {
            return false;
        }
        var updated = results.Select(r => r.Record).ToList();
        var json = JsonSerializer.Serialize(updated, ApprovalJson.Options);
        // A very wide notification (dozens of recipients) is stored without its links: the record is for state, and the
        // links were already sent.
        if (json.Length > MaxRecordChars)
        {
            json = JsonSerializer.Serialize(updated.Select(r => r with { Notification = r.Notification with { Links = [] } }), ApprovalJson.Options);
        }
        await storage.Claims.UpsertEntityAsync(new TableEntity(claimId, rowKey)
        {
            ["Key"] = effect.Key,
            ["Type"] = nameof(Notify),
            ["Effect"] = effect.Effect,
            [DeliveryProperty] = json,
        }, TableUpdateMode.Merge, cancellationToken);
        return true;
    }

    private async Task<(DeliveryRecord Record, bool Changed)> DeliverOneAsync(DeliveryRecord record, TimeSpan budget, CancellationToken cancellationToken)
    {
        if (record.HandedOff)
        {
            return (record, false);
        }
        var states = record.Channels.ToDictionary(c => c.Channel, StringComparer.Ordinal);
        var pending = deliverer.Channels.Where(c => states.GetValueOrDefault(c.Name)?.State is not (DeliveryStates.Sent or DeliveryStates.Failed)).ToList();
        if (pending.Count == 0)
        {
            return (record, false);
        }
        var key = record.Notification.IdempotencyKey;
        var now = clock.GetUtcNow();
        var up = pending.Where(c => !(_downUntil.TryGetValue(c.Name, out var until) && until > now)).ToList();
        if (up.Count > 0)
        {
            var delivery = await deliverer.PrepareAsync(record.Notification, cancellationToken);
            var outcomes = await Task.WhenAll(up.Select(c => deliverer.AttemptAsync(c, delivery, states.GetValueOrDefault(c.Name), DeliveryStates.Retrying, budget, cancellationToken)));
            foreach (var o in outcomes)
            {
                states[o.Channel] = o;
            }
            var failed = outcomes.Where(o => o.State != DeliveryStates.Sent).ToList();
            if (failed.Count == 0 && up.Count == pending.Count)
            {
                LogSentDirect(logger, key, string.Join(",", outcomes.Select(o => o.Channel)));
                return (record with { Channels = [.. states.Values] }, true);
            }
            foreach (var f in failed)
            {
                _downUntil[f.Channel] = clock.GetUtcNow().AddSeconds(options.Value.ChannelBackoffSeconds);
                LogDirectFailed(logger, key, f.Channel, f.LastError ?? "", options.Value.ChannelBackoffSeconds);
            }
            // A channel that just failed is retried after the queue's first back-off; one skipped as down can be tried now.
            var delay = failed.Count > 0 ? TimeSpan.FromMilliseconds(standalone.Value.RetryBaseMilliseconds) : TimeSpan.Zero;
            await outbox.HandOffAsync(record.Notification, [.. states.Values], delay, cancellationToken);
            return (record with { HandedOff = true, Channels = [.. states.Values] }, true);
        }
        await outbox.HandOffAsync(record.Notification, [.. states.Values], TimeSpan.Zero, cancellationToken);
        LogHandedOff(logger, key);
        return (record with { HandedOff = true }, true);
    }

    [LoggerMessage(EventId = 4220, Level = LogLevel.Debug, Message = "Notification {Key} sent on {Channels}")]
    private static partial void LogSentDirect(ILogger logger, string key, string channels);

    [LoggerMessage(EventId = 4221, Level = LogLevel.Warning, Message = "Notification {Key} failed on {Channel}; the outbox retries it, and direct sends leave the channel to the outbox for {Seconds} s: {Reason}")]
    private static partial void LogDirectFailed(ILogger logger, string key, string channel, string reason, int seconds);

    [LoggerMessage(EventId = 4222, Level = LogLevel.Information, Message = "Notification {Key} handed to the outbox (its channels failed recently)")]
    private static partial void LogHandedOff(ILogger logger, string key);
}
