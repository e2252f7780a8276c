using System.Net;
using System.Text.Json;
using FsCheck.Fluent;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Receipts;
using Reimburse.Testing;
using Reimburse.Testing.Fuzz;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Fuzz;

/// <summary>Issue 17: a malformed queue message ends in the poison queue with its reason after one attempt — never a
/// crash loop — and the app stays healthy.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class QueueFuzzTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private static readonly string[] Fixed =
    [
        "not json", "", " ", "{}", "null", "[]", "\"clm_x\"", "{\"claimId\":123}", "{\"claimId\":\"\\ud800\"}", "{\"claimId\":\"../../etc\"}",
        "{\"claimId\":\"clm_00000000000000000000000000\",\"claimId\":\"x\"}", "{\"idempotencyKey\":\"\"}", "{\"__proto__\":{\"claimId\":\"x\"}}",
        new string('[', 5000), "{\"claimId\":\"" + new string('a', 40_000) + "\"}", "\uFEFF{\"claimId\":null}", "{\"claimId\":\"a\uFFFDb\"}",
    ];

    [Fact]
    public async Task QueueTriggers_MalformedMessages_PoisonedOnceWithReasonAndAppHealthy()
    {
        var ct = TestTimeout.Token(180);
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);
        var generated = FsCheck.Fluent.Gen.Sample(HostileInput.JsonValue(), 20, new FsCheck.Rnd(17), 20);
        var messages = Fixed.Concat(generated).ToList();
        var queues = new[] { DraftAutofillHandler.Queue, NotificationStore.QueueName };

        foreach (var queue in queues)
        {
            foreach (var m in messages) await app.Storage.Queue(queue).SendMessageAsync(m, ct);
        }

        foreach (var queue in queues)
        {
            var poisoned = new List<JsonElement>();
            var poison = app.Storage.Queue(queue + "-poison");
            while (poisoned.Count < messages.Count)
            {
                foreach (var m in (await poison.ReceiveMessagesAsync(32, cancellationToken: ct)).Value)
                {
                    poisoned.Add(JsonDocument.Parse(m.Body.ToString()).RootElement.Clone());
                    await poison.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct);
                }
                await Task.Delay(100, ct);
            }
            output.WriteLine($"{queue}: {poisoned.Count} poisoned, e.g. {poisoned[0]}");
            Assert.Equal(messages.Count, poisoned.Count);
            Assert.All(poisoned, p => Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("reason").GetString())));
            Assert.All(poisoned, p => Assert.Equal(queue, p.GetProperty("queue").GetString()));
            // Moved at the first attempt: nothing waits for a retry on the queue itself.
            var left = (await app.Storage.Queue(queue).GetPropertiesAsync(ct)).Value.ApproximateMessagesCount;
            Assert.Equal(0, left);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", ct)).StatusCode);
    }
}
