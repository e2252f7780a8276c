using Reimburse.Core.Receipts;
using Reimburse.Functions.Receipts.Ocr;

namespace Reimburse.Functions.Tests.Receipts;

public sealed class SecondPassTests
{
    private static bool Needs(string text) => TesseractOcrEngine.NeedsSecondPass(ReceiptFieldExtractor.Extract(OcrDocument.FromText(text)));

    [Fact]
    public void NeedsSecondPass_AllKeyFieldsClear_False()
    {
        Assert.False(Needs("SHOP SDN BHD\nDATE: 05/03/2018\nGRAND TOTAL 12.30"));
    }

    [Fact]
    public void NeedsSecondPass_ChineseAllKeyFieldsClear_False()
    {
        Assert.False(Needs("翠華茶餐廳有限公司\n日期: 2024-03-05\n總數 $88.00"));
    }

    [Fact]
    public void NeedsSecondPass_DateMissing_True()
    {
        Assert.True(Needs("SHOP SDN BHD\nGRAND TOTAL 12.30"));
    }

    [Fact]
    public void NeedsSecondPass_TotalMissing_True()
    {
        Assert.True(Needs("SHOP SDN BHD\nDATE: 05/03/2018"));
    }

    [Fact]
    public void NeedsSecondPass_MerchantMissing_True()
    {
        Assert.True(Needs("12345\nDATE: 05/03/2018\nGRAND TOTAL 12.30"));
    }

    [Fact]
    public void SecondPass_Default_On()
    {
        Assert.True(new OcrOptions().SecondPass);
    }

    [Fact]
    public void SecondPassFields_FirstDateClear_KeepsFirstDate()
    {
        var first = ReceiptFieldExtractor.Extract(OcrDocument.FromText("12345\nDATE: 05/03/2018\nGRAND TOTAL 12.30"));
        var second = ReceiptFieldExtractor.Extract(OcrDocument.FromText("SHOP SDN BHD\nDATE: 06/03/2018\nGRAND TOTAL 12.30"));
        var offered = TesseractOcrEngine.SecondPassFields(first, second);
        Assert.Null(offered.Date);
    }

    [Fact]
    public void SecondPassFields_FirstMerchantMissing_OffersSecondMerchant()
    {
        var first = ReceiptFieldExtractor.Extract(OcrDocument.FromText("12345\nDATE: 05/03/2018\nGRAND TOTAL 12.30"));
        var second = ReceiptFieldExtractor.Extract(OcrDocument.FromText("翠華茶餐廳有限公司\n日期: 2024-03-05\n總數 $88.00"));
        var offered = TesseractOcrEngine.SecondPassFields(first, second);
        Assert.Equal("翠華茶餐廳有限公司", offered.Merchant?.Value);
    }
}
