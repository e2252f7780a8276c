using System.Text.Json.Serialization;

namespace Reimburse.Core.Approvals;

/// <summary>Lifecycle of a claim's approval. Approved, Rejected and Withdrawn are final.</summary>
public enum WorkflowStatus { NotStarted, Pending, Returned, Approved, Rejected, Withdrawn }

/// <summary>What an approver decided.</summary>
public enum Decision { Approve, Reject, Return }

/// <summary>What a timer is for.</summary>
public enum TimerKind { Reminder, Escalation, Rung }

/// <summary>An input to the approval workflow. Time is passed separately to <see cref="ApprovalWorkflow.Decide"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Submitted), "submitted")]
[JsonDerivedType(typeof(DecisionMade), "decisionMade")]
[JsonDerivedType(typeof(TimerFired), "timerFired")]
[JsonDerivedType(typeof(Withdrawn), "withdrawn")]
[JsonDerivedType(typeof(Resubmitted), "resubmitted")]
public abstract record WorkflowInput;

/// <summary>The claim was submitted with its planned route.</summary>
public sealed record Submitted(string ClaimantId, string SubmitterId, Money Amount, Route Route) : WorkflowInput;

/// <summary>
/// An approver decided. Round/StepIndex are what the approver saw (from a link or the pending list); when given
/// and the claim has moved on, the decision is refused as <see cref="WorkflowErrorCode.StepAlreadyDecided"/>.
/// </summary>
public sealed record DecisionMade(string Actor, Decision Decision, string? Comment, int? Round = null, int? StepIndex = null, string? ReasonCode = null) : WorkflowInput;

/// <summary>A timer scheduled by <see cref="ScheduleTimer"/> came due (possibly late, early or twice).</summary>
/// <param name="UserId">For a ladder rung: the approver it reaches; <paramref name="Rung"/> its index in the step's ladder.</param>
public sealed record TimerFired(string TimerId, TimerKind Kind, int Round, int StepIndex, int EscalationLevel, string? UserId = null, int Rung = 0) : WorkflowInput;

/// <summary>The claimant (or whoever submitted for them) withdrew the claim.</summary>
public sealed record Withdrawn(string Actor, string? Reason) : WorkflowInput;

/// <summary>
/// A returned claim was amended and submitted again. Carries a fresh route planned by the runtime for the amended
/// claim under the current policy; the workflow restarts at step 0 of it and earlier signatures no longer count.
/// </summary>
public sealed record Resubmitted(string Actor, Money Amount, Route Route, string? Comment) : WorkflowInput;

/// <summary>A side effect for the runtime to carry out (through the outbox) after it stores the new state.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Notify), "notify")]
[JsonDerivedType(typeof(ScheduleTimer), "scheduleTimer")]
[JsonDerivedType(typeof(CancelTimer), "cancelTimer")]
[JsonDerivedType(typeof(PostToLedger), "postToLedger")]
[JsonDerivedType(typeof(AppendAudit), "appendAudit")]
[JsonDerivedType(typeof(Reach), "reach")]
public abstract record WorkflowEffect;

/// <summary>Send a notification built from a template (see <see cref="NotificationTemplates"/>).</summary>
public sealed record Notify(IReadOnlyList<string> Recipients, string Template, IReadOnlyDictionary<string, string> Data) : WorkflowEffect;

/// <summary>Deliver a <see cref="TimerFired"/> with these fields at DueAt (the timer id is deterministic and unique per claim).</summary>
public sealed record ScheduleTimer(string TimerId, DateTimeOffset DueAt, TimerKind Kind, int Round, int StepIndex, int EscalationLevel, string? UserId = null, int Rung = 0) : WorkflowEffect
{
    /// <summary>The input to feed back when the timer fires.</summary>
    public TimerFired ToInput() => new(TimerId, Kind, Round, StepIndex, EscalationLevel, UserId, Rung);
}

/// <summary>The timer is no longer wanted. Best effort: a timer that fires anyway is a stale no-op.</summary>
public sealed record CancelTimer(string TimerId) : WorkflowEffect;

