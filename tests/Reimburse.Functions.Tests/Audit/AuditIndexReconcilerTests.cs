using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Audit;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Audit;

[Collection(AzuriteCollection.Name)]
public sealed class AuditIndexReconcilerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Sweep_ClaimNeverDispatched_BecomesQueryableByActor()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var claim = await app.SeedClaimAsync("emp-tam", "sales", 2, ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);
        var sweeper = app.Services.GetRequiredService<AuditIndexReconciler>();

        await sweeper.SweepAsync(ct);

        var items = await auditor.AuditItemsAsync("actor=emp-tam&action=claim.submitted", ct);
        Assert.Equal(claim.Id, Assert.Single(items).GetProperty("claimId").GetString());
    }

    [Fact]
    public async Task Sweep_SecondRunWithoutChanges_IndexesNothingNew()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        await app.SeedClaimAsync("emp-tam", "sales", 2, ct);
        var sweeper = app.Services.GetRequiredService<AuditIndexReconciler>();
        await sweeper.SweepAsync(ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        await sweeper.SweepAsync(ct);

        Assert.Equal(2, (await auditor.AuditItemsAsync("department=sales&action=step.approved", ct)).Count
            + (await auditor.AuditItemsAsync("department=sales&action=claim.submitted", ct)).Count);
    }
}
