using System.Globalization;
using Reimburse.Core.Risk.Learned;

namespace Reimburse.Core.Risk;

/// <summary>Risk level; High means a finance review is added and the claim can never be auto-approved.</summary>
public enum RiskLevel { Low, Medium, High }

/// <summary>One reason behind a score, worded for an approver in English and Traditional Chinese.</summary>
/// <param name="Code">Stable code from <see cref="RiskReasonCodes"/>.</param>
/// <param name="Contribution">Share of the score this reason accounts for (0..1, reasons sum to about the score).</param>
/// <param name="RelatedClaimIds">Earlier claims the reason points at (duplicates, splits); empty otherwise.</param>
public sealed record RiskReason(string Code, string English, string Chinese, double Contribution, IReadOnlyList<string> RelatedClaimIds);

/// <summary>The risk assessment of one claim.</summary>
/// <param name="Score">0..1; higher is riskier.</param>
/// <param name="RuleScore">Part of the score from rules alone (0..1).</param>
/// <param name="ModelScore">Calibrated model part (0..1); 0 when no model was given.</param>
/// <param name="ModelVersion">Version of the model used, or "rules-only".</param>
public sealed record RiskAssessment(double Score, RiskLevel Level, IReadOnlyList<RiskReason> Reasons, string ModelVersion, double RuleScore, double ModelScore)
{
    /// <summary>High risk: callers add a finance review level and must never auto-approve.</summary>
    public bool RequiresFinanceReview => Level == RiskLevel.High;
}

/// <summary>What is known about a claim before combining: features, rule hits, calibrated forest score and amount check.</summary>
public sealed record RiskEvidence(ClaimFeatures Features, IReadOnlyList<RuleHit> Hits, double ForestScore, double AmountScore);

/// <summary>Settings of the combiner.</summary>
/// <param name="HighFrom">Score from which a claim is High.</param>
/// <param name="MediumFrom">Score from which a claim is Medium.</param>
/// <param name="ModelWeight">How far the calibrated model score counts (0..1) next to the rules.</param>
/// <param name="ModelReasonFrom">Model score from which the model's reasons are listed.</param>
/// <param name="AmountZMidpoint">Amount z (vs the employee's own claims in the category) at which the amount check gives half its weight.</param>
/// <param name="AmountZWidth">Width of the amount check's logistic ramp, in z units.</param>
/// <param name="AmountWeight">Largest contribution of the amount check.</param>
public sealed record RiskScorerOptions(
    double HighFrom = 0.75,
    double MediumFrom = 0.4,
    double ModelWeight = 1.0,
    double ModelReasonFrom = 0.2,
    double AmountZMidpoint = 3.0,
    double AmountZWidth = 0.5,
    double AmountWeight = 0.9);

/// <summary>
/// Scores a claim: rules (each a probability-like weight) and the calibrated isolation-forest score
/// are combined as independent evidence, score = 1 − (1 − model)·Π(1 − rule). A rule marked
/// "forces High" (duplicate, split) makes the claim High whatever the model says.
/// Thread-safe: holds only immutable state.
/// </summary>
public sealed class RiskScorer
{
    /// <summary>Version reported when scoring without a model.</summary>
    public const string RulesOnlyVersion = "rules-only";

    private readonly RiskModel? _model;
    private readonly RiskPolicy _policy;
    private readonly RiskScorerOptions _options;
    private readonly ILearnedRiskModel? _learned;

    /// <param name="learned">The company's learned layer (trained on finance's decisions), or null for rules + forest.</param>
    public RiskScorer(RiskModel? model, RiskPolicy policy, RiskScorerOptions? options = null, ILearnedRiskModel? learned = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _model = model;
        _policy = policy;
        _options = options ?? new RiskScorerOptions();
        _learned = learned;
    }

    public RiskModel? Model => _model;

    /// <summary>The learned layer, when one scores.</summary>
    public ILearnedRiskModel? Learned => _learned;
    public RiskPolicy Policy => _policy;

    /// <summary>
    /// Scores <paramref name="claim"/> against history submitted before it (and not after
    /// <paramref name="now"/>). The claim may already be in the history; it is never compared with itself.
    /// </summary>
    public RiskAssessment Score(ClaimFacts claim, IClaimHistory history, DateTimeOffset now) => Combine(claim, Evaluate(claim, history, now));

