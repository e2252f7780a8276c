using Reimburse.Functions.Privacy;

namespace Reimburse.Tests.Privacy;

public sealed class PersonalDataMaskerTests
{
    [Theory]
    [InlineData("HKID A123456(7) on file", "A123456")]
    [InlineData("id: AB987654(A)", "AB987654")]
    [InlineData("id Z6837512", "Z6837512")]
    [InlineData("call 9123 4567 please", "9123 4567")]
    [InlineData("tel +852 2345-6789", "2345-6789")]
    [InlineData("mobile 61234567", "61234567")]
    [InlineData("pay to 012-345-678901", "345-678901")]
    [InlineData("acct 004123456789012", "004123456789012")]
    public void Mask_PersonalNumber_IsHidden(string text, string secret)
    {
        var masked = PersonalDataMasker.Mask(text);

        Assert.DoesNotContain(secret, masked);
        Assert.Contains("[", masked);
    }

    [Theory]
    [InlineData("{\"amount\":\"HKD 268.50\",\"expenseDate\":\"2026-11-21\",\"at\":\"2026-11-22T10:00:00.0000000Z\"}")]
    [InlineData("{\"claimId\":\"clm_01jd5k8w2m3n4p5q6r7s8t9v0w\",\"receiptId\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}")]
    [InlineData("{\"step\":2,\"round\":1,\"count\":12345}")]
    public void Mask_OrdinaryDetails_AreUnchanged(string details) => Assert.Equal(details, PersonalDataMasker.Mask(details));
}
