using System.Globalization;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Reimburse.Core.Approvals;

namespace Reimburse.Functions.Approvals;

/// <summary>Workflow time as a pure function of engine time: <c>Workflow + (real - Real) * Speed</c>. Taken from the
/// <see cref="WorkflowClock"/> when a claim's orchestration starts and carried in its input, so replays compute the same
/// instants (demos and tests run workflow time faster, from a fixed Tuesday morning). <paramref name="RecheckSeconds"/>: how
/// often (real time) a waiting orchestration wakes to look for accepted inputs whose event was lost.</summary>
public sealed record ClockAnchor(DateTimeOffset Real, DateTimeOffset Workflow, double Speed, double RecheckSeconds = 300)
{
    public TimeSpan Recheck => TimeSpan.FromSeconds(RecheckSeconds > 0 ? RecheckSeconds : 300);

    public DateTimeOffset ToWorkflow(DateTime realUtc) =>
        Workflow + (new DateTimeOffset(DateTime.SpecifyKind(realUtc, DateTimeKind.Utc)) - Real) * Speed;

    public DateTime ToReal(DateTimeOffset workflow) => (Real + (workflow - Workflow) / Speed).UtcDateTime;
}

/// <summary>The serialisable part of a <see cref="WorkflowContext"/>: the calendar and the delegations in force when it
/// was read (a decision carries the context the HTTP call authorised it with, so the orchestrator replays it exactly).</summary>
public sealed record WorkflowContextData(
    string UtcOffset, IReadOnlyList<DayOfWeek> WorkDays, string Opens, string Closes, IReadOnlyList<DateOnly> Holidays, IReadOnlyList<Delegation> Delegations,
    IReadOnlyList<OfficeData>? Offices = null, IReadOnlyList<Person>? People = null)
{
    public static WorkflowContextData From(WorkflowContext context)
    {
        var c = context.Calendar;
        return new(c.UtcOffset.ToString("c", CultureInfo.InvariantCulture), [.. c.WorkDays.Order()], c.Opens.ToString("HH:mm", CultureInfo.InvariantCulture),
            c.Closes.ToString("HH:mm", CultureInfo.InvariantCulture), [.. c.Holidays.Order()], [.. context.Delegations],
            context.Offices?.Values.Select(o => new OfficeData(o.Id, o.Name, o.TimeZone, [.. o.Calendar.Holidays.Order()], [.. o.Calendar.MakeUpWorkingDays.Order()])).ToList(),
            context.People?.Values.ToList());
    }

    public WorkflowContext ToContext()
    {
        var offset = TimeSpan.Parse(UtcOffset, CultureInfo.InvariantCulture);
        var opens = TimeOnly.Parse(Opens, CultureInfo.InvariantCulture);
        var closes = TimeOnly.Parse(Closes, CultureInfo.InvariantCulture);
        return new(
            new WorkingCalendar(offset, WorkDays, opens, closes, Holidays),
            Delegations,
            Offices?.ToDictionary(o => o.Id, o => new Office(o.Id, o.Name, o.TimeZone, new WorkingCalendar(offset, WorkDays, opens, closes, o.Holidays, o.MakeUpWorkingDays)), StringComparer.Ordinal),
            People?.ToDictionary(p => p.UserId, StringComparer.Ordinal));
    }
}

/// <summary>An office as carried in <see cref="WorkflowContextData"/>: the company's hours, its own days off and make-up days.</summary>
public sealed record OfficeData(string Id, string Name, string TimeZone, IReadOnlyList<DateOnly> Holidays, IReadOnlyList<DateOnly> MakeUpWorkingDays);

/// <summary>External event "workflow": an input for the approval state machine (a decision, a withdrawal — or, to the
/// claim orchestration of a returned claim, a resubmission), with the context it was checked against and who sent it.</summary>
/// <param name="Input">A <see cref="WorkflowInput"/> as <see cref="ApprovalJson"/>; null for a resubmission signal.</param>
public sealed record WorkflowEvent(string? Input, WorkflowContextData? Context, string? ActorRole, string? SourceIp, bool Resubmit = false);

