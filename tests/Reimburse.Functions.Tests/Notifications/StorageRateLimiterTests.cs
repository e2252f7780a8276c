using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.Testing;

namespace Reimburse.Tests.Notifications;

[Collection(AzuriteCollection.Name)]
public sealed class StorageRateLimiterTests(AzuriteFixture azurite)
{
    /// <summary>A limiter as one app instance would have it: its own store and clients, the shared table.</summary>
    private StorageDingTalkRateLimiter Instance(string prefix) => new(new NotificationStore(ReimburseStorage.Create(
        new StorageOptions { ConnectionString = azurite.ConnectionString, ResourcePrefix = prefix })));

    [Fact]
    public async Task ReserveAsync_TwoInstancesShareOneRobot_NoMinuteWindowHoldsMoreThan20()
    {
        var ct = TestTimeout.Token();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        var instances = new[] { Instance(prefix), Instance(prefix) };
        var t0 = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

        // 25 concurrent sends at the same moment, spread over two instances.
        var waits = await Task.WhenAll(Enumerable.Range(0, 25).Select(i => instances[i % 2].ReserveAsync("robot-x", 20, t0, ct)));

        var times = waits.Select(w => t0 + w).Order().ToList();
        var busiest = times.Max(t => times.Count(u => u >= t && u < t + TimeSpan.FromMinutes(1)));
        Assert.True(busiest <= 20, $"{busiest} sends reserved within one minute");
        Assert.Equal(20, waits.Count(w => w == TimeSpan.Zero));
    }
}
