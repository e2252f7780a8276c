using System.Collections.Concurrent;

namespace Reimburse.Functions.Triggers;

/// <summary>Lets code that just enqueued wake the standalone poller of that queue instead of waiting for its back-off.</summary>
public sealed class QueueNudger
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);

    public void Nudge(string queueName)
    {
        var s = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0, 1));
        if (s.CurrentCount == 0)
        {
            try { s.Release(); } catch (SemaphoreFullException) { }
        }
    }

    /// <summary>Waits for a nudge or the delay, whichever comes first.</summary>
    public Task WaitAsync(string queueName, TimeSpan delay, CancellationToken cancellationToken) =>
        _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0, 1)).WaitAsync(delay, cancellationToken);
}
