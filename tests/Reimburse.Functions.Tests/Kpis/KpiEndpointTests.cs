using System.Net;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Kpis;

[Collection(AzuriteCollection.Name)]
public sealed class KpiEndpointTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Kpis_Auditor_CountsSubmittedClaimsFromTheLog()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        await app.SeedClaimAsync("emp-chan", "sales", 1, ct);
        await app.SeedClaimAsync("emp-lee", "operations", 1, ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var all = await (await auditor.GetAsync("/api/kpis", ct)).JsonAsync(ct);
        var ops = await (await auditor.GetAsync("/api/kpis?department=operations", ct)).JsonAsync(ct);

        Assert.Equal(2, all.GetProperty("submitted").GetInt32());
        Assert.Equal(1, ops.GetProperty("submitted").GetInt32());
    }

    [Fact]
    public async Task Kpis_UnknownDepartmentOrBadRange_400()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var response = await auditor.GetAsync("/api/kpis?department=nowhere&from=2026-02-01&to=2026-01-01", ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync(ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("department", out _));
        Assert.True(errors.TryGetProperty("to", out _));
    }
}
