using Reimburse.Core.Receipts;

namespace Reimburse.Core.Tests.Receipts;

public class ReceiptComparisonTests
{
    private static ReceiptFields Fields(string merchant = "翠華茶餐廳", decimal total = 132.00m, string currency = "HKD", DateOnly? date = null) => new()
    {
        Merchant = new FieldValue<string>(merchant, 0.9),
        Total = new FieldValue<decimal>(total, 0.9),
        Currency = new FieldValue<string>(currency, 0.9),
        Date = new FieldValue<DateOnly>(date ?? new DateOnly(2024, 3, 5), 0.9),
    };

    [Fact]
    public void Compare_Matching_NoFindings()
    {
        var findings = ReceiptComparison.Compare("翠華茶餐廳", new DateOnly(2024, 3, 5), Money.Hkd(132.00m), Fields());
        Assert.Empty(findings);
    }

    [Fact]
    public void Compare_AmountOff_ReceiptAmountMismatch()
    {
        var findings = ReceiptComparison.Compare(null, null, Money.Hkd(182.00m), Fields());
        Assert.Equal(ReceiptFindingCode.ReceiptAmountMismatch, Assert.Single(findings).Code);
    }

    [Fact]
    public void Compare_AmountWithinTolerance_NoFinding()
    {
        var findings = ReceiptComparison.Compare(null, null, Money.Hkd(132.05m), Fields());
        Assert.Empty(findings);
    }

    [Fact]
    public void Compare_OtherCurrency_ReceiptCurrencyMismatch()
    {
        var findings = ReceiptComparison.Compare(null, null, new Money(132.00m, "MOP"), Fields());
        Assert.Equal(ReceiptFindingCode.ReceiptCurrencyMismatch, Assert.Single(findings).Code);
    }

    [Fact]
    public void Compare_DateOff_ReceiptDateMismatch()
    {
        var findings = ReceiptComparison.Compare(null, new DateOnly(2024, 3, 9), null, Fields());
        Assert.Equal(ReceiptFindingCode.ReceiptDateMismatch, Assert.Single(findings).Code);
    }

    [Fact]
    public void Compare_DifferentMerchant_ReceiptMerchantMismatch()
    {
        var findings = ReceiptComparison.Compare("金鳳冰室", null, null, Fields());
        Assert.Equal(ReceiptFindingCode.ReceiptMerchantMismatch, Assert.Single(findings).Code);
    }

    [Theory]
    [InlineData("Harbour Books", "HARBOUR BOOKS LIMITED")]
    [InlineData("Mr DIY", "MR. D.I.Y. (M) SDN BHD")]
    [InlineData("翠華", "翠華茶餐廳有限公司")]
    [InlineData("Taste of the World", "LASTE OF THE WORLD SDN BHD")]
    public void Compare_FuzzyMerchantVariants_NoFinding(string claimed, string onReceipt)
    {
        var findings = ReceiptComparison.Compare(claimed, null, null, Fields(merchant: onReceipt));
        Assert.Empty(findings);
    }

    [Fact]
    public void Compare_EnglishClaimChineseReceipt_NotComparedNoFinding()
    {
        var findings = ReceiptComparison.Compare("Tsui Wah", null, null, Fields());
        Assert.Empty(findings);
    }

    [Fact]
    public void Compare_LowConfidenceTotal_NoFinding()
    {
        var fields = Fields() with { Total = new FieldValue<decimal>(500m, 0.2) };
        Assert.Empty(ReceiptComparison.Compare(null, null, Money.Hkd(132.00m), fields));
    }
}
