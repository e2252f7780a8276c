using Reimburse.Core.Receipts;

namespace Reimburse.Core.Tests.Receipts;

/// <summary>Extractor rules for OCR slips seen on low-resolution thermal scans.</summary>
public class ReceiptOcrNoiseTests
{
    private static ReceiptFields Extract(string text) => ReceiptFieldExtractor.Extract(OcrDocument.FromText(text));

    [Theory]
    [InlineData("T0TAL 12.30")]
    [InlineData("TOTAI 12.30")]
    [InlineData("TOTA1 12.30")]
    [InlineData("Fotal RM 12.30")]
    public void Extract_TotalKeywordOneOcrSlipAway_ReadsTotal(string line)
    {
        var fields = Extract("SHOP SDN BHD\nITEM A 5.00 2.00\n" + line);
        Assert.Equal(12.30m, fields.Total?.Value);
    }

    [Theory]
    [InlineData("TOTAL", true)]
    [InlineData("T0TAL", true)]
    [InlineData("TOTALS", true)]
    [InlineData("METAL", false)]
    [InlineData("TOTEM", false)]
    public void FixKeywords_WordNearTotal_BecomesTotal(string word, bool corrected)
    {
        Assert.Equal(corrected, ReceiptFieldExtractor.FixKeywords(word + " 1.00") == "TOTAL 1.00");
    }

    [Fact]
    public void Extract_GrandTotalLostDecimalPoint_TakesAmountPrintedElsewhere()
    {
        var fields = Extract("SHOP SDN BHD\nSUB TOTAL 10.00\nGRAND TOTAL 1000\nCASH 20.00\nCHANGE DUE 10.00");
        Assert.Equal(10.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_TotalDecimalReadAsSpace_ReadsCents()
    {
        var fields = Extract("SHOP SDN BHD\nRICE 1 7.20 7.20\nGrand Total —— 92 80\nCash Received 100.00");
        Assert.Equal(92.80m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_ChineseTotalWholeDollars_NotTakenAsCents()
    {
        var fields = Extract("翠華茶餐廳\n奶茶 $20.00\n總數 $120");
        Assert.Equal(120m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_GrossAmountAndNetAmount_TakesNet()
    {
        var fields = Extract("SHOP SDN BHD\nGross Amt 47.80\nGST (6%) 2.86\nNet Amt : 53.55");
        Assert.Equal(53.55m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_TotalGstLine_IsNotTheTotal()
    {
        var fields = Extract("SHOP SDN BHD\nTotal Sajes (Incl of GST) : 80.90\nTotal GST 4.58");
        Assert.Equal(80.90m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_TotalAfterRounding_IsStrongTotal()
    {
        var fields = Extract("SHOP SDN BHD\nTotal 85.12\nTotal After Rounding 85.10\nCASH 100.10\nCHANGE 15.00");
        Assert.Equal(85.10m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_GarbledChangeWithoutCents_TenderedNotTakenAsTotal()
    {
        var fields = Extract("SHOP SDN BHD\n1 PC 9.00 9.00\nTotal : 9.00\nCash 40.00\nCHANGE 00");
        Assert.Equal(9.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_WholeNumberOnCentsPage_LosesToAmountWithCents()
    {
        var fields = Extract("SHOP SDN BHD\nTotal Amount + 49, 40\nTOTAL: RM 57.80");
        Assert.Equal(57.80m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_ItemCodeShapedLikeDate_PrefersDateWithTime()
    {
        var fields = Extract("SHOP SDN BHD\nHCO3-7 - 15\n9066468 1X 8.02 8.02\n12-01-19 21:13 SH01");
        Assert.Equal(new DateOnly(2019, 1, 12), fields.Date?.Value);
    }

    [Fact]
    public void Extract_DateGluedToLetters_NotADate()
    {
        var fields = Extract("SHOP SDN BHD\nHD03-04-06 - 5/40\nTOTAL 5.00");
        Assert.Null(fields.Date);
    }

    [Fact]
    public void Extract_ChineseDateWithTime_PreferredOverBareDate()
    {
        var fields = Extract("翠華茶餐廳\n優惠至 01/01/2030\n2024年3月5日 12:30\n總數 $88.00");
        Assert.Equal(new DateOnly(2024, 3, 5), fields.Date?.Value);
    }

    [Theory]
    [InlineData("TRI SHAAS SON BHO (728515-M)", "TRI SHAAS SDN BHD")]
    [InlineData("TRI SHAAS SDN 8HD", "TRI SHAAS SDN BHD")]
    [InlineData("TRI SHAAS SON, BHD", "TRI SHAAS SDN BHD")]
    [InlineData("Owner by Castle Blue $/B", "OWNER BY CASTLE BLUE S/B")]
    public void Extract_LegalSuffixOcrSlips_Normalised(string line, string expected)
    {
        var fields = Extract(line + "\nNO 1 JALAN BESAR\nTOTAL 5.00");
        Assert.Equal(expected, fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_LowerCaseDebrisBeforeUpperCaseName_Dropped()
    {
        var fields = Extract("ie TRI SHAAS SON BHD (728515-M)\nNO 1 JALAN BESAR\nTOTAL 5.00");
        Assert.Equal("TRI SHAAS SDN BHD", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_BusinessNameAboveTitleAndCompanyBelow_TakesNameAboveTitle()
    {
        var fields = Extract("PERNIAGAAN ZHENG HUI\nNO.59 JALAN PERMAS 9/5\nSIMPLIFIED TAX INVOICE\nGOGIANT ENGINEERING SDN BHD\nTOTAL 5.00");
        Assert.Equal("PERNIAGAAN ZHENG HUI", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_ChineseRestaurantAboveReceiptTitle_TakesRestaurant()
    {
        var fields = Extract("翠華茶餐廳\n收據\n供應商 大昌有限公司\n總數 $88.00");
        Assert.Equal("翠華茶餐廳", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_NameWithShopNumber_StillAName()
    {
        var fields = Extract("Triple Six Point Enterprise 666\nNo 14848 Jalan Permas 4/3\nTOTAL 5.00");
        Assert.Equal("TRIPLE SIX POINT ENTERPRISE 666", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_YenSignInsideName_ReadAsY()
    {
        var fields = Extract("MR. D.I.¥. (KUCHAI) SDN BHD\nLOT 1851 JALAN KPB\nTOTAL 5.00");
        Assert.Equal("MR. D.I.Y. (KUCHAI) SDN BHD", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_GarbledServiceLabelTenPercentThatAddsUp_IsServiceCharge()
    {
        var fields = Extract("瑞華茶餐廳\n小計 $254.00\nARISE 10% $25.40\n合計 $279.40\n現金 $400.00");
        Assert.Equal(25.40m, fields.ServiceCharge?.Value);
    }

    [Fact]
    public void Extract_TenPercentLineThatDoesNotAddUp_NotServiceCharge()
    {
        var fields = Extract("SHOP LIMITED\nSUBTOTAL 254.00\nMEMBER 10% OFF 25.40\nTOTAL 228.60");
        Assert.Null(fields.ServiceCharge);
    }
}
