using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.Storage;

[assembly: HostingStartup(typeof(Reimburse.Tests.Approvals.RecordingNotificationStartup))]

namespace Reimburse.Tests.Approvals;

/// <summary>A durable test double for the notification sender: one row per idempotency key in a table of the app's own
/// prefix (a repeated send of the same key is a no-op, like the real sender), so tests can count what was sent — also
/// across kill -9 of an app process.</summary>
public sealed class RecordingNotificationSender(ReimburseStorage storage) : INotificationSender
{
    public const string Table = "testnotifications";
    private static readonly ConcurrentDictionary<string, Task> Created = new(StringComparer.Ordinal);

    /// <summary>When each key was first recorded (in this process), for latency measurements.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> FirstSeen { get; } = new(StringComparer.Ordinal);

    public async Task SendAsync(OutgoingNotification notification, CancellationToken cancellationToken = default)
    {
        var table = storage.Table(Table);
        await Created.GetOrAdd(table.Name, _ => table.CreateIfNotExistsAsync(CancellationToken.None));
        try
        {
            await table.AddEntityAsync(new TableEntity(notification.ClaimId, notification.IdempotencyKey)
            {
                ["Template"] = notification.Template,
                ["Recipients"] = string.Join(',', notification.RecipientUserIds),
                ["Data"] = JsonSerializer.Serialize(notification.Data),
                ["Links"] = JsonSerializer.Serialize(notification.Links),
            }, cancellationToken);
            FirstSeen.TryAdd(notification.IdempotencyKey, DateTimeOffset.UtcNow);
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 409)
        {
            // Same effect sent again: a no-op by key.
        }
    }

    /// <summary>Everything recorded for the app with this storage prefix.</summary>
    public static async Task<List<TableEntity>> ReadAllAsync(StorageAccount account, string prefix, CancellationToken cancellationToken = default)
    {
        var list = new List<TableEntity>();
        try
        {
            await foreach (var e in new TableClient(account, prefix + Table).QueryAsync(cancellationToken: cancellationToken))
            {
                list.Add(e);
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
        }
        return list;
    }
}

/// <summary>Registers the recording sender in an app process started with ASPNETCORE_HOSTINGSTARTUPASSEMBLIES naming this
/// assembly (see <see cref="WorkflowTestKit.ProcessSettings"/>).</summary>
public sealed class RecordingNotificationStartup : IHostingStartup
{
    public void Configure(IWebHostBuilder builder) =>
        builder.ConfigureServices(s => s.AddSingleton<INotificationSender, RecordingNotificationSender>());
}
