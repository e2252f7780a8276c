namespace Reimburse.Core.Approvals;

/// <summary>One entry of the fixed list of reasons for rejecting or returning a claim.</summary>
/// <param name="Code">Stable code sent by clients and stored with the decision (e.g. "duplicate").</param>
/// <param name="English">Label in English.</param>
/// <param name="Chinese">Label in Traditional Chinese (zh-HK).</param>
/// <param name="MarksAnomaly">True when a final decision with this reason labels the claim an anomaly for the risk model;
/// "other" says nothing about the claim's risk and labels nothing.</param>
public sealed record DecisionReason(string Code, string English, string Chinese, bool MarksAnomaly);

/// <summary>The structured reasons a rejection or return carries besides the free comment. Codes never change; labels may.</summary>
public static class DecisionReasons
{
    public const string Duplicate = "duplicate";
    public const string OverPolicyLimit = "over-policy-limit";
    public const string PersonalExpense = "personal-expense";
    public const string VendorNotAllowed = "vendor-not-allowed";
    public const string ReceiptMissingOrAltered = "receipt-missing-or-altered";
    public const string SuspiciousPattern = "suspicious-pattern";
    public const string Other = "other";

    /// <summary>The list in the order a form shows it.</summary>
    public static IReadOnlyList<DecisionReason> All { get; } =
    [
        new(Duplicate, "Duplicate claim", "重複申請", true),
        new(OverPolicyLimit, "Over the policy limit", "超出政策上限", true),
        new(PersonalExpense, "Personal expense", "私人開支", true),
        new(VendorNotAllowed, "Vendor not allowed", "不獲准許的商戶", true),
        new(ReceiptMissingOrAltered, "Receipt missing or altered", "收據缺失或經修改", true),
        new(SuspiciousPattern, "Suspicious pattern", "可疑模式", true),
        new(Other, "Other", "其他", false),
    ];

    private static readonly Dictionary<string, DecisionReason> ByCode = All.ToDictionary(r => r.Code, StringComparer.Ordinal);

    /// <summary>The reason with this exact code (codes are lower-case kebab), or null.</summary>
    public static DecisionReason? Find(string? code) => code is not null && ByCode.TryGetValue(code, out var r) ? r : null;

    /// <summary>The valid codes, comma-separated, for error messages.</summary>
    public static string CodeList { get; } = string.Join(", ", All.Select(r => r.Code));
}
