using System.Text.Json;
using Reimburse.Core;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Core.Receipts;
using Azure.Data.Tables;

namespace Reimburse.Functions.Receipts;

/// <summary>A field read from a receipt and how sure the reader is.</summary>
public sealed record ExtractedField(string Value, double Confidence);

/// <summary>What one receipt said, as the API shows it.</summary>
public sealed record ReceiptReadingView(
    string ReceiptId,
    string Status,
    string? Reason,
    string Engine,
    double Seconds,
    IReadOnlyDictionary<string, ExtractedField> Fields);

/// <summary>A disagreement between the claim and its receipts, for approvers and the risk model.</summary>
public sealed record ReceiptFindingView(string Code, string ReceiptId, string Claimed, string OnReceipt, double Confidence, string Message);

/// <summary>Turns readings into what the claim records: per-receipt views, autofill values and mismatch findings.</summary>
public static class ReceiptUnderstanding
{
    public const string ReadingsProperty = "ReceiptReadings";
    public const string FindingsProperty = "ReceiptFindings";
    /// <summary>Autofill only takes fields the reader is at least this sure of.</summary>
    public const double AutofillConfidence = 0.5;

    public static ReceiptReadingView View(ReceiptRef receipt, ReceiptReading reading)
    {
        var fields = new Dictionary<string, ExtractedField>(StringComparer.Ordinal);
        var f = reading.Fields;
        void Add<T>(string name, FieldValue<T>? v, Func<T, string> format)
        {
            if (v is not null) fields[name] = new ExtractedField(format(v.Value), Math.Round(v.Confidence, 3));
        }
        if (f is not null)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            Add("merchant", f.Merchant, x => x);
            Add("date", f.Date, x => x.ToString("yyyy-MM-dd", inv));
            Add("time", f.Time, x => x.ToString("HH:mm", inv));
            Add("total", f.Total, x => x.ToString(inv));
            Add("subtotal", f.Subtotal, x => x.ToString(inv));
            Add("tax", f.Tax, x => x.ToString(inv));
            Add("serviceCharge", f.ServiceCharge, x => x.ToString(inv));
            Add("currency", f.Currency, x => x);
            Add("receiptNumber", f.ReceiptNumber, x => x);
            Add("paymentMethod", f.PaymentMethod, x => x);
        }
        return new ReceiptReadingView(receipt.Id, reading.Status.ToString(), reading.Reason, reading.Engine, Math.Round(reading.Duration.TotalSeconds, 2), fields);
    }

    /// <summary>Claim vs receipts: one receipt is compared field by field; several are compared on their summed total.</summary>
    public static IReadOnlyList<ReceiptFindingView> Findings(ClaimFields claim, IReadOnlyList<(ReceiptRef Receipt, ReceiptReading Reading)> readings)
    {
        var readable = readings.Where(r => r.Reading is { Status: ReceiptReadStatus.Read, Fields: not null }).ToList();
        if (readable.Count == 0)
        {
            return [];
        }
        if (readable.Count == 1)
        {
            var (receipt, reading) = readable[0];
            return ReceiptComparison.Compare(claim.Merchant, claim.ExpenseDate, claim.Money, reading.Fields!)
                .Select(x => new ReceiptFindingView(x.Code.ToString(), receipt.Id, x.Claimed, x.OnReceipt, Math.Round(x.Confidence, 3), x.Message)).ToList();
        }
        var totals = readable.Where(r => r.Reading.Fields!.Total is not null).ToList();
        if (totals.Count != readable.Count || totals.Select(t => t.Reading.Fields!.Currency?.Value ?? claim.Currency).Distinct().Count() > 1)
        {
            return [];
        }
        var sum = new ReceiptFields
        {
            Total = new FieldValue<decimal>(totals.Sum(t => t.Reading.Fields!.Total!.Value), totals.Min(t => t.Reading.Fields!.Total!.Confidence)),
            Currency = totals[0].Reading.Fields!.Currency,
        };
        return ReceiptComparison.Compare(null, null, claim.Money, sum)
            .Select(x => new ReceiptFindingView(x.Code.ToString(), "all", x.Claimed, x.OnReceipt, Math.Round(x.Confidence, 3), x.Message)).ToList();
    }

    /// <summary>Fills a draft's empty fields from its first readable receipt; returns the new fields and what was filled.</summary>
    public static (ClaimFields Fields, IReadOnlyList<string> Filled) Autofill(ClaimFields draft, IEnumerable<ReceiptReading> readings, CompanyDirectory company)
    {
        var f = readings.FirstOrDefault(r => r is { Status: ReceiptReadStatus.Read, Fields: not null })?.Fields;
        if (f is null)
        {
            return (draft, []);
        }
        var filled = new List<string>();
        T? Take<T>(T? current, FieldValue<T>? read, string name) where T : struct
        {
            if (current is not null || read is null || read.Confidence < AutofillConfidence) return current;
            filled.Add(name);
            return read.Value;
        }
        string? TakeText(string? current, FieldValue<string>? read, string name)
        {
            if (!string.IsNullOrWhiteSpace(current) || read is null || read.Confidence < AutofillConfidence || string.IsNullOrWhiteSpace(read.Value)) return current;
            filled.Add(name);
            return read.Value.Trim();
        }
        var amount = Take(draft.Amount, f.Total, "amount");
        var currency = draft.Amount is null && f.Currency is { } c && c.Confidence >= AutofillConfidence && Currencies.IsSupported(c.Value) ? c.Value : draft.Currency;
        var merchant = TakeText(draft.Merchant, f.Merchant, "merchant");
        var date = Take(draft.ExpenseDate, f.Date, "expenseDate");
        var category = draft.Category;
        if (category is null && merchant is not null && company.FindVendor(merchant) is { Categories.Count: > 0 } vendor)
        {
            category = vendor.Categories[0];
            filled.Add("category");
        }
        return (draft with { Amount = amount, Currency = currency, Merchant = merchant, ExpenseDate = date, Category = category }, filled);
    }

    public static IReadOnlyList<ReceiptReadingView>? ReadingsOf(TableEntity raw) =>
        raw.GetString(ReadingsProperty) is { Length: > 0 } json ? JsonSerializer.Deserialize<List<ReceiptReadingView>>(json, ReceiptReadingStore.Json) : null;

    public static IReadOnlyList<ReceiptFindingView>? FindingsOf(TableEntity raw) =>
        raw.GetString(FindingsProperty) is { Length: > 0 } json ? JsonSerializer.Deserialize<List<ReceiptFindingView>>(json, ReceiptReadingStore.Json) : null;
}
