namespace Reimburse.Core.Approvals;

/// <summary>A signature on one slot of the current step.</summary>
/// <param name="OnBehalfOf">The approver the actor stood in for as delegate, if any.</param>
public sealed record Signature(string Actor, string? OnBehalfOf, DateTimeOffset At, string? Comment);

/// <summary>A timer the workflow has armed and not yet seen fire.</summary>
public sealed record ArmedTimer(string Id, TimerKind Kind, DateTimeOffset DueAt, int Round, int StepIndex, int EscalationLevel, string? UserId = null, int Rung = 0)
{
    /// <summary>The input this timer feeds back when it fires.</summary>
    public TimerFired ToInput() => new(Id, Kind, Round, StepIndex, EscalationLevel, UserId, Rung);
}

/// <summary>One line of the claim's workflow history.</summary>
/// <param name="ReasonCode">The <see cref="DecisionReasons"/> code of a rejection or return.</param>
public sealed record HistoryEntry(DateTimeOffset At, string Action, string? Actor, string? OnBehalfOf, int Round, int? StepIndex, string? Detail, string? ReasonCode = null);

/// <summary>
/// The stored state of one claim's approval workflow. Serialise it with <see cref="ApprovalJson.Options"/>.
/// Version goes up by one on every accepted input, which gives the runtime an ETag-like sequence and an
/// idempotency key prefix for the effects of that transition.
/// </summary>
/// <param name="Round">1 for the first submission, +1 for each resubmission.</param>
/// <param name="Slots">Signatures of the current step, one entry per slot (null: not signed yet).</param>
public sealed record WorkflowState(
    string ClaimId,
    WorkflowStatus Status,
    string ClaimantId,
    string SubmitterId,
    Money Amount,
    Route? Route,
    int Round,
    int StepIndex,
    int EscalationLevel,
    DateTimeOffset? StepStartedAt,
    IReadOnlyList<Signature?> Slots,
    IReadOnlyList<ArmedTimer> Timers,
    IReadOnlyList<HistoryEntry> History,
    int Version,
    IReadOnlyList<ReachRecord>? Reaches = null)
{
    /// <summary>The state of a claim before <see cref="Submitted"/>.</summary>
    public static WorkflowState New(string claimId) =>
        new(claimId, WorkflowStatus.NotStarted, "", "", default, null, 0, 0, 0, null, [], [], [], 0);

    public bool IsFinal => Status is WorkflowStatus.Approved or WorkflowStatus.Rejected or WorkflowStatus.Withdrawn;

    /// <summary>The step waiting for signatures, when pending.</summary>
    public RouteStep? CurrentStep => Status == WorkflowStatus.Pending && Route is { } r ? r.Steps[StepIndex] : null;
}

/// <summary>What the workflow needs besides the state: the company calendar (for timers) and delegations in force.</summary>
/// <param name="Delegations">Policy delegations plus any recorded at runtime; only those active on the local date count.</param>
/// <param name="Offices">Offices by id; a person's office decides the calendar their reminders, rungs and escalations count in.</param>
/// <param name="People">Per user: office, phone, language, opt-outs and today's SMS / call count (for the ladder).</param>
public sealed record WorkflowContext(
    WorkingCalendar Calendar,
    IReadOnlyList<Delegation> Delegations,
    IReadOnlyDictionary<string, Office>? Offices = null,
    IReadOnlyDictionary<string, Person>? People = null)
{
    /// <summary>The person's entry, if the context knows them.</summary>
    public Person? PersonOf(string userId) => People?.GetValueOrDefault(userId);

    /// <summary>The person's office, if they have one the context knows.</summary>
    public Office? OfficeOf(string userId) =>
        PersonOf(userId)?.OfficeId is { } id && Offices?.GetValueOrDefault(id) is { } office ? office : null;

    /// <summary>The calendar of the person who must act: their office's, else the company's.</summary>
    public WorkingCalendar CalendarFor(string userId) => OfficeOf(userId)?.Calendar ?? Calendar;

    /// <summary>The policy's calendar with its standing delegations plus those recorded at runtime.</summary>
    public static WorkflowContext For(ApprovalPolicy policy, IEnumerable<Delegation>? runtimeDelegations = null) =>
        new(policy.Calendar, [.. policy.Delegations, .. runtimeDelegations ?? []], policy.Offices);
}
