using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Integrations;

/// <summary>Plain HTML form posts to POST /api/claims through the real host: urlencoded and multipart, English and 中文,
/// the browser's result page, and the cross-site guard.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ClaimFormTests(AzuriteFixture azurite)
{
    private static string Yesterday => Api.HongKongToday.AddDays(-1).ToString("yyyy-MM-dd");

    private static KeyValuePair<string, string>[] Fields(string merchant = "Tsui Wah Restaurant", string description = "Lunch with supplier", string amount = "268.50") =>
    [
        new("amount", amount), new("currency", "HKD"), new("category", "meals"), new("expenseDate", Yesterday),
        new("merchant", merchant), new("description", description),
    ];

    private static string Principal(string email) => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        $$"""{"auth_typ":"aad","claims":[{"typ":"preferred_username","val":"{{email}}"}],"name_typ":"name","role_typ":"roles"}"""));

    [Fact]
    public async Task SubmitClaim_UrlEncodedForm_IsAcceptedWithTheSameFieldsAsJson()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsync("/api/claims", new FormUrlEncodedContent(Fields()), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync(ct)).GetProperty("id").GetString()!;
        var claim = await (await chan.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);
        Assert.Equal(268.50m, claim.GetProperty("amount").GetDecimal());
        Assert.Equal("HKD", claim.GetProperty("currency").GetString());
        Assert.Equal("meals", claim.GetProperty("category").GetString());
        Assert.Equal(Yesterday, claim.GetProperty("expenseDate").GetString());
        Assert.Equal("Tsui Wah Restaurant", claim.GetProperty("merchant").GetString());
        Assert.Equal("emp-chan", claim.GetProperty("ownerId").GetString());
    }

    [Fact]
    public async Task SubmitClaim_MultipartPlainFieldsInChineseWithAReceipt_StoresBoth()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var form = new MultipartFormDataContent();
        foreach (var (k, v) in Fields("翠華餐廳", "與供應商午餐"))
        {
            form.Add(new StringContent(v, Encoding.UTF8), k);
        }
        var png = new ByteArrayContent(TestFiles.Png(1));
        png.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(png, "receipts", "收據.png");

        var response = await chan.PostAsync("/api/claims", form, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync(ct)).GetProperty("id").GetString()!;
        var claim = await (await chan.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);
        Assert.Equal("翠華餐廳", claim.GetProperty("merchant").GetString());
        Assert.Equal("與供應商午餐", claim.GetProperty("description").GetString());
        Assert.Equal(1, claim.GetProperty("receipts").GetArrayLength());
        Assert.Equal("image/png", claim.GetProperty("receipts")[0].GetProperty("contentType").GetString());
    }

    [Fact]
    public async Task SubmitClaim_InvalidForm_Returns400WithTheSameErrorsAsJsonAndStoresNothing()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        KeyValuePair<string, string>[] bad = [new("amount", "lots"), new("currency", "HKD"), new("expenseDate", "21/11/2026"), new("merchant", ""), new("approver", "me")];

        var fromForm = await chan.PostAsync("/api/claims", new FormUrlEncodedContent(bad), ct);
        var fromJson = await chan.PostAsJsonAsync("/api/claims", new { amount = "lots", currency = "HKD", expenseDate = "21/11/2026", approver = "me" }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, fromForm.StatusCode);
        Assert.Equal("application/problem+json", fromForm.Content.Headers.ContentType?.MediaType);
        var formProblem = await fromForm.JsonAsync(ct);
        var jsonProblem = await fromJson.JsonAsync(ct);
        Assert.Equal("https://reimburse.example/problems/validation", formProblem.GetProperty("type").GetString());
        var formErrors = formProblem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(jsonProblem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal), formErrors);
        Assert.Contains("amount", formErrors);
        Assert.Contains("approver", formErrors);
        Assert.Equal(0, (await (await chan.GetAsync("/api/claims", ct)).JsonAsync(ct)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SubmitClaim_BrowserForm_GetsABilingualPageWithTheClaimsLink()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = new FormUrlEncodedContent(Fields()) };
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        var response = await chan.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(ct);
        var link = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/api/claims/", link, StringComparison.Ordinal);
        Assert.Contains($"href=\"{link}\"", html, StringComparison.Ordinal);
        Assert.Contains("Claim submitted", html, StringComparison.Ordinal);
        Assert.Contains("已提交報銷申請", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await chan.GetAsync(link, ct)).StatusCode);
    }

    [Fact]
    public async Task SubmitClaim_BrowserFormInvalid_GetsA400PageListingTheFields()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = new FormUrlEncodedContent(Fields(amount: "<b>1</b>")) };
        request.Headers.Accept.ParseAdd("text/html");

        var response = await chan.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("<code>amount</code>", html, StringComparison.Ordinal);
        Assert.Contains("未能提交", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>1</b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitClaim_CrossSiteFormWithoutToken_IsRefusedAndStoresNothing()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Identity:TrustAppServiceAuthentication"] = "true" }, environment: "Production");
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal("tm.chan@harbour.example"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = new FormUrlEncodedContent(Fields()) };
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        var response = await client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://reimburse.example/problems/cross-site-form", (await response.JsonAsync(ct)).GetProperty("type").GetString());
        Assert.Equal(0, (await (await client.GetAsync("/api/claims", ct)).JsonAsync(ct)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SubmitClaim_CrossSiteFormWithAntiforgeryToken_IsAccepted()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Identity:TrustAppServiceAuthentication"] = "true" }, environment: "Production");
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal("tm.chan@harbour.example"));
        var tokenResponse = await client.GetAsync("/api/forms/token", ct);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = await tokenResponse.JsonAsync(ct);
        var cookie = string.Join("; ", tokenResponse.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims")
        {
            Content = new FormUrlEncodedContent([.. Fields(), new(token.GetProperty("fieldName").GetString()!, token.GetProperty("token").GetString()!)]),
        };
        request.Headers.Add("Origin", "https://intranet.harbour.example");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        request.Headers.Add("Cookie", cookie);

        var response = await client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task SubmitClaim_CrossSiteFormWithBearerToken_IsAccepted()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = new FormUrlEncodedContent(Fields()) };
        request.Headers.Add("Origin", "https://intranet.harbour.example");

        var response = await chan.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
