using Reimburse.Core.Risk;
using static Reimburse.Core.Tests.Risk.RiskTestData;

namespace Reimburse.Core.Tests.Risk;

public sealed class RiskRulesTests
{
    private static readonly DateOnly Day = new(2026, 3, 2);

    [Fact]
    public void ExactDuplicate_SameReceiptFileEarlier_Hits()
    {
        var first = Claim(receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h1")]);
        var second = Claim(submittedAt: Monday10am.AddDays(3), receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h1")]);

        var hit = RiskRules.ExactDuplicate(second, History(first), second.SubmittedAt.UtcTicks);

        Assert.NotNull(hit);
        Assert.Equal([first.ClaimId], hit.RelatedClaimIds);
    }

    [Fact]
    public void ExactDuplicate_OtherClaimantSameFile_Hits()
    {
        var first = Claim(employee: "emp-tam", receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h2")]);
        var second = Claim(employee: "emp-chan", submittedAt: Monday10am.AddDays(1), receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h2")]);

        Assert.Contains(RiskReasonCodes.ExactDuplicate, Codes(second, History(first)));
    }

    [Fact]
    public void ExactDuplicate_FirstOfTwo_DoesNotHit()
    {
        var first = Claim(receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h3")]);
        var second = Claim(submittedAt: Monday10am.AddDays(1), receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h3")]);

        Assert.DoesNotContain(RiskReasonCodes.ExactDuplicate, Codes(first, History(first, second)));
    }

    [Fact]
    public void ExactDuplicate_ClaimAlreadyInHistory_IsNotItsOwnDuplicate()
    {
        var claim = Claim(receipts: [Receipt("Tsui Wah Restaurant", Day, 86.5m, hash: "h4")]);

        Assert.Empty(Codes(claim, History(claim)));
    }

    [Fact]
    public void NearDuplicate_SameReceiptAsPhotoAndPdf_Hits()
    {
        var photo = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 1880m, receipts: [Receipt("Jade Garden", Day, 1880m, hash: "photo", reference: "A123")]);
        var pdf = Claim(employee: "emp-tam", category: "client-entertainment", submittedAt: Monday10am.AddDays(2), merchant: "Jade Garden", amount: 1880m,
            receipts: [Receipt("JADE GARDEN", Day, 1880m, hash: "pdf", reference: "a123")]);

        Assert.Equal([RiskReasonCodes.NearDuplicate], Codes(pdf, History(photo)));
    }

    [Fact]
    public void NearDuplicate_SameMerchantDayWithinToleranceWithoutReceipt_Hits()
    {
        var first = Claim(amount: 268.5m, expenseDate: Day);
        var second = Claim(amount: 270m, expenseDate: Day, submittedAt: Monday10am.AddDays(5), receipts: []);

        Assert.Contains(RiskReasonCodes.NearDuplicate, Codes(second, History(first)));
    }

    [Fact]
    public void NearDuplicate_AmountOutsideTolerance_DoesNotHit()
    {
        var first = Claim(amount: 268.5m, expenseDate: Day);
        var second = Claim(amount: 300m, expenseDate: Day, submittedAt: Monday10am.AddDays(5), receipts: []);

        Assert.DoesNotContain(RiskReasonCodes.NearDuplicate, Codes(second, History(first)));
    }

    [Fact]
    public void NearDuplicate_TwoReadableReceiptsThatDiffer_DoesNotHit()
    {
        var there = Claim(amount: 96.4m, merchant: "HK Taxi", category: "transport", receipts: [Receipt("HK Taxi", Day, 96.4m, reference: "09:12")]);
        var back = Claim(amount: 97m, merchant: "HK Taxi", category: "transport", submittedAt: Monday10am.AddMinutes(5), receipts: [Receipt("HK Taxi", Day, 97m, reference: "18:40")]);

        Assert.DoesNotContain(RiskReasonCodes.NearDuplicate, Codes(back, History(there)));
    }

    [Fact]
    public void SplitClaim_TwoJustUnderThresholdSameMerchantInWindow_Hits()
    {
        var first = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 4800m);
        var second = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 4650m, submittedAt: Monday10am.AddDays(2));

        Assert.Contains(RiskReasonCodes.SplitClaim, Codes(second, History(first)));
    }

    [Fact]
    public void SplitClaim_OutsideWindow_DoesNotHit()
    {
        var first = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 4800m);
        var second = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 4650m, submittedAt: Monday10am.AddDays(10));

        Assert.DoesNotContain(RiskReasonCodes.SplitClaim, Codes(second, History(first)));
    }

    [Fact]
    public void SplitClaim_AmountBelowBand_DoesNotHit()
    {
        var first = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 2000m);
        var second = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 2100m, submittedAt: Monday10am.AddDays(1));

