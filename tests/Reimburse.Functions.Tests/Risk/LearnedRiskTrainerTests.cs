using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Learned;
using Reimburse.Core.Risk.Synthetic;
using Reimburse.Functions.Risk.Learned;

namespace Reimburse.Tests.Risk;

/// <summary>One synthetic company (80 people, one year, 3% anomalies) replayed once into stacked rows, shared by the trainer tests.</summary>
public sealed class LearnedTrainingData
{
    public LearnedTrainingData()
    {
        var data = SyntheticHistoryGenerator.Generate(new SyntheticHistoryOptions
        {
            Seed = 5,
            From = new DateOnly(2025, 1, 1),
            To = new DateOnly(2025, 12, 31),
            Employees = SyntheticHistoryGenerator.CreateEmployees(80),
        });
        Claims = data.Claims;
        Policy = data.Policy;
        var forestPart = Claims.Take(Claims.Count / 4).Select(c => c.Claim).ToList();
        Forest = RiskModelTraining.Train(forestPart, Policy, new IsolationForestOptions(Trees: 50, Seed: 1), new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero), RiskModelSource.Company);
        Rows = RiskStacking.BuildRows(Claims.Select(c => c.Claim), Policy, Forest);
        Truth = Claims.ToDictionary(c => c.Claim.ClaimId, c => c.IsAnomaly, StringComparer.Ordinal);
    }

    public IReadOnlyList<LabelledClaim> Claims { get; }
    public RiskPolicy Policy { get; }
    public RiskModel Forest { get; }
    public List<StackedRow> Rows { get; }
    public Dictionary<string, bool> Truth { get; }
}

/// <summary>The learned layer on synthetic data: minimums, time-split metrics, determinism, zip round trip, pooled engines
/// and the promotion rule against poisoned labels.</summary>
public sealed class LearnedRiskTrainerTests(LearnedTrainingData data) : IClassFixture<LearnedTrainingData>
{
    private static readonly DateTimeOffset Now = new(2026, 1, 4, 3, 0, 0, TimeSpan.Zero);
    private static readonly LearnedRiskOptions Options = new();

    private LearnedTrainingResult TrainOn(IReadOnlyDictionary<string, bool> labels) =>
        LearnedRiskTrainer.Train(data.Rows, labels, Options, Now, "harbour", data.Forest.Version);

