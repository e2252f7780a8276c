using Reimburse.Core.Approvals;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Approvals;

/// <summary>Queue message on workflow-timers: the timers one transition armed. It becomes visible at the earliest due time
/// (at most 7 days ahead) and is re-enqueued with whatever is not due yet.</summary>
public sealed record WorkflowTimersDue(string ClaimId, IReadOnlyList<ScheduleTimer> Timers);

/// <summary>Durable timers: feeds due timers to the state machine (TimerFired). A timer whose step moved on is Ignored
/// (StaleTimer) and simply acknowledged; one that came back early (queue delays stop at 7 days) is re-armed.</summary>
public sealed partial class WorkflowTimerHandler(
    ClaimStore claims,
    PolicyProvider policies,
    WorkflowClock workflowClock,
    ReimburseStorage storage,
    QueueNudger nudger,
    TimeProvider clock,
    ILogger<WorkflowTimerHandler> logger) : IQueueHandler
{
    public const string Queue = "workflow-timers";

    public string FunctionName => "WorkflowTimers";
    public string QueueName => Queue;

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        var message = QueueMessages.Decode<WorkflowTimersDue>(invocation.MessageText);
        // Queue delays have whole-second resolution and clocks differ by milliseconds: a timer due within a second is
        // waited for here rather than sent round the queue again.
        var wait = workflowClock.RealDelayUntil(message.Timers.Min(t => t.DueAt));
        if (wait > TimeSpan.Zero && wait <= TimeSpan.FromSeconds(1))
        {
            await Task.Delay(wait + TimeSpan.FromMilliseconds(5), cancellationToken);
        }
        var now = workflowClock.GetUtcNow();
        // Most timers come back after their step was decided. A committed state this process remembers that has moved past
        // a timer's step proves it stale for good (ApprovalWorkflow.IsObsolete): drop it without reading the claim.
        var timers = message.Timers;
        if (claims.Remembered(message.ClaimId) is { } remembered)
        {
            var known = WorkflowRows.ReadState(remembered);
            timers = timers.Where(t => !ApprovalWorkflow.IsObsolete(known, t)).ToList();
        }
        var due = timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).ToList();
        var later = timers.Where(t => t.DueAt > now).ToList();
        WorkflowState? seen = null;
        if (due.Count > 0)
        {
            var context = await policies.ContextAsync(cancellationToken);
            foreach (var timer in due)
            {
                DateTimeOffset? rearm = null;
                var (_, error) = await claims.ChangeAsync(message.ClaimId, current =>
                {
                    seen = WorkflowRows.ReadState(current);
                    var result = ApprovalWorkflow.Decide(seen, timer.ToInput(), workflowClock.GetUtcNow(), context);
                    switch (result)
                    {
                        case Transitioned t:
                            return (WorkflowRows.ToChange(current, t, clock.GetUtcNow(), "system", null), null);
                        case Ignored { RearmAt: { } at }:
                            rearm = at;
                            return (null, new ClaimTransitionError("not-due", "Timer fired early."));
                        case Ignored i:
                            rearm = null;
                            return (null, new ClaimTransitionError("stale", i.Message));
                        case Refused r:
                            rearm = null;
                            return (null, WorkflowRows.ToError(r.Error));
                        default:
                            return (null, new ClaimTransitionError("unknown", result.ToString()));
                    }
                }, cancellationToken);
                if (rearm is { } at)
                {
                    later.Add(timer with { DueAt = at });
                }
                LogFired(logger, timer.TimerId, error?.Code ?? "fired");
            }
        }
        if (seen is not null)
        {
            // The later timers of a step that has moved on (say the escalation, once the reminder came back stale) would
            // only come back stale too: do not send them round the queue again.
            later = later.Where(t => !ApprovalWorkflow.IsObsolete(seen, t)).ToList();
        }
        if (later.Count > 0)
        {
            await EnqueueAsync(storage, workflowClock, nudger, message.ClaimId, later, cancellationToken);
        }
    }

    /// <summary>Puts one delayed message for the timers, visible at the earliest due time (capped at 7 days).</summary>
    public static async Task EnqueueAsync(ReimburseStorage storage, WorkflowClock workflowClock, QueueNudger nudger, string claimId, IReadOnlyList<ScheduleTimer> timers, CancellationToken cancellationToken = default)
    {
        var delay = workflowClock.RealDelayUntil(timers.Min(t => t.DueAt));
        // Round up: the service counts whole seconds, and a message that came back early would only be re-armed.
        delay = delay > ClaimDispatcher.MaxQueueDelay ? ClaimDispatcher.MaxQueueDelay : TimeSpan.FromSeconds(Math.Ceiling(delay.TotalSeconds));
        await storage.Queue(Queue).SendMessageAsync(QueueMessages.Encode(new WorkflowTimersDue(claimId, timers)),
            delay > TimeSpan.Zero ? delay : null, TimeSpan.FromSeconds(-1), cancellationToken);
        if (delay == TimeSpan.Zero)
        {
            nudger.Nudge(Queue);
        }
    }

    [LoggerMessage(EventId = 4300, Level = LogLevel.Debug, Message = "Timer {TimerId}: {Outcome}")]
    private static partial void LogFired(ILogger logger, string timerId, string outcome);
}
