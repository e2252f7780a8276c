using System.Text;
using System.Text.RegularExpressions;
using Reimburse.Core.Approvals;

namespace Reimburse.Functions.Notifications;

/// <summary>Bilingual (English + Traditional Chinese) text for the workflow's notification templates. An unknown template is
/// rendered generically from its data rather than failing the delivery.</summary>
public static partial class NotificationRenderer
{
    private sealed record Template(string SubjectEn, string SubjectZh, string BodyEn, string BodyZh);

    private static readonly Dictionary<string, Template> Templates = new(StringComparer.Ordinal)
    {
        [NotificationTemplates.ApprovalRequested] = new(
            "Approval needed: claim {claimId} ({amount})", "待審批：報銷申請 {claimId}（{amount}）",
            "{claimantName} submitted claim {claimId} for {amount}. It is waiting for you at step \"{stepName}\" ({reason}). Please approve or reject it.",
            "{claimantName} 提交了報銷申請 {claimId}，金額 {amount}，現於「{stepName}」步驟（{reason}）等待您審批。請批准或拒絕。"),
        [NotificationTemplates.ApprovalReminder] = new(
            "Reminder: claim {claimId} ({amount}) is waiting for you", "提醒：報銷申請 {claimId}（{amount}）正等待您審批",
            "Claim {claimId} by {claimantName} for {amount} is still waiting for your decision at step \"{stepName}\".",
            "{claimantName} 的報銷申請 {claimId}（{amount}）仍在「{stepName}」步驟等待您的決定。"),
        [NotificationTemplates.ApprovalEscalated] = new(
            "Escalated to you: claim {claimId} ({amount})", "已升級至您：報銷申請 {claimId}（{amount}）",
            "Claim {claimId} by {claimantName} for {amount} was not decided in time by {escalatedFrom} and now needs your approval (escalation level {escalationLevel}).",
            "{claimantName} 的報銷申請 {claimId}（{amount}）未獲 {escalatedFrom} 及時處理，現已升級（第 {escalationLevel} 級），需要您審批。"),
        [NotificationTemplates.ClaimApproved] = new(
            "Claim {claimId} approved", "報銷申請 {claimId} 已批准",
            "Claim {claimId} for {amount} has been fully approved and goes to payment.",
            "報銷申請 {claimId}（{amount}）已獲全部批准，將安排付款。"),
        [NotificationTemplates.ClaimRejected] = new(
            "Claim {claimId} rejected", "報銷申請 {claimId} 被拒絕",
            "Claim {claimId} for {amount} was rejected by {by}. Reason: {reasonEn}. Comment: {comment}",
            "報銷申請 {claimId}（{amount}）被 {by} 拒絕。原因：{reasonZh}。備註：{comment}"),
        [NotificationTemplates.ClaimReturned] = new(
            "Claim {claimId} returned for changes", "報銷申請 {claimId} 已退回修改",
            "Claim {claimId} for {amount} was returned by {by} for changes. Reason: {reasonEn}. Comment: {comment}. Edit and resubmit it.",
            "報銷申請 {claimId}（{amount}）被 {by} 退回修改。原因：{reasonZh}。備註：{comment}。請修改後重新提交。"),
        [NotificationTemplates.ClaimWithdrawn] = new(
            "Claim {claimId} withdrawn", "報銷申請 {claimId} 已撤回",
            "Claim {claimId} for {amount} was withdrawn by the claimant; no action is needed.",
            "報銷申請 {claimId}（{amount}）已由申請人撤回，無需處理。"),
    };

    public static bool IsKnown(string template) => Templates.ContainsKey(template);

    /// <summary>Renders a notification. claimantName falls back to the claimant's id when the directory does not know it.</summary>
    public static RenderedMessage Render(OutgoingNotification n, Func<string, string?>? displayName = null)
    {
        var data = new Dictionary<string, string>(n.Data, StringComparer.Ordinal);
        data.TryAdd("claimId", n.ClaimId);
        if (!data.ContainsKey("claimantName") && data.TryGetValue("claimant", out var claimant))
        {
            data["claimantName"] = displayName?.Invoke(claimant) ?? claimant;
        }

        string subject, en, zh;
        if (Templates.TryGetValue(n.Template, out var t))
        {
            subject = $"{Fill(t.SubjectEn, data)} / {Fill(t.SubjectZh, data)}";
            en = Fill(t.BodyEn, data);
            zh = Fill(t.BodyZh, data);
        }
        else
        {
            subject = $"Notification: {n.Template} (claim {n.ClaimId}) / 通知：{n.Template}（報銷申請 {n.ClaimId}）";
            var lines = string.Join("\n", n.Data.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));
            en = $"Claim {n.ClaimId}: {n.Template}." + (lines.Length > 0 ? "\n" + lines : "");
            zh = $"報銷申請 {n.ClaimId}：{n.Template}。";
        }

        var text = new StringBuilder().Append(en).Append("\n\n").Append(zh);
        var markdown = new StringBuilder().Append("### ").Append(EscapeMarkdown(subject)).Append("\n\n")
            .Append(EscapeMarkdown(en)).Append("\n\n").Append(EscapeMarkdown(zh));
        if (n.Links.Count > 0)
        {
            text.Append("\n\n");
            markdown.Append("\n\n");
            foreach (var link in n.Links)
            {
                text.Append(link.Label).Append(": ").Append(link.Url).Append('\n');
                markdown.Append("- [").Append(EscapeMarkdown(link.Label)).Append("](").Append(link.Url).Append(")\n");
            }
        }
        return new RenderedMessage(subject, text.ToString().TrimEnd('\n'), markdown.ToString().TrimEnd('\n'), n.Links);
    }

    private static string Fill(string template, IReadOnlyDictionary<string, string> data) =>
        Placeholder().Replace(template, m => data.TryGetValue(m.Groups[1].Value, out var v) && v.Length > 0 ? v : "—");

    /// <summary>Comments are user input: keep them from turning into links or headings in chat Markdown.</summary>
    private static string EscapeMarkdown(string s) => MarkdownSpecial().Replace(s, @"\$0");

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"[\[\]()<>#*_`]")]
    private static partial Regex MarkdownSpecial();
}
