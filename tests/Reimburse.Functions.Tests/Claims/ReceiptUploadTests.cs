using Azure.Storage.Blobs.Models;
using Azure.Data.Tables;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Claims;

[Collection(AzuriteCollection.Name)]
public sealed class ReceiptUploadTests(AzuriteFixture azurite)
{
    private static MultipartFormDataContent Form(object claim, params (byte[] Bytes, string Name, string ContentType)[] files)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(claim), System.Text.Encoding.UTF8, "application/json"), "claim" },
        };
        foreach (var (bytes, name, type) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            form.Add(part, "receipts", name);
        }
        return form;
    }

    [Fact]
    public async Task SubmitClaim_MultipartWithReceipts_StoresThemAndServesThemToTheOwner()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var png = TestFiles.Png(1);

        var response = await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), (png, "lunch.png", "image/png"), (TestFiles.Pdf(), "invoice.pdf", "application/pdf")), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync(ct)).GetProperty("id").GetString()!;
        var claim = await (await chan.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct);
        var receipts = claim.GetProperty("receipts").EnumerateArray().ToList();
        Assert.Equal(2, receipts.Count);
        var pngReceipt = receipts.Single(r => r.GetProperty("fileName").GetString() == "lunch.png");
        var file = await chan.GetAsync(pngReceipt.GetProperty("url").GetString(), ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(png, await file.Content.ReadAsByteArrayAsync(ct));
        Assert.Equal("nosniff", file.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task SubmitClaim_SameFileOnTwoClaims_IsStoredOnce()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var png = TestFiles.Png(7);

        var a = await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), (png, "a.png", "image/png")), ct);
        var b = await chan.PostAsync("/api/claims", Form(Api.ValidClaim(amount: 12m), (png, "b.png", "image/png")), ct);

        Assert.Equal(HttpStatusCode.Accepted, a.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, b.StatusCode);
        var blobs = await app.Storage.Receipts.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, cancellationToken: ct).ToListAsync(ct);
        var blob = Assert.Single(blobs);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(png)), blob.Name);
    }

    [Fact]
    public async Task GetReceipt_SomeoneElsesClaim_Returns404WithoutTheFile()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var lee = await app.ClientForAsync("emp-lee", ct);
        var id = (await (await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), (TestFiles.Png(3), "x.png", "image/png")), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;
        var url = (await (await chan.GetAsync($"/api/claims/{id}", ct)).JsonAsync(ct)).GetProperty("receipts")[0].GetProperty("url").GetString();

        var claimAsLee = await lee.GetAsync($"/api/claims/{id}", ct);
        var fileAsLee = await lee.GetAsync(url, ct);

        Assert.Equal(HttpStatusCode.NotFound, claimAsLee.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, fileAsLee.StatusCode);
        Assert.Equal("application/problem+json", fileAsLee.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetClaim_LineManagerAndFinance_CanRead_OtherDepartmentManagerCannot()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = (await (await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).JsonAsync(ct)).GetProperty("id").GetString()!;

        foreach (var (user, expected) in new[] { ("mgr-wong", HttpStatusCode.OK), ("head-ho", HttpStatusCode.OK), ("fin-lam", HttpStatusCode.OK), ("mgr-lau", HttpStatusCode.NotFound), ("admin", HttpStatusCode.NotFound) })
        {
            var client = await app.ClientForAsync(user, ct);
            Assert.Equal(expected, (await client.GetAsync($"/api/claims/{id}", ct)).StatusCode);
        }
    }

    public static TheoryData<string, byte[], string, string, int> BadFiles => new()
    {
        { "png renamed pdf", TestFiles.Png(), "receipt.pdf", "application/pdf", 415 },
        { "zero bytes", [], "empty.jpg", "image/jpeg", 400 },
        { "truncated jpeg", TestFiles.Jpeg()[..1000], "cut.jpg", "image/jpeg", 400 },
        { "random bytes", Enumerable.Range(0, 500).Select(i => (byte)(i * 7)).ToArray(), "photo.jpg", "image/jpeg", 415 },
        { "html", "<html><script>alert(1)</script></html>"u8.ToArray(), "x.png", "image/png", 415 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task SubmitClaim_BadReceiptFile_Returns4xxNamingTheFileAndStoresNothing(string because, byte[] bytes, string name, string type, int status)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), (TestFiles.Png(9), "ok.png", "image/png"), (bytes, name, type)), ct);

        Assert.True(status == (int)response.StatusCode, because);
        var problem = await response.JsonAsync(ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("receipts[1]", out var err), because);
        Assert.Contains(name, err[0].GetString());
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
        Assert.Empty(await app.Storage.Receipts.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, cancellationToken: ct).ToListAsync(ct));
    }

    [Fact]
    public async Task SubmitClaim_ElevenFiles_Returns400()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var files = Enumerable.Range(0, 11).Select(i => (TestFiles.Png((byte)i), $"r{i}.png", "image/png")).ToArray();

        var response = await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), files), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync(ct)).GetProperty("errors").TryGetProperty("receipts", out _));
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
    }

    [Fact]
    public async Task SubmitClaim_FileOver10MB_Returns413()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var response = await chan.PostAsync("/api/claims", Form(Api.ValidClaim(), (TestFiles.Jpeg(10 * 1024 * 1024 + 10), "huge.jpg", "image/jpeg")), ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True((await response.JsonAsync(ct)).GetProperty("errors").TryGetProperty("receipts[0]", out _));
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
    }
}
