using Azure;
using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class QueueClientTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Hide = TimeSpan.FromSeconds(30);
    private readonly CancellationToken _ct = TestTimeout.Token();

    private async Task<QueueClient> NewQueueAsync()
    {
        var client = new QueueClient(azurite.Account, AzuriteInstance.UniqueName("q"));
        await client.CreateIfNotExistsAsync(_ct);
        return client;
    }

    [Fact]
    public async Task CreateIfNotExistsAsync_Twice_DoesNotThrow()
    {
        var client = await NewQueueAsync();
        await client.CreateIfNotExistsAsync(_ct);
        Assert.Equal(0, await client.GetApproximateMessageCountAsync(_ct));
    }

    [Fact]
    public async Task SendMessageAsync_ThenReceive_ReturnsTextIdAndDequeueCountOne()
    {
        var client = await NewQueueAsync();
        var receipt = await client.SendMessageAsync("{\"claimId\":\"C1\"}", cancellationToken: _ct);

        var messages = await client.ReceiveMessagesAsync(1, Hide, _ct);

        var message = Assert.Single(messages);
        Assert.Equal(receipt.MessageId, message.MessageId);
        Assert.Equal("{\"claimId\":\"C1\"}", message.MessageText);
        Assert.Equal(1, message.DequeueCount);
        Assert.False(string.IsNullOrEmpty(message.PopReceipt));
        Assert.True(message.NextVisibleTime > message.InsertionTime);
        Assert.True(message.ExpirationTime > message.InsertionTime);
    }

    [Fact]
    public async Task SendMessageAsync_XmlSpecialAndChineseText_RoundTripsExactly()
    {
        var client = await NewQueueAsync();
        const string text = "<a href=\"x\">&amp; 'q'</a> 報銷申請：陳大文 HK$1,280 ]]>";
        await client.SendMessageAsync(text, cancellationToken: _ct);

        var message = Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));

        Assert.Equal(text, message.MessageText);
    }

    [Fact]
    public async Task SendMessageAsync_NegativeTtl_NeverExpires()
    {
        var client = await NewQueueAsync();
        var receipt = await client.SendMessageAsync("forever", timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: _ct);
        Assert.Equal(9999, receipt.ExpirationTime.Year);
    }

    [Fact]
    public async Task SendMessageAsync_VisibilityDelay_HidesMessageUntilDue()
    {
        var client = await NewQueueAsync();
        await client.SendMessageAsync("later", visibilityTimeout: TimeSpan.FromSeconds(30), cancellationToken: _ct);

        Assert.Empty(await client.ReceiveMessagesAsync(1, Hide, _ct));
        Assert.Equal(1, await client.GetApproximateMessageCountAsync(_ct));
    }

    [Fact]
    public async Task ReceiveMessagesAsync_Received_IsInvisibleToNextReceive()
    {
        var client = await NewQueueAsync();
        await client.SendMessageAsync("once", cancellationToken: _ct);

        Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));
        Assert.Empty(await client.ReceiveMessagesAsync(1, Hide, _ct));
    }

    [Fact]
    public async Task ReceiveMessagesAsync_Many_ReturnsUpToMax()
    {
        var client = await NewQueueAsync();
        for (var i = 0; i < 5; i++)
        {
            await client.SendMessageAsync($"m{i}", cancellationToken: _ct);
        }

        var first = await client.ReceiveMessagesAsync(3, Hide, _ct);
        var rest = await client.ReceiveMessagesAsync(32, Hide, _ct);

        Assert.Equal(3, first.Count);
        Assert.Equal(2, rest.Count);
        Assert.Equal(5, first.Concat(rest).Select(m => m.MessageText).Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public async Task ReceiveMessagesAsync_CountOutOfRange_Throws(int count)
    {
        var client = new QueueClient(azurite.Account, AzuriteInstance.UniqueName("q"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReceiveMessagesAsync(count, Hide, _ct));
    }

    [Fact]
    public async Task UpdateMessageAsync_ZeroVisibility_ReappearsWithNewTextAndHigherDequeueCount()
    {
        var client = await NewQueueAsync();
        await client.SendMessageAsync("v1", cancellationToken: _ct);
        var first = Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));

        var update = await client.UpdateMessageAsync(first.MessageId, first.PopReceipt, TimeSpan.Zero, "v2", _ct);
        var second = Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));

        Assert.NotEqual(first.PopReceipt, update.PopReceipt);
        Assert.Equal("v2", second.MessageText);
        Assert.Equal(2, second.DequeueCount);
    }

    [Fact]
    public async Task UpdateMessageAsync_NewPopReceipt_IsNeededToDelete()
    {
        var client = await NewQueueAsync();
        await client.SendMessageAsync("x", cancellationToken: _ct);
        var message = Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));
        var update = await client.UpdateMessageAsync(message.MessageId, message.PopReceipt, Hide, cancellationToken: _ct);

        var stale = await Assert.ThrowsAsync<RequestFailedException>(() => client.DeleteMessageAsync(message.MessageId, message.PopReceipt, _ct));
        await client.DeleteMessageAsync(message.MessageId, update.PopReceipt, _ct);

        Assert.Equal(400, stale.Status);
        Assert.Equal("PopReceiptMismatch", stale.ErrorCode);
        Assert.Equal(0, await client.GetApproximateMessageCountAsync(_ct));
        Assert.True(update.NextVisibleTime > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task DeleteMessageAsync_Deleted_IsGone()
    {
        var client = await NewQueueAsync();
        await client.SendMessageAsync("x", cancellationToken: _ct);
        var message = Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));

        await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, _ct);

        Assert.Equal(0, await client.GetApproximateMessageCountAsync(_ct));
    }

    [Fact]
    public async Task DeleteMessageAsync_UnknownId_Throws404MessageNotFound()
    {
        var client = await NewQueueAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.DeleteMessageAsync(Guid.NewGuid().ToString(), "AAAAAAAAAAAAAAAAAAAAAA==", _ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("MessageNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task ReceiveMessagesAsync_RepeatedFailures_DequeueCountReachesPoisonThreshold()
    {
        // What the Functions host does before moving a message to <queue>-poison: count dequeues.
        var client = await NewQueueAsync();
        await client.SendMessageAsync("bad", cancellationToken: _ct);
        var counts = new List<long>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var message = Assert.Single(await client.ReceiveMessagesAsync(1, Hide, _ct));
            counts.Add(message.DequeueCount);
            await client.UpdateMessageAsync(message.MessageId, message.PopReceipt, TimeSpan.Zero, cancellationToken: _ct);
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], counts);
    }

    [Fact]
    public async Task ClearMessagesAsync_RemovesAll()
    {
        var client = await NewQueueAsync();
        for (var i = 0; i < 3; i++)
        {
            await client.SendMessageAsync($"m{i}", cancellationToken: _ct);
        }
        Assert.Equal(3, await client.GetApproximateMessageCountAsync(_ct));

        await client.ClearMessagesAsync(_ct);

        Assert.Equal(0, await client.GetApproximateMessageCountAsync(_ct));
    }

    [Fact]
    public async Task DeleteIfExistsAsync_ThenCount_Throws404QueueNotFound()
    {
        var client = await NewQueueAsync();
        await client.DeleteIfExistsAsync(_ct);
        await client.DeleteIfExistsAsync(_ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetApproximateMessageCountAsync(_ct));

        Assert.Equal(404, ex.Status);
        Assert.Equal("QueueNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task SendMessageAsync_MissingQueue_Throws404()
    {
        var client = new QueueClient(azurite.Account, AzuriteInstance.UniqueName("q"));
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.SendMessageAsync("x", cancellationToken: _ct));
        Assert.Equal(404, ex.Status);
    }
}

public sealed class QueueMessageValidationTests
{
    [Fact]
    public async Task SendMessageAsync_Over64KiB_ThrowsArgumentException()
    {
        var client = new QueueClient(StorageAccount.Parse("UseDevelopmentStorage=true"), "q");
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendMessageAsync(new string('x', 64 * 1024 + 1), cancellationToken: TestTimeout.Token()));
    }
}
