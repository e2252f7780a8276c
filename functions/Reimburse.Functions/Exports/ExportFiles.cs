using System.Globalization;
using System.IO.Compression;
using System.Text;
using ClosedXML.Excel;
using CsvHelper;
using CsvHelper.Configuration;
using Reimburse.Core.Exports;

namespace Reimburse.Functions.Exports;

/// <summary>A file of an export batch.</summary>
public sealed record ExportFile(string Name, string ContentType, byte[] Content);

/// <summary>The import files finance loads into Xero or QuickBooks Online, and the workbook summary. CSV is UTF-8 with a
/// byte-order mark (so Excel shows 中文), cells that a spreadsheet would run as a formula are escaped (CsvHelper's
/// injection escaping: a leading quote), and a file holds at most <see cref="MaxBillsPerFile"/> bills (Xero's import limit;
/// the same for QuickBooks), so a larger batch is split into numbered files.</summary>
public static class ExportFiles
{
    public const int MaxBillsPerFile = 500;
    public const string CsvContentType = "text/csv; charset=utf-8";
    public const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// <summary>Xero's bills import template (Business › Bills to pay › Import): the starred columns are required.</summary>
    public static readonly string[] XeroColumns =
    [
        "*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity", "PORegion",
        "POPostalCode", "POCountry", "*InvoiceNumber", "Reference", "*InvoiceDate", "*DueDate", "InventoryItemCode", "*Description",
        "*Quantity", "*UnitAmount", "Discount", "*AccountCode", "*TaxType", "TaxAmount", "TrackingName1", "TrackingOption1",
        "TrackingName2", "TrackingOption2", "Currency",
    ];

    /// <summary>QuickBooks Online's bill import (Settings › Import data › Bills), account-based lines, with currency and
    /// exchange rate for a multicurrency company.</summary>
    public static readonly string[] QuickBooksColumns =
    [
        "Bill No", "Vendor", "Bill Date", "Due Date", "Terms", "Memo", "Account", "Line Description", "Line Amount", "Line Tax Code",
        "Class", "Currency", "Exchange Rate",
    ];

    private static readonly CsvConfiguration Config = new(CultureInfo.InvariantCulture)
    {
        InjectionOptions = InjectionOptions.Escape,
        NewLine = "\r\n",
    };

    /// <summary>The CSV files for a file target, one per 500 bills.</summary>
    public static IReadOnlyList<ExportFile> Csv(string target, IReadOnlyList<Bill> bills, string batchId)
    {
        var chunks = bills.Chunk(MaxBillsPerFile).ToList();
        if (chunks.Count == 0) chunks.Add([]);
        var prefix = target == ExportTargets.XeroCsv ? "xero-bills" : "quickbooks-bills";
        return chunks.Select((chunk, i) => new ExportFile(
            chunks.Count == 1 ? $"{prefix}-{batchId}.csv" : $"{prefix}-{batchId}-part{i + 1}of{chunks.Count}.csv",
            CsvContentType,
            target == ExportTargets.XeroCsv ? XeroCsv(chunk) : QuickBooksCsv(chunk))).ToList();
    }

    public static byte[] XeroCsv(IEnumerable<Bill> bills) => Write(XeroColumns, bills.SelectMany(b => b.Lines.Select(l => new string?[]
    {
        b.ContactName, b.ContactEmail, null, null, null, null, null, null, null, null,
        b.Number, b.Reference, Date(b.Date), Date(b.DueDate), null, l.Description,
        Amount(l.Quantity), Amount(l.UnitAmount), null, l.AccountCode, l.TaxType, null,
        l.TrackingName, l.TrackingOption, null, null, b.Currency,
    })));

    public static byte[] QuickBooksCsv(IEnumerable<Bill> bills) => Write(QuickBooksColumns, bills.SelectMany(b => b.Lines.Select(l => new string?[]
    {
        BillBuilder.ShortNumber(b.Number), b.VendorRef ?? b.ContactName, Date(b.Date), Date(b.DueDate), null, b.Reference,
        l.AccountCode, l.Description, Amount(l.LineAmount), l.TaxType, l.TrackingOption, b.Currency, b.Fx.RateText,
    })));

    private static byte[] Write(string[] header, IEnumerable<string?[]> rows)
    {
        using var buffer = new MemoryStream();
        using (var writer = new StreamWriter(buffer, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true))
        using (var csv = new CsvWriter(writer, Config))
        {
            foreach (var h in header) csv.WriteField(h, shouldQuote: false);
            csv.NextRecord();
            foreach (var row in rows)
            {
                foreach (var cell in row) csv.WriteField(cell ?? "");
                csv.NextRecord();
            }
        }
        return buffer.ToArray();
    }

