using Reimburse.Functions.Hosting.Storage;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Triggers;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Notifications;

/// <summary>A channel that counts sends per notification and fails the first N attempts of each.</summary>
public sealed class CountingChannel(string name, int failFirst = 0, TaskCompletionSource? gate = null) : INotificationChannel
{
    public ConcurrentDictionary<string, int> Attempts { get; } = new();
    public ConcurrentDictionary<string, int> Delivered { get; } = new();
    public string Name => name;
    public bool IsConfigured => true;

    public async Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default)
    {
        if (gate is not null) await gate.Task.WaitAsync(cancellationToken);
        var attempt = Attempts.AddOrUpdate(delivery.Notification.IdempotencyKey, 1, (_, n) => n + 1);
        if (attempt <= failFirst) throw new NotificationChannelException($"{name} is down (attempt {attempt})");
        Delivered.AddOrUpdate(delivery.Notification.IdempotencyKey, 1, (_, n) => n + 1);
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class NotificationOutboxTests(AzuriteFixture azurite)
{
    private ReimburseApp App(params INotificationChannel[] channels) => new(azurite, services: s =>
    {
        foreach (var c in channels) s.AddSingleton(c);
    });

    private static async Task<ChannelState> WaitForStateAsync(ReimburseApp app, string key, string channel, string state, CancellationToken ct)
    {
        var store = app.Services.GetRequiredService<NotificationStore>();
        ChannelState? last = null;
        while (!ct.IsCancellationRequested)
        {
            var stored = await store.GetAsync(key, ct);
            if (stored?.Channels.GetValueOrDefault(channel) is { } row)
            {
                last = NotificationStore.ToState(row);
                if (last.State == state) return last;
            }
            await Task.Delay(25, ct);
        }
        throw new TimeoutException($"{channel} never reached {state}; last {last}");
    }

    [Fact]
    public async Task SendAsync_SameKeyTwice_DeliversOncePerChannel()
    {
        var ct = TestTimeout.Token();
        var a = new CountingChannel("a");
        var b = new CountingChannel("b");
        await using var app = App(a, b);
        await app.StartAsync(ct);
        var sender = app.Services.GetRequiredService<INotificationSender>();
        var n = NotificationTestData.Approval();

        await sender.SendAsync(n, ct);
        await sender.SendAsync(n, ct);
        await WaitForStateAsync(app, n.IdempotencyKey, "a", DeliveryStates.Sent, ct);
        await WaitForStateAsync(app, n.IdempotencyKey, "b", DeliveryStates.Sent, ct);
        await Task.Delay(300, ct); // room for a wrongly enqueued second delivery to show up

        Assert.Equal(1, a.Delivered[n.IdempotencyKey]);
        Assert.Equal(1, b.Delivered[n.IdempotencyKey]);
    }

    [Fact]
    public async Task HandleAsync_SameMessageRedelivered_SkipsChannelsAlreadySent()
    {
        var ct = TestTimeout.Token();
        var a = new CountingChannel("a");
        await using var app = App(a);
        await app.StartAsync(ct);
        var n = NotificationTestData.Approval();
        await app.Services.GetRequiredService<INotificationSender>().SendAsync(n, ct);
        await WaitForStateAsync(app, n.IdempotencyKey, "a", DeliveryStates.Sent, ct);
        var handler = app.Services.GetServices<IQueueHandler>().OfType<NotificationDeliveryHandler>().Single();

        var message = QueueMessages.Encode(new NotificationQueued(n.IdempotencyKey));
        await handler.HandleAsync(new QueueInvocation(message, 1, null, "m1", "i1"), ct);
        await handler.HandleAsync(new QueueInvocation(message, 2, null, "m1", "i2"), ct);

        Assert.Equal(1, a.Delivered[n.IdempotencyKey]);
    }

    [Fact]
    public async Task SendAsync_ChannelFailsTwiceThenSucceeds_DeliveredOnceAfterThreeAttemptsWithoutBlockingTheCaller()
    {
        var ct = TestTimeout.Token();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flaky = new CountingChannel("flaky", failFirst: 2, gate);
        var steady = new CountingChannel("steady");
        await using var app = App(flaky, steady);
        await app.StartAsync(ct);
        var n = NotificationTestData.Approval();

        // The channel cannot even start until the caller has returned: SendAsync must not wait for delivery.
        await app.Services.GetRequiredService<INotificationSender>().SendAsync(n, ct);
        Assert.False(flaky.Attempts.ContainsKey(n.IdempotencyKey));
        gate.SetResult();
        var state = await WaitForStateAsync(app, n.IdempotencyKey, "flaky", DeliveryStates.Sent, ct);

        Assert.Equal(3, state.Attempts);
        Assert.Equal(1, flaky.Delivered[n.IdempotencyKey]);
        Assert.Equal(1, steady.Delivered[n.IdempotencyKey]);
        Assert.Equal(1, steady.Attempts[n.IdempotencyKey]);
    }

    [Fact]
    public async Task SendAsync_ChannelAlwaysFails_StateSaysFailedWithReasonAfterFinalAttempt()
    {
        var ct = TestTimeout.Token();
        var broken = new CountingChannel("broken", failFirst: int.MaxValue);
        await using var app = App(broken);
        await app.StartAsync(ct);
        var n = NotificationTestData.Approval();

        await app.Services.GetRequiredService<INotificationSender>().SendAsync(n, ct);
        var state = await WaitForStateAsync(app, n.IdempotencyKey, "broken", DeliveryStates.Failed, ct);

        var max = app.Services.GetRequiredService<IOptions<Reimburse.Functions.Hosting.StandaloneOptions>>().Value.MaxDequeueCount;
        Assert.Equal(max, state.Attempts);
        Assert.Contains("broken is down", state.LastError);
        Assert.False(broken.Delivered.ContainsKey(n.IdempotencyKey));
    }

    [Fact]
    public async Task SendAsync_AcceptsQuickly_EvenWhileTheChannelIsStuck()
    {
        var ct = TestTimeout.Token();
        var stuck = new CountingChannel("stuck", gate: new TaskCompletionSource());
        await using var app = App(stuck);
        await app.StartAsync(ct);
        var sender = app.Services.GetRequiredService<INotificationSender>();

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++) await sender.SendAsync(NotificationTestData.Approval(), ct);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"5 sends took {watch.Elapsed}");
        Assert.Empty(stuck.Delivered);
    }

    [Fact]
    public async Task DevOutbox_NoChannelConfigured_ListsRenderedNotificationsNewestFirstWithLogChannelState()
    {
        var ct = TestTimeout.Token();
        await using var app = App();
        await app.StartAsync(ct);
        var sender = app.Services.GetRequiredService<INotificationSender>();
        var first = NotificationTestData.Approval();
        var second = NotificationTestData.Approval() with { Template = "claim-approved" };
        await sender.SendAsync(first, ct);
        await Task.Delay(20, ct);
        await sender.SendAsync(second, ct);
        await WaitForStateAsync(app, first.IdempotencyKey, LogChannel.ChannelName, DeliveryStates.Sent, ct);
        await WaitForStateAsync(app, second.IdempotencyKey, LogChannel.ChannelName, DeliveryStates.Sent, ct);
        var client = await app.ClientForAsync("emp-chan", ct);

        var view = await (await client.GetAsync("/api/dev/outbox", ct)).JsonAsync(ct);

        Assert.Equal(["log"], view.GetProperty("activeChannels").EnumerateArray().Select(c => c.GetString()));
        var items = view.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([second.IdempotencyKey, first.IdempotencyKey], items.Select(i => i.GetProperty("idempotencyKey").GetString()));
        Assert.Contains("已批准", items[0].GetProperty("subject").GetString());
        var channel = Assert.Single(items[1].GetProperty("channels").EnumerateArray());
        Assert.Equal("sent", channel.GetProperty("state").GetString());
    }

    [Fact]
    public async Task DevOutbox_Anonymous_Unauthorized()
    {
        var ct = TestTimeout.Token();
        await using var app = App();
        var client = await app.StartAsync(ct);

        var response = await client.GetAsync("/api/dev/outbox", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private ReimburseApp DingTalkApp(LoopbackHttpServer robot) => new(azurite, new()
    {
        ["Reimburse:Notifications:AllowPrivateTargets"] = "true",
        ["Reimburse:Notifications:DingTalk:Url"] = robot.BaseAddress.ToString(),
        ["Reimburse:Notifications:DingTalk:AccessToken"] = "app-robot",
        ["Reimburse:Notifications:DingTalk:Secret"] = "SECapp-robot-secret",
    });

    [Fact]
    public async Task SendAsync_DingTalkConfigured_RobotReceivesOneSignedMessageAndStateIsSent()
    {
        var ct = TestTimeout.Token();
        await using var robot = await LoopbackHttpServer.StartAsync(_ => (200, """{"errcode":0,"errmsg":"ok"}""", null));
        await using var app = DingTalkApp(robot);
        await app.StartAsync(ct);
        var n = NotificationTestData.Approval();

        await app.Services.GetRequiredService<INotificationSender>().SendAsync(n, ct);
        var state = await WaitForStateAsync(app, n.IdempotencyKey, DingTalkChannel.ChannelName, DeliveryStates.Sent, ct);

        var r = Assert.Single(robot.Requests);
        Assert.Equal(DingTalkChannel.Sign("SECapp-robot-secret", long.Parse(r.Query["timestamp"].ToString())), Uri.EscapeDataString(r.Query["sign"].ToString()));
        Assert.Equal(1, state.Attempts);
    }

    [Fact]
    public async Task SendAsync_DingTalkAnswersErrcode_RetriedThenFailedWithErrmsg()
    {
        var ct = TestTimeout.Token();
        await using var robot = await LoopbackHttpServer.StartAsync(_ => (200, """{"errcode":300001,"errmsg":"token is not exist"}""", null));
        await using var app = DingTalkApp(robot);
        await app.StartAsync(ct);
        var n = NotificationTestData.Approval();

        await app.Services.GetRequiredService<INotificationSender>().SendAsync(n, ct);
        var state = await WaitForStateAsync(app, n.IdempotencyKey, DingTalkChannel.ChannelName, DeliveryStates.Failed, ct);

        Assert.Contains("token is not exist", state.LastError);
        Assert.Equal(state.Attempts, robot.Requests.Count);
        Assert.True(state.Attempts > 1);
    }

    [Fact]
    public void AddNotifications_WebhookOverPlainHttpWithShortSecret_ValidationNamesEverySetting()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reimburse:Notifications:Webhook:Url"] = "http://hooks.example.com/x",
            ["Reimburse:Notifications:Webhook:Secret"] = "short",
            ["Reimburse:Notifications:DingTalk:AccessToken"] = "token",
        }).Build();
        using var sp = new ServiceCollection().AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(config).AddNotifications().BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<NotificationOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains("Webhook:Url must use https", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Webhook:Secret", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("DingTalk:Secret", StringComparison.Ordinal));
    }

    [Fact]
    public void AddNotifications_NothingConfigured_ValidAndOnlyTheLogChannelIsActive()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(config).AddLogging().AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(new Reimburse.Functions.Hosting.StorageOptions { ConnectionString = azurite.ConnectionString }))
            .AddReimburseStorage().AddNotifications();
        using var sp = services.BuildServiceProvider();

        var active = NotificationDeliverer.ActiveChannels(sp.GetServices<INotificationChannel>(), sp.GetRequiredService<LogChannel>());

        Assert.Equal([LogChannel.ChannelName], active.Select(c => c.Name));
    }
}