    /// <summary>The evidence about a claim before it is combined: features, rule hits, forest score and amount check.</summary>
    public RiskEvidence Evaluate(ClaimFacts claim, IClaimHistory history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(history);
        var asOf = claim.SubmittedAt <= now ? claim.SubmittedAt : now;
        var hits = new List<RuleHit>(2);
        RiskRules.Evaluate(claim, history, _policy, asOf, hits);
        var features = RiskFeatures.Extract(claim, history, _policy, asOf);
        var forestScore = _model is null ? 0 : _options.ModelWeight * _model.Calibrate(_model.RawScore(features.Values));
        // The forest spreads its attention over every feature; a direct check of the amount against
        // the employee's own history (the company's for newcomers) catches single-feature outliers it dilutes.
        var amountScore = _model is null ? 0 : AmountScore(features[RiskFeatures.AmountZEmployeeCategory]);
        return new RiskEvidence(features, hits, forestScore, amountScore);
    }

    /// <summary>Combines evidence into a score, level and reasons (with the learned layer when one was given).</summary>
    public RiskAssessment Combine(ClaimFacts claim, RiskEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(evidence);
        var hits = evidence.Hits;
        var features = evidence.Features;
        var forestScore = evidence.ForestScore;
        var amountScore = evidence.AmountScore;
        var ruleMiss = 1.0;
        var forcesHigh = false;
        foreach (var h in hits)
        {
            ruleMiss *= 1 - h.Weight;
            forcesHigh |= h.ForcesHigh;
        }
        var ruleScore = 1 - ruleMiss;
        if (_learned is not null)
        {
            return CombineLearned(claim, evidence, ruleScore, forcesHigh);
        }
        var modelScore = 1 - ((1 - forestScore) * (1 - amountScore));
        var score = 1 - (ruleMiss * (1 - modelScore));
        var level = LevelOf(score, forcesHigh);

        var reasons = new List<RiskReason>(hits.Count + 2);
        // Split the score between evidence in proportion to each piece's log-odds-like strength.
        Span<double> strengths = stackalloc double[hits.Count];
        var ruleStrength = 0.0;
        for (var i = 0; i < hits.Count; i++)
        {
            strengths[i] = -Math.Log(1 - Math.Min(hits[i].Weight, 0.999));
            ruleStrength += strengths[i];
        }
        var forestStrength = forestScore > 0 ? -Math.Log(1 - Math.Min(forestScore, 0.999)) : 0;
        var amountStrength = amountScore > 0 ? -Math.Log(1 - Math.Min(amountScore, 0.999)) : 0;
        var totalStrength = Math.Max(1e-12, ruleStrength + forestStrength + amountStrength);
        for (var i = 0; i < hits.Count; i++)
        {
            var h = hits[i];
            reasons.Add(new RiskReason(h.Code, h.English, h.Chinese, Round(score * strengths[i] / totalStrength), h.RelatedClaimIds));
        }
        if (amountScore >= _options.ModelReasonFrom && Describe(RiskFeatures.AmountZEmployeeCategory, claim, features, _policy) is { } amountReason)
        {
            reasons.Add(amountReason with { Contribution = Round(score * amountStrength / totalStrength) });
        }
        if (_model is not null && forestScore >= _options.ModelReasonFrom)
        {
            AddModelReasons(reasons, claim, features, _model, _policy, Round(score * forestStrength / totalStrength), skipAmount: amountScore >= _options.ModelReasonFrom);
        }
        if (reasons.Count > 1)
        {
            reasons.Sort((a, b) => b.Contribution.CompareTo(a.Contribution));
        }
        return new RiskAssessment(Round(score), level, reasons, _model?.Version ?? RulesOnlyVersion, Round(ruleScore), Round(modelScore));
    }

    private RiskLevel LevelOf(double score, bool forcesHigh) =>
        forcesHigh || score >= _options.HighFrom ? RiskLevel.High
        : score >= _options.MediumFrom ? RiskLevel.Medium
        : RiskLevel.Low;

