using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Triggers;

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
        services.TryAddSingleton<INotificationSender, OutboxNotificationSender>();
        services.TryAddSingleton<LogChannel>();
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

    public static async Task<IResult> Handle(HttpContext context, NotificationStore store, IEnumerable<IQueueHandler> handlers, int? take, string? claimId, CancellationToken cancellationToken)
    {
        _ = Caller.From(context);
        var entries = await store.ListRecentAsync(Math.Clamp(take ?? 50, 1, 500), claimId, cancellationToken);
        var active = handlers.OfType<NotificationDeliveryHandler>().FirstOrDefault()?.Channels.Select(c => c.Name).ToList() ?? [];
        return TypedResults.Ok(new OutboxView(active, entries.Select(e =>
        {
            var rendered = NotificationRenderer.Render(e.Notification);
            return new OutboxItem(e.Notification.IdempotencyKey, e.Notification.ClaimId, e.Notification.Template, e.Notification.RecipientUserIds,
                e.CreatedAt, rendered.Subject, rendered.Text, rendered.Links, e.Channels);
        }).ToList()));
    }
}
