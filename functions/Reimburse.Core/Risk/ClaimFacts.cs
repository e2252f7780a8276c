using System.Globalization;
using Reimburse.Core.Company;

namespace Reimburse.Core.Risk;

/// <summary>What OCR read from one receipt file, as far as risk scoring needs it.</summary>
/// <param name="ContentHash">SHA-256 (hex) of the file bytes; the same file twice has the same hash.</param>
/// <param name="Merchant">Merchant name read from the receipt, if any.</param>
/// <param name="Date">Transaction date read from the receipt, if any.</param>
/// <param name="Total">Total read from the receipt, in <paramref name="Currency"/>.</param>
/// <param name="Currency">Currency of <paramref name="Total"/>.</param>
/// <param name="TotalHkd">Total converted to HKD with the claim's rate, when the caller has it.</param>
/// <param name="Reference">Receipt/invoice number or printed transaction time, when OCR found one.</param>
public sealed record ReceiptEvidence(
    string ContentHash,
    string? Merchant = null,
    DateOnly? Date = null,
    decimal? Total = null,
    string? Currency = null,
    decimal? TotalHkd = null,
    string? Reference = null)
{
    /// <summary>
    /// Merchant + date + total (+ receipt number or time when read) as read by OCR. Two files of the
    /// same paper receipt (a photo and a PDF scan) have different content hashes but the same
    /// fingerprint; the reference keeps two taxi rides with the same fare apart. Null when OCR lacks a field.
    /// </summary>
    public string? Fingerprint
    {
        get
        {
            // Cached against the fields it is made of, so a `with` copy that changes one recomputes it.
            var cache = _fingerprint;
            if (cache is null || !ReferenceEquals(cache.Merchant, Merchant) || cache.Date != Date || cache.Total != Total || !ReferenceEquals(cache.Reference, Reference))
            {
                cache = new FingerprintCache(Merchant, Date, Total, Reference, ComputeFingerprint());
                _fingerprint = cache;
            }
            return cache.Value;
        }
    }

    private FingerprintCache? _fingerprint;

    private string? ComputeFingerprint() =>
        Merchant is null || Date is null || Total is null
            ? null
            : RiskKeys.Merchant(Merchant) + "|" + Date.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "|" + Total.Value.ToString("0.00", CultureInfo.InvariantCulture)
                + (string.IsNullOrWhiteSpace(Reference) ? "" : "|" + RiskKeys.Merchant(Reference));

    private sealed record FingerprintCache(string? Merchant, DateOnly? Date, decimal? Total, string? Reference, string? Value);

    // Value equality over the receipt's data only; the cache must not make equal receipts differ.
    public bool Equals(ReceiptEvidence? other) =>
        other is not null && ContentHash == other.ContentHash && Merchant == other.Merchant && Date == other.Date && Total == other.Total
        && Currency == other.Currency && TotalHkd == other.TotalHkd && Reference == other.Reference;

    public override int GetHashCode() => HashCode.Combine(ContentHash, Merchant, Date, Total, Currency, TotalHkd, Reference);
}

