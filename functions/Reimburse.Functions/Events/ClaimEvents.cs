using System.Globalization;
using System.Net.Mime;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Events;

/// <summary>The claim events a subscriber can ask for, by short name, and their CloudEvents <c>type</c>.</summary>
public static class ClaimEventTypes
{
    public const string Prefix = "com.reimburse.claim.";

    public static readonly IReadOnlyList<string> Names = ["submitted", "approved", "rejected", "returned", "withdrawn", "exported", "flagged.high"];

    public static string TypeOf(string name) => Prefix + name;
}

/// <summary>Options under Reimburse:Events.</summary>
public sealed class EventOptions
{
    public const string Section = "Reimburse:Events";

    /// <summary>Attempts per event and subscriber before the delivery is given up and the subscriber paused.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First retry delay; each later one doubles, up to <see cref="MaxBackoffSeconds"/>.</summary>
    public int BackoffSeconds { get; set; } = 30;

    public int MaxBackoffSeconds { get; set; } = 3600;
}

/// <summary>A registered subscriber.</summary>
public sealed record EventSubscription(string Id, string Url, IReadOnlyList<string> Events, string Secret, bool Paused, DateTimeOffset CreatedAt, string? PausedReason);

/// <summary>One event for one subscriber: the outbox row and the delivery log in one (exactly one row per event id and
/// subscriber, written before anything is sent).</summary>
public sealed record EventDelivery(string SubscriptionId, string EventId, string Type, string ClaimId, string Status, int Attempts, int? LastStatusCode,
    string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt);

/// <summary>Queue message: deliver this event to this subscriber.</summary>
public sealed record EventQueued(string SubscriptionId, string EventId);

/// <summary>Subscribers and the per-subscriber event outbox, in two tables.</summary>
public sealed class EventStore(ReimburseStorage storage) : IHostStorageResources
{
    public const string QueueName = "claim-events";
    private const string SubscriptionPartition = "sub";

    public TableClient Subscriptions => storage.Table("eventsubscriptions");
    public TableClient Deliveries => storage.Table("eventdeliveries");

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        await Subscriptions.CreateIfNotExistsAsync(cancellationToken);
        await Deliveries.CreateIfNotExistsAsync(cancellationToken);
    }

    public async Task AddAsync(EventSubscription s, CancellationToken cancellationToken = default) =>
        await Subscriptions.AddEntityAsync(new TableEntity(SubscriptionPartition, s.Id)
        {
            ["Url"] = s.Url, ["Events"] = string.Join(',', s.Events), ["Secret"] = s.Secret, ["Paused"] = s.Paused, ["CreatedAt"] = s.CreatedAt,
        }, cancellationToken);

    public async Task<IReadOnlyList<EventSubscription>> ListAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<EventSubscription>();
        await foreach (var e in Subscriptions.QueryAsync<TableEntity>(e => e.PartitionKey == SubscriptionPartition, cancellationToken: cancellationToken))
        {
            list.Add(ToSubscription(e));
        }
        return list;
    }

    public async Task<EventSubscription?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var e = await Subscriptions.GetEntityIfExistsAsync<TableEntity>(SubscriptionPartition, id, cancellationToken: cancellationToken);
        return e.HasValue ? ToSubscription(e.Value!) : null;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        (await Subscriptions.DeleteEntityAsync(SubscriptionPartition, id, cancellationToken: cancellationToken)).Status != 404;

    public Task PauseAsync(string id, string reason, CancellationToken cancellationToken = default) =>
        Subscriptions.UpdateEntityAsync(new TableEntity(SubscriptionPartition, id) { ["Paused"] = true, ["PausedReason"] = reason }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    private static EventSubscription ToSubscription(TableEntity e) => new(e.RowKey, e.GetString("Url"), e.GetString("Events").Split(',', StringSplitOptions.RemoveEmptyEntries),
        e.GetString("Secret"), e.GetBoolean("Paused") ?? false, e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue, e.GetString("PausedReason"));

    public async Task<IReadOnlyList<EventDelivery>> DeliveriesAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        var list = new List<EventDelivery>();
        await foreach (var e in Deliveries.QueryAsync<TableEntity>(e => e.PartitionKey == subscriptionId, cancellationToken: cancellationToken))
        {
            list.Add(ToDelivery(e));
        }
        return list.OrderBy(d => d.CreatedAt).ToList();
    }

    internal static EventDelivery ToDelivery(TableEntity e) => new(e.PartitionKey, e.RowKey, e.GetString("Type"), e.GetString("ClaimId"), e.GetString("Status"),
        e.GetInt32("Attempts") ?? 0, e.GetInt32("LastStatusCode"), e.GetString("LastError"), e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue, e.GetDateTimeOffset("DeliveredAt"));
}

