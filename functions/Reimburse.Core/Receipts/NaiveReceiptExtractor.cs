namespace Reimburse.Core.Receipts;

/// <summary>
/// The benchmark's baseline: largest amount on the page as total, first line as merchant, first date-looking
/// token as date. Exists only so improvements are measured side by side.
/// </summary>
public static class NaiveReceiptExtractor
{
    public static ReceiptFields Extract(OcrDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var lines = document.Lines.Select(l => ReceiptText.Normalise(l.Text)).Where(l => l.Length > 0).ToList();
        var amounts = lines.SelectMany(l => ReceiptText.Amounts(l)).Select(a => a.Value).ToList();
        var date = lines.SelectMany(l => ReceiptText.Dates(l)).Select(d => (DateOnly?)d.Value).FirstOrDefault();
        return new ReceiptFields
        {
            Merchant = lines.Count > 0 ? new FieldValue<string>(lines[0], 0.5) : null,
            Date = date is { } d ? new FieldValue<DateOnly>(d, 0.5) : null,
            Total = amounts.Count > 0 ? new FieldValue<decimal>(amounts.Max(), 0.5) : null,
        };
    }
}
