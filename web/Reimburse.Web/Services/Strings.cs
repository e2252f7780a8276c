namespace Reimburse.Web.Services;

/// <summary>Every string the app shows, in English and Traditional Chinese for Hong Kong readers (報銷, 審批, 收據).
/// Plain tables rather than .resx: the app ships no satellite assemblies and a missing key shows itself as [key].</summary>
public static class Strings
{
    public const string English = "en";
    public const string Chinese = "zh-HK";

    public static readonly IReadOnlyList<string> Languages = [English, Chinese];

    private static readonly Dictionary<string, (string En, string Zh)> Table = new(StringComparer.Ordinal)
    {
        ["app.name"] = ("Reimburse", "報銷易"),
        ["app.skip"] = ("Skip to content", "跳至內容"),
        ["app.language"] = ("Language", "語言"),
        ["app.signout"] = ("Sign out", "登出"),
        ["app.loading"] = ("Loading…", "載入中…"),
        ["app.error"] = ("Something went wrong", "發生錯誤"),
        ["app.menu"] = ("Main menu", "主選單"),
        ["nav.new"] = ("New claim", "新報銷申請"),
        ["nav.mine"] = ("My claims", "我的報銷"),
        ["nav.inbox"] = ("Approvals", "待審批"),
        ["nav.finance"] = ("Finance", "財務"),
        ["nav.audit"] = ("Audit", "審計"),
        ["nav.dashboard"] = ("Dashboard", "統計"),
        ["nav.admin"] = ("Risk model", "風險模型"),

        ["signin.title"] = ("Sign in", "登入"),
        ["signin.user"] = ("Demo user", "示範用戶"),
        ["signin.dev"] = ("Development sign-in: choose one of the demo company's users.", "開發環境登入：請選擇示範公司的用戶。"),
        ["signin.button"] = ("Sign in", "登入"),
        ["signin.expired"] = ("Your session has ended. Please sign in again.", "登入已逾時，請重新登入。"),
        ["signin.entra"] = ("Sign in with your work account", "使用公司帳戶登入"),
        ["signin.unavailable"] = ("Development sign-in is not available here.", "此環境不提供開發登入。"),

        ["claim.new.title"] = ("New expense claim", "新報銷申請"),
        ["claim.category"] = ("Category", "類別"),
        ["claim.amount"] = ("Amount", "金額"),
        ["claim.currency"] = ("Currency", "貨幣"),
        ["claim.expenseDate"] = ("Date of expense", "開支日期"),
        ["claim.merchant"] = ("Merchant", "商戶"),
        ["claim.description"] = ("Description", "說明"),
        ["claim.project"] = ("Project", "項目"),
        ["claim.costCentre"] = ("Cost centre", "成本中心"),
        ["claim.receipts"] = ("Receipts (photo, JPEG, PNG or PDF)", "收據（相片、JPEG、PNG 或 PDF）"),
        ["claim.receipts.hint"] = ("On a phone you can take a photo.", "在手機上可直接拍照。"),
        ["claim.submit"] = ("Submit claim", "提交申請"),
        ["claim.submitting"] = ("Submitting…", "提交中…"),
        ["claim.choose"] = ("Choose…", "請選擇…"),
        ["claim.errors"] = ("Please correct the fields marked below.", "請修正以下標示的欄位。"),
        ["claim.submitted"] = ("Claim submitted.", "申請已提交。"),
        ["claim.status"] = ("Status", "狀態"),
        ["claim.detail"] = ("Claim", "報銷申請"),
        ["claim.none"] = ("You have no claims yet.", "你尚未有任何報銷申請。"),
        ["claim.more"] = ("Load more", "載入更多"),
        ["claim.withdraw"] = ("Withdraw claim", "撤回申請"),
        ["claim.withdraw.confirm"] = ("Withdraw this claim? This cannot be undone.", "確定撤回此申請？撤回後無法復原。"),
        ["claim.withdrawn"] = ("Claim withdrawn.", "申請已撤回。"),
        ["claim.timeline"] = ("Timeline", "處理紀錄"),
        ["claim.route"] = ("Approval route", "審批流程"),
        ["claim.waiting"] = ("Waiting for", "等待"),
        ["claim.step.done"] = ("done", "已完成"),
        ["claim.step.now"] = ("now", "進行中"),
        ["claim.step.next"] = ("later", "稍後"),
        ["claim.readings"] = ("Read from the receipt", "從收據讀取"),
        ["claim.confidence"] = ("confidence", "可信度"),
        ["claim.readings.none"] = ("The receipt has not been read yet.", "收據尚未讀取。"),
        ["claim.draft.title"] = ("Check the fields read from your receipt", "請核對從收據讀取的資料"),
        ["claim.draft.submit"] = ("Confirm and submit", "確認並提交"),
        ["claim.receipt.open"] = ("Show receipt", "顯示收據"),
        ["claim.findings"] = ("Claim vs receipt", "申請與收據比對"),
        ["claim.risk"] = ("Risk", "風險"),
        ["claim.back"] = ("Back to my claims", "返回我的報銷"),
        ["claim.claimant"] = ("Claimant", "申請人"),
        ["claim.attention"] = ("Needs attention", "需要處理"),

        ["status.Draft"] = ("Draft", "草稿"),
        ["status.Submitted"] = ("Submitted", "已提交"),
        ["status.PendingApproval"] = ("Waiting for approval", "審批中"),
        ["status.Approved"] = ("Approved", "已批准"),
        ["status.Rejected"] = ("Rejected", "已拒絕"),
        ["status.Returned"] = ("Returned to you", "已退回"),
        ["status.Withdrawn"] = ("Withdrawn", "已撤回"),
        ["status.Received"] = ("Received, being checked", "已收到，處理中"),
        ["status.Posted"] = ("Paid out", "已入賬"),
        ["status.NeedsAttention"] = ("Needs attention", "需要處理"),

        ["risk.Low"] = ("Low risk", "低風險"),
        ["risk.Medium"] = ("Medium risk", "中風險"),
        ["risk.High"] = ("High risk", "高風險"),
        ["risk.none"] = ("Not scored yet", "尚未評分"),

        ["inbox.title"] = ("Waiting for your approval", "等待你審批"),
        ["inbox.none"] = ("Nothing is waiting for you.", "目前沒有待審批的申請。"),
        ["inbox.delegated"] = ("Delegated from", "代理"),
        ["inbox.escalated"] = ("Escalated to you", "已升級至你"),
        ["inbox.step"] = ("Step", "步驟"),
        ["inbox.since"] = ("Waiting since", "等待自"),
        ["inbox.approve"] = ("Approve", "批准"),
        ["inbox.reject"] = ("Reject", "拒絕"),
        ["inbox.return"] = ("Return", "退回"),
        ["inbox.comment"] = ("Comment for the claimant", "給申請人的備註"),
        ["inbox.reason"] = ("Reason", "原因"),
        ["inbox.select"] = ("Select for bulk approval", "選取以批量批准"),
        ["inbox.bulk"] = ("Approve selected Low-risk claims", "批准所選低風險申請"),
        ["inbox.done.approve"] = ("Approved.", "已批准。"),
        ["inbox.done.reject"] = ("Rejected.", "已拒絕。"),
        ["inbox.done.return"] = ("Returned to the claimant.", "已退回申請人。"),
        ["inbox.bulk.done"] = ("Approved {0} claims.", "已批准 {0} 項申請。"),
        ["inbox.cancel"] = ("Cancel", "取消"),
        ["inbox.confirm"] = ("Confirm", "確認"),
        ["inbox.delegations"] = ("Delegation", "代理審批"),
        ["inbox.delegate.to"] = ("Delegate to (user id)", "代理人（用戶編號）"),
        ["inbox.delegate.from"] = ("From", "由"),
        ["inbox.delegate.until"] = ("To", "至"),
        ["inbox.delegate.add"] = ("Add delegation", "新增代理"),
        ["inbox.delegate.revoke"] = ("Revoke", "取消代理"),

        ["finance.title"] = ("Finance", "財務"),
        ["finance.queue"] = ("Sign-off queue", "待簽核"),
        ["finance.kpis"] = ("Your departments, last 30 days", "你負責的部門（過去 30 日）"),

        ["audit.title"] = ("Audit log", "審計紀錄"),
        ["audit.claimId"] = ("Claim id", "申請編號"),
        ["audit.actor"] = ("Person (user id)", "人員（用戶編號）"),
        ["audit.action"] = ("Action", "操作"),
        ["audit.from"] = ("From", "由"),
        ["audit.to"] = ("To", "至"),
        ["audit.search"] = ("Search", "搜尋"),
        ["audit.verify"] = ("Verify the chain", "驗證紀錄鏈"),
        ["audit.csv"] = ("Download CSV", "下載 CSV"),
        ["audit.ok"] = ("The log is intact.", "紀錄完整無誤。"),
        ["audit.broken"] = ("The log is broken. First broken entry:", "紀錄鏈已損壞。第一項損壞紀錄："),
        ["audit.time"] = ("Time", "時間"),
        ["audit.none"] = ("No entries.", "沒有紀錄。"),
        ["audit.outcome"] = ("Outcome", "結果"),

        ["dashboard.title"] = ("Key figures", "主要指標"),
        ["admin.title"] = ("Risk model", "風險模型"),
        ["admin.train"] = ("Train now", "立即訓練"),
        ["admin.rollback"] = ("Roll back", "還原上一版本"),
        ["forbidden"] = ("Your role cannot open this page.", "你的角色無權查看此頁。"),
        ["notfound"] = ("Page not found.", "找不到此頁。"),
    };

    /// <summary>The text for a key in a language; [key] when the table lacks it, so gaps show in tests and screenshots.</summary>
    public static string Get(string key, string language) =>
        Table.TryGetValue(key, out var t) ? (language == Chinese ? t.Zh : t.En) : $"[{key}]";

    /// <summary>Whether the table holds a key (tests check every key has both languages).</summary>
    public static IEnumerable<(string Key, string En, string Zh)> All => Table.Select(kv => (kv.Key, kv.Value.En, kv.Value.Zh));
}
