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

/// <summary>The demo's six months of history carry finance's decisions, so the learned layer is trained right after seeding;
/// the admin endpoint says which model scores and why (activated only when it is not worse than rules + forest).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DemoLearnedLayerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task DemoSeed_SixMonthsWithDecisions_LearnedLayerTrainedAndShownOnAdminEndpoint()
    {
        var ct = TestTimeout.Token(240);
        await using var app = new ReimburseApp(azurite, new() { ["Reimburse:Seed:History"] = "true", ["Reimburse:Seed:HistoryMonths"] = "6" });
        await app.StartAsync(ct);
        var admin = await app.ClientForAsync("admin", ct);

        System.Text.Json.JsonElement learned;
        do
        {
            await Task.Delay(500, ct);
            var response = await admin.GetAsync("/api/admin/risk-model", ct);
            learned = response.IsSuccessStatusCode ? (await response.JsonAsync(ct)).GetProperty("learned") : default;
        }
        while (learned.ValueKind != System.Text.Json.JsonValueKind.Object || learned.GetProperty("lastTraining").ValueKind == System.Text.Json.JsonValueKind.Null);

        var last = learned.GetProperty("lastTraining");
        Assert.StartsWith("ft-", last.GetProperty("candidateVersion").GetString(), StringComparison.Ordinal);
        Assert.True(last.GetProperty("labelledAnomalies").GetInt32() >= 20, last.GetProperty("why").GetString());
        Assert.True(learned.GetProperty("labels").GetProperty("anomalies").GetInt32() >= 20);
        if (last.GetProperty("activated").GetBoolean())
        {
            Assert.Equal("fasttree", learned.GetProperty("kind").GetString());
            Assert.Equal(last.GetProperty("candidateVersion").GetString(), learned.GetProperty("version").GetString());
        }
        else
        {
            Assert.Equal("rules+forest", learned.GetProperty("kind").GetString());
            Assert.Contains("not activated", last.GetProperty("why").GetString(), StringComparison.Ordinal);
        }
        var rejected = (await app.Storage.Claims.QueryAsync<TableEntity>("RowKey eq 'claim'").ToListAsync(ct))
            .Select(r => Reimburse.Functions.Approvals.WorkflowRows.ReadState(r.PartitionKey, r)).Where(s => s.Status == Reimburse.Core.Approvals.WorkflowStatus.Rejected).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, s => Assert.NotNull(Reimburse.Core.Approvals.DecisionReasons.Find(s.History[^1].ReasonCode)));
    }
}
