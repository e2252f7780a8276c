using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

/// <summary>Reject and return carry a code from <see cref="DecisionReasons"/>; approve carries none.</summary>
public sealed class DecisionReasonTests
{
    private static readonly DateTimeOffset Start = Hkt(2026, 3, 3, 10);

    private static ClaimDriver Demo()
    {
        var driver = new ClaimDriver("c-1", Context(), Start);
        driver.Submit(Plan("emp-chan", 6200m, "client-entertainment", Start));
        return driver;
    }

    [Fact]
    public void All_CodesStableKebabWithBothLabels()
    {
        Assert.Equal(["duplicate", "over-policy-limit", "personal-expense", "vendor-not-allowed", "receipt-missing-or-altered", "suspicious-pattern", "other"],
            DecisionReasons.All.Select(r => r.Code));
        Assert.All(DecisionReasons.All, r => Assert.Matches("^[a-z]+(-[a-z]+)*$", r.Code));
        Assert.All(DecisionReasons.All, r => Assert.Contains(r.Chinese, c => c >= '\u4e00' && c <= '\u9fff'));
        Assert.False(DecisionReasons.Find("other")!.MarksAnomaly);
        Assert.True(DecisionReasons.Find("duplicate")!.MarksAnomaly);
        Assert.Null(DecisionReasons.Find("Duplicate"));
    }

    [Theory]
    [InlineData(Decision.Reject, null)]
    [InlineData(Decision.Return, null)]
    [InlineData(Decision.Reject, "fraud")]
    public void Decide_RejectOrReturnWithoutKnownCode_RefusedReasonCodeInvalid(Decision decision, string? code)
    {
        var driver = Demo();

        var error = driver.Refuse(new DecisionMade("mgr-wong", decision, "No receipt", ReasonCode: code));

        Assert.Equal(WorkflowErrorCode.ReasonCodeInvalid, error);
        Assert.Equal(WorkflowStatus.Pending, driver.State.Status);
        Assert.Equal(400, new WorkflowError(error, "").HttpStatus);
    }

    [Fact]
    public void Approve_WithReasonCode_RefusedReasonCodeInvalid()
    {
        var driver = Demo();

        Assert.Equal(WorkflowErrorCode.ReasonCodeInvalid, driver.Refuse(new DecisionMade("mgr-wong", Decision.Approve, null, ReasonCode: DecisionReasons.Duplicate)));
    }

    [Fact]
    public void Reject_WithCode_RecordedInHistoryAuditAndNotification()
    {
        var driver = Demo();

        driver.Accept(new DecisionMade("mgr-wong", Decision.Reject, "Same receipt as claim c-0", ReasonCode: DecisionReasons.Duplicate));

        var entry = Assert.Single(driver.State.History, h => h.Action == "claim.rejected");
        Assert.Equal("duplicate", entry.ReasonCode);
        Assert.Equal("duplicate", driver.LastEffects.OfType<AppendAudit>().Single(a => a.Action == "claim.rejected").Details["reasonCode"]);
        var notice = Assert.Single(driver.Notifications(NotificationTemplates.ClaimRejected));
        Assert.Equal("Duplicate claim", notice.Data["reasonEn"]);
        Assert.Equal("重複申請", notice.Data["reasonZh"]);
    }

    [Fact]
    public void Return_WithCode_RecordedInHistory()
    {
        var driver = Demo();

        driver.Accept(new DecisionMade("mgr-wong", Decision.Return, "Attach the itemised receipt", ReasonCode: DecisionReasons.ReceiptMissingOrAltered));

        Assert.Equal(WorkflowStatus.Returned, driver.State.Status);
        Assert.Equal("receipt-missing-or-altered", Assert.Single(driver.State.History, h => h.Action == "claim.returned").ReasonCode);
    }
}