/// <summary>Called from the claim's activities (at least once each): writes one outbox row per interested subscriber,
/// keyed by the event's stable id, then enqueues its delivery. A repeat finds the rows and only re-enqueues what is not
/// delivered yet, so a crash between the two writes loses nothing and sends nothing twice.</summary>
public sealed partial class ClaimEventPublisher(EventStore store, ReimburseStorage storage, QueueNudger nudger, TimeProvider clock, ILogger<ClaimEventPublisher> logger)
{
    private static readonly JsonEventFormatter Formatter = new(new JsonSerializerOptions(JsonSerializerDefaults.Web), new JsonDocumentOptions());

    /// <summary>Publishes <paramref name="name"/> (see <see cref="ClaimEventTypes"/>) for a claim. <paramref name="eventId"/>
    /// must be the same every time the same thing happens (claim id + event + round).</summary>
    public async Task PublishAsync(string name, string eventId, string claimId, object data, CancellationToken cancellationToken = default)
    {
        var subscribers = (await store.ListAsync(cancellationToken)).Where(s => !s.Paused && s.Events.Contains(name, StringComparer.Ordinal)).ToList();
        if (subscribers.Count == 0)
        {
            return;
        }
        var cloudEvent = new CloudEvent
        {
            Id = eventId,
            Type = ClaimEventTypes.TypeOf(name),
            Source = new Uri("/reimburse/claims", UriKind.Relative),
            Subject = claimId,
            Time = clock.GetUtcNow(),
            DataContentType = MediaTypeNames.Application.Json,
            Data = JsonSerializer.SerializeToElement(data, OpenApi.OpenApiDocumentBuilder.ApiJson),
        };
        var body = Encoding.UTF8.GetString(Formatter.EncodeStructuredModeMessage(cloudEvent, out _).Span);
        foreach (var s in subscribers)
        {
            var row = new TableEntity(s.Id, eventId)
            {
                ["Type"] = cloudEvent.Type, ["ClaimId"] = claimId, ["Body"] = body, ["Status"] = "Pending", ["Attempts"] = 0, ["CreatedAt"] = clock.GetUtcNow(),
            };
            try
            {
                await store.Deliveries.AddEntityAsync(row, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                var existing = await store.Deliveries.GetEntityAsync<TableEntity>(s.Id, eventId, cancellationToken: cancellationToken);
                if (existing.Value.GetString("Status") != "Pending")
                {
                    LogRepeat(logger, eventId, s.Id);
                    continue;
                }
            }
            await storage.Queue(EventStore.QueueName).SendMessageAsync(QueueMessages.Encode(new EventQueued(s.Id, eventId)), cancellationToken: cancellationToken);
            nudger.Nudge(EventStore.QueueName);
        }
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Debug, Message = "Event {EventId} for {SubscriptionId} already handled; not sent again")]
    private static partial void LogRepeat(ILogger logger, string eventId, string subscriptionId);
}

