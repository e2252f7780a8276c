using Reimburse.Core;
using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

public sealed class WorkflowStatusTests
{
    private static readonly DateTimeOffset Start = Hkt(2026, 3, 3, 10);

    private static ClaimDriver Demo(params Delegation[] delegations)
    {
        var driver = new ClaimDriver("c-9", Context(delegations), Start);
        driver.Submit(Plan("emp-chan", 6200m, "client-entertainment", Start));
        return driver;
    }

    [Fact]
    public void Status_BeforeSubmission_IsPendingWithNoStep()
    {
        var view = ApprovalWorkflow.Status(WorkflowState.New("c-0"), Start, Context());

        Assert.Equal((RuntimeStatus.Pending, (CurrentStepView?)null), (view.RuntimeStatus, view.CurrentStep));
    }

    [Fact]
    public void Status_AfterSubmission_RunningAndWaitingOnLineManagerWithDueTimes()
    {
        var driver = Demo();

        var view = ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context);

        Assert.Equal(RuntimeStatus.Running, view.RuntimeStatus);
        Assert.Equal("line-manager", view.CurrentStep!.LevelId);
        Assert.Equal(["mgr-wong"], view.WaitingOn.Select(w => w.UserId));
        Assert.Equal(Calendar.AddWorkingHours(Start, 4), view.ReminderDueAt);
        Assert.Equal(Calendar.AddWorkingDays(Start, 1), view.EscalationDueAt);
    }

    [Fact]
    public void Status_DualSignOffHalfSigned_ShowsSignatureAndRemainingApprover()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");
        driver.Approve("fin-lam");

        var view = ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context);

        Assert.Equal(["fin-lam"], view.CurrentStep!.Signed.Select(s => s.Actor));
        Assert.Equal(["fin-cheung"], view.WaitingOn.Select(w => w.UserId));
    }

    [Fact]
    public void Status_AfterEscalation_MarksEscalationTargets()
    {
        var driver = Demo();
        driver.FireNextTimer();
        driver.FireNextTimer();

        var view = ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context);

        Assert.Equal([("mgr-wong", false), ("head-ho", true)], view.WaitingOn.Select(w => (w.UserId, w.ViaEscalation)));
    }

    [Fact]
    public void Status_DelegateIsListedOnBehalfOfApprover()
    {
        var driver = Demo(new Delegation("mgr-wong", "mgr-lau", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)));

        var view = ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context);

        Assert.Contains(view.WaitingOn, w => w.UserId == "mgr-lau" && w.OnBehalfOf == "mgr-wong");
    }

    [Fact]
    public void Status_Approved_IsCompletedWithFullHistory()
    {
        var driver = Demo();
        foreach (var approver in new[] { "mgr-wong", "head-ho", "fin-lam", "fin-cheung" })
        {
            driver.Approve(approver);
        }

        var view = ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context);

        Assert.Equal((RuntimeStatus.Completed, WorkflowStatus.Approved), (view.RuntimeStatus, view.Status));
        Assert.Empty(view.WaitingOn);
        Assert.Equal(4, view.History.Count(h => h.Action == "step.approved"));
        Assert.Equal("claim.approved", view.History[^1].Action);
    }

    [Fact]
    public void Status_Returned_IsSuspended()
    {
        var driver = Demo();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Return, "Receipt missing", ReasonCode: DecisionReasons.Other));

        Assert.Equal(RuntimeStatus.Suspended, ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context).RuntimeStatus);
    }

    [Fact]
    public void IsWaitingOn_EscalationTargetBeforeEscalation_IsFalse() =>
        Assert.False(ApprovalWorkflow.IsWaitingOn(Demo().State, "head-ho", Start, Context()));

    [Fact]
    public void Status_Withdrawn_IsTerminated()
    {
        var driver = Demo();
        driver.Accept(new Withdrawn("emp-chan", null));

        Assert.Equal(RuntimeStatus.Terminated, ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context).RuntimeStatus);
    }
    [Fact]
    public void Principals_AfterEscalation_IncludeManagerButNotDelegates()
    {
        var driver = Demo(new Delegation("mgr-wong", "mgr-lau", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)));
        driver.FireNextTimer();
        driver.FireNextTimer();

        Assert.Equal(["mgr-wong", "head-ho"], ApprovalWorkflow.Principals(driver.State));
    }

    [Fact]
    public void Principals_DualSignOffHalfSigned_OnlyTheUnsignedSlot()
    {
        var driver = Demo();
        driver.Approve("mgr-wong");
        driver.Approve("head-ho");
        driver.Approve("fin-cheung");

        Assert.Equal(["fin-lam"], ApprovalWorkflow.Principals(driver.State));
    }

    [Fact]
    public void WorkflowContextFor_MergesPolicyAndRuntimeDelegations()
    {
        var standing = new Delegation("head-ho", "mgr-lau", new DateOnly(2026, 12, 21), new DateOnly(2027, 1, 1));
        var runtime = new Delegation("mgr-wong", "mgr-lau", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2));

        var context = WorkflowContext.For(Policy(standing), [runtime]);

        Assert.Equal([standing, runtime], context.Delegations);
    }

    [Fact]
    public void EffectKey_DiffersByVersionAndIndex() =>
        Assert.Equal(3, new[] { ApprovalWorkflow.EffectKey("c", 1, 0), ApprovalWorkflow.EffectKey("c", 1, 1), ApprovalWorkflow.EffectKey("c", 2, 0) }.Distinct().Count());
}
