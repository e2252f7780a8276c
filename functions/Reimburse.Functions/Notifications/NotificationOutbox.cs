using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Notifications;

/// <summary>Delivery state of one notification on one channel.</summary>
public sealed record ChannelState(string Channel, string State, int Attempts, string? LastError, DateTimeOffset? SentAt, DateTimeOffset? UpdatedAt);

/// <summary>A recorded notification with its per-channel delivery state.</summary>
public sealed record OutboxEntry(OutgoingNotification Notification, DateTimeOffset CreatedAt, IReadOnlyList<ChannelState> Channels);

/// <summary>The queue message asking for delivery of a recorded notification.</summary>
public sealed record NotificationQueued(string IdempotencyKey);

/// <summary>Channel delivery states as stored.</summary>
public static class DeliveryStates
{
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Retrying = "retrying";
    public const string Failed = "failed";
}

/// <summary>The "notifications" table: one row per notification (partition = hash of its idempotency key, row "n") and one
/// row per channel in the same partition (row "c-{channel}"), so a notification and its states are read in one query.</summary>
public sealed class NotificationStore(ReimburseStorage storage)
{
    public const string TableName = "notifications";
    public const string QueueName = "notifications";
    private const string MainRow = "n";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient _table = storage.Table(TableName);
    private Task? _created;

    public TableClient Table => _table;

