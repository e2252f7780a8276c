using System.Globalization;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;
using Reimburse.Core.Risk.Learned;
using RankingMetrics = Reimburse.Core.Risk.Learned.RankingMetrics;

namespace Reimburse.Functions.Risk.Learned;

/// <summary>Settings of the learned layer (section "Reimburse:Risk:Learned").</summary>
public sealed class LearnedRiskOptions
{
    /// <summary>Below this many labelled anomalies the company scores with rules + forest.</summary>
    public int MinLabelledAnomalies { get; set; } = 20;

    /// <summary>Below this many labelled claims (anomalous + clean) the company scores with rules + forest.</summary>
    public int MinLabelledClaims { get; set; } = 200;

    /// <summary>Newest share of labelled claims held out for evaluation (time split).</summary>
    public double HoldoutFraction { get; set; } = 0.2;

    /// <summary>A candidate is activated only if its hold-out PR-AUC is at least the active model's minus this.</summary>
    public double PromotionTolerance { get; set; }

    public int Seed { get; set; } = 1;

    // Small trees, slow learning: measured best on six months of a nine-person company and on the bench's large one.
    public int Trees { get; set; } = 50;

    public int Leaves { get; set; } = 8;

    public int MinExamplesPerLeaf { get; set; } = 5;

    public double LearningRate { get; set; } = 0.1;
}

/// <summary>The outcome of a training run: a model with its metadata, or why none was trained.</summary>
public sealed record LearnedTrainingResult(LearnedRiskModel? Model, string? SkippedBecause, int LabelledAnomalies, int LabelledClaims)
{
    public bool Trained => Model is not null;
}

/// <summary>
/// Trains the learned layer: FastTree (ML.NET, seeded, one thread, so the same rows give the same model) on the stacked
/// inputs of labelled claims. The labelled claims are split by time; the model trained on the older part is evaluated on
/// the newest part (ROC-AUC, PR-AUC, beside rules + forest on the same claims), and the model kept is then trained on all
/// of them. Host-independent: rows and labels in, model out.
/// </summary>
public static class LearnedRiskTrainer
{
    /// <param name="rows">Every claim's stacked row in submission order (<see cref="RiskStacking.BuildRows"/>).</param>
    /// <param name="labels">Claim id → anomaly (true) or clean (false), from final decisions only.</param>
    public static LearnedTrainingResult Train(IReadOnlyList<StackedRow> rows, IReadOnlyDictionary<string, bool> labels, LearnedRiskOptions options,
        DateTimeOffset createdAt, string? companyId = null, string? forestVersion = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        var labelled = new List<(StackedRow Row, bool Label)>();
        foreach (var r in rows)
        {
            if (labels.TryGetValue(r.Claim.ClaimId, out var label))
            {
                labelled.Add((r, label));
            }
        }
        var anomalies = labelled.Count(l => l.Label);
        if (anomalies < options.MinLabelledAnomalies || labelled.Count < options.MinLabelledClaims)
        {
            return new LearnedTrainingResult(null,
                $"{anomalies} labelled anomalies and {labelled.Count} labelled claims; the learned layer needs at least {options.MinLabelledAnomalies} and {options.MinLabelledClaims}. Rules + forest score meanwhile.",
                anomalies, labelled.Count);
        }
        var cut = (int)Math.Round(labelled.Count * (1 - options.HoldoutFraction));
        var train = labelled.Take(cut).ToList();
        var holdout = labelled.Skip(cut).ToList();
        if (!train.Any(t => t.Label) || !train.Any(t => !t.Label) || !holdout.Any(h => h.Label) || !holdout.Any(h => !h.Label))
        {
            return new LearnedTrainingResult(null, "The time split leaves a part without anomalies or without clean claims; rules + forest score meanwhile.", anomalies, labelled.Count);
        }

        var ml = new MLContext(options.Seed);
        var schema = StackedInput.Schema();
        var evaluation = Fit(ml, train, options, schema);
        // Evaluated as it scores: the learned probability, never below what the rules alone say (RiskScorer.CombineLearned).
        var probabilities = Predict(ml, evaluation, holdout, schema);
        var scored = holdout.Select((h, i) => Math.Max(probabilities[i], RuleScore(h.Row.Inputs))).ToArray();
        var holdoutLabels = holdout.Select(h => h.Label).ToArray();
        var baseline = holdout.Select(h => h.Row.BaselineScore).ToArray();
        var final = Fit(ml, labelled, options, schema);

        var columns = RiskStacking.Columns.Count;
        var weights = default(VBuffer<float>);
        final.Model.SubModel.GetFeatureWeights(ref weights);
        var dense = weights.DenseValues().Select(w => (double)w).ToArray();
        var total = Math.Max(1e-12, dense.Sum());
        var importance = Enumerable.Range(0, columns).Select(i => i < dense.Length ? dense[i] / total : 0).ToArray();
        var (medians, scales) = Spread(labelled.Select(l => l.Row.Inputs).ToList(), columns);
        var hash = Hash(labelled);
        var metadata = new LearnedModelMetadata(
            $"ft-{createdAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{hash[..8]}", companyId, RiskStacking.Columns,
            labelled.Count, anomalies, labelled.Count - anomalies, holdout.Count, holdoutLabels.Count(x => x),
            RankingMetrics.RocAuc(scored, holdoutLabels), RankingMetrics.PrAuc(scored, holdoutLabels),
            RankingMetrics.RocAuc(baseline, holdoutLabels), RankingMetrics.PrAuc(baseline, holdoutLabels),
            hash, createdAt, forestVersion, options.Seed, importance, medians, scales);
        return new LearnedTrainingResult(new LearnedRiskModel(ml, final, metadata), null, anomalies, labelled.Count);
    }

