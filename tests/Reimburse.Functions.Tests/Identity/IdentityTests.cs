using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Reimburse.Tests.Identity;

[Collection(AzuriteCollection.Name)]
public sealed class IdentityTests(AzuriteFixture azurite)
{
    private static string Principal(string email) => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        $$"""{"auth_typ":"aad","claims":[{"typ":"preferred_username","val":"{{email}}"},{"typ":"name","val":"Someone"}],"name_typ":"name","role_typ":"roles"}"""));

    [Fact]
    public async Task Claims_WithoutToken_Returns401Problem()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);

        var response = await client.GetAsync("/api/claims", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("rbt1.eyJzdWIiOiJhZG1pbiJ9.AAAA")]
    public async Task Claims_ForgedToken_Returns401(string token)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/claims", ct)).StatusCode);
    }

    [Fact]
    public async Task Token_TamperedPayload_Returns401()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);
        var token = await ReimburseApp.TokenAsync(client, "emp-chan", ct);
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(parts[1].Replace('-', '+').Replace('_', '/').PadRight((parts[1].Length + 3) / 4 * 4, '=')));
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("emp-chan", "fin-lam"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"{parts[0]}.{forged}.{parts[2]}");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/claims", ct)).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PrincipalHeader_InStandaloneMode_Returns401EvenWithAValidToken(bool withToken)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = withToken ? await app.StartAsync(ct).ContinueWith(_ => app.ClientForAsync("emp-chan", ct), ct).Unwrap() : await app.StartAsync(ct);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal("kw.cheung@harbour.example"));

        var response = await client.GetAsync("/api/claims", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task PrincipalHeader_BehindAppServiceAuth_SignsInTheDirectoryUser()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Identity:TrustAppServiceAuthentication"] = "true" }, environment: "Production");
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal("ky.lee@harbour.example"));

        var response = await client.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync(ct)).GetProperty("id").GetString();
        var claim = await (await client.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);
        Assert.Equal("emp-lee", claim.GetProperty("ownerId").GetString());
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("eyJub3QiOiJjbGFpbXMifQ==")]
    public async Task PrincipalHeader_Garbage_Returns401(string header)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Identity:TrustAppServiceAuthentication"] = "true" }, environment: "Production");
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", header);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/claims", ct)).StatusCode);
    }

    [Fact]
    public async Task DevTokens_OutsideDevelopment_DoesNotExist()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, environment: "Production");
        var client = await app.StartAsync(ct);

        var response = await client.PostAsJsonAsync("/api/dev/tokens", new { userId = "emp-chan" }, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task DevTokens_UnknownUser_Returns400NamingUserId()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);

        var response = await client.PostAsJsonAsync("/api/dev/tokens", new { userId = "mallory" }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync(ct)).GetProperty("errors").TryGetProperty("userId", out _));
    }

    [Fact]
    public async Task DevToken_Expired_Returns401()
    {
        var ct = TestTimeout.Token();
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        await using var app = new ReimburseApp(azurite, services: s => s.AddSingleton<TimeProvider>(clock));
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        Assert.Equal(HttpStatusCode.OK, (await chan.GetAsync("/api/claims", ct)).StatusCode);

        clock.Advance(TimeSpan.FromHours(9));

        Assert.Equal(HttpStatusCode.Unauthorized, (await chan.GetAsync("/api/claims", ct)).StatusCode);
    }
}
