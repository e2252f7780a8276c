using System.Text.Json;

namespace Reimburse.Functions.OpenApi;

/// <summary>Schemas of the form bodies POST /api/claims reads (<see cref="Claims.ClaimForm"/>): plain fields, and in
/// multipart the receipt files (or the older single <c>claim</c> JSON part).</summary>
public static class FormSchemas
{
    private static Dictionary<string, object> Fields(bool files)
    {
        var properties = new Dictionary<string, object>
        {
            ["amount"] = new { type = "string", pattern = @"^\d+(\.\d+)?$", description = "e.g. 268.50 金額" },
            ["currency"] = new { type = "string", description = "ISO 4217, e.g. HKD 貨幣" },
            ["category"] = new { type = "string", description = "e.g. meals, travel 類別" },
            ["expenseDate"] = new { type = "string", format = "date", description = "yyyy-MM-dd 日期" },
            ["merchant"] = new { type = "string", description = "商戶" },
            ["description"] = new { type = "string", description = "說明" },
            ["project"] = new { type = "string" },
            ["costCentre"] = new { type = "string" },
            ["__RequestVerificationToken"] = new { type = "string", description = "Anti-forgery token for a cross-site form without a bearer token (GET /api/forms/token). 防偽造 token。" },
        };
        if (files)
        {
            properties["receipts"] = new { type = "array", maxItems = 10, items = new { type = "string", contentMediaType = "application/octet-stream" }, description = "JPEG, PNG or PDF, at most 10 MB each. 收據檔案。" };
            properties["claim"] = new { type = "string", contentMediaType = "application/json", description = "Instead of the plain fields: the claim as JSON. 或以 JSON 提供申請。" };
        }
        return properties;
    }

    public static JsonElement UrlEncoded => JsonSerializer.SerializeToElement(new { type = "object", properties = Fields(files: false) });

    public static JsonElement Multipart => JsonSerializer.SerializeToElement(new { type = "object", properties = Fields(files: true) });
}
