using System.Net;
using System.Text;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Security;

/// <summary>X-MS-CLIENT-PRINCIPAL on the auditor API: refused unless App Service Authentication fronts the app, and
/// refused when garbage even then (the Identity tests cover the claims API).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PrincipalHeaderTests(AzuriteFixture azurite)
{
    private static string Principal(string email) => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        $$"""{"auth_typ":"aad","claims":[{"typ":"preferred_username","val":"{{email}}"}]}"""));

    [Theory]
    [InlineData("/api/audit")]
    [InlineData("/api/audit/export.csv")]
    [InlineData("/api/me/export")]
    public async Task AuditorPrincipal_NotBehindAppService_401(string url)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal("hy.yip@harbour.example"));

        var response = await client.GetAsync(url, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("\"items\"", await response.Content.ReadAsStringAsync(ct));
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("eyJub3QiOiJjbGFpbXMifQ==")]
    [InlineData("W10=")]
    public async Task GarbagePrincipal_BehindAppService_401(string header)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Identity:TrustAppServiceAuthentication"] = "true" }, environment: "Production");
        var client = await app.StartAsync(ct);
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-MS-CLIENT-PRINCIPAL", header);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/audit", ct)).StatusCode);
    }
}
