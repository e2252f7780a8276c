using Reimburse.Core.Approvals;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Learned;
using Reimburse.Core.Tests.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;
using static Reimburse.Core.Tests.Risk.RiskTestData;

namespace Reimburse.Core.Tests.Risk;

/// <summary>Labels from final decisions, ranking metrics, the stacked inputs and how the scorer uses a learned layer.</summary>
public sealed class LearnedLayerTests
{
    private static readonly DateTimeOffset Start = Hkt(2026, 3, 3, 10);

    private static ClaimDriver SmallMeal(string id = "c-2")
    {
        var driver = new ClaimDriver(id, Context(), Start);
        driver.Submit(Plan("emp-chan", 200m, "meals", Start), amount: 200m);
        return driver;
    }

    private static void ApproveAll(ClaimDriver driver)
    {
        while (driver.State.Status == WorkflowStatus.Pending)
        {
            var approver = ApprovalWorkflow.WaitingOn(driver.State, Start, Context()).First().UserId;
            driver.Accept(new DecisionMade(approver, Decision.Approve, null));
        }
    }

    [Fact]
    public void FromWorkflow_Approved_IsClean()
    {
        var driver = SmallMeal();
        ApproveAll(driver);

        var label = RiskLabels.FromWorkflow(driver.State);

        Assert.NotNull(label);
        Assert.False(label.IsAnomaly);
        Assert.Equal("c-2", label.ClaimId);
    }

