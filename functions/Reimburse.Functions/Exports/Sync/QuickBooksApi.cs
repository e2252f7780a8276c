using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Reimburse.Core.Exports;
using Reimburse.Functions.Claims;

namespace Reimburse.Functions.Exports.Sync;

/// <summary>QuickBooks Online Accounting API v3: POST /v3/company/{realmId}/bill with AccountBasedExpenseLine lines, then
/// each receipt as an Attachable linked to the bill (POST …/upload, multipart). Every request carries QuickBooks'
/// <c>requestid</c> derived from the claim, target and export generation: QuickBooks answers a repeat with the first
/// result instead of creating a second bill.</summary>
public sealed class QuickBooksApi(AccountingHttp http, ReceiptStore receipts, IOptions<AccountingOptions> options) : IAccountingApi
{
    public const string MinorVersion = "75";

    public string Provider => ExportTargets.QuickBooks;

    /// <summary>The Bill entity (JSON of Intuit's <c>Bill</c> type). ExchangeRate is home-currency units per unit of the
    /// bill's currency, as ours.</summary>
    public static JsonObject BillBody(Bill bill)
    {
        ArgumentNullException.ThrowIfNull(bill);
        var body = new JsonObject
        {
            ["DocNumber"] = BillBuilder.ShortNumber(bill.Number),
            ["TxnDate"] = bill.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["PrivateNote"] = bill.Reference.Length > 4000 ? bill.Reference[..4000] : bill.Reference,
            ["Line"] = new JsonArray(bill.Lines.Select(l =>
            {
                var detail = new JsonObject
                {
                    ["AccountRef"] = new JsonObject { ["value"] = l.AccountCode },
                    ["TaxCodeRef"] = new JsonObject { ["value"] = l.TaxType },
                };
                if (l.TrackingOption is not null) detail["ClassRef"] = new JsonObject { ["value"] = l.TrackingOption };
                return (JsonNode)new JsonObject
                {
                    ["Description"] = l.Description,
                    ["Amount"] = l.LineAmount,
                    ["DetailType"] = "AccountBasedExpenseLineDetail",
                    ["AccountBasedExpenseLineDetail"] = detail,
                };
            }).ToArray()),
            ["VendorRef"] = new JsonObject { ["value"] = bill.VendorRef, ["name"] = bill.ContactName },
            ["CurrencyRef"] = new JsonObject { ["value"] = bill.Currency },
            ["DueDate"] = bill.DueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        if (bill.Fx.Currency != bill.Fx.BaseCurrency) body["ExchangeRate"] = bill.Fx.Rate;
        return body;
    }

    /// <summary>The metadata part of an upload: an Attachable linked to the bill.</summary>
    public static JsonObject AttachableBody(string billId, ExportReceipt receipt, string fileName) => new()
    {
        ["AttachableRef"] = new JsonArray(new JsonObject { ["EntityRef"] = new JsonObject { ["type"] = "Bill", ["value"] = billId } }),
        ["FileName"] = fileName,
        ["ContentType"] = receipt.ContentType,
    };

    public async Task<PostResult> PostBillAsync(Bill bill, IReadOnlyList<ExportReceipt> receiptFiles, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(bill.VendorRef))
        {
            return PostResult.Failed($"{bill.ContactName} has no QuickBooks vendor id: add the employee to the quickbooks mapping's employees.", false);
        }
        var api = options.Value.QuickBooks.ApiBaseUrl.TrimEnd('/');
        var body = BillBody(bill).ToJsonString();
        using var response = await http.SendAsync(Provider, token => new HttpRequestMessage(HttpMethod.Post,
            $"{api}/v3/company/{Uri.EscapeDataString(token.Organisation)}/bill?requestid={Uri.EscapeDataString(idempotencyKey)}&minorversion={MinorVersion}")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        }, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode || text.Contains("\"Fault\"", StringComparison.Ordinal))
        {
            return PostResult.Failed($"QuickBooks refused the bill ({(int)response.StatusCode}): {Fault(text)}", response.StatusCode == HttpStatusCode.Conflict);
        }
        using var doc = JsonDocument.Parse(text);
        var billId = doc.RootElement.GetProperty("Bill").GetProperty("Id").GetString()!;
        for (var i = 0; i < receiptFiles.Count; i++)
        {
            var r = receiptFiles[i];
            var (content, _) = await receipts.OpenAsync(r.BlobName, cancellationToken);
            byte[] bytes;
            await using (content)
            {
                using var buffer = new MemoryStream();
                await content.CopyToAsync(buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            var fileName = $"{i + 1}-{r.FileName}";
            var metadata = AttachableBody(billId, r, fileName).ToJsonString();
            var key = $"{idempotencyKey}-a{i + 1}";
            using var uploaded = await http.SendAsync(Provider, token =>
            {
                var form = new MultipartFormDataContent();
                var meta = new StringContent(metadata, System.Text.Encoding.UTF8, "application/json");
                form.Add(meta, "file_metadata_0", "attachment.json");
                var file = new ByteArrayContent(bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue(r.ContentType);
                form.Add(file, "file_content_0", fileName);
                return new HttpRequestMessage(HttpMethod.Post, $"{api}/v3/company/{Uri.EscapeDataString(token.Organisation)}/upload?requestid={Uri.EscapeDataString(key)}&minorversion={MinorVersion}") { Content = form };
            }, cancellationToken);
            var uploadText = await uploaded.Content.ReadAsStringAsync(cancellationToken);
            if (!uploaded.IsSuccessStatusCode || uploadText.Contains("\"Fault\"", StringComparison.Ordinal))
            {
                return PostResult.Failed($"QuickBooks created bill {billId} but refused receipt {r.FileName} ({(int)uploaded.StatusCode}): {Fault(uploadText)}", true);
            }
        }
        return PostResult.Posted(billId);
    }

    private static string Fault(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            JsonElement fault = default;
            var found = doc.RootElement.TryGetProperty("Fault", out fault)
                || (doc.RootElement.TryGetProperty("AttachableResponse", out var ar) && ar.ValueKind == JsonValueKind.Array && ar.GetArrayLength() > 0 && ar[0].TryGetProperty("Fault", out fault));
            if (found && fault.TryGetProperty("Error", out var errors))
            {
                return string.Join("; ", errors.EnumerateArray().Select(e => $"{(e.TryGetProperty("Message", out var m) ? m.GetString() : "")} {(e.TryGetProperty("Detail", out var d) ? d.GetString() : "")}".Trim()));
            }
        }
        catch (JsonException)
        {
        }
        return text.Length > 300 ? text[..300] : text;
    }
}
