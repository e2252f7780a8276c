using System.Globalization;

namespace Reimburse.Core.Risk;

/// <summary>Stable reason codes (API and audit log use these strings).</summary>
public static class RiskReasonCodes
{
    public const string ExactDuplicate = "ExactDuplicate";
    public const string NearDuplicate = "NearDuplicate";
    public const string SplitClaim = "SplitClaim";
    public const string OverBudget = "OverBudget";
    public const string VendorNotApproved = "VendorNotApproved";
    public const string CategoryLimitExceeded = "CategoryLimitExceeded";
    public const string ReceiptAmountMismatch = "ReceiptAmountMismatch";
    public const string UnusualAmount = "UnusualAmount";
    public const string UnusualTiming = "UnusualTiming";
    public const string FrequentClaims = "FrequentClaims";
    public const string NewMerchant = "NewMerchant";
    public const string MerchantCategoryMismatch = "MerchantCategoryMismatch";
    public const string LateSubmission = "LateSubmission";
    public const string RoundAmount = "RoundAmount";
    public const string UnusualPattern = "UnusualPattern";

    /// <summary>The learned layer's reason: what weighed most in a model trained on finance's decisions.</summary>
    public const string LearnedFromDecisions = "LearnedFromDecisions";
    public const string LookAlikeText = "LookAlikeText";
}

/// <summary>One rule that fired: its code, its weight in the combined score, and the wording.</summary>
/// <param name="Weight">Probability-like strength in [0, 1]; hits combine as 1 − Π(1 − w).</param>
/// <param name="ForcesHigh">The hit alone makes the claim High risk (duplicates, splits).</param>
/// <param name="RelatedClaimIds">Earlier claims that the hit refers to, for the approver to open.</param>
public sealed record RuleHit(string Code, double Weight, bool ForcesHigh, string English, string Chinese, IReadOnlyList<string> RelatedClaimIds);

