using Reimburse.Core.Risk;
using static Reimburse.Core.Tests.Risk.RiskTestData;

namespace Reimburse.Core.Tests.Risk;

/// <summary>Issue 17, item 3: the same claim re-typed to slip past the checks is still caught (docs/security-input.md).</summary>
public sealed class EvasionTests
{
    private static readonly DateOnly Day = new(2026, 3, 2);

    public static TheoryData<string> Spellings => new()
    {
        "ＨＫ Ｔａｘｉ",                 // full-width
        "HK\u200BTaxi",                // zero-width space
        "HK Т\u0430х\u0456",            // Cyrillic look-alikes
        "hk   TAXI",                   // case and spacing
        "\u202EHK Taxi\u202C",          // bidi controls
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public void NearDuplicate_SameEmployeeRetypedMerchant_StillCaught(string spelling)
    {
        var first = Claim(category: "transport", merchant: "HK Taxi", amount: 188.4m, expenseDate: Day, receipts: []);
        var again = Claim(category: "transport", merchant: spelling, amount: 188.40m, expenseDate: Day, submittedAt: Monday10am.AddDays(1), receipts: []);

        Assert.Contains(RiskReasonCodes.NearDuplicate, Codes(again, History(first)));
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void NearDuplicate_OtherEmployeeSamePaperReceiptRetyped_StillCaught(string spelling)
    {
        var first = Claim(employee: "emp-tam", category: "transport", merchant: "HK Taxi", amount: 188.4m, expenseDate: Day,
            receipts: [Receipt("HK Taxi", Day, 188.4m, reference: "T-0912")]);
        var again = Claim(employee: "emp-chan", category: "transport", merchant: spelling, amount: 188.40m, expenseDate: Day, submittedAt: Monday10am.AddDays(1),
            receipts: [Receipt(spelling, Day, 188.40m, reference: "T-0912")]);

        Assert.Contains(RiskReasonCodes.NearDuplicate, Codes(again, History(first)));
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void SplitClaim_SameEmployeeRetypedMerchant_StillCaught(string spelling)
    {
        var first = Claim(category: "client-entertainment", merchant: "Jade Garden", amount: 4800m);
        var second = Claim(category: "client-entertainment", merchant: Retype("Jade Garden", spelling), amount: 4650m, submittedAt: Monday10am.AddDays(2));

        Assert.Contains(RiskReasonCodes.SplitClaim, Codes(second, History(first)));
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void SplitClaim_ColleagueRetypedMerchant_StillCaught(string spelling)
    {
        var mine = Claim(employee: "emp-chan", category: "client-entertainment", merchant: "Jade Garden", amount: 4900m);
        var theirs = Claim(employee: "emp-tam", category: "client-entertainment", merchant: Retype("Jade Garden", spelling), amount: 4700m,
            submittedAt: Monday10am.AddHours(3));

        Assert.NotNull(RiskRules.SplitClaim(theirs, History(mine), Policy(), theirs.SubmittedAt.UtcTicks));
    }

    [Fact]
    public void VendorNotApproved_FullWidthApprovedVendor_Recognised()
    {
        var fullWidth = Claim(merchant: "Ｔｓｕｉ Ｗａｈ Ｒｅｓｔａｕｒａｎｔ", amount: 420m);
        var unknown = Claim(merchant: "Unknown Bistro", amount: 420m);

        Assert.DoesNotContain(RiskReasonCodes.VendorNotApproved, Codes(fullWidth, History()));
        Assert.Contains(RiskReasonCodes.VendorNotApproved, Codes(unknown, History()));
    }

    [Fact]
    public void LookAlikeText_CyrillicLetterInMerchant_FlaggedWithTheLetter()
    {
        var claim = Claim(merchant: "Tsui W\u0430h Restaurant", amount: 86.5m);

        var hit = TextRiskRules.LookAlikeText(claim);

        Assert.NotNull(hit);
        Assert.Equal(RiskReasonCodes.LookAlikeText, hit.Code);
        Assert.Contains("U+0430", hit.English, StringComparison.Ordinal);
        Assert.Contains(RiskReasonCodes.LookAlikeText, Codes(claim, History()));
    }

    [Theory]
    [InlineData("Tsui Wah Restaurant")]
    [InlineData("ＨＫ Ｔａｘｉ")]
    [InlineData("翠華餐廳")]
    public void LookAlikeText_HonestNames_NotFlagged(string merchant)
    {
        Assert.Null(TextRiskRules.LookAlikeText(Claim(merchant: merchant)));
    }

    [Fact]
    public void LookAlikeText_ZeroWidthInMerchant_Flagged()
    {
        Assert.NotNull(TextRiskRules.LookAlikeText(Claim(merchant: "HK\u200BTaxi")));
    }

    /// <summary>Applies the evasion of <paramref name="spelling"/> (a spelling of "HK Taxi") to another name.</summary>
    private static string Retype(string name, string spelling) => spelling switch
    {
        "ＨＫ Ｔａｘｉ" => string.Concat(name.Select(c => c == ' ' ? ' ' : (char)(c + 0xFEE0))),
        "HK\u200BTaxi" => name.Replace(" ", "\u200B", StringComparison.Ordinal),
        "HK Т\u0430х\u0456" => name.Replace('a', '\u0430').Replace('e', '\u0435'),
        "hk   TAXI" => name.ToUpperInvariant().Replace(" ", "   ", StringComparison.Ordinal),
        _ => "\u202E" + name + "\u202C",
    };
}
