using System.Text.Json;
using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

/// <summary>The reminder ladder (chat, then SMS, then a call) and per-office calendars in the pure state machine. Virtual time:
/// the driver's clock moves only to the next armed timer.</summary>
public sealed class ReminderLadderTests
{
    // Tue 3 Mar 2026, 10:00 in Hong Kong.
    private static readonly DateTimeOffset Start = Hkt(2026, 3, 3, 10);

    private static readonly ReachPolicy Ladder = new(
        [new LadderRung(ReachChannel.Sms, TimeSpan.FromMinutes(30)), new LadderRung(ReachChannel.Call, TimeSpan.FromHours(1))],
        new Dictionary<string, IReadOnlyList<LadderRung>>(),
        [new LadderRung(ReachChannel.Sms, TimeSpan.FromMinutes(5)), new LadderRung(ReachChannel.Call, TimeSpan.FromMinutes(10))],
        DailyCapPerApprover: 3);

    /// <summary>Shenzhen: mainland 2026 National Day (1–7 Oct) with its make-up working days Sun 20 Sep and Sat 10 Oct.</summary>
    private static readonly WorkingCalendar Shenzhen = new(
        TimeSpan.FromHours(8),
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday],
        new TimeOnly(9, 0), new TimeOnly(18, 0),
        Enumerable.Range(1, 7).Select(d => new DateOnly(2026, 10, d)),
        [new DateOnly(2026, 9, 20), new DateOnly(2026, 10, 10)]);

    private static readonly WorkingCalendar HongKong = WorkingCalendar.HongKongOffice([new DateOnly(2026, 10, 1)]);

    private static readonly Dictionary<string, Office> Offices = new()
    {
        ["hong-kong"] = new Office("hong-kong", "Causeway Bay", "Asia/Hong_Kong", HongKong),
        ["shenzhen"] = new Office("shenzhen", "Shenzhen head office", "Asia/Shanghai", Shenzhen),
    };

    private static Dictionary<string, Person> People(string wongOffice = "hong-kong", bool callsOff = false, int reachedToday = 0) => new()
    {
        ["mgr-wong"] = new Person("mgr-wong", wongOffice, "+85291234567", "zh-HK", SmsOff: false, CallsOff: callsOff, reachedToday),
        ["fin-lam"] = new Person("fin-lam", "hong-kong", "+85298765432", "en", false, false),
        ["fin-cheung"] = new Person("fin-cheung", "hong-kong", null, "en", false, false),
    };

    private static ClaimDriver Meal(DateTimeOffset at, WorkflowContext? context = null, bool urgent = false)
    {
        var policy = Policy() with { Reach = Ladder, Offices = Offices };
        context ??= new WorkflowContext(Calendar, [], Offices, People());
        var driver = new ClaimDriver("c-ladder", context, at);
        var route = Assert.IsType<RoutePlanned>(RoutePlanner.Plan(policy, Harbour.People, new RouteRequest("emp-chan", "emp-chan", Money.Hkd(200), "meals", at, Urgent: urgent))).Route;
        driver.Submit(route, amount: 200m);
        return driver;
    }

    [Fact]
    public void Ladder_ApproverStillWaiting_SmsThenCallAtTheirDueTimes()
    {
        var driver = Meal(Start);
        Assert.Single(driver.Notifications(NotificationTemplates.ApprovalRequested));

        var (smsTimer, sms) = driver.FireNextTimer();
        var smsReach = Assert.Single(sms.Effects.OfType<Reach>());
        var (callTimer, call) = driver.FireNextTimer();
        var callReach = Assert.Single(call.Effects.OfType<Reach>());

        Assert.Equal((Hkt(2026, 3, 3, 10, 30), ReachChannel.Sms, "mgr-wong", "+85291234567", "zh-HK"), (smsTimer.DueAt, smsReach.Channel, smsReach.UserId, smsReach.Phone, smsReach.Language));
        Assert.Equal((Hkt(2026, 3, 3, 11), ReachChannel.Call, 2), (callTimer.DueAt, callReach.Channel, callReach.Rung));
        Assert.Equal(["step.rung", "step.rung"], driver.State.History.Where(h => h.Action == "step.rung").Select(h => h.Action));
        Assert.Contains(driver.Effects.OfType<AppendAudit>(), a => a.Action == "step.rung" && a.Details["state"] == RungStates.Due && a.Details["channel"] == "call");
    }

    [Fact]
    public void Ladder_ApproverActsAfterSms_GetsNoCall()
    {
        var driver = Meal(Start);
        driver.FireNextTimer();

        driver.Approve("mgr-wong");
        while (driver.State.Timers.Any(t => t.Kind == TimerKind.Rung && t.UserId == "mgr-wong"))
        {
            driver.FireNextTimer();
        }

        Assert.Equal([ReachChannel.Sms], driver.Effects.OfType<Reach>().Where(r => r.UserId == "mgr-wong").Select(r => r.Channel));
    }

    [Fact]
    public void Ladder_RungDueAtClosingTime_WaitsForTheNextWorkingMorning()
    {
        var driver = Meal(Hkt(2026, 3, 3, 17, 30));

        var (deferred, none) = driver.FireNextTimer();
        var (_, sms) = driver.FireNextTimer();

        Assert.Equal(Hkt(2026, 3, 3, 18), deferred.DueAt);
        Assert.Empty(none.Effects.OfType<Reach>());
        Assert.Equal(Hkt(2026, 3, 4, 9), driver.Now);
        Assert.Equal(ReachChannel.Sms, Assert.Single(sms.Effects.OfType<Reach>()).Channel);
    }

    [Fact]
    public void Ladder_UrgentClaimAtNight_ReachesWithinMinutes()
    {
        // Wed 22:00: off-hours, so the duty supervisor takes the first step; urgent, so no waiting for the morning.
        var night = Hkt(2026, 3, 4, 22);
        var people = People();
        people["duty-ng"] = new Person("duty-ng", "hong-kong", "+8613912345678", "zh-HK", false, false);
        var driver = Meal(night, new WorkflowContext(Calendar, [], Offices, people), urgent: true);

        var (timer, sms) = driver.FireNextTimer();

        Assert.Equal(night.AddMinutes(5), timer.DueAt);
        Assert.Equal(("duty-ng", "+8613912345678"), (Assert.Single(sms.Effects.OfType<Reach>()).UserId, sms.Effects.OfType<Reach>().Single().Phone));
    }

    [Fact]
    public void Ladder_ApproverOptedOutOfCalls_CallRecordedAsOptedOut()
    {
        var driver = Meal(Start, new WorkflowContext(Calendar, [], Offices, People(callsOff: true)));

        driver.FireNextTimer();
        var (_, call) = driver.FireNextTimer();

        Assert.Empty(call.Effects.OfType<Reach>());
        Assert.Equal([RungStates.Due, RungStates.OptedOut], driver.State.Reaches!.Select(r => r.State));
        Assert.Contains(call.Effects.OfType<AppendAudit>(), a => a.Action == "step.rung" && a.Details["state"] == RungStates.OptedOut);
    }

    [Fact]
    public void Ladder_DailyCapReachedAcrossClaims_NoMoreSmsToday()
    {
        var driver = Meal(Start, new WorkflowContext(Calendar, [], Offices, People(reachedToday: 2)));

        var (_, sms) = driver.FireNextTimer();
        var (_, call) = driver.FireNextTimer();

        Assert.Single(sms.Effects.OfType<Reach>());
        Assert.Empty(call.Effects.OfType<Reach>());
        Assert.Equal(RungStates.DailyCap, driver.State.Reaches![1].State);
    }

    [Fact]
    public void Status_Ladder_ShowsDueAndScheduledRungsWithKeysAndZones()
    {
        var driver = Meal(Start, new WorkflowContext(Calendar, [], Offices, People(wongOffice: "shenzhen")));
        var (_, sms) = driver.FireNextTimer();

        var view = ApprovalWorkflow.Status(driver.State, driver.Now, driver.Context);

        Assert.Equal(
            [("mgr-wong", ReachChannel.Sms, RungStates.Due, "Asia/Shanghai"), ("mgr-wong", ReachChannel.Call, RungStates.Scheduled, "Asia/Shanghai")],
            view.Ladder!.Select(r => (r.UserId, r.Channel, r.State, r.TimeZone)));
        // The key of the Reach effect: the runtime's delivery record is found by it.
        var index = sms.Effects.ToList().FindIndex(e => e is Reach);
        Assert.Equal(ApprovalWorkflow.EffectKey("c-ladder", driver.State.Version, index), view.Ladder![0].Key);
    }

    [Fact]
    public void Escalation_ShenzhenApprover_SkipsGoldenWeek()
    {
        // Wed 30 Sep 2026 10:00: 8 working hours left that day, then Golden Week; one working day (9 h) ends Thu 8 Oct 10:00.
        var driver = Meal(Hkt(2026, 9, 30, 10), new WorkflowContext(Calendar, [], Offices, People(wongOffice: "shenzhen")));

        Assert.Equal(Hkt(2026, 10, 8, 10), driver.State.Timers.Single(t => t.Kind == TimerKind.Escalation).DueAt);
    }

    [Fact]
    public void Escalation_HongKongApprover_DoesNotWaitForGoldenWeek()
    {
        var driver = Meal(Hkt(2026, 9, 30, 10), new WorkflowContext(Calendar, [], Offices, People(wongOffice: "hong-kong")));

        // Hong Kong keeps 1 October only: Fri 2 Oct 10:00.
        Assert.Equal(Hkt(2026, 10, 2, 10), driver.State.Timers.Single(t => t.Kind == TimerKind.Escalation).DueAt);
    }

    [Fact]
    public void Escalation_ShenzhenApprover_CountsMakeUpSaturday()
    {
        // Fri 9 Oct 2026 10:00 + 1 working day: Shenzhen works Sat 10 Oct (调休), Hong Kong waits for Monday.
        var shenzhen = Meal(Hkt(2026, 10, 9, 10), new WorkflowContext(Calendar, [], Offices, People(wongOffice: "shenzhen")));
        var hongKong = Meal(Hkt(2026, 10, 9, 10), new WorkflowContext(Calendar, [], Offices, People(wongOffice: "hong-kong")));

        Assert.Equal(Hkt(2026, 10, 10, 10), shenzhen.State.Timers.Single(t => t.Kind == TimerKind.Escalation).DueAt);
        Assert.Equal(Hkt(2026, 10, 12, 10), hongKong.State.Timers.Single(t => t.Kind == TimerKind.Escalation).DueAt);
    }

    [Fact]
    public void Ladder_ShenzhenApproverOnMakeUpSaturday_SmsThatSaturday()
    {
        var driver = Meal(Hkt(2026, 10, 9, 17, 45), new WorkflowContext(Calendar, [], Offices, People(wongOffice: "shenzhen")));

        var (timer, sms) = driver.FireNextTimer();

        Assert.Equal(Hkt(2026, 10, 10, 9, 15), timer.DueAt);
        Assert.Single(sms.Effects.OfType<Reach>());
    }

    [Fact]
    public void Reach_StateAndEffects_JsonRoundTrip()
    {
        var driver = Meal(Start);
        var (_, sms) = driver.FireNextTimer();

        var state = JsonSerializer.Deserialize<WorkflowState>(JsonSerializer.Serialize(driver.State, ApprovalJson.Options), ApprovalJson.Options)!;
        var effects = JsonSerializer.Deserialize<IReadOnlyList<WorkflowEffect>>(JsonSerializer.Serialize<IReadOnlyList<WorkflowEffect>>(sms.Effects, ApprovalJson.Options), ApprovalJson.Options)!;

        Assert.Equal(driver.State.Reaches, state.Reaches);
        Assert.Equal(driver.State.Timers, state.Timers);
        Assert.Equal(sms.Effects.OfType<Reach>().Single().Phone, effects.OfType<Reach>().Single().Phone);
    }
}
