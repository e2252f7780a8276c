using System.Diagnostics;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Learned;
using Reimburse.Core.Risk.Synthetic;
using Reimburse.Functions.Risk.Learned;

namespace Reimburse.Bench;

/// <summary>
/// The learned layer (ML.NET FastTree on features + rule hits + forest score) next to today's rules + forest, on the
/// same time split as the main run: label budgets (5 %, a quarter, all training claims), 10 % of labels flipped, and a
/// model trained on one generator seed/mix scored on another. Scores as production does: max(learned probability, rules).
/// </summary>
internal static class AnomalyLearnedBenchmark
{
    private sealed record Eval(double Roc, double Pr, double FprHigh, double ExactRecall, double NearRecall, double SplitRecall);

    public static void Run(SyntheticHistory data, int seed, bool quick, CancellationToken cancellationToken)
    {
        var claims = data.Claims;
        var cut = (int)(claims.Count * 0.8);
        var forest = RiskModelTraining.Train(claims.Take(cut).Select(c => c.Claim), data.Policy, new IsolationForestOptions(Seed: seed),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), RiskModelSource.Synthetic);
        var sw = Stopwatch.StartNew();
        var rows = RiskStacking.BuildRows(claims.Select(c => c.Claim), data.Policy, forest);
        var replaySeconds = sw.Elapsed.TotalSeconds;
        var byId = claims.ToDictionary(c => c.Claim.ClaimId, StringComparer.Ordinal);
        var train = rows.Take(cut).ToList();
        var holdout = rows.Skip(cut).ToList();
        var truth = holdout.Select(r => byId[r.Claim.ClaimId]).ToList();

        Console.WriteLine();
        Console.WriteLine($"learned layer (ML.NET FastTree, {new LearnedRiskOptions().Trees} trees × {new LearnedRiskOptions().Leaves} leaves, seed {seed}); same split: train {train.Count:N0}, hold-out {holdout.Count:N0} ({truth.Count(t => t.IsAnomaly):N0} anomalous); stacked replay {replaySeconds:0.00} s");
        Console.WriteLine("  model                                  labels   ROC-AUC  PR-AUC  FPR High  exact  near   split*  train s");
        var baseline = Evaluate(holdout.Select(r => r.BaselineScore).ToArray(), holdout, truth);
        Print("rules + forest + amount check (today)", "-", baseline, double.NaN);