    // The learned layer already saw the rule hits and the forest score; its probability is the score, never below what
    // the rules alone say (so a rule keeps its level and duplicates/splits their forced High).
    private RiskAssessment CombineLearned(ClaimFacts claim, RiskEvidence evidence, double ruleScore, bool forcesHigh)
    {
        var learned = _learned!;
        Span<float> row = stackalloc float[RiskStacking.Columns.Count];
        RiskStacking.Fill(evidence.Features, evidence.Hits, evidence.ForestScore, evidence.AmountScore, row);
        var p = Math.Clamp(learned.Predict(row), 0, 1);
        var score = Math.Max(p, ruleScore);
        var level = LevelOf(score, forcesHigh);
        var hits = evidence.Hits;
        var reasons = new List<RiskReason>(hits.Count + 1);
        Span<double> strengths = stackalloc double[hits.Count];
        var ruleStrength = 0.0;
        for (var i = 0; i < hits.Count; i++)
        {
            strengths[i] = -Math.Log(1 - Math.Min(hits[i].Weight, 0.999));
            ruleStrength += strengths[i];
        }
        var learnedStrength = p >= _options.ModelReasonFrom ? -Math.Log(1 - Math.Min(p, 0.999)) : 0;
        var totalStrength = Math.Max(1e-12, ruleStrength + learnedStrength);
        for (var i = 0; i < hits.Count; i++)
        {
            var h = hits[i];
            reasons.Add(new RiskReason(h.Code, h.English, h.Chinese, Round(score * strengths[i] / totalStrength), h.RelatedClaimIds));
        }
        if (learnedStrength > 0)
        {
            reasons.Add(LearnedReason(learned, row, hits, Round(score * learnedStrength / totalStrength)));
        }
        if (reasons.Count > 1)
        {
            reasons.Sort((a, b) => b.Contribution.CompareTo(a.Contribution));
        }
        return new RiskAssessment(Round(score), level, reasons, learned.Version, Round(ruleScore), Round(p));
    }

    // Names, in words, the (at most two) inputs that weighed most for this claim: the model's importance of a column times
    // how far the claim is from the training median on it. Rules that fired already have their own worded reason.
    private static RiskReason LearnedReason(ILearnedRiskModel learned, ReadOnlySpan<float> row, IReadOnlyList<RuleHit> hits, double contribution)
    {
        int best = -1, second = -1;
        double bestWeight = 0, secondWeight = 0;
        for (var c = 0; c < row.Length; c++)
        {
            if (c >= RiskStacking.FirstRuleColumn && c < RiskStacking.ForestColumn && hits.Any(h => RiskStacking.RuleColumn(h.Code) == c))
            {
                continue;
            }
            var w = learned.ColumnImportance[c] * Math.Abs(row[c] - learned.ColumnMedians[c]) / Math.Max(1e-6, learned.ColumnScales[c]);
            if (w > bestWeight)
            {
                (second, secondWeight) = (best, bestWeight);
                (best, bestWeight) = (c, w);
            }
            else if (w > secondWeight)
            {
                (second, secondWeight) = (c, w);
            }
        }
        if (best < 0)
        {
            best = RiskStacking.ForestColumn; // "an unusual mix of amount, timing and merchant"
        }
        var en = RiskStacking.Words[best].English;
        var zh = RiskStacking.Words[best].Chinese;
        if (second >= 0 && secondWeight >= bestWeight / 4)
        {
            en += " and " + RiskStacking.Words[second].English;
            zh += "及" + RiskStacking.Words[second].Chinese;
        }
        return new RiskReason(RiskReasonCodes.LearnedFromDecisions,
            $"Claims like this were rejected by finance before; what weighed most: {en}.",
            $"財務部過往曾拒絕類似的申請；最主要的考慮因素：{zh}。", contribution, []);
    }

    private double AmountScore(double z) =>
        _options.AmountWeight / (1 + Math.Exp(-(z - _options.AmountZMidpoint) / _options.AmountZWidth));

    private static double Round(double v) => Math.Round(v, 4, MidpointRounding.AwayFromZero);

