using System.Text.Json;
using Reimburse.Core;
using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

public sealed class ApprovalWorkflowTests
{
    // Tue 3 Mar 2026, 10:00 in Hong Kong: an ordinary working morning.
    private static readonly DateTimeOffset Start = Hkt(2026, 3, 3, 10);

    private static ClaimDriver Demo(DateTimeOffset? at = null, params Delegation[] delegations)
    {
        var when = at ?? Start;
        var driver = new ClaimDriver("c-1", Context(delegations), when);
        driver.Submit(Plan("emp-chan", 6200m, "client-entertainment", when));
        return driver;
    }

    private static ClaimDriver SmallMeal()
    {
        var driver = new ClaimDriver("c-2", Context(), Start);
        driver.Submit(Plan("emp-chan", 200m, "meals", Start), amount: 200m);
        return driver;
    }

    [Fact]
    public void Submit_DemoClaim_NotifiesLineManager()
    {
        var driver = Demo();

        var notify = Assert.Single(driver.Notifications(NotificationTemplates.ApprovalRequested));
        Assert.Equal(["mgr-wong"], notify.Recipients);
    }

    [Fact]
    public void Submit_DemoClaim_ArmsReminderAndEscalationInWorkingTime()
    {
        var driver = Demo();

        var timers = driver.Effects.OfType<ScheduleTimer>().ToDictionary(t => t.Kind, t => t.DueAt);
        Assert.Equal(Calendar.AddWorkingHours(Start, 4), timers[TimerKind.Reminder]);
        Assert.Equal(Calendar.AddWorkingDays(Start, 1), timers[TimerKind.Escalation]);
    }

    [Fact]
    public void Submit_Twice_RefusedAlreadySubmitted()
    {
        var driver = Demo();

        Assert.Equal(WorkflowErrorCode.AlreadySubmitted, driver.Refuse(new Submitted("emp-chan", "emp-chan", Money.Hkd(6200), driver.State.Route!)));
    }

    [Fact]
    public void Submit_RouteNamingTheClaimant_RefusedInvalidRoute()
    {
        var route = Plan("emp-tam", 200m, "meals", Start);
        var driver = new ClaimDriver("c-3", Context(), Start);

        Assert.Equal(WorkflowErrorCode.InvalidRoute, driver.Refuse(new Submitted("mgr-wong", "mgr-wong", Money.Hkd(200), route)));
    }

    [Fact]
    public void Approve_EveryLevelInOrder_ApprovesAndPostsToLedgerOnce()
    {
        var driver = Demo();

        foreach (var approver in new[] { "mgr-wong", "head-ho", "fin-lam", "fin-cheung" })
        {
            driver.Now = driver.Now.AddMinutes(30);
            driver.Approve(approver);
        }

        Assert.Equal(WorkflowStatus.Approved, driver.State.Status);
        var post = Assert.Single(driver.Effects.OfType<PostToLedger>());
        Assert.Equal(Money.Hkd(6200), post.Amount);
    }

    [Fact]
    public void Approve_LineManager_MovesToDepartmentHeadAndNotifiesHim()
    {
        var driver = Demo();

        driver.Approve("mgr-wong");

        Assert.Equal(1, driver.State.StepIndex);
        Assert.Equal(["head-ho"], driver.LastEffects.OfType<Notify>().Single(n => n.Template == NotificationTemplates.ApprovalRequested).Recipients);
    }

