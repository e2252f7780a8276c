using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Inbox;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Reimburse.Functions.Triggers;

/// <summary>Drives the trigger handlers without a Functions host: polls queues (back-off, visibility renewal, poison after
/// N attempts), scans the receipt inbox and fires timers. The handlers are the same ones the host would invoke.</summary>
public sealed partial class StandaloneTriggerHost(
    IEnumerable<IQueueHandler> queueHandlers,
    IEnumerable<ITimerHandler> timerHandlers,
    ReceiptDropProcessor inbox,
    ReimburseStorage storage,
    QueueNudger nudger,
    StartupInitializer initializer,
    IOptions<StandaloneOptions> options,
    TimeProvider clock,
    ILogger<StandaloneTriggerHost> logger) : BackgroundService
{
    private readonly StandaloneOptions _o = options.Value;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = queueHandlers.Select(h => Task.Run(() => PollAsync(h, stoppingToken), stoppingToken))
            .Concat(timerHandlers.Select(t => Task.Run(() => TimerAsync(t, stoppingToken), stoppingToken)))
            .Append(Task.Run(() => InboxAsync(stoppingToken), stoppingToken));
        return Task.WhenAll(loops);
    }

    private async Task PollAsync(IQueueHandler handler, CancellationToken stop)
    {
        var queue = storage.Queue(handler.QueueName);
        var poison = storage.Queue(handler.QueueName + "-poison");
        var visibility = TimeSpan.FromSeconds(_o.VisibilityTimeoutSeconds);
        var delay = TimeSpan.FromMilliseconds(_o.MinPollMilliseconds);
        using var slots = new SemaphoreSlim(_o.QueueConcurrency);
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<QueueMessage> messages;
            try
            {
                var free = Math.Clamp(slots.CurrentCount, 1, 32);
                messages = (await queue.ReceiveMessagesAsync(free, visibility, stop)).Value;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (Problems.IsMissingResource(ex))
                {
                    initializer.RecreateInBackground();
                }
                LogPollFailed(logger, ex, handler.QueueName);
                messages = [];
                delay = TimeSpan.FromMilliseconds(_o.MaxPollMilliseconds);
            }

            if (messages.Count == 0)
            {
                try { await nudger.WaitAsync(handler.QueueName, delay, stop); } catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, _o.MaxPollMilliseconds));
                continue;
            }
            delay = TimeSpan.FromMilliseconds(_o.MinPollMilliseconds);
            foreach (var message in messages)
            {
                await slots.WaitAsync(stop);
                _ = Task.Run(async () =>
                {
                    try { await ProcessAsync(handler, queue, poison, message, visibility, stop); }
                    finally { slots.Release(); }
                }, CancellationToken.None);
            }
            // Without free slots, wait for one before fetching more (messages stay invisible until we get to them).
            await slots.WaitAsync(stop);
            slots.Release();
        }
    }

    private async Task ProcessAsync(IQueueHandler handler, QueueClient queue, QueueClient poison, QueueMessage message, TimeSpan visibility, CancellationToken stop)
    {
        if (message.DequeueCount > _o.MaxDequeueCount)
        {
            // Same rule as the Functions host: after N failed attempts the message moves to <queue>-poison.
            await poison.SendMessageAsync(message.Body, cancellationToken: stop);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stop);
            LogPoisoned(logger, handler.QueueName, message.MessageId, message.DequeueCount - 1);
            nudger.Nudge(handler.QueueName + "-poison");
            return;
        }

        var popReceipt = message.PopReceipt;
        using var renewCts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var renewal = Task.Run(async () =>
        {
            // Long work (OCR of a big PDF) keeps its message hidden instead of letting another instance start it twice.
            while (!renewCts.IsCancellationRequested)
            {
                await Task.Delay(visibility / 2, renewCts.Token);
                var receipt = await queue.UpdateMessageAsync(message.MessageId, popReceipt, (BinaryData?)null, visibility, renewCts.Token);
                popReceipt = receipt.Value.PopReceipt;
            }
        }, renewCts.Token);

        Exception? failure = null;
        try
        {
            var invocation = new QueueInvocation(InvocationValues.UnwrapString(message.Body.ToString()), message.DequeueCount, message.InsertedOn, message.MessageId, Guid.NewGuid().ToString());
            await handler.HandleAsync(invocation, stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            failure = ex;
        }
        finally
        {
            await renewCts.CancelAsync();
            try { await renewal; } catch (Exception) { /* renewal ends by cancellation or a lost message; either way we are done with it */ }
        }

        try
        {
            if (failure is null)
            {
                await queue.DeleteMessageAsync(message.MessageId, popReceipt, stop);
                return;
            }
            if (failure is RetryLaterException) LogRetryLater(logger, handler.FunctionName, message.MessageId, failure.Message);
            else LogHandlerFailed(logger, failure, handler.FunctionName, message.MessageId, message.DequeueCount);
            // Back off: 1 s, 2 s, 4 s … so a transient outage does not burn through the attempts at once.
            var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, _o.RetryBaseMilliseconds * Math.Pow(2, message.DequeueCount - 1)));
            await queue.UpdateMessageAsync(message.MessageId, popReceipt, (BinaryData?)null, backoff, stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            // The message reappears after its visibility timeout anyway.
            LogSettleFailed(logger, ex, handler.QueueName, message.MessageId);
        }
    }

    private async Task TimerAsync(ITimerHandler timer, CancellationToken stop)
    {
        var cron = Cron.Parse(timer.Schedule);
        while (!stop.IsCancellationRequested)
        {
            var next = cron.Next(clock.GetUtcNow());
            var wait = next - clock.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, stop);
                await timer.RunAsync(new TimerInvocation(next, clock.GetUtcNow() - next > TimeSpan.FromMinutes(1), Guid.NewGuid().ToString()), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogTimerFailed(logger, ex, timer.FunctionName);
            }
        }
    }

    private async Task InboxAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await inbox.ScanAsync(TimeSpan.Zero, stop);
                await Task.Delay(TimeSpan.FromMilliseconds(_o.InboxScanMilliseconds), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogInboxFailed(logger, ex);
                try { await Task.Delay(TimeSpan.FromMilliseconds(_o.MaxPollMilliseconds * 4), stop); } catch (OperationCanceledException) { return; }
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Polling queue {Queue} failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Message {MessageId} on {Queue} failed {Attempts} times; moved to the poison queue")]
    private static partial void LogPoisoned(ILogger logger, string queue, string messageId, long attempts);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "{Function} failed on message {MessageId} (attempt {Attempt})")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string function, string messageId, long attempt);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "{Function} will retry message {MessageId}: {Reason}")]
    private static partial void LogRetryLater(ILogger logger, string function, string messageId, string reason);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Could not settle message {MessageId} on {Queue}")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string queue, string messageId);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "Timer {Function} failed")]
    private static partial void LogTimerFailed(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "Inbox scan failed")]
    private static partial void LogInboxFailed(ILogger logger, Exception exception);
}
