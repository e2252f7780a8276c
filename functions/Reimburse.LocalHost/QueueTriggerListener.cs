using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Triggers;

namespace Reimburse.LocalHost;

/// <summary>Runs one queue-triggered function as the Functions host does: polls with back-off up to
/// maxPollingInterval, runs up to batchSize messages at once, keeps a running message hidden, retries a failed one after
/// visibilityTimeout and moves it to &lt;queue&gt;-poison after maxDequeueCount attempts.</summary>
public sealed partial class QueueTriggerListener(
    FunctionDescriptor function,
    FunctionInvoker invoker,
    TriggerStorage storage,
    IOptions<QueuesOptions> queueOptions,
    IOptions<LocalHostOptions> hostOptions,
    QueueNudger? nudger,
    ILogger<QueueTriggerListener> logger) : BackgroundService
{
    private readonly QueuesOptions _q = queueOptions.Value;
    private readonly LocalHostOptions _o = hostOptions.Value;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var name = function.QueueName!;
        var queue = storage.Queue(name);
        var poison = storage.Queue(name + "-poison");
        await CreateAsync(queue, poison, stop);
        var processing = TimeSpan.FromSeconds(_o.ProcessingVisibilitySeconds);
        var min = TimeSpan.FromMilliseconds(_o.MinPollMilliseconds);
        var delay = min;
        using var slots = new SemaphoreSlim(Math.Max(1, _q.BatchSize));
        while (!stop.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(Math.Clamp(slots.CurrentCount, 1, 32), processing, stop)).Value;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPollFailed(logger, ex, name);
                messages = [];
                delay = _q.MaxPollingInterval;
                try { await CreateAsync(queue, poison, stop); } catch (Exception) when (!stop.IsCancellationRequested) { }
            }
            if (messages.Length == 0)
            {
                try
                {
                    if (nudger is not null) await nudger.WaitAsync(name, delay, stop);
                    else await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Math.Max(min.Ticks, _q.MaxPollingInterval.Ticks)));
                continue;
            }
            delay = min;
            foreach (var message in messages)
            {
                await slots.WaitAsync(stop);
                _ = Task.Run(async () =>
                {
                    try { await ProcessAsync(queue, poison, message, processing, stop); }
                    finally { slots.Release(); }
                }, CancellationToken.None);
            }
            await slots.WaitAsync(stop);
            slots.Release();
        }
    }

    private static async Task CreateAsync(QueueClient queue, QueueClient poison, CancellationToken stop)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stop);
                await poison.CreateIfNotExistsAsync(cancellationToken: stop);
                return;
            }
            catch (Exception) when (attempt < 60 && !stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop); // storage not up yet
            }
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient poison, QueueMessage message, TimeSpan processing, CancellationToken stop)
    {
        if (message.DequeueCount > _q.MaxDequeueCount)
        {
            await MoveToPoisonAsync(queue, poison, message.MessageId, message.PopReceipt, message.MessageText, message.DequeueCount - 1, stop);
            return;
        }
        var popReceipt = message.PopReceipt;
        using var renewCts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var renewal = Task.Run(async () =>
        {
            // Long work (OCR of a big PDF) keeps its message hidden instead of letting another instance start it twice.
            while (!renewCts.IsCancellationRequested)
            {
                await Task.Delay(processing / 2, renewCts.Token);
                popReceipt = (await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: processing, cancellationToken: renewCts.Token)).Value.PopReceipt;
            }
        }, renewCts.Token);

        Exception? failure = null;
        try
        {
            var decoded = QueuesModelFactory.QueueMessage(message.MessageId, message.PopReceipt, Decode(message.MessageText), message.DequeueCount,
                message.NextVisibleOn, message.InsertedOn, message.ExpiresOn);
            await invoker.InvokeAsync(function, new Invocation(decoded, new Dictionary<string, string?>(), null, stop));
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            failure = ex;
        }
        finally
        {
            await renewCts.CancelAsync();
            try { await renewal; } catch (Exception) { /* ends by cancellation or a lost message */ }
        }

        try
        {
            if (failure is null)
            {
                await queue.DeleteMessageAsync(message.MessageId, popReceipt, stop);
                return;
            }
            if (failure is RetryLaterException) LogRetryLater(logger, function.Name, message.MessageId, failure.Message);
            else LogFailed(logger, failure, function.Name, message.MessageId, message.DequeueCount);
            if (message.DequeueCount >= _q.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, poison, message.MessageId, popReceipt, message.MessageText, message.DequeueCount, stop);
                return;
            }
            await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: _q.VisibilityTimeout, cancellationToken: stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            LogSettleFailed(logger, ex, queue.Name, message.MessageId); // it reappears after its visibility timeout anyway
        }
    }

    private async Task MoveToPoisonAsync(QueueClient queue, QueueClient poison, string id, string popReceipt, string text, long attempts, CancellationToken stop)
    {
        await poison.SendMessageAsync(text, stop);
        await queue.DeleteMessageAsync(id, popReceipt, stop);
        LogPoisoned(logger, queue.Name, id, attempts);
        nudger?.Nudge(function.QueueName + "-poison");
    }

    /// <summary>host.json messageEncoding base64: the function sees the decoded text (text that is not Base64 as is).</summary>
    private BinaryData Decode(string text)
    {
        if (string.Equals(_q.MessageEncoding, "base64", StringComparison.OrdinalIgnoreCase))
        {
            var buffer = new byte[text.Length];
            if (Convert.TryFromBase64String(text, buffer, out var n))
            {
                return BinaryData.FromBytes(buffer.AsMemory(0, n));
            }
        }
        return BinaryData.FromString(text);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Polling queue {Queue} failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Message {MessageId} on {Queue} failed {Attempts} times; moved to the poison queue")]
    private static partial void LogPoisoned(ILogger logger, string queue, string messageId, long attempts);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "{Function} failed on message {MessageId} (attempt {Attempt})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, string messageId, long attempt);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "{Function} will retry message {MessageId}: {Reason}")]
    private static partial void LogRetryLater(ILogger logger, string function, string messageId, string reason);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Could not settle message {MessageId} on {Queue}")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string queue, string messageId);
}