        var random = new Random(seed);
        var order = Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).ToArray();
        LearnedRiskModel? all = null;
        foreach (var (name, share) in new[] { ("FastTree, 5 % of claims labelled", 0.05), ("FastTree, a quarter labelled", 0.25), ("FastTree, all labelled", 1.0) })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var labels = order.Take((int)(train.Count * share)).ToDictionary(i => train[i].Claim.ClaimId, i => byId[train[i].Claim.ClaimId].IsAnomaly, StringComparer.Ordinal);
            var (model, seconds) = Train(train, labels, seed);
            Print(name, labels.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), model is null ? null : Evaluate(Score(model, holdout), holdout, truth), seconds);
            if (share == 1.0)
            {
                all = model;
            }
        }
        {
            var flip = new Random(seed + 1);
            var labels = train.ToDictionary(r => r.Claim.ClaimId, r => byId[r.Claim.ClaimId].IsAnomaly ^ (flip.NextDouble() < 0.10), StringComparer.Ordinal);
            var (model, seconds) = Train(train, labels, seed);
            Print("FastTree, all labelled, 10 % flipped", labels.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), model is null ? null : Evaluate(Score(model, holdout), holdout, truth), seconds);
        }
        if (all is not null)
        {
            // Trained above on this seed's default mix; scored on another seed with a dense, split-heavy mix (its own forest).
            var other = SyntheticHistoryGenerator.Generate(new SyntheticHistoryOptions
            {
                Seed = seed + 1, From = new DateOnly(2025, 1, 1), To = new DateOnly(2025, 12, 31), Employees = SyntheticHistoryGenerator.CreateEmployees(150),
                AnomalyRate = 0.08, Mix = new Dictionary<AnomalyType, double> { [AnomalyType.SplitClaim] = 0.4, [AnomalyType.AmountOutlier] = 0.3, [AnomalyType.NearDuplicate] = 0.3 },
            });
            var otherCut = (int)(other.Claims.Count * 0.8);
            var otherForest = RiskModelTraining.Train(other.Claims.Take(otherCut).Select(c => c.Claim), other.Policy, new IsolationForestOptions(Seed: seed),
                new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), RiskModelSource.Synthetic);
            var otherRows = RiskStacking.BuildRows(other.Claims.Select(c => c.Claim), other.Policy, otherForest).Skip(otherCut).ToList();
            var otherById = other.Claims.ToDictionary(c => c.Claim.ClaimId, StringComparer.Ordinal);
            var otherTruth = otherRows.Select(r => otherById[r.Claim.ClaimId]).ToList();
            Console.WriteLine($"  scored on seed {seed + 1}, 150 people, 8 % anomalies (splits/outliers/near duplicates), hold-out {otherRows.Count:N0} ({otherTruth.Count(t => t.IsAnomaly)} anomalous):");
            Print("rules + forest + amount check (today)", "-", Evaluate(otherRows.Select(r => r.BaselineScore).ToArray(), otherRows, otherTruth), double.NaN);
            Print($"FastTree trained on seed {seed} default mix", "all", Evaluate(Score(all, otherRows), otherRows, otherTruth), double.NaN);
            Speed(all, data, claims, cut, forest);
        }
        if (!quick)
        {
            TrainingTime(data, seed);
        }
    }

    private static (LearnedRiskModel? Model, double Seconds) Train(IReadOnlyList<StackedRow> train, Dictionary<string, bool> labels, int seed)
    {
        var sw = Stopwatch.StartNew();
        var result = LearnedRiskTrainer.Train(train, labels, new LearnedRiskOptions { Seed = seed }, DateTimeOffset.UnixEpoch);
        if (!result.Trained)
        {
            Console.WriteLine($"    not trained: {result.SkippedBecause}");
        }
        return (result.Model, sw.Elapsed.TotalSeconds);
    }

    private static double[] Score(LearnedRiskModel model, IReadOnlyList<StackedRow> rows) =>
        rows.Select(r => Math.Max(model.Predict(r.Inputs), LearnedRiskTrainer.RuleScore(r.Inputs))).ToArray();

    private static Eval Evaluate(double[] scores, IReadOnlyList<StackedRow> rows, IReadOnlyList<LabelledClaim> truth)
    {
        var labels = truth.Select(t => t.IsAnomaly).ToArray();
        // High as the scorer decides it: a duplicate or split rule forces it, else score ≥ 0.75.
        var high = rows.Select((r, i) => scores[i] >= 0.75 || r.Inputs[RiskStacking.RuleColumn(RiskReasonCodes.ExactDuplicate)] > 0
            || r.Inputs[RiskStacking.RuleColumn(RiskReasonCodes.NearDuplicate)] > 0 || r.Inputs[RiskStacking.RuleColumn(RiskReasonCodes.SplitClaim)] > 0).ToArray();
        double Recall(AnomalyType type, bool detectableOnly = false)
        {
            var idx = Enumerable.Range(0, truth.Count).Where(i => truth[i].Anomaly == type && (!detectableOnly || truth[i].DetectableAtSubmission)).ToList();
            return idx.Count == 0 ? double.NaN : (double)idx.Count(i => high[i]) / idx.Count;
        }
        var clean = Enumerable.Range(0, truth.Count).Where(i => !labels[i]).ToList();
        return new Eval(RankingMetrics.RocAuc(scores, labels), RankingMetrics.PrAuc(scores, labels), (double)clean.Count(i => high[i]) / clean.Count,
            Recall(AnomalyType.ExactDuplicate), Recall(AnomalyType.NearDuplicate), Recall(AnomalyType.SplitClaim, detectableOnly: true));
    }

    private static void Print(string name, string labels, Eval? e, double seconds)
    {
        if (e is null)
        {
            Console.WriteLine($"  {name,-38} {labels,7}   (not trained)");
            return;
        }
        static string P(double v) => double.IsNaN(v) ? "   -  " : v.ToString("0.0%", System.Globalization.CultureInfo.InvariantCulture).PadLeft(6);
        Console.WriteLine($"  {name,-38} {labels,7}   {e.Roc,7:0.000}  {e.Pr,6:0.000}  {e.FprHigh,8:0.00%} {P(e.ExactRecall)} {P(e.NearRecall)} {P(e.SplitRecall)}  {(double.IsNaN(seconds) ? "" : seconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)),7}");
    }

    // End to end on one core: features + rules + forest + learned model + reasons, each claim against the claims before it.
    private static void Speed(LearnedRiskModel model, SyntheticHistory data, IReadOnlyList<LabelledClaim> claims, int cut, RiskModel forest)
    {
        var scorer = new RiskScorer(forest, data.Policy, learned: model);
        var history = new InMemoryClaimHistory();
        history.AddRange(claims.Take(cut).Select(c => c.Claim));
        for (var i = cut; i < claims.Count; i++)
        {
            history.Add(claims[i].Claim);
        }
        double best = 0, p50 = 0, p99 = 0;
        var n = claims.Count - cut;
        for (var pass = 0; pass < 3; pass++)
        {
            var lat = new double[n];
            var begin = Stopwatch.GetTimestamp();
            for (var i = cut; i < claims.Count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                scorer.Score(claims[i].Claim, history, claims[i].Claim.SubmittedAt);
                lat[i - cut] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            var rate = n / Stopwatch.GetElapsedTime(begin).TotalSeconds;
            if (rate > best)
            {
                Array.Sort(lat);
                best = rate;
                p50 = lat[n / 2];
                p99 = lat[Math.Min(n - 1, (int)(n * 0.99))];
            }
        }
        Console.WriteLine($"  scoring with the learned layer, 1 core: {best:N0} claims/s, p50 {p50:0.000} ms, p99 {p99:0.000} ms (features + rules + forest + FastTree + reasons; best of 3; {model.EnginesCreated} pooled engine(s))");
    }

    private static void TrainingTime(SyntheticHistory data, int seed)
    {
        var claims = data.Claims.Take(100_000).ToList();
        var forest = RiskModelTraining.Train(claims.Take(20_000).Select(c => c.Claim), data.Policy, new IsolationForestOptions(Seed: seed), DateTimeOffset.UnixEpoch, RiskModelSource.Synthetic);
        var sw = Stopwatch.StartNew();
        var rows = RiskStacking.BuildRows(claims.Select(c => c.Claim), data.Policy, forest);
        var replay = sw.Elapsed.TotalSeconds;
        var labels = claims.ToDictionary(c => c.Claim.ClaimId, c => c.IsAnomaly, StringComparer.Ordinal);
        var result = LearnedRiskTrainer.Train(rows, labels, new LearnedRiskOptions { Seed = seed }, DateTimeOffset.UnixEpoch);
        var total = sw.Elapsed.TotalSeconds;
        using var zip = new MemoryStream();
        result.Model?.Save(zip);
        Console.WriteLine($"  learned training on {claims.Count:N0} claims, all labelled: {total:0.00} s ({replay:0.00} s replaying into stacked rows, {total - replay:0.00} s two FastTree fits + hold-out); zip {zip.Length / 1024.0:N0} KiB");
    }
}
