using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Azure;
using Azure.Data.Tables;

[assembly: HostingStartup(typeof(Reimburse.Tests.Approvals.RecordingNotificationStartup))]

namespace Reimburse.Tests.Approvals;

/// <summary>A configured notification channel that records what reached it, durably: one row per idempotency key in a table
/// of the app's own prefix, and one row per repeated delivery of a key in a second table. The workflow's real delivery path
/// (dispatcher, outbox row, hand-over to the retry outbox) runs in front of it, so tests count what a receiver would get —
/// also across kill -9 of an app process.</summary>
public sealed class RecordingNotificationChannel(ReimburseStorage storage) : INotificationChannel
{
    public const string ChannelName = "recording";
    public const string Table = "testnotifications";
    public const string DuplicatesTable = "testnotificationdups";
    private static readonly ConcurrentDictionary<string, Task> Created = new(StringComparer.Ordinal);

    public string Name => ChannelName;

    public bool IsConfigured => true;

    /// <summary>When each key was first delivered (in this process), for latency measurements.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> FirstSeen { get; } = new(StringComparer.Ordinal);

    public async Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default)
    {
        var notification = delivery.Notification;
        var table = await TableAsync(Table);
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
            // Delivered again: a receiver deduplicates by key; the tests count how often it happens.
            var dups = await TableAsync(DuplicatesTable);
            await dups.AddEntityAsync(new TableEntity(notification.ClaimId, notification.IdempotencyKey + "|" + Guid.NewGuid().ToString("N")), cancellationToken);
        }
    }

    private async Task<TableClient> TableAsync(string name)
    {
        var table = storage.Table(name);
        await Created.GetOrAdd(table.Name, _ => table.CreateIfNotExistsAsync(CancellationToken.None));
        return table;
    }

    /// <summary>Every key delivered for the app with this storage prefix (one row each).</summary>
    public static Task<List<TableEntity>> ReadAllAsync(TableServiceClient tables, string prefix, CancellationToken cancellationToken = default) =>
        ReadAsync(tables, prefix + Table, cancellationToken);

    /// <summary>Every repeated delivery of a key already delivered.</summary>
    public static Task<List<TableEntity>> ReadDuplicatesAsync(TableServiceClient tables, string prefix, CancellationToken cancellationToken = default) =>
        ReadAsync(tables, prefix + DuplicatesTable, cancellationToken);

    private static async Task<List<TableEntity>> ReadAsync(TableServiceClient tables, string table, CancellationToken cancellationToken)
    {
        var list = new List<TableEntity>();
        try
        {
            await foreach (var e in tables.GetTableClient(table).QueryAsync<TableEntity>(cancellationToken: cancellationToken))
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

/// <summary>Registers the recording channel in an app process started with ASPNETCORE_HOSTINGSTARTUPASSEMBLIES naming this
/// assembly (see <see cref="WorkflowTestKit.ProcessSettings"/>).</summary>
public sealed class RecordingNotificationStartup : IHostingStartup
{
    public void Configure(IWebHostBuilder builder) =>
        builder.ConfigureServices(s => s.AddSingleton<INotificationChannel, RecordingNotificationChannel>());
}
