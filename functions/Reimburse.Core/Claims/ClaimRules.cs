using Reimburse.Core.Company;

namespace Reimburse.Core.Claims;

/// <summary>Validation of claim fields against the company's rules. Every bad field is reported at once.</summary>
public static class ClaimRules
{
    public const decimal MaxAmount = 1_000_000m;
    public const int MaxMerchantLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxCodeLength = 50;
    /// <summary>Receipts older than this are refused outright (anomaly scoring handles the grey zone).</summary>
    public const int MaxAgeDays = 730;

    /// <summary>Validates a claim ready for submission. <paramref name="today"/> is the company's local date.</summary>
    public static IReadOnlyDictionary<string, string[]> Validate(ClaimFields f, CompanyDirectory company, DateOnly today)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message) =>
            (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(message);

        if (string.IsNullOrWhiteSpace(f.Category))
        {
            Add("category", "Category is required.");
        }
        else if (company.FindCategory(f.Category) is null)
        {
            Add("category", $"Unknown category. Use one of: {string.Join(", ", company.Categories.Select(c => c.Id))}.");
        }

        var currency = f.Currency ?? company.BaseCurrency;
        if (!Currencies.IsSupported(currency))
        {
            Add("currency", "Currency must be a supported ISO 4217 code such as HKD, USD or CNY.");
        }

        if (f.Amount is not { } amount)
        {
            Add("amount", "Amount is required.");
        }
        else if (amount <= 0)
        {
            Add("amount", "Amount must be greater than zero.");
        }
        else if (amount > MaxAmount)
        {
            Add("amount", $"Amount must not exceed {MaxAmount:N0}.");
        }
        else if (decimal.Round(amount, Money.Scale(currency)) != amount)
        {
            Add("amount", $"Amount has more decimal places than {currency} allows ({Money.Scale(currency)}).");
        }

        if (f.ExpenseDate is not { } date)
        {
            Add("expenseDate", "Expense date is required (yyyy-MM-dd).");
        }
        else if (date > today)
        {
            Add("expenseDate", "Expense date cannot be in the future.");
        }
        else if (date < today.AddDays(-MaxAgeDays))
        {
            Add("expenseDate", $"Expense date is more than {MaxAgeDays} days ago.");
        }

        if (string.IsNullOrWhiteSpace(f.Merchant))
        {
            Add("merchant", "Merchant is required.");
        }
        else
        {
            CheckText("merchant", f.Merchant, MaxMerchantLength, allowNewLines: false, Add);
        }

        if (f.Description is not null)
        {
            CheckText("description", f.Description, MaxDescriptionLength, allowNewLines: true, Add);
        }
        if (f.Project is not null)
        {
            CheckText("project", f.Project, MaxCodeLength, allowNewLines: false, Add);
        }
        if (f.CostCentre is not null)
        {
            CheckText("costCentre", f.CostCentre, MaxCodeLength, allowNewLines: false, Add);
        }

        return errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Trims text fields and turns empty strings into nulls; applies the company's base currency.</summary>
    public static ClaimFields Normalize(ClaimFields f, CompanyDirectory company) => f with
    {
        Category = company.FindCategory(f.Category ?? "")?.Id ?? NullIfBlank(f.Category),
        // NFKC: a full-width "ＨＫＤ" from a phone keyboard is HKD.
        Currency = (NullIfBlank(f.Currency) is { } c ? Text.TextNormalizer.Normalize(c) : company.BaseCurrency).ToUpperInvariant(),
        Merchant = NullIfBlank(f.Merchant),
        Description = NullIfBlank(f.Description),
        Project = NullIfBlank(f.Project),
        CostCentre = NullIfBlank(f.CostCentre),
    };

    private static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static void CheckText(string field, string value, int maxLength, bool allowNewLines, Action<string, string> add)
    {
        if (value.Length > maxLength)
        {
            add(field, $"Must be at most {maxLength} characters.");
        }
        // Control characters (CR/LF outside descriptions, ANSI escapes, NUL) have no place in a claim and are
        // a classic log-injection vector.
        if (value.Any(c => char.IsControl(c) && !(allowNewLines && c is '\n' or '\r' or '\t')))
        {
            add(field, "Must not contain control characters.");
        }
    }
}
