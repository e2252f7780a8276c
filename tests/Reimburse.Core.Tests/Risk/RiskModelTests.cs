using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;

namespace Reimburse.Core.Tests.Risk;

public sealed class RiskModelTests
{
    private static readonly DateTimeOffset CreatedAt = new(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);

    // A small generated company, replayed into feature rows once for all tests here.
    private static readonly Lazy<(SyntheticHistory Data, List<double[]> Rows)> Sample = new(() =>
    {
        var data = SyntheticHistoryGenerator.Generate(new SyntheticHistoryOptions
        {
            Seed = 7, From = new DateOnly(2025, 1, 1), To = new DateOnly(2025, 3, 31), Employees = SyntheticHistoryGenerator.CreateEmployees(12),
        });
        return (data, RiskModelTraining.BuildRows(data.Claims.Select(c => c.Claim), data.Policy));
    });

    private static RiskModel Train(int seed, IsolationForestOptions? options = null) =>
        RiskModel.Train(Sample.Value.Rows, options ?? new IsolationForestOptions(Seed: seed, Trees: 50, SampleSize: 128), CreatedAt, RiskModelSource.Synthetic);

    [Fact]
    public void Train_SameSeedAndData_GivesIdenticalJson()
    {
        Assert.Equal(Train(11).ToJson(), Train(11).ToJson());
    }

    [Fact]
    public void Train_SameSeedAndData_GivesIdenticalScores()
    {
        var a = Train(11);
        var b = Train(11);

        Assert.All(Sample.Value.Rows, row => Assert.Equal(a.RawScore(row), b.RawScore(row)));
    }

    [Fact]
    public void Train_DifferentSeed_GivesDifferentTrees()
    {
        Assert.NotEqual(Train(11).Forest.Split, Train(12).Forest.Split);
    }

    [Fact]
    public void FromJson_RoundTrip_GivesSameJsonAndScores()
    {
        var model = Train(11);

        var copy = RiskModel.FromJson(model.ToJson());

        Assert.Equal(model.ToJson(), copy.ToJson());
        Assert.All(Sample.Value.Rows.Take(200), row => Assert.Equal(model.RawScore(row), copy.RawScore(row)));
    }

    [Fact]
    public void Train_Always_RecordsTrainingMetadata()
    {
        var m = Train(11).Metadata;

        Assert.Equal((11, 50, 128, Sample.Value.Rows.Count, CreatedAt, RiskModelSource.Synthetic), (m.Seed, m.Trees, m.SampleSize, m.TrainingRows, m.CreatedAt, m.Source));
        Assert.Equal(RiskFeatures.Names, m.FeatureNames);
        Assert.Equal(RiskModel.HashRows(Sample.Value.Rows), m.DataHash);
        Assert.StartsWith("if-20261122T020000Z-", m.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void FromJson_Malformed_ThrowsFormatException()
    {
        Assert.Throws<RiskModelFormatException>(() => RiskModel.FromJson("{\"schemaVersion\":1,"));
    }

    [Fact]
    public void FromJson_OtherFeatureSet_ThrowsFormatException()
    {
        var json = Train(11).ToJson().Replace("\"log_amount\"", "\"something_else\"", StringComparison.Ordinal);

        Assert.Throws<RiskModelFormatException>(() => RiskModel.FromJson(json));
    }

    [Fact]
    public void RawScore_ExtremeRow_ScoresAboveTypicalRow()
    {
        var model = Train(11);
        var typical = Sample.Value.Rows[Sample.Value.Rows.Count / 2];
        var extreme = typical.ToArray();
        extreme[RiskFeatures.LogAmount] = 12;
        extreme[RiskFeatures.AmountZEmployeeCategory] = 15;
        extreme[RiskFeatures.AmountZCategory] = 15;
        extreme[RiskFeatures.AmountToCategoryLimit] = 9;

        Assert.True(model.RawScore(extreme) > model.RawScore(typical));
    }

    [Fact]
    public void Calibrate_ScoreBeyondTraining_IsHigherThanMedian()
    {
        var model = Train(11);

        Assert.True(model.Calibrate(0.9) > model.Calibrate(0.3));
    }

    [Fact]
    public void IsolationForestTrain_NoRows_Throws()
    {
        Assert.Throws<ArgumentException>(() => IsolationForest.Train([], new IsolationForestOptions()));
    }
}
