using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Reimburse.Core.Exports;
using Reimburse.Functions.Claims;

namespace Reimburse.Functions.Exports.Sync;

/// <summary>Xero Accounting API: PUT /Invoices with one ACCPAY invoice (a bill) per claim, then each receipt as an
/// attachment (PUT /Invoices/{InvoiceID}/Attachments/{FileName}). Every request carries an <c>Idempotency-Key</c> derived
/// from the claim, target and export generation: Xero answers a repeat with the first result.</summary>
public sealed class XeroApi(AccountingHttp http, ReceiptStore receipts, IOptions<AccountingOptions> options) : IAccountingApi
{
    public string Provider => ExportTargets.Xero;

    /// <summary>The request body of PUT /Invoices for a bill (Xero's <c>Invoices</c> schema). Xero's CurrencyRate is foreign
    /// units per base unit, the inverse of ours.</summary>
    public static JsonObject InvoicesBody(Bill bill)
    {
        ArgumentNullException.ThrowIfNull(bill);
        var invoice = new JsonObject
        {
            ["Type"] = "ACCPAY",
            ["Contact"] = Guid.TryParse(bill.VendorRef, out var contactId)
                ? new JsonObject { ["ContactID"] = contactId.ToString() }
                : new JsonObject { ["Name"] = bill.ContactName, ["EmailAddress"] = bill.ContactEmail },
            ["Date"] = bill.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["DueDate"] = bill.DueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["LineAmountTypes"] = bill.Lines.All(l => l.TaxType == "NONE") ? "NoTax" : "Inclusive",
            ["InvoiceNumber"] = bill.Number,
            ["Reference"] = bill.Reference.Length > 255 ? bill.Reference[..255] : bill.Reference,
            ["CurrencyCode"] = bill.Currency,
            ["Status"] = "AUTHORISED",
            ["LineItems"] = new JsonArray(bill.Lines.Select(l =>
            {
                var item = new JsonObject
                {
                    ["Description"] = l.Description,
                    ["Quantity"] = l.Quantity,
                    ["UnitAmount"] = l.UnitAmount,
                    ["AccountCode"] = l.AccountCode,
                    ["TaxType"] = l.TaxType,
                };
                if (l.TrackingOption is not null)
                {
                    item["Tracking"] = new JsonArray(new JsonObject { ["Name"] = l.TrackingName, ["Option"] = l.TrackingOption });
                }
                return (JsonNode)item;
            }).ToArray()),
        };
        if (bill.Fx.Currency != bill.Fx.BaseCurrency)
        {
            invoice["CurrencyRate"] = Math.Round(1m / bill.Fx.Rate, 6, MidpointRounding.AwayFromZero);
        }
        return new JsonObject { ["Invoices"] = new JsonArray(invoice) };
    }

    public async Task<PostResult> PostBillAsync(Bill bill, IReadOnlyList<ExportReceipt> receiptFiles, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        var api = options.Value.Xero.ApiBaseUrl.TrimEnd('/');
        var body = InvoicesBody(bill).ToJsonString();
        using var response = await http.SendAsync(Provider, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"{api}/Invoices?summarizeErrors=true") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("xero-tenant-id", token.Organisation);
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            return request;
        }, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) return PostResult.Failed($"Xero refused the bill ({(int)response.StatusCode}): {Errors(text)}", response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed);
        using var doc = JsonDocument.Parse(text);
        var invoice = doc.RootElement.GetProperty("Invoices")[0];
        if (invoice.TryGetProperty("HasErrors", out var he) && he.ValueKind == JsonValueKind.True)
        {
            return PostResult.Failed("Xero refused the bill: " + Errors(invoice.GetRawText()), false);
        }
        var invoiceId = invoice.GetProperty("InvoiceID").GetString()!;
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
            var name = Uri.EscapeDataString($"{i + 1}-{r.FileName}");
            var key = $"{idempotencyKey}-a{i + 1}";
            using var attached = await http.SendAsync(Provider, token =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, $"{api}/Invoices/{invoiceId}/Attachments/{name}") { Content = new ByteArrayContent(bytes) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Headers.Add("xero-tenant-id", token.Organisation);
                request.Headers.Add("Idempotency-Key", key);
                return request;
            }, cancellationToken);
            if (!attached.IsSuccessStatusCode)
            {
                return PostResult.Failed($"Xero created bill {invoiceId} but refused receipt {r.FileName} ({(int)attached.StatusCode}): {Errors(await attached.Content.ReadAsStringAsync(cancellationToken))}", true);
            }
        }
        return PostResult.Posted(invoiceId);
    }

    /// <summary>The validation messages of a Xero error body, or its start.</summary>
    private static string Errors(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var messages = new List<string>();
            void Walk(JsonElement e)
            {
                if (e.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in e.EnumerateObject())
                    {
                        if (p.NameEquals("ValidationErrors") && p.Value.ValueKind == JsonValueKind.Array)
                            messages.AddRange(p.Value.EnumerateArray().Select(v => v.TryGetProperty("Message", out var m) ? m.GetString() ?? "" : ""));
                        else Walk(p.Value);
                    }
                }
                else if (e.ValueKind == JsonValueKind.Array) foreach (var x in e.EnumerateArray()) Walk(x);
            }
            Walk(doc.RootElement);
            if (messages.Count == 0 && doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("Message", out var msg)) messages.Add(msg.GetString() ?? "");
            return messages.Count > 0 ? string.Join("; ", messages.Distinct()) : Cut(text);
        }
        catch (JsonException)
        {
            return Cut(text);
        }
    }

    private static string Cut(string s) => s.Length > 300 ? s[..300] : s;
}
