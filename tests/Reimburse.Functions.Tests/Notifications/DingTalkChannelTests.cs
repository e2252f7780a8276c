using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Reimburse.Functions.Notifications;
using Reimburse.Testing;

namespace Reimburse.Tests.Notifications;

public sealed class DingTalkChannelTests
{
    private const string Token = "robot-token-1";
    private const string Secret = "SECtest0123456789abcdef";

    /// <summary>What DingTalk does: recompute the sign from the timestamp and our copy of the secret.</summary>
    private static bool SignatureValid(RecordedRequest r, DateTimeOffset now)
    {
        var timestamp = long.Parse(r.Query["timestamp"].ToString());
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{timestamp}\n{Secret}")));
        // The query collection is already URL-decoded once.
        return r.Query["sign"].ToString() == expected && Math.Abs(now.ToUnixTimeMilliseconds() - timestamp) < 3_600_000 && r.Query["access_token"] == Token;
    }

    private static (int, string, string?) Ok(RecordedRequest _) => (200, """{"errcode":0,"errmsg":"ok"}""", null);

    private static DingTalkChannel Channel(Uri server, TimeProvider clock, DingTalkRateLimiter? limiter = null, int maxPerMinute = 20)
    {
        var options = NotificationTestData.Options(o =>
        {
            o.AllowPrivateTargets = true;
            o.DingTalk = new DingTalkOptions { Url = server.ToString(), AccessToken = Token, Secret = Secret, MaxPerMinute = maxPerMinute };
        });
        return new DingTalkChannel(options, new NotificationHttp(new SsrfGuard(true, true)), limiter ?? new DingTalkRateLimiter(), clock);
    }

    [Fact]
    public async Task SendAsync_SignsTheRequestAsDocumented_ServerRecomputesTheSign()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);
        await Channel(server.BaseAddress, TimeProvider.System).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token());

        var r = Assert.Single(server.Requests);
        Assert.Equal("POST", r.Method);
        Assert.Equal("/robot/send", r.Path);
        Assert.True(SignatureValid(r, DateTimeOffset.UtcNow), $"sign {r.Query["sign"]} for timestamp {r.Query["timestamp"]} does not verify");
    }

    [Fact]
    public async Task SendAsync_WithoutLinks_PostsMarkdownWithTitleAndBilingualText()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);
        await Channel(server.BaseAddress, TimeProvider.System).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token());

        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        Assert.Equal("markdown", body.RootElement.GetProperty("msgtype").GetString());
        var markdown = body.RootElement.GetProperty("markdown");
        Assert.Contains("CLM-0001", markdown.GetProperty("title").GetString());
        Assert.Contains("待審批", markdown.GetProperty("text").GetString());
    }

    [Fact]
    public async Task SendAsync_WithApproveAndRejectLinks_PostsActionCardWithOneButtonEach()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);
        var n = NotificationTestData.Approval(null, new NotificationLink("Approve 批准", "https://reimburse.example/a?sig=1"), new NotificationLink("Reject 拒絕", "https://reimburse.example/r?sig=2"));
        await Channel(server.BaseAddress, TimeProvider.System).SendAsync(NotificationTestData.Delivery(n), TestTimeout.Token());

        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        Assert.Equal("actionCard", body.RootElement.GetProperty("msgtype").GetString());
        var buttons = body.RootElement.GetProperty("actionCard").GetProperty("btns").EnumerateArray()
            .Select(b => (b.GetProperty("title").GetString(), b.GetProperty("actionURL").GetString())).ToList();
        Assert.Equal([("Approve 批准", "https://reimburse.example/a?sig=1"), ("Reject 拒絕", "https://reimburse.example/r?sig=2")], buttons);
    }

    [Fact]
    public async Task SendAsync_ErrcodeNotZero_FailsWithErrmsg()
    {
        await using var server = await LoopbackHttpServer.StartAsync(_ => (200, """{"errcode":310000,"errmsg":"sign not match"}""", null));

        var ex = await Assert.ThrowsAsync<NotificationChannelException>(() => Channel(server.BaseAddress, TimeProvider.System).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token()));
        Assert.Contains("310000", ex.Message);
        Assert.Contains("sign not match", ex.Message);
    }

    [Fact]
    public async Task SendAsync_25MessagesAtOnce_NoMinuteWindowHoldsMoreThan20()
    {
        var clock = new AutoAdvanceClock(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var signed = 0;
        await using var server = await LoopbackHttpServer.StartAsync(r =>
        {
            if (SignatureValid(r, clock.GetUtcNow())) Interlocked.Increment(ref signed);
            return Ok(r);
        });
        var channel = Channel(server.BaseAddress, clock);

        await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => channel.SendAsync(NotificationTestData.Delivery(), TestTimeout.Token())));

        var times = server.Requests.Select(r => long.Parse(r.Query["timestamp"].ToString())).Order().ToList();
        Assert.Equal(25, times.Count);
        Assert.Equal(25, signed);
        var busiest = times.Max(t => times.Count(u => u >= t && u < t + 60_000));
        Assert.True(busiest <= 20, $"{busiest} messages within one minute");
    }

    [Fact]
    public void Reserve_21stWithinAMinute_WaitsUntilTheFirstLeavesTheWindow()
    {
        var limiter = new DingTalkRateLimiter();
        var t0 = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

        var waits = Enumerable.Range(0, 21).Select(i => limiter.Reserve("robot", 20, t0 + TimeSpan.FromSeconds(i))).ToList();

        Assert.All(waits.Take(20), w => Assert.Equal(TimeSpan.Zero, w));
        Assert.Equal(t0 + DingTalkRateLimiter.Window, t0 + TimeSpan.FromSeconds(20) + waits[20]);
    }

    [Fact]
    public void Reserve_SeparateRobots_HaveSeparateBudgets()
    {
        var limiter = new DingTalkRateLimiter();
        var t0 = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < 20; i++) limiter.Reserve("robot-a", 20, t0);

        Assert.Equal(TimeSpan.Zero, limiter.Reserve("robot-b", 20, t0));
    }

    [Fact]
    public void Sign_KnownVector_MatchesIndependentComputation()
    {
        const long ts = 1_700_000_000_000;
        var mac = new HMACSHA256(Encoding.UTF8.GetBytes(Secret)).ComputeHash(Encoding.UTF8.GetBytes(ts + "\n" + Secret));

        Assert.Equal(System.Net.WebUtility.UrlEncode(Convert.ToBase64String(mac)), DingTalkChannel.Sign(Secret, ts), ignoreCase: true);
    }
}
