using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;

namespace Reimburse.Core.Tests.Risk;

public sealed class RiskScorerWithModelTests
{
    private static readonly Lazy<(SyntheticHistory Data, RiskModel Model, InMemoryClaimHistory History)> Trained = new(() =>
    {
        var data = SyntheticHistoryGenerator.Generate(new SyntheticHistoryOptions
        {
            Seed = 3, From = new DateOnly(2025, 1, 1), To = new DateOnly(2025, 4, 30),
            Employees = SyntheticHistoryGenerator.CreateEmployees(12), AnomalyRate = 0,
        });
        var claims = data.Claims.Select(c => c.Claim).ToList();
        var model = RiskModelTraining.Train(claims, data.Policy, new IsolationForestOptions(Seed: 5, Trees: 50, SampleSize: 128), new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero), RiskModelSource.Synthetic);
        var history = new InMemoryClaimHistory();
        history.AddRange(claims);
        return (data, model, history);
    });

    private static ClaimFacts NextMealOf(string employee, decimal amount)
    {
        var (data, _, _) = Trained.Value;
        var last = data.Claims.Last(c => c.Claim.EmployeeId == employee && c.Claim.Category == "meals").Claim;
        return last with { ClaimId = "probe-" + amount, AmountHkd = amount, SubmittedAt = new DateTimeOffset(2025, 5, 6, 3, 0, 0, TimeSpan.Zero), ExpenseDate = new DateOnly(2025, 5, 5), Receipts = [new ReceiptEvidence("probe-" + amount)] };
    }

    [Fact]
    public void Score_MealSixTimesTheEmployeesUsual_GivesUnusualAmountReason()
    {
        var (data, model, history) = Trained.Value;
        var employee = data.Claims.First(c => c.Claim.Category == "meals").Claim.EmployeeId;
        var usual = Math.Exp(data.Claims.Where(c => c.Claim.EmployeeId == employee && c.Claim.Category == "meals").Average(c => Math.Log((double)c.Claim.AmountHkd)));
        var claim = NextMealOf(employee, Math.Min(495m, Math.Round((decimal)usual * 6, 1)));

        var a = new RiskScorer(model, data.Policy).Score(claim, history, claim.SubmittedAt);

        Assert.Contains(a.Reasons, r => r.Code == RiskReasonCodes.UnusualAmount);
        Assert.True(a.Level >= RiskLevel.Medium, $"level {a.Level}, score {a.Score}");
    }

    [Fact]
    public void Score_WithModel_ReportsModelVersion()
    {
        var (data, model, history) = Trained.Value;
        var claim = NextMealOf(data.Claims[0].Claim.EmployeeId, 80m);

        Assert.Equal(model.Version, new RiskScorer(model, data.Policy).Score(claim, history, claim.SubmittedAt).ModelVersion);
    }

    [Fact]
    public void Score_TypicalMeal_ScoresBelowSixfoldMeal()
    {
        var (data, model, history) = Trained.Value;
        var employee = data.Claims.First(c => c.Claim.Category == "meals").Claim.EmployeeId;
        var usual = (decimal)Math.Exp(data.Claims.Where(c => c.Claim.EmployeeId == employee && c.Claim.Category == "meals").Average(c => Math.Log((double)c.Claim.AmountHkd)));
        var scorer = new RiskScorer(model, data.Policy);

        var typical = scorer.Score(NextMealOf(employee, Math.Round(usual, 1)), history, new DateTimeOffset(2025, 5, 6, 3, 0, 0, TimeSpan.Zero));
        var large = scorer.Score(NextMealOf(employee, Math.Min(495m, Math.Round(usual * 6, 1))), history, new DateTimeOffset(2025, 5, 6, 3, 0, 0, TimeSpan.Zero));

        Assert.True(large.Score > typical.Score, $"{large.Score} vs {typical.Score}");
    }
}
