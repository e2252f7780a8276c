using System.Globalization;

namespace Reimburse.Core.Exports;

/// <summary>Where an export goes: a file finance imports, or the accounting system's API.</summary>
public static class ExportTargets
{
    public const string XeroCsv = "xero-csv";
    public const string QuickBooksCsv = "quickbooks-csv";
    public const string Xero = "xero";
    public const string QuickBooks = "quickbooks";

    public static readonly IReadOnlyList<string> All = [XeroCsv, QuickBooksCsv, Xero, QuickBooks];

    public static bool IsKnown(string? target) => target is not null && All.Contains(target, StringComparer.Ordinal);

    /// <summary>File targets produce CSV files (and a workbook); the others post through an API.</summary>
    public static bool IsFile(string target) => target is XeroCsv or QuickBooksCsv;

    /// <summary>The accounting system a target belongs to ("xero" or "quickbooks"): mappings are per system.</summary>
    public static string System(string target) => target.StartsWith("xero", StringComparison.Ordinal) ? Xero : QuickBooks;
}

/// <summary>An approved claim as an export sees it: a snapshot taken when the batch is built.</summary>
public sealed record ExportClaim(
    string ClaimId,
    string OwnerId,
    string OwnerName,
    string? OwnerNameZh,
    string OwnerEmail,
    string Department,
    string Category,
    string? Merchant,
    string? Description,
    DateOnly ExpenseDate,
    DateTimeOffset ApprovedAt,
    Money Amount,
    IReadOnlyList<ExportReceipt> Receipts);

/// <summary>A receipt file of a claim (attached to the bill by the API targets).</summary>
public sealed record ExportReceipt(string Id, string FileName, string ContentType, string BlobName);

/// <summary>The rate that turned a claim's amount into the base currency: 1 unit of <see cref="Currency"/> =
/// <see cref="Rate"/> base units, as recorded on <see cref="Date"/> from <see cref="Source"/>.</summary>
public sealed record FxRate(string Currency, string BaseCurrency, decimal Rate, DateOnly Date, string Source, string? OverrideReason = null)
{
    public static FxRate Identity(string currency, DateOnly date) => new(currency, currency, 1m, date, "same-currency");

    public string RateText => Rate.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>One line of a bill, in the claim's own currency.</summary>
public sealed record BillLine(string Description, decimal Quantity, decimal UnitAmount, string AccountCode, string TaxType, string? TrackingName, string? TrackingOption)
{
    public decimal LineAmount => Quantity * UnitAmount;
}

/// <summary>A bill (Xero ACCPAY invoice, QuickBooks Bill) for one claim: the employee is the contact/vendor the company
/// owes. Amounts are in the claim's currency; <see cref="Fx"/> converts them to the base currency.</summary>
public sealed record Bill(
    string ClaimId,
    string Number,
    string ContactName,
    string ContactEmail,
    string? VendorRef,
    DateOnly Date,
    DateOnly DueDate,
    string Currency,
    FxRate Fx,
    string Reference,
    IReadOnlyList<BillLine> Lines)
{
    public decimal Total => Lines.Sum(l => l.LineAmount);

    /// <summary>The total in the base currency, rounded to its minor unit.</summary>
    public decimal BaseTotal => Math.Round(Total * Fx.Rate, Money.Scale(Fx.BaseCurrency), MidpointRounding.AwayFromZero);
}

/// <summary>Why a claim could not become a bill (the batch goes on without it).</summary>
public sealed record BillFailure(string ClaimId, string Code, string Reason);
