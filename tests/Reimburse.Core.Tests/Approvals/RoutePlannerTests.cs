using System.Text.Json;
using Reimburse.Core;
using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

public sealed class RoutePlannerTests
{
    private static readonly DateTimeOffset Weekday = Hkt(2026, 3, 3, 10);

    private static string[][] Shape(Route route) =>
        route.Steps.Select(s => s.Slots.Select(slot => string.Join("|", slot.Approvers)).ToArray()).ToArray();

    [Fact]
    public void Plan_DemoClientEntertainmentClaim_ManagerThenHeadThenBothFinanceOfficers()
    {
        var route = Plan("emp-chan", 6200m, "client-entertainment", Weekday);

        Assert.Equal([["mgr-wong"], ["head-ho"], ["fin-lam", "fin-cheung"]], Shape(route));
        Assert.Equal(ApprovalMode.AllOf, route.Steps[2].Mode);
    }

    [Fact]
    public void Plan_SmallMeal_ManagerThenAnyFinanceOfficer()
    {
        var route = Plan("emp-chan", 200m, "meals", Weekday);

        Assert.Equal([["mgr-wong"], ["fin-lam|fin-cheung"]], Shape(route));
        Assert.Equal(ApprovalMode.AnyOf, route.Steps[1].Mode);
    }

    [Fact]
    public void Plan_OrdinaryCategoryUnderHeadThreshold_SkipsDepartmentHead() =>
        Assert.DoesNotContain(Plan("emp-chan", 2000m, "office-supplies", Weekday).Steps, s => s.LevelId == "department-head");

    [Fact]
    public void Plan_ClientEntertainmentOverItsLowerThreshold_NeedsDepartmentHead() =>
        Assert.Contains(Plan("emp-chan", 2000m, "client-entertainment", Weekday).Steps, s => s.LevelId == "department-head");

    [Fact]
    public void Plan_ExactlyDualSignOffThreshold_IsSingleSignOff() =>
        Assert.Equal(ApprovalMode.AnyOf, Plan("emp-chan", 5000m, "training", Weekday).Steps.Single(s => s.LevelId == "finance").Mode);

    [Fact]
    public void Plan_OneCentOverDualSignOffThreshold_IsDualSignOff() =>
        Assert.Equal(2, Plan("emp-chan", 5000.01m, "training", Weekday).Steps.Single(s => s.LevelId == "finance").Slots.Count);

    [Fact]
    public void Plan_Travel_AddsCategorySpecificAnyOfGroup()
    {
        var step = Plan("emp-lee", 800m, "travel", Weekday).Steps.Single(s => s.LevelId == "travel-desk");

        Assert.Equal(ApprovalMode.AnyOf, step.Mode);
        Assert.Equal(["mgr-lau", "duty-ng"], step.Slots.Single().Approvers);
    }

    [Fact]
    public void Plan_CategoryAlias_ResolvesToCanonicalCategory() =>
        Assert.Equal(Shape(Plan("emp-chan", 300m, "transport", Weekday)), Shape(Plan("emp-chan", 300m, "taxi", Weekday)));

    [Fact]
    public void Plan_SaturdaySubmission_FirstStepGoesToDutySupervisor()
    {
        var route = Plan("emp-chan", 6200m, "client-entertainment", Hkt(2026, 3, 7, 11));

        Assert.True(route.OffHours);
        Assert.Equal(["duty-ng"], route.Steps[0].Approvers);
        Assert.Equal(["head-ho"], route.Steps[1].Approvers);
    }

    [Fact]
    public void Plan_WeekdayNightSubmission_IsOffHours() =>
        Assert.Equal(["duty-ng"], Plan("emp-chan", 100m, "meals", Hkt(2026, 3, 3, 23)).Steps[0].Approvers);

    [Fact]
    public void Plan_PublicHolidayMorning_IsOffHours() =>
        Assert.True(Plan("emp-chan", 100m, "meals", Hkt(2026, 4, 6, 10)).OffHours);

