using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using System.Text.Json;
using Azure;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Azure.Data.Tables;
using Reimburse.Functions.Triggers;

using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Notifications;

/// <summary>Wiring for notifications: options validated at start, the outbox sender, channels, the delivery handler and
/// the development outbox view.</summary>
public static class NotificationServices
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<NotificationOptions>>().Value;
            return new SsrfGuard(o.AllowPrivateTargets, allowHttp: o.AllowPrivateTargets);
        });
        services.TryAddSingleton<NotificationHttp>();
        services.TryAddSingleton<IDingTalkRateLimiter, StorageDingTalkRateLimiter>();
        services.TryAddSingleton<NotificationStore>();
        services.TryAddSingleton<OutboxNotificationSender>();
        services.TryAddSingleton<INotificationSender>(sp => sp.GetRequiredService<OutboxNotificationSender>());
        services.TryAddSingleton<LogChannel>();
        services.TryAddSingleton<NotificationDeliverer>();
        services.AddSingleton<INotificationChannel, DingTalkChannel>();
        services.AddSingleton<INotificationChannel, WebhookChannel>();
        services.AddSingleton<INotificationChannel, SmtpChannel>();
        services.AddSingleton<IQueueHandler, NotificationDeliveryHandler>();
        return services;
    }

    /// <summary>Maps GET /api/dev/outbox in development only.</summary>
    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            app.MapGet("/api/dev/outbox", DevOutbox.Handle).WithName("DevOutbox").WithTags("development").RequireAuthorization();
        }
        return app;
    }
}

/// <summary>GET /api/dev/outbox?take=50&amp;claimId=.. — development only, any signed-in user: recent notifications, newest
/// first, as rendered, with their per-channel delivery state ("what would have been sent" in standalone mode).</summary>
public static class DevOutbox
{
    /// <summary>One notification in the outbox view.</summary>
    public sealed record OutboxItem(string IdempotencyKey, string ClaimId, string Template, IReadOnlyList<string> Recipients, DateTimeOffset CreatedAt,
        string Subject, string Text, IReadOnlyList<NotificationLink> Links, IReadOnlyList<ChannelState> Channels);

    /// <summary>The answer: which channels are active and the recent notifications.</summary>
    public sealed record OutboxView(IReadOnlyList<string> ActiveChannels, IReadOnlyList<OutboxItem> Items);

    public static async Task<IResult> Handle(HttpContext context, NotificationStore store, ReimburseStorage storage, IEnumerable<IQueueHandler> handlers, int? take, string? claimId, CancellationToken cancellationToken)
    {
        _ = Caller.From(context);
        var n = Math.Clamp(take ?? 50, 1, 500);
        // Handed-over notifications (and any sent through the general outbox) have their state in the notifications table;
        // those the workflow dispatcher delivered itself have it on their claim's outbox row.
        var entries = (await store.ListRecentAsync(n, claimId, cancellationToken)).ToList();
        var known = entries.Select(e => e.Notification.IdempotencyKey).ToHashSet(StringComparer.Ordinal);
        entries.AddRange((await DeliveredByDispatcherAsync(storage, claimId, cancellationToken)).Where(e => !known.Contains(e.Notification.IdempotencyKey)));
        var active = handlers.OfType<NotificationDeliveryHandler>().FirstOrDefault()?.Channels.Select(c => c.Name).ToList() ?? [];
        return TypedResults.Ok(new OutboxView(active, entries.OrderByDescending(e => e.CreatedAt).Take(n).Select(e =>
        {
            var rendered = NotificationRenderer.Render(e.Notification);
            return new OutboxItem(e.Notification.IdempotencyKey, e.Notification.ClaimId, e.Notification.Template, e.Notification.RecipientUserIds,
                e.CreatedAt, rendered.Subject, rendered.Text, rendered.Links, e.Channels);
        }).ToList()));
    }

    /// <summary>Notify outbox rows with a delivery record (a scan of the claims table: development only).</summary>
    private static async Task<List<OutboxEntry>> DeliveredByDispatcherAsync(ReimburseStorage storage, string? claimId, CancellationToken cancellationToken)
    {
        var filter = $"RowKey ge '{WorkflowRows.OutboxPrefix}' and RowKey lt '{WorkflowRows.OutboxPrefix[..^1]}.' and Type eq 'Notify'";
        if (claimId is not null)
        {
            filter = TableClient.CreateQueryFilter($"PartitionKey eq {claimId}") + " and " + filter;
        }
        var list = new List<OutboxEntry>();
        try
        {
            await foreach (var row in storage.Claims.QueryAsync<TableEntity>(filter, select: StorageClientExtensions.WithKeys(["Timestamp", WorkflowNotifications.DeliveryProperty]), cancellationToken: cancellationToken))
            {
                if (row.GetString(WorkflowNotifications.DeliveryProperty) is not { Length: > 0 } json)
                {
                    continue;
                }
                var createdAt = row.Timestamp ?? default;
                foreach (var r in JsonSerializer.Deserialize<List<DeliveryRecord>>(json, ApprovalJson.Options) ?? [])
                {
                    list.Add(new OutboxEntry(r.Notification, createdAt, [.. r.Channels.OrderBy(c => c.Channel, StringComparer.Ordinal)]));
                }
            }
        }
        catch (RequestFailedException ex) when (Problems.IsMissingResource(ex))
        {
        }
        return list;
    }
}
