namespace Reimburse.Functions.Notifications;
/// <summary>A link in a notification (e.g. signed one-click approve/reject).</summary>
public sealed record NotificationLink(string Label, string Url);
/// <summary>One notification to send; IdempotencyKey makes repeated sends of the same effect a no-op.</summary>
public sealed record OutgoingNotification(string IdempotencyKey, string ClaimId, IReadOnlyList<string> RecipientUserIds, string Template, IReadOnlyDictionary<string, string> Data, IReadOnlyList<NotificationLink> Links);
/// <summary>Queues a notification for delivery on every configured channel; returns once it is durably accepted (never blocks on a slow channel).</summary>
public interface INotificationSender { Task SendAsync(OutgoingNotification notification, CancellationToken cancellationToken = default); }
