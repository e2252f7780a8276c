using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

/// <summary><see cref="ApprovalWorkflow.IsObsolete"/>: which timers a runtime may drop without reading the claim.</summary>
public sealed class TimerObsolescenceTests
{
    // Tue 3 Mar 2026, 10:00 in Hong Kong: an ordinary working morning.
    private static readonly DateTimeOffset Start = Hkt(2026, 3, 3, 10);

    private static ClaimDriver Demo()
    {
        var driver = new ClaimDriver("c-1", Context(), Start);
        driver.Submit(Plan("emp-chan", 6200m, "client-entertainment", Start));
        return driver;
    }

    [Fact]
    public void IsObsolete_TimerOfTheCurrentStep_False()
    {
        var driver = Demo();
        var timers = driver.Effects.OfType<ScheduleTimer>().ToList();

        Assert.All(timers, t => Assert.False(ApprovalWorkflow.IsObsolete(driver.State, t)));
    }

    [Fact]
    public void IsObsolete_StepDecided_TrueForEveryTimerOfThatStep()
    {
        var driver = Demo();
        var firstStep = driver.Effects.OfType<ScheduleTimer>().ToList();

        driver.Approve("mgr-wong");

        Assert.NotEmpty(firstStep);
        Assert.All(firstStep, t => Assert.True(ApprovalWorkflow.IsObsolete(driver.State, t)));
        Assert.All(driver.LastEffects.OfType<ScheduleTimer>(), t => Assert.False(ApprovalWorkflow.IsObsolete(driver.State, t)));
    }

    [Fact]
    public void IsObsolete_ClaimApproved_TrueForTheLastStepsTimers()
    {
        var driver = Demo();
        foreach (var approver in new[] { "mgr-wong", "head-ho", "fin-lam" })
        {
            driver.Now = driver.Now.AddMinutes(30);
            driver.Approve(approver);
        }
        var lastStep = driver.LastEffects.OfType<ScheduleTimer>().ToList();
        lastStep = lastStep.Count > 0 ? lastStep : driver.Effects.OfType<ScheduleTimer>().Where(t => t.StepIndex == driver.State.StepIndex).ToList();

        driver.Approve("fin-cheung");

        Assert.Equal(WorkflowStatus.Approved, driver.State.Status);
        Assert.NotEmpty(lastStep);
        Assert.All(lastStep, t => Assert.True(ApprovalWorkflow.IsObsolete(driver.State, t)));
    }
}