/// <summary>Everything the risk scorer knows about one claim. Amounts for scoring are in HKD.</summary>
/// <param name="ClaimId">Unique claim id.</param>
/// <param name="EmployeeId">Claimant's user id.</param>
/// <param name="Department">Claimant's department id.</param>
/// <param name="Category">Expense category id (e.g. meals, transport).</param>
/// <param name="AmountHkd">Claimed amount converted to HKD.</param>
/// <param name="Currency">Currency the employee typed (HKD when local).</param>
/// <param name="Merchant">Merchant the employee typed.</param>
/// <param name="ExpenseDate">Date of the expense (local date on the receipt).</param>
/// <param name="SubmittedAt">When the claim was submitted (UTC).</param>
/// <param name="Receipts">Receipt files with their OCR reading; empty when none.</param>
public sealed record ClaimFacts(
    string ClaimId,
    string EmployeeId,
    string Department,
    string Category,
    decimal AmountHkd,
    string Currency,
    string Merchant,
    DateOnly ExpenseDate,
    DateTimeOffset SubmittedAt,
    IReadOnlyList<ReceiptEvidence> Receipts)
{
    /// <summary>
    /// Approval thresholds (HKD) on this claim's route, when the route was computed per claim (e.g. by
    /// category); null means <see cref="RiskPolicy.ApprovalThresholdsHkd"/>.
    /// </summary>
    public IReadOnlyList<decimal>? ApprovalThresholdsHkd { get; init; }

    /// <summary>The thresholds the split rule and features use for this claim.</summary>
    public IReadOnlyList<decimal> ThresholdsUnder(RiskPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return ApprovalThresholdsHkd ?? policy.ApprovalThresholdsHkd;
    }

    private MerchantKeyCache? _merchantKey;

    /// <summary>Normalised merchant key (letters and digits, lower case).</summary>
    public string MerchantKey
    {
        get
        {
            // Cached per merchant string, so a copy made with `with { Merchant = ... }` recomputes it;
            // one immutable object keeps the read atomic across threads.
            var cache = _merchantKey;
            if (cache is null || !ReferenceEquals(cache.Merchant, Merchant))
            {
                cache = new MerchantKeyCache(Merchant, RiskKeys.Merchant(Merchant));
                _merchantKey = cache;
            }
            return cache.Key;
        }
    }

    private sealed record MerchantKeyCache(string Merchant, string Key);

    // Value equality over the claim's data only (receipts compared element by element); the cache must not make equal claims differ.
    public bool Equals(ClaimFacts? other) =>
        other is not null && ClaimId == other.ClaimId && EmployeeId == other.EmployeeId && Department == other.Department && Category == other.Category
        && AmountHkd == other.AmountHkd && Currency == other.Currency && Merchant == other.Merchant && ExpenseDate == other.ExpenseDate
        && SubmittedAt == other.SubmittedAt && Receipts.SequenceEqual(other.Receipts)
        && (ApprovalThresholdsHkd ?? []).SequenceEqual(other.ApprovalThresholdsHkd ?? []) && (ApprovalThresholdsHkd is null) == (other.ApprovalThresholdsHkd is null);

    public override int GetHashCode() => HashCode.Combine(ClaimId, EmployeeId, Category, AmountHkd, Merchant, ExpenseDate, SubmittedAt);
}

/// <summary>Normalisation shared by the history index and the rules, so keys always agree.</summary>
public static class RiskKeys
{
    /// <summary>Letters and digits only, lower case (CJK kept).</summary>
    public static string Merchant(string name) => CompanyDirectory.NormalizeVendor(name);
}

/// <summary>An approved vendor (allow-list entry) and the categories it may be claimed under.</summary>
public sealed record ApprovedVendor(string Name, string? NameZh, IReadOnlyList<string> Categories);

/// <summary>
/// Company policy inputs the rules need, as plain values so Core does not depend on YAML:
/// approval thresholds, per-category limits, vendor allow-list, department budgets and holidays.
/// </summary>
public sealed record RiskPolicy
{
    /// <summary>Amounts (HKD) above which a claim needs more approval, e.g. 5,000 for dual sign-off.</summary>
    public IReadOnlyList<decimal> ApprovalThresholdsHkd { get; init; } = [5000m];