    private static BinaryPredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> Fit(MLContext ml, IReadOnlyList<(StackedRow Row, bool Label)> rows, LearnedRiskOptions options, SchemaDefinition schema)
    {
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new StackedInput { Features = r.Row.Inputs, Label = r.Label }), schema);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = nameof(StackedInput.Label),
            FeatureColumnName = nameof(StackedInput.Features),
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinExamplesPerLeaf,
            LearningRate = options.LearningRate,
            // One thread: the same rows and seed give the same trees on any machine.
            NumberOfThreads = 1,
        });
        return trainer.Fit(data);
    }

    private static double[] Predict(MLContext ml, ITransformer model, IReadOnlyList<(StackedRow Row, bool Label)> rows, SchemaDefinition schema)
    {
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new StackedInput { Features = r.Row.Inputs, Label = r.Label }), schema);
        var output = model.Transform(data);
        return output.GetColumn<float>(nameof(StackedOutput.Probability)).Select(p => (double)p).ToArray();
    }

    /// <summary>1 − Π(1 − w) over the rule columns: the rules-alone score the scorer never goes below.</summary>
    public static double RuleScore(ReadOnlySpan<float> inputs)
    {
        var miss = 1.0;
        for (var c = RiskStacking.FirstRuleColumn; c < RiskStacking.ForestColumn; c++)
        {
            miss *= 1 - inputs[c];
        }
        return 1 - miss;
    }

    private static (double[] Medians, double[] Scales) Spread(IReadOnlyList<float[]> rows, int columns)
    {
        var medians = new double[columns];
        var scales = new double[columns];
        var values = new double[rows.Count];
        for (var c = 0; c < columns; c++)
        {
            double sum = 0, sq = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                values[i] = rows[i][c];
                sum += values[i];
                sq += values[i] * values[i];
            }
            Array.Sort(values);
            medians[c] = values.Length == 0 ? 0 : values[values.Length / 2];
            var mean = sum / Math.Max(1, rows.Count);
            scales[c] = Math.Max(1e-3, Math.Sqrt(Math.Max(0, (sq / Math.Max(1, rows.Count)) - (mean * mean))));
        }
        return (medians, scales);
    }

    private static string Hash(IReadOnlyList<(StackedRow Row, bool Label)> rows)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[4];
        foreach (var (row, label) in rows)
        {
            foreach (var v in row.Inputs)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
                sha.AppendData(buffer);
            }
            sha.AppendData(label ? [1] : [0]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>Whether a trained candidate may replace the active learned model, and why (pure; the host acts on it).</summary>
public static class LearnedPromotion
{
    public sealed record Verdict(bool Activate, string Why);

    public static Verdict Decide(LearnedModelMetadata candidate, LearnedModelMetadata? active, double tolerance = 0)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (double.IsNaN(candidate.HoldoutPrAuc) || candidate.HoldoutPrAuc < candidate.BaselinePrAuc)
        {
            return new(false, $"Candidate {candidate.Version} has hold-out PR-AUC {F(candidate.HoldoutPrAuc)}, below rules + forest on the same claims ({F(candidate.BaselinePrAuc)}); not activated.");
        }
        if (active is not null && candidate.HoldoutPrAuc < active.HoldoutPrAuc - tolerance)
        {
            return new(false, $"Candidate {candidate.Version} has hold-out PR-AUC {F(candidate.HoldoutPrAuc)}, worse than the active {active.Version} ({F(active.HoldoutPrAuc)}); not activated.");
        }
        return new(true, active is null
            ? $"Candidate {candidate.Version} (hold-out PR-AUC {F(candidate.HoldoutPrAuc)}, rules + forest {F(candidate.BaselinePrAuc)}) is the first learned model; activated."
            : $"Candidate {candidate.Version} (hold-out PR-AUC {F(candidate.HoldoutPrAuc)}) is at least as good as the active {active.Version} ({F(active.HoldoutPrAuc)}); activated.");
    }

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
}