/// <summary>Input of one approval round (<see cref="ApprovalOrchestration"/>): the state so far, the input that starts the
/// round (Submitted, Resubmitted, or Withdrawn of a returned claim) and the workflow context and clock.</summary>
public sealed record ApprovalRun(string ClaimId, string State, string? Start, WorkflowContextData Context, ClockAnchor Clock, string? ActorRole = null, string? SourceIp = null);

/// <summary>An effect with its idempotency key (<see cref="ApprovalWorkflow.EffectKey"/>).</summary>
public sealed record KeyedEffect(string Key, int Version, int Index, string Effect);

/// <summary>How a round ended: the state (final or returned) and the effects left to the claim orchestration — the ledger
/// post and the claimant's approval notice, carried out after the round in that order.</summary>
public sealed record ApprovalOutcome(string State, IReadOnlyList<KeyedEffect> Completion);

/// <summary>What the orchestration shows as its custom status: where the claim is (the full view is built from the
/// committed state by GET /api/claims/{id}/workflow).</summary>
public sealed record ApprovalProgress(string Status, int Round, int Step, int EscalationLevel, int Version, IReadOnlyList<string> WaitingOn, DateTimeOffset? NextTimerAt);

/// <summary>JSON of the domain records passed through the engine (polymorphic inputs and effects, enums as names).</summary>
public static class WorkflowJson
{
    public static string Of<T>(T value) => JsonSerializer.Serialize(value, ApprovalJson.Options);

    public static T To<T>(string json) => JsonSerializer.Deserialize<T>(json, ApprovalJson.Options) ?? throw new JsonException($"Empty {typeof(T).Name}.");
}

/// <summary>
/// One approval round of a claim, instance <c>{claimId}:r{round}</c>: the human-interaction pattern around the pure
/// <see cref="ApprovalWorkflow.Decide"/>. Each accepted input's effects run as activities (commit state + audit, then
/// notifications); then it waits for whichever comes first, a "workflow" event or the next due timer. Deterministic: time
/// only from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>, everything with I/O in an activity.
/// </summary>
public sealed partial class ApprovalOrchestration
{
    public const string EventName = "workflow";

