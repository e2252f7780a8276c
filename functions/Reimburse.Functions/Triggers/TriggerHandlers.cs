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
