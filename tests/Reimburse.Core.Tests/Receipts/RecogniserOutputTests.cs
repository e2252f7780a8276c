using Reimburse.Core.Receipts;

namespace Reimburse.Core.Tests.Receipts;

/// <summary>
/// Extractor rules for what a neural line recogniser (PP-OCRv4) does to receipts: dropped spaces, Simplified forms of
/// Traditional characters, mixed-case names, summary rows. Each case is written English and Chinese where it applies.
/// </summary>
public class RecogniserOutputTests
{
    private static ReceiptFields Extract(string text) => ReceiptFieldExtractor.Extract(OcrDocument.FromText(text));

    [Theory]
    [InlineData("Date:10/03/20185:41:06 PAXNO:4", 2018, 3, 10)]
    [InlineData("18/03/1809:03#002-1550040#", 2018, 3, 18)]
    [InlineData("DATE:2024-04-2409:08", 2024, 4, 24)]
    [InlineData("05Mar201818:24", 2018, 3, 5)]
    [InlineData("DATE:17-OCT-202308:28", 2023, 10, 17)]
    [InlineData("14--03-18 21:49 SH03", 2018, 3, 14)]
    [InlineData("DATE:31-0CT-202414:35", 2024, 10, 31)]
    public void Extract_DateGluedToTime_ReadsDateAndTime(string line, int year, int month, int day)
    {
        var fields = Extract("SHOP SDN BHD\n" + line + "\nTOTAL 12.30");
        Assert.Equal(new DateOnly(year, month, day), fields.Date?.Value);
        Assert.NotNull(fields.Time);
    }

    [Fact]
    public void Normalise_DateFollowedByLongNumber_IsNotSplit()
    {
        // Only a time (h:mm) after the year splits it; an invoice number glued to a date stays as printed.
        Assert.Equal("INV 10/03/2018123456", ReceiptText.Normalise("INV 10/03/2018123456"));
    }

    [Theory]
    [InlineData("單号：909654", "909654")]
    [InlineData("单號:3301", "3301")]
    public void Extract_SimplifiedFormOfKeyword_StillReadsReceiptNumber(string line, string number)
    {
        var fields = Extract("榮記茶餐廳\n" + line + "\n合計 $12.00");
        Assert.Equal(number, fields.ReceiptNumber?.Value);
    }

    [Fact]
    public void Extract_SimplifiedServiceChargeAndTotal_ReadLikeTraditional()
    {
        var fields = Extract("瑞華茶餐廳\n小计 $254.00\n服務费10% $25.40\n合计 $279.40\n現金 $400.00\n找 $120.60");
        Assert.Equal(279.40m, fields.Total?.Value);
        Assert.Equal(25.40m, fields.ServiceCharge?.Value);
    }

    [Fact]
    public void FoldSimplified_MerchantName_ComparesWithTraditionalTruth()
    {
        Assert.Equal("豐收超級市場", ReceiptText.FoldSimplified("豐收超级市場"));
        Assert.Equal("TOTAL 12.00", ReceiptText.FoldSimplified("TOTAL 12.00"));
    }

