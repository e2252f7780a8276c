using System.Text;
using ClosedXML.Excel;
using Reimburse.Core;
using Reimburse.Core.Exports;
using Reimburse.Functions.Exports;

namespace Reimburse.Tests.Exports;

public sealed class ExportFilesTests
{
    internal static Bill Bill(int n, string contact = "Chan Tai Man (陳大文)", string description = "Meals — 翠華餐廳", string currency = "HKD", decimal rate = 1m) =>
        new($"clm_{n:D26}", $"clm_{n:D26}", contact, "tm.chan@harbour.example", null, new DateOnly(2026, 11, 23), new DateOnly(2026, 12, 7), currency,
            currency == "HKD" ? FxRate.Identity("HKD", new DateOnly(2026, 11, 20)) : new FxRate(currency, "HKD", rate, new DateOnly(2026, 11, 19), "HKMA"),
            $"clm_{n:D26}", [new BillLine(description, 1m, 100m + n, "420", "NONE", "Department", "Sales")]);

    [Fact]
    public void XeroCsv_Utf8WithBom_ChineseIntact_TemplateColumns()
    {
        var bytes = ExportFiles.XeroCsv([Bill(1)]);

        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n");
        Assert.Equal(string.Join(",", ExportFiles.XeroColumns), lines[0]);
        foreach (var required in new[] { "*ContactName", "*InvoiceNumber", "*InvoiceDate", "*DueDate", "*Description", "*Quantity", "*UnitAmount", "*AccountCode", "*TaxType", "Currency", "TrackingName1", "TrackingOption1" })
        {
            Assert.Contains(required, ExportFiles.XeroColumns);
        }
        Assert.Contains("Chan Tai Man (陳大文)", lines[1], StringComparison.Ordinal);
        Assert.Contains("Meals — 翠華餐廳", lines[1], StringComparison.Ordinal);
        Assert.Contains(",23/11/2026,07/12/2026,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",Department,Sales,,,HKD", lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil\")")]
    [InlineData("+1+cmd|' /C calc'!A0")]
    [InlineData("@SUM(A1:A9)")]
    [InlineData("-2+3")]
    public void Csv_CellsThatWouldRunAsFormulas_AreEscaped(string hostile)
    {
        foreach (var bytes in new[] { ExportFiles.XeroCsv([Bill(1, contact: hostile, description: hostile)]), ExportFiles.QuickBooksCsv([Bill(1, contact: hostile, description: hostile)]) })
        {
            var text = Encoding.UTF8.GetString(bytes);
            Assert.DoesNotContain("," + hostile, text, StringComparison.Ordinal);
            Assert.DoesNotContain(",\"" + hostile, text, StringComparison.Ordinal);
            Assert.Contains("'" + hostile[0], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Csv_501Bills_SplitIntoTwoFilesOfAtMost500()
    {
        var bills = Enumerable.Range(1, 501).Select(n => Bill(n)).ToList();

        var files = ExportFiles.Csv(ExportTargets.XeroCsv, bills, "exp_test");

        Assert.Equal(["xero-bills-exp_test-part1of2.csv", "xero-bills-exp_test-part2of2.csv"], files.Select(f => f.Name));
        var rows = files.Select(f => Encoding.UTF8.GetString(f.Content).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length - 1).ToList();
        Assert.Equal([500, 1], rows);
        Assert.All(files, f => Assert.Equal(0xEF, f.Content[0]));
    }

    [Fact]
    public void QuickBooksCsv_CarriesCurrencyAndExchangeRate()
    {
        var text = Encoding.UTF8.GetString(ExportFiles.QuickBooksCsv([Bill(7, currency: "CNY", rate: 1.085m)]));
        var lines = text.TrimStart('\uFEFF').Split("\r\n");

        Assert.Equal("Bill No,Vendor,Bill Date,Due Date,Terms,Memo,Account,Line Description,Line Amount,Line Tax Code,Class,Currency,Exchange Rate", lines[0]);
        Assert.StartsWith(BillBuilder.ShortNumber(Bill(7).Number) + ",", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",107.00,NONE,Sales,CNY,1.085", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Workbook_ListsBillsWithBaseAmountsAndFailures()
    {
        var file = ExportFiles.Workbook("exp_test", ExportTargets.XeroCsv, [Bill(1), Bill(2, currency: "CNY", rate: 1.085m)],
            [new BillFailure("clm_x", "unmapped-category", "Category 'misc' has no account code")], "HKD");

        using var book = new XLWorkbook(new MemoryStream(file.Content));
        var bills = book.Worksheet("Bills");
        Assert.Equal("Chan Tai Man (陳大文)", bills.Cell(2, 2).GetString());
        Assert.Equal("CNY", bills.Cell(3, 9).GetString());
        Assert.Equal(110.67m, bills.Cell(3, 14).GetValue<decimal>());
        Assert.Equal(101m + 110.67m, bills.Cell(4, 14).GetValue<decimal>());
        Assert.Equal("unmapped-category", book.Worksheet("Failed").Cell(2, 2).GetString());
    }
}
