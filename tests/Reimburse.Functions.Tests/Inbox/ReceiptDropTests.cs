using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Inbox;

[Collection(AzuriteCollection.Name)]
public sealed class ReceiptDropTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task DroppedReceipt_KnownUser_BecomesDraftThatTheOwnerCanSubmit()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        await app.Storage.Inbox.GetBlobClient("emp-chan/2024/lunch.png").UploadAsync(new BinaryData(TestFiles.Png(4)), new BlobUploadOptions { HttpHeaders = new() { ContentType = "image/png" } }, ct);

        string? id = null;
        while (id is null)
        {
            var page = await (await chan.GetAsync("/api/claims", ct)).JsonAsync(ct);
            id = page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()).FirstOrDefault();
            if (id is null) await Task.Delay(100, ct);
        }
        var draft = await chan.WaitForStatusAsync(id, "Draft", ct);
        Assert.Equal("Inbox", draft.GetProperty("source").GetString());
        Assert.Equal("lunch.png", draft.GetProperty("receipts")[0].GetProperty("fileName").GetString());
        Assert.False(await app.Storage.Inbox.GetBlobClient("emp-chan/2024/lunch.png").ExistsAsync(ct));

        var incomplete = await chan.PostAsync($"/api/claims/{id}/submit", null, ct);
        Assert.Equal(HttpStatusCode.BadRequest, incomplete.StatusCode);
        Assert.True((await incomplete.JsonAsync(ct)).GetProperty("errors").TryGetProperty("amount", out _));

        var submit = await chan.PostAsJsonAsync($"/api/claims/{id}/submit", Api.ValidClaim(), ct);
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        await chan.WaitForStatusAsync(id, "PendingApproval", ct);
    }

    [Fact]
    public async Task SubmitDraft_ByAnotherUser_IsRefused()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        await app.Storage.Inbox.GetBlobClient("emp-chan/x.png").UploadAsync(new BinaryData(TestFiles.Png(5)), overwrite: true, cancellationToken: ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        string? id = null;
        while (id is null)
        {
            id = (await (await chan.GetAsync("/api/claims", ct)).JsonAsync(ct)).GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()).FirstOrDefault();
            await Task.Delay(50, ct);
        }

        var mgr = await app.ClientForAsync("mgr-wong", ct);
        var lee = await app.ClientForAsync("emp-lee", ct);

        Assert.Equal(HttpStatusCode.Forbidden, (await mgr.PostAsJsonAsync($"/api/claims/{id}/submit", Api.ValidClaim(), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await lee.PostAsJsonAsync($"/api/claims/{id}/submit", Api.ValidClaim(), ct)).StatusCode);
        await chan.WaitForStatusAsync(id, "Draft", ct);
    }

    [Theory]
    [InlineData("nobody/receipt.png", "unknown-user")]
    [InlineData("loose-file.png", "unknown-user")]
    [InlineData("emp-chan/notes.png", "unsupported-type")]
    public async Task DroppedFile_UnknownUserOrBadType_GoesToQuarantineWithReason(string path, string reason)
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var content = reason == "unknown-user" ? TestFiles.Png(6) : "just some text, not an image"u8.ToArray();

        await app.Storage.Inbox.GetBlobClient(path).UploadAsync(new BinaryData(content), overwrite: true, cancellationToken: ct);

        BlobProperties? quarantined = null;
        while (quarantined is null)
        {
            if (await app.Storage.Quarantine.GetBlobClient(path).ExistsAsync(ct))
            {
                quarantined = (await app.Storage.Quarantine.GetBlobClient(path).GetPropertiesAsync(cancellationToken: ct)).Value;
            }
            else
            {
                await Task.Delay(100, ct);
            }
        }
        Assert.Equal(reason, quarantined.Metadata["reason"]);
        Assert.Equal(content, ((await app.Storage.Quarantine.GetBlobClient(path).DownloadContentAsync(ct)).Value).Content.ToArray());
        Assert.False(await app.Storage.Inbox.GetBlobClient(path).ExistsAsync(ct));
        Assert.Empty(await app.Storage.Claims.QueryAsync<TableEntity>().ToListAsync(ct));
    }
}