    [Theory]
    [InlineData("金鳯酒楼", "金鳳酒樓")]
    [InlineData("港岛的士ISLAND TAXI", "港島的士ISLAND TAXI")]
    public void Extract_RestaurantOrTaxiNameReadInSimplifiedForms_IsTheMerchantInTraditional(string line, string merchant)
    {
        var fields = Extract(line + "\n九龍德輔道中369號地下\n電話：25819211\n合計 $120.00");
        Assert.Equal(merchant, fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_FloorInAddress_IsNotTheMerchant()
    {
        var fields = Extract("3樓301室\n新記酒樓\n合計 $120.00");
        Assert.Equal("新記酒樓", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_BareChangeGlyph_IsNotTheTotal()
    {
        // 找續 read as 找 alone: still change, so tendered minus it cannot displace the printed total.
        var fields = Extract("麥記\n合計 $86.00\n現金 $100.00\n找 $14.00");
        Assert.Equal(86.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_HkDollarMisreadGluedToTotal_IsHkd()
    {
        Assert.Equal("HKD", Extract("KOWLOON PRINTING CO LTD\nTOTALHKS 697.09").Currency?.Value);
    }

    [Theory]
    [InlineData("TasteOfTheWorldSdnBhd", "TASTEOFTHEWORLD SDN BHD")]
    [InlineData("99 SPEED MART S7B (519537-X)", "99 SPEED MART S/B")]
    [InlineData("99 SPEED MART 5/B (519537-X)", "99 SPEED MART S/B")]
    [InlineData("TIMELESS KITCHENETTE SAN BHD", "TIMELESS KITCHENETTE SDN BHD")]
    [InlineData("AEON C0.(M)BHD", "AEON CO.(M)BHD")]
    public void Extract_LegalSuffixSlips_ReadAsTheSuffix(string line, string merchant)
    {
        var fields = Extract(line + "\nJALAN BESAR 4560\nTOTAL 12.30");
        Assert.Equal(merchant, fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_NameEndingInAbbreviationsOnNextLine_JoinsTheLines()
    {
        var fields = Extract("POPULAR BOOK\nCO. (M) SDN BHD\n(Co. No. 113825-W)\nTOTAL 12.30");
        Assert.Equal("POPULAR BOOK CO. (M) SDN BHD", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_TitleCaseNameOverSuffixLine_JoinsTheLines()
    {
        var fields = Extract("PERI-PERI CHICKEN\nNando's Chickenland Malaysia\nSdn Bhd\nUnit G-13, Ground Floor\nTOTAL 12.30");
        Assert.Equal("NANDO'S CHICKENLAND MALAYSIA SDN BHD", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_LowerCaseLineAboveGluedName_IsNotJoined()
    {
        // A handwritten or stamped lower-case line above the printed name is not part of it.
        var fields = Extract("tan woon yann\nMRD.I.Y.(JOHOR)SDN BHD\nJALAN BESAR 4560\nTOTAL 12.30");
        Assert.Equal("MRD.I.Y.(JOHOR)SDN BHD", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_TitleCaseFirstLineWithoutBusinessWord_IsTheMerchant()
    {
        var fields = Extract("YHM Aeon Tebrau City\nS117, Second Floor,\n81100 Johor Bahru, Johor.\n* TAX INVOICE *\nTOTAL 12.30");
        Assert.Equal("YHM AEON TEBRAU CITY", fields.Merchant?.Value);
    }

    [Fact]
    public void Extract_RoundingAdjustment_TakesRoundedTotal()
    {
        var fields = Extract("SHOP SDN BHD\nTotal (Excluding GST): 21.30\nTotal (Inclusive of GST): 23.26\nRounding Adj: -0.01\nTOTAL: 23.25");
        Assert.Equal(23.25m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_RoundingAdjustmentWithLostSign_TakesTheAmountPrintedBelowIt()
    {
        var fields = Extract("SHOP SDN BHD\nTOTAL AMT RM 60.31\nROUNDING ADJ. \u201c0.01\nRM 60,30\nCASH RM 70.30\nCHANGE RM 10.00");
        Assert.Equal(60.30m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_GstSummaryRowAfterTotal_IsNotTheTotal()
    {
        var fields = Extract("SHOP SDN BHD\nSUB-TOTAL (EX) 26.00\nTOTAL TAX 1.56\nROUNDING -0.01\nTOTAL AI 27.55\nCASH 127.55\nCHANGE 0.00\nTOTAL: 26.00 1.56");
        Assert.Equal(27.55m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_TenderedMinusChangeOnlyOnCashLine_DoesNotBeatPrintedTotal()
    {
        var fields = Extract("SHOP SDN BHD\nSUB-TOTAL (EX) 144.68\nTOTAL TAX 8.68\nTOTAL 153.35\nCASH 111 /53.35\nCHANGE 0.00");
        Assert.Equal(153.35m, fields.Total?.Value);
    }
}
