using System.Globalization;

namespace Reimburse.Core.Approvals;

/// <summary>
/// The approval state machine: <c>Decide(state, input, now, context)</c> returns the next state and the effects to
/// carry out, a typed no-op, or a typed refusal. Pure: no clock, no ids, no I/O.
/// </summary>
public static class ApprovalWorkflow
{
    /// <summary>Applies one input at instant <paramref name="now"/>.</summary>
    public static DecideResult Decide(WorkflowState state, WorkflowInput input, DateTimeOffset now, WorkflowContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        return input switch
        {
            Submitted s => OnSubmitted(state, s, now, context),
            DecisionMade d => OnDecision(state, d, now, context),
            TimerFired t => OnTimer(state, t, now, context),
            Withdrawn w => OnWithdrawn(state, w, now, context),
            Resubmitted r => OnResubmitted(state, r, now, context),
            _ => throw new ArgumentException($"Unknown workflow input {input.GetType().Name}.", nameof(input)),
        };
    }

    /// <summary>The deterministic id of a timer; unique per claim, round, step, escalation level and kind.</summary>
    public static string TimerId(string claimId, int round, int stepIndex, int escalationLevel, TimerKind kind) =>
        string.Create(CultureInfo.InvariantCulture, $"{claimId}:r{round}:s{stepIndex}:e{escalationLevel}:{(kind == TimerKind.Reminder ? "remind" : "escalate")}");

    /// <summary>The deterministic id of a ladder rung's timer for one approver.</summary>
    public static string RungTimerId(string claimId, int round, int stepIndex, int escalationLevel, int rung, string userId) =>
        string.Create(CultureInfo.InvariantCulture, $"{claimId}:r{round}:s{stepIndex}:e{escalationLevel}:rung{rung}:{userId}");

    /// <summary>
    /// Who can sign the current step right now: per unsigned slot, its approvers, unlocked escalation targets and
    /// their active delegates (never the claimant or submitter). Empty unless pending.
    /// </summary>
    public static IReadOnlyList<WaitingApprover> WaitingOn(WorkflowState state, DateTimeOffset now, WorkflowContext context)
    {
        if (state.CurrentStep is not { } step)
        {
            return [];
        }
        var today = context.Calendar.LocalDate(now);
        var signed = state.Slots.OfType<Signature>().Select(s => s.Actor).ToHashSet(StringComparer.Ordinal);
        var result = new List<WaitingApprover>();
        for (var i = 0; i < step.Slots.Count; i++)
        {
            if (state.Slots[i] is not null)
            {
                continue;
            }
            var slot = step.Slots[i];
            foreach (var principal in slot.Principals(state.EscalationLevel))
            {
                var escalated = !slot.Approvers.Contains(principal, StringComparer.Ordinal);
                if (MaySign(state, principal, signed))
                {
                    result.Add(new WaitingApprover(principal, null, i, escalated));
                }
                foreach (var d in context.Delegations.Where(d => d.From == principal && d.To != principal && d.IsActiveOn(today)))
                {
                    if (MaySign(state, d.To, signed))
                    {
                        result.Add(new WaitingApprover(d.To, principal, i, escalated));
                    }
                }
            }
        }
        return result;
    }

    /// <summary>
    /// True when <paramref name="state"/> proves the timer stale for good: the claim is final, or its round, step or
    /// escalation level has moved past the timer's. Those only ever go forward, so any committed state — even one that is
    /// not the latest — may say so; a runtime can then drop the timer without reading the claim or re-arming it.
    /// </summary>
    public static bool IsObsolete(WorkflowState state, ScheduleTimer timer) =>
        state.IsFinal
        || (state.Status is WorkflowStatus.Pending or WorkflowStatus.Returned
            && (state.Round, state.StepIndex, state.EscalationLevel).CompareTo((timer.Round, timer.StepIndex, timer.EscalationLevel)) > 0);

