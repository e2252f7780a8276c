using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Reimburse.Core.Audit;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Reimburse.Tests.Claims;

[Collection(AzuriteCollection.Name)]
public sealed class SubmitClaimTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SubmitClaim_ValidJson_Returns202AndThePipelineReceivesIt()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.JsonAsync(ct);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"/api/claims/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("Submitted", body.GetProperty("status").GetString());
        var claim = await chan.WaitForStatusAsync(id, "PendingApproval", ct);
        Assert.Equal("emp-chan", claim.GetProperty("ownerId").GetString());
        Assert.Equal("sales", claim.GetProperty("department").GetString());
        Assert.Equal(268.50m, claim.GetProperty("amount").GetDecimal());
        Assert.Equal("HKD", claim.GetProperty("currency").GetString());
    }

    [Fact]
    public async Task SubmitClaim_Accepted_WritesAVerifiableAuditChain()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = (await (await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        await chan.WaitForStatusAsync(id, "PendingApproval", ct);

        var chain = await app.Services.GetRequiredService<ClaimStore>().ReadAuditAsync(id, ct);

        Assert.Equal(["claim.submitted", "claim.received"], chain.Take(2).Select(e => e.Action));
        Assert.DoesNotContain(chain, e => e.Action == "claim.receipts-read"); // no receipts: the receipts step writes nothing
        Assert.Equal("emp-chan", chain[0].ActorId);
        Assert.NotNull(chain[0].SourceIp);
        Assert.Null(AuditChain.FindFirstBroken(chain));
    }

    [Fact]
    public async Task SubmitClaim_EveryFieldInvalid_Returns400ListingAllAndStoresNothing()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsJsonAsync("/api/claims", new
        {
            category = "yacht",
            amount = -5,
            currency = "XXX",
            expenseDate = Api.HongKongToday.AddDays(3).ToString("yyyy-MM-dd"),
            merchant = "Bad\u001b[31mMerchant",
        }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync(ct);
        Assert.Equal("https://reimburse.example/problems/validation", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "category", "amount", "currency", "expenseDate", "merchant" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"missing error for {field}: {errors}");
        }
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
        Assert.Empty(await app.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>().GetAllInstancesAsync().ToListAsync(ct));
    }

    [Theory]
    [InlineData("{\"category\":\"meals\",", "$")]
    [InlineData("[1,2,3]", "$")]
    [InlineData("{\"category\":\"meals\",\"amount\":\"12.3.4\",\"merchant\":\"X\",\"expenseDate\":\"2024-13-45\"}", "amount")]
    [InlineData("{\"category\":7,\"amount\":10,\"merchant\":\"X\",\"expenseDate\":\"2024-01-01\"}", "category")]
    [InlineData("{\"category\":\"meals\",\"amount\":1e400,\"merchant\":\"X\",\"expenseDate\":\"2024-01-01\"}", "amount")]
    [InlineData("{\"category\":\"meals\",\"amount\":99999999,\"merchant\":\"X\",\"expenseDate\":\"2024-01-01\"}", "amount")]
    public async Task SubmitClaim_MalformedOrWrongTypes_Returns400NamingTheField(string body, string field)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsync("/api/claims", new StringContent(body, Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync(ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
    }

    [Fact]
    public async Task SubmitClaim_ServerOwnedFieldsInBody_AreRefusedAndNothingStored()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsJsonAsync("/api/claims", new
        {
            category = "meals", amount = 100, expenseDate = Api.HongKongToday.ToString("yyyy-MM-dd"), merchant = "Fairwood",
            status = "Approved", ownerId = "emp-lee", department = "finance", approverId = "mgr-wong", approvedAmount = 100,
        }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync(ct)).GetProperty("errors");
        foreach (var f in new[] { "status", "ownerId", "department", "approverId", "approvedAmount" })
        {
            Assert.True(errors.TryGetProperty(f, out _), f);
        }
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
    }

    [Fact]
    public async Task SubmitClaim_SameIdempotencyKeyTwice_CreatesOneClaim()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        async Task<HttpResponseMessage> Post(object claim)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = JsonContent.Create(claim) };
            request.Headers.Add("Idempotency-Key", "retry-123");
            return await chan.SendAsync(request, ct);
        }
        var first = await Post(Api.ValidClaim());
        var second = await Post(Api.ValidClaim());
        var different = await Post(Api.ValidClaim(amount: 999m));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal((await first.JsonAsync(ct)).GetProperty("id").GetString(), (await second.JsonAsync(ct)).GetProperty("id").GetString());
        Assert.Equal((HttpStatusCode)422, different.StatusCode);
        var claimRows = await app.Storage.Claims.QueryAsync<TableEntity>("RowKey eq 'claim'").ToListAsync(ct);
        Assert.Single(claimRows);
    }

    [Fact]
    public async Task SubmitClaim_ConcurrentRetriesWithOneKey_CreateOneClaim()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = JsonContent.Create(Api.ValidClaim()) };
            request.Headers.Add("Idempotency-Key", "double-click");
            return chan.SendAsync(request, ct);
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(await app.Storage.Claims.QueryAsync<TableEntity>("RowKey eq 'claim'").ToListAsync(ct));
    }

    [Fact]
    public async Task SubmitClaim_OwnerAndDepartment_ComeFromTheToken()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var lee = await app.ClientForAsync("emp-lee", ct);

        var id = (await (await lee.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var claim = await (await lee.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);

        Assert.Equal("emp-lee", claim.GetProperty("ownerId").GetString());
        Assert.Equal("operations", claim.GetProperty("department").GetString());
    }
}
