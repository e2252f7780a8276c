namespace Reimburse.Core.Approvals;

/// <summary>How many of a step's approvers must sign: every named approver, or any one of them.</summary>
public enum ApprovalMode { AllOf, AnyOf }

/// <summary>Where a rule's approvers come from.</summary>
public enum ApproverSource
{
    /// <summary>The claimant's manager in the company directory.</summary>
    LineManager,

    /// <summary>The head of the claimant's department.</summary>
    DepartmentHead,

    /// <summary>Finance users whose finance departments include the claimant's department.</summary>
    DepartmentFinance,

    /// <summary>The users named in the rule.</summary>
    Users,
}

/// <summary>Who approves under a rule: a directory relation or named users.</summary>
public sealed record ApproverSelector(ApproverSource Source, IReadOnlyList<string> Users)
{
    public static ApproverSelector LineManager { get; } = new(ApproverSource.LineManager, []);

    public static ApproverSelector DepartmentHead { get; } = new(ApproverSource.DepartmentHead, []);

    public static ApproverSelector DepartmentFinance { get; } = new(ApproverSource.DepartmentFinance, []);

    public static ApproverSelector Named(params string[] users) => new(ApproverSource.Users, users);
}

/// <summary>An amount interval (Over, UpTo], in the policy currency; a null bound is open.</summary>
public sealed record AmountRange(decimal? Over, decimal? UpTo)
{
    public static AmountRange Any { get; } = new(null, null);

    public bool Contains(decimal amount) => (Over is null || amount > Over) && (UpTo is null || amount <= UpTo);

    /// <summary>True when some amount lies in both ranges.</summary>
    public bool Overlaps(AmountRange other)
    {
        var low = Max(Over, other.Over);
        var high = Min(UpTo, other.UpTo);
        return low is null || high is null || high > low;
    }

    public override string ToString() => (Over, UpTo) switch
    {
        (null, null) => "any amount",
        (null, var u) => $"up to {u}",
        (var o, null) => $"over {o}",
        var (o, u) => $"over {o} up to {u}",
    };

    private static decimal? Max(decimal? a, decimal? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static decimal? Min(decimal? a, decimal? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}

/// <summary>One alternative within a level: when it applies (amount, categories) and who signs, in which mode.</summary>
/// <param name="Categories">Category ids the rule is limited to; empty means every category.</param>
/// <param name="ExceptCategories">Category ids the rule never applies to.</param>
public sealed record LevelRule(
    AmountRange Amount,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> ExceptCategories,
    ApproverSelector Approvers,
    ApprovalMode Mode,
    string Reason)
{
    public bool Matches(decimal amount, string category) =>
        Amount.Contains(amount)
        && (Categories.Count == 0 || Categories.Contains(category, StringComparer.Ordinal))
        && !ExceptCategories.Contains(category, StringComparer.Ordinal);

    /// <summary>The concrete categories (out of <paramref name="allCategories"/>) this rule can apply to.</summary>
    public IEnumerable<string> CategoriesWithin(IEnumerable<string> allCategories) =>
        allCategories.Where(c => (Categories.Count == 0 || Categories.Contains(c, StringComparer.Ordinal)) && !ExceptCategories.Contains(c, StringComparer.Ordinal));
}

/// <summary>A level of the route. At most one of its rules applies to a claim; if none does, the level is skipped.</summary>
public sealed record PolicyLevel(string Id, string Name, IReadOnlyList<LevelRule> Rules);

/// <summary>Reminder and escalation delays, in working time from the moment a step (or escalation) starts.</summary>
public sealed record TimerPolicy(TimeSpan ReminderAfter, TimeSpan EscalateAfter);

/// <summary>Who a step escalates to: each waiting approver's manager first (if enabled), then the finance pool.</summary>
public sealed record EscalationPolicy(bool ToManager, IReadOnlyList<string> Finance);

/// <summary>Claims submitted outside working hours go to the duty supervisor instead of the first level's approvers.</summary>
public sealed record OffHoursPolicy(string DutySupervisor);

/// <summary>An extra review level added when the caller flags a claim as high-risk.</summary>
public sealed record FinanceReviewPolicy(string Name, ApproverSelector Approvers, ApprovalMode Mode);

/// <summary>An approver (From) lets a delegate (To) act for them on company-local dates Start..End inclusive.</summary>
public sealed record Delegation(string From, string To, DateOnly Start, DateOnly End, string? Reason = null)
{
    public bool IsActiveOn(DateOnly date) => date >= Start && date <= End;
}

/// <summary>A company's approval policy: calendar, levels, timers, escalation, off-hours routing and standing delegations.</summary>
public sealed record ApprovalPolicy(
    string CompanyId,
    string Version,
    string Currency,
    WorkingCalendar Calendar,
    IReadOnlyList<PolicyLevel> Levels,
    TimerPolicy Timers,
    EscalationPolicy Escalation,
    OffHoursPolicy? OffHours,
    FinanceReviewPolicy? FinanceReview,
    IReadOnlyList<Delegation> Delegations,
    ReachPolicy? Reach = null,
    IReadOnlyDictionary<string, Office>? Offices = null);