    [Fact]
    public void Train_AllClaimsLabelled_HoldoutPrAucAtLeastRulesAndForest()
    {
        var result = TrainOn(data.Truth);

        Assert.True(result.Trained, result.SkippedBecause);
        var m = result.Model!.Metadata;
        Assert.Equal(data.Rows.Count, m.TrainingRows);
        Assert.Equal(data.Truth.Count(t => t.Value), m.LabelledAnomalies);
        Assert.Equal(RiskStacking.Columns, m.FeatureNames);
        Assert.Equal(data.Forest.Version, m.ForestVersion);
        Assert.InRange(m.HoldoutRows, (int)(data.Rows.Count * 0.19), (int)(data.Rows.Count * 0.21));
        Assert.True(m.HoldoutPrAuc >= m.BaselinePrAuc, $"learned {m.HoldoutPrAuc:0.000} vs rules + forest {m.BaselinePrAuc:0.000}");
        Assert.True(m.HoldoutRocAuc > 0.95, $"ROC-AUC {m.HoldoutRocAuc:0.000}");
        Assert.Equal(1.0, m.ColumnImportance.Sum(), 6);
        Assert.StartsWith("ft-20260104T030000Z-", m.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_TooFewLabelledAnomalies_SkipsAndSaysWhy()
    {
        var few = data.Truth.Where(t => !t.Value).Take(500).Concat(data.Truth.Where(t => t.Value).Take(5)).ToDictionary(t => t.Key, t => t.Value);

        var result = TrainOn(few);

        Assert.False(result.Trained);
        Assert.Equal((5, 505), (result.LabelledAnomalies, result.LabelledClaims));
        Assert.Contains("at least 20", result.SkippedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_SameRowsAndSeed_SameVersionAndScores()
    {
        var labels = EveryNth(4);
        var a = TrainOn(labels).Model!;
        var b = TrainOn(labels).Model!;

        Assert.Equal(a.Version, b.Version);
        Assert.Equal(a.Metadata.HoldoutPrAuc, b.Metadata.HoldoutPrAuc);
        Assert.All(data.Rows.Take(300), r => Assert.Equal(a.Predict(r.Inputs), b.Predict(r.Inputs)));
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameScores()
    {
        var model = TrainOn(EveryNth(4)).Model!;
        using var zip = new MemoryStream();
        model.Save(zip);
        zip.Position = 0;

        var loaded = LearnedRiskModel.Load(zip, LearnedModelMetadata.FromJson(model.Metadata.ToJson()));

        Assert.Equal(model.Version, loaded.Version);
        Assert.All(data.Rows.Take(300), r => Assert.Equal(model.Predict(r.Inputs), loaded.Predict(r.Inputs)));
    }

    [Fact]
    public void Load_CorruptZip_RiskModelFormatException()
    {
        var model = TrainOn(EveryNth(4)).Model!;
        using var zip = new MemoryStream("PK\u0003\u0004 not a model"u8.ToArray());

        Assert.Throws<RiskModelFormatException>(() => LearnedRiskModel.Load(zip, model.Metadata));
    }

    [Fact]
    public async Task Predict_FromManyThreads_SameAsOneThreadAndEnginesPooled()
    {
        var model = TrainOn(EveryNth(4)).Model!;
        var rows = data.Rows.Take(2000).ToList();
        var expected = rows.Select(r => model.Predict(r.Inputs)).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => rows.Select(r => model.Predict(r.Inputs)).ToArray())));

        Assert.All(results, r => Assert.Equal(expected, r));
        Assert.InRange(model.EnginesCreated, 1, 9);
    }

    [Fact]
    public void Promotion_FinanceLabelsFifthOfCleanAsFraud_CandidateNotActivated()
    {
        var active = TrainOn(data.Truth).Model!;
        var random = new Random(7);
        var poisoned = data.Truth.ToDictionary(t => t.Key, t => t.Value || random.NextDouble() < 0.2);

        var candidate = TrainOn(poisoned).Model!;
        var verdict = LearnedPromotion.Decide(candidate.Metadata, active.Metadata);

        Assert.False(verdict.Activate, verdict.Why);
        Assert.Contains("not activated", verdict.Why, StringComparison.Ordinal);
        Assert.True(candidate.Metadata.HoldoutPrAuc < active.Metadata.HoldoutPrAuc);
    }

    [Fact]
    public void Promotion_FirstModelBetterThanRulesAndForest_Activated()
    {
        var candidate = TrainOn(data.Truth).Model!;

        var verdict = LearnedPromotion.Decide(candidate.Metadata, active: null);

        Assert.True(verdict.Activate, verdict.Why);
    }

    [Fact]
    public void Promotion_CandidateWorseThanActive_NotActivatedAndSaysWhy()
    {
        var active = TrainOn(data.Truth).Model!.Metadata;
        var candidate = active with { Version = "ft-b", HoldoutPrAuc = active.HoldoutPrAuc - 0.05, BaselinePrAuc = 0 };

        var verdict = LearnedPromotion.Decide(candidate, active);

        Assert.False(verdict.Activate);
        Assert.Contains("worse than the active", verdict.Why, StringComparison.Ordinal);
    }

    // Labels for every n-th claim only: finance decided a sample.
    private Dictionary<string, bool> EveryNth(int n) =>
        data.Rows.Where((_, i) => i % n == 0).ToDictionary(r => r.Claim.ClaimId, r => data.Truth[r.Claim.ClaimId], StringComparer.Ordinal);
}
