using Reimburse.Core.Receipts;
using Reimburse.Testing;
using Reimburse.Testing.Receipts;

namespace Reimburse.Tests.Receipts;

/// <summary>Real tesseract on generated receipts: the extracted merchant, date and total match the truth.</summary>
public sealed class TesseractReceiptTests
{
    [Theory]
    [InlineData(SyntheticReceiptKind.ChineseRestaurant, 1)]
    [InlineData(SyntheticReceiptKind.BilingualSupermarket, 2)]
    [InlineData(SyntheticReceiptKind.Taxi, 3)]
    [InlineData(SyntheticReceiptKind.PdfWithText, 4)]
    [InlineData(SyntheticReceiptKind.ScannedPdf, 5)]
    public async Task ReadAsync_GeneratedReceipt_MerchantDateTotalMatchTruth(SyntheticReceiptKind kind, int seed)
    {
        using var engine = OcrTestSupport.Tesseract();
        await OcrTestSupport.ReadsTruthAsync(engine, kind, seed, TestTimeout.Token(90));
    }

    [Fact]
    public async Task ReadAsync_PdfWithTextLayer_UsesTextLayerNotOcr()
    {
        var receipt = await SyntheticReceipts.GenerateAsync(SyntheticReceiptKind.PdfWithText, 9, TestTimeout.Token());
        using var engine = OcrTestSupport.Tesseract();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(receipt.Content, "application/pdf", TestTimeout.Token());
        Assert.Equal("pdftotext", reading.Engine);
    }

    [Fact]
    public async Task ReadAsync_Reading_RoundTripsThroughJson()
    {
        var receipt = await SyntheticReceipts.GenerateAsync(SyntheticReceiptKind.PdfWithText, 10, TestTimeout.Token());
        using var engine = OcrTestSupport.Tesseract();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(receipt.Content, "application/pdf", TestTimeout.Token());
        var json = System.Text.Json.JsonSerializer.Serialize(reading);
        var back = System.Text.Json.JsonSerializer.Deserialize<ReceiptReading>(json)!;
        Assert.Equal(reading.Fields, back.Fields);
    }
}
