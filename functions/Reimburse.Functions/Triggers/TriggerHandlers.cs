namespace Reimburse.Functions.Triggers;

/// <summary>One queue message as delivered by the Functions host or by the standalone poller.</summary>
public sealed record QueueInvocation(string MessageText, long DequeueCount, DateTimeOffset? InsertionTime, string? MessageId, string InvocationId);

/// <summary>A timer tick.</summary>
public sealed record TimerInvocation(DateTimeOffset ScheduledFor, bool IsPastDue, string InvocationId);

/// <summary>Thrown by a handler that wants the message delivered again later (not a bug, not poison yet).</summary>
public sealed class RetryLaterException(string reason) : Exception(reason);

/// <summary>A queue-triggered function. The same handler runs under the Functions host and standalone.</summary>
public interface IQueueHandler
{
    /// <summary>Function name: the folder of its function.json and the custom handler route (POST /{name}).</summary>
    string FunctionName { get; }

    /// <summary>Queue name without the resource prefix.</summary>
    string QueueName { get; }

    Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default);
}

/// <summary>A timer-triggered function.</summary>
public interface ITimerHandler
{
    string FunctionName { get; }

    /// <summary>Six-field NCRONTAB (second minute hour day month day-of-week), UTC.</summary>
    string Schedule { get; }

    Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default);
}

/// <summary>Hands a queue message or timer tick to the feature's handler of the same function name (looked up, so a
/// test can swap a handler in DI).</summary>
public sealed class TriggerDispatch(IEnumerable<IQueueHandler> queues, IEnumerable<ITimerHandler> timers, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Hosting.StandaloneOptions> standalone)
{
    public async Task QueueAsync(string functionName, Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken = default)
    {
        var handler = queues.Single(q => q.FunctionName == functionName);
        try
        {
            await handler.HandleAsync(
                new QueueInvocation(message.Body?.ToString() ?? message.MessageText ?? "", message.DequeueCount, message.InsertedOn, message.MessageId, Guid.NewGuid().ToString()),
                cancellationToken);
        }
        // The last attempt failed: the host moves the message to <queue>-poison (counted for the poison-message alert).
        catch (Exception) when (message.DequeueCount >= standalone.Value.MaxDequeueCount && !cancellationToken.IsCancellationRequested
                                && CountPoisoned(handler.QueueName))
        {
            throw; // not reached (the filter returns false)
        }
    }

    private static bool CountPoisoned(string queue)
    {
        Hosting.ReimburseTelemetry.MessagePoisoned(queue);
        return false;
    }

    public Task TimerAsync(string functionName, Microsoft.Azure.Functions.Worker.TimerInfo timer, CancellationToken cancellationToken = default) =>
        timers.Single(t => t.FunctionName == functionName).RunAsync(new TimerInvocation(clock.GetUtcNow(), timer.IsPastDue, Guid.NewGuid().ToString()), cancellationToken);
}