    // Names the (at most two) features furthest from the training data in the unusual direction.
    private static void AddModelReasons(List<RiskReason> reasons, ClaimFacts claim, ClaimFeatures f, RiskModel model, RiskPolicy policy, double contribution, bool skipAmount)
    {
        Span<(int Feature, double Deviation)> candidates = stackalloc (int, double)[RiskFeatures.Names.Count];
        var n = 0;
        for (var i = 0; i < RiskFeatures.Names.Count; i++)
        {
            var d = UnusualDirection(i) * model.FeatureDeviation(i, f[i]);
            if (d > 1.5)
            {
                candidates[n++] = (i, d);
            }
        }
        candidates[..n].Sort((a, b) => b.Deviation.CompareTo(a.Deviation));
        var used = new HashSet<string>(StringComparer.Ordinal);
        if (skipAmount)
        {
            used.Add(RiskReasonCodes.UnusualAmount);
        }
        var listed = new List<RiskReason>();
        foreach (var (feature, _) in candidates[..n])
        {
            if (Describe(feature, claim, f, policy) is { } reason && used.Add(reason.Code))
            {
                listed.Add(reason);
                if (listed.Count == 2)
                {
                    break;
                }
            }
        }
        if (listed.Count == 0)
        {
            listed.Add(new RiskReason(RiskReasonCodes.UnusualPattern,
                "This claim's combination of amount, timing and merchant is unusual compared with the company's claims.",
                "與公司過往的申請相比，此申請的金額、時間及商戶組合並不尋常。", 0, []));
        }
        foreach (var r in listed)
        {
            reasons.Add(r with { Contribution = Round(contribution / listed.Count) });
        }
    }

    // +1 when large values are the unusual side, −1 when small ones are.
    private static double UnusualDirection(int feature) => feature switch
    {
        RiskFeatures.LogHoursSinceLastClaim or RiskFeatures.LogMerchantCompanyCount or RiskFeatures.MerchantCategoryFit => -1,
        _ => 1,
    };

