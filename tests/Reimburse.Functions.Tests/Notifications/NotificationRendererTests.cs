using Reimburse.Core.Approvals;
using Reimburse.Functions.Notifications;

namespace Reimburse.Tests.Notifications;

public sealed class NotificationRendererTests
{
    public static TheoryData<string, string> Templates => new()
    {
        { NotificationTemplates.ApprovalRequested, "待審批" },
        { NotificationTemplates.ApprovalReminder, "提醒" },
        { NotificationTemplates.ApprovalEscalated, "升級" },
        { NotificationTemplates.ClaimApproved, "已批准" },
        { NotificationTemplates.ClaimRejected, "拒絕" },
        { NotificationTemplates.ClaimReturned, "退回" },
        { NotificationTemplates.ClaimWithdrawn, "撤回" },
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Render_WorkflowTemplate_SubjectInEnglishAndTraditionalChinese(string template, string chinese)
    {
        var m = NotificationRenderer.Render(NotificationTestData.Approval() with { Template = template });

        Assert.Contains("CLM-0001", m.Subject);
        Assert.Contains(chinese, m.Subject);
        Assert.Matches("[A-Za-z]{4,}", m.Subject);
        Assert.DoesNotContain("{", m.Text);
    }

    [Fact]
    public void Render_UnknownTemplate_RendersGenericallyWithItsData()
    {
        var n = NotificationTestData.Approval() with { Template = "budget-exceeded", Data = new Dictionary<string, string> { ["budget"] = "travel" } };

        var m = NotificationRenderer.Render(n);

        Assert.Contains("budget-exceeded", m.Subject);
        Assert.Contains("budget: travel", m.Text);
    }

    [Fact]
    public void Render_RejectionComment_IsEscapedInMarkdown()
    {
        var n = NotificationTestData.Approval() with { Template = NotificationTemplates.ClaimRejected, Data = new Dictionary<string, string> { ["comment"] = "see [here](https://evil.example)", ["by"] = "mgr-wong" } };

        var m = NotificationRenderer.Render(n);

        Assert.DoesNotContain("[here](https://evil.example)", m.Markdown);
        Assert.Contains("see [here](https://evil.example)", m.Text);
    }

    [Fact]
    public void Render_Links_AppearInTextAndMarkdown()
    {
        var n = NotificationTestData.Approval(null, new NotificationLink("Approve", "https://reimburse.example/a?sig=x"));

        var m = NotificationRenderer.Render(n);

        Assert.Contains("Approve: https://reimburse.example/a?sig=x", m.Text);
        Assert.Contains("[Approve](https://reimburse.example/a?sig=x)", m.Markdown);
    }
}
