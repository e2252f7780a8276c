using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Events;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Integrations;

/// <summary>Event webhooks through the real host: CloudEvents to a loopback receiver that checks each request against
/// the Standard Webhooks signature contract, retries, redelivery, and the SSRF guard on registration.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class EventWebhookTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://192.168.0.10/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://169.254.169.254/latest")]
    public async Task CreateWebhook_LoopbackOrPrivateUrl_IsRefusedAndNothingStored(string url)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var admin = await app.ClientForAsync("admin", ct);

        var response = await admin.PostAsJsonAsync("/api/admin/webhooks", new { url, events = new[] { "approved" } }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync(ct);
        Assert.Equal("https://reimburse.example/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("url", out _));
        Assert.Equal(0, (await (await admin.GetAsync("/api/admin/webhooks", ct)).JsonAsync(ct)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task CreateWebhook_ByAnEmployee_IsForbidden()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsJsonAsync("/api/admin/webhooks", new { url = "https://erp.example.net/hook", events = new[] { "approved" } }, ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task SubmittedEvent_ToALoopbackReceiver_IsASignedCloudEventDeliveredOnceAcrossRetryAndRedelivery()
    {
        var ct = TestTimeout.Token(120);
        using var receiver = new SignedReceiver(failFirst: 1);
        await using var app = new ReimburseApp(azurite, new()
        {
            ["Reimburse:Notifications:AllowPrivateTargets"] = "true",
            ["Reimburse:Events:BackoffSeconds"] = "1",
        });
        await app.StartAsync(ct);
        var admin = await app.ClientForAsync("admin", ct);
        var created = await admin.PostAsJsonAsync("/api/admin/webhooks", new { url = receiver.Url, events = new[] { "submitted", "approved", "exported" } }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var subscription = await created.JsonAsync(ct);
        receiver.Secret = subscription.GetProperty("secret").GetString()!;
        var subscriptionId = subscription.GetProperty("id").GetString()!;
        var chan = await app.ClientForAsync("emp-chan", ct);

        var id = (await (await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        await receiver.WaitForAsync(1, ct);
        var eventId = receiver.Accepted.Keys.Single();

        // Forced redelivery: the activity's publish runs again (as after a crash) and the queue message comes twice.
        var publisher = app.Services.GetRequiredService<ClaimEventPublisher>();
        await publisher.PublishAsync("submitted", eventId, id, new { claimId = id }, ct);
        await app.Storage.Queue(EventStore.QueueName).SendMessageAsync(Reimburse.Functions.Claims.QueueMessages.Encode(new EventQueued(subscriptionId, eventId)), cancellationToken: ct);
        await Task.Delay(1500, ct);

        Assert.Empty(receiver.BadSignatures);
        Assert.Equal(1, receiver.Failed);
        Assert.StartsWith($"{id}:submitted:", eventId, StringComparison.Ordinal);
        var cloudEvent = receiver.Accepted[eventId];
        Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
        Assert.Equal("com.reimburse.claim.submitted", cloudEvent.GetProperty("type").GetString());
        Assert.Equal(id, cloudEvent.GetProperty("subject").GetString());
        Assert.Equal(id, cloudEvent.GetProperty("data").GetProperty("claimId").GetString());
        Assert.Equal(1, receiver.AcceptedCounts[eventId]);
        var log = (await (await admin.GetAsync($"/api/admin/webhooks/{subscriptionId}/deliveries", ct)).JsonAsync(ct)).GetProperty("items");
        var delivery = Assert.Single(log.EnumerateArray());
        Assert.Equal("Delivered", delivery.GetProperty("status").GetString());
        Assert.Equal(2, delivery.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task ApprovedClaim_ToALoopbackReceiver_SendsApprovedAndExportedOnceEach()
    {
        var ct = TestTimeout.Token(120);
        using var receiver = new SignedReceiver(failFirst: 0);
        var settings = Reimburse.Tests.Approvals.WorkflowTestKit.AppSettings();
        settings["Reimburse:Notifications:AllowPrivateTargets"] = "true";
        settings["Reimburse:Events:BackoffSeconds"] = "1";
        await using var app = new ReimburseApp(azurite, settings);
        await app.StartAsync(ct);
        var admin = await app.ClientForAsync("admin", ct);
        var created = await (await admin.PostAsJsonAsync("/api/admin/webhooks", new { url = receiver.Url, events = new[] { "approved", "exported", "rejected" } }, ct)).JsonAsync(ct);
        receiver.Secret = created.GetProperty("secret").GetString()!;
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await Reimburse.Tests.Approvals.WorkflowTestKit.SubmitAsync(chan, 150m, cancellationToken: ct);
        await Reimburse.Tests.Approvals.WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.GetProperty("status").GetString() == "pending", ct);

        foreach (var approver in new[] { "mgr-wong", "fin-lam" })
        {
            var client = await app.ClientForAsync(approver, ct);
            await Reimburse.Tests.Approvals.WorkflowTestKit.WaitForWorkflowAsync(chan, id,
                w => w.GetProperty("waitingOn").EnumerateArray().Any(a => a.GetProperty("userId").GetString() == approver), ct);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/api/claims/{id}/decisions", new { decision = "approve" }, ct)).StatusCode);
        }
        await receiver.WaitForAsync(2, ct);
        await Task.Delay(1000, ct);

        Assert.Empty(receiver.BadSignatures);
        Assert.Equal([$"{id}:approved:r1", $"{id}:exported"], receiver.Accepted.Keys.Order(StringComparer.Ordinal));
        Assert.All(receiver.AcceptedCounts.Values, n => Assert.Equal(1, n));
        Assert.Equal("com.reimburse.claim.exported", receiver.Accepted[$"{id}:exported"].GetProperty("type").GetString());
        Assert.Equal("150", receiver.Accepted[$"{id}:exported"].GetProperty("data").GetProperty("amount").GetString()![..3]);
    }

    /// <summary>A webhook receiver on 127.0.0.1 that verifies the Standard Webhooks headers against the shared secret
    /// (and a 5-minute timestamp tolerance), answers 500 to the first <c>failFirst</c> valid requests, and counts each
    /// event id it accepted.</summary>
    private sealed class SignedReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _failuresLeft;
        private int _failed;

        public SignedReceiver(int failFirst)
        {
            _failuresLeft = failFirst;
            var port = AzuriteInstance.FreePort();
            Url = $"http://127.0.0.1:{port}/hooks/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }
        public string Secret { get; set; } = "";
        public int Failed => _failed;
        public ConcurrentDictionary<string, JsonElement> Accepted { get; } = new();
        public ConcurrentDictionary<string, int> AcceptedCounts { get; } = new();
        public ConcurrentBag<string> BadSignatures { get; } = [];

        public async Task WaitForAsync(int events, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow.AddSeconds(40);
            while (Accepted.Count < events)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"receiver got {string.Join(", ", Accepted.Keys)}; failed {Failed}; bad {string.Join(", ", BadSignatures)}");
                }
                await Task.Delay(50, cancellationToken);
            }
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var ms = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(ms);
                var body = ms.ToArray();
                var id = context.Request.Headers["webhook-id"] ?? "";
                var timestamp = context.Request.Headers["webhook-timestamp"] ?? "";
                var signature = context.Request.Headers["webhook-signature"] ?? "";
                int status;
                if (!Verify(id, timestamp, signature, body) || context.Request.ContentType?.StartsWith("application/cloudevents+json", StringComparison.Ordinal) != true)
                {
                    BadSignatures.Add(id);
                    status = 401;
                }
                else if (Interlocked.Decrement(ref _failuresLeft) >= 0)
                {
                    Interlocked.Increment(ref _failed);
                    status = 500;
                }
                else
                {
                    var cloudEvent = JsonDocument.Parse(body).RootElement.Clone();
                    Assert.Equal(id, cloudEvent.GetProperty("id").GetString());
                    Accepted[id] = cloudEvent;
                    AcceptedCounts.AddOrUpdate(id, 1, (_, n) => n + 1);
                    status = 204;
                }
                context.Response.StatusCode = status;
                context.Response.Close();
            }
        }

        private bool Verify(string id, string timestamp, string signature, byte[] body)
        {
            if (id.Length == 0 || !long.TryParse(timestamp, out var t) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t) > 300 || !Secret.StartsWith("whsec_", StringComparison.Ordinal))
            {
                return false;
            }
            var key = Convert.FromBase64String(Secret["whsec_".Length..]);
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body]));
            return signature.Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), Encoding.ASCII.GetBytes(expected)));
        }

        public void Dispose() => _listener.Close();
    }
}