/// <summary>Delivers one outbox row: POSTs the CloudEvent (structured JSON) signed Standard Webhooks style —
/// <c>webhook-id</c> (the event id), <c>webhook-timestamp</c> (Unix seconds), <c>webhook-signature</c>
/// (<c>v1,</c> + Base64 HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c> with the subscriber's secret) — through the SSRF
/// guard. A failure is retried with doubling back-off; after the last attempt the row is marked Failed and the subscriber
/// paused (and logged for the admin).</summary>
public sealed partial class EventDeliveryHandler(EventStore store, ReimburseStorage storage, NotificationHttp http, IOptions<EventOptions> options,
    TimeProvider clock, ILogger<EventDeliveryHandler> logger) : IQueueHandler
{
    public string FunctionName => "EventDelivery";
    public string QueueName => EventStore.QueueName;

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        var message = QueueMessages.Decode<EventQueued>(invocation.MessageText);
        var found = await store.Deliveries.GetEntityIfExistsAsync<TableEntity>(message.SubscriptionId, message.EventId, cancellationToken: cancellationToken);
        var subscription = await store.GetAsync(message.SubscriptionId, cancellationToken);
        if (!found.HasValue || found.Value!.GetString("Status") != "Pending" || subscription is null || subscription.Paused)
        {
            return;
        }
        var row = found.Value;
        var body = Encoding.UTF8.GetBytes(row.GetString("Body"));
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/cloudevents+json") { CharSet = "utf-8" };
        int? status = null;
        string? error = null;
        try
        {
            using var response = await http.PostAsync(new Uri(subscription.Url), content, cancellationToken,
            [
                new("webhook-id", message.EventId),
                new("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture)),
                new("webhook-signature", Sign(subscription.Secret, message.EventId, timestamp, body)),
            ]);
            status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                row["Status"] = "Delivered";
                row["DeliveredAt"] = clock.GetUtcNow();
            }
            else
            {
                error = $"HTTP {status}";
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or UnsafeTargetException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            error = ex.Message;
        }
        var attempts = (row.GetInt32("Attempts") ?? 0) + 1;
        row["Attempts"] = attempts;
        row["LastStatusCode"] = status;
        row["LastError"] = error;
        var o = options.Value;
        if (error is not null && attempts >= o.MaxAttempts)
        {
            row["Status"] = "Failed";
        }
        // ETag-checked: a concurrent copy of this message that already recorded the outcome wins; this one stops.
        try
        {
            await store.Deliveries.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return;
        }
        if (error is null)
        {
            LogDelivered(logger, message.EventId, subscription.Id, attempts);
            return;
        }
        if (attempts >= o.MaxAttempts)
        {
            await store.PauseAsync(subscription.Id, $"Event {message.EventId} failed {attempts} times: {error}", cancellationToken);
            LogPaused(logger, subscription.Id, message.EventId, attempts, error);
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Min(o.MaxBackoffSeconds, o.BackoffSeconds * Math.Pow(2, attempts - 1)));
        await storage.Queue(EventStore.QueueName).SendMessageAsync(invocation.MessageText, delay, cancellationToken: cancellationToken);
        LogRetry(logger, message.EventId, subscription.Id, attempts, error, delay.TotalSeconds);
    }

    /// <summary>Standard Webhooks signature: <c>v1,</c> + Base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>; a
    /// <c>whsec_</c> secret is Base64 after the prefix.</summary>
    public static string Sign(string secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var key = secret.StartsWith("whsec_", StringComparison.Ordinal) ? Convert.FromBase64String(secret["whsec_".Length..]) : Encoding.UTF8.GetBytes(secret);
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    [LoggerMessage(EventId = 1802, Level = LogLevel.Information, Message = "Event {EventId} delivered to {SubscriptionId} (attempt {Attempts})")]
    private static partial void LogDelivered(ILogger logger, string eventId, string subscriptionId, int attempts);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Event {EventId} to {SubscriptionId} failed (attempt {Attempts}: {Error}); retry in {Seconds} s")]
    private static partial void LogRetry(ILogger logger, string eventId, string subscriptionId, int attempts, string error, double seconds);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Error, Message = "Webhook subscriber {SubscriptionId} paused: event {EventId} failed {Attempts} times ({Error}). An admin must fix the receiver and re-register it.")]
    private static partial void LogPaused(ILogger logger, string subscriptionId, string eventId, int attempts, string error);
}