    /// <summary>Per-claim limit by category id (HKD).</summary>
    public IReadOnlyDictionary<string, decimal> CategoryLimitsHkd { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Vendor allow-list; empty means the vendor rule is off.</summary>
    public IReadOnlyList<ApprovedVendor> ApprovedVendors { get; init; } = [];

    /// <summary>
    /// The allow-list applies from this amount (HKD) up. Small meals and taxis at any shop are
    /// normal in Hong Kong; the allow-list is about purchases that matter.
    /// </summary>
    public decimal VendorAllowListFromHkd { get; init; } = 300m;

    /// <summary>Annual budget (HKD) by (department, category).</summary>
    public IReadOnlyDictionary<(string Department, string Category), decimal> BudgetsHkd { get; init; } = new Dictionary<(string, string), decimal>();

    /// <summary>First month (1–12) of the budget year; Hong Kong companies often use April.</summary>
    public int BudgetYearStartMonth { get; init; } = 1;

    /// <summary>Public holidays; defaults to Hong Kong general holidays.</summary>
    public IReadOnlySet<DateOnly> PublicHolidays { get; init; } = HongKongCalendar.PublicHolidays;

    /// <summary>Offset of local time from UTC for working-hours features (Hong Kong has no DST).</summary>
    public TimeSpan LocalOffset { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Window (days) in which several just-under-threshold claims count as a split.</summary>
    public int SplitWindowDays { get; init; } = 7;

    /// <summary>
    /// Categories whose expenses are per person (tickets, hotel rooms). Colleagues claiming alike
    /// there is normal, so the colluding-pair split check skips them, and one employee's split needs one merchant.
    /// </summary>
    public IReadOnlySet<string> PerPersonCategories { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "travel" };

    /// <summary>A claim is "just under" a threshold from this fraction of it up (0.7 = 70%).</summary>
    public decimal SplitBandFraction { get; init; } = 0.7m;

    /// <summary>Near-duplicate amount tolerance: the larger of this fraction and <see cref="NearDuplicateToleranceHkd"/>.</summary>
    public decimal NearDuplicateToleranceFraction { get; init; } = 0.02m;

    /// <summary>Near-duplicate absolute tolerance in HKD.</summary>
    public decimal NearDuplicateToleranceHkd { get; init; } = 2m;

    /// <summary>
    /// The merchant + date + amount near-duplicate check starts at this amount (HKD): two identical
    /// MTR fares on one day are a commute, not a duplicate. Receipt fingerprints are checked at any amount.
    /// </summary>
    public decimal NearDuplicateFromHkd { get; init; } = 50m;

    /// <summary>Receipt total differing from the claim by more than this fraction (and HK$10) is a mismatch.</summary>
    public decimal ReceiptMismatchFraction { get; init; } = 0.05m;

    /// <summary>Chinese names of categories by id, for the Chinese reasons (an id without one is shown as is).</summary>
    public IReadOnlyDictionary<string, string> CategoryNamesZh { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The category's Chinese name (e.g. 客戶應酬 for client-entertainment), else its id.</summary>
    public string CategoryZh(string categoryId) => CategoryNamesZh.GetValueOrDefault(categoryId) ?? categoryId;

    private Dictionary<string, ApprovedVendor>? _vendorIndex;

    /// <summary>Allow-list entry whose English or Chinese name matches the merchant key, or null.</summary>
    public ApprovedVendor? FindVendor(string merchantKey)
    {
        if (_vendorIndex is null)
        {
            var index = new Dictionary<string, ApprovedVendor>(StringComparer.Ordinal);
            foreach (var v in ApprovedVendors)
            {
                index.TryAdd(RiskKeys.Merchant(v.Name), v);
                if (v.NameZh is not null)
                {
                    index.TryAdd(RiskKeys.Merchant(v.NameZh), v);
                }
            }
            _vendorIndex = index;
        }
        return _vendorIndex.GetValueOrDefault(merchantKey);
    }

    /// <summary>Start (inclusive) of the budget year holding <paramref name="date"/>.</summary>
    public DateOnly BudgetYearStart(DateOnly date)
    {
        var start = new DateOnly(date.Year, BudgetYearStartMonth, 1);
        return date >= start ? start : start.AddYears(-1);
    }

    /// <summary>Start of the budget year a claim submitted at <paramref name="submittedAt"/> is booked in (local date).</summary>
    public DateOnly BudgetYearStart(DateTimeOffset submittedAt) =>
        BudgetYearStart(DateOnly.FromDateTime(submittedAt.ToOffset(LocalOffset).DateTime));

    /// <summary>Builds the policy from the company directory plus the approval thresholds from the approval policy.</summary>
    public static RiskPolicy FromDirectory(CompanyDirectory company, IReadOnlyList<decimal> approvalThresholdsHkd) => new()
    {
        ApprovalThresholdsHkd = approvalThresholdsHkd,
        CategoryLimitsHkd = company.Categories.ToDictionary(c => c.Id, c => c.Limit, StringComparer.Ordinal),
        ApprovedVendors = company.Vendors.Select(v => new ApprovedVendor(v.Name, v.NameZh, v.Categories)).ToList(),
        BudgetsHkd = company.Budgets.ToDictionary(b => (b.Department, b.Category), b => b.Amount),
        CategoryNamesZh = company.Categories.Where(c => !string.IsNullOrWhiteSpace(c.NameZh)).ToDictionary(c => c.Id, c => c.NameZh!, StringComparer.Ordinal),
    };
}
