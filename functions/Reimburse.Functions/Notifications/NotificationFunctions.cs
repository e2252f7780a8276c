using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Notifications;

/// <summary>Notification delivery from the outbox queue, and the development outbox view.</summary>
public sealed class NotificationFunctions(ApiPipeline api, TriggerDispatch triggers)
{
    [Function("NotificationDelivery")]
    public Task NotificationDelivery([QueueTrigger(NotificationStore.QueueName)] QueueMessage message, CancellationToken cancellationToken) =>
        triggers.QueueAsync("NotificationDelivery", message, cancellationToken);

    /// <summary>Development only; 404 elsewhere.</summary>
    [Function("DevOutbox")]
    public Task<IResult> DevOutbox([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/outbox")] HttpRequest req) =>
        api.RunAsync(req, "DevOutbox");
}
