using System.Net;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Security;

[Collection(AzuriteCollection.Name)]
public sealed class RateLimitTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SubmitClaim_OverTheUsersWriteLimit_429ProblemWithRetryAfterAndOtherUsersUnaffected()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:RateLimit:WritesPerWindow"] = "2", ["Reimburse:RateLimit:WindowSeconds"] = "60" });
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var tam = await app.ClientForAsync("emp-tam", ct);

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await chan.PostJsonAsync("/api/claims", Api.ValidClaim(100 + i), ct)).StatusCode);
        }
        var limited = await chan.PostJsonAsync("/api/claims", Api.ValidClaim(200), ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.EndsWith("rate-limited", (await limited.JsonAsync(ct)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await tam.PostJsonAsync("/api/claims", Api.ValidClaim(300), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await chan.GetAsync("/api/claims", ct)).StatusCode);
    }
}
