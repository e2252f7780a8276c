using System.Globalization;
using Reimburse.Core.Company;

namespace Reimburse.Core.Exports;

/// <summary>Where a category goes in the books: the expense account and the tax type (Xero tax type / QuickBooks tax code).</summary>
public sealed record CategoryAccount(string AccountCode, string TaxType);

/// <summary>Per company and accounting system: category → account and tax type, department → tracking option (Xero) or
/// class (QuickBooks), employee → contact (Xero) or vendor (QuickBooks). Employees not listed are exported under their
/// directory name (Xero creates the contact; QuickBooks needs a vendor id for the API).</summary>
public sealed record ExportMapping(
    string System,
    IReadOnlyDictionary<string, CategoryAccount> Categories,
    string? TrackingCategory,
    IReadOnlyDictionary<string, string> Departments,
    IReadOnlyDictionary<string, string> Employees,
    int PaymentTermsDays = 14)
{
    public static ExportMapping Empty(string system) => new(system, new Dictionary<string, CategoryAccount>(), null,
        new Dictionary<string, string>(), new Dictionary<string, string>());

    /// <summary>Every problem at once, keyed by the field path (empty when the mapping is valid for the company).</summary>
    public IReadOnlyDictionary<string, string[]> Validate(CompanyDirectory company)
    {
        ArgumentNullException.ThrowIfNull(company);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (System is not (ExportTargets.Xero or ExportTargets.QuickBooks))
        {
            errors["system"] = ["Must be 'xero' or 'quickbooks'."];
        }
        foreach (var (category, account) in Categories)
        {
            var key = "categories." + category;
            var problems = new List<string>();
            if (company.FindCategory(category) is null) problems.Add($"Unknown category '{category}'.");
            if (string.IsNullOrWhiteSpace(account?.AccountCode) || account.AccountCode.Length > 50) problems.Add("accountCode is required (at most 50 characters).");
            if (string.IsNullOrWhiteSpace(account?.TaxType) || account.TaxType.Length > 50) problems.Add("taxType is required (at most 50 characters).");
            if (problems.Count > 0) errors[key] = [.. problems];
        }
        foreach (var (department, option) in Departments)
        {
            if (company.FindDepartment(department) is null) errors["departments." + department] = [$"Unknown department '{department}'."];
            else if (string.IsNullOrWhiteSpace(option) || option.Length > 100) errors["departments." + department] = ["The tracking option / class is required (at most 100 characters)."];
        }
        if (Departments.Count > 0 && string.IsNullOrWhiteSpace(TrackingCategory) && System == ExportTargets.Xero)
        {
            errors["trackingCategory"] = ["Name the Xero tracking category the department options belong to."];
        }
        foreach (var (employee, contact) in Employees)
        {
            if (company.FindUser(employee) is null) errors["employees." + employee] = [$"Unknown employee '{employee}'."];
            else if (string.IsNullOrWhiteSpace(contact) || contact.Length > 255) errors["employees." + employee] = ["The contact / vendor is required (at most 255 characters)."];
        }
        if (PaymentTermsDays is < 0 or > 365) errors["paymentTermsDays"] = ["Must be between 0 and 365."];
        return errors;
    }
}

/// <summary>Exchange rates the company keeps. Pure lookups over rows given to it.</summary>
public static class FxRates
{
    /// <summary>How old a rate may be, before the expense date, and still be used.</summary>
    public const int MaxAgeDays = 31;

    /// <summary>The rate for the claim: an override wins; the base currency needs none; else the latest rate on or before
    /// the expense date, at most <see cref="MaxAgeDays"/> older. Null when there is none.</summary>
    public static FxRate? Resolve(string currency, string baseCurrency, DateOnly expenseDate, IEnumerable<FxRate> table, FxRate? overridden = null)
    {
        if (overridden is not null) return overridden;
        if (string.Equals(currency, baseCurrency, StringComparison.Ordinal)) return FxRate.Identity(currency, expenseDate);
        return table
            .Where(r => r.Currency == currency && r.BaseCurrency == baseCurrency && r.Date <= expenseDate && r.Date.AddDays(MaxAgeDays) >= expenseDate && r.Rate > 0)
            .OrderByDescending(r => r.Date)
            .FirstOrDefault();
    }

    /// <summary>Converts an amount at a rate, rounded to the target currency's minor unit.</summary>
    public static Money ToBase(Money amount, FxRate rate) =>
        new(Math.Round(amount.Amount * rate.Rate, Money.Scale(rate.BaseCurrency), MidpointRounding.AwayFromZero), rate.BaseCurrency);

    /// <summary>Parses the company's rates CSV: <c>currency,date,rate[,source]</c> (header optional, base currency given).
    /// Returns the rates and every bad line at once.</summary>
    public static (IReadOnlyList<FxRate> Rates, IReadOnlyList<string> Errors) ParseCsv(string text, string baseCurrency, string defaultSource)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rates = new List<FxRate>();
        var errors = new List<string>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || (i == 0 && line.StartsWith("currency", StringComparison.OrdinalIgnoreCase))) continue;
            var cells = line.Split(',');
            var (rate, error) = Parse(cells.ElementAtOrDefault(0), cells.ElementAtOrDefault(1), cells.ElementAtOrDefault(2),
                cells.Length > 3 && cells[3].Trim().Length > 0 ? cells[3].Trim() : defaultSource, baseCurrency);
            if (rate is not null) rates.Add(rate);
            else errors.Add($"line {i + 1}: {error}");
        }
        return (rates, errors);
    }

    /// <summary>One rate from text fields, or why not.</summary>
    public static (FxRate? Rate, string? Error) Parse(string? currency, string? date, string? rate, string source, string baseCurrency)
    {
        currency = currency?.Trim().ToUpperInvariant();
        if (currency is null || !Currencies.IsSupported(currency)) return (null, $"unsupported currency '{currency}'");
        if (currency == baseCurrency) return (null, $"{currency} is the base currency");
        if (!DateOnly.TryParseExact(date?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return (null, "date must be YYYY-MM-DD");
        if (!decimal.TryParse(rate?.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var r) || r <= 0 || r > 1_000_000) return (null, "rate must be a positive decimal number");
        if (source.Length > 100) return (null, "source is at most 100 characters");
        return (new FxRate(currency, baseCurrency, r, d, source), null);
    }
}
