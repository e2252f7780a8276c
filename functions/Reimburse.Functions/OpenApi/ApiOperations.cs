using System.Text.Json;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Events;
using Reimburse.Functions.Exports;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Kpis;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Privacy;
using Reimburse.Functions.Risk;

namespace Reimburse.Functions.OpenApi;

/// <summary>Who may call an operation.</summary>
public enum ApiAccess
{
    /// <summary>Anyone: no credentials.</summary>
    Anonymous,
    /// <summary>A signed-in user (bearer token or platform sign-in); the access matrix decides the rest.</summary>
    SignedIn,
    /// <summary>A signed-in user with the admin role.</summary>
    Admin,
}

/// <summary>A query parameter.</summary>
public sealed record ApiQuery(string Name, string En, string Zh, string Type = "string", string? Format = null);

/// <summary>A request body in one content type: the C# type it is read into (schema from the code) or a hand-made schema.</summary>
public sealed record ApiBody(string ContentType, Type? Schema = null, object? Example = null, Func<JsonElement>? RawSchema = null);

/// <summary>One answer: status, bilingual description, body type and content type.</summary>
public sealed record ApiReply(int Status, string En, string Zh, Type? Schema = null, string ContentType = "application/json", object? Example = null, bool Binary = false);

/// <summary>What the document says about one HTTP function beyond its route and methods (which come from its
/// <c>[HttpTrigger]</c>): summary and description in English and 中文, access, query, bodies, answers.</summary>
public sealed record ApiOperation(string Tag, string SummaryEn, string SummaryZh, string En, string Zh, ApiAccess Access = ApiAccess.SignedIn)
{
    public IReadOnlyList<ApiQuery> Query { get; init; } = [];
    public IReadOnlyList<ApiBody> Bodies { get; init; } = [];
    public IReadOnlyList<ApiReply> Replies { get; init; } = [];
    public bool DevelopmentOnly { get; init; }
    public bool RateLimited { get; init; }
    /// <summary>Serializer options of the answer when they differ from the API's defaults.</summary>
    public JsonSerializerOptions? Json { get; init; }
}

/// <summary>The API's operations by function name. <see cref="OpenApiDocumentBuilder"/> refuses to build when an HTTP
/// function has no entry here, so a new function cannot ship undocumented.</summary>
public static class ApiOperations
{
    private const string ClaimId = "c-20261121-7f3a9c2e";
    private static readonly DateTimeOffset At = new(2026, 11, 21, 4, 30, 0, TimeSpan.Zero);

    public static readonly ClaimAccepted AcceptedExample = new(ClaimId, "Submitted", $"/api/claims/{ClaimId}");

    public static readonly object ClaimInputExample = new
    {
        category = "meals", amount = "268.50", currency = "HKD", expenseDate = "2026-11-20", merchant = "Tsui Wah Restaurant 翠華餐廳",
        description = "Lunch with supplier 與供應商午餐",
    };

    private static readonly ClaimView ClaimExample = new(ClaimId, "Submitted", "emp-chan", "Sales", "Api", "meals", 268.50m, "HKD", "2026-11-20",
        "Tsui Wah Restaurant 翠華餐廳", "Lunch with supplier 與供應商午餐", null, null, [], At, At, At, null,
        new Dictionary<string, string> { ["self"] = $"/api/claims/{ClaimId}", ["submit"] = $"/api/claims/{ClaimId}/submit" });

    private static readonly DelegationView DelegationExample = new("d-1", "mgr-wong", "mgr-lau", "2026-12-01", "2026-12-05", "Leave 休假", "Scheduled", "runtime", At);

