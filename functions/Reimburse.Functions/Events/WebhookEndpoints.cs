using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Events;

/// <summary>Body of POST /api/admin/webhooks. Without a secret one is generated (shown once, in the answer).</summary>
public sealed record WebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Secret);

/// <summary>A subscriber as the API shows it; the secret only in the answer to its creation.</summary>
public sealed record WebhookView(string Id, string Url, IReadOnlyList<string> Events, bool Paused, string? PausedReason, DateTimeOffset CreatedAt, string? Secret);

/// <summary>Admin API for event webhooks, the delivery queue function, and the wiring.</summary>
public static class WebhookEndpoints
{
    public static IServiceCollection AddClaimEvents(this IServiceCollection services)
    {
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section)
            .Validate(o => o.MaxAttempts >= 1 && o.BackoffSeconds >= 1 && o.MaxBackoffSeconds >= o.BackoffSeconds, "Reimburse:Events: MaxAttempts >= 1, 1 <= BackoffSeconds <= MaxBackoffSeconds.")
            .ValidateOnStart();
        services.TryAddSingleton<EventStore>();
        services.AddSingleton<IHostStorageResources>(sp => sp.GetRequiredService<EventStore>());
        services.TryAddSingleton<ClaimEventPublisher>();
        services.AddSingleton<IQueueHandler, EventDeliveryHandler>();
        return services;
    }

    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/webhooks").RequireAuthorization(p => p.RequireRole("admin"));
        admin.MapPost("/", CreateAsync).WithName("CreateWebhook");
        admin.MapGet("/", async (EventStore store, CancellationToken ct) =>
            TypedResults.Ok(new OpenApi.ItemsOf<WebhookView>((await store.ListAsync(ct)).Select(s => View(s, secret: false)).ToList()))).WithName("ListWebhooks");
        admin.MapDelete("/{id}", async (string id, EventStore store, CancellationToken ct) =>
            await store.DeleteAsync(id, ct) ? Results.NoContent() : Problems.NotFoundResult("webhook")).WithName("DeleteWebhook");
        admin.MapGet("/{id}/deliveries", async (string id, EventStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is null ? Problems.NotFoundResult("webhook")
                : TypedResults.Ok(new OpenApi.ItemsOf<EventDelivery>(await store.DeliveriesAsync(id, ct)))).WithName("ListWebhookDeliveries");
        return app;
    }

    private static WebhookView View(EventSubscription s, bool secret) => new(s.Id, s.Url, s.Events, s.Paused, s.PausedReason, s.CreatedAt, secret ? s.Secret : null);

    public static async Task<IResult> CreateAsync(HttpContext http, EventStore store, NotificationHttp outgoing, TimeProvider clock, CancellationToken cancellationToken)
    {
        WebhookRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<WebhookRequest>(http.Request.Body, OpenApi.OpenApiDocumentBuilder.ApiJson, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", ex.Message, "$");
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Uri? url = null;
        if (string.IsNullOrWhiteSpace(request?.Url) || !Uri.TryCreate(request.Url, UriKind.Absolute, out url))
        {
            errors["url"] = ["Must be an absolute https URL."];
        }
        else
        {
            try
            {
                await outgoing.Guard.ValidateAsync(url, cancellationToken);
            }
            catch (UnsafeTargetException ex)
            {
                errors["url"] = [ex.Message];
            }
        }
        var events = request?.Events ?? [];
        if (events.Count == 0 || events.Any(e => !ClaimEventTypes.Names.Contains(e, StringComparer.Ordinal)))
        {
            errors["events"] = [$"One or more of: {string.Join(", ", ClaimEventTypes.Names)}."];
        }
        if (request?.Secret is { } given && (given.Length < 24 || given.Length > 200))
        {
            errors["secret"] = ["Between 24 and 200 characters (or leave it out to get a generated one)."];
        }
        if (errors.Count > 0)
        {
            return Problems.ValidationFailed(errors, "Fix the fields listed in 'errors'.");
        }
        var subscription = new EventSubscription("wh-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), url!.AbsoluteUri, events.Distinct(StringComparer.Ordinal).ToList(),
            request!.Secret ?? "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), false, clock.GetUtcNow(), null);
        await store.AddAsync(subscription, cancellationToken);
        return TypedResults.Created($"/api/admin/webhooks/{subscription.Id}", View(subscription, secret: true));
    }
}

/// <summary>The webhook admin functions and the delivery queue function.</summary>
public sealed class WebhookFunctions(ApiPipeline api, TriggerDispatch triggers)
{
    [Function("CreateWebhook")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/webhooks")] HttpRequest req) => api.RunAsync(req, "CreateWebhook");

    [Function("ListWebhooks")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/webhooks")] HttpRequest req) => api.RunAsync(req, "ListWebhooks");

    [Function("DeleteWebhook")]
    public Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "admin/webhooks/{id}")] HttpRequest req, string id) =>
        api.RunAsync(req, "DeleteWebhook", ("id", id));

    [Function("ListWebhookDeliveries")]
    public Task<IResult> Deliveries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/webhooks/{id}/deliveries")] HttpRequest req, string id) =>
        api.RunAsync(req, "ListWebhookDeliveries", ("id", id));

    [Function("EventDelivery")]
    public Task EventDelivery([QueueTrigger(EventStore.QueueName)] QueueMessage message, CancellationToken cancellationToken) =>
        triggers.QueueAsync("EventDelivery", message, cancellationToken);
}
