using System.Net;
using System.Text.Json;
using Reimburse.Web.Pages;

namespace Reimburse.Web.Tests;

/// <summary>A draft made from a dropped receipt: the fields the OCR filled, with their confidence, to confirm or correct.</summary>
public sealed class DraftConfirmTests : BunitContext
{
    private const string Draft = """
        {"id":"clm_d1","status":"Draft","ownerId":"emp-chan","department":"sales","source":"Inbox","category":null,"amount":347.9,"currency":"HKD",
         "expenseDate":"2026-11-30","merchant":"KOWLOON TAXI","description":null,"project":null,"costCentre":null,
         "receipts":[{"id":"r1","fileName":"taxi.jpg","contentType":"image/jpeg","length":1000,"url":"/api/claims/clm_d1/receipts/r1"}],
         "createdAt":"2026-12-01T01:00:00+00:00","submittedAt":null,"updatedAt":"2026-12-01T01:00:00+00:00","attentionReason":null,"links":{},
         "risk":null,"receiptReadings":[{"receiptId":"r1","status":"Read","reason":null,"engine":"paddle","seconds":1.2,
           "fields":{"merchant":{"value":"KOWLOON TAXI","confidence":0.74},"total":{"value":"347.90","confidence":0.83},"date":{"value":"2026-11-30","confidence":0.94}}}],
         "findings":null,"autofilledFields":["amount","expenseDate","merchant"]}
        """;

    [Fact]
    public void Draft_ShowsEachFilledFieldWithItsConfidence_SubmitsTheCorrections_AndShowsTheApisFieldErrors()
    {
        var (api, _) = this.AddApp();
        api.Answer(HttpStatusCode.OK, Draft)
            .Answer(HttpStatusCode.NotFound, """{"status":404,"title":"Not Found"}""")
            .Answer(HttpStatusCode.BadRequest, """{"status":400,"title":"The draft is not complete","errors":{"category":["Category is required."]}}""");
        var page = Render<ClaimDetail>(p => p.Add(c => c.Id, "clm_d1"));

        page.WaitForAssertion(() => Assert.Contains("(confidence 83%)", page.Find("label[for=d-amount]").TextContent));
        Assert.Contains("(confidence 74%)", page.Find("label[for=d-merchant]").TextContent);
        Assert.Contains("(confidence 94%)", page.Find("label[for=d-expenseDate]").TextContent);
        Assert.Equal("347.9", page.Find("#d-amount").GetAttribute("value"));
        Assert.Contains("Total: 347.90", page.Find("ul.readings").TextContent);

        page.Find("#d-merchant").Change("Kowloon Taxi Co");
        page.Find("section[aria-labelledby=draft-h] form").Submit();

        page.WaitForAssertion(() => Assert.Equal("Category is required.", page.Find("#d-category-error").TextContent.Trim()));
        Assert.Equal("true", page.Find("#d-category").GetAttribute("aria-invalid"));
        var (request, body) = api.Requests[^1];
        Assert.Equal("/api/claims/clm_d1/submit", request.RequestUri!.AbsolutePath);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Kowloon Taxi Co", json.RootElement.GetProperty("merchant").GetString());
        Assert.Equal("347.9", json.RootElement.GetProperty("amount").GetString());
        Assert.False(json.RootElement.TryGetProperty("category", out _));
    }
}
