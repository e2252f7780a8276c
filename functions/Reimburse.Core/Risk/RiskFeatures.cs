namespace Reimburse.Core.Risk;

/// <summary>Feature vector of one claim plus the plain figures behind it, used to word reasons.</summary>
public sealed class ClaimFeatures
{
    internal ClaimFeatures(double[] values) => Values = values;

    /// <summary>Values in the order of <see cref="RiskFeatures.Names"/>.</summary>
    public double[] Values { get; }

    /// <summary>Geometric mean of the employee's earlier claims in this category (HKD), or null with fewer than 3.</summary>
    public double? EmployeeTypicalHkd { get; internal set; }

    /// <summary>Geometric mean of the company's earlier claims in this category (HKD), or null with fewer than 3.</summary>
    public double? CategoryTypicalHkd { get; internal set; }

    /// <summary>Earlier claims the employee has (any category).</summary>
    public int EmployeeHistoryCount { get; internal set; }

    public double this[int index] => Values[index];
}

/// <summary>
/// Feature extraction. Only facts known at submission time are used (history strictly before
/// the claim), never labels, so training and scoring see the same thing.
/// </summary>
public static class RiskFeatures
{
    public const int LogAmount = 0;
    public const int AmountZEmployeeCategory = 1;
    public const int AmountZEmployee = 2;
    public const int AmountZCategory = 3;
    public const int AmountToCategoryLimit = 4;
    public const int LogHoursSinceLastClaim = 5;
    public const int ClaimsLast7Days = 6;
    public const int WeekendOrHoliday = 7;
    public const int OffHoursSubmission = 8;
    public const int RoundAmount = 9;
    public const int MerchantNewForEmployee = 10;
    public const int LogMerchantCompanyCount = 11;
    public const int MerchantCategoryFit = 12;
    public const int ReceiptMismatch = 13;
    public const int ReceiptAgeDays = 14;
    public const int ThresholdProximity = 15;
    public const int MissingReceipt = 16;

