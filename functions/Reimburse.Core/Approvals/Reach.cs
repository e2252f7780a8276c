namespace Reimburse.Core.Approvals;

/// <summary>How a rung of the reminder ladder reaches an approver after the chat / e-mail request.</summary>
public enum ReachChannel { Sms, Call }

/// <summary>One rung: after <paramref name="After"/> (working time of the approver's office, or wall time for an urgent
/// claim) from the step's start or latest escalation, if the approver is still waiting, reach them on <paramref name="Channel"/>.</summary>
public sealed record LadderRung(ReachChannel Channel, TimeSpan After);

/// <summary>
/// The policy's reminder ladder (DingTalk's "DING": chat, then SMS, then a voice call). The chat / e-mail request is the
/// ladder's first rung and is always sent; <see cref="Default"/>, <see cref="Levels"/> and <see cref="Urgent"/> list the
/// rungs that follow. An urgent claim uses <see cref="Urgent"/> (when set) and ignores working hours.
/// </summary>
/// <param name="DailyCapPerApprover">At most this many SMS + calls per approver per local day, across all claims.</param>
public sealed record ReachPolicy(
    IReadOnlyList<LadderRung> Default,
    IReadOnlyDictionary<string, IReadOnlyList<LadderRung>> Levels,
    IReadOnlyList<LadderRung>? Urgent,
    int DailyCapPerApprover)
{
    /// <summary>The rungs for a step of level <paramref name="levelId"/>.</summary>
    public IReadOnlyList<LadderRung> For(string levelId, bool urgent) =>
        urgent && Urgent is not null ? Urgent : Levels.TryGetValue(levelId, out var rungs) ? rungs : Default;
}

/// <summary>An office: where a person works, in which time zone, on which calendar.</summary>
/// <param name="TimeZone">IANA id shown to people (times are computed with the calendar's fixed offset).</param>
public sealed record Office(string Id, string Name, string TimeZone, WorkingCalendar Calendar);

/// <summary>What the ladder needs to know about one person: office, phone (E.164), language, opt-outs, and how many
/// SMS / calls they already got today (their local date), counted across claims by the runtime.</summary>
/// <param name="Language">"zh-HK" or "en": the language of the voice call and SMS.</param>
public sealed record Person(string UserId, string? OfficeId, string? Phone, string Language, bool SmsOff, bool CallsOff, int ReachedToday = 0);

/// <summary>Where a rung of the ladder stands: <c>scheduled</c> (armed timer), <c>due</c> (handed to the provider; the
/// runtime adds the delivery state), or skipped: <c>opted-out</c>, <c>no-phone</c>, <c>daily-cap</c>.</summary>
public static class RungStates
{
    public const string Scheduled = "scheduled";
    public const string Due = "due";
    public const string OptedOut = "opted-out";
    public const string NoPhone = "no-phone";
    public const string DailyCap = "daily-cap";
}

/// <summary>A rung that came due, and what the workflow did with it.</summary>
/// <param name="Key">The <see cref="Reach"/> effect's key when one was emitted (<see cref="ApprovalWorkflow.EffectKey"/>).</param>
public sealed record ReachRecord(string? Key, string UserId, ReachChannel Channel, int Rung, int Round, int StepIndex, DateTimeOffset DueAt, DateTimeOffset At, string State);

/// <summary>Reach one approver by SMS or a voice call (exactly once by the effect key). <see cref="Data"/> is the
/// template data of the step (claim id, amount, step name) plus <c>rung</c>.</summary>
public sealed record Reach(string UserId, ReachChannel Channel, string Phone, string Language, int Rung, IReadOnlyDictionary<string, string> Data) : WorkflowEffect;

/// <summary>A rung as GET /api/claims/{id}/workflow shows it.</summary>
/// <param name="TimeZone">The approver's office time zone (IANA id): show <paramref name="DueAt"/> in it.</param>
/// <param name="Delivery">Filled by the runtime from the rung's delivery record: sending, sent, failed, logged.</param>
/// <param name="ProviderStatus">The provider's last report (Twilio: queued, sent, delivered, undelivered, completed, no-answer, …).</param>
/// <param name="Keypress">What the approver pressed during the call ("1: link sent").</param>
public sealed record RungView(string UserId, ReachChannel Channel, int Rung, DateTimeOffset DueAt, string State, string? Key, string? TimeZone = null,
    string? Delivery = null, string? ProviderStatus = null, string? Keypress = null);
