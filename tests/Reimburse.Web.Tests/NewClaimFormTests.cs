using System.Net;
using Reimburse.Web.Pages;

namespace Reimburse.Web.Tests;

/// <summary>The new-claim form: the API's field errors beside each field, one claim per Idempotency-Key.</summary>
public sealed class NewClaimFormTests : BunitContext
{
    private const string Invalid = """
        {"type":"https://reimburse.example/problems/validation","title":"The claim has invalid fields","status":400,
         "detail":"Fix the fields listed in 'errors' and try again.",
         "errors":{"amount":["Amount is required."],"expenseDate":["Expense date cannot be in the future."],"receipts[0]":["a.gif: Unsupported file type."]}}
        """;

    private const string Accepted = """{"id":"clm_abc","status":"Submitted","statusUrl":"/api/claims/clm_abc"}""";

    [Fact]
    public void Submit_ApiAnswersValidationProblem_EachErrorShowsBesideItsFieldAndInTheSummary()
    {
        var (api, _) = this.AddApp();
        api.Answer(HttpStatusCode.BadRequest, Invalid);
        var form = Render<NewClaim>();

        form.Find("#merchant").Change("Tsui Wah");
        form.Find("form").Submit();

        form.WaitForAssertion(() => Assert.Equal("Amount is required.", form.Find("#amount-error").TextContent.Trim()));
        Assert.Equal("true", form.Find("#amount").GetAttribute("aria-invalid"));
        Assert.Equal("amount-error", form.Find("#amount").GetAttribute("aria-describedby"));
        Assert.Equal("Expense date cannot be in the future.", form.Find("#expenseDate-error").TextContent.Trim());
        Assert.Contains("Unsupported file type", form.Find("#receipts-error").TextContent);
        Assert.Empty(form.FindAll("#merchant-error"));
        Assert.Equal("false", form.Find("#merchant").GetAttribute("aria-invalid"));
        var summary = form.Find("#error-summary");
        Assert.Equal("alert", summary.GetAttribute("role"));
        Assert.Equal(3, summary.QuerySelectorAll("li").Length);
        // Nothing the user typed is lost.
        Assert.Equal("Tsui Wah", form.Find("#merchant").GetAttribute("value"));
    }

    [Fact]
    public void Submit_SentFields_AreTheFormsValuesWithBlanksLeftOut()
    {
        var (api, _) = this.AddApp();
        api.Answer(HttpStatusCode.Accepted, Accepted);
        var form = Render<NewClaim>();
        form.Find("#category").Change("meals");
        form.Find("#amount").Change(" 268.50 ");
        form.Find("#merchant").Change("Tsui Wah");
        form.Find("form").Submit();

        form.WaitForAssertion(() => Assert.Single(api.Requests));
        var (request, body) = api.Requests[0];
        Assert.Equal("/api/claims", request.RequestUri!.AbsolutePath);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal("268.50", json.RootElement.GetProperty("amount").GetString());
        Assert.Equal("meals", json.RootElement.GetProperty("category").GetString());
        Assert.Equal("HKD", json.RootElement.GetProperty("currency").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.RootElement.GetProperty("project").ValueKind);
        Assert.EndsWith("/claims/clm_abc?submitted=1", Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
    }

    [Fact]
    public void Submit_RetriedAfterAnError_SendsTheSameIdempotencyKey_ANewClaimGetsANewOne()
    {
        var (api, _) = this.AddApp();
        api.Answer(HttpStatusCode.ServiceUnavailable, """{"title":"Storage unavailable","status":503}""").Answer(HttpStatusCode.Accepted, Accepted);
        var form = Render<NewClaim>();
        form.Find("form").Submit();
        form.WaitForAssertion(() => Assert.Contains("Storage unavailable", form.Find("#error-summary").TextContent));
        form.Find("form").Submit();
        form.WaitForAssertion(() => Assert.Equal(2, api.Requests.Count));

        var keys = api.Requests.Select(r => Assert.Single(r.Request.Headers.GetValues("Idempotency-Key"))).ToList();
        Assert.Equal(keys[0], keys[1]);
        Assert.NotEqual(keys[0], form.Instance.IdempotencyKey);
    }

    [Fact]
    public async Task Submit_DoubleTapWhileTheFirstIsInFlight_SendsOneRequest()
    {
        var (api, _) = this.AddApp();
        var release = new TaskCompletionSource<HttpResponseMessage>();
        api.Answer(_ => release.Task);
        var form = Render<NewClaim>();

        form.Find("form").Submit();
        Assert.True(form.Find("#submit").HasAttribute("disabled"));
        form.Find("form").Submit();
        release.SetResult(StubApi.Json(HttpStatusCode.Accepted, Accepted));
        await Task.Delay(50);

        Assert.Single(api.Requests);
    }
}