    /// <summary>Feature names, stored with every model so a model and its features cannot drift apart.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "log_amount",
        "amount_z_employee_category",
        "amount_z_employee",
        "amount_z_category",
        "amount_to_category_limit",
        "log_hours_since_last_claim",
        "claims_last_7_days",
        "weekend_or_holiday",
        "off_hours_submission",
        "round_amount",
        "merchant_new_for_employee",
        "log_merchant_company_count",
        "merchant_category_fit",
        "receipt_mismatch",
        "receipt_age_days",
        "threshold_proximity",
        "missing_receipt",
    ];

    // A first claim has no "time since last claim"; treat it as a month, a normal gap.
    private const double NoPreviousClaimHours = 24 * 30;
    private const double MinStd = 0.25;
    private const int MinHistoryForStats = 3;

    /// <summary>Extracts features of <paramref name="claim"/> against history submitted before <paramref name="asOf"/>.</summary>
    public static ClaimFeatures Extract(ClaimFacts claim, IClaimHistory history, RiskPolicy policy, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(policy);
        var x = new double[Names.Count];
        var result = new ClaimFeatures(x);
        var cutoff = asOf.UtcTicks;
        var amount = (double)Math.Max(0m, claim.AmountHkd);
        var logAmount = Math.Log(1 + amount);
        x[LogAmount] = logAmount;

        var employee = history.ByEmployee(claim.EmployeeId);
        var employeeBefore = HistorySpan.CountBefore(employee, cutoff);
        result.EmployeeHistoryCount = employeeBefore;

        var employeeCategory = history.ByEmployeeCategory(claim.EmployeeId, claim.Category);
        var ecStats = HistorySpan.LogStats(employeeCategory, HistorySpan.CountBefore(employeeCategory, cutoff));
        var category = history.ByCategory(claim.Category);
        var cStats = HistorySpan.LogStats(category, HistorySpan.CountBefore(category, cutoff));
        var eStats = HistorySpan.LogStats(employee, employeeBefore);

        var zCategory = Z(logAmount, cStats);
        x[AmountZCategory] = zCategory;
        x[AmountZEmployee] = Z(logAmount, eStats);
        // Few claims of this kind from this employee: the company's view of the category stands in.
        x[AmountZEmployeeCategory] = ecStats.Count >= MinHistoryForStats ? Z(logAmount, ecStats) : zCategory;
        if (ecStats.Count >= MinHistoryForStats)
        {
            result.EmployeeTypicalHkd = Math.Exp(ecStats.Mean) - 1;
        }
        if (cStats.Count >= MinHistoryForStats)
        {
            result.CategoryTypicalHkd = Math.Exp(cStats.Mean) - 1;
        }

        x[AmountToCategoryLimit] = policy.CategoryLimitsHkd.TryGetValue(claim.Category, out var limit) && limit > 0
            ? (double)(claim.AmountHkd / limit)
            : 0;

        if (employeeBefore > 0)
        {
            var hours = TimeSpan.FromTicks(Math.Max(0, cutoff - employee[employeeBefore - 1].SubmittedTicks)).TotalHours;
            x[LogHoursSinceLastClaim] = Math.Log(1 + hours);
            x[ClaimsLast7Days] = employeeBefore - HistorySpan.CountBefore(employee, cutoff - TimeSpan.TicksPerDay * 7);
        }
        else
        {
            x[LogHoursSinceLastClaim] = Math.Log(1 + NoPreviousClaimHours);
        }

        x[WeekendOrHoliday] = HongKongCalendar.IsWeekend(claim.ExpenseDate) || policy.PublicHolidays.Contains(claim.ExpenseDate) ? 1 : 0;
        var local = claim.SubmittedAt.ToOffset(policy.LocalOffset);
        x[OffHoursSubmission] = local.Hour < 7 || local.Hour >= 22 ? 1 : (local.Hour < 8 || local.Hour >= 20 ? 0.5 : 0);
        x[RoundAmount] = claim.AmountHkd >= 100 && claim.AmountHkd % 100 == 0 ? 1 : (claim.AmountHkd >= 10 && claim.AmountHkd % 10 == 0 ? 0.5 : 0);

        var employeeMerchant = history.ByEmployeeMerchant(claim.EmployeeId, claim.MerchantKey);
        x[MerchantNewForEmployee] = HistorySpan.CountBefore(employeeMerchant, cutoff) == 0 ? 1 : 0;
        var merchant = history.ByMerchant(claim.MerchantKey);
        var merchantBefore = HistorySpan.CountBefore(merchant, cutoff);
        x[LogMerchantCompanyCount] = Math.Log(1 + merchantBefore);
        x[MerchantCategoryFit] = MerchantFit(claim, history, policy, cutoff, merchantBefore);

        double mismatch = 0;
        var maxAgeDays = 0.0;
        foreach (var r in claim.Receipts)
        {
            var totalHkd = r.TotalHkd ?? (r.Currency is null || string.Equals(r.Currency, Money.HongKongDollar, StringComparison.Ordinal) ? r.Total : null);
            if (totalHkd is { } t && claim.AmountHkd > 0)
            {
                mismatch = Math.Max(mismatch, (double)(Math.Abs(t - claim.AmountHkd) / claim.AmountHkd));
            }
        }
        var localDate = DateOnly.FromDateTime(local.DateTime);
        maxAgeDays = Math.Max(maxAgeDays, localDate.DayNumber - claim.ExpenseDate.DayNumber);
        x[ReceiptMismatch] = Math.Min(mismatch, 5);
        x[ReceiptAgeDays] = maxAgeDays;

        var proximity = 0.0;
        foreach (var threshold in claim.ThresholdsUnder(policy))
        {
            if (threshold > 0 && claim.AmountHkd < threshold && claim.AmountHkd >= threshold * policy.SplitBandFraction)
            {
                proximity = Math.Max(proximity, (double)(claim.AmountHkd / threshold));
            }
        }
        x[ThresholdProximity] = proximity;
        x[MissingReceipt] = claim.Receipts.Count == 0 ? 1 : 0;
        return result;
    }

    private static double Z(double value, (int Count, double Mean, double Std) stats) =>
        stats.Count >= MinHistoryForStats ? (value - stats.Mean) / Math.Max(MinStd, stats.Std) : 0;

    // 1 = this merchant is normal for this category; 0 = it is a known merchant of other things.
    private static double MerchantFit(ClaimFacts claim, IClaimHistory history, RiskPolicy policy, long cutoff, int merchantBefore)
    {
        if (policy.FindVendor(claim.MerchantKey) is { } vendor)
        {
            return vendor.Categories.Contains(claim.Category, StringComparer.Ordinal) ? 1 : 0;
        }
        if (merchantBefore < MinHistoryForStats)
        {
            return 0.5;
        }
        var sameCategory = HistorySpan.CountBefore(history.ByMerchantCategory(claim.MerchantKey, claim.Category), cutoff);
        return (double)sameCategory / merchantBefore;
    }
}
