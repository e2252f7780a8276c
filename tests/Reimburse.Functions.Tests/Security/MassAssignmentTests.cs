using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Security;

[Collection(AzuriteCollection.Name)]
public sealed class MassAssignmentTests(AzuriteFixture azurite)
{
    public static TheoryData<string, object> ServerOwnedFields => new()
    {
        { "status", "Approved" },
        { "ownerId", "fin-lam" },
        { "department", "finance" },
        { "approverId", "emp-chan" },
        { "approvedAmount", 99999 },
    };

    private static Dictionary<string, object?> ClaimWith(string field, object value)
    {
        var body = JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(Api.ValidClaim()))!;
        body[field] = value;
        return body;
    }

    [Theory]
    [MemberData(nameof(ServerOwnedFields))]
    public async Task SubmitClaim_ServerOwnedFieldInBody_400NamingItAndNothingStored(string field, object value)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostJsonAsync("/api/claims", ClaimWith(field, value), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync(ct)).GetProperty("errors").TryGetProperty(field, out _));
        var list = await (await chan.GetAsync("/api/claims", ct)).JsonAsync(ct);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(ServerOwnedFields))]
    public async Task SubmitDraft_ServerOwnedFieldInBody_400AndStoredClaimUnchanged(string field, object value)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var draft = await app.SeedClaimAsync("emp-chan", "sales", 1, ct, ClaimStatus.Draft);
        var store = app.Services.GetRequiredService<ClaimStore>();
        var before = await store.GetAsync(draft.Id, ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostJsonAsync($"/api/claims/{draft.Id}/submit", new Dictionary<string, object> { [field] = value, ["description"] = "changed" }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var after = await store.GetAsync(draft.Id, ct);
        Assert.Equal(before!.ETag, after!.ETag);
        Assert.Equal(before.Claim, after.Claim with { Receipts = before.Claim.Receipts });
        Assert.Equal(before.AuditSequence, after.AuditSequence);
    }
}