    private static string Date(DateOnly d) => d.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);
    private static string Amount(decimal d) => d.ToString("0.00##", CultureInfo.InvariantCulture);

    /// <summary>The finance summary: one sheet of bills (original currency, rate, base amount, status), one of failures.</summary>
    public static ExportFile Workbook(string batchId, string target, IReadOnlyList<Bill> bills, IReadOnlyList<BillFailure> failures, string baseCurrency)
    {
        using var book = new XLWorkbook();
        var sheet = book.Worksheets.Add("Bills");
        string[] header = ["Claim", "Contact", "Bill date", "Due date", "Description", "Account", "Tax type", "Tracking", "Currency", "Amount", "Rate", "Rate date", "Rate source", $"Amount ({baseCurrency})"];
        for (var c = 0; c < header.Length; c++) sheet.Cell(1, c + 1).Value = header[c];
        var row = 2;
        foreach (var b in bills)
        {
            var l = b.Lines[0];
            // Text cells are set as strings, so nothing a claimant typed is ever evaluated as a formula.
            sheet.Cell(row, 1).SetValue(b.ClaimId);
            sheet.Cell(row, 2).SetValue(b.ContactName);
            sheet.Cell(row, 3).SetValue(b.Date.ToDateTime(TimeOnly.MinValue));
            sheet.Cell(row, 4).SetValue(b.DueDate.ToDateTime(TimeOnly.MinValue));
            sheet.Cell(row, 5).SetValue(string.Join("; ", b.Lines.Select(x => x.Description)));
            sheet.Cell(row, 6).SetValue(l.AccountCode);
            sheet.Cell(row, 7).SetValue(l.TaxType);
            sheet.Cell(row, 8).SetValue(l.TrackingOption ?? "");
            sheet.Cell(row, 9).SetValue(b.Currency);
            sheet.Cell(row, 10).SetValue(b.Total);
            sheet.Cell(row, 11).SetValue(b.Fx.Rate);
            sheet.Cell(row, 12).SetValue(b.Fx.Date.ToDateTime(TimeOnly.MinValue));
            sheet.Cell(row, 13).SetValue(b.Fx.Source);
            sheet.Cell(row, 14).SetValue(b.BaseTotal);
            row++;
        }
        sheet.Cell(row, 13).SetValue("Total");
        sheet.Cell(row, 14).SetValue(bills.Sum(b => b.BaseTotal));
        sheet.Range(2, 3, row, 4).Style.DateFormat.Format = "yyyy-mm-dd";
        sheet.Range(2, 12, row, 12).Style.DateFormat.Format = "yyyy-mm-dd";
        sheet.Range(2, 10, row, 10).Style.NumberFormat.Format = "#,##0.00";
        sheet.Range(2, 14, row, 14).Style.NumberFormat.Format = "#,##0.00";
        sheet.Row(1).Style.Font.Bold = true;
        // Fixed widths: measuring text (AdjustToContents) needs system fonts a server may not have.
        foreach (var (column, width) in new[] { (1, 32), (2, 28), (3, 12), (4, 12), (5, 48), (6, 10), (7, 10), (8, 14), (9, 9), (10, 14), (11, 10), (12, 12), (13, 16), (14, 16) })
        {
            sheet.Column(column).Width = width;
        }
        var failed = book.Worksheets.Add("Failed");
        failed.Cell(1, 1).SetValue("Claim");
        failed.Cell(1, 2).SetValue("Code");
        failed.Cell(1, 3).SetValue("Reason");
        for (var i = 0; i < failures.Count; i++)
        {
            failed.Cell(i + 2, 1).SetValue(failures[i].ClaimId);
            failed.Cell(i + 2, 2).SetValue(failures[i].Code);
            failed.Cell(i + 2, 3).SetValue(failures[i].Reason);
        }
        failed.Row(1).Style.Font.Bold = true;
        var info = book.Worksheets.Add("Batch");
        info.Cell(1, 1).SetValue("Batch");
        info.Cell(1, 2).SetValue(batchId);
        info.Cell(2, 1).SetValue("Target");
        info.Cell(2, 2).SetValue(target);
        info.Cell(3, 1).SetValue("Bills");
        info.Cell(3, 2).SetValue(bills.Count);
        info.Cell(4, 1).SetValue("Failed");
        info.Cell(4, 2).SetValue(failures.Count);
        using var stream = new MemoryStream();
        book.SaveAs(stream);
        return new ExportFile($"export-{batchId}.xlsx", XlsxContentType, stream.ToArray());
    }

    /// <summary>Several files as one zip (a batch split into parts, plus its workbook).</summary>
    public static ExportFile Zip(string batchId, IEnumerable<ExportFile> files)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var f in files)
            {
                var entry = zip.CreateEntry(f.Name, CompressionLevel.Fastest);
                using var s = entry.Open();
                s.Write(f.Content);
            }
        }
        return new ExportFile($"export-{batchId}.zip", "application/zip", stream.ToArray());
    }
}
