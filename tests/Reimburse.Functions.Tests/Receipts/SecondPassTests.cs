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
}
