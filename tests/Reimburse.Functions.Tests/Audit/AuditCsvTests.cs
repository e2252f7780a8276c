using Reimburse.Functions.Audit;

namespace Reimburse.Tests.Audit;

public sealed class AuditCsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil\")")]
    [InlineData("+1+1")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1)")]
    [InlineData("\tcmd")]
    [InlineData("\rcmd")]
    public void Cell_FormulaStart_IsNeutralisedWithAnApostrophe(string value) =>
        Assert.StartsWith("\"'", AuditCsv.Cell(value));

    [Fact]
    public void Cell_PlainText_IsQuotedUnchanged() => Assert.Equal("\"Tsui Wah\"", AuditCsv.Cell("Tsui Wah"));

    [Fact]
    public void Cell_QuotesAndCommas_AreEscapedPerRfc4180() => Assert.Equal("\"a \"\"b\"\", c\"", AuditCsv.Cell("a \"b\", c"));

    [Fact]
    public void Line_ControlCharactersAndAnsiEscapes_StayOnOneLine()
    {
        var line = AuditCsv.Line(["ok", "evil\r\nforged,record\u001b[31mred\u0007", "x"]);

        Assert.EndsWith("\r\n", line);
        Assert.Equal(1, line.Count(c => c == '\n'));
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("\\u001b[31m", line);
    }
}
