using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Reimburse.Core.Receipts;

/// <summary>Stable codes of receipt-versus-claim disagreements.</summary>
public enum ReceiptFindingCode
{
    ReceiptAmountMismatch,
    ReceiptCurrencyMismatch,
    ReceiptDateMismatch,
    ReceiptMerchantMismatch,
}

/// <summary>A disagreement between what the employee typed and what the receipt says.</summary>
public sealed record ReceiptFinding(ReceiptFindingCode Code, string Claimed, string OnReceipt, double Confidence, string Message);

/// <summary>How far a claim may be from its receipt before it is a finding.</summary>
public sealed record ReceiptComparisonOptions
{
    /// <summary>Absolute amount tolerance in the receipt currency.</summary>
    public decimal AmountAbsoluteTolerance { get; init; } = 0.10m;

    /// <summary>Relative amount tolerance (0.005 = 0.5%); the larger of the two applies.</summary>
    public decimal AmountRelativeTolerance { get; init; } = 0.005m;

    public int DateToleranceDays { get; init; }

    /// <summary>Merchant names at or above this similarity (0..1) match.</summary>
    public double MerchantSimilarity { get; init; } = 0.6;

    /// <summary>Receipt fields read with less confidence than this are not used to accuse anyone.</summary>
    public double MinimumFieldConfidence { get; init; } = 0.5;

    public static ReceiptComparisonOptions Default { get; } = new();
}

/// <summary>Compares a claim's merchant, date and amount with what was read from its receipt.</summary>
public static partial class ReceiptComparison
{
    public static IReadOnlyList<ReceiptFinding> Compare(
        string? claimedMerchant, DateOnly? claimedDate, Money? claimedAmount, ReceiptFields fields, ReceiptComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var o = options ?? ReceiptComparisonOptions.Default;
        var findings = new List<ReceiptFinding>();

        if (claimedAmount is { } claimed && fields.Total is { } total && total.Confidence >= o.MinimumFieldConfidence)
        {
            var receiptCurrency = fields.Currency is { } c && c.Confidence >= o.MinimumFieldConfidence ? c.Value : null;
            if (receiptCurrency is not null && receiptCurrency != claimed.Currency)
            {
                findings.Add(new ReceiptFinding(ReceiptFindingCode.ReceiptCurrencyMismatch, claimed.Currency, receiptCurrency,
                    Math.Min(total.Confidence, fields.Currency!.Confidence),
                    $"Claimed in {claimed.Currency} but the receipt is in {receiptCurrency}."));
            }
            else
            {
                var tolerance = Math.Max(o.AmountAbsoluteTolerance, Math.Abs(total.Value) * o.AmountRelativeTolerance);
                if (Math.Abs(claimed.Amount - total.Value) > tolerance)
                {
                    findings.Add(new ReceiptFinding(ReceiptFindingCode.ReceiptAmountMismatch,
                        claimed.ToString(), new Money(total.Value, receiptCurrency ?? claimed.Currency).ToString(), total.Confidence,
                        $"Claimed {claimed} but the receipt total is {total.Value.ToString("0.00", CultureInfo.InvariantCulture)}."));
                }
            }
        }

        if (claimedDate is { } cd && fields.Date is { } date && date.Confidence >= o.MinimumFieldConfidence
            && Math.Abs(cd.DayNumber - date.Value.DayNumber) > o.DateToleranceDays)
        {
            findings.Add(new ReceiptFinding(ReceiptFindingCode.ReceiptDateMismatch,
                cd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), date.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), date.Confidence,
                $"Claimed date {cd:yyyy-MM-dd} but the receipt is dated {date.Value:yyyy-MM-dd}."));
        }

        if (!string.IsNullOrWhiteSpace(claimedMerchant) && fields.Merchant is { } merchant && merchant.Confidence >= o.MinimumFieldConfidence
            && MerchantSimilarity(claimedMerchant, merchant.Value) is { } similarity && similarity < o.MerchantSimilarity)
        {
            findings.Add(new ReceiptFinding(ReceiptFindingCode.ReceiptMerchantMismatch, claimedMerchant, merchant.Value, merchant.Confidence,
                $"Claimed merchant \"{claimedMerchant}\" but the receipt is from \"{merchant.Value}\"."));
        }
        return findings;
    }

    /// <summary>
    /// Similarity 0..1 of two merchant names after dropping legal suffixes, punctuation and case; containment counts
    /// as a match. Null when they cannot be compared (one written only in Chinese, the other only in Latin letters).
    /// </summary>
    public static double? MerchantSimilarity(string a, string b)
    {
        var x = Key(a);
        var y = Key(b);
        if (x.Length == 0 || y.Length == 0) return null;
        bool cjkX = x.Any(IsCjk), cjkY = y.Any(IsCjk), latX = x.Any(char.IsAsciiLetter), latY = y.Any(char.IsAsciiLetter);
        if ((cjkX && !latX && !cjkY) || (cjkY && !latY && !cjkX)) return null;
        if (x.Contains(y, StringComparison.Ordinal) || y.Contains(x, StringComparison.Ordinal)) return 1.0;
        return Dice(Bigrams(x), Bigrams(y));
    }

    private static string Key(string name)
    {
        var s = name.Normalize(NormalizationForm.FormKC).ToUpperInvariant();
        s = Suffixes().Replace(s, " ");
        var sb = new StringBuilder();
        foreach (var ch in s)
            if (char.IsLetterOrDigit(ch)) sb.Append(ch);
        return sb.ToString();
    }

    private static bool IsCjk(char c) => c is >= '\u4E00' and <= '\u9FFF';

    private static List<string> Bigrams(string s) =>
        s.Length < 2 ? [s] : Enumerable.Range(0, s.Length - 1).Select(i => s.Substring(i, 2)).ToList();

    private static double Dice(List<string> a, List<string> b)
    {
        var pool = b.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var common = 0;
        foreach (var g in a)
            if (pool.TryGetValue(g, out var n) && n > 0) { common++; pool[g] = n - 1; }
        return 2.0 * common / (a.Count + b.Count);
    }

    [GeneratedRegex(@"\b(?:SDN\.?\s?BHD|BHD|CO\.?,?\s?LTD|PTE\.?\s?LTD|LTD|LIMITED|INC|CORP|CORPORATION|COMPANY|CO)\b\.?|有限公司|公司|分店|\(.*?\)")]
    private static partial Regex Suffixes();
}