    [Fact]
    public void Approve_OutOfOrderByLaterLevel_RefusedNotCurrentApprover()
    {
        var driver = Demo();

        Assert.Equal(WorkflowErrorCode.NotCurrentApprover, driver.Refuse(new DecisionMade("head-ho", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_DualSignOffWithOneSignature_StaysOnFinanceStep()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");

        driver.Approve("fin-lam");

        Assert.Equal(WorkflowStatus.Pending, driver.State.Status);
        Assert.Equal(["fin-cheung"], driver.Waiting());
    }

    [Fact]
    public void Approve_DualSignOffSameApproverTwice_RefusedAlreadySigned()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");
        driver.Approve("fin-lam");

        Assert.Equal(WorkflowErrorCode.AlreadySigned, driver.Refuse(new DecisionMade("fin-lam", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_DualSignOffSecondSignature_CompletesWorkflow()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");
        driver.Approve("fin-cheung");

        driver.Approve("fin-lam");

        Assert.Equal(WorkflowStatus.Approved, driver.State.Status);
    }

    [Fact]
    public void Approve_AnyOfGroupByEitherMember_CompletesStep()
    {
        var driver = SmallMeal();
        driver.Approve("mgr-wong");

        driver.Approve("fin-cheung");

        Assert.Equal(WorkflowStatus.Approved, driver.State.Status);
    }

    [Fact]
    public void Approve_AnyOfOtherMemberAfterCompletion_RefusedClaimFinal()
    {
        var driver = SmallMeal();
        driver.Approve("mgr-wong");
        driver.Approve("fin-cheung");

        Assert.Equal(WorkflowErrorCode.ClaimFinal, driver.Refuse(new DecisionMade("fin-lam", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_StaleStepFromDoubleClick_RefusedStepAlreadyDecided()
    {
        var driver = Demo();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Approve, null, Round: 1, StepIndex: 0));

        Assert.Equal(WorkflowErrorCode.StepAlreadyDecided, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null, Round: 1, StepIndex: 0)));
    }

    [Fact]
    public void Approve_BeforeSubmission_RefusedNotStarted()
    {
        var driver = new ClaimDriver("c-4", Context(), Start);

        Assert.Equal(WorkflowErrorCode.NotStarted, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null)));
    }

    [Fact]
    public void Reject_ByCurrentApprover_EndsWorkflowAndCancelsTimers()
    {
        var driver = Demo();

        driver.Accept(new DecisionMade("mgr-wong", Decision.Reject, "Not a client meeting", ReasonCode: DecisionReasons.Other));

        Assert.Equal(WorkflowStatus.Rejected, driver.State.Status);
        Assert.Empty(driver.State.Timers);
        Assert.Equal(2, driver.LastEffects.OfType<CancelTimer>().Count());
        Assert.Equal(["emp-chan"], Assert.Single(driver.Notifications(NotificationTemplates.ClaimRejected)).Recipients);
    }

    [Fact]
    public void Reject_AfterOneDualSignature_RejectsWholeClaim()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");
        driver.Approve("fin-lam");

        driver.Accept(new DecisionMade("fin-cheung", Decision.Reject, "Over the entertainment budget", ReasonCode: DecisionReasons.Other));

        Assert.Equal(WorkflowStatus.Rejected, driver.State.Status);
        Assert.Empty(driver.Effects.OfType<PostToLedger>());
    }

    [Fact]
    public void Reject_WithoutComment_RefusedCommentRequired()
    {
        var driver = Demo();

        Assert.Equal(WorkflowErrorCode.CommentRequired, driver.Refuse(new DecisionMade("mgr-wong", Decision.Reject, "  ", ReasonCode: DecisionReasons.Other)));
    }

    [Fact]
    public void Decide_AfterRejection_RefusedClaimFinal()
    {
        var driver = Demo();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Reject, "No", ReasonCode: DecisionReasons.Other));

        Assert.Equal(WorkflowErrorCode.ClaimFinal, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null)));
    }

    [Fact]
    public void Return_ByApprover_SuspendsAndNotifiesClaimant()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");

        driver.Accept(new DecisionMade("head-ho", Decision.Return, "Attach the guest list", ReasonCode: DecisionReasons.Other));

        Assert.Equal(WorkflowStatus.Returned, driver.State.Status);
        Assert.Equal("Attach the guest list", Assert.Single(driver.Notifications(NotificationTemplates.ClaimReturned)).Data["comment"]);
    }

    [Fact]
    public void Decide_WhileReturned_RefusedStepAlreadyDecided()
    {
        var driver = Demo();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Return, "Fix the date", ReasonCode: DecisionReasons.Other));

        Assert.Equal(WorkflowErrorCode.StepAlreadyDecided, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null)));
    }

    [Fact]
    public void Resubmit_AfterReturn_RestartsAtFirstStepOfTheFreshRoute()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Accept(new DecisionMade("head-ho", Decision.Return, "Split the bill", ReasonCode: DecisionReasons.Other));
        driver.Now = driver.Now.AddHours(1);

        var fresh = Plan("emp-chan", 900m, "client-entertainment", driver.Now);
        driver.Accept(new Resubmitted("emp-chan", Money.Hkd(900), fresh, "Split"));

        Assert.Equal((WorkflowStatus.Pending, 2, 0), (driver.State.Status, driver.State.Round, driver.State.StepIndex));
        Assert.Equal(["mgr-wong"], driver.Waiting());
        Assert.Equal(fresh.Steps.Count, driver.State.Route!.Steps.Count);
    }

    [Fact]
    public void Resubmit_AfterReturn_EarlierSignaturesNoLongerCount()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Accept(new DecisionMade("head-ho", Decision.Return, "Split the bill", ReasonCode: DecisionReasons.Other));
        driver.Accept(new Resubmitted("emp-chan", Money.Hkd(6200), Plan("emp-chan", 6200m, "client-entertainment", driver.Now), null));

        Assert.Equal(WorkflowErrorCode.NotCurrentApprover, driver.Refuse(new DecisionMade("head-ho", Decision.Approve, null)));
    }

    [Fact]
    public void Resubmit_OldRoundLinkAfterResubmission_RefusedStepAlreadyDecided()
    {
        var driver = Demo();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Return, "Receipt missing", ReasonCode: DecisionReasons.Other));
        driver.Accept(new Resubmitted("emp-chan", Money.Hkd(6200), Plan("emp-chan", 6200m, "client-entertainment", driver.Now), null));

        Assert.Equal(WorkflowErrorCode.StepAlreadyDecided, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null, Round: 1, StepIndex: 0)));
    }

    [Fact]
    public void Resubmit_WhilePending_RefusedNotReturned()
    {
        var driver = Demo();

        Assert.Equal(WorkflowErrorCode.NotReturned, driver.Refuse(new Resubmitted("emp-chan", Money.Hkd(6200), driver.State.Route!, null)));
    }

    [Fact]
    public void Resubmit_BySomeoneElse_RefusedNotClaimant()
    {
        var driver = Demo();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Return, "Receipt missing", ReasonCode: DecisionReasons.Other));

        Assert.Equal(WorkflowErrorCode.NotClaimant, driver.Refuse(new Resubmitted("emp-tam", Money.Hkd(6200), driver.State.Route!, null)));
    }

    [Fact]
    public void Withdraw_ByClaimant_TerminatesAndTellsWaitingApprover()
    {
        var driver = Demo();

        driver.Accept(new Withdrawn("emp-chan", "Duplicate"));

        Assert.Equal(WorkflowStatus.Withdrawn, driver.State.Status);
        Assert.Empty(driver.State.Timers);
        Assert.Equal(["mgr-wong"], Assert.Single(driver.Notifications(NotificationTemplates.ClaimWithdrawn)).Recipients);
    }

    [Fact]
    public void Withdraw_ByAnApprover_RefusedNotClaimant()
    {
        var driver = Demo();

        Assert.Equal(WorkflowErrorCode.NotClaimant, driver.Refuse(new Withdrawn("mgr-wong", null)));
    }

    [Fact]
    public void Withdraw_BySubmitterOnBehalf_Accepted()
    {
        var driver = new ClaimDriver("c-5", Context(), Start);
        driver.Submit(Plan("emp-chan", 200m, "meals", Start, submitter: "emp-tam"), submitter: "emp-tam", amount: 200m);

        driver.Accept(new Withdrawn("emp-tam", null));

        Assert.Equal(WorkflowStatus.Withdrawn, driver.State.Status);
    }

    [Fact]
    public void Withdraw_AfterApproval_RefusedClaimFinal()
    {
        var driver = SmallMeal();
        driver.Approve("mgr-wong");
        driver.Approve("fin-lam");

        Assert.Equal(WorkflowErrorCode.ClaimFinal, driver.Refuse(new Withdrawn("emp-chan", null)));
    }

    [Fact]
    public void Approve_ByClaimantViaDelegation_RefusedSelfApprovalForbidden()
    {
        // head-ho (mistakenly) delegates to emp-chan, whose own claim then reaches head-ho's step.
        var driver = Demo(null, new Delegation("head-ho", "emp-chan", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)));
        driver.Approve("mgr-wong");

        Assert.Equal(WorkflowErrorCode.SelfApprovalForbidden, driver.Refuse(new DecisionMade("emp-chan", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_BySubmitterOnBehalf_RefusedSelfApprovalForbidden()
    {
        var driver = new ClaimDriver("c-6", Context(), Start);
        driver.Submit(Plan("emp-chan", 200m, "meals", Start, submitter: "mgr-wong"), submitter: "mgr-wong", amount: 200m);

        Assert.Equal(WorkflowErrorCode.SelfApprovalForbidden, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_SkippedManagersEscalationTarget_CanApprove()
    {
        var driver = new ClaimDriver("c-7", Context(), Start);
        driver.Submit(Plan("emp-chan", 200m, "meals", Start, submitter: "mgr-wong"), submitter: "mgr-wong", amount: 200m);

        driver.Approve("head-ho");

        Assert.Equal(1, driver.State.StepIndex);
    }

    [Fact]
    public void Approve_DelegateWithinDateRange_SignsOnBehalfOfApprover()
    {
        var driver = Demo(null, new Delegation("head-ho", "mgr-lau", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 10)));
        driver.Approve("mgr-wong");

        driver.Approve("mgr-lau");

        Assert.Equal(2, driver.State.StepIndex);
        Assert.Contains(driver.State.History, h => h.Action == "step.approved" && h.Actor == "mgr-lau" && h.OnBehalfOf == "head-ho");
    }

    [Fact]
    public void Approve_DelegateAfterDateRange_RefusedNotCurrentApprover()
    {
        var driver = Demo(null, new Delegation("head-ho", "mgr-lau", new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 2)));
        driver.Approve("mgr-wong");

        Assert.Equal(WorkflowErrorCode.NotCurrentApprover, driver.Refuse(new DecisionMade("mgr-lau", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_DelegateBeforeDateRange_RefusedNotCurrentApprover()
    {
        var driver = Demo(null, new Delegation("head-ho", "mgr-lau", new DateOnly(2026, 3, 4), new DateOnly(2026, 3, 10)));
        driver.Approve("mgr-wong");

        Assert.Equal(WorkflowErrorCode.NotCurrentApprover, driver.Refuse(new DecisionMade("mgr-lau", Decision.Approve, null)));
    }

    [Fact]
    public void Approve_DelegationRecordedAtRuntime_TakesEffectOnNextDecision()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Context = Context(new Delegation("head-ho", "mgr-lau", new DateOnly(2026, 3, 3), new DateOnly(2026, 3, 3)));

        driver.Approve("mgr-lau");

        Assert.Equal(2, driver.State.StepIndex);
    }

    [Fact]
    public void StepStart_ActiveDelegation_NotifiesDelegateToo()
    {
        var driver = Demo(null, new Delegation("head-ho", "mgr-lau", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 10)));

        driver.Approve("mgr-wong");

        Assert.Equal(["head-ho", "mgr-lau"], driver.LastEffects.OfType<Notify>().Single(n => n.Template == NotificationTemplates.ApprovalRequested).Recipients);
    }

    [Fact]
    public void Submit_OffHours_DutySupervisorNotifiedAndTimersStartAtNextOpening()
    {
        var saturday = Hkt(2026, 3, 7, 23);
        var driver = Demo(saturday);

        Assert.Equal(["duty-ng"], Assert.Single(driver.Notifications(NotificationTemplates.ApprovalRequested)).Recipients);
        Assert.Equal(Hkt(2026, 3, 9, 13), driver.State.Timers.Single(t => t.Kind == TimerKind.Reminder).DueAt);
    }

    [Fact]
    public void Approve_OffHoursDutySupervisor_MovesToDepartmentHead()
    {
        var driver = Demo(Hkt(2026, 3, 7, 23));

        driver.Approve("duty-ng");

        Assert.Equal(["head-ho"], driver.Waiting());
    }

    [Fact]
    public void Timers_LeftAlone_RemindThenEscalateToManagerThenFinance()
    {
        var driver = Demo();

        var fired = Enumerable.Range(0, 4).Select(_ => driver.FireNextTimer().Timer.Kind).ToList();

        Assert.Equal([TimerKind.Reminder, TimerKind.Escalation, TimerKind.Reminder, TimerKind.Escalation], fired);
        Assert.Equal([["mgr-wong"], ["mgr-wong", "head-ho"]], driver.Notifications(NotificationTemplates.ApprovalReminder).Select(n => n.Recipients.ToArray()).ToArray());
        Assert.Equal([["head-ho"], ["fin-cheung", "fin-lam"]], driver.Notifications(NotificationTemplates.ApprovalEscalated).Select(n => n.Recipients.ToArray()).ToArray());
    }

    [Fact]
    public void Timers_AfterLastEscalationTier_OnlyRemindOnce()
    {
        var driver = Demo();
        for (var i = 0; i < 4; i++)
        {
            driver.FireNextTimer();
        }

        var last = driver.FireNextTimer();

        Assert.Equal(TimerKind.Reminder, last.Timer.Kind);
        Assert.Empty(driver.State.Timers);
    }

    [Fact]
    public void Timers_EscalationChainAcrossEasterWeekendAndHolidays_FiresOnWorkingDays()
    {
        // Wed 1 Apr 2026 10:00. Fri 3, Mon 6 and Tue 7 April are public holidays; 4–5 April the weekend.
        var driver = Demo(Hkt(2026, 4, 1, 10));

        var escalations = new List<DateTimeOffset>();
        while (driver.State.Timers.Count > 0)
        {
            var (timer, _) = driver.FireNextTimer();
            if (timer.Kind == TimerKind.Escalation)
            {
                escalations.Add(driver.Now);
            }
        }

        Assert.Equal([Hkt(2026, 4, 2, 10), Hkt(2026, 4, 8, 10)], escalations);
        Assert.All(escalations, e => Assert.True(Calendar.IsWorkingTime(e)));
    }

    [Fact]
    public void Timers_EscalationChainAcrossEaster_FinanceCanApproveOnThirdWorkingDay()
    {
        var driver = Demo(Hkt(2026, 4, 1, 10));
        driver.FireNextTimer();
        driver.FireNextTimer();
        driver.FireNextTimer();
        driver.FireNextTimer();

        driver.Approve("fin-lam");

        Assert.Equal((1, Hkt(2026, 4, 8, 10)), (driver.State.StepIndex, driver.Now));
    }

    [Fact]
    public void Escalation_ManagerOfWaitingApprover_CanApproveTheStep()
    {
        var driver = Demo();
        driver.FireNextTimer();
        driver.FireNextTimer();

        driver.Approve("head-ho");

        Assert.Equal(1, driver.State.StepIndex);
    }

    [Fact]
    public void Escalation_DualSignOff_OnePersonStillCannotFillBothSlots()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");
        driver.Approve("fin-cheung");
        while (driver.State.Timers.Count > 0)
        {
            driver.FireNextTimer();
        }

        Assert.Equal(WorkflowErrorCode.AlreadySigned, driver.Refuse(new DecisionMade("fin-cheung", Decision.Approve, null)));
    }

    [Fact]
    public void Timer_ForStepThatMovedOn_IgnoredAsStale()
    {
        var driver = Demo();
        var reminder = driver.State.Timers.Single(t => t.Kind == TimerKind.Reminder);
        driver.Approve("mgr-wong");
        driver.Now = reminder.DueAt;

        var result = driver.Send(new TimerFired(reminder.Id, reminder.Kind, reminder.Round, reminder.StepIndex, reminder.EscalationLevel));

        Assert.Equal(IgnoredReason.StaleTimer, Assert.IsType<Ignored>(result).Reason);
    }

    [Fact]
    public void Timer_DeliveredTwice_SecondDeliveryIgnoredAsStale()
    {
        var driver = Demo();
        var (timer, _) = driver.FireNextTimer();
        var version = driver.State.Version;

        var result = driver.Send(new TimerFired(timer.Id, timer.Kind, timer.Round, timer.StepIndex, timer.EscalationLevel));

        Assert.IsType<Ignored>(result);
        Assert.Equal(version, driver.State.Version);
    }

    [Fact]
    public void Timer_AfterClaimFinal_IgnoredAsStale()
    {
        var driver = Demo();
        var escalation = driver.State.Timers.Single(t => t.Kind == TimerKind.Escalation);
        driver.Accept(new Withdrawn("emp-chan", null));
        driver.Now = escalation.DueAt;

        var result = driver.Send(new TimerFired(escalation.Id, escalation.Kind, escalation.Round, escalation.StepIndex, escalation.EscalationLevel));

        Assert.Equal(IgnoredReason.StaleTimer, Assert.IsType<Ignored>(result).Reason);
    }

    [Fact]
    public void Timer_FiredEarly_IgnoredWithRearmTime()
    {
        var driver = Demo();
        var escalation = driver.State.Timers.Single(t => t.Kind == TimerKind.Escalation);

        var result = driver.Send(new TimerFired(escalation.Id, escalation.Kind, escalation.Round, escalation.StepIndex, escalation.EscalationLevel));

        Assert.Equal(escalation.DueAt, Assert.IsType<Ignored>(result).RearmAt);
    }

    [Fact]
    public void Timer_FromEarlierRound_IgnoredAsStale()
    {
        var driver = Demo();
        var reminder = driver.State.Timers.Single(t => t.Kind == TimerKind.Reminder);
        driver.Accept(new DecisionMade("mgr-wong", Decision.Return, "Receipt missing", ReasonCode: DecisionReasons.Other));
        driver.Accept(new Resubmitted("emp-chan", Money.Hkd(6200), Plan("emp-chan", 6200m, "client-entertainment", driver.Now), null));
        driver.Now = reminder.DueAt;

        var result = driver.Send(new TimerFired(reminder.Id, reminder.Kind, reminder.Round, reminder.StepIndex, reminder.EscalationLevel));

        Assert.Equal(IgnoredReason.StaleTimer, Assert.IsType<Ignored>(result).Reason);
    }

    [Fact]
    public void Decide_AcceptedInput_IncrementsVersionByOne()
    {
        var driver = Demo();
        var before = driver.State.Version;

        driver.Approve("mgr-wong");

        Assert.Equal(before + 1, driver.State.Version);
    }

    [Fact]
    public void Decide_RefusedInput_LeavesStateUntouched()
    {
        var driver = Demo();
        var before = driver.State;

        driver.Refuse(new DecisionMade("fin-lam", Decision.Approve, null));

        Assert.Same(before, driver.State);
    }

    [Fact]
    public void Decide_EveryTransition_AppendsAuditForEachHistoryEntry()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.FireNextTimer();

        Assert.Equal(driver.State.History.Select(h => h.Action), driver.Effects.OfType<AppendAudit>().Select(a => a.Action));
    }

    [Fact]
    public void Decide_AfterPolicyEdit_ClaimKeepsItsStoredRoute()
    {
        var driver = Demo();
        var stricter = Policy() with { Levels = [new PolicyLevel("finance", "Finance", [new LevelRule(AmountRange.Any, [], [], ApproverSelector.Named("fin-cheung"), ApprovalMode.AnyOf, "only")])] };
        Assert.Equal(["fin-cheung"], Plan("emp-chan", 6200m, "client-entertainment", Start, policy: stricter).Steps.Single().Approvers);

        driver.Approve("mgr-wong");

        Assert.Equal(["head-ho"], driver.Waiting());
    }

    [Fact]
    public void State_JsonRoundTripMidFlight_ContinuesIdentically()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.FireNextTimer();

        var json = JsonSerializer.Serialize(driver.State, ApprovalJson.Options);
        var restored = JsonSerializer.Deserialize<WorkflowState>(json, ApprovalJson.Options)!;
        var fromOriginal = Assert.IsType<Transitioned>(ApprovalWorkflow.Decide(driver.State, new DecisionMade("head-ho", Decision.Approve, null), driver.Now, driver.Context));
        var fromRestored = Assert.IsType<Transitioned>(ApprovalWorkflow.Decide(restored, new DecisionMade("head-ho", Decision.Approve, null), driver.Now, driver.Context));

        Assert.Equal(JsonSerializer.Serialize(fromOriginal.State, ApprovalJson.Options), JsonSerializer.Serialize(fromRestored.State, ApprovalJson.Options));
    }

    [Fact]
    public void Effects_JsonRoundTrip_KeepConcreteTypes()
    {
        var driver = Demo();

        var json = JsonSerializer.Serialize<IReadOnlyList<WorkflowEffect>>(driver.Effects, ApprovalJson.Options);
        var back = JsonSerializer.Deserialize<List<WorkflowEffect>>(json, ApprovalJson.Options)!;

        Assert.Equal(driver.Effects.Select(e => e.GetType()), back.Select(e => e.GetType()));
    }

    [Fact]
    public void ScheduleTimer_ToInput_IsAcceptedWhenDue()
    {
        var driver = Demo();
        var schedule = driver.Effects.OfType<ScheduleTimer>().First();
        driver.Now = schedule.DueAt;

        Assert.IsType<Transitioned>(driver.Send(schedule.ToInput()));
    }
}