    [Fact]
    public void Plan_ManagersOwnClaim_LineManagerIsHeadAndDuplicateHeadLevelDropped()
    {
        var route = Plan("mgr-wong", 6200m, "client-entertainment", Weekday);

        Assert.Equal([["head-ho"], ["fin-lam", "fin-cheung"]], Shape(route));
        Assert.Contains(route.Notes, n => n.Contains("department-head", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_SubmittedOnBehalfByTheManager_ManagerSkippedAndEscalatedToHisManager()
    {
        var route = Plan("emp-chan", 200m, "meals", Weekday, submitter: "mgr-wong");

        Assert.Equal(["head-ho"], route.Steps[0].Approvers);
        Assert.DoesNotContain(route.Steps, s => s.Approvers.Contains("mgr-wong"));
        Assert.Contains(route.Notes, n => n.Contains("segregation of duties", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_FinanceOfficersOwnSmallClaim_RemovedFromAnyOfGroup()
    {
        var route = Plan("fin-lam", 300m, "training", Weekday);

        Assert.Equal([["fin-cheung"]], Shape(route));
        Assert.Contains(route.Notes, n => n.Contains("fin-lam removed from the group", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_FinanceOfficersOwnLargeClaim_OnlyTheOtherOfficerSigns()
    {
        // Line manager, department head and the remaining finance signatory are all fin-cheung: one step.
        var route = Plan("fin-lam", 9000m, "training", Weekday);

        Assert.Equal([["fin-cheung"]], Shape(route));
    }

    [Fact]
    public void Plan_DutySupervisorsOwnOffHoursClaim_DutySupervisorSkippedAndEscalated()
    {
        var route = Plan("duty-ng", 100m, "meals", Hkt(2026, 3, 7, 11));

        Assert.Equal(["head-ho"], route.Steps[0].Approvers);
    }

    [Fact]
    public void Plan_NoRouteEverNamesClaimantOrSubmitter()
    {
        var planned = 0;
        foreach (var claimant in People.Users.Where(u => u.Manager is not null).Select(u => u.Id))
        {
            foreach (var submitter in new[] { claimant, "mgr-wong", "fin-lam" })
            {
                foreach (var amount in new[] { 100m, 2500m, 9000m })
                {
                    var result = RoutePlanner.Plan(Policy(), People, new RouteRequest(claimant, submitter, Money.Hkd(amount), "travel", Weekday));
                    if (result is RoutePlanned ok)
                    {
                        planned++;
                        Assert.DoesNotContain(ok.Route.Steps.SelectMany(s => s.Slots).SelectMany(s => s.Approvers.Concat(s.EscalationTiers.SelectMany(t => t))), a => a == claimant || a == submitter);
                    }
                }
            }
        }
        Assert.True(planned > 20, $"only {planned} routes planned");
    }

    [Fact]
    public void Plan_HighRiskFlag_AppendsFinanceReviewLevel()
    {
        var plain = Plan("emp-chan", 200m, "meals", Weekday);
        var flagged = Plan("emp-chan", 200m, "meals", Weekday, financeReview: true);

        Assert.Equal(plain.Steps.Count + 1, flagged.Steps.Count);
        Assert.Equal("finance-review", flagged.Steps[^1].LevelId);
        Assert.Equal(["fin-cheung"], flagged.Steps[^1].Approvers);
    }

    [Fact]
    public void Plan_HighRiskFlagWithoutReviewSection_UsesFinancePool()
    {
        var route = Plan("emp-chan", 200m, "meals", Weekday, financeReview: true, policy: Policy() with { FinanceReview = null });

        Assert.Equal(["fin-cheung", "fin-lam"], route.Steps[^1].Approvers);
    }

    [Fact]
    public void Plan_DemoClaim_EscalatesLineManagerToHisManagerThenFinance()
    {
        var slot = Plan("emp-chan", 6200m, "client-entertainment", Weekday).Steps[0].Slots.Single();

        Assert.Equal([["head-ho"], ["fin-cheung", "fin-lam"]], slot.EscalationTiers.Select(t => t.ToArray()).ToArray());
    }

    [Fact]
    public void Plan_DualSignOffSlots_NeverEscalateToTheOtherSignatory()
    {
        var step = Plan("emp-chan", 6200m, "client-entertainment", Weekday).Steps[2];

        Assert.DoesNotContain(step.Slots[0].EscalationTiers.SelectMany(t => t), u => u == "fin-cheung");
        Assert.DoesNotContain(step.Slots[1].EscalationTiers.SelectMany(t => t), u => u == "fin-lam");
    }

    [Fact]
    public void Plan_UnknownCategory_Unplannable()
    {
        var result = RoutePlanner.Plan(Policy(), People, new RouteRequest("emp-chan", "emp-chan", Money.Hkd(10), "yachts", Weekday));

        Assert.Equal(RoutingErrorCode.UnknownCategory, Assert.IsType<RouteUnplannable>(result).Code);
    }

    [Fact]
    public void Plan_AmountNotInPolicyCurrency_Unplannable()
    {
        var result = RoutePlanner.Plan(Policy(), People, new RouteRequest("emp-chan", "emp-chan", new Money(10, "USD"), "meals", Weekday));

        Assert.Equal(RoutingErrorCode.WrongCurrency, Assert.IsType<RouteUnplannable>(result).Code);
    }

    [Fact]
    public void Plan_UnknownClaimant_Unplannable()
    {
        var result = RoutePlanner.Plan(Policy(), People, new RouteRequest("nobody", "nobody", Money.Hkd(10), "meals", Weekday));

        Assert.Equal(RoutingErrorCode.UnknownClaimant, Assert.IsType<RouteUnplannable>(result).Code);
    }

    [Fact]
    public void Route_JsonRoundTrip_IsLossless()
    {
        var route = Plan("emp-chan", 6200m, "client-entertainment", Hkt(2026, 3, 7, 11), financeReview: true);

        var json = JsonSerializer.Serialize(route, ApprovalJson.Options);
        var back = JsonSerializer.Deserialize<Route>(json, ApprovalJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, ApprovalJson.Options));
        Assert.Equal(Shape(route), Shape(back));
    }

    [Fact]
    public void Plan_HighRiskDualSignOffClaim_DoesNotAskTheFinanceReviewerTwice()
    {
        var route = Plan("emp-chan", 6200m, "client-entertainment", Weekday, financeReview: true);

        var asked = route.Steps.SelectMany(s => s.Slots.SelectMany(slot => slot.Approvers)).ToList();
        Assert.Single(asked, a => a == "fin-cheung");
        Assert.DoesNotContain(route.Steps, s => s.LevelId == RoutePlanner.FinanceReviewLevel);
        Assert.Contains("high-risk", route.Steps.Single(s => s.LevelId == "finance").Reason);
        Assert.Contains(route.Notes, n => n.Contains("merged into level 'finance'"));
    }

    [Fact]
    public void Plan_HighRiskReviewGroupPartlySigningEarlier_OnlyTheOthersReview()
    {
        var policy = Policy() with { FinanceReview = new FinanceReviewPolicy("Review", ApproverSelector.Named("fin-cheung", "duty-ng"), ApprovalMode.AnyOf) };

        var route = Plan("emp-chan", 6200m, "client-entertainment", Weekday, financeReview: true, policy: policy);

        Assert.Equal(RoutePlanner.FinanceReviewLevel, route.Steps[^1].LevelId);
        Assert.Equal(["duty-ng"], route.Steps[^1].Approvers);
    }
}