    /// <summary>Keys are free text; table keys forbid / \ # ? and control characters, so the partition is a hash.</summary>
    public static string PartitionOf(string idempotencyKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));

    public static string ChannelRow(string channel) => "c-" + channel;

    /// <summary>Records the notification, with the channel states already settled elsewhere (a channel the workflow
    /// dispatcher sent on before handing the rest over) in the same batch. Returns false when it was already recorded, with
    /// whether its queue message went out.</summary>
    public async Task<(bool Added, bool Enqueued)> AddAsync(OutgoingNotification n, DateTimeOffset now, IReadOnlyCollection<ChannelState>? settled = null, CancellationToken cancellationToken = default)
    {
        var partition = PartitionOf(n.IdempotencyKey);
        var entity = new TableEntity(partition, MainRow)
        {
            ["Key"] = n.IdempotencyKey,
            ["ClaimId"] = n.ClaimId,
            ["Template"] = n.Template,
            ["Payload"] = JsonSerializer.Serialize(n, Json),
            ["CreatedAt"] = now,
            ["Enqueued"] = false,
        };
        try
        {
            if (settled is not { Count: > 0 })
            {
                await WithTableAsync(() => _table.AddEntityAsync(entity, cancellationToken), cancellationToken);
            }
            else
            {
                var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, entity) };
                actions.AddRange(settled.Select(c => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, ChannelRow(c.Channel))
                {
                    ["Channel"] = c.Channel,
                    ["State"] = c.State,
                    ["Attempts"] = c.Attempts,
                    ["LastError"] = c.LastError is { Length: > 1000 } e ? e[..1000] : c.LastError,
                    ["SentAt"] = c.SentAt,
                    ["UpdatedAt"] = c.UpdatedAt ?? now,
                })));
                await WithTableAsync(() => _table.SubmitCheckedTransactionAsync(actions, cancellationToken), cancellationToken);
            }
            return (true, false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await _table.GetEntityOrDefaultAsync(entity.PartitionKey, MainRow, ["Enqueued"], cancellationToken);
            return (false, existing?.GetBoolean("Enqueued") == true);
        }
    }

    public Task MarkEnqueuedAsync(string idempotencyKey, CancellationToken cancellationToken = default) =>
        _table.UpsertEntityAsync(new TableEntity(PartitionOf(idempotencyKey), MainRow) { ["Enqueued"] = true }, TableUpdateMode.Merge, cancellationToken);

    /// <summary>The notification's main row and channel rows; null when it was never recorded.</summary>
    public async Task<(OutgoingNotification Notification, DateTimeOffset CreatedAt, Dictionary<string, TableEntity> Channels)?> GetAsync(string idempotencyKey, CancellationToken cancellationToken = default)
    {
        OutgoingNotification? notification = null;
        DateTimeOffset createdAt = default;
        var channels = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {PartitionOf(idempotencyKey)}"), cancellationToken: cancellationToken))
        {
            if (e.RowKey == MainRow)
            {
                notification = JsonSerializer.Deserialize<OutgoingNotification>(e.GetString("Payload")!, Json);
                createdAt = e.GetDateTimeOffset("CreatedAt") ?? default;
            }
            else
            {
                channels[e.GetString("Channel") ?? e.RowKey[2..]] = e;
            }
        }
        return notification is null ? null : (notification, createdAt, channels);
    }

    /// <summary>Takes a channel for sending: a conditional write, so two deliveries of the same notification cannot both
    /// send on one channel. Returns the row's new ETag, or null when someone else holds it or it was sent already.</summary>
    public async Task<ETag?> TryLeaseAsync(string idempotencyKey, string channel, TableEntity? current, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(PartitionOf(idempotencyKey), ChannelRow(channel))
        {
            ["Channel"] = channel,
            ["State"] = DeliveryStates.Sending,
            ["Attempts"] = current?.GetInt32("Attempts") ?? 0,
            ["LastError"] = current?.GetString("LastError"),
            ["LeaseUntil"] = now + lease,
            ["UpdatedAt"] = now,
        };
        try
        {
            var response = current is null
                ? await _table.AddEntityAsync(entity, cancellationToken)
                : await _table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Records the outcome of an attempt under the lease taken for it.</summary>
    public Task RecordAsync(string idempotencyKey, string channel, ETag lease, string state, int attempts, string? error, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _table.UpdateEntityAsync(new TableEntity(PartitionOf(idempotencyKey), ChannelRow(channel))
        {
            ["Channel"] = channel,
            ["State"] = state,
            ["Attempts"] = attempts,
            ["LastError"] = error is { Length: > 1000 } ? error[..1000] : error,
            ["SentAt"] = state == DeliveryStates.Sent ? now : null,
            ["UpdatedAt"] = now,
        }, lease, TableUpdateMode.Replace, cancellationToken);

    /// <summary>Recent notifications, newest first. Scans the table: meant for the development outbox view only.</summary>
    public async Task<IReadOnlyList<OutboxEntry>> ListRecentAsync(int take, string? claimId, CancellationToken cancellationToken = default)
    {
        var mains = new List<TableEntity>();
        var channels = new Dictionary<string, List<ChannelState>>(StringComparer.Ordinal);
        try
        {
            await foreach (var e in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
            {
                if (e.PartitionKey == StorageDingTalkRateLimiter.Partition)
                {
                    continue;
                }
                if (e.RowKey == MainRow)
                {
                    if (claimId is null || e.GetString("ClaimId") == claimId) mains.Add(e);
                }
                else
                {
                    if (!channels.TryGetValue(e.PartitionKey, out var list)) channels[e.PartitionKey] = list = [];
                    list.Add(ToState(e));
                }
            }
        }
        catch (RequestFailedException ex) when (Problems.IsMissingResource(ex))
        {
            return [];
        }
        return mains.OrderByDescending(e => e.GetDateTimeOffset("CreatedAt")).Take(take)
            .Select(e => new OutboxEntry(JsonSerializer.Deserialize<OutgoingNotification>(e.GetString("Payload")!, Json)!, e.GetDateTimeOffset("CreatedAt") ?? default,
                channels.GetValueOrDefault(e.PartitionKey)?.OrderBy(c => c.Channel, StringComparer.Ordinal).ToList() ?? []))
            .ToList();
    }

    public static ChannelState ToState(TableEntity e) => new(e.GetString("Channel") ?? e.RowKey[2..], e.GetString("State") ?? "", e.GetInt32("Attempts") ?? 0,
        e.GetString("LastError"), e.GetDateTimeOffset("SentAt"), e.GetDateTimeOffset("UpdatedAt"));

    /// <summary>The table is ours, created on first use (and again if storage was reset) rather than by the shared initializer.</summary>
    public async Task<T> WithTableAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken = default)
    {
        var result = default(T)!;
        await WithTableAsync(async () => { result = await action(); }, cancellationToken);
        return result;
    }

    /// <summary>Runs a table operation, creating the table first (once) and again if it vanished.</summary>
    public async Task WithTableAsync(Func<Task> action, CancellationToken cancellationToken = default)
    {
        var created = _created;
        if (created is null || created.IsFaulted || created.IsCanceled)
        {
            _created = created = _table.CreateIfNotExistsAsync(CancellationToken.None);
        }
        await created.WaitAsync(cancellationToken);
        try
        {
            await action();
        }
        catch (RequestFailedException ex) when (Problems.IsMissingResource(ex))
        {
            _created = null;
            await _table.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await storage.Queue(QueueName).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await action();
        }
    }
}

/// <summary>Outbox sender: records the notification, then enqueues its delivery. Both writes are idempotent by key, so a
/// caller that retries after a crash sends nothing twice; returns without waiting for any channel. Workflow notifications
/// are delivered by the claim dispatcher itself (<see cref="Approvals.WorkflowNotifications"/>) and come here only to be
/// retried: a channel that failed, or a notification whose committing instance died before delivering it.</summary>
public sealed partial class OutboxNotificationSender(
    NotificationStore store,
    ReimburseStorage storage,
    QueueNudger nudger,
    TimeProvider clock,
    ILogger<OutboxNotificationSender> logger) : INotificationSender
{
    public Task SendAsync(OutgoingNotification notification, CancellationToken cancellationToken = default) =>
        HandOffAsync(notification, [], TimeSpan.Zero, cancellationToken);

    /// <summary>Takes over a notification: channels in <paramref name="settled"/> keep their state (a sent one is not sent
    /// again, a failed attempt counts), the rest are delivered by <see cref="NotificationDeliveryHandler"/> from the queue,
    /// first after <paramref name="delay"/>.</summary>
    public async Task HandOffAsync(OutgoingNotification notification, IReadOnlyCollection<ChannelState> settled, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notification.IdempotencyKey);
        var (added, enqueued) = await store.AddAsync(notification, clock.GetUtcNow(), settled, cancellationToken);
        if (!added && enqueued)
        {
            LogDuplicate(logger, notification.IdempotencyKey);
            return;
        }
        // Recorded but not yet enqueued (first time, or an earlier call died in between): enqueue now. A second message
        // for the same key is harmless: the handler leases each channel and skips the ones already sent.
        await storage.Queue(NotificationStore.QueueName).SendMessageAsync(QueueMessages.Encode(new NotificationQueued(notification.IdempotencyKey)),
            delay > TimeSpan.Zero ? delay : null, cancellationToken: cancellationToken);
        await store.MarkEnqueuedAsync(notification.IdempotencyKey, cancellationToken);
        if (delay <= TimeSpan.Zero) nudger.Nudge(NotificationStore.QueueName);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Notification {Key} already accepted; nothing to do")]
    private static partial void LogDuplicate(ILogger logger, string key);
}
