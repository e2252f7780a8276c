using System.Globalization;
using System.Text.Json;
using Reimburse.Core.Claims;

namespace Reimburse.Functions.Claims;

/// <summary>Reads claim fields from a JSON body field by field, so every wrong type is reported at once and nothing
/// outside the known fields can sneak in (status, owner, department, approver… are refused).</summary>
public static class ClaimRequest
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "category", "amount", "currency", "expenseDate", "merchant", "description", "project", "costCentre",
    };

    private static readonly HashSet<string> ServerOwned = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "status", "owner", "ownerId", "claimant", "claimantId", "department", "submittedBy", "approver", "approverId",
        "approvedAmount", "approvers", "createdAt", "submittedAt", "updatedAt", "receipts", "risk", "companyId",
    };

    public static (ClaimFields Fields, Dictionary<string, List<string>> Errors) Parse(JsonElement root)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string f, string m) => (errors.TryGetValue(f, out var l) ? l : errors[f] = []).Add(m);

        if (root.ValueKind != JsonValueKind.Object)
        {
            Add("$", "The body must be a JSON object.");
            return (ClaimFields.Empty, errors);
        }
        foreach (var p in root.EnumerateObject())
        {
            // A name that is not valid text (an escaped lone surrogate) is refused, not read: reading it throws.
            if (Hosting.StrictText.NameOf(p) is null)
            {
                Add("$", "A property name is not valid Unicode text.");
            }
            else if (ServerOwned.Contains(p.Name))
            {
                Add(p.Name, "This field is set by the server and cannot be sent.");
            }
            else if (!Known.Contains(p.Name))
            {
                Add(p.Name, "Unknown field.");
            }
        }
        if (errors.ContainsKey("$"))
        {
            return (ClaimFields.Empty, errors); // looking fields up by name would read the invalid name
        }

        string? Text(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            var (text, error) = Hosting.StrictText.GetString(v);
            if (error is not null) Add(name, error);
            return text;
        }

        decimal? amount = null;
        if (root.TryGetProperty("amount", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            // Parse from the JSON text, never through double.
            if (a.ValueKind == JsonValueKind.Number && a.TryGetDecimal(out var n)) amount = n;
            else if (a.ValueKind == JsonValueKind.String && Hosting.StrictText.GetString(a).Value is { } t && decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s)) amount = s;
            else Add("amount", "Must be a decimal number such as 268.50 (a JSON number or a string).");
        }

        DateOnly? date = null;
        if (Text("expenseDate") is { } ds)
        {
            if (DateOnly.TryParseExact(ds, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) date = d;
            else Add("expenseDate", "Must be a date in the form yyyy-MM-dd.");
        }

        var fields = new ClaimFields(Text("category"), amount, Text("currency"), date, Text("merchant"), Text("description"), Text("project"), Text("costCentre"));
        return (fields, errors);
    }

    /// <summary>A stable hash of what was asked, to tell an idempotent retry from a different request with a reused key.</summary>
    public static string Fingerprint(ClaimFields f, IEnumerable<string> receiptHashes) =>
        ReceiptStore.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(new object?[]
        {
            f.Category, f.Amount?.ToString(CultureInfo.InvariantCulture), f.Currency, f.ExpenseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            f.Merchant, f.Description, f.Project, f.CostCentre, receiptHashes.Order(StringComparer.Ordinal).ToArray(),
        }));

    public static IReadOnlyDictionary<string, string[]> Freeze(Dictionary<string, List<string>> errors) =>
        errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>Adds one error dictionary into another.</summary>
    public static void Merge(Dictionary<string, List<string>> into, IReadOnlyDictionary<string, string[]> from)
    {
        foreach (var (k, v) in from)
        {
            (into.TryGetValue(k, out var l) ? l : into[k] = []).AddRange(v);
        }
    }
}
