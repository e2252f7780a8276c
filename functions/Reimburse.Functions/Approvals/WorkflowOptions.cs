using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Approvals;

/// <summary>Settings of the approval workflow (section Reimburse:Workflow).</summary>
public sealed class WorkflowOptions
{
    public const string Section = "Reimburse:Workflow";

    /// <summary>How fast workflow time runs against the wall clock. 1 in production; e.g. 240 in a demo makes a working
    /// hour pass in 15 seconds, so reminders and escalations show up in minutes.</summary>
    [Range(0.001, 10_000_000)]
    public double ClockSpeed { get; set; } = 1;

    /// <summary>Workflow time at process start (demos and tests: start on a Tuesday morning). Empty: the real time.</summary>
    public DateTimeOffset? ClockStart { get; set; }

    /// <summary>How often (real seconds) a waiting orchestration wakes to look for inputs that were accepted (their row
    /// written) but whose event was lost with a crashed process. Timers and events wake it sooner.</summary>
    [Range(1, 86_400)]
    public double RecheckSeconds { get; set; } = 300;

    /// <summary>HMAC-SHA256 key (Base64, ≥ 32 bytes) for one-click approve/reject links. Empty: a random key per process
    /// (links then die with the process; set it in any multi-instance deployment).</summary>
    public string? LinkKey { get; set; }

    /// <summary>How long a one-click link stays valid.</summary>
    [Range(1, 60 * 24 * 30)]
    public int LinkMinutes { get; set; } = 3 * 24 * 60;

    /// <summary>Base address put in front of /api/links/{token} in notifications.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:7071";

    /// <summary>How long a notification activity waits for one channel before handing the notification to the retry outbox
    /// (which allows the channel its full time-out). A channel that failed or timed out is then skipped by direct sends for
    /// <see cref="ChannelBackoffSeconds"/>, so a dead channel costs the dispatch nothing.</summary>
    [Range(1, 60)]
    public int DirectSendTimeoutSeconds { get; set; } = 10;

    /// <summary>See <see cref="DirectSendTimeoutSeconds"/>.</summary>
    [Range(1, 3600)]
    public int ChannelBackoffSeconds { get; set; } = 30;
}

/// <summary>Workflow time: the wall clock, optionally shifted (ClockStart) and sped up (ClockSpeed) for demos. Timers are
/// computed in workflow time and converted back to real time for the engine's durable timers (<see cref="ClockAnchor"/>).</summary>
public sealed class WorkflowClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _realStart;
    private readonly DateTimeOffset _workflowStart;
    private readonly double _recheckSeconds;

    public WorkflowClock(TimeProvider inner, IOptions<WorkflowOptions> options)
    {
        _inner = inner;
        Speed = options.Value.ClockSpeed;
        _recheckSeconds = options.Value.RecheckSeconds;
        _realStart = inner.GetUtcNow();
        _workflowStart = options.Value.ClockStart ?? _realStart;
    }

    public double Speed { get; }

    /// <summary>This clock as a pure function of real time, for orchestrations (which may not read a clock).</summary>
    public ClockAnchor Anchor => new(_realStart, _workflowStart, Speed, _recheckSeconds);

    public override DateTimeOffset GetUtcNow() => _workflowStart + (_inner.GetUtcNow() - _realStart) * Speed;

    /// <summary>The real-time wait until workflow instant <paramref name="due"/> (zero when it is past).</summary>
    public TimeSpan RealDelayUntil(DateTimeOffset due)
    {
        var d = (due - GetUtcNow()) / Speed;
        return d > TimeSpan.Zero ? d : TimeSpan.Zero;
    }
}