/// <summary>
/// The explainable rules. Each looks only at history submitted before the claim (so the
/// first of two duplicates is clean and the second is the duplicate).
/// </summary>
public static class RiskRules
{
    public const double ExactDuplicateWeight = 0.97;
    public const double NearDuplicateWeight = 0.88;
    public const double SplitClaimWeight = 0.85;
    public const double CategoryLimitWeight = 0.6;
    public const double OverBudgetWeight = 0.6;
    public const double VendorWeight = 0.5;
    public const double ReceiptMismatchWeight = 0.45;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Runs every rule and appends the hits to <paramref name="hits"/>.</summary>
    public static void Evaluate(ClaimFacts claim, IClaimHistory history, RiskPolicy policy, DateTimeOffset asOf, List<RuleHit> hits)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(hits);
        var cutoff = asOf.UtcTicks;
        var exact = ExactDuplicate(claim, history, cutoff);
        if (exact is not null)
        {
            hits.Add(exact);
        }
        else if (NearDuplicate(claim, history, policy, cutoff) is { } near)
        {
            // An exact duplicate is always also "near"; saying it twice adds nothing.
            hits.Add(near);
        }
        if (SplitClaim(claim, history, policy, cutoff) is { } split)
        {
            hits.Add(split);
        }
        if (CategoryLimitExceeded(claim, policy) is { } limit)
        {
            hits.Add(limit);
        }
        if (OverBudget(claim, history, policy, cutoff) is { } budget)
        {
            hits.Add(budget);
        }
        if (VendorNotApproved(claim, policy) is { } vendor)
        {
            hits.Add(vendor);
        }
        if (ReceiptAmountMismatch(claim, policy) is { } mismatch)
        {
            hits.Add(mismatch);
        }
        if (TextRiskRules.LookAlikeText(claim) is { } lookAlike)
        {
            hits.Add(lookAlike);
        }
    }

    /// <summary>Same receipt file (content hash) already claimed, by anyone.</summary>
    public static RuleHit? ExactDuplicate(ClaimFacts claim, IClaimHistory history, long cutoff)
    {
        List<string>? related = null;
        var sameClaimant = false;
        foreach (var receipt in claim.Receipts)
        {
            var matches = history.ByReceiptHash(receipt.ContentHash);
            var n = HistorySpan.CountBefore(matches, cutoff);
            for (var i = 0; i < n; i++)
            {
                var other = matches[i].Claim;
                if (other.ClaimId == claim.ClaimId)
                {
                    continue;
                }
                related ??= [];
                if (!related.Contains(other.ClaimId))
                {
                    related.Add(other.ClaimId);
                }
                sameClaimant |= other.EmployeeId == claim.EmployeeId;
            }
        }
        if (related is null)
        {
            return null;
        }
        var ids = string.Join(", ", related);
        return sameClaimant
            ? new RuleHit(RiskReasonCodes.ExactDuplicate, ExactDuplicateWeight, true,
                $"The same receipt file was already submitted in claim {ids}.",
                $"相同的收據檔案已在申請 {ids} 中提交。", related)
            : new RuleHit(RiskReasonCodes.ExactDuplicate, ExactDuplicateWeight, true,
                $"The same receipt file was already submitted by another employee in claim {ids}.",
                $"相同的收據檔案已由另一名員工在申請 {ids} 中提交。", related);
    }

    /// <summary>
    /// Same paper receipt in another file (OCR merchant + date + total match), by anyone; or the
    /// same employee claiming the same merchant on the same date for nearly the same amount.
    /// </summary>
    public static RuleHit? NearDuplicate(ClaimFacts claim, IClaimHistory history, RiskPolicy policy, long cutoff)
    {
        foreach (var receipt in claim.Receipts)
        {
            if (receipt.Fingerprint is not { } fp)
            {
                continue;
            }
            var matches = history.ByReceiptFingerprint(fp);
            var n = HistorySpan.CountBefore(matches, cutoff);
            for (var i = 0; i < n; i++)
            {
                var other = matches[i].Claim;
                if (other.ClaimId != claim.ClaimId)
                {
                    return new RuleHit(RiskReasonCodes.NearDuplicate, NearDuplicateWeight, true,
                        $"A receipt with the same merchant, date and total ({receipt.Total?.ToString("0.00", Invariant)}) was already claimed in {other.ClaimId}, possibly as a photo and a PDF of one receipt.",
                        $"相同商戶、日期及總額（{receipt.Total?.ToString("0.00", Invariant)}）的收據已在申請 {other.ClaimId} 中報銷，可能是同一張收據的相片及 PDF。",
                        [other.ClaimId]);
                }
            }
        }
        var tolerance = Math.Max(policy.NearDuplicateToleranceHkd, claim.AmountHkd * policy.NearDuplicateToleranceFraction);
        // Both claims must be at or above the floor, give or take the tolerance.
        if (claim.AmountHkd + tolerance < policy.NearDuplicateFromHkd)
        {
            return null;
        }
        HashSet<string>? mine = null;
        var same = history.ByEmployeeMerchant(claim.EmployeeId, claim.MerchantKey);
        var count = HistorySpan.CountBefore(same, cutoff);
        // A claim for this expense date cannot have been submitted before that date (a day of slack for time zones).
        var earliest = new DateTimeOffset(claim.ExpenseDate.AddDays(-1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).UtcTicks;
        for (var i = count - 1; i >= 0 && same[i].SubmittedTicks >= earliest; i--)
        {
            var other = same[i].Claim;
            if (other.ClaimId == claim.ClaimId || other.ExpenseDate != claim.ExpenseDate || Math.Abs(other.AmountHkd - claim.AmountHkd) > tolerance)
            {
                continue;
            }
            // Two readable receipts that read differently are two transactions (a taxi there and back).
            mine ??= Fingerprints(claim);
            var theirs = Fingerprints(other);
            if (mine.Count > 0 && theirs.Count > 0 && !mine.Overlaps(theirs))
            {
                continue;
            }
            return new RuleHit(RiskReasonCodes.NearDuplicate, NearDuplicateWeight, true,
                $"You already claimed {Hkd(other.AmountHkd)} at {claim.Merchant} on {claim.ExpenseDate:yyyy-MM-dd} (claim {other.ClaimId}); this claim is for nearly the same amount.",
                $"你已於 {claim.ExpenseDate:yyyy-MM-dd} 在 {claim.Merchant} 報銷 {Hkd(other.AmountHkd)}（申請 {other.ClaimId}），本次金額幾乎相同。",
                [other.ClaimId]);
        }
        return null;
    }

    private static HashSet<string> Fingerprints(ClaimFacts claim)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in claim.Receipts)
        {
            if (r.Fingerprint is { } fp)
            {
                set.Add(fp);
            }
        }
        return set;
    }

    /// <summary>
    /// Several claims just under an approval threshold within a short window: by the same employee
    /// (same merchant, or three in one category), or by two colleagues of one department at one merchant.
    /// </summary>
    public static RuleHit? SplitClaim(ClaimFacts claim, IClaimHistory history, RiskPolicy policy, long cutoff)
    {
        foreach (var threshold in claim.ThresholdsUnder(policy))
        {
            var floor = threshold * policy.SplitBandFraction;
            if (threshold <= 0 || claim.AmountHkd >= threshold || claim.AmountHkd < floor)
            {
                continue;
            }
            var from = cutoff - (TimeSpan.TicksPerDay * policy.SplitWindowDays);
            var related = new List<string>();
            var total = claim.AmountHkd;
            var sameMerchant = false;
            var colluder = (string?)null;

            var own = history.ByEmployeeCategory(claim.EmployeeId, claim.Category);
            var end = HistorySpan.CountBefore(own, cutoff);
            for (var i = HistorySpan.CountBefore(own, from); i < end; i++)
            {
                var other = own[i].Claim;
                if (other.ClaimId != claim.ClaimId && other.AmountHkd >= floor && other.AmountHkd < threshold)
                {
                    related.Add(other.ClaimId);
                    total += other.AmountHkd;
                    sameMerchant |= other.MerchantKey == claim.MerchantKey;
                }
            }
            var perPerson = policy.PerPersonCategories.Contains(claim.Category);
            var hit = sameMerchant || (related.Count >= 2 && !perPerson);
            if (!hit && !perPerson)
            {
                related.Clear();
                total = claim.AmountHkd;
                var merchant = history.ByMerchant(claim.MerchantKey);
                var mEnd = HistorySpan.CountBefore(merchant, cutoff);
                for (var i = HistorySpan.CountBefore(merchant, from); i < mEnd; i++)
                {
                    var other = merchant[i].Claim;
                    if (other.EmployeeId != claim.EmployeeId && other.Department == claim.Department && other.Category == claim.Category
                        && other.AmountHkd >= floor && other.AmountHkd < threshold && Math.Abs(other.ExpenseDate.DayNumber - claim.ExpenseDate.DayNumber) <= 1)
                    {
                        related.Add(other.ClaimId);
                        total += other.AmountHkd;
                        colluder ??= other.EmployeeId;
                    }
                }
                hit = colluder is not null;
            }
            if (!hit)
            {
                continue;
            }
            var ids = string.Join(", ", related);
            return colluder is null
                ? new RuleHit(RiskReasonCodes.SplitClaim, SplitClaimWeight, true,
                    $"{related.Count + 1} claims just under the {Hkd(threshold)} approval limit within {policy.SplitWindowDays} days (with {ids}), {Hkd(total)} together: possibly one expense split to avoid extra approval.",
                    $"{policy.SplitWindowDays} 天內有 {related.Count + 1} 項略低於 {Hkd(threshold)} 審批上限的申請（連同 {ids}），合共 {Hkd(total)}，可能是把一筆開支拆分以避開額外審批。",
                    related)
                : new RuleHit(RiskReasonCodes.SplitClaim, SplitClaimWeight, true,
                    $"You and {colluder} both claimed just under the {Hkd(threshold)} approval limit at {claim.Merchant} within {policy.SplitWindowDays} days ({ids}), {Hkd(total)} together: possibly one expense split between colleagues.",
                    $"你與 {colluder} 在 {policy.SplitWindowDays} 天內均在 {claim.Merchant} 報銷略低於 {Hkd(threshold)} 審批上限的金額（{ids}），合共 {Hkd(total)}，可能是同事之間拆分同一筆開支。",
                    related);
        }
        return null;
    }

    /// <summary>Amount above the category's per-claim limit.</summary>
    public static RuleHit? CategoryLimitExceeded(ClaimFacts claim, RiskPolicy policy)
    {
        if (!policy.CategoryLimitsHkd.TryGetValue(claim.Category, out var limit) || claim.AmountHkd <= limit)
        {
            return null;
        }
        return new RuleHit(RiskReasonCodes.CategoryLimitExceeded, CategoryLimitWeight, false,
            $"{Hkd(claim.AmountHkd)} is over the {claim.Category} limit of {Hkd(limit)} per claim.",
            $"{Hkd(claim.AmountHkd)} 超出「{policy.CategoryZh(claim.Category)}」類別每項申請 {Hkd(limit)} 的上限。", []);
    }

    /// <summary>This claim takes the department's spending in the category over its budget for the year.</summary>
    public static RuleHit? OverBudget(ClaimFacts claim, IClaimHistory history, RiskPolicy policy, long cutoff)
    {
        if (!policy.BudgetsHkd.TryGetValue((claim.Department, claim.Category), out var budget))
        {
            return null;
        }
        // Spend is booked by submission date, so a budget year is a contiguous run of the history list.
        var yearStart = policy.BudgetYearStart(new DateTimeOffset(cutoff, TimeSpan.Zero));
        var yearStartTicks = new DateTimeOffset(yearStart.ToDateTime(TimeOnly.MinValue), policy.LocalOffset).UtcTicks;
        var spend = history.ByDepartmentCategory(claim.Department, claim.Category);
        var before = HistorySpan.CountBefore(spend, cutoff);
        var spent = HistorySpan.AmountBetween(spend, HistorySpan.CountBefore(spend, yearStartTicks), before);
        if (spent + claim.AmountHkd <= budget)
        {
            return null;
        }
        return new RuleHit(RiskReasonCodes.OverBudget, OverBudgetWeight, false,
            $"{claim.Department} has spent {Hkd(spent)} of its {Hkd(budget)} {claim.Category} budget this year; this claim takes it over.",
            $"{claim.Department} 部門本年度「{policy.CategoryZh(claim.Category)}」預算為 {Hkd(budget)}，已使用 {Hkd(spent)}，本申請將超出預算。", []);
    }

    /// <summary>Merchant is not on the allow-list (or not for this category) and the amount is one the allow-list covers.</summary>
    public static RuleHit? VendorNotApproved(ClaimFacts claim, RiskPolicy policy)
    {
        if (policy.ApprovedVendors.Count == 0 || claim.AmountHkd < policy.VendorAllowListFromHkd)
        {
            return null;
        }
        var vendor = policy.FindVendor(claim.MerchantKey);
        if (vendor is null)
        {
            return new RuleHit(RiskReasonCodes.VendorNotApproved, VendorWeight, false,
                $"{claim.Merchant} is not on the approved vendor list.",
                $"{claim.Merchant} 不在核准供應商名單內。", []);
        }
        if (!vendor.Categories.Contains(claim.Category, StringComparer.Ordinal))
        {
            return new RuleHit(RiskReasonCodes.VendorNotApproved, VendorWeight, false,
                $"{vendor.Name} is approved only for {string.Join(", ", vendor.Categories)}, not {claim.Category}.",
                $"{vendor.NameZh ?? vendor.Name} 只核准用於「{string.Join("、", vendor.Categories.Select(policy.CategoryZh))}」，不包括「{policy.CategoryZh(claim.Category)}」。", []);
        }
        return null;
    }

    /// <summary>OCR total on a receipt differs from the claimed amount by more than the tolerance.</summary>
    public static RuleHit? ReceiptAmountMismatch(ClaimFacts claim, RiskPolicy policy)
    {
        foreach (var r in claim.Receipts)
        {
            var total = r.TotalHkd ?? (r.Currency is null || string.Equals(r.Currency, Money.HongKongDollar, StringComparison.Ordinal) ? r.Total : null);
            if (total is not { } t)
            {
                continue;
            }
            var diff = Math.Abs(t - claim.AmountHkd);
            if (diff > 10m && diff > claim.AmountHkd * policy.ReceiptMismatchFraction)
            {
                return new RuleHit(RiskReasonCodes.ReceiptAmountMismatch, ReceiptMismatchWeight, false,
                    $"The receipt total reads {Hkd(t)} but {Hkd(claim.AmountHkd)} was claimed.",
                    $"收據總額為 {Hkd(t)}，但申請金額為 {Hkd(claim.AmountHkd)}。", []);
            }
        }
        return null;
    }

    internal static string Hkd(decimal amount) => "HK$" + amount.ToString("#,0.00", Invariant);
}