    private static readonly AuditRecordView AuditExample = new("claims", ClaimId, 1, At, "claim.submitted", "emp-chan", "employee", "203.0.113.7", "Allowed",
        ClaimId, "sales", "{\"source\":\"api\"}", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");

    private static readonly RiskModelPointer RiskPointerExample = new("20261121-043000", At, ["20261114-030000"]);

    private static readonly WebhookView WebhookExample = new("wh-3f2a9c1d5e7b8a60", "https://erp.harbour.example/hooks/reimburse", ["approved", "exported"], false, null, At, null);

    private static readonly ExportBatchView ExportExample = new("x-20261201-1a2b", "xero-csv", "2026-11-01", "2026-11-30", "sales", "Completed", "fin-lam", At,
        false, null, new ExportCounts(12, 12, 0, 0, 0, 0), ["xero-bills-1.csv"], null);

    private static readonly ExportMappingDocument MappingExample = new()
    {
        Categories = new() { ["meals"] = new CategoryAccountDocument { AccountCode = "420", TaxType = "NONE" } },
        TrackingCategory = "Department", Departments = new() { ["sales"] = "Sales" }, Employees = new() { ["emp-chan"] = "Chan Tai Man" }, PaymentTermsDays = 14,
    };

    private static readonly WorkflowAccepted WorkflowAcceptedExample = new(ClaimId, "Approved", 3, $"/api/claims/{ClaimId}/workflow");

    public static IReadOnlyDictionary<string, ApiOperation> All { get; } = new Dictionary<string, ApiOperation>(StringComparer.Ordinal)
    {
        ["SubmitClaim"] = new("claims", "Submit a claim", "提交報銷申請",
            "Creates and submits an expense claim: JSON, multipart with a `claim` JSON part and receipt files, or a plain HTML form " +
            "(urlencoded or multipart with `amount`, `currency`, `category`, `expenseDate`, `merchant`, `description` and `receipts` files). " +
            "Claimant and department come from the caller. `Idempotency-Key` makes a retry return the first claim. A browser form " +
            "(`Accept: text/html`) gets a small result page instead of JSON. Cross-site form posts need the bearer token or the anti-forgery token.",
            "建立並提交報銷申請：JSON、multipart（`claim` JSON 部分加收據檔案），或普通 HTML 表單。申請人及部門取自登入身份。" +
            "`Idempotency-Key` 令重試返回第一次的申請。瀏覽器表單會收到結果頁面。跨站表單提交須附 bearer token 或防偽造 token。")
        {
            RateLimited = true,
            Bodies =
            [
                new("application/json", typeof(ClaimInput), ClaimInputExample),
                new("multipart/form-data", RawSchema: () => FormSchemas.Multipart, Example: ClaimInputExample),
                new("application/x-www-form-urlencoded", RawSchema: () => FormSchemas.UrlEncoded, Example: ClaimInputExample),
            ],
            Replies =
            [
                new(202, "Accepted: the claim is stored and its workflow started. `Location` is the claim.", "已接受：申請已儲存，審批流程已開始。",
                    typeof(ClaimAccepted), Example: AcceptedExample),
                new(202, "The same, as a small bilingual page for a browser form (`Accept: text/html`).", "瀏覽器表單的雙語結果頁面。", ContentType: "text/html"),
                new(400, "Invalid fields, all listed; a browser form gets them as a page.", "欄位無效（全部列出）；瀏覽器表單會收到頁面。", ContentType: "text/html"),
                new(403, "Not allowed, or a cross-site form post without a token.", "不獲准，或跨站表單未附 token。"),
                new(413, "A receipt or the body is too large.", "收據或請求過大。"),
                new(415, "Unsupported content type or receipt file type.", "不支援的內容類型或收據檔案類型。"),
                new(422, "The Idempotency-Key was already used for a different claim.", "Idempotency-Key 已用於另一份申請。"),
            ],
        },
        ["FormToken"] = new("claims", "Anti-forgery token for a form", "表單防偽造 token",
            "A token (and its cookie) for a form posted to POST /api/claims from another site without a bearer token: put `token` in a hidden field named `fieldName`.",
            "供其他網站的表單在沒有 bearer token 時提交 POST /api/claims：把 `token` 放在名為 `fieldName` 的隱藏欄位。")
        {
            Replies = [new(200, "The token; the response also sets its cookie.", "Token；回應同時設定 cookie。", typeof(FormToken),
                Example: new FormToken(ClaimForm.TokenField, ClaimForm.TokenHeader, "CfDJ8N3x…"))],
        },
        ["ListClaims"] = new("claims", "List my claims", "列出我的申請", "The caller's own claims, newest first, a page at a time.", "登入者自己的申請，最新在前，分頁。")
        {
            Query = [PageSize, Continuation],
            Replies = [new(200, "A page of claims.", "一頁申請。", typeof(ClaimPage), Example: new ClaimPage([ClaimExample], null))],
        },
        ["GetClaim"] = new("claims", "Get a claim", "查看申請",
            "The claim, its receipts and status, what OCR read, findings and the risk score with reasons. 404 when not visible to the caller.",
            "申請、收據及狀態，OCR 讀到的內容、差異及風險評分與原因。無權查看時返回 404。")
        {
            Replies = [new(200, "The claim.", "申請。", typeof(ClaimView), Example: ClaimExample)],
        },
        ["GetReceipt"] = new("claims", "Download a receipt", "下載收據", "The receipt file, served with `nosniff` and a sandbox CSP.", "收據檔案。")
        {
            Replies =
            [
                new(200, "The file (JPEG, PNG or PDF).", "檔案（JPEG、PNG 或 PDF）。", ContentType: "application/octet-stream", Binary: true),
            ],
        },
        ["SubmitDraft"] = new("claims", "Submit a draft", "提交草稿",
            "Submits a draft created from a dropped receipt, optionally completing its fields.", "提交由收據建立的草稿，可補充欄位。")
        {
            RateLimited = true,
            Bodies = [new("application/json", typeof(ClaimInput), new { category = "travel" })],
            Replies = [new(202, "Accepted.", "已接受。", typeof(ClaimAccepted), Example: AcceptedExample), new(409, "The claim is not a draft.", "申請不是草稿。")],
        },
        ["DecideClaim"] = new("approvals", "Approve, reject or return", "批准、拒絕或退回",
            "Records the caller's decision on the current step. 403 when the caller is not a current approver; 409 when the step moved on.",
            "記錄審批人對目前步驟的決定。非目前審批人返回 403；步驟已變更返回 409。")
        {
            Bodies = [new("application/json", typeof(DecisionRequest), new DecisionRequest("approve", "OK 同意", null, null))],
            Replies = [new(202, "Accepted.", "已接受。", typeof(WorkflowAccepted), Example: WorkflowAcceptedExample), new(409, "The step already moved on.", "步驟已變更。")],
        },
        ["WithdrawClaim"] = new("approvals", "Withdraw a claim", "撤回申請", "The claimant withdraws a claim that is not final.", "申請人撤回未完成的申請。")
        {
            Bodies = [new("application/json", typeof(WithdrawRequest), new WithdrawRequest("Submitted twice 重複提交"))],
            Replies = [new(202, "Accepted.", "已接受。", typeof(WorkflowAccepted), Example: WorkflowAcceptedExample with { Status = "Withdrawn" }), new(409, "The claim is final.", "申請已完成。")],
        },
        ["GetWorkflow"] = new("approvals", "Workflow status", "審批流程狀態",
            "Runtime status, current step, who is waiting, reminder and escalation due times, history.", "流程狀態、目前步驟、等待中的審批人、提醒及升級時間、歷史。")
        {
            Json = ApprovalJson.Options,
            Replies = [new(200, "The workflow.", "審批流程。", typeof(WorkflowStatusView), Example: new WorkflowStatusView(ClaimId, RuntimeStatus.Running, WorkflowStatus.Pending, 1, null, [new WaitingApprover("mgr-wong", null, 0, false)], At.AddHours(24), At.AddHours(48), [], [], [new HistoryEntry(At, "step.started", null, null, 1, 0, "Line manager")], 2))],
        },
        ["ListApprovals"] = new("approvals", "My pending approvals", "待我審批", "Claims waiting for the caller, including delegated ones.", "等待登入者審批的申請，包括代理。")
        {
            Replies = [new(200, "Pending approvals.", "待審批項目。", typeof(ItemsOf<PendingApproval>), Example: new ItemsOf<PendingApproval>([new(ClaimId, "emp-chan", 268.50m, "HKD", "meals", "Tsui Wah Restaurant 翠華餐廳", 1, 0, "Line manager", null, false, At, $"/api/claims/{ClaimId}/workflow")]))],
        },
        ["UseApprovalLink"] = new("approvals", "One-click approval link", "一按審批連結",
            "GET shows the claim and a button (changes nothing); the button's POST decides. The signed, single-use token is the credential.",
            "GET 顯示申請及按鈕（不作更改）；按鈕的 POST 作出決定。已簽署的一次性 token 即為憑證。", ApiAccess.Anonymous)
        {
            Replies = [new(200, "An HTML page.", "HTML 頁面。", ContentType: "text/html"), new(410, "The link expired or was used.", "連結已過期或已使用。", ContentType: "text/html")],
        },
        ["ListDelegations"] = new("delegations", "My delegations", "我的代理", "Delegations the caller gave or received, the policy's standing ones too.", "登入者給予或收到的代理，包括政策常設代理。")
        {
            Replies = [new(200, "Delegations.", "代理。", typeof(ItemsOf<DelegationView>), Example: new ItemsOf<DelegationView>([DelegationExample]))],
        },
        ["CreateDelegation"] = new("delegations", "Name a delegate", "指定代理人", "An approver names a delegate for a date range (one at a time).", "審批人為某日期範圍指定代理人（一次一個）。")
        {
            RateLimited = true,
            Bodies = [new("application/json", typeof(DelegationRequest), new DelegationRequest("mgr-lau", "2026-12-01", "2026-12-05", "Leave 休假"))],
            Replies = [new(201, "Created.", "已建立。", typeof(DelegationView), Example: DelegationExample), new(409, "A delegation already overlaps.", "已有重疊的代理。")],
        },
        ["RevokeDelegation"] = new("delegations", "Revoke a delegation", "撤銷代理", "Revokes one of the caller's delegations.", "撤銷登入者的一項代理。")
        {
            RateLimited = true,
            Replies = [new(204, "Revoked.", "已撤銷。", ContentType: "")],
        },
        ["GetKpis"] = new("reports", "KPIs", "關鍵指標", "Cycle time, touchless rate, escalations, SLA breaches, anomaly and autofill rates, from the audit log.", "週期時間、免人手率、升級、逾時、異常及自動填寫比率。")
        {
            Query = [new("from", "Start (ISO 8601).", "開始時間（ISO 8601）。", Format: "date-time"), new("to", "End (ISO 8601).", "結束時間。", Format: "date-time"), new("department", "One department.", "部門。")],
            Replies = [new(200, "The report.", "報告。", typeof(KpiReport), Example: new KpiReport(At.AddDays(-30), At, ["sales"], 42, 38, 2, 20.5, 61.0, 0.45, 6, 1, 0, 0.05, 0.8, 42))],
        },
        ["GetPics"] = new("privacy", "Collection statement", "收集個人資料聲明", "The PDPO personal information collection statement in English and 中文.", "《個人資料（私隱）條例》收集個人資料聲明（英文及中文）。", ApiAccess.Anonymous)
        {
            Replies = [new(200, "The statement.", "聲明。", typeof(PicsEndpoint.Pics), Example: PicsEndpoint.Statement)],
        },
        ["ExportMyData"] = new("privacy", "Export my data", "匯出我的資料", "An employee's own profile, claims and audit entries (data access request).", "員工本人的資料、申請及審計記錄（查閱資料要求）。")
        {
            Replies = [new(200, "The export.", "匯出資料。", typeof(MyDataExport.Export), Example: new MyDataExport.Export(At, new MyDataExport.Profile("emp-chan", "Chan Tai Man", "陳大文", "chan@harbour.example", "sales", ["employee"], "mgr-wong", []), [ClaimExample], [AuditExample], false))],
        },
        ["AuditQuery"] = new("audit", "Query the audit log", "查詢審計記錄", "Auditor: the append-only log, paged and masked.", "審計員：只可附加的記錄，分頁並遮蔽個人資料。")
        {
            Query = [.. AuditFilters, PageSize, Continuation],
            Replies = [new(200, "A page of entries.", "一頁記錄。", typeof(AuditPage), Example: new AuditPage([AuditExample], null))],
        },
        ["AuditVerify"] = new("audit", "Verify the audit log", "驗證審計記錄", "Auditor: verifies the hash chains and daily digests.", "審計員：驗證雜湊鏈及每日摘要。")
        {
            Query = AuditFilters,
            Replies = [new(200, "The verification result.", "驗證結果。", typeof(VerifyResult), Example: new VerifyResult(true, 1280, 42, 30, null, 0))],
        },
        ["AuditExport"] = new("audit", "Export the audit log", "匯出審計記錄", "Auditor: CSV export.", "審計員：CSV 匯出。")
        {
            Query = AuditFilters,
            Replies = [new(200, "CSV (UTF-8).", "CSV（UTF-8）。", ContentType: "text/csv")],
        },
        ["GetRiskModel"] = new("admin", "Active anomaly model", "使用中的異常模型", "Admin: the active anomaly model version.", "管理員：使用中的異常模型版本。", ApiAccess.Admin)
        {
            Replies = [new(200, "The active model.", "使用中的模型。", typeof(RiskModelPointer), Example: RiskPointerExample)],
        },
        ["TrainRiskModel"] = new("admin", "Retrain the anomaly model", "重新訓練異常模型", "Admin: trains a new model now and activates it.", "管理員：立即訓練並啟用新模型。", ApiAccess.Admin)
        {
            Replies = [new(200, "The new version.", "新版本。", typeof(RiskModelTrained), Example: new RiskModelTrained("20261121-043000"))],
        },
        ["RollbackRiskModel"] = new("admin", "Roll back the anomaly model", "還原異常模型", "Admin: activates the previous (or a named) model version.", "管理員：啟用上一個（或指定）模型版本。", ApiAccess.Admin)
        {
            Query = [new("toVersion", "The version to activate.", "要啟用的版本。")],
            Replies = [new(200, "The active model.", "使用中的模型。", typeof(RiskModelPointer), Example: RiskPointerExample), new(409, "Nothing to roll back to.", "沒有可還原的版本。")],
        },
        ["DevToken"] = new("development", "Development token", "開發用 token", "Development only: a signed, expiring bearer token for a seeded user.", "僅限開發環境：為示範用戶簽發有時限的 bearer token。", ApiAccess.Anonymous)
        {
            DevelopmentOnly = true,
            Bodies = [new("application/json", typeof(DevTokenRequest), new DevTokenRequest("emp-chan"))],
            Replies = [new(200, "The token.", "Token。", typeof(DevTokenEndpoint.DevToken), Example: new DevTokenEndpoint.DevToken("eyJ1c2VySWQiOiJlbXAtY2hhbiJ9.c2lnbmF0dXJl", At.AddHours(8), "emp-chan", "Chan Tai Man", ["employee"], "sales"))],
        },
        ["DevOutbox"] = new("development", "Notification outbox", "通知寄件匣", "Development only: notifications that would have been sent, with their delivery state.", "僅限開發環境：將會發出的通知及其狀態。")
        {
            DevelopmentOnly = true,
            Query = [new("take", "How many (newest first).", "數量（最新在前）。", "integer", "int32"), new("claimId", "One claim's notifications.", "某申請的通知。")],
            Replies = [new(200, "The outbox.", "寄件匣。", typeof(DevOutbox.OutboxView), Example: new DevOutbox.OutboxView(["standalone"], []))],
        },
        ["DevDiagnostics"] = new("development", "Process diagnostics", "程序診斷", "Development only: storage requests and memory, for benchmarks.", "僅限開發環境：儲存請求數及記憶體，供基準測試。")
        {
            DevelopmentOnly = true,
            Replies = [new(200, "Figures.", "數據。", typeof(DevDiagnosticsView), Example: new DevDiagnosticsView(1234, 250_000_000, 300_000_000, 80_000_000))],
        },
        ["CreateWebhook"] = new("integrations", "Register an event webhook", "登記事件 webhook",
            "Admin: a subscriber URL (https, public addresses only), the events it wants and optionally its secret. Events arrive as CloudEvents 1.0 " +
            "(structured JSON) signed with `webhook-id`, `webhook-timestamp` and `webhook-signature` (Standard Webhooks, HMAC-SHA256). The secret is shown only here.",
            "管理員：訂閱者網址（https，只限公共地址）、所需事件及密鑰（可選）。事件以 CloudEvents 1.0 傳送，並以 HMAC-SHA256 簽署。密鑰只在此顯示一次。", ApiAccess.Admin)
        {
            Bodies = [new("application/json", typeof(WebhookRequest), new WebhookRequest("https://erp.harbour.example/hooks/reimburse", ["approved", "exported"], null))],
            Replies = [new(201, "Registered.", "已登記。", typeof(WebhookView), Example: WebhookExample with { Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" })],
        },
        ["ListWebhooks"] = new("integrations", "List event webhooks", "列出事件 webhook", "Admin: subscribers, paused ones with the reason.", "管理員：訂閱者，暫停的附原因。", ApiAccess.Admin)
        {
            Replies = [new(200, "Subscribers.", "訂閱者。", typeof(ItemsOf<WebhookView>), Example: new ItemsOf<WebhookView>([WebhookExample]))],
        },
        ["DeleteWebhook"] = new("integrations", "Remove an event webhook", "刪除事件 webhook", "Admin: stops deliveries to this subscriber.", "管理員：停止向此訂閱者傳送。", ApiAccess.Admin)
        {
            Replies = [new(204, "Removed.", "已刪除。", ContentType: "")],
        },
        ["ListWebhookDeliveries"] = new("integrations", "Delivery log", "傳送記錄", "Admin: each event for this subscriber, its attempts and outcome.", "管理員：此訂閱者的每個事件、嘗試次數及結果。", ApiAccess.Admin)
        {
            Replies = [new(200, "Deliveries.", "傳送記錄。", typeof(ItemsOf<EventDelivery>), Example: new ItemsOf<EventDelivery>([new("wh-3f2a9c1d5e7b8a60", $"{ClaimId}:approved:r1", "com.reimburse.claim.approved", ClaimId, "Delivered", 2, 200, null, At, At.AddMinutes(1))]))],
        },
        ["ListReasonCodes"] = new("approvals", "Reasons for rejecting or returning", "拒絕或退回的原因",
            "The fixed bilingual list of reason codes a reject or return must carry; finance's decisions with them train the learned risk layer.",
            "拒絕或退回時必須附上的固定雙語原因代碼；財務的決定連同原因用於訓練風險模型。")
        {
            Replies = [new(200, "The reason codes.", "原因代碼。", typeof(ItemsOf<Reimburse.Core.Approvals.DecisionReason>),
                Example: new ItemsOf<Reimburse.Core.Approvals.DecisionReason>([new("duplicate", "Duplicate claim", "重複申請", true)]))],
        },
        ["GetReachPreferences"] = new("approvals", "My SMS and call reminders", "我的短訊及電話提醒",
            "Whether the caller gets reminder SMS and calls, with the phone and language they go to.", "登入者是否接收提醒短訊及電話，以及電話號碼和語言。")
        {
            Replies = [new(200, "The preferences.", "設定。", Example: new { sms = true, calls = false, phone = "+85291234567", language = "zh-HK" })],
        },
        ["SetReachPreferences"] = new("approvals", "Turn SMS or call reminders on or off", "開關短訊或電話提醒",
            "An approver turns reminder SMS or calls off (or on) for themselves; recorded in the access log.", "審批人為自己關閉（或開啟）提醒短訊或電話；記錄於存取記錄。")
        {
            Bodies = [new("application/json", typeof(Reimburse.Functions.Approvals.ReachPreferences), new Reimburse.Functions.Approvals.ReachPreferences(true, false))],
            Replies = [new(200, "The stored preferences.", "已儲存的設定。", Example: new { sms = true, calls = false })],
        },
        ["TwilioStatus"] = new("integrations", "Twilio delivery status callback", "Twilio 傳送狀態回呼",
            "Called by Twilio with an SMS's or call's status (form post). Accepted only with a valid `X-Twilio-Signature`.",
            "由 Twilio 以表單回報短訊或電話狀態。只接受有效的 `X-Twilio-Signature`。", ApiAccess.Anonymous)
        {
            Replies = [new(204, "Recorded.", "已記錄。", ContentType: ""), new(403, "Missing or invalid signature.", "簽署缺失或無效。")],
        },
        ["TwilioKeypress"] = new("integrations", "Twilio keypress callback", "Twilio 按鍵回呼",
            "Called by Twilio when the approver presses a key during a reminder call; 1 sends the approval link by SMS. Signed like the status callback.",
            "審批人在提醒電話中按鍵時由 Twilio 呼叫；按 1 以短訊發送審批連結。", ApiAccess.Anonymous)
        {
            Replies = [new(200, "TwiML for the rest of the call.", "通話其餘部分的 TwiML。", ContentType: "application/xml"), new(403, "Missing or invalid signature.", "簽署缺失或無效。")],
        },
        ["PutOfficeCalendar"] = new("admin", "Add or replace an office calendar", "新增或取代辦公室假期日曆",
            "Admin: an iCalendar file of an office's holidays; `CATEGORIES:WORKDAY` marks make-up working days. A bad file is refused with every problem listed.",
            "管理員：辦公室假期的 iCalendar 檔案；`CATEGORIES:WORKDAY` 表示調休工作日。檔案有誤時列出所有問題並拒絕。", ApiAccess.Admin)
        {
            Bodies = [new("text/calendar", RawSchema: () => JsonDocument.Parse("{\"type\":\"string\"}").RootElement)],
            Replies = [new(200, "The calendar as read.", "讀取到的日曆。", Example: new { name = "shenzhen", holidays = new[] { "2026-10-01" }, makeUpWorkingDays = new[] { "2026-09-27" } })],
        },
        ["TrainLearnedRiskModel"] = new("admin", "Train the learned risk layer", "訓練學習型風險模型",
            "Admin: trains the company's model on finance's decisions now; activated only if its hold-out PR-AUC is not worse than rules + forest and the active model.",
            "管理員：立即以財務的決定訓練模型；只有在保留集 PR-AUC 不差於規則加森林及現用模型時才啟用。", ApiAccess.Admin)
        {
            Replies = [new(200, "The training outcome.", "訓練結果。", typeof(Reimburse.Functions.Risk.Learned.LearnedTrainingOutcome),
                Example: new Reimburse.Functions.Risk.Learned.LearnedTrainingOutcome(At, "20261121-043000", false, "Hold-out PR-AUC 0.71 is below rules + forest 0.88", 9, 640))],
        },
        ["ActivateLearnedRiskModel"] = new("admin", "Activate a learned model version", "啟用學習型模型版本", "Admin: activates a stored version.", "管理員：啟用已儲存的版本。", ApiAccess.Admin)
        {
            Query = [new("version", "The version to activate.", "要啟用的版本。")],
            Replies = [new(200, "The active model.", "使用中的模型。", Example: new { version = "20261121-043000" }), new(404, "No such version.", "沒有此版本。")],
        },
        ["RollbackLearnedRiskModel"] = new("admin", "Roll back the learned model", "還原學習型模型", "Admin: activates the previous learned model, or none (rules + forest).", "管理員：啟用上一個學習型模型，或不用（規則加森林）。", ApiAccess.Admin)
        {
            Replies = [new(200, "The active model.", "使用中的模型。", Example: new { version = "20261114-030000" }), new(409, "Nothing to roll back to.", "沒有可還原的版本。")],
        },
        ["CreateExport"] = new("exports", "Export approved claims", "匯出已批准的申請",
            "Finance (its departments) and admins: a batch of approved claims not yet exported to the target (`xero-csv`, `quickbooks-csv`, `xero`, `quickbooks`). A claim is exported once per target; `reexport` with a reason is explicit and audited.",
            "財務（所屬部門）及管理員：把尚未匯出的已批准申請匯出到目標。每份申請每個目標只匯出一次；重新匯出須註明原因並記錄於審計。")
        {
            Bodies = [new("application/json", typeof(ExportRequest), new ExportRequest("xero-csv", "2026-11-01", "2026-11-30", "sales"))],
            Replies = [new(201, "The batch.", "匯出批次。", typeof(ExportBatchView), Example: ExportExample), new(403, "Not finance for that department.", "非該部門的財務。")],
        },
        ["ListExports"] = new("exports", "List export batches", "列出匯出批次", "Finance and admins: recent batches, newest first.", "財務及管理員：最近的匯出批次，最新在前。")
        {
            Replies = [new(200, "Batches.", "匯出批次。", typeof(ItemsOf<ExportBatchView>), Example: new ItemsOf<ExportBatchView>([ExportExample]))],
        },
        ["GetExport"] = new("exports", "Get an export batch", "查看匯出批次", "Status, counts and each claim's result.", "狀態、數量及每份申請的結果。")
        {
            Replies = [new(200, "The batch.", "匯出批次。", typeof(ExportBatchView), Example: ExportExample)],
        },
        ["GetExportFile"] = new("exports", "Download an export file", "下載匯出檔案",
            "The CSV for a file target (UTF-8 with BOM, formula-safe; a zip when split into several files), or `?format=xlsx` for the workbook summary.",
            "檔案目標的 CSV（UTF-8 BOM，防公式注入；分拆時為 zip），或以 `?format=xlsx` 取得 Excel 摘要。")
        {
            Query = [new("format", "`xlsx` for the workbook summary.", "`xlsx` 取得 Excel 摘要。")],
            Replies = [new(200, "The file.", "檔案。", ContentType: "application/octet-stream", Binary: true)],
        },
        ["RetryExport"] = new("exports", "Retry an export batch", "重試匯出批次", "Retries the batch's failed or unfinished claims.", "重試批次中失敗或未完成的申請。")
        {
            Replies = [new(202, "The batch.", "匯出批次。", typeof(ExportBatchView), Example: ExportExample)],
        },
        ["GetClaimExports"] = new("exports", "A claim's export state", "申請的匯出狀態", "Where the claim was exported, per target, and its exchange-rate override.", "申請在各目標的匯出狀態及匯率調整。")
        {
            Replies = [new(200, "The export state.", "匯出狀態。", Example: new { claimId = ClaimId, exports = new[] { new { target = "xero", status = "Posted", remoteId = "INV-0042" } }, fxOverride = (object?)null })],
        },
        ["OverrideClaimFxRate"] = new("exports", "Override a claim's exchange rate", "調整申請的匯率", "Finance: the rate to use for this claim, with a reason; audited.", "財務：此申請使用的匯率及原因；記錄於審計。")
        {
            Bodies = [new("application/json", typeof(FxOverrideInput), new FxOverrideInput("7.8120", "Card statement rate 信用卡月結單匯率"))],
            Replies = [new(200, "The stored override.", "已儲存的調整。", Example: new { rate = "7.8120", reason = "Card statement rate" })],
        },
        ["ListAccountingConnections"] = new("exports", "Accounting connections", "會計系統連接", "Admin: the company's Xero and QuickBooks connections.", "管理員：公司的 Xero 及 QuickBooks 連接。", ApiAccess.Admin)
        {
            Replies = [new(200, "Connections.", "連接。", Example: new { items = new[] { new { provider = "xero", status = "Connected" } } })],
        },
        ["ConnectAccounting"] = new("exports", "Connect Xero or QuickBooks", "連接 Xero 或 QuickBooks", "Admin: starts OAuth 2.0 (authorization code with PKCE); open `authorizeUrl`.", "管理員：開始 OAuth 2.0（授權碼加 PKCE）；打開 `authorizeUrl`。", ApiAccess.Admin)
        {
            Replies = [new(200, "Where to sign in.", "登入位置。", Example: new { authorizeUrl = "https://login.xero.com/identity/connect/authorize?..." })],
        },
        ["AccountingCallback"] = new("exports", "OAuth callback", "OAuth 回呼", "The provider returns here after sign-in; the state and PKCE verifier are checked.", "供應商登入後返回此處；檢查 state 及 PKCE。", ApiAccess.Anonymous)
        {
            Query = [new("code", "Authorization code.", "授權碼。"), new("state", "The state sent.", "發出的 state。")],
            Replies = [new(200, "A page saying the company is connected.", "顯示已連接的頁面。", ContentType: "text/html")],
        },
        ["DisconnectAccounting"] = new("exports", "Disconnect Xero or QuickBooks", "中斷 Xero 或 QuickBooks", "Admin: revokes and deletes the stored tokens.", "管理員：撤銷並刪除已儲存的 token。", ApiAccess.Admin)
        {
            Replies = [new(204, "Disconnected.", "已中斷。", ContentType: "")],
        },
        ["GetExportMapping"] = new("exports", "Export mapping", "匯出對應", "Category to account and tax type, department to tracking, employee to contact, for one system.", "類別對應科目及稅項、部門對應追蹤類別、員工對應聯絡人。")
        {
            Replies = [new(200, "The mapping.", "對應。", typeof(ExportMappingDocument), Example: MappingExample)],
        },
        ["PutExportMapping"] = new("exports", "Replace the export mapping", "取代匯出對應", "Finance and admins: checked against the company directory; every problem listed.", "財務及管理員：按公司目錄檢查；列出所有問題。")
        {
            Bodies = [new("application/json", typeof(ExportMappingDocument), MappingExample)],
            Replies = [new(200, "The stored mapping.", "已儲存的對應。", typeof(ExportMappingDocument), Example: MappingExample)],
        },
        ["ListFxRates"] = new("exports", "Exchange rates", "匯率", "The stored rates to the company's base currency.", "已儲存兌公司基本貨幣的匯率。")
        {
            Replies = [new(200, "Rates.", "匯率。", Example: new { baseCurrency = "HKD", items = new[] { new FxRateInput("USD", "2026-11-20", "7.7820", "HKMA") } })],
        },
        ["PostFxRates"] = new("exports", "Upload exchange rates", "上載匯率", "Finance: rates as JSON (`rates`) or a CSV (currency,date,rate,source).", "財務：以 JSON（`rates`）或 CSV 上載匯率。")
        {
            Bodies = [new("application/json", typeof(AccountingEndpoints.RatesBody), new AccountingEndpoints.RatesBody([new FxRateInput("USD", "2026-11-20", "7.7820", "HKMA")])), new("text/csv", RawSchema: () => JsonDocument.Parse("{\"type\":\"string\"}").RootElement)],
            Replies = [new(200, "How many were stored.", "已儲存的數量。", Example: new { stored = 1 })],
        },
        ["OpenApiDocument"] = new("meta", "This OpenAPI document", "本 OpenAPI 文件", "The API described as OpenAPI 3.1, generated from the code.", "以 OpenAPI 3.1 描述的 API，由程式碼產生。", ApiAccess.Anonymous)
        {
            Replies = [new(200, "OpenAPI 3.1 (JSON).", "OpenAPI 3.1（JSON）。", ContentType: "application/json", Example: new { openapi = "3.1.2", info = new { title = OpenApiDocumentBuilder.Title, version = "1.0.0" }, paths = new { } })],
        },
        ["ApiReference"] = new("meta", "API reference page", "API 參考頁面", "A page for people that renders this document (served locally, no CDN).", "以本文件繪製的參考頁面（本地提供，不用 CDN）。", ApiAccess.Anonymous)
        {
            Replies = [new(200, "HTML.", "HTML。", ContentType: "text/html")],
        },
        ["ApiReferenceScript"] = new("meta", "API reference script", "API 參考頁面腳本", "The reference page's script (@scalar/api-reference).", "參考頁面的腳本。", ApiAccess.Anonymous)
        {
            Replies = [new(200, "JavaScript.", "JavaScript。", ContentType: "text/javascript")],
        },
    };

    private static ApiQuery PageSize => new("pageSize", "Items per page (1-100).", "每頁項目數（1-100）。", "integer", "int32");
    private static ApiQuery Continuation => new("continuationToken", "From the previous page.", "來自上一頁。");

    private static ApiQuery[] AuditFilters =>
    [
        new("claimId", "One claim.", "某申請。"), new("actor", "Who acted.", "執行者。"), new("department", "One department.", "部門。"),
        new("action", "An action such as claim.submitted.", "動作，例如 claim.submitted。"), new("outcome", "Allowed or Denied.", "Allowed 或 Denied。"),
        new("from", "From (ISO 8601).", "由（ISO 8601）。", Format: "date-time"), new("to", "To (ISO 8601).", "至（ISO 8601）。", Format: "date-time"),
    ];
}

/// <summary>The claim fields a client may send (JSON body of POST /api/claims and /api/claims/{id}/submit).</summary>
/// <param name="Amount">A decimal number such as 268.50, as a JSON number or a string.</param>
/// <param name="ExpenseDate">yyyy-MM-dd.</param>
public sealed record ClaimInput(string? Category, decimal? Amount, string? Currency, string? ExpenseDate, string? Merchant, string? Description, string? Project, string? CostCentre);

/// <summary>A list answer: <c>{"items": [...]}</c>.</summary>
public sealed record ItemsOf<T>(IReadOnlyList<T> Items);

/// <summary>Answer to POST /api/admin/risk-model/train.</summary>
public sealed record RiskModelTrained(string Version);

/// <summary>Body of POST /api/dev/tokens.</summary>
public sealed record DevTokenRequest(string UserId);

/// <summary>Answer to GET /api/dev/diagnostics.</summary>
public sealed record DevDiagnosticsView(long StorageRequests, long WorkingSetBytes, long PeakWorkingSetBytes, long GcHeapBytes);