    /// <summary>
    /// The approvers (and unlocked escalation targets) of the current step's unsigned slots, without delegates:
    /// what a runtime keeps as "pending for user" index rows. A caller's pending list is the rows for the caller
    /// plus the rows for everyone who delegated to the caller today, each confirmed with <see cref="IsWaitingOn"/>.
    /// </summary>
    public static IReadOnlyList<string> Principals(WorkflowState state)
    {
        if (state.CurrentStep is not { } step)
        {
            return [];
        }
        return step.Slots
            .Where((_, i) => state.Slots[i] is null)
            .SelectMany(slot => slot.Principals(state.EscalationLevel))
            .Where(u => u != state.ClaimantId && u != state.SubmitterId)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Idempotency key of the effect at <paramref name="index"/> of the transition that produced state <paramref name="version"/>.</summary>
    public static string EffectKey(string claimId, int version, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{claimId}:v{version}:e{index}");

    /// <summary>True when <paramref name="userId"/> could sign the current step now (directly or as a delegate).</summary>
    public static bool IsWaitingOn(WorkflowState state, string userId, DateTimeOffset now, WorkflowContext context) =>
        WaitingOn(state, now, context).Any(w => w.UserId == userId);

    /// <summary>A status view like Durable Functions' status query: runtime status, current step, who is waiting, due times, history.</summary>
    public static WorkflowStatusView Status(WorkflowState state, DateTimeOffset now, WorkflowContext context)
    {
        var step = state.CurrentStep;
        CurrentStepView? current = step is null || state.StepStartedAt is null
            ? null
            : new CurrentStepView(state.StepIndex, step.LevelId, step.Name, step.Mode, step.Reason, state.EscalationLevel, state.StepStartedAt.Value, state.Slots.OfType<Signature>().ToList());
        return new WorkflowStatusView(
            state.ClaimId,
            state.Status switch
            {
                WorkflowStatus.NotStarted => RuntimeStatus.Pending,
                WorkflowStatus.Pending => RuntimeStatus.Running,
                WorkflowStatus.Returned => RuntimeStatus.Suspended,
                WorkflowStatus.Withdrawn => RuntimeStatus.Terminated,
                _ => RuntimeStatus.Completed,
            },
            state.Status,
            state.Round,
            current,
            WaitingOn(state, now, context),
            state.Timers.Where(t => t.Kind == TimerKind.Reminder).Select(t => (DateTimeOffset?)t.DueAt).FirstOrDefault(),
            state.Timers.Where(t => t.Kind == TimerKind.Escalation).Select(t => (DateTimeOffset?)t.DueAt).FirstOrDefault(),
            state.Route?.Steps ?? [],
            state.Route?.Notes ?? [],
            state.History,
            state.Version,
            Ladder(state, context));
    }

    /// <summary>The ladder of the current round: rungs that came due (with what was done) and rungs still scheduled.</summary>
    public static IReadOnlyList<RungView> Ladder(WorkflowState state, WorkflowContext context) =>
    [
        .. (state.Reaches ?? []).Where(r => r.Round == state.Round)
            .Select(r => new RungView(r.UserId, r.Channel, r.Rung, r.DueAt, r.State, r.Key, context.OfficeOf(r.UserId)?.TimeZone)),
        .. state.Timers.Where(t => t.Kind == TimerKind.Rung && t.UserId is not null).OrderBy(t => t.DueAt)
            .Select(t => new RungView(t.UserId!, state.CurrentStep?.Ladder?[t.Rung].Channel ?? ReachChannel.Sms, t.Rung, t.DueAt, RungStates.Scheduled, null,
                context.OfficeOf(t.UserId!)?.TimeZone)),
    ];

    private static DecideResult OnSubmitted(WorkflowState state, Submitted input, DateTimeOffset now, WorkflowContext context)
    {
        if (state.Status != WorkflowStatus.NotStarted)
        {
            return Refuse(WorkflowErrorCode.AlreadySubmitted, "The claim was already submitted.");
        }
        if (ValidateRoute(input.Route, input.ClaimantId, input.SubmitterId) is { } invalid)
        {
            return invalid;
        }
        var t = new Transition(state with
        {
            Status = WorkflowStatus.Pending,
            ClaimantId = input.ClaimantId,
            SubmitterId = input.SubmitterId,
            Amount = input.Amount,
            Route = input.Route,
            Round = 1,
        }, now);
        t.Record("claim.submitted", input.SubmitterId, null, null, new()
        {
            ["claimant"] = input.ClaimantId,
            ["amount"] = input.Amount.ToString(),
            ["policyVersion"] = input.Route.PolicyVersion,
            ["steps"] = string.Join(" > ", input.Route.Steps.Select(s => $"{s.LevelId}({string.Join(s.Mode == ApprovalMode.AllOf ? "+" : "|", s.Approvers)})")),
            ["offHours"] = input.Route.OffHours ? "true" : "false",
        }, stepIndex: null);
        StartStep(t, 0, context);
        return t.Commit();
    }

    private static DecideResult OnDecision(WorkflowState state, DecisionMade input, DateTimeOffset now, WorkflowContext context)
    {
        switch (state.Status)
        {
            case WorkflowStatus.NotStarted:
                return Refuse(WorkflowErrorCode.NotStarted, "The claim has not been submitted.");
            case WorkflowStatus.Returned:
                return Refuse(WorkflowErrorCode.StepAlreadyDecided, "The claim was returned to the claimant for changes.");
            case WorkflowStatus.Approved or WorkflowStatus.Rejected or WorkflowStatus.Withdrawn:
                return Refuse(WorkflowErrorCode.ClaimFinal, $"The claim is already {state.Status.ToString().ToLowerInvariant()}.");
        }
        if ((input.Round is { } round && round != state.Round) || (input.StepIndex is { } stepIndex && stepIndex != state.StepIndex))
        {
            return Refuse(WorkflowErrorCode.StepAlreadyDecided, "That approval step has already been decided.");
        }
        if (IsConflicted(state, input.Actor))
        {
            return Refuse(WorkflowErrorCode.SelfApprovalForbidden, "Nobody may decide a claim they made or submitted.");
        }
        if (state.Slots.Any(s => s?.Actor == input.Actor))
        {
            return Refuse(WorkflowErrorCode.AlreadySigned, "You have already approved this step; one person counts once.");
        }
        if (FindSlot(state, input.Actor, now, context) is not var (slotIndex, onBehalfOf))
        {
            return Refuse(WorkflowErrorCode.NotCurrentApprover, "You are not an approver of the current step.");
        }
        var comment = string.IsNullOrWhiteSpace(input.Comment) ? null : input.Comment.Trim();
        if (input.Decision != Decision.Approve && comment is null)
        {
            return Refuse(WorkflowErrorCode.CommentRequired, "Rejecting or returning a claim needs a comment for the claimant.");
        }
        var reason = DecisionReasons.Find(input.ReasonCode);
        if (input.Decision != Decision.Approve ? reason is null : input.ReasonCode is not null)
        {
            return Refuse(WorkflowErrorCode.ReasonCodeInvalid, input.Decision == Decision.Approve
                ? "An approval takes no reason code."
                : $"Rejecting or returning a claim needs a reason code, one of: {DecisionReasons.CodeList}.");
        }

        var t = new Transition(state, now);
        var route = state.Route!;
        switch (input.Decision)
        {
            case Decision.Approve:
            {
                var slots = state.Slots.ToArray();
                slots[slotIndex] = new Signature(input.Actor, onBehalfOf, now, comment);
                t.State = t.State with { Slots = slots };
                t.Record("step.approved", input.Actor, onBehalfOf, comment, new() { ["slot"] = Str(slotIndex) });
                if (slots.Any(s => s is null))
                {
                    // Nobody is called about a slot that is signed: drop the rungs of those the step no longer waits on.
                    var still = WaitingOn(t.State, now, context).Select(w => w.UserId).ToHashSet(StringComparer.Ordinal);
                    foreach (var gone in t.State.Timers.Where(a => a.Kind == TimerKind.Rung && !still.Contains(a.UserId!)).ToList())
                    {
                        t.Effects.Add(new CancelTimer(gone.Id));
                        t.State = t.State with { Timers = t.State.Timers.Where(a => a.Id != gone.Id).ToList() };
                    }
                    break;
                }
                CancelAllTimers(t);
                if (state.StepIndex + 1 < route.Steps.Count)
                {
                    StartStep(t, state.StepIndex + 1, context);
                    break;
                }
                t.State = t.State with { Status = WorkflowStatus.Approved };
                t.Record("claim.approved", input.Actor, onBehalfOf, null, new() { ["amount"] = state.Amount.ToString() });
                t.Effects.Add(new PostToLedger(state.ClaimId, state.ClaimantId, state.Amount, now));
                t.Effects.Add(new Notify(ClaimParties(state), NotificationTemplates.ClaimApproved, t.Data()));
                break;
            }
            case Decision.Reject:
                CancelAllTimers(t);
                t.State = t.State with { Status = WorkflowStatus.Rejected };
                t.Record("claim.rejected", input.Actor, onBehalfOf, comment, new() { ["slot"] = Str(slotIndex), ["reasonCode"] = reason!.Code }, reasonCode: reason.Code);
                t.Effects.Add(new Notify(ClaimParties(state), NotificationTemplates.ClaimRejected, WithReason(With(t.Data(), "comment", comment!, "by", input.Actor), reason)));
                break;
            case Decision.Return:
                CancelAllTimers(t);
                t.State = t.State with { Status = WorkflowStatus.Returned };
                t.Record("claim.returned", input.Actor, onBehalfOf, comment, new() { ["slot"] = Str(slotIndex), ["reasonCode"] = reason!.Code }, reasonCode: reason.Code);
                t.Effects.Add(new Notify(ClaimParties(state), NotificationTemplates.ClaimReturned, WithReason(With(t.Data(), "comment", comment!, "by", input.Actor), reason)));
                break;
        }
        return t.Commit();
    }

    private static DecideResult OnTimer(WorkflowState state, TimerFired input, DateTimeOffset now, WorkflowContext context)
    {
        var armed = state.Timers.FirstOrDefault(a => a.Id == input.TimerId);
        if (armed is null || state.Status != WorkflowStatus.Pending
            || armed.Kind != input.Kind || armed.Round != input.Round || armed.StepIndex != input.StepIndex || armed.EscalationLevel != input.EscalationLevel)
        {
            return new Ignored(IgnoredReason.StaleTimer, $"Timer {input.TimerId} is not armed; the claim has moved on.");
        }
        if (now < armed.DueAt)
        {
            return new Ignored(IgnoredReason.TimerNotDue, $"Timer {input.TimerId} is due at {armed.DueAt:O}.", armed.DueAt);
        }

        var t = new Transition(state with { Timers = state.Timers.Where(a => a.Id != armed.Id).ToList() }, now);
        var waiting = WaitingOn(state, now, context).Select(w => w.UserId).Distinct(StringComparer.Ordinal).ToList();
        if (armed.Kind == TimerKind.Rung)
        {
            return OnRung(t, armed, waiting, context);
        }
        if (armed.Kind == TimerKind.Reminder)
        {
            t.Record("step.reminded", null, null, null, new() { ["to"] = string.Join(",", waiting), ["escalationLevel"] = Str(state.EscalationLevel) });
            if (waiting.Count > 0)
            {
                t.Effects.Add(new Notify(waiting, NotificationTemplates.ApprovalReminder, t.Data()));
            }
            return t.Commit();
        }

        // Escalation: unlock the next tier of every unsigned slot, then restart the reminder/escalation clock.
        CancelAllTimers(t);
        var level = state.EscalationLevel + 1;
        t.State = t.State with { EscalationLevel = level };
        var step = state.Route!.Steps[state.StepIndex];
        var added = step.Slots
            .Where((slot, i) => state.Slots[i] is null && slot.EscalationTiers.Count >= level)
            .SelectMany(slot => slot.EscalationTiers[level - 1])
            .Where(u => !IsConflicted(state, u) && !waiting.Contains(u, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        t.Record("step.escalated", null, null, null, new()
        {
            ["escalationLevel"] = Str(level),
            ["from"] = string.Join(",", waiting),
            ["to"] = string.Join(",", added),
        });
        if (added.Count > 0)
        {
            t.Effects.Add(new Notify(added, NotificationTemplates.ApprovalEscalated, With(t.Data(), "escalatedFrom", string.Join(",", waiting), "escalationLevel", Str(level))));
        }
        ArmTimers(t, context);
        return t.Commit();
    }

    /// <summary>A ladder rung came due for one approver: reach them (SMS or call) unless they acted already, opted out of
    /// the channel, have no phone or reached the daily cap; outside their working hours (not urgent) it waits for the next
    /// opening. Every outcome is recorded (history, audit, <see cref="WorkflowState.Reaches"/>).</summary>
    private static DecideResult OnRung(Transition t, ArmedTimer armed, List<string> waiting, WorkflowContext context)
    {
        var state = t.State;
        var user = armed.UserId!;
        var step = state.Route!.Steps[state.StepIndex];
        if (step.Ladder is not { } ladder || armed.Rung >= ladder.Count || !waiting.Contains(user, StringComparer.Ordinal))
        {
            // The approver signed (or the ladder changed shape): the rung is spent without a call.
            return t.Commit(history: false);
        }
        var rung = ladder[armed.Rung];
        var calendar = context.CalendarFor(user);
        if (!state.Route.Urgent && !calendar.IsWorkingTime(t.Now))
        {
            var next = calendar.NextWorkingStart(t.Now);
            t.State = t.State with { Timers = [.. t.State.Timers, armed with { DueAt = next }] };
            t.Effects.Add(new ScheduleTimer(armed.Id, next, armed.Kind, armed.Round, armed.StepIndex, armed.EscalationLevel, armed.UserId, armed.Rung));
            return t.Commit(history: false);
        }
        var person = context.PersonOf(user);
        var today = calendar.LocalDate(t.Now);
        var reachedToday = (person?.ReachedToday ?? 0)
            + (state.Reaches ?? []).Count(r => r.UserId == user && r.State == RungStates.Due && calendar.LocalDate(r.At) == today && r.At <= t.Now);
        var outcome = person is null || string.IsNullOrEmpty(person.Phone) ? RungStates.NoPhone
            : (rung.Channel == ReachChannel.Sms ? person.SmsOff : person.CallsOff) ? RungStates.OptedOut
            : state.Route.ReachDailyCap > 0 && reachedToday >= state.Route.ReachDailyCap ? RungStates.DailyCap
            : RungStates.Due;
        t.Record("step.rung", null, null, $"{Channel(rung.Channel)} to {user}: {outcome}", new()
        {
            ["to"] = user, ["channel"] = Channel(rung.Channel), ["rung"] = Str(armed.Rung + 1), ["state"] = outcome,
            ["dueAt"] = armed.DueAt.ToString("O", CultureInfo.InvariantCulture),
        });
        string? key = null;
        if (outcome == RungStates.Due)
        {
            key = EffectKey(state.ClaimId, state.Version + 1, t.Effects.Count);
            var data = t.Data();
            data["rung"] = Str(armed.Rung + 1);
            t.Effects.Add(new Reach(user, rung.Channel, person!.Phone!, person.Language, armed.Rung + 1, data));
        }
        t.State = t.State with
        {
            Reaches = [.. state.Reaches ?? [], new ReachRecord(key, user, rung.Channel, armed.Rung + 1, armed.Round, armed.StepIndex, armed.DueAt, t.Now, outcome)],
        };
        return t.Commit();
    }

    private static string Channel(ReachChannel channel) => channel == ReachChannel.Sms ? "sms" : "call";

    private static DecideResult OnWithdrawn(WorkflowState state, Withdrawn input, DateTimeOffset now, WorkflowContext context)
    {
        if (state.Status == WorkflowStatus.NotStarted)
        {
            return Refuse(WorkflowErrorCode.NotStarted, "The claim has not been submitted.");
        }
        if (state.IsFinal)
        {
            return Refuse(WorkflowErrorCode.ClaimFinal, $"The claim is already {state.Status.ToString().ToLowerInvariant()}.");
        }
        if (!IsConflicted(state, input.Actor))
        {
            return Refuse(WorkflowErrorCode.NotClaimant, "Only the claimant or the submitter may withdraw the claim.");
        }
        var waiting = WaitingOn(state, now, context).Select(w => w.UserId).Distinct(StringComparer.Ordinal).ToList();
        var t = new Transition(state, now);
        CancelAllTimers(t);
        t.State = t.State with { Status = WorkflowStatus.Withdrawn };
        t.Record("claim.withdrawn", input.Actor, null, input.Reason, []);
        if (waiting.Count > 0)
        {
            t.Effects.Add(new Notify(waiting, NotificationTemplates.ClaimWithdrawn, t.Data()));
        }
        return t.Commit();
    }

    private static DecideResult OnResubmitted(WorkflowState state, Resubmitted input, DateTimeOffset now, WorkflowContext context)
    {
        if (state.Status == WorkflowStatus.NotStarted)
        {
            return Refuse(WorkflowErrorCode.NotStarted, "The claim has not been submitted.");
        }
        if (state.IsFinal)
        {
            return Refuse(WorkflowErrorCode.ClaimFinal, $"The claim is already {state.Status.ToString().ToLowerInvariant()}.");
        }
        if (state.Status != WorkflowStatus.Returned)
        {
            return Refuse(WorkflowErrorCode.NotReturned, "Only a claim returned for changes can be resubmitted.");
        }
        if (!IsConflicted(state, input.Actor))
        {
            return Refuse(WorkflowErrorCode.NotClaimant, "Only the claimant or the submitter may resubmit the claim.");
        }
        if (ValidateRoute(input.Route, state.ClaimantId, state.SubmitterId) is { } invalid)
        {
            return invalid;
        }
        var t = new Transition(state with
        {
            Status = WorkflowStatus.Pending,
            Amount = input.Amount,
            Route = input.Route,
            Round = state.Round + 1,
        }, now);
        t.Record("claim.resubmitted", input.Actor, null, input.Comment, new()
        {
            ["amount"] = input.Amount.ToString(),
            ["policyVersion"] = input.Route.PolicyVersion,
        }, stepIndex: null);
        StartStep(t, 0, context);
        return t.Commit();
    }

    private static void StartStep(Transition t, int stepIndex, WorkflowContext context)
    {
        var step = t.State.Route!.Steps[stepIndex];
        t.State = t.State with
        {
            StepIndex = stepIndex,
            EscalationLevel = 0,
            StepStartedAt = t.Now,
            Slots = new Signature?[step.Slots.Count],
        };
        var waiting = WaitingOn(t.State, t.Now, context).Select(w => w.UserId).Distinct(StringComparer.Ordinal).ToList();
        t.Record("step.started", null, null, step.Reason, new()
        {
            ["level"] = step.LevelId,
            ["mode"] = step.Mode == ApprovalMode.AllOf ? "all-of" : "any-of",
            ["approvers"] = string.Join(",", step.Approvers),
            ["notified"] = string.Join(",", waiting),
        });
        if (waiting.Count > 0)
        {
            t.Effects.Add(new Notify(waiting, NotificationTemplates.ApprovalRequested, t.Data()));
        }
        ArmTimers(t, context);
    }

    private static void ArmTimers(Transition t, WorkflowContext context)
    {
        var s = t.State;
        var route = s.Route!;
        var step = route.Steps[s.StepIndex];
        var armed = s.Timers.ToList();
        var canEscalate = step.Slots.Where((slot, i) => s.Slots[i] is null).Any(slot => slot.EscalationTiers.Count > s.EscalationLevel);
        // Working time counts in the calendar of the people who must act. With several (offices), a step is reminded and
        // escalated when the delay has passed for every one of them: nobody is skipped over during their own holiday.
        var waiting = WaitingOn(s, t.Now, context).Select(w => w.UserId).Distinct(StringComparer.Ordinal).ToList();
        var calendars = waiting.Select(context.CalendarFor).Distinct().ToList();
        if (calendars.Count == 0)
        {
            calendars.Add(context.Calendar);
        }
        DateTimeOffset After(TimeSpan delay) => calendars.Max(c => c.AddWorkingTime(t.Now, delay));
        // A reminder due at or after the escalation would only ever be cancelled by it.
        if (route.ReminderAfter > TimeSpan.Zero && (!canEscalate || route.ReminderAfter < route.EscalateAfter))
        {
            armed.Add(Arm(t, TimerKind.Reminder, After(route.ReminderAfter)));
        }
        if (canEscalate && route.EscalateAfter > TimeSpan.Zero)
        {
            armed.Add(Arm(t, TimerKind.Escalation, After(route.EscalateAfter)));
        }
        // The ladder: one timer per rung and waiting approver, in their office's working time (wall time if urgent).
        for (var r = 0; r < (step.Ladder?.Count ?? 0); r++)
        {
            foreach (var user in waiting)
            {
                var rung = step.Ladder![r];
                var due = route.Urgent ? t.Now + rung.After : context.CalendarFor(user).AddWorkingTime(t.Now, rung.After);
                var id = RungTimerId(s.ClaimId, s.Round, s.StepIndex, s.EscalationLevel, r, user);
                t.Effects.Add(new ScheduleTimer(id, due, TimerKind.Rung, s.Round, s.StepIndex, s.EscalationLevel, user, r));
                armed.Add(new ArmedTimer(id, TimerKind.Rung, due, s.Round, s.StepIndex, s.EscalationLevel, user, r));
            }
        }
        t.State = t.State with { Timers = armed };
    }

    private static ArmedTimer Arm(Transition t, TimerKind kind, DateTimeOffset dueAt)
    {
        var s = t.State;
        var id = TimerId(s.ClaimId, s.Round, s.StepIndex, s.EscalationLevel, kind);
        t.Effects.Add(new ScheduleTimer(id, dueAt, kind, s.Round, s.StepIndex, s.EscalationLevel));
        return new ArmedTimer(id, kind, dueAt, s.Round, s.StepIndex, s.EscalationLevel);
    }

    private static void CancelAllTimers(Transition t)
    {
        foreach (var timer in t.State.Timers)
        {
            t.Effects.Add(new CancelTimer(timer.Id));
        }
        t.State = t.State with { Timers = [] };
    }

    private static (int Slot, string? OnBehalfOf)? FindSlot(WorkflowState state, string actor, DateTimeOffset now, WorkflowContext context)
    {
        var step = state.CurrentStep!;
        for (var i = 0; i < step.Slots.Count; i++)
        {
            if (state.Slots[i] is null && step.Slots[i].Principals(state.EscalationLevel).Contains(actor, StringComparer.Ordinal))
            {
                return (i, null);
            }
        }
        var today = context.Calendar.LocalDate(now);
        for (var i = 0; i < step.Slots.Count; i++)
        {
            if (state.Slots[i] is not null)
            {
                continue;
            }
            var principals = step.Slots[i].Principals(state.EscalationLevel).ToList();
            var delegation = context.Delegations.FirstOrDefault(d => d.To == actor && d.From != actor && d.IsActiveOn(today) && principals.Contains(d.From, StringComparer.Ordinal));
            if (delegation is not null)
            {
                return (i, delegation.From);
            }
        }
        return null;
    }

    private static Refused? ValidateRoute(Route route, string claimantId, string submitterId)
    {
        if (route.Steps.Count == 0 || route.Steps.Any(s => s.Slots.Count == 0 || s.Slots.Any(slot => slot.Approvers.Count == 0)))
        {
            return (Refused)Refuse(WorkflowErrorCode.InvalidRoute, "The route needs at least one step and an approver in every slot.");
        }
        if (route.Steps.Any(s => s.Slots.Any(slot => slot.Approvers.Contains(claimantId) || slot.Approvers.Contains(submitterId))))
        {
            return (Refused)Refuse(WorkflowErrorCode.InvalidRoute, "The route names the claimant or submitter as an approver.");
        }
        return null;
    }

    private static bool IsConflicted(WorkflowState state, string userId) => userId == state.ClaimantId || userId == state.SubmitterId;

    private static bool MaySign(WorkflowState state, string userId, HashSet<string> signed) => !IsConflicted(state, userId) && !signed.Contains(userId);

    private static List<string> ClaimParties(WorkflowState state) =>
        state.ClaimantId == state.SubmitterId ? [state.ClaimantId] : [state.ClaimantId, state.SubmitterId];

    private static DecideResult Refuse(WorkflowErrorCode code, string message) => new Refused(new WorkflowError(code, message));

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> WithReason(Dictionary<string, string> data, DecisionReason reason)
    {
        data["reasonCode"] = reason.Code;
        data["reasonEn"] = reason.English;
        data["reasonZh"] = reason.Chinese;
        return data;
    }

    private static Dictionary<string, string> With(Dictionary<string, string> data, string k1, string v1, string k2, string v2)
    {
        data[k1] = v1;
        data[k2] = v2;
        return data;
    }

    /// <summary>Accumulates one transition's new state, history and effects.</summary>
    private sealed class Transition(WorkflowState state, DateTimeOffset now)
    {
        private readonly List<HistoryEntry> _history = [];

        public WorkflowState State { get; set; } = state;

        public DateTimeOffset Now { get; } = now;

        public List<WorkflowEffect> Effects { get; } = [];

        public void Record(string action, string? actor, string? onBehalfOf, string? detail, Dictionary<string, string> audit, int? stepIndex = -1, string? reasonCode = null)
        {
            var step = stepIndex == -1 ? State.StepIndex : stepIndex;
            _history.Add(new HistoryEntry(Now, action, actor, onBehalfOf, State.Round, step, detail, reasonCode));
            audit["round"] = Str(State.Round);
            if (step is { } s)
            {
                audit["step"] = Str(s);
            }
            if (onBehalfOf is not null)
            {
                audit["onBehalfOf"] = onBehalfOf;
            }
            if (detail is not null)
            {
                audit["detail"] = detail;
            }
            Effects.Add(new AppendAudit(action, actor, audit));
        }

        /// <summary>Template data common to every notification.</summary>
        public Dictionary<string, string> Data()
        {
            var s = State;
            var data = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["claimId"] = s.ClaimId,
                ["claimant"] = s.ClaimantId,
                ["amount"] = s.Amount.ToString(),
                ["round"] = Str(s.Round),
                ["status"] = s.Status.ToString(),
            };
            if (s.Status == WorkflowStatus.Pending && s.Route is { } route)
            {
                var step = route.Steps[s.StepIndex];
                data["step"] = Str(s.StepIndex);
                data["stepName"] = step.Name;
                data["reason"] = step.Reason;
                data["mode"] = step.Mode == ApprovalMode.AllOf ? "all-of" : "any-of";
            }
            return data;
        }

        /// <param name="history">False for a bookkeeping transition (a spent or deferred rung): the version still moves on.</param>
        public Transitioned Commit(bool history = true) => new(State with { History = history ? [.. State.History, .. _history] : State.History, Version = State.Version + 1 }, Effects);
    }
}
