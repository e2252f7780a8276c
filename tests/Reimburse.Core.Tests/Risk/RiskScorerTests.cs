using Reimburse.Core.Risk;
using static Reimburse.Core.Tests.Risk.RiskTestData;

namespace Reimburse.Core.Tests.Risk;

public sealed class RiskScorerTests
{
    private static readonly DateOnly Day = new(2026, 3, 2);

    [Fact]
    public void Score_ExactDuplicate_IsHighAndRequiresFinanceReview()
    {
        var first = Claim(receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "dup")]);
        var second = Claim(submittedAt: Monday10am.AddDays(1), receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "dup")]);

        var a = new RiskScorer(null, Policy()).Score(second, History(first), second.SubmittedAt);

        Assert.Equal(RiskLevel.High, a.Level);
        Assert.True(a.RequiresFinanceReview);
        Assert.Equal(RiskReasonCodes.ExactDuplicate, a.Reasons[0].Code);
    }

    [Fact]
    public void Score_OrdinaryLunchWithoutHistory_IsLow()
    {
        var a = new RiskScorer(null, Policy()).Score(Claim(), History(), Monday10am);

        Assert.Equal(RiskLevel.Low, a.Level);
        Assert.Empty(a.Reasons);
    }

    [Fact]
    public void Score_WithoutModel_ReportsRulesOnlyVersion()
    {
        Assert.Equal(RiskScorer.RulesOnlyVersion, new RiskScorer(null, Policy()).Score(Claim(), History(), Monday10am).ModelVersion);
    }

    [Fact]
    public void Score_RuleHit_GivesEnglishAndChineseText()
    {
        var a = new RiskScorer(null, Policy()).Score(Claim(amount: 620m), History(), Monday10am);

        var reason = Assert.Single(a.Reasons);
        Assert.Contains("limit", reason.English, StringComparison.Ordinal);
        Assert.Contains("上限", reason.Chinese, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_SingleMediumRule_IsMediumNotHigh()
    {
        var a = new RiskScorer(null, Policy()).Score(Claim(category: "client-entertainment", merchant: "Dragon Pearl Karaoke", amount: 2400m), History(), Monday10am);

        Assert.Equal(RiskLevel.Medium, a.Level);
        Assert.False(a.RequiresFinanceReview);
    }

    [Fact]
    public void Score_TwoMediumRules_CombineToHigh()
    {
        var a = new RiskScorer(null, Policy()).Score(Claim(category: "meals", merchant: "Dragon Pearl Karaoke", amount: 900m), History(), Monday10am);

        Assert.Equal(RiskLevel.High, a.Level);
    }

    [Fact]
    public void Score_ClaimSubmittedAfterNow_UsesNowAsCutoff()
    {
        var earlier = Claim(receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "cut")], submittedAt: Monday10am.AddHours(1));
        var claim = Claim(receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "cut")], submittedAt: Monday10am.AddHours(2));

        var a = new RiskScorer(null, Policy()).Score(claim, History(earlier), Monday10am);

        Assert.DoesNotContain(a.Reasons, r => r.Code == RiskReasonCodes.ExactDuplicate);
    }

    [Fact]
    public void Score_ContributionsOfReasons_SumToScore()
    {
        var a = new RiskScorer(null, Policy()).Score(Claim(category: "meals", merchant: "Dragon Pearl Karaoke", amount: 900m), History(), Monday10am);

        Assert.Equal(a.Score, a.Reasons.Sum(r => r.Contribution), 3);
    }
}
