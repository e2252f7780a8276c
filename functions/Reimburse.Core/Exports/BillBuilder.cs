using Reimburse.Core.Company;

namespace Reimburse.Core.Exports;

/// <summary>Turns an approved claim into a bill for one accounting system. Pure: the mapping and the rate are inputs.</summary>
public static class BillBuilder
{
    /// <summary>One bill per claim, the employee as the contact, one line for the claim's category. An unmapped category or
    /// a missing exchange rate fails the claim (not the batch) with a reason finance can act on.</summary>
    public static (Bill? Bill, BillFailure? Failure) Build(ExportClaim claim, ExportMapping mapping, FxRate? fx, CompanyDirectory company)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(company);
        if (!mapping.Categories.TryGetValue(claim.Category, out var account))
        {
            var canonical = company.FindCategory(claim.Category)?.Id;
            if (canonical is null || !mapping.Categories.TryGetValue(canonical, out account))
            {
                return (null, new BillFailure(claim.ClaimId, "unmapped-category",
                    $"Category '{claim.Category}' has no account code in the {mapping.System} mapping; add it and export the claim again."));
            }
        }
        if (fx is null)
        {
            return (null, new BillFailure(claim.ClaimId, "no-exchange-rate",
                $"No {claim.Amount.Currency}→{company.BaseCurrency} rate on or up to {FxRates.MaxAgeDays} days before {claim.ExpenseDate:yyyy-MM-dd}; add one to the rates table or override it on the claim."));
        }
        if (claim.Amount.Amount <= 0)
        {
            return (null, new BillFailure(claim.ClaimId, "non-positive-amount", "The claim's amount is not positive."));
        }
        var category = company.FindCategory(claim.Category);
        var description = string.Join(" — ", new[]
        {
            category?.Name ?? claim.Category,
            claim.Merchant,
            claim.Description,
        }.Where(s => !string.IsNullOrWhiteSpace(s)));
        mapping.Departments.TryGetValue(claim.Department, out var trackingOption);
        var contact = mapping.Employees.TryGetValue(claim.OwnerId, out var mapped) ? mapped : ContactName(claim);
        var date = DateOnly.FromDateTime(claim.ApprovedAt.UtcDateTime.AddHours(8));
        var reference = fx.Currency == fx.BaseCurrency
            ? claim.ClaimId
            : $"{claim.ClaimId} {fx.Currency}→{fx.BaseCurrency} {fx.RateText} ({fx.Source} {fx.Date:yyyy-MM-dd})";
        var line = new BillLine(description, 1m, claim.Amount.Amount, account.AccountCode, account.TaxType,
            trackingOption is null ? null : mapping.TrackingCategory ?? "Department", trackingOption);
        return (new Bill(claim.ClaimId, claim.ClaimId, contact, claim.OwnerEmail, mapped, date, date.AddDays(mapping.PaymentTermsDays),
            claim.Amount.Currency, fx, reference, [line]), null);
    }

    /// <summary>The employee as a contact: English name, and the Chinese name in brackets when the directory has one.</summary>
    public static string ContactName(ExportClaim claim) =>
        string.IsNullOrWhiteSpace(claim.OwnerNameZh) ? claim.OwnerName : $"{claim.OwnerName} ({claim.OwnerNameZh})";

    /// <summary>QuickBooks' DocNumber holds at most 21 characters: the claim id without its prefix, cut to 21 (the first
    /// characters encode the time, the rest are random).</summary>
    public static string ShortNumber(string claimId) =>
        (claimId.StartsWith("clm_", StringComparison.Ordinal) ? claimId[4..] : claimId) is var s && s.Length > 21 ? s[..21] : s;
}