/// <summary>The claim is fully approved: hand it to accounting.</summary>
public sealed record PostToLedger(string ClaimId, string ClaimantId, Money Amount, DateTimeOffset ApprovedAt) : WorkflowEffect;

/// <summary>Append an entry to the claim's audit chain.</summary>
public sealed record AppendAudit(string Action, string? Actor, IReadOnlyDictionary<string, string> Details) : WorkflowEffect;

/// <summary>Template names used in <see cref="Notify"/> effects.</summary>
public static class NotificationTemplates
{
    public const string ApprovalRequested = "approval-requested";
    public const string ApprovalReminder = "approval-reminder";
    public const string ApprovalEscalated = "approval-escalated";
    public const string ClaimApproved = "claim-approved";
    public const string ClaimRejected = "claim-rejected";
    public const string ClaimReturned = "claim-returned";
    public const string ClaimWithdrawn = "claim-withdrawn";
}

/// <summary>Why an input was refused. The suggested HTTP status is in <see cref="WorkflowError.HttpStatus"/>.</summary>
public enum WorkflowErrorCode
{
    /// <summary>The claim has no workflow yet.</summary>
    NotStarted,

    /// <summary>Submitted twice.</summary>
    AlreadySubmitted,

    /// <summary>The actor may not decide the current step (also: not a delegate of anyone who may).</summary>
    NotCurrentApprover,

    /// <summary>The step the actor decided has moved on, or the claim is back with the claimant.</summary>
    StepAlreadyDecided,

    /// <summary>The actor already signed this step; one person counts once.</summary>
    AlreadySigned,

    /// <summary>The claim is approved, rejected or withdrawn.</summary>
    ClaimFinal,

    /// <summary>Nobody decides a claim they made or submitted.</summary>
    SelfApprovalForbidden,

    /// <summary>Only the claimant or the submitter may withdraw or resubmit.</summary>
    NotClaimant,

    /// <summary>Resubmission of a claim that was not returned.</summary>
    NotReturned,

    /// <summary>Reject and return need a comment for the claimant.</summary>
    CommentRequired,

    /// <summary>Reject and return need a reason code from <see cref="DecisionReasons"/>; approve takes none.</summary>
    ReasonCodeInvalid,

    /// <summary>The route in the input is unusable (no steps, empty slot, or the claimant/submitter in it).</summary>
    InvalidRoute,
}

/// <summary>A refused input, with a message safe to show to the caller.</summary>
public sealed record WorkflowError(WorkflowErrorCode Code, string Message)
{
    /// <summary>Suggested HTTP status: 403 for who-may-act errors, 400 for bad input, otherwise 409.</summary>
    public int HttpStatus => Code switch
    {
        WorkflowErrorCode.NotCurrentApprover or WorkflowErrorCode.SelfApprovalForbidden or WorkflowErrorCode.NotClaimant => 403,
        WorkflowErrorCode.CommentRequired or WorkflowErrorCode.ReasonCodeInvalid or WorkflowErrorCode.InvalidRoute => 400,
        WorkflowErrorCode.NotStarted => 404,
        _ => 409,
    };
}

/// <summary>Why an input was acknowledged without a transition.</summary>
public enum IgnoredReason
{
    /// <summary>The timer is not (or no longer) armed: its step moved on, it was cancelled, or it already fired.</summary>
    StaleTimer,

    /// <summary>The timer fired before its due time (long waits are re-armed); schedule it again for <see cref="Ignored.RearmAt"/>.</summary>
    TimerNotDue,
}

/// <summary>Result of <see cref="ApprovalWorkflow.Decide"/>.</summary>
public abstract record DecideResult;

/// <summary>The input was accepted: store <see cref="State"/> (its Version is one higher) and carry out the effects, in order.</summary>
public sealed record Transitioned(WorkflowState State, IReadOnlyList<WorkflowEffect> Effects) : DecideResult;

/// <summary>A typed no-op: acknowledge the message, change nothing (re-arm the timer if <see cref="RearmAt"/> is set).</summary>
public sealed record Ignored(IgnoredReason Reason, string Message, DateTimeOffset? RearmAt = null) : DecideResult;

/// <summary>The input is invalid in this state; nothing changed.</summary>
public sealed record Refused(WorkflowError Error) : DecideResult;
