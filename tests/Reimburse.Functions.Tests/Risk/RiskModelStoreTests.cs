using Microsoft.Extensions.Logging.Abstractions;
using Reimburse.Core.Risk;
using Reimburse.Functions.Risk;
using Azure.Storage.Blobs;
using Reimburse.Testing;

namespace Reimburse.Tests.Risk;

/// <summary>Against Azurite: the SDK blob client.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RiskModelStoreTests(AzuriteFixture azurite)
{
    private static readonly double[][] Rows = Enumerable.Range(0, 64)
        .Select(i => Enumerable.Range(0, RiskFeatures.Names.Count).Select(f => (double)((i * 7919) + (f * 104729)) % 97).ToArray())
        .ToArray();

    private RiskModelStore NewStore() =>
        new(new BlobContainerClient(azurite.ConnectionString, AzuriteInstance.UniqueName("risk")), new FakeClock(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero)), NullLogger<RiskModelStore>.Instance);

    private static RiskModel Model(int seed, int minute) =>
        RiskModel.Train(Rows, new IsolationForestOptions(seed, 10, 32), new DateTimeOffset(2026, 11, 22, 2, minute, 0, TimeSpan.Zero), RiskModelSource.Synthetic, "harbour");

    [Fact]
    public async Task SaveActivateLoad_StoredModel_ComesBackIdentical()
    {
        var ct = TestTimeout.Token();
        var store = NewStore();
        var model = Model(1, 0);

        await store.SaveAsync("harbour", model, ct);
        await store.ActivateAsync("harbour", model.Version, ct);
        var loaded = await store.LoadActiveAsync("harbour", ct);

        Assert.Equal(model.ToJson(), loaded!.ToJson());
    }

    [Fact]
    public async Task RollbackAsync_AfterSecondActivation_ReactivatesFirst()
    {
        var ct = TestTimeout.Token();
        var store = NewStore();
        var first = Model(1, 0);
        var second = Model(2, 1);
        foreach (var m in new[] { first, second })
        {
            await store.SaveAsync("harbour", m, ct);
            await store.ActivateAsync("harbour", m.Version, ct);
        }

        var pointer = await store.RollbackAsync("harbour", cancellationToken: ct);

        Assert.Equal(first.Version, pointer.ActiveVersion);
        Assert.Equal(first.Version, (await store.LoadActiveAsync("harbour", ct))!.Version);
    }

    [Fact]
    public async Task LoadActiveAsync_NoModelYet_ReturnsNull()
    {
        var ct = TestTimeout.Token();

        Assert.Null(await NewStore().LoadActiveAsync("harbour", ct));
    }

    [Fact]
    public async Task ActivateAsync_UnknownVersion_ThrowsTypedError()
    {
        var ct = TestTimeout.Token();
        var store = NewStore();
        await store.SaveAsync("harbour", Model(1, 0), ct);

        await Assert.ThrowsAsync<RiskModelVersionException>(() => store.ActivateAsync("harbour", "if-missing", ct));
    }
}
