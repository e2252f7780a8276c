using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Risk;

[Collection(AzuriteCollection.Name)]
public sealed class RiskPipelineTests(AzuriteFixture azurite)
{
    private static MultipartFormDataContent Form(object claim, byte[] receipt, string name)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(claim), System.Text.Encoding.UTF8, "application/json"), "claim" } };
        var part = new ByteArrayContent(receipt);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(part, "receipts", name);
        return form;
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

    [Fact]
    public async Task SubmitClaim_SameReceiptTwice_SecondComesBackHighWithTheDuplicateReason()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var receipt = TestFiles.Png(42);

        var first = (await (await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), receipt, "lunch.png"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var firstRisk = await WaitForRiskAsync(chan, first, ct);
        var second = (await (await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), receipt, "lunch-again.png"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var secondRisk = await WaitForRiskAsync(chan, second, ct);

        Assert.NotEqual("High", firstRisk.GetProperty("level").GetString());
        Assert.Equal("High", secondRisk.GetProperty("level").GetString());
        var duplicate = secondRisk.GetProperty("reasons").EnumerateArray().Single(r => r.GetProperty("code").GetString() == "ExactDuplicate");
        Assert.Contains(first, duplicate.GetProperty("relatedClaimIds").EnumerateArray().Select(x => x.GetString()));
        Assert.False(string.IsNullOrWhiteSpace(duplicate.GetProperty("chinese").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(secondRisk.GetProperty("modelVersion").GetString()));
    }

    [Fact]
    public async Task SubmitClaim_DuplicateByAnotherEmployee_IsAlsoCaught()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var tam = await app.ClientForAsync("emp-tam", ct);
        var receipt = TestFiles.Png(43);

        var first = (await (await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), receipt, "a.png"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        await WaitForRiskAsync(chan, first, ct);
        var second = (await (await tam.PostAsync("/api/claims", Form(Api.ValidClaim(), receipt, "b.png"), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var risk = await WaitForRiskAsync(tam, second, ct);

        Assert.Equal("High", risk.GetProperty("level").GetString());
        Assert.Contains(risk.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("code").GetString() == "ExactDuplicate");
    }

    [Fact]
    public async Task RiskModel_AdminCanTrainAndRollBack_OthersCannot()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var admin = await app.ClientForAsync("admin", ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        Assert.Equal(HttpStatusCode.Forbidden, (await chan.PostAsync("/api/admin/risk-model/train", null, ct)).StatusCode);
        var v1 = (await (await admin.PostAsync("/api/admin/risk-model/train", null, ct)).JsonAsync(ct)).GetProperty("version").GetString();
        // Versions are stamped to the second (the same data retrained within one second is the same model).
        await Task.Delay(1100, ct);
        var v2 = (await (await admin.PostAsync("/api/admin/risk-model/train", null, ct)).JsonAsync(ct)).GetProperty("version").GetString();
        Assert.NotEqual(v1, v2);
        var rolledBack = await admin.PostAsync("/api/admin/risk-model/rollback", null, ct);

        Assert.Equal(HttpStatusCode.OK, rolledBack.StatusCode);
        var active = await (await admin.GetAsync("/api/admin/risk-model", ct)).JsonAsync(ct);
        Assert.Equal(v1, active.GetProperty("activeVersion").GetString());
    }
}