        Assert.DoesNotContain(RiskReasonCodes.SplitClaim, Codes(second, History(first)));
    }

    [Fact]
    public void SplitClaim_ColleagueSameMerchantSameDay_Hits()
    {
        var mine = Claim(employee: "emp-chan", category: "client-entertainment", merchant: "Jade Garden", amount: 4900m);
        var theirs = Claim(employee: "emp-tam", category: "client-entertainment", merchant: "Jade Garden", amount: 4700m, submittedAt: Monday10am.AddHours(3));

        var hit = RiskRules.SplitClaim(theirs, History(mine), Policy(), theirs.SubmittedAt.UtcTicks);

        Assert.NotNull(hit);
        Assert.Contains("emp-chan", hit.English, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitClaim_ColleaguesInPerPersonCategory_DoesNotHit()
    {
        var mine = Claim(employee: "emp-chan", category: "travel", merchant: "Cathay Pacific", amount: 4200m);
        var theirs = Claim(employee: "emp-tam", category: "travel", merchant: "Cathay Pacific", amount: 4200m, submittedAt: Monday10am.AddHours(1));

        Assert.DoesNotContain(RiskReasonCodes.SplitClaim, Codes(theirs, History(mine)));
    }

    [Fact]
    public void OverBudget_SpendPlusClaimOverBudget_Hits()
    {
        var earlier = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 9000m, submittedAt: Monday10am.AddDays(-40));
        var more = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 9500m, submittedAt: Monday10am.AddDays(-20));
        var claim = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 2000m);

        Assert.Contains(RiskReasonCodes.OverBudget, Codes(claim, History(earlier, more)));
    }

    [Fact]
    public void OverBudget_SpendOfPreviousBudgetYear_DoesNotCount()
    {
        var lastYear = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 9500m, submittedAt: new DateTimeOffset(2025, 12, 20, 10, 0, 0, TimeSpan.FromHours(8)));
        var lastYear2 = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 9500m, submittedAt: new DateTimeOffset(2025, 12, 22, 10, 0, 0, TimeSpan.FromHours(8)));
        var claim = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 2000m);

        Assert.DoesNotContain(RiskReasonCodes.OverBudget, Codes(claim, History(lastYear, lastYear2)));
    }

    [Fact]
    public void VendorNotApproved_UnlistedMerchantAboveFloor_Hits()
    {
        var claim = Claim(category: "client-entertainment", merchant: "Dragon Pearl Karaoke", amount: 2400m);

        Assert.Contains(RiskReasonCodes.VendorNotApproved, Codes(claim, History()));
    }

    [Fact]
    public void VendorNotApproved_ListedVendorForOtherCategory_Hits()
    {
        var claim = Claim(category: "client-entertainment", merchant: "Cathay Pacific", amount: 2400m);

        Assert.Contains(RiskReasonCodes.VendorNotApproved, Codes(claim, History()));
    }

    [Fact]
    public void VendorNotApproved_ListedVendorByChineseName_DoesNotHit()
    {
        var claim = Claim(category: "client-entertainment", merchant: "翠園", amount: 2400m);

        Assert.DoesNotContain(RiskReasonCodes.VendorNotApproved, Codes(claim, History()));
    }

    [Fact]
    public void VendorNotApproved_SmallAmountAtUnlistedShop_DoesNotHit()
    {
        var claim = Claim(merchant: "Lan Fong Yuen", amount: 58m);

        Assert.DoesNotContain(RiskReasonCodes.VendorNotApproved, Codes(claim, History()));
    }

    [Fact]
    public void CategoryLimitExceeded_OverLimit_Hits()
    {
        var claim = Claim(amount: 620m);

        Assert.Contains(RiskReasonCodes.CategoryLimitExceeded, Codes(claim, History()));
    }

    [Fact]
    public void CategoryLimitExceeded_AtLimit_DoesNotHit()
    {
        var claim = Claim(amount: 500m);

        Assert.DoesNotContain(RiskReasonCodes.CategoryLimitExceeded, Codes(claim, History()));
    }

    [Fact]
    public void ReceiptAmountMismatch_ReceiptReadsLess_Hits()
    {
        var claim = Claim(amount: 480m, receipts: [Receipt("Tsui Wah Restaurant", Day, 180m)]);

        Assert.Contains(RiskReasonCodes.ReceiptAmountMismatch, Codes(claim, History()));
    }

    [Fact]
    public void ReceiptAmountMismatch_SmallDifference_DoesNotHit()
    {
        var claim = Claim(amount: 96m, receipts: [Receipt("Tsui Wah Restaurant", Day, 95m)]);

        Assert.DoesNotContain(RiskReasonCodes.ReceiptAmountMismatch, Codes(claim, History()));
    }
}

public sealed class RiskRulesThresholdTests
{
    [Fact]
    public void SplitClaim_ClaimCarriesItsOwnThreshold_UsesIt()
    {
        var first = RiskTestData.Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 1900m) with { ApprovalThresholdsHkd = [2000m] };
        var second = RiskTestData.Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 1850m, submittedAt: RiskTestData.Monday10am.AddDays(1)) with { ApprovalThresholdsHkd = [2000m] };

        Assert.Contains(RiskReasonCodes.SplitClaim, RiskTestData.Codes(second, RiskTestData.History(first)));
    }
}
