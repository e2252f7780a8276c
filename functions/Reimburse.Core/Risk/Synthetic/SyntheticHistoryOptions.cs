namespace Reimburse.Core.Risk.Synthetic;

/// <summary>Kinds of anomaly the generator injects (one per rule, plus plain amount outliers).</summary>
public enum AnomalyType { ExactDuplicate, NearDuplicate, SplitClaim, OverBudget, VendorNotApproved, CategoryLimitExceeded, AmountOutlier }

/// <summary>An employee of the synthetic company; department is one of sales, operations, finance, admin.</summary>
public sealed record SyntheticEmployee(string Id, string Department);

/// <summary>A generated claim and its ground truth.</summary>
/// <param name="Anomaly">Injected anomaly type, or null for a clean claim.</param>
/// <param name="DetectableAtSubmission">
/// False for the first piece of a split: when it arrives nothing marks it yet; it can only be named
/// later, by the piece that completes the split.
/// </param>
public sealed record LabelledClaim(ClaimFacts Claim, AnomalyType? Anomaly, bool DetectableAtSubmission = true)
{
    public bool IsAnomaly => Anomaly is not null;
}

/// <summary>Generated claims (ordered by submission time) and the policy they were generated under.</summary>
public sealed record SyntheticHistory(IReadOnlyList<LabelledClaim> Claims, RiskPolicy Policy);

/// <summary>Settings of <see cref="SyntheticHistoryGenerator"/>.</summary>
public sealed record SyntheticHistoryOptions
{
    /// <summary>Seed of the only random source: same options = same history.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>First expense date.</summary>
    public DateOnly From { get; init; } = new(2025, 1, 1);

    /// <summary>Last expense date (claims may be submitted a little later).</summary>
    public DateOnly To { get; init; } = new(2025, 12, 31);

    /// <summary>Who claims; see <see cref="SyntheticHistoryGenerator.CreateEmployees"/>.</summary>
    public IReadOnlyList<SyntheticEmployee> Employees { get; init; } = SyntheticHistoryGenerator.CreateEmployees(40);

    /// <summary>Injected anomalies as a fraction of clean claims (0 = none).</summary>
    public double AnomalyRate { get; init; } = 0.03;

    /// <summary>Relative weights of anomaly types; missing types are not injected.</summary>
    public IReadOnlyDictionary<AnomalyType, double> Mix { get; init; } = DefaultMix;

    /// <summary>
    /// Policy to generate under. Vendors and category limits drive the clean claims. When
    /// <see cref="GenerateBudgets"/> is true its budgets are replaced by ones sized to the generated spend.
    /// </summary>
    public RiskPolicy Policy { get; init; } = SyntheticHistoryGenerator.HarbourTradingPolicy();

    /// <summary>Size budgets to the generated spending (with some departments running over, per the mix).</summary>
    public bool GenerateBudgets { get; init; } = true;

    /// <summary>Prefix of generated claim ids.</summary>
    public string ClaimIdPrefix { get; init; } = "syn-";

    /// <summary>Even weights across all types, a little less for over-budget.</summary>
    public static readonly IReadOnlyDictionary<AnomalyType, double> DefaultMix = new Dictionary<AnomalyType, double>
    {
        [AnomalyType.ExactDuplicate] = 0.18,
        [AnomalyType.NearDuplicate] = 0.18,
        [AnomalyType.SplitClaim] = 0.16,
        [AnomalyType.OverBudget] = 0.08,
        [AnomalyType.VendorNotApproved] = 0.12,
        [AnomalyType.CategoryLimitExceeded] = 0.12,
        [AnomalyType.AmountOutlier] = 0.16,
    };
}
