using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Security;

/// <summary>Issue 17: text that is not text (lone surrogates, bytes that are not UTF-8, duplicate keys) is a 400 naming the
/// field, never a 500; the full-width re-submission is still a duplicate. docs/security-input.md.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HostileTextTests(AzuriteFixture azurite)
{
    private static readonly string Yesterday = Api.HongKongToday.AddDays(-1).ToString("yyyy-MM-dd");

    private static string ClaimJson(string field, string rawJsonValue)
    {
        var fields = new Dictionary<string, string>
        {
            ["category"] = "\"meals\"", ["amount"] = "\"268.50\"", ["currency"] = "\"HKD\"", ["expenseDate"] = $"\"{Yesterday}\"", ["merchant"] = "\"Tsui Wah Restaurant\"",
        };
        fields[field] = rawJsonValue;
        return "{" + string.Join(",", fields.Select(kv => $"\"{kv.Key}\":{kv.Value}")) + "}";
    }

    [Theory]
    [InlineData("category")]
    [InlineData("currency")]
    [InlineData("merchant")]
    public void Parse_LoneSurrogateInTextField_ErrorNamesTheFieldInsteadOfThrowing(string field)
    {
        // Before the fix: InvalidOperationException "Cannot read incomplete UTF-16 JSON text as string with missing low surrogate".
        using var doc = JsonDocument.Parse(ClaimJson(field, "\"Tsui\\ud800Wah\""));

        var (_, errors) = ClaimRequest.Parse(doc.RootElement);

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Parse_LoneSurrogateInPropertyName_RefusedInsteadOfThrowing()
    {
        using var doc = JsonDocument.Parse("{\"merch\\udc00ant\":\"x\",\"category\":\"meals\"}");

        var (_, errors) = ClaimRequest.Parse(doc.RootElement);

        Assert.Contains("$", errors.Keys);
    }

    [Fact]
    public async Task SubmitClaim_InvalidTextInAnyField_400ProblemNamingItAndNothingStored()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var cases = new List<(string Field, HttpContent Body)>();
        foreach (var field in new[] { "category", "currency", "merchant" })
        {
            cases.Add((field, new StringContent(ClaimJson(field, "\"\\ud800\""), Encoding.UTF8, "application/json")));
            cases.Add((field, new StringContent(ClaimJson(field, "\"a\\udfffb\""), Encoding.UTF8, "application/json")));
            // Bytes that are not UTF-8 inside the string (0xC3 0x28, 0xFF).
            var json = ClaimJson(field, "\"XX\"");
            var bytes = Encoding.UTF8.GetBytes(json); // all ASCII: byte index = char index
            var at = json.IndexOf("\"XX\"", StringComparison.Ordinal) + 1;
            bytes[at] = 0xC3;
            bytes[at + 1] = 0xFF;
            var raw = new ByteArrayContent(bytes);
            raw.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            cases.Add((field, raw));
        }

        foreach (var (field, body) in cases)
        {
            var response = await chan.PostAsync("/api/claims", body, ct);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.JsonAsync(ct);
            Assert.EndsWith("/malformed-request", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{field}: {problem}");
        }
        var list = await (await chan.GetAsync("/api/claims", ct)).JsonAsync(ct);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Api_DuplicateKeysLoneSurrogatesAndBadPercentEncoding_AllClear400s()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var mgr = await app.ClientForAsync("mgr-wong", ct);

        var requests = new (HttpClient Client, HttpMethod Method, string Url, string? Json, string Field)[]
        {
            (chan, HttpMethod.Post, "/api/claims", ClaimJson("amount", "\"1\"") .Replace("\"amount\":\"1\"", "\"amount\":\"1\",\"amount\":\"99999\"", StringComparison.Ordinal), "$"),
            (mgr, HttpMethod.Post, "/api/claims/c-1/decisions", "{\"decision\":\"reject\",\"comment\":\"\\ud83d\"}", "comment"),
            (mgr, HttpMethod.Post, "/api/me/delegations", "{\"to\":\"\\udc00\",\"start\":\"2026-12-01\",\"end\":\"2026-12-02\"}", "to"),
            (chan, HttpMethod.Post, "/api/dev/tokens", "{\"userId\":\"emp-chan\\ud800\"}", "userId"),
            // Found by `bench fuzz` (seed 2026): a lone surrogate in a property name beside another property was a 500.
            (chan, HttpMethod.Post, "/api/dev/tokens", "{\"userId\":\"emp-chan\",\"\\ud800\":\"x\"}", "$"),
            (mgr, HttpMethod.Post, "/api/claims/c-1/withdraw", "{\"reason\":\"x\",\"\\ud800\":\"\\uD86F\\uDEAD\"}", "$"),
            (chan, HttpMethod.Post, "/api/claims", "{\"category\":\"meals\",\"\\udc00\":1}", "$"),
            (chan, HttpMethod.Get, "/api/claims?pageSize=%FF", null, "query.pageSize"),
            (chan, HttpMethod.Get, "/api/claims?continuationToken=%ED%A0%80", null, "query.continuationToken"), // an encoded surrogate
            (chan, HttpMethod.Get, "/api/claims/%C3%28", null, "path"),
        };
        foreach (var (client, method, url, json, field) in requests)
        {
            var request = new HttpRequestMessage(method, url);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");

            var response = await client.SendAsync(request, ct);

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.JsonAsync(ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{url}: {problem}");
        }
        var list = await (await chan.GetAsync("/api/claims", ct)).JsonAsync(ct);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SubmitClaim_SameTaxiFareRetypedFullWidth_SecondIsHighNearDuplicate()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var first = await SubmitAsync(chan, "{\"category\":\"transport\",\"amount\":188.4,\"currency\":\"HKD\",\"expenseDate\":\"" + Yesterday + "\",\"merchant\":\"HK Taxi\"}", ct);
        var firstRisk = await WaitForRiskAsync(chan, first, ct);
        var second = await SubmitAsync(chan, "{\"category\":\"ｔｒａｎｓｐｏｒｔ\",\"amount\":\"188.40\",\"currency\":\"ＨＫＤ\",\"expenseDate\":\"" + Yesterday + "\",\"merchant\":\"ＨＫ Ｔａｘｉ\"}", ct);
        var secondRisk = await WaitForRiskAsync(chan, second, ct);

        Assert.NotEqual("High", firstRisk.GetProperty("level").GetString());
        Assert.Equal("High", secondRisk.GetProperty("level").GetString());
        var near = secondRisk.GetProperty("reasons").EnumerateArray().Single(r => r.GetProperty("code").GetString() == "NearDuplicate");
        Assert.Contains(first, near.GetProperty("relatedClaimIds").EnumerateArray().Select(x => x.GetString()));
        // What the claimant typed is kept and shown as typed.
        var shown = await (await chan.GetAsync($"/api/claims/{second}", ct)).JsonAsync(ct);
        Assert.Contains("ＨＫ Ｔａｘｉ", shown.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitClaim_CyrillicLookAlikeInMerchant_FlaggedAsReason()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var id = await SubmitAsync(chan, "{\"category\":\"meals\",\"amount\":\"86.50\",\"currency\":\"HKD\",\"expenseDate\":\"" + Yesterday + "\",\"merchant\":\"Tsui W\u0430h\"}", ct);
        var risk = await WaitForRiskAsync(chan, id, ct);

        var reason = risk.GetProperty("reasons").EnumerateArray().Single(r => r.GetProperty("code").GetString() == "LookAlikeText");
        Assert.Contains("U+0430", reason.GetProperty("english").GetString(), StringComparison.Ordinal);
    }

    private static async Task<string> SubmitAsync(HttpClient client, string json, CancellationToken ct)
    {
        var response = await client.PostAsync("/api/claims", new StringContent(json, Encoding.UTF8, "application/json"), ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(ct));
        return (await response.JsonAsync(ct)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> WaitForRiskAsync(HttpClient client, string id, CancellationToken ct)
    {
        while (true)
        {
            var claim = await (await client.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);
            if (claim.TryGetProperty("risk", out var risk) && risk.ValueKind == JsonValueKind.Object) return risk;
            await Task.Delay(100, ct);
        }
    }
}
