using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Notifications;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;
using Reimburse.Tests.Notifications;

namespace Reimburse.Tests.Approvals;

/// <summary>Workflow notifications delivered by the orchestration's notification activity: the outcome lives on a row of the
/// claim's partition keyed by the effect, a failing channel is handed to the retry outbox without holding the claim, and a
/// second run of the activity sends nothing again.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkflowNotificationTests(AzuriteFixture azurite)
{
    private ReimburseApp NewApp(params INotificationChannel[] channels) => NewApp(WorkflowTestKit.AppSettings(), channels);

    private ReimburseApp NewApp(Dictionary<string, string?> settings, params INotificationChannel[] channels) => new(azurite, settings, s =>
    {
        foreach (var c in channels) s.AddSingleton(c);
    });

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> read, CancellationToken ct) where T : class
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (await read() is { } value) return value;
            await Task.Delay(25, ct);
        }
    }

    /// <summary>The claim's Notify outbox rows that carry a delivery record.</summary>
    private static async Task<List<(TableEntity Row, List<DeliveryRecord> Records)>> DeliveredRowsAsync(ReimburseApp app, string id, CancellationToken ct)
    {
        var list = new List<(TableEntity, List<DeliveryRecord>)>();
        await foreach (var e in app.Storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id} and RowKey ge {WorkflowRows.OutboxPrefix} and RowKey lt {WorkflowRows.OutboxPrefix + "~"}"), cancellationToken: ct))
        {
            if (e.GetString("Type") == nameof(Notify) && e.GetString(WorkflowNotifications.DeliveryProperty) is { } json)
            {
                list.Add((e, JsonSerializer.Deserialize<List<DeliveryRecord>>(json, ApprovalJson.Options)!));
            }
        }
        return list;
    }

    [Fact]
    public async Task Submit_HealthyChannel_DeliveredOnceByTheActivityWithTheOutcomeOnTheEffectRow()
    {
        var ct = TestTimeout.Token();
        var channel = new CountingChannel("a");
        await using var app = NewApp(channel);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var id = await WorkflowTestKit.SubmitAsync(chan, 268.50m, cancellationToken: ct);

        var rows = await WaitForAsync(async () => await DeliveredRowsAsync(app, id, ct) is { Count: > 0 } l ? l : null, ct);
        var (row, records) = Assert.Single(rows);
        var record = Assert.Single(records);
        Assert.Equal($"{row.GetString("Key")}:mgr-wong", record.Notification.IdempotencyKey);
        Assert.False(record.HandedOff);
        var state = Assert.Single(record.Channels);
        Assert.Equal(("a", DeliveryStates.Sent, 1), (state.Channel, state.State, state.Attempts));
        Assert.Equal(2, record.Notification.Links.Count);
        Assert.Equal(1, channel.Delivered[record.Notification.IdempotencyKey]);
        // Nothing went through the retry outbox: no notification row, so no extra requests for a healthy channel.
        Assert.Empty(await app.Services.GetRequiredService<NotificationStore>().ListRecentAsync(50, id, ct));

        // The development outbox view shows it with its state, from the claim's row.
        var view = await (await chan.GetAsync($"/api/dev/outbox?claimId={id}", ct)).JsonAsync(ct);
        var item = Assert.Single(view.GetProperty("items").EnumerateArray());
        Assert.Equal(record.Notification.IdempotencyKey, item.GetProperty("idempotencyKey").GetString());
        Assert.Equal("sent", Assert.Single(item.GetProperty("channels").EnumerateArray()).GetProperty("state").GetString());

        // The engine runs an activity at least once: running the notification activity again (as after a crash before the
        // engine recorded its completion) finds the outcome and sends nothing twice.
        var rowKey = row.RowKey;
        var effect = new KeyedEffect(row.GetString("Key")!, WorkflowRows.OutboxVersion(rowKey), int.Parse(rowKey[^3..], System.Globalization.CultureInfo.InvariantCulture), row.GetString("Effect")!);
        Assert.False(await app.Services.GetRequiredService<WorkflowActivities>().DeliverNotification(new NotificationDue(id, effect)));

        Assert.Equal(1, channel.Attempts[record.Notification.IdempotencyKey]);
        Assert.Empty(await app.Services.GetRequiredService<NotificationStore>().ListRecentAsync(50, id, ct));
    }

    [Fact]
    public async Task Submit_ChannelFailsOnce_HandedToTheOutboxAndRetriedWhileTheClaimWaitsForItsApprover()
    {
        var ct = TestTimeout.Token();
        var flaky = new CountingChannel("flaky", failFirst: 1);
        var steady = new CountingChannel("steady");
        await using var app = NewApp(flaky, steady);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var id = await WorkflowTestKit.SubmitAsync(chan, 312m, cancellationToken: ct);

        // The claim does not wait for the channel.
        await chan.WaitForStatusAsync(id, "PendingApproval", ct);
        var key = await WaitForAsync(async () => (await DeliveredRowsAsync(app, id, ct)).SelectMany(r => r.Records).FirstOrDefault(r => r.HandedOff)?.Notification.IdempotencyKey, ct);
        var store = app.Services.GetRequiredService<NotificationStore>();
        var flakyState = await WaitForAsync(async () => (await store.ListRecentAsync(50, id, ct)).SelectMany(e => e.Channels)
            .FirstOrDefault(c => c.Channel == "flaky" && c.State == DeliveryStates.Sent), ct);

        Assert.Equal(2, flakyState.Attempts);
        Assert.Equal("flaky is down (attempt 1)", flakyState.LastError);
        Assert.Equal(1, flaky.Delivered[key]);
        // The healthy channel was sent on directly and its state handed over with the notification: not sent again.
        Assert.Equal(1, steady.Attempts[key]);
        var entry = Assert.Single(await store.ListRecentAsync(50, id, ct));
        Assert.Equal(DeliveryStates.Sent, entry.Channels.Single(c => c.Channel == "steady").State);
    }

    [Fact]
    public async Task Submit_ChannelHangs_ActivityGivesUpAfterItsTimeoutThenLeavesTheChannelToTheOutbox()
    {
        var ct = TestTimeout.Token();
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = new CountingChannel("stuck", gate: never);
        var steady = new CountingChannel("steady");
        var settings = WorkflowTestKit.AppSettings();
        settings["Reimburse:Workflow:DirectSendTimeoutSeconds"] = "1";
        await using var app = NewApp(settings, stuck, steady);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var first = await WorkflowTestKit.SubmitAsync(chan, 401m, cancellationToken: ct);
        var firstRecord = await WaitForAsync(async () => (await DeliveredRowsAsync(app, first, ct)).SelectMany(r => r.Records).FirstOrDefault(), ct);
        var second = await WorkflowTestKit.SubmitAsync(chan, 402m, cancellationToken: ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var secondRecord = await WaitForAsync(async () => (await DeliveredRowsAsync(app, second, ct)).SelectMany(r => r.Records).FirstOrDefault(), ct);
        watch.Stop();

        // The first send on the hung channel was cut off after a second and handed over, the other channel kept its send.
        Assert.True(firstRecord.HandedOff);
        Assert.Equal("timed out", firstRecord.Channels.Single(c => c.Channel == "stuck").LastError);
        Assert.Equal(DeliveryStates.Sent, firstRecord.Channels.Single(c => c.Channel == "steady").State);
        // The next claim's dispatch did not wait on it at all: the channel is left to the outbox for a while.
        Assert.True(secondRecord.HandedOff);
        Assert.DoesNotContain(secondRecord.Channels, c => c.Channel == "stuck");
        Assert.Equal(1, steady.Delivered[secondRecord.Notification.IdempotencyKey]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"second claim's notification took {watch.Elapsed}");
        Assert.Equal("pending", (await WorkflowTestKit.WorkflowAsync(chan, second, ct)).Status());
        never.SetResult();
    }
}
