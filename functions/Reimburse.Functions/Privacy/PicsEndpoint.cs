namespace Reimburse.Functions.Privacy;

/// <summary>The personal information collection statement (PDPO Data Protection Principle 1), in English and Traditional
/// Chinese, returned with the claim form metadata. Public: people must be able to read it before they sign in.</summary>
public static class PicsEndpoint
{
    public const string Version = "2026-11";

    /// <summary>One language version of the statement.</summary>
    public sealed record PicsText(string Title, IReadOnlyList<string> Paragraphs);

    /// <summary>GET /api/meta/pics.</summary>
    public sealed record Pics(string Version, PicsText En, PicsText ZhHant);

    public static readonly Pics Statement = new(Version,
        new PicsText("Personal Information Collection Statement",
        [
            "Purpose: the personal data you give in expense claims (name, staff number, department, expense details, receipts, bank details for reimbursement) is collected to process, approve, pay and account for your claims, to prevent fraud and to meet legal and audit duties.",
            "Supplying the data is obligatory for a claim to be processed; without it the claim cannot be reimbursed.",
            "Transferees: your manager and approvers in your reporting line, the finance team for your department, internal and external auditors, our accounting system and service providers bound by confidentiality.",
            "Retention: financial records are kept for 7 years as the Inland Revenue Ordinance requires; personal data no longer needed is then purged. Drafts that are never submitted are purged sooner.",
            "Every access to a claim, a receipt or the audit log is recorded.",
            "Access and correction: under sections 18 and 22 of the Personal Data (Privacy) Ordinance (Cap. 486) you may ask for a copy of, or correction to, your personal data. You can download your data at GET /api/me/export or write to the Data Protection Officer at privacy@harbour.example.",
        ]),
        new PicsText("收集個人資料聲明",
        [
            "目的：閣下在報銷申請中提供的個人資料（姓名、員工編號、部門、開支詳情、收據、用作發還款項的銀行資料）會用於處理、審批、支付及記錄閣下的申請，防止欺詐，以及履行法律及審計責任。",
            "提供資料屬必須；如未能提供，申請將無法處理及發還。",
            "資料轉交對象：閣下的上司及匯報線上的審批人、負責閣下部門的財務人員、內部及外聘核數師、本公司的會計系統及受保密責任約束的服務供應商。",
            "保存期限：財務紀錄按《稅務條例》規定保存七年，其後不再需要的個人資料會被清除。從未提交的草稿會較早清除。",
            "每次查閱報銷申請、收據或審計紀錄均會被記錄。",
            "查閱及更正：根據《個人資料（私隱）條例》（第486章）第18及22條，閣下有權要求查閱及更正閣下的個人資料。閣下可透過 GET /api/me/export 下載個人資料，或致函資料保障主任 privacy@harbour.example。",
        ]));

    public static void MapPics(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/meta/pics", () => TypedResults.Ok(Statement)).AllowAnonymous().WithName("GetPics");
}