    [Theory]
    [InlineData(DecisionReasons.Duplicate)]
    [InlineData(DecisionReasons.PersonalExpense)]
    [InlineData(DecisionReasons.SuspiciousPattern)]
    public void FromWorkflow_RejectedForRiskReason_IsAnomalyWithCode(string code)
    {
        var driver = SmallMeal();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Reject, "No", ReasonCode: code));

        var label = RiskLabels.FromWorkflow(driver.State);

        Assert.True(label!.IsAnomaly);
        Assert.Equal(code, label.ReasonCode);
    }

    [Fact]
    public void FromWorkflow_RejectedForOther_LabelsNothing()
    {
        var driver = SmallMeal();
        driver.Accept(new DecisionMade("mgr-wong", Decision.Reject, "Wrong company", ReasonCode: DecisionReasons.Other));

        Assert.Null(RiskLabels.FromWorkflow(driver.State));
    }

    [Fact]
    public void FromWorkflow_ReturnedPendingOrWithdrawn_LabelsNothing()
    {
        var returned = SmallMeal("c-r");
        returned.Accept(new DecisionMade("mgr-wong", Decision.Return, "Receipt", ReasonCode: DecisionReasons.ReceiptMissingOrAltered));
        var withdrawn = SmallMeal("c-w");
        withdrawn.Accept(new Withdrawn("emp-chan", "Duplicate"));

        Assert.Null(RiskLabels.FromWorkflow(returned.State));
        Assert.Null(RiskLabels.FromWorkflow(SmallMeal("c-p").State));
        Assert.Null(RiskLabels.FromWorkflow(withdrawn.State));
        Assert.Empty(RiskLabels.FromWorkflows([returned.State, withdrawn.State]));
    }

    [Fact]
    public void RankingMetrics_PerfectAndReversed_OneAndLow()
    {
        bool[] labels = [false, false, true, false, true];
        double[] perfect = [0.1, 0.2, 0.9, 0.3, 0.8];
        double[] reversed = [0.9, 0.8, 0.1, 0.7, 0.2];

        Assert.Equal(1.0, RankingMetrics.RocAuc(perfect, labels));
        Assert.Equal(1.0, RankingMetrics.PrAuc(perfect, labels));
        Assert.Equal(0.0, RankingMetrics.RocAuc(reversed, labels));
        Assert.True(RankingMetrics.PrAuc(reversed, labels) < 0.5);
        Assert.True(double.IsNaN(RankingMetrics.RocAuc([0.5], [true])));
    }

    [Fact]
    public void BuildRows_SecondCopyOfReceipt_HasExactDuplicateColumnSet()
    {
        var first = Claim(id: "a-1", receipts: [Receipt("Tsui Wah Restaurant", new DateOnly(2026, 3, 2), 86.5m, hash: "dup")]);
        var second = Claim(id: "a-2", submittedAt: Monday10am.AddDays(1), receipts: [Receipt("Tsui Wah Restaurant", new DateOnly(2026, 3, 2), 86.5m, hash: "dup")]);

        var rows = RiskStacking.BuildRows([second, first], Policy(), forest: null);

        Assert.Equal(27, RiskStacking.Columns.Count);
        Assert.Equal(RiskStacking.Columns.Count, RiskStacking.Words.Count);
        Assert.Equal(["a-1", "a-2"], rows.Select(r => r.Claim.ClaimId));
        var col = RiskStacking.RuleColumn(RiskReasonCodes.ExactDuplicate);
        Assert.Equal(0f, rows[0].Inputs[col]);
        Assert.Equal((float)RiskRules.ExactDuplicateWeight, rows[1].Inputs[col]);
        Assert.True(rows[1].BaselineScore > rows[0].BaselineScore);
    }

    [Fact]
    public void Score_WithLearnedLayer_KeepsRuleReasonAndForcedHighAndAddsOneWordedReason()
    {
        var first = Claim(receipts: [Receipt("Tsui Wah Restaurant", new DateOnly(2026, 3, 2), 86.5m, hash: "dup2")]);
        var second = Claim(submittedAt: Monday10am.AddDays(1), receipts: [Receipt("Tsui Wah Restaurant", new DateOnly(2026, 3, 2), 86.5m, hash: "dup2")]);
        var learned = new FixedLearnedModel(0.3, importantColumn: RiskFeatures.LogAmount);

        var a = new RiskScorer(null, Policy(), learned: learned).Score(second, History(first), second.SubmittedAt);

        Assert.Equal(RiskLevel.High, a.Level);
        Assert.Equal("ft-test", a.ModelVersion);
        Assert.Contains(a.Reasons, r => r.Code == RiskReasonCodes.ExactDuplicate);
        var reason = Assert.Single(a.Reasons, r => r.Code == RiskReasonCodes.LearnedFromDecisions);
        Assert.Contains("the amount", reason.English, StringComparison.Ordinal);
        Assert.Contains("金額", reason.Chinese, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\d\.\d", reason.English);
    }

    [Fact]
    public void Score_WithLearnedLayer_ScoreIsTheProbabilityWhenNoRuleFires()
    {
        var a = new RiskScorer(null, Policy(), learned: new FixedLearnedModel(0.8, RiskFeatures.LogAmount)).Score(Claim(), History(), Monday10am);
        var low = new RiskScorer(null, Policy(), learned: new FixedLearnedModel(0.05, RiskFeatures.LogAmount)).Score(Claim(), History(), Monday10am);

        Assert.Equal(0.8, a.Score, 3);
        Assert.Equal(RiskLevel.High, a.Level);
        Assert.Equal(RiskLevel.Low, low.Level);
        Assert.Empty(low.Reasons);
    }

    [Fact]
    public void Describe_MerchantNobodyClaimedAt_SaysNewMerchant()
    {
        // The forest's reasons come from features far from its training data; an empty-history forest trained on ordinary
        // lunches at known places finds a never-seen merchant unusual.
        var history = Enumerable.Range(0, 300).Select(i => Claim(amount: 80m + (i % 7), merchant: i % 2 == 0 ? "Tsui Wah Restaurant" : "Jade Garden",
            submittedAt: Monday10am.AddDays(-400 + i))).ToList();
        var model = RiskModelTraining.Train(history, Policy(), new IsolationForestOptions(Seed: 1), Monday10am, RiskModelSource.Synthetic);
        var claim = Claim(category: "client-entertainment", merchant: "Maxim's Palace", amount: 2400m, receipts: []);

        var a = new RiskScorer(model, Policy()).Score(claim, History([.. history]), Monday10am);

        Assert.DoesNotContain(a.Reasons, r => r.English.Contains("does not usually sell", StringComparison.Ordinal));
        var reason = Assert.Single(a.Reasons, r => r.Code == RiskReasonCodes.NewMerchant);
        Assert.Contains("Maxim's Palace is a new merchant", reason.English, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleReason_Chinese_UsesCategoryChineseName()
    {
        var policy = Policy() with { CategoryNamesZh = new Dictionary<string, string> { ["meals"] = "膳食" } };

        var a = new RiskScorer(null, policy).Score(Claim(amount: 620m), History(), Monday10am);

        var reason = Assert.Single(a.Reasons);
        Assert.Contains("「膳食」", reason.Chinese, StringComparison.Ordinal);
        Assert.DoesNotContain("meals", reason.Chinese, StringComparison.Ordinal);
    }

    /// <summary>A learned layer with a fixed probability, for testing how the scorer combines and words it.</summary>
    private sealed class FixedLearnedModel(double probability, int importantColumn) : ILearnedRiskModel
    {
        public string Version => "ft-test";

        public double Predict(ReadOnlySpan<float> inputs) => probability;

        public IReadOnlyList<double> ColumnImportance { get; } = [.. Enumerable.Range(0, RiskStacking.Columns.Count).Select(i => i == importantColumn ? 1.0 : 0.01)];

        public IReadOnlyList<double> ColumnMedians { get; } = [.. Enumerable.Repeat(0.0, RiskStacking.Columns.Count)];

        public IReadOnlyList<double> ColumnScales { get; } = [.. Enumerable.Repeat(1.0, RiskStacking.Columns.Count)];
    }
}
