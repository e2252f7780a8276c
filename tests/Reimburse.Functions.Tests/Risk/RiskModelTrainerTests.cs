using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;
using Reimburse.Functions.Risk;

namespace Reimburse.Tests.Risk;

public sealed class RiskModelTrainerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);

    private static readonly RiskScoringOptions Small = new() { MinCompanyClaims = 300, SyntheticEmployees = 8, SyntheticMonths = 2, Trees = 20, SampleSize = 64 };

    private static IReadOnlyList<ClaimFacts> CompanyClaims(int months) =>
        SyntheticHistoryGenerator.GenerateForUsers(
            [new("emp-chan", "sales"), new("emp-lee", "operations"), new("emp-tam", "sales"), new("fin-lam", "finance")],
            new DateOnly(2026, 11, 21).AddMonths(-months), new DateOnly(2026, 11, 21), SyntheticHistoryGenerator.HarbourTradingPolicy(), seed: 9)
        .Claims.Select(c => c.Claim).ToList();

    [Fact]
    public void BuildModel_TooFewCompanyClaims_TrainsOnSyntheticHistory()
    {
        var model = RiskModelTrainer.BuildModel("harbour", CompanyClaims(1).Take(50).ToList(), SyntheticHistoryGenerator.HarbourTradingPolicy(), Small, Now);

        Assert.Equal(RiskModelSource.Synthetic, model.Metadata.Source);
    }

    [Fact]
    public void BuildModel_EnoughCompanyClaims_TrainsOnCompanyHistory()
    {
        var claims = CompanyClaims(12);

        var model = RiskModelTrainer.BuildModel("harbour", claims, SyntheticHistoryGenerator.HarbourTradingPolicy(), Small, Now);

        Assert.Equal((RiskModelSource.Company, claims.Count, "harbour"), (model.Metadata.Source, model.Metadata.TrainingRows, model.Metadata.CompanyId));
    }

    [Fact]
    public void BuildModel_SameInputs_GivesIdenticalModel()
    {
        var a = RiskModelTrainer.BuildModel("harbour", [], SyntheticHistoryGenerator.HarbourTradingPolicy(), Small, Now);
        var b = RiskModelTrainer.BuildModel("harbour", [], SyntheticHistoryGenerator.HarbourTradingPolicy(), Small, Now);

        Assert.Equal(a.ToJson(), b.ToJson());
    }

    [Fact]
    public void Problems_InvalidContainerAndTrees_ListsBoth()
    {
        var problems = new RiskScoringOptions { ContainerName = "Risk_Models", Trees = 0 }.Problems().ToList();

        Assert.Equal(2, problems.Count);
    }
}
