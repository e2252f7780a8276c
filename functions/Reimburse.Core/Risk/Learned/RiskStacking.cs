namespace Reimburse.Core.Risk.Learned;

/// <summary>
/// The inputs of the learned layer: the 17 risk features, the weight of each rule that fired (0 when it did not), the
/// calibrated forest score and the amount check, in this fixed order. Training and scoring build them the same way,
/// each claim against only the claims submitted before it.
/// </summary>
public static class RiskStacking
{
    /// <summary>Rules in column order.</summary>
    public static readonly IReadOnlyList<string> RuleCodes =
    [
        RiskReasonCodes.ExactDuplicate, RiskReasonCodes.NearDuplicate, RiskReasonCodes.SplitClaim, RiskReasonCodes.CategoryLimitExceeded,
        RiskReasonCodes.OverBudget, RiskReasonCodes.VendorNotApproved, RiskReasonCodes.ReceiptAmountMismatch, RiskReasonCodes.LookAlikeText,
    ];

    public static readonly int FirstRuleColumn = RiskFeatures.Names.Count;
    public static readonly int ForestColumn = FirstRuleColumn + RuleCodes.Count;
    public static readonly int AmountCheckColumn = ForestColumn + 1;

    /// <summary>Column names, stored with every learned model; a model with other names is refused.</summary>
    public static readonly IReadOnlyList<string> Columns =
        [.. RiskFeatures.Names, .. RuleCodes.Select(c => "rule_" + c), "forest_score", "amount_check"];

    /// <summary>English and Chinese words for each column, used to say what weighed most.</summary>
    public static readonly IReadOnlyList<(string English, string Chinese)> Words =
    [
        ("the amount", "金額"),
        ("the amount against this employee's usual claims in the category", "與該員工同類申請相比的金額"),
        ("the amount against this employee's usual claims", "與該員工一般申請相比的金額"),
        ("the amount against the company's claims in the category", "與公司同類申請相比的金額"),
        ("the amount against the category limit", "金額與類別上限的比較"),
        ("the time since this employee's last claim", "距該員工上次申請的時間"),
        ("how many claims this employee made in the past week", "該員工過去一週的申請數目"),
        ("an expense on a weekend or public holiday", "於週末或公眾假期的開支"),
        ("submission outside office hours", "於辦公時間以外提交"),
        ("a round amount", "整數金額"),
        ("a merchant new to this employee", "該員工從未光顧的商戶"),
        ("how often the company has claimed at this merchant", "公司在此商戶的申請次數"),
        ("whether the merchant sells this category", "商戶是否屬此類別"),
        ("the receipt total against the amount claimed", "收據總額與申請金額的比較"),
        ("how late the claim was submitted", "申請提交的延遲"),
        ("an amount just under an approval limit", "略低於審批上限的金額"),
        ("a missing receipt", "沒有收據"),
        ("a receipt claimed before", "曾被申請過的收據"),
        ("a receipt like one claimed before", "與曾申請的收據相似"),
        ("a purchase split under an approval limit", "拆分以避開審批上限的消費"),
        ("the category limit", "類別上限"),
        ("the department's budget", "部門預算"),
        ("a merchant not on the approved list", "不在核准名單上的商戶"),
        ("a receipt that does not match the claim", "與申請不符的收據"),
        ("look-alike or hidden characters in the text", "文字含相似字母或隱藏字元"),
        ("an unusual mix of amount, timing and merchant", "金額、時間及商戶的不尋常組合"),
        ("the amount against this employee's history", "與該員工過往申請相比的金額"),
    ];

    /// <summary>Fills <paramref name="row"/> (length <see cref="Columns"/>.Count) from one claim's evidence.</summary>
    public static void Fill(ClaimFeatures features, IReadOnlyList<RuleHit> hits, double forestScore, double amountScore, Span<float> row)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(hits);
        if (row.Length != Columns.Count)
        {
            throw new ArgumentException($"row needs {Columns.Count} columns.", nameof(row));
        }
        row.Clear();
        for (var i = 0; i < RiskFeatures.Names.Count; i++)
        {
            row[i] = (float)features[i];
        }
        foreach (var h in hits)
        {
            var c = RuleColumn(h.Code);
            if (c >= 0)
            {
                row[c] = Math.Max(row[c], (float)h.Weight);
            }
        }
        row[ForestColumn] = (float)forestScore;
        row[AmountCheckColumn] = (float)amountScore;
    }

    /// <summary>The column of a rule code, or −1.</summary>
    public static int RuleColumn(string code)
    {
        for (var i = 0; i < RuleCodes.Count; i++)
        {
            if (RuleCodes[i] == code)
            {
                return FirstRuleColumn + i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Replays <paramref name="claims"/> in submission order and builds each claim's stacked row against only the claims
    /// before it, with the rules + forest score of today's scorer beside it (the baseline a learned model must beat).
    /// </summary>
    public static List<StackedRow> BuildRows(IEnumerable<ClaimFacts> claims, RiskPolicy policy, RiskModel? forest)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var history = new InMemoryClaimHistory();
        var scorer = new RiskScorer(forest, policy);
        var rows = new List<StackedRow>();
        foreach (var claim in claims.OrderBy(c => c.SubmittedAt.UtcTicks).ThenBy(c => c.ClaimId, StringComparer.Ordinal))
        {
            var evidence = scorer.Evaluate(claim, history, claim.SubmittedAt);
            var row = new float[Columns.Count];
            Fill(evidence.Features, evidence.Hits, evidence.ForestScore, evidence.AmountScore, row);
            rows.Add(new StackedRow(claim, row, scorer.Combine(claim, evidence).Score));
            history.Add(claim);
        }
        return rows;
    }
}

/// <summary>One claim's learned-layer inputs and today's rules + forest score of it.</summary>
public sealed record StackedRow(ClaimFacts Claim, float[] Inputs, double BaselineScore);

/// <summary>
/// A trained learned layer as the scorer sees it (the ML.NET model lives in the host): the probability that a claim is
/// an anomaly as finance would decide, and what each column weighed. Implementations must be thread-safe.
/// </summary>
public interface ILearnedRiskModel
{
    /// <summary>Version id, e.g. "ft-20261202T030000Z-1a2b3c4d".</summary>
    string Version { get; }

    /// <summary>Probability (0..1) from the <see cref="RiskStacking.Columns"/> inputs.</summary>
    double Predict(ReadOnlySpan<float> inputs);

    /// <summary>Per column: importance (≥ 0), training median and spread, to say which inputs weighed most for a claim.</summary>
    IReadOnlyList<double> ColumnImportance { get; }

    IReadOnlyList<double> ColumnMedians { get; }

    IReadOnlyList<double> ColumnScales { get; }
}
