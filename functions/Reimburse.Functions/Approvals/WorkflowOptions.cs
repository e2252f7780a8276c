using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Approvals;

/// <summary>Settings of the durable approval runtime (section Reimburse:Workflow).</summary>
public sealed class WorkflowOptions
{
    public const string Section = "Reimburse:Workflow";

    /// <summary>How fast workflow time runs against the wall clock. 1 in production; e.g. 240 in a demo makes a working
    /// hour pass in 15 seconds, so reminders and escalations show up in minutes.</summary>
    [Range(0.001, 10_000_000)]
    public double ClockSpeed { get; set; } = 1;

    /// <summary>Workflow time at process start (demos and tests: start on a Tuesday morning). Empty: the real time.</summary>
    public DateTimeOffset? ClockStart { get; set; }

    /// <summary>HMAC-SHA256 key (Base64, ≥ 32 bytes) for one-click approve/reject links. Empty: a random key per process
    /// (links then die with the process; set it in any multi-instance deployment).</summary>
    public string? LinkKey { get; set; }

    /// <summary>How long a one-click link stays valid.</summary>
    [Range(1, 60 * 24 * 30)]
    public int LinkMinutes { get; set; } = 3 * 24 * 60;

    /// <summary>Base address put in front of /api/links/{token} in notifications.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:7071";

    /// <summary>A claim still marked DispatchPending this long after its last change is dispatched by the sweeper
    /// (the in-process dispatch right after commit normally clears it within milliseconds).</summary>
    [Range(1, 3600)]
    public int SweepAfterSeconds { get; set; } = 60;

    /// <summary>Sweeper period (a divisor of 60).</summary>
    [Range(1, 60)]
    public int SweepEverySeconds { get; set; } = 15;

    /// <summary>Claims dispatched in parallel by the in-process background dispatcher. A dispatch mostly waits (effects, then
    /// the group-committed index rows, then the marker), so this is a bound on requests in flight, not on threads.</summary>
    [Range(1, 256)]
    public int DispatchConcurrency { get; set; } = 64;

    /// <summary>The notification lease a commit grants the process that made it: that process may send the transition's
    /// notifications itself during the first third (each send cut off at five sixths); any other instance waits until the
    /// lease is over before taking them over (see <see cref="WorkflowNotifications"/>). Longer than any channel's time-out.</summary>
    [Range(3, 3600)]
    public int NotificationLeaseSeconds { get; set; } = 90;

    /// <summary>How long the dispatcher waits for one channel before handing the notification to the retry outbox (which
    /// allows the channel its full time-out). A channel that failed or timed out is then skipped by the dispatcher for
    /// <see cref="ChannelBackoffSeconds"/>, so a dead channel costs the dispatch nothing.</summary>
    [Range(1, 60)]
    public int DirectSendTimeoutSeconds { get; set; } = 10;

    /// <summary>See <see cref="DirectSendTimeoutSeconds"/>.</summary>
    [Range(1, 3600)]
    public int ChannelBackoffSeconds { get; set; } = 30;
}

/// <summary>Workflow time: the wall clock, optionally shifted (ClockStart) and sped up (ClockSpeed) for demos. Timers are
/// computed in workflow time and their queue delays converted back to real time.</summary>
public sealed class WorkflowClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _realStart;
    private readonly DateTimeOffset _workflowStart;

    public WorkflowClock(TimeProvider inner, IOptions<WorkflowOptions> options)
    {
        _inner = inner;
        Speed = options.Value.ClockSpeed;
        _realStart = inner.GetUtcNow();
        _workflowStart = options.Value.ClockStart ?? _realStart;
    }

    public double Speed { get; }

    public override DateTimeOffset GetUtcNow() => _workflowStart + (_inner.GetUtcNow() - _realStart) * Speed;

    /// <summary>The real-time wait until workflow instant <paramref name="due"/> (zero when it is past).</summary>
    public TimeSpan RealDelayUntil(DateTimeOffset due)
    {
        var d = (due - GetUtcNow()) / Speed;
        return d > TimeSpan.Zero ? d : TimeSpan.Zero;
    }
}
