using Reimburse.Core.Risk;
using static Reimburse.Core.Tests.Risk.RiskTestData;

namespace Reimburse.Core.Tests.Risk;

public sealed class InMemoryClaimHistoryTests
{
    [Fact]
    public void Add_SameClaimIdTwice_KeepsOne()
    {
        var history = new InMemoryClaimHistory();
        var claim = Claim();

        history.Add(claim);
        var again = history.Add(claim);

        Assert.False(again);
        Assert.Equal(1, history.ByEmployee(claim.EmployeeId).Length);
    }

    [Fact]
    public void Add_OutOfOrder_KeepsSubmissionOrder()
    {
        var history = new InMemoryClaimHistory();
        var late = Claim(submittedAt: Monday10am.AddDays(2));
        var early = Claim(submittedAt: Monday10am);

        history.Add(late);
        history.Add(early);

        Assert.Equal([early.ClaimId, late.ClaimId], history.ByEmployee("emp-chan").ToArray().Select(e => e.Claim.ClaimId));
    }

    [Fact]
    public void Add_OutOfOrder_LeavesEarlierSnapshotUnchanged()
    {
        var history = new InMemoryClaimHistory();
        var late = Claim(submittedAt: Monday10am.AddDays(2));
        history.Add(late);
        var snapshot = history.ByEmployee("emp-chan").ToArray();

        history.Add(Claim(submittedAt: Monday10am));

        Assert.Equal(late.ClaimId, snapshot.Single().Claim.ClaimId);
    }

    [Fact]
    public void Add_SeveralClaims_KeepsRunningAmountTotals()
    {
        var history = History(Claim(amount: 10m, submittedAt: Monday10am), Claim(amount: 15.5m, submittedAt: Monday10am.AddHours(1)));

        Assert.Equal(25.5m, HistorySpan.AmountBetween(history.ByEmployee("emp-chan"), 0, 2));
    }
}

public sealed class ClaimFactsTests
{
    [Fact]
    public void MerchantKey_CopyWithOtherMerchant_FollowsTheCopy()
    {
        var claim = RiskTestData.Claim(merchant: "Tsui Wah Restaurant");
        _ = claim.MerchantKey;

        var copy = claim with { Merchant = "Jade Garden" };

        Assert.Equal("jadegarden", copy.MerchantKey);
    }
}

public sealed class ReceiptEvidenceTests
{
    [Fact]
    public void Fingerprint_CopyWithOtherTotal_FollowsTheCopy()
    {
        var receipt = new ReceiptEvidence("h", "Jade Garden", new DateOnly(2026, 3, 2), 100m, "HKD");
        _ = receipt.Fingerprint;

        var copy = receipt with { Total = 120m };

        Assert.Equal("jadegarden|2026-03-02|120.00", copy.Fingerprint);
    }

    [Fact]
    public void Fingerprint_NoOcrTotal_IsNull()
    {
        Assert.Null(new ReceiptEvidence("h", "Jade Garden", new DateOnly(2026, 3, 2)).Fingerprint);
    }
}

public sealed class RiskRecordEqualityTests
{
    [Fact]
    public void Equals_OneCopyHasCachedKeys_StillEqual()
    {
        var receipt = new ReceiptEvidence("h", "Jade Garden", new DateOnly(2026, 3, 2), 100m, "HKD");
        var a = RiskTestData.Claim(id: "same", receipts: [receipt]);
        var b = a with { Receipts = [receipt with { }] };
        _ = a.MerchantKey;
        _ = a.Receipts[0].Fingerprint;

        Assert.Equal(a, b);
    }
}
