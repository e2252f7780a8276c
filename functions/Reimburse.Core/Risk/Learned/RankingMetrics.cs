namespace Reimburse.Core.Risk.Learned;

/// <summary>Ranking quality of scores against labels: ROC-AUC (Mann–Whitney, ties half) and PR-AUC (average precision).</summary>
public static class RankingMetrics
{
    /// <summary>ROC-AUC; NaN when one class is missing.</summary>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var pairs = Pair(scores, labels);
        Array.Sort(pairs, (a, b) => a.Score.CompareTo(b.Score));
        double pos = pairs.Count(p => p.Label), neg = pairs.Length - pos;
        if (pos == 0 || neg == 0)
        {
            return double.NaN;
        }
        double rankSum = 0;
        var i = 0;
        while (i < pairs.Length)
        {
            var j = i;
            while (j < pairs.Length && pairs[j].Score == pairs[i].Score)
            {
                j++;
            }
            var avgRank = (i + 1 + j) / 2.0;
            for (var k = i; k < j; k++)
            {
                if (pairs[k].Label)
                {
                    rankSum += avgRank;
                }
            }
            i = j;
        }
        return (rankSum - (pos * (pos + 1) / 2)) / (pos * neg);
    }

    /// <summary>Average precision; tied scores are one threshold step. NaN without positives.</summary>
    public static double PrAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var pairs = Pair(scores, labels);
        Array.Sort(pairs, (a, b) => b.Score.CompareTo(a.Score));
        double pos = pairs.Count(p => p.Label);
        if (pos == 0)
        {
            return double.NaN;
        }
        double tp = 0, fp = 0, ap = 0, lastRecall = 0;
        var i = 0;
        while (i < pairs.Length)
        {
            var j = i;
            while (j < pairs.Length && pairs[j].Score == pairs[i].Score)
            {
                if (pairs[j].Label) { tp++; } else { fp++; }
                j++;
            }
            var recall = tp / pos;
            ap += (recall - lastRecall) * (tp / (tp + fp));
            lastRecall = recall;
            i = j;
        }
        return ap;
    }

    private static (double Score, bool Label)[] Pair(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        if (scores.Count != labels.Count)
        {
            throw new ArgumentException("scores and labels differ in length.", nameof(labels));
        }
        var pairs = new (double, bool)[scores.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = (scores[i], labels[i]);
        }
        return pairs;
    }
}
