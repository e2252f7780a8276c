using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Reimburse.Functions.Notifications;
using Reimburse.Testing;

namespace Reimburse.Tests.Notifications;

public sealed class WebhookChannelTests
{
    private const string Secret = "webhook-secret-0123456789";

    private static WebhookChannel Channel(string url, SsrfGuard guard, TimeProvider? clock = null) => new(
        NotificationTestData.Options(o => o.Webhook = new WebhookOptions { Url = url, Secret = Secret }),
        new NotificationHttp(guard), clock ?? TimeProvider.System);

    private static (int, string, string?) Ok(RecordedRequest _) => (204, "", null);

    [Fact]
    public async Task SendAsync_Signature_VerifiesOverTheExactBodyBytesAndTimestamp()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);
        var n = NotificationTestData.Approval();
        await Channel(new Uri(server.BaseAddress, "/hooks/reimburse").ToString(), new SsrfGuard(true, true)).SendAsync(NotificationTestData.Delivery(n), TestTimeout.Token());

        var r = Assert.Single(server.Requests);
        var parts = r.Headers[WebhookChannel.SignatureHeader].ToString().Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var t = long.Parse(parts["t"]);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{t}.").Concat(r.Body).ToArray()));
        Assert.Equal(expected, parts["v1"]);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t, 0, 300);
        Assert.Equal(n.IdempotencyKey, r.Headers[WebhookChannel.DeliveryHeader].ToString());
    }

    [Fact]
    public async Task SendAsync_Body_IsJsonWithTheNotificationAndRenderedText()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);
        var n = NotificationTestData.Approval();
        await Channel(server.BaseAddress.ToString(), new SsrfGuard(true, true)).SendAsync(NotificationTestData.Delivery(n), TestTimeout.Token());

        var r = Assert.Single(server.Requests);
        Assert.StartsWith("application/json", r.Headers.ContentType.ToString());
        using var doc = JsonDocument.Parse(r.Body);
        Assert.Equal(n.IdempotencyKey, doc.RootElement.GetProperty("id").GetString());
        Assert.Equal("approval-requested", doc.RootElement.GetProperty("template").GetString());
        Assert.Equal("mgr-wong", doc.RootElement.GetProperty("recipients")[0].GetProperty("userId").GetString());
        Assert.Contains("待審批", doc.RootElement.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task SendAsync_TargetRedirects_RedirectIsNotFollowed()
    {
        await using var target = await LoopbackHttpServer.StartAsync(Ok);
        await using var server = await LoopbackHttpServer.StartAsync(_ => (302, "", new Uri(target.BaseAddress, "/stolen").ToString()));

        await Assert.ThrowsAsync<UnsafeTargetException>(() => Channel(server.BaseAddress.ToString(), new SsrfGuard(true, true)).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token()));
        Assert.Single(server.Requests);
        Assert.Empty(target.Requests);
    }

    [Fact]
    public async Task SendAsync_LoopbackTargetWhenPrivateNotAllowed_RefusedBeforeAnyRequest()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);

        await Assert.ThrowsAsync<UnsafeTargetException>(() => Channel(server.BaseAddress.ToString(), new SsrfGuard(false, true)).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token()));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task SendAsync_DnsRebindsToLoopbackAfterTheCheck_RefusedAtConnect()
    {
        await using var server = await LoopbackHttpServer.StartAsync(Ok);
        var calls = 0;
        // First answer (the URL check) is public, every later one (the connect) is loopback: a rebinding attack.
        var guard = new SsrfGuard(false, true, (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? new[] { IPAddress.Parse("93.184.215.14") } : [IPAddress.Loopback]));

        await Assert.ThrowsAsync<UnsafeTargetException>(() => Channel($"http://rebind.example:{server.BaseAddress.Port}/hook", guard).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token()));
        Assert.True(calls >= 2, "the address was not checked again at connect time");
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task ValidateAsync_PlainHttpWithoutDevFlag_Refused()
    {
        var guard = new SsrfGuard(false, false, (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14") }));

        await Assert.ThrowsAsync<UnsafeTargetException>(() => guard.ValidateAsync(new Uri("http://hooks.example.com/x"), TestTimeout.Token()));
    }

    [Fact]
    public async Task ValidateAsync_PublicHttpsName_Allowed()
    {
        var guard = new SsrfGuard(false, false, (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Parse("2606:2800:21f:cb07:6820:80da:af6b:8b2c") }));

        await guard.ValidateAsync(new Uri("https://hooks.example.com/x"), TestTimeout.Token());
    }

    [Theory]
    [InlineData("https://127.0.0.1/")]
    [InlineData("https://127.1.2.3/")]
    [InlineData("https://10.0.0.5/")]
    [InlineData("https://172.16.0.1/")]
    [InlineData("https://172.31.255.255/")]
    [InlineData("https://192.168.1.1/")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://100.64.0.1/")]
    [InlineData("https://100.100.100.200/")]
    [InlineData("https://0.0.0.0/")]
    [InlineData("https://224.0.0.1/")]
    [InlineData("https://255.255.255.255/")]
    [InlineData("https://2130706433/")]
    [InlineData("https://0x7f000001/")]
    [InlineData("https://017700000001/")]
    [InlineData("https://127.1/")]
    [InlineData("https://[::1]/")]
    [InlineData("https://[::]/")]
    [InlineData("https://[::ffff:127.0.0.1]/")]
    [InlineData("https://[::ffff:a9fe:a9fe]/")]
    [InlineData("https://[fe80::1]/")]
    [InlineData("https://[fd00:ec2::254]/")]
    [InlineData("https://[fc00::1]/")]
    [InlineData("https://[ff02::1]/")]
    [InlineData("https://[64:ff9b::a9fe:a9fe]/")]
    [InlineData("https://[2002:7f00:1::]/")]
    [InlineData("https://localhost/")]
    public async Task ValidateAsync_InternalTarget_Refused(string url)
    {
        var guard = new SsrfGuard(false, false);

        await Assert.ThrowsAsync<UnsafeTargetException>(() => guard.ValidateAsync(new Uri(url), TestTimeout.Token()));
    }

    [Fact]
    public async Task ValidateAsync_NameResolvingToLoopback_Refused()
    {
        var guard = new SsrfGuard(false, false, (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Parse("127.0.0.1") }));

        await Assert.ThrowsAsync<UnsafeTargetException>(() => guard.ValidateAsync(new Uri("https://mixed.example.com/"), TestTimeout.Token()));
    }

    [Fact]
    public async Task ValidateAsync_PrivateTargetWithDevFlag_Allowed()
    {
        var guard = new SsrfGuard(true, true);

        await guard.ValidateAsync(new Uri("http://127.0.0.1:8080/hook"), TestTimeout.Token());
    }

    [Theory]
    [InlineData("8.8.8.8", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("2001:4860:4860::8888", false)]
    [InlineData("192.0.2.1", true)]
    [InlineData("fec0::1", true)]
    public void IsBlocked_BoundaryAddresses_Classified(string address, bool blocked)
    {
        Assert.Equal(blocked, SsrfGuard.IsBlocked(IPAddress.Parse(address)));
    }
}
