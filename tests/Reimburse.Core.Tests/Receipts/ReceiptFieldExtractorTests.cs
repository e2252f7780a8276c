using Reimburse.Core.Receipts;

namespace Reimburse.Core.Tests.Receipts;

public class ReceiptFieldExtractorTests
{
    private static ReceiptFields Extract(string text) => ReceiptFieldExtractor.Extract(OcrDocument.FromText(text));

    [Theory]
    [InlineData("總數 $132.00", 132.00)]
    [InlineData("合計 $88.50", 88.50)]
    [InlineData("總計 HK$1,234.50", 1234.50)]
    [InlineData("應付 $45.00", 45.00)]
    [InlineData("TOTAL 9.00", 9.00)]
    [InlineData("GRAND TOTAL: RM 64.15", 64.15)]
    [InlineData("AMOUNT DUE 18.20", 18.20)]
    [InlineData("Total Amt Payable : 79.50", 79.50)]
    [InlineData("ＴＯＴＡＬ　＄１２．３０", 12.30)]
    public void Extract_TotalKeyword_ReadsTotal(string line, double expected)
    {
        var fields = Extract("SOME SHOP LIMITED\n" + line);
        Assert.Equal((decimal)expected, fields.Total?.Value);
    }

    [Fact]
    public void Extract_CashAndChangeAfterTotal_TotalIsNotCash()
    {
        var fields = Extract("翠華茶餐廳\n小計 $120.00\n服務費 10% $12.00\n總數 $132.00\n現金 $200.00\n找續 $68.00");
        Assert.Equal(132.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_EnglishCashChange_TotalIsNotTendered()
    {
        var fields = Extract("SHOP SDN BHD\nTOTAL 9.00\nCASH 50.00\nCHANGE 41.00");
        Assert.Equal(9.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_OnlyCashAndChange_TotalIsTheirDifference()
    {
        var fields = Extract("SHOP SDN BHD\nITEM A 3.00\nITEM B 4.50\nCASH 10.00\nCHANGE 2.50");
        Assert.Equal(7.50m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_ZhaoShuBeforeTotal_ChangeNeverTotal()
    {
        var fields = Extract("金鳳冰室\n找贖 $18.00\n實收 $82.00");
        Assert.Equal(82.00m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_SubtotalAndTotal_SubtotalSeparate()
    {
        var fields = Extract("X LTD\nSUBTOTAL 100.00\nSERVICE CHARGE 10.00\nTOTAL 110.00");
        Assert.Equal(100.00m, fields.Subtotal?.Value);
    }

    [Fact]
    public void Extract_ServiceChargeChinese_ReadsServiceCharge()
    {
        var fields = Extract("利苑酒家\n小計 $300.00\n服務費 $30.00\n總數 $330.00");
        Assert.Equal(30.00m, fields.ServiceCharge?.Value);
    }

    [Fact]
    public void Extract_JiaYi_ReadsServiceCharge()
    {
        var fields = Extract("新記餐廳\n加一 $15.00\n合計 $165.00");
        Assert.Equal(15.00m, fields.ServiceCharge?.Value);
    }

    [Fact]
    public void Extract_GstLine_ReadsTax()
    {
        var fields = Extract("SHOP SDN BHD\nGST ID: 000123456789\nSUB TOTAL 50.00\nGST 6% 3.00\nTOTAL 53.00");
        Assert.Equal(3.00m, fields.Tax?.Value);
    }

    [Fact]
    public void Extract_TotalInclusiveGst_IsTotalNotTax()
    {
        var fields = Extract("SHOP SDN BHD\nTotal Sales (Inclusive GST) 64.15\nGST 6% 3.63");
        Assert.Equal(64.15m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_TotalQuantityLine_IsNotTotal()
    {
        var fields = Extract("SHOP SDN BHD\nTOTAL QTY: 2.00\nTOTAL 13.80");
        Assert.Equal(13.80m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_AmountOnNextLine_ReadsTotal()
    {
        var fields = Extract("SHOP LTD\nTOTAL\n25.60\nCASH 30.00");
        Assert.Equal(25.60m, fields.Total?.Value);
    }

    [Fact]
    public void Extract_WholeDollarChineseTotal_ReadsTotal()
    {
        var fields = Extract("興記茶餐廳\n總數 $120");
        Assert.Equal(120m, fields.Total?.Value);
    }

    [Theory]
    [InlineData("日期: 05/03/2024", 2024, 3, 5)]
    [InlineData("日期: 2024-03-05", 2024, 3, 5)]
    [InlineData("日期: 2024年3月5日", 2024, 3, 5)]
    [InlineData("DATE: 05-MAR-2024", 2024, 3, 5)]
    [InlineData("Date 25/12/2018 8:13:39 PM", 2018, 12, 25)]
    [InlineData("12-01-19 10:00", 2019, 1, 12)]
    [InlineData("05 MAR 2018", 2018, 3, 5)]
    [InlineData("DATE: 12/28/2017", 2017, 12, 28)]
    [InlineData("Mar 5, 2024", 2024, 3, 5)]
    [InlineData("２０２４年３月５日", 2024, 3, 5)]
    [InlineData("DATE 05.03.2024", 2024, 3, 5)]
    [InlineData("O7/01/18 14:41", 2018, 1, 7)]
    [InlineData("DATE 20180304", 2018, 3, 4)]
    public void Extract_DateFormats_ReadsDate(string line, int y, int m, int d)
    {
        var fields = Extract("SHOP LTD\n" + line + "\nTOTAL 1.00");
        Assert.Equal(new DateOnly(y, m, d), fields.Date?.Value);
    }

    [Fact]
    public void Extract_ExpiryDateAndReceiptDate_PrefersReceiptDate()
    {
        var fields = Extract("SHOP LTD\nVOUCHER EXPIRY 31/12/2025\nDATE: 01/02/2024");
        Assert.Equal(new DateOnly(2024, 2, 1), fields.Date?.Value);
    }

    [Fact]
    public void Extract_AmountThatLooksLikeDate_NotTakenAsAmount()
    {
        var fields = Extract("SHOP LTD\nDATE 25.12.2018\nTOTAL 5.00");
        Assert.Equal(5.00m, fields.Total?.Value);
    }

    [Theory]
    [InlineData("Date 25/12/2018 8:13:39 PM", 20, 13, 39)]
    [InlineData("日期: 2024-03-05 13:45", 13, 45, 0)]
    [InlineData("時間 下午 2:05", 14, 5, 0)]
    public void Extract_Times_ReadsTime(string line, int h, int m, int s)
    {
        var fields = Extract("SHOP LTD\n" + line);
        Assert.Equal(new TimeOnly(h, m, s), fields.Time?.Value);
    }

    [Theory]
    [InlineData("TOTAL HK$ 12.00", "HKD")]
    [InlineData("TOTAL HKD 12.00", "HKD")]
    [InlineData("TOTAL MOP 12.00", "MOP")]
    [InlineData("TOTAL RMB 12.00", "CNY")]
    [InlineData("合計 ¥12.00", "CNY")]
    [InlineData("合計 12.00元", "CNY")]
    [InlineData("TOTAL RM 12.00", "MYR")]
    [InlineData("TOTAL US$12.00", "USD")]
    [InlineData("TOTAL S$12.00", "SGD")]
    [InlineData("總數 $12.00", "HKD")]
    public void Extract_CurrencyMarks_ReadsCurrency(string line, string code)
    {
        var fields = Extract("SHOP\n" + line);
        Assert.Equal(code, fields.Currency?.Value);
    }

    [Theory]
    [InlineData("BOOK TA .K (TAMAN DAYA) SDN BHD\nNO.53, JALAN SAGU 18\nTOTAL 9.00", "BOOK TA .K (TAMAN DAYA) SDN BHD")]
    [InlineData("tan woon yann\nBOOK TA .K (TAMAN DAYA) SDN BHD\n7B 7-W", "BOOK TA .K (TAMAN DAYA) SDN BHD")]
    [InlineData("MR D.I.Y. (JOHOR) SDN BHD (CO.REG: 860671-D)\nLOT 1851", "MR D.I.Y. (JOHOR) SDN BHD")]
    [InlineData("美心茶餐廳有限公司\n九龍彌敦道123號\n總數 $50.00", "美心茶餐廳有限公司")]
    [InlineData("TAX INVOICE\n翠華茶餐廳\n九龍彌敦道1號地下", "翠華茶餐廳")]
    [InlineData("AIK HUAT HARDWARE ENTERPRISE\n(SETIA ALAM) SDN BHD\nNO. 17-G", "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD")]
    [InlineData("HARBOUR BOOKS LIMITED\n1 Queen's Road Central", "HARBOUR BOOKS LIMITED")]
    [InlineData("ASIA MART\nNO 5 JALAN 1\nTOTAL 3.00", "ASIA MART")]
    public void Extract_MerchantLines_ReadsMerchant(string text, string expected)
    {
        Assert.Equal(expected, Extract(text).Merchant?.Value);
    }

    [Theory]
    [InlineData("單號: 123456", "123456")]
    [InlineData("RECEIPT NO: R12345678", "R12345678")]
    [InlineData("Invoice No: INV-2024-00123", "INV-2024-00123")]
    [InlineData("收據編號 RECEIPT NO: R998877", "R998877")]
    public void Extract_ReceiptNumbers_ReadsNumber(string line, string expected)
    {
        Assert.Equal(expected, Extract("SHOP LTD\n" + line).ReceiptNumber?.Value);
    }

    [Theory]
    [InlineData("八達通 $30.00", "Octopus")]
    [InlineData("VISA 30.00", "Visa")]
    [InlineData("現金 $50.00", "Cash")]
    [InlineData("支付寶 ALIPAY 30.00", "Alipay")]
    [InlineData("MASTERCARD 30.00", "Mastercard")]
    public void Extract_PaymentMethods_ReadsMethod(string line, string expected)
    {
        Assert.Equal(expected, Extract("SHOP LTD\nTOTAL 30.00\n" + line).PaymentMethod?.Value);
    }

    [Fact]
    public void Extract_EmptyDocument_AllFieldsNull()
    {
        var fields = ReceiptFieldExtractor.Extract(new OcrDocument([]));
        Assert.Equal(new ReceiptFields(), fields);
    }

    [Fact]
    public void Extract_LowConfidenceLine_LowersFieldConfidence()
    {
        var sure = ReceiptFieldExtractor.Extract(new OcrDocument([new OcrLine("TOTAL 5.00", 1.0)]));
        var unsure = ReceiptFieldExtractor.Extract(new OcrDocument([new OcrLine("TOTAL 5.00", 0.2)]));
        Assert.True(unsure.Total!.Confidence < sure.Total!.Confidence);
    }
}
