using Reimburse.Core.Receipts;

namespace Reimburse.Core.Tests.Receipts;

public class NaiveReceiptExtractorTests
{
    [Fact]
    public void Extract_CashLargerThanTotal_TakesLargestAmount()
    {
        var fields = NaiveReceiptExtractor.Extract(OcrDocument.FromText("SHOP\nTOTAL 9.00\nCASH 50.00"));
        Assert.Equal(50.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_AnyText_FirstLineIsMerchant()
    {
        var fields = NaiveReceiptExtractor.Extract(OcrDocument.FromText("tan woon yann\nBOOK TA .K SDN BHD"));
        Assert.Equal("TAN WOON YANN", fields.Merchant?.Value);
    }
}
