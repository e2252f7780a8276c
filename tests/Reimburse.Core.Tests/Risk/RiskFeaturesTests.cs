using Reimburse.Core.Risk;
using static Reimburse.Core.Tests.Risk.RiskTestData;

namespace Reimburse.Core.Tests.Risk;

public sealed class RiskFeaturesTests
{
    private static ClaimFeatures Extract(ClaimFacts claim, IClaimHistory? history = null) =>
        RiskFeatures.Extract(claim, history ?? History(), Policy(), claim.SubmittedAt);

    [Fact]
    public void Extract_FirstClaimWithoutHistory_HasNeutralHistoryFeatures()
    {
        var f = Extract(Claim());

        Assert.Equal(0, f[RiskFeatures.AmountZEmployeeCategory]);
        Assert.Equal(0, f[RiskFeatures.ClaimsLast7Days]);
        Assert.Equal(1, f[RiskFeatures.MerchantNewForEmployee]);
        Assert.Equal(Math.Log(1 + (24 * 30)), f[RiskFeatures.LogHoursSinceLastClaim], 9);
        Assert.Equal(0, f.EmployeeHistoryCount);
    }

    [Fact]
    public void Extract_Always_ReturnsOneValuePerFeatureName()
    {
        Assert.Equal(RiskFeatures.Names.Count, Extract(Claim()).Values.Length);
    }

    [Fact]
    public void Extract_AmountFarAboveEmployeeHistory_GivesLargeZ()
    {
        var past = Enumerable.Range(1, 10).Select(i => Claim(amount: 80m + i, submittedAt: Monday10am.AddDays(-i))).ToArray();

        var f = Extract(Claim(amount: 480m), History(past));

        Assert.True(f[RiskFeatures.AmountZEmployeeCategory] > 5, $"z was {f[RiskFeatures.AmountZEmployeeCategory]}");
    }

    [Fact]
    public void Extract_HistoryAfterTheClaim_IsIgnored()
    {
        var later = Claim(submittedAt: Monday10am.AddDays(1));

        var f = Extract(Claim(), History(later));

        Assert.Equal(0, f.EmployeeHistoryCount);
    }

    [Fact]
    public void Extract_ThreeClaimsInPastWeek_CountsThem()
    {
        var past = new[] { Claim(submittedAt: Monday10am.AddDays(-1)), Claim(submittedAt: Monday10am.AddDays(-3)), Claim(submittedAt: Monday10am.AddDays(-6)), Claim(submittedAt: Monday10am.AddDays(-9)) };

        Assert.Equal(3, Extract(Claim(), History(past))[RiskFeatures.ClaimsLast7Days]);
    }

    [Fact]
    public void Extract_SundayExpense_IsWeekendOrHoliday()
    {
        Assert.Equal(1, Extract(Claim(expenseDate: new DateOnly(2026, 3, 1)))[RiskFeatures.WeekendOrHoliday]);
    }

    [Fact]
    public void Extract_LunarNewYearHoliday_IsWeekendOrHoliday()
    {
        Assert.Equal(1, Extract(Claim(expenseDate: new DateOnly(2026, 2, 18)))[RiskFeatures.WeekendOrHoliday]);
    }

    [Fact]
    public void Extract_SubmittedAt2330HongKong_IsOffHours()
    {
        var late = new DateTimeOffset(2026, 3, 2, 23, 30, 0, TimeSpan.FromHours(8));

        Assert.Equal(1, Extract(Claim(submittedAt: late))[RiskFeatures.OffHoursSubmission]);
    }

    [Fact]
    public void Extract_RoundHundred_IsRoundAmount()
    {
        Assert.Equal(1, Extract(Claim(amount: 300m))[RiskFeatures.RoundAmount]);
    }

    [Fact]
    public void Extract_ReceiptReadsHalfTheClaim_GivesMismatch()
    {
        var claim = Claim(amount: 200m, receipts: [Receipt("Tsui Wah Restaurant", new DateOnly(2026, 3, 2), 100m)]);

        Assert.Equal(0.5, Extract(claim)[RiskFeatures.ReceiptMismatch], 9);
    }

    [Fact]
    public void Extract_SubmittedTenDaysAfterExpense_GivesReceiptAge()
    {
        Assert.Equal(10, Extract(Claim(expenseDate: new DateOnly(2026, 2, 20)))[RiskFeatures.ReceiptAgeDays]);
    }

    [Fact]
    public void Extract_ListedVendorOutsideItsCategories_HasNoFit()
    {
        Assert.Equal(0, Extract(Claim(merchant: "Cathay Pacific"))[RiskFeatures.MerchantCategoryFit]);
    }

    [Fact]
    public void Extract_NoReceipt_FlagsMissingReceipt()
    {
        Assert.Equal(1, Extract(Claim(receipts: []))[RiskFeatures.MissingReceipt]);
    }
}
