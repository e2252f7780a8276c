using Reimburse.Functions.Company;

namespace Reimburse.Functions.Notifications;

/// <summary>What a delivery needs whichever path it takes (straight from the workflow dispatcher, or the retry queue): the
/// channels this deployment delivers on, the rendered message with its recipients resolved from the company directory, and
/// one send on one channel turned into its new <see cref="ChannelState"/>.</summary>
public sealed class NotificationDeliverer(IEnumerable<INotificationChannel> channels, LogChannel logChannel, CompanyProvider companies, TimeProvider clock)
{
    private readonly IReadOnlyList<INotificationChannel> _active = ActiveChannels(channels, logChannel);

    /// <summary>The configured channels, or the log channel when none is.</summary>
    public IReadOnlyList<INotificationChannel> Channels => _active;

    public static IReadOnlyList<INotificationChannel> ActiveChannels(IEnumerable<INotificationChannel> channels, LogChannel log)
    {
        var configured = channels.Where(c => c.IsConfigured && c.Name != LogChannel.ChannelName).ToList();
        return configured.Count > 0 ? configured : [log];
    }

    public async Task<ChannelDelivery> PrepareAsync(OutgoingNotification notification, CancellationToken cancellationToken = default)
    {
        var company = await companies.GetAsync(cancellationToken);
        var recipients = notification.RecipientUserIds.Select(id => company.FindUser(id) is { } u
            ? new NotificationRecipient(id, u.NameZh is { Length: > 0 } zh ? $"{u.Name} {zh}" : u.Name, u.Email)
            : new NotificationRecipient(id, null, null)).ToList();
        var rendered = NotificationRenderer.Render(notification, id => company.FindUser(id)?.Name);
        return new ChannelDelivery(notification, rendered, recipients);
    }

    /// <summary>One attempt on one channel, cut off after <paramref name="budget"/>. Returns the state after it: sent, or
    /// <paramref name="failedState"/> with the reason (a channel's failure or time-out never escapes; cancellation by the
    /// caller's token does).</summary>
    public async Task<ChannelState> AttemptAsync(INotificationChannel channel, ChannelDelivery delivery, ChannelState? current, string failedState, TimeSpan budget, CancellationToken cancellationToken)
    {
        var attempts = (current?.Attempts ?? 0) + 1;
        using var cutoff = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cutoff.CancelAfter(budget);
        try
        {
            await channel.SendAsync(delivery, cutoff.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new ChannelState(channel.Name, failedState, attempts, Describe(ex), null, clock.GetUtcNow());
        }
        var now = clock.GetUtcNow();
        return new ChannelState(channel.Name, DeliveryStates.Sent, attempts, current?.LastError, now, now);
    }

    public static string Describe(Exception ex) => ex switch
    {
        NotificationChannelException or UnsafeTargetException or SmtpException => ex.Message,
        HttpRequestException { InnerException: UnsafeTargetException u } => u.Message,
        OperationCanceledException => "timed out",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
