using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Azure.Data.Tables;

namespace Reimburse.Functions.Approvals;

/// <summary>What happened to one notification of a Notify outbox row: the notification as sent (with its one-click links),
/// each channel's state, and whether the general outbox (<see cref="OutboxNotificationSender"/>) took it over for retries.</summary>
public sealed record DeliveryRecord(OutgoingNotification Notification, bool HandedOff, IReadOnlyList<ChannelState> Channels);

/// <summary>How a dispatch may deliver a Notify outbox row.</summary>
public enum DeliveryMode
{
    /// <summary>Send on the channels now, from this process: it committed the row and is inside its delivery window.</summary>
    Direct,

    /// <summary>Leave the row alone: another instance committed it moments ago and is delivering it.</summary>
    Defer,

    /// <summary>Give what is not settled to the general outbox, which leases each channel before sending.</summary>
    HandOff,
}

/// <summary>
/// Delivers workflow notifications from the claim dispatcher, keeping their state in the claim's own partition: the Notify
/// outbox row written in the transition's batch is the durable record, and the outcome is merged into it (property
/// <see cref="DeliveryProperty"/>) in the same batch as the dispatch watermark. A notification on a healthy channel therefore
/// costs no storage request of its own.
/// <para>Exactly once per channel rests on a lease that the commit itself grants: the process that committed the row may send
/// it directly during the first third of <see cref="WorkflowOptions.NotificationLeaseSeconds"/> (each send cut off at five
/// sixths of it); any other dispatch leaves a row without a delivery record alone until the lease is over (the row's
/// storage timestamp is the commit time), then hands it to the general outbox, whose per-channel conditional leases stop two
/// senders. A channel that fails a direct send is handed over too, with its attempt counted, and retried there with
/// back-off; the workflow never waits for it.</para>
/// <para>The one window left: a process that sent but died before the outcome was written. The notification is then sent
/// again after the lease (at least once, like any outbox); receivers deduplicate by its idempotency key, which every channel
/// carries.</para>
/// </summary>
public sealed partial class WorkflowNotifications(
    ApprovalLinks links,
    NotificationDeliverer deliverer,
    OutboxNotificationSender outbox,
    IOptions<WorkflowOptions> options,
    IOptions<StandaloneOptions> standalone,
    TimeProvider clock,
    ILogger<WorkflowNotifications> logger)
{
    public const string DeliveryProperty = "Delivery";

    /// <summary>Room kept below the service's 64 KiB string limit.</summary>
    private const int MaxRecordChars = 30_000;

    private static readonly HashSet<string> LinkTemplates = [NotificationTemplates.ApprovalRequested, NotificationTemplates.ApprovalReminder, NotificationTemplates.ApprovalEscalated];

    // Outcomes this process produced but has not seen written yet (a dispatch that failed after sending): a later dispatch
    // reading the partition then does not send them again.
    private readonly ConcurrentDictionary<string, IReadOnlyList<DeliveryRecord>> _unwritten = new(StringComparer.Ordinal);

    // Channels that failed a direct send recently: skipped by the dispatcher until then (the retry outbox still tries them).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _downUntil = new(StringComparer.Ordinal);

    public TimeSpan Lease => TimeSpan.FromSeconds(options.Value.NotificationLeaseSeconds);

    /// <summary>The rule above, as a pure function: <paramref name="since"/> is the commit time of the row.</summary>
    public static DeliveryMode ModeFor(bool committedHere, bool hasRecords, DateTimeOffset since, DateTimeOffset now, TimeSpan lease)
    {
        var age = now - since;
        if (committedHere && !hasRecords && age < lease / 3)
        {
            return DeliveryMode.Direct;
        }
        return !committedHere && !hasRecords && age < lease ? DeliveryMode.Defer : DeliveryMode.HandOff;
    }

    /// <summary>How long a direct send that starts now may take.</summary>
    public static TimeSpan DirectBudget(DateTimeOffset since, DateTimeOffset now, TimeSpan lease)
    {
        var left = lease * 5 / 6 - (now - since);
        return left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
    }

    /// <summary>The delivery records of an outbox row (written by an earlier dispatch, or remembered from one whose write
    /// failed); null when it was never delivered.</summary>
    public IReadOnlyList<DeliveryRecord>? Records(TableEntity row) =>
        row.GetString(DeliveryProperty) is { Length: > 0 } json
            ? JsonSerializer.Deserialize<List<DeliveryRecord>>(json, ApprovalJson.Options)
            : _unwritten.GetValueOrDefault(MemoryKey(row));

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

    /// <summary>Delivers (or hands over) what the row still owes. Returns the new value of <see cref="DeliveryProperty"/>, or
    /// null when nothing changed. Never throws for a channel's failure.</summary>
    public async Task<string?> DeliverAsync(string claimId, TableEntity row, Notify notify, DeliveryMode mode, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (mode == DeliveryMode.Defer)
        {
            return null;
        }
        var key = row.GetString("Key")!;
        var known = Records(row);
        // Remembered from a dispatch whose write failed: worth writing now even if nothing more happens.
        var unwritten = known is not null && row.GetString(DeliveryProperty) is not { Length: > 0 };
        var records = known ?? Expand(claimId, key, notify).Select(n => new DeliveryRecord(n, false, [])).ToList();
        var budget = DirectBudget(since, now, Lease);
        var timeout = TimeSpan.FromSeconds(options.Value.DirectSendTimeoutSeconds);
        budget = budget < timeout ? budget : timeout;
        var results = await Task.WhenAll(records.Select(r => DeliverOneAsync(r, mode, budget, cancellationToken)));
        if (!unwritten && !results.Any(r => r.Changed))
        {
            return null;
        }
        var updated = results.Select(r => r.Record).ToList();
        _unwritten[MemoryKey(row)] = updated;
        if (_unwritten.Count > 20_000)
        {
            _unwritten.Clear();
        }
        var json = JsonSerializer.Serialize(updated, ApprovalJson.Options);
        // A very wide notification (dozens of recipients) is stored without its links: the record is for state, and the
        // links were already sent.
        return json.Length <= MaxRecordChars ? json
            : JsonSerializer.Serialize(updated.Select(r => r with { Notification = r.Notification with { Links = [] } }), ApprovalJson.Options);
    }

    /// <summary>The outcome of this row is durable now; forget it.</summary>
    public void Written(TableEntity row) => _unwritten.TryRemove(MemoryKey(row), out _);

    private async Task<(DeliveryRecord Record, bool Changed)> DeliverOneAsync(DeliveryRecord record, DeliveryMode mode, TimeSpan budget, CancellationToken cancellationToken)
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
        if (mode == DeliveryMode.Direct && up.Count > 0)
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
        if (mode != DeliveryMode.Direct) LogHandedOff(logger, key);
        return (record with { HandedOff = true }, true);
    }

    private static string MemoryKey(TableEntity row) => row.PartitionKey + "/" + row.RowKey;

    [LoggerMessage(EventId = 4220, Level = LogLevel.Debug, Message = "Notification {Key} sent by the dispatcher on {Channels}")]
    private static partial void LogSentDirect(ILogger logger, string key, string channels);

    [LoggerMessage(EventId = 4221, Level = LogLevel.Warning, Message = "Notification {Key} failed on {Channel}; the outbox retries it, and the dispatcher leaves the channel to the outbox for {Seconds} s: {Reason}")]
    private static partial void LogDirectFailed(ILogger logger, string key, string channel, string reason, int seconds);

    [LoggerMessage(EventId = 4222, Level = LogLevel.Information, Message = "Notification {Key} handed to the outbox (its committing instance did not deliver it in time)")]
    private static partial void LogHandedOff(ILogger logger, string key);
}
