using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Reimburse.Tests.Risk;

[Collection(AzuriteCollection.Name)]
public sealed class DemoHistoryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task DemoSeed_WithHistory_GivesEmployeesImportedApprovedClaims_Once()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Seed:History"] = "true", ["Reimburse:Seed:HistoryMonths"] = "1" });
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        System.Text.Json.JsonElement page;
        do
        {
            await Task.Delay(200, ct);
            page = await (await chan.GetAsync("/api/claims?pageSize=100", ct)).JsonAsync(ct);
        }
        while (page.GetProperty("items").GetArrayLength() == 0 || !await app.Storage.Config.GetBlobClient($"harbour/demo-history.json").ExistsAsync(ct));

        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.All(items, c =>
        {
            Assert.Equal("Import", c.GetProperty("source").GetString());
            Assert.Equal("Approved", c.GetProperty("status").GetString());
            Assert.Equal("emp-chan", c.GetProperty("ownerId").GetString());
        });
        var total = (await app.Storage.Claims.QueryAsync<TableEntity>("RowKey eq 'claim'").ToListAsync(ct)).Count;
        Assert.True(total > 10, $"only {total} history claims");

        var again = await app.Services.GetRequiredService<Reimburse.Functions.Company.DemoHistorySeeder>().SeedAsync(ct);
        Assert.Equal(0, again);
    }
}