    private static RiskReason? Describe(int feature, ClaimFacts claim, ClaimFeatures f, RiskPolicy policy)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (feature)
        {
            case RiskFeatures.LogAmount or RiskFeatures.AmountZEmployeeCategory or RiskFeatures.AmountZEmployee or RiskFeatures.AmountZCategory or RiskFeatures.AmountToCategoryLimit:
                if (f.EmployeeTypicalHkd is { } mine && mine > 0)
                {
                    var ratio = (double)claim.AmountHkd / mine;
                    return new RiskReason(RiskReasonCodes.UnusualAmount,
                        $"{RiskRules.Hkd(claim.AmountHkd)} is {ratio.ToString("0.0", inv)}× this employee's usual {claim.Category} claim (about {RiskRules.Hkd((decimal)Math.Round(mine))}).",
                        $"{RiskRules.Hkd(claim.AmountHkd)} 是該員工一般「{policy.CategoryZh(claim.Category)}」申請（約 {RiskRules.Hkd((decimal)Math.Round(mine))}）的 {ratio.ToString("0.0", inv)} 倍。", 0, []);
                }
                if (f.CategoryTypicalHkd is { } typical && typical > 0)
                {
                    var ratio = (double)claim.AmountHkd / typical;
                    return new RiskReason(RiskReasonCodes.UnusualAmount,
                        $"{RiskRules.Hkd(claim.AmountHkd)} is {ratio.ToString("0.0", inv)}× the company's usual {claim.Category} claim (about {RiskRules.Hkd((decimal)Math.Round(typical))}).",
                        $"{RiskRules.Hkd(claim.AmountHkd)} 是公司一般「{policy.CategoryZh(claim.Category)}」申請（約 {RiskRules.Hkd((decimal)Math.Round(typical))}）的 {ratio.ToString("0.0", inv)} 倍。", 0, []);
                }
                return new RiskReason(RiskReasonCodes.UnusualAmount,
                    $"{RiskRules.Hkd(claim.AmountHkd)} is unusually large for {claim.Category}.",
                    $"以「{policy.CategoryZh(claim.Category)}」而言，{RiskRules.Hkd(claim.AmountHkd)} 金額異常地高。", 0, []);
            case RiskFeatures.WeekendOrHoliday or RiskFeatures.OffHoursSubmission:
                return new RiskReason(RiskReasonCodes.UnusualTiming,
                    "The expense falls on a weekend or public holiday, or the claim was submitted outside office hours.",
                    "開支日期為週末或公眾假期，或申請在辦公時間以外提交。", 0, []);
            case RiskFeatures.ClaimsLast7Days or RiskFeatures.LogHoursSinceLastClaim:
                return new RiskReason(RiskReasonCodes.FrequentClaims,
                    $"{f[RiskFeatures.ClaimsLast7Days].ToString("0", inv)} other claims from this employee in the past 7 days, more than usual.",
                    $"該員工過去 7 天已提交 {f[RiskFeatures.ClaimsLast7Days].ToString("0", inv)} 項其他申請，較平常多。", 0, []);
            case RiskFeatures.MerchantNewForEmployee or RiskFeatures.LogMerchantCompanyCount or RiskFeatures.MerchantCategoryFit when f[RiskFeatures.LogMerchantCompanyCount] <= 0:
                // Never seen before: "does not usually sell" would claim knowledge the company does not have.
                return new RiskReason(RiskReasonCodes.NewMerchant,
                    $"{claim.Merchant} is a new merchant: nobody in the company has claimed there before.",
                    $"{claim.Merchant} 是新商戶：公司從未有人在此申請報銷。", 0, []);
            case RiskFeatures.MerchantNewForEmployee or RiskFeatures.LogMerchantCompanyCount:
                return new RiskReason(RiskReasonCodes.NewMerchant,
                    $"{claim.Merchant} has rarely or never appeared in the company's claims.",
                    $"{claim.Merchant} 甚少或從未在公司的申請中出現。", 0, []);
            case RiskFeatures.MerchantCategoryFit:
                return new RiskReason(RiskReasonCodes.MerchantCategoryMismatch,
                    $"{claim.Merchant} does not usually sell {claim.Category}.",
                    $"{claim.Merchant} 通常不屬「{policy.CategoryZh(claim.Category)}」類別的商戶。", 0, []);
            case RiskFeatures.ReceiptMismatch:
                return new RiskReason(RiskReasonCodes.ReceiptAmountMismatch,
                    "The receipt total read by OCR differs from the amount claimed.",
                    "光學字元辨識讀取的收據總額與申請金額不符。", 0, []);
            case RiskFeatures.ReceiptAgeDays:
                return new RiskReason(RiskReasonCodes.LateSubmission,
                    $"Submitted {f[RiskFeatures.ReceiptAgeDays].ToString("0", inv)} days after the expense.",
                    $"於開支後 {f[RiskFeatures.ReceiptAgeDays].ToString("0", inv)} 天才提交。", 0, []);
            case RiskFeatures.RoundAmount:
                return new RiskReason(RiskReasonCodes.RoundAmount,
                    "The amount is a round figure, which is uncommon for receipts.",
                    "金額為整數，收據上並不常見。", 0, []);
            case RiskFeatures.ThresholdProximity:
                return new RiskReason(RiskReasonCodes.UnusualAmount,
                    $"{RiskRules.Hkd(claim.AmountHkd)} is just under an approval limit.",
                    $"{RiskRules.Hkd(claim.AmountHkd)} 略低於審批上限。", 0, []);
            default:
                return null;
        }
    }
}

/// <summary>Builds training rows from history the same way scoring sees claims, and trains a model.</summary>
public static class RiskModelTraining
{
    /// <summary>
    /// Replays <paramref name="claims"/> in submission order: each claim's features are taken
    /// against only the claims before it, exactly as at scoring time.
    /// </summary>
    public static List<double[]> BuildRows(IEnumerable<ClaimFacts> claims, RiskPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var history = new InMemoryClaimHistory();
        var rows = new List<double[]>();
        foreach (var claim in claims.OrderBy(c => c.SubmittedAt.UtcTicks).ThenBy(c => c.ClaimId, StringComparer.Ordinal))
        {
            rows.Add(RiskFeatures.Extract(claim, history, policy, claim.SubmittedAt).Values);
            history.Add(claim);
        }
        return rows;
    }

    /// <summary>Replays the claims and trains an isolation forest on the resulting rows.</summary>
    public static RiskModel Train(IEnumerable<ClaimFacts> claims, RiskPolicy policy, IsolationForestOptions options, DateTimeOffset createdAt, RiskModelSource source, string? companyId = null) =>
        RiskModel.Train(BuildRows(claims, policy), options, createdAt, source, companyId);
}