    /// <summary>Activities that write storage retry on transient failures (each is idempotent by key).</summary>
    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(8, TimeSpan.FromMilliseconds(500), 2, TimeSpan.FromSeconds(30)));

    /// <summary>A timer that the engine fired early is waited for again until this much past its due time. The queue's
    /// visibility delay counts whole seconds, so a wait of under a second comes back at the next poll and may still be
    /// early; the loop then waits again (a few short turns) rather than adding a whole second to every reminder.</summary>
    private static readonly TimeSpan EarlyFireMargin = TimeSpan.FromMilliseconds(100);

    /// <summary>Loop turns (inputs and timer wake-ups) before the history is restarted with ContinueAsNew.</summary>
    private const int TurnsPerHistory = 100;

    public static string InstanceId(string claimId, int round) => string.Create(CultureInfo.InvariantCulture, $"{claimId}:r{round}");

    [Function(nameof(ApprovalOrchestration))]
    public async Task<ApprovalOutcome> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var run = context.GetInput<ApprovalRun>() ?? throw new InvalidOperationException("No approval input.");
        var logger = context.CreateReplaySafeLogger<ApprovalOrchestration>();
        var clock = run.Clock;
        var state = WorkflowJson.To<WorkflowState>(run.State);
        var workflowContext = run.Context.ToContext();
        var pending = new Queue<WorkflowEvent>();
        if (run.Start is not null)
        {
            pending.Enqueue(new(run.Start, null, run.ActorRole, run.SourceIp));
        }
        Task<WorkflowEvent>? incoming = null;
        IReadOnlyList<KeyedEffect> completion = [];
        DateTime? rearmAt = null;
        for (var turn = 0; turn < TurnsPerHistory || pending.Count > 0; turn++)
        {
            if (pending.TryDequeue(out var next) && next is { Input: { } json })
            {
                var input = WorkflowJson.To<WorkflowInput>(json);
                if (next.Context is { } data)
                {
                    workflowContext = data.ToContext();
                }
                var now = clock.ToWorkflow(context.CurrentUtcDateTime);
                switch (ApprovalWorkflow.Decide(state, input, now, workflowContext))
                {
                    case Transitioned t:
                        completion = await CarryOutAsync(context, run.ClaimId, t, next.ActorRole, next.SourceIp);
                        state = t.State;
                        context.SetCustomStatus(Progress(state, now, workflowContext));
                        break;
                    case Ignored i:
                        LogIgnored(logger, run.ClaimId, i.Reason.ToString(), i.Message);
                        break;
                    case Refused r:
                        // A stale or repeated decision (the HTTP check raced another one, or a duplicate delivery): nothing changes.
                        LogRefused(logger, run.ClaimId, r.Error.Code.ToString(), r.Error.Message);
                        break;
                }
                if (turn == 0 && run.Start is not null && !state.IsFinal)
                {
                    // A fresh round (or history) first takes the inputs accepted for it that no event brought (a crash
                    // between the slot row and the raise).
                    pending = Enqueue(pending, (await context.CallActivityAsync<WorkflowWake>(nameof(WorkflowActivities.Wake), new WakeRequest(run.ClaimId, WorkflowJson.Of(state)), Retry)).Accepted);
                }
            }
            if (state.IsFinal || state.Status == WorkflowStatus.Returned)
            {
                foreach (var left in pending)
                {
                    LogSuperseded(logger, run.ClaimId, left.Input ?? "");
                }
                return new ApprovalOutcome(WorkflowJson.Of(state), completion);
            }
            if (pending.Count > 0)
            {
                continue;
            }
            // One waiter for the event stream, kept across timers: a second waiter would take events out of order.
            incoming ??= context.WaitForExternalEvent<WorkflowEvent>(EventName);
            var timer = state.Timers.OrderBy(t => t.DueAt).FirstOrDefault();
            var check = context.CurrentUtcDateTime + clock.Recheck;
            var fireAt = rearmAt ?? (timer is null ? check : Min(clock.ToReal(timer.DueAt), check));
            using var cancel = new CancellationTokenSource();
            var fired = context.CreateTimer(fireAt, cancel.Token);
            if (await Task.WhenAny(incoming, fired) == incoming)
            {
                cancel.Cancel();
                pending.Enqueue(await incoming);
                incoming = null;
                rearmAt = null;
                continue;
            }
            if (timer is not null && fireAt < check && clock.ToWorkflow(context.CurrentUtcDateTime) < timer.DueAt)
            {
                // The due timer fired early (the Azure Storage engine's timers can be up to a second early): wait again for
                // the rest, without a wake-up activity, and never act before the due time.
                rearmAt = clock.ToReal(timer.DueAt) + EarlyFireMargin;
                LogEarly(logger, run.ClaimId, timer.Id);
                continue;
            }
            // Awake: inputs accepted for this round and not applied go first (an event lost in a crash, or a decision
            // accepted before the timer's due time); then the timer, if it is due. The context is read in an activity (who a
            // reminder goes to depends on the delegations in force now), so replays agree.
            var wake = await context.CallActivityAsync<WorkflowWake>(nameof(WorkflowActivities.Wake), new WakeRequest(run.ClaimId, WorkflowJson.Of(state)), Retry);
            if (wake.Accepted.Count > 0)
            {
                pending = Enqueue(pending, wake.Accepted);
                rearmAt = null;
                continue;
            }
            if (timer is null || context.CurrentUtcDateTime < clock.ToReal(timer.DueAt) && fireAt >= check)
            {
                rearmAt = null;
                continue;
            }
            if (clock.ToWorkflow(context.CurrentUtcDateTime) < timer.DueAt)
            {
                // Fired early (the Azure Storage engine's timers can be up to a second early): never act before the due time.
                rearmAt = clock.ToReal(timer.DueAt) + EarlyFireMargin;
                LogEarly(logger, run.ClaimId, timer.Id);
                continue;
            }
            rearmAt = null;
            pending.Enqueue(new WorkflowEvent(WorkflowJson.Of<WorkflowInput>(timer.ToInput()), wake.Context, "system", null));
        }
        // A long-lived round (many reminders, escalations, stale clicks) starts a fresh history with its state; events not
        // yet received are carried over by the engine.
        context.ContinueAsNew(run with { State = WorkflowJson.Of(state), Start = null, Context = WorkflowContextData.From(workflowContext), ActorRole = null, SourceIp = null });
        return new ApprovalOutcome(WorkflowJson.Of(state), completion);
    }

    /// <summary>Carries out a transition: state, claim status and audit entries in one conditional batch (exactly once by
    /// version), then the notifications (exactly once by effect key). The ledger post and the claimant's approval notice of
    /// a final approval are returned for the claim orchestration.</summary>
    internal static async Task<IReadOnlyList<KeyedEffect>> CarryOutAsync(TaskOrchestrationContext context, string claimId, Transitioned t, string? actorRole, string? sourceIp)
    {
        await context.CallActivityAsync<int>(nameof(WorkflowActivities.CommitWorkflow), new WorkflowCommit(claimId, WorkflowJson.Of(t), actorRole, sourceIp), Retry);
        var version = t.State.Version;
        var completion = new List<KeyedEffect>();
        var sends = new List<Task>();
        for (var i = 0; i < t.Effects.Count; i++)
        {
            var keyed = new KeyedEffect(ApprovalWorkflow.EffectKey(claimId, version, i), version, i, WorkflowJson.Of(t.Effects[i]));
            switch (t.Effects[i])
            {
                case PostToLedger:
                case Notify { Template: NotificationTemplates.ClaimApproved }:
                    completion.Add(keyed);
                    break;
                case Notify:
                    sends.Add(context.CallActivityAsync<bool>(nameof(WorkflowActivities.DeliverNotification), new NotificationDue(claimId, keyed), Retry));
                    break;
                case Reach:
                    // A ladder rung (SMS / call): exactly once by key; a provider that keeps failing is recorded as failed, the
                    // activity still completes, so the workflow never waits on it.
                    sends.Add(context.CallActivityAsync<string>(nameof(WorkflowActivities.DeliverReach), new NotificationDue(claimId, keyed), Retry));
                    break;
                // Timers follow from the state (its armed timers); audit entries were committed with it.
            }
        }
        await Task.WhenAll(sends);
        return completion;
    }

    private static Queue<WorkflowEvent> Enqueue(Queue<WorkflowEvent> queue, IEnumerable<WorkflowEvent> events)
    {
        foreach (var e in events)
        {
            queue.Enqueue(e);
        }
        return queue;
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static ApprovalProgress Progress(WorkflowState state, DateTimeOffset now, WorkflowContext context) => new(
        state.Status.ToString(), state.Round, state.StepIndex, state.EscalationLevel, state.Version,
        ApprovalWorkflow.WaitingOn(state, now, context).Select(w => w.UserId).Distinct(StringComparer.Ordinal).ToList(),
        state.Timers.Count == 0 ? null : state.Timers.Min(t => t.DueAt));

    [LoggerMessage(EventId = 4400, Level = LogLevel.Information, Message = "Claim {ClaimId}: input ignored ({Reason}): {Message}")]
    private static partial void LogIgnored(ILogger logger, string claimId, string reason, string message);

    [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "Claim {ClaimId}: stale or repeated input refused ({Code}): {Message}")]
    private static partial void LogRefused(ILogger logger, string claimId, string code, string message);

    [LoggerMessage(EventId = 4403, Level = LogLevel.Information, Message = "Claim {ClaimId}: the round ended before an accepted input was applied; it changes nothing: {Input}")]
    private static partial void LogSuperseded(ILogger logger, string claimId, string input);

    [LoggerMessage(EventId = 4402, Level = LogLevel.Debug, Message = "Claim {ClaimId}: timer {TimerId} fired before its due time; waiting again")]
    private static partial void LogEarly(ILogger logger, string claimId, string timerId);
}
