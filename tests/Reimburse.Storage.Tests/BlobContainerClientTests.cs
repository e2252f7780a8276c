using System.Text;
using Azure;
using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class BlobContainerClientTests(AzuriteFixture azurite)
{
    private readonly CancellationToken _ct = TestTimeout.Token();

    private async Task<BlobContainerClient> NewContainerAsync()
    {
        var client = new BlobContainerClient(azurite.Account, AzuriteInstance.UniqueName("c"));
        await client.CreateAsync(_ct);
        return client;
    }

    [Fact]
    public async Task CreateAsync_Existing_Throws409ContainerAlreadyExists()
    {
        var client = await NewContainerAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.CreateAsync(_ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("ContainerAlreadyExists", ex.ErrorCode);
    }

    [Fact]
    public async Task CreateIfNotExistsAsync_Existing_DoesNotThrow()
    {
        var client = await NewContainerAsync();
        await client.CreateIfNotExistsAsync(_ct);
        await client.UploadAsync("a.txt", BinaryData.FromString("x"), cancellationToken: _ct);
        Assert.True(await client.ExistsAsync("a.txt", _ct));
    }

    [Fact]
    public async Task UploadAsync_ThenDownload_RoundTripsBinaryContentTypeAndMetadata()
    {
        var client = await NewContainerAsync();
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31 % 256)).ToArray();
        var metadata = new Dictionary<string, string> { ["claimId"] = "CLM-001", ["uploadedBy"] = "ada" };
        var uploaded = await client.UploadAsync("receipts/2026/r1.bin", new BinaryData(bytes),
            new BlobUploadOptions { ContentType = "image/png", Metadata = metadata }, _ct);

        var downloaded = await client.DownloadAsync("receipts/2026/r1.bin", _ct);

        Assert.Equal(bytes, downloaded.Content.ToArray());
        Assert.Equal("image/png", downloaded.Properties.ContentType);
        Assert.Equal(bytes.Length, downloaded.Properties.ContentLength);
        Assert.Equal(uploaded.ETag, downloaded.Properties.ETag);
        Assert.Equal("CLM-001", downloaded.Properties.Metadata["claimId"]);
        Assert.Equal("ada", downloaded.Properties.Metadata["uploadedBy"]);
    }

    [Fact]
    public async Task UploadAsync_UnicodeNameAndContent_RoundTrips()
    {
        var client = await NewContainerAsync();
        const string text = "收據：港島茶餐廳 — 總數 HK$ 128.50 ✓";
        await client.UploadAsync("單據/茶餐廳 收據.txt", BinaryData.FromString(text), new BlobUploadOptions { ContentType = "text/plain; charset=utf-8" }, _ct);

        var downloaded = await client.DownloadAsync("單據/茶餐廳 收據.txt", _ct);

        Assert.Equal(text, Encoding.UTF8.GetString(downloaded.Content.ToArray()));
    }

    [Fact]
    public async Task UploadAsync_IfNotExistsOnExisting_Throws409BlobAlreadyExists()
    {
        var client = await NewContainerAsync();
        await client.UploadAsync("b", BinaryData.FromString("one"), new BlobUploadOptions { IfNotExists = true }, _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.UploadAsync("b", BinaryData.FromString("two"), new BlobUploadOptions { IfNotExists = true }, _ct));

        Assert.Equal(409, ex.Status);
        Assert.Equal("BlobAlreadyExists", ex.ErrorCode);
        Assert.Equal("one", (await client.DownloadAsync("b", _ct)).Content.ToString());
    }

    [Fact]
    public async Task UploadAsync_StaleIfMatch_Throws412()
    {
        var client = await NewContainerAsync();
        var first = await client.UploadAsync("b", BinaryData.FromString("one"), cancellationToken: _ct);
        await client.UploadAsync("b", BinaryData.FromString("two"), new BlobUploadOptions { IfMatch = first.ETag }, _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.UploadAsync("b", BinaryData.FromString("three"), new BlobUploadOptions { IfMatch = first.ETag }, _ct));

        Assert.Equal(412, ex.Status);
        Assert.Equal("ConditionNotMet", ex.ErrorCode);
    }

    [Fact]
    public async Task DownloadAsync_Missing_Throws404BlobNotFound()
    {
        var client = await NewContainerAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.DownloadAsync("nope", _ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("BlobNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task OpenReadAsync_StreamsContentAndProperties()
    {
        var client = await NewContainerAsync();
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        await client.UploadAsync("big", new BinaryData(bytes), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["k"] = "v" } }, _ct);

        var (stream, properties) = await client.OpenReadAsync("big", _ct);
        await using (stream)
        {
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy, _ct);
            Assert.Equal(bytes, copy.ToArray());
        }
        Assert.Equal(bytes.Length, properties.ContentLength);
        Assert.Equal("v", properties.Metadata["k"]);
    }

    [Fact]
    public async Task OpenReadAsync_Missing_Throws404WithCode()
    {
        var client = await NewContainerAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.OpenReadAsync("nope", _ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("BlobNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task GetPropertiesAsync_Missing_Throws404()
    {
        var client = await NewContainerAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetPropertiesAsync("nope", _ct));
        Assert.Equal(404, ex.Status);
    }

    [Fact]
    public async Task SetMetadataAsync_ReplacesMetadataAndChangesETag()
    {
        var client = await NewContainerAsync();
        var uploaded = await client.UploadAsync("m", BinaryData.FromString("x"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["old"] = "1" } }, _ct);

        var etag = await client.SetMetadataAsync("m", new Dictionary<string, string> { ["status"] = "approved" }, uploaded.ETag, _ct);

        var properties = await client.GetPropertiesAsync("m", _ct);
        Assert.NotEqual(uploaded.ETag, etag);
        Assert.Equal(etag, properties.ETag);
        Assert.Equal("approved", properties.Metadata["status"]);
        Assert.False(properties.Metadata.ContainsKey("old"));
    }

    [Fact]
    public async Task SetMetadataAsync_StaleETag_Throws412()
    {
        var client = await NewContainerAsync();
        var uploaded = await client.UploadAsync("m", BinaryData.FromString("x"), cancellationToken: _ct);
        await client.SetMetadataAsync("m", new Dictionary<string, string> { ["a"] = "1" }, uploaded.ETag, _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.SetMetadataAsync("m", new Dictionary<string, string> { ["a"] = "2" }, uploaded.ETag, _ct));

        Assert.Equal(412, ex.Status);
    }

    [Theory]
    [InlineData("has-dash")]
    [InlineData("1starts")]
    [InlineData("with space")]
    [InlineData("")]
    public async Task UploadAsync_MetadataNameNotIdentifier_ThrowsArgumentException(string name)
    {
        var client = new BlobContainerClient(azurite.Account, AzuriteInstance.UniqueName("c"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.UploadAsync("b", BinaryData.FromString("x"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { [name] = "v" } }, _ct));
    }

    [Fact]
    public async Task DeleteAsync_ThenExists_ReturnsFalse()
    {
        var client = await NewContainerAsync();
        await client.UploadAsync("d", BinaryData.FromString("x"), cancellationToken: _ct);

        await client.DeleteAsync("d", cancellationToken: _ct);

        Assert.False(await client.ExistsAsync("d", _ct));
    }

    [Fact]
    public async Task DeleteAsync_Missing_Throws404()
    {
        var client = await NewContainerAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.DeleteAsync("nope", cancellationToken: _ct));
        Assert.Equal(404, ex.Status);
    }

    [Fact]
    public async Task DeleteIfExistsAsync_ReportsWhetherItDeleted()
    {
        var client = await NewContainerAsync();
        await client.UploadAsync("d", BinaryData.FromString("x"), cancellationToken: _ct);

        Assert.True(await client.DeleteIfExistsAsync("d", _ct));
        Assert.False(await client.DeleteIfExistsAsync("d", _ct));
    }

    [Fact]
    public async Task DeleteIfExistsAsync_MissingContainer_ReturnsFalse()
    {
        // Like Azure.Storage.Blobs: ContainerNotFound is a 404 too, so nothing to delete.
        var client = new BlobContainerClient(azurite.Account, AzuriteInstance.UniqueName("c"));
        Assert.False(await client.DeleteIfExistsAsync("d", _ct));
    }

    [Fact]
    public async Task ListPageAsync_MaxResults_PagesWithNextMarkerInNameOrder()
    {
        var client = await NewContainerAsync();
        var names = Enumerable.Range(0, 7).Select(i => $"claims/c{i:D2}.json").ToList();
        foreach (var name in names)
        {
            await client.UploadAsync(name, BinaryData.FromString(name), cancellationToken: _ct);
        }
        await client.UploadAsync("other/x.json", BinaryData.FromString("x"), cancellationToken: _ct);

        var seen = new List<string>();
        string? marker = null;
        var pages = 0;
        do
        {
            var page = await client.ListPageAsync("claims/", marker, maxResults: 3, cancellationToken: _ct);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(i => i.Name));
            marker = page.NextMarker;
            pages++;
        }
        while (marker is not null);

        Assert.Equal(names, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task ListAsync_IncludeMetadata_FollowsMarkersAndReturnsMetadata()
    {
        var client = await NewContainerAsync();
        var etags = new Dictionary<string, ETag>();
        for (var i = 0; i < 4; i++)
        {
            etags[$"p/{i}"] = (await client.UploadAsync($"p/{i}", BinaryData.FromString(new string('x', i + 1)),
                new BlobUploadOptions { ContentType = "text/plain", Metadata = new Dictionary<string, string> { ["index"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, _ct)).ETag;
        }

        var items = new List<BlobItem>();
        await foreach (var item in client.ListAsync("p/", includeMetadata: true, _ct))
        {
            items.Add(item);
        }

        Assert.Equal(4, items.Count);
        Assert.All(items, item => Assert.Equal(item.Name[2..], item.Metadata["index"]));
        Assert.Equal([1L, 2L, 3L, 4L], items.Select(i => i.ContentLength));
        Assert.All(items, item => Assert.Equal("text/plain", item.ContentType));
        Assert.All(items, item => Assert.Equal(etags[item.Name], item.ETag));
    }

    [Fact]
    public async Task AcquireLeaseAsync_SecondAcquire_Throws409LeaseAlreadyPresent()
    {
        var client = await NewContainerAsync();
        await client.UploadAsync("l", BinaryData.FromString("x"), cancellationToken: _ct);
        var leaseId = await client.AcquireLeaseAsync("l", TimeSpan.FromSeconds(15), cancellationToken: _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.AcquireLeaseAsync("l", TimeSpan.FromSeconds(15), cancellationToken: _ct));

        Assert.False(string.IsNullOrEmpty(leaseId));
        Assert.Equal(409, ex.Status);
        Assert.Equal("LeaseAlreadyPresent", ex.ErrorCode);
    }

    [Fact]
    public async Task ReleaseLeaseAsync_AfterRenew_AllowsAnotherAcquire()
    {
        var client = await NewContainerAsync();
        await client.UploadAsync("l", BinaryData.FromString("x"), cancellationToken: _ct);
        var proposed = Guid.NewGuid().ToString();
        var leaseId = await client.AcquireLeaseAsync("l", null, proposed, _ct);
        await client.RenewLeaseAsync("l", leaseId, _ct);

        await client.ReleaseLeaseAsync("l", leaseId, _ct);
        var again = await client.AcquireLeaseAsync("l", TimeSpan.FromSeconds(60), cancellationToken: _ct);

        Assert.Equal(proposed, leaseId);
        Assert.NotEqual(leaseId, again);
    }

    [Fact]
    public async Task RenewLeaseAsync_WrongLeaseId_Throws409()
    {
        var client = await NewContainerAsync();
        await client.UploadAsync("l", BinaryData.FromString("x"), cancellationToken: _ct);
        await client.AcquireLeaseAsync("l", TimeSpan.FromSeconds(15), cancellationToken: _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.RenewLeaseAsync("l", Guid.NewGuid().ToString(), _ct));

        Assert.Equal(409, ex.Status);
    }
}

public sealed class BlobMetadataValidationTests
{
    [Theory]
    [InlineData("茶餐廳")]
    [InlineData(" padded")]
    [InlineData("line\nbreak")]
    public void ValidateMetadata_NonAsciiOrUnsafeValue_ThrowsArgumentException(string value) =>
        Assert.Throws<ArgumentException>(() => BlobContainerClient.ValidateMetadata(new Dictionary<string, string> { ["note"] = value }));

    [Fact]
    public void ValidateMetadata_IdentifierNamesAndAsciiValues_Pass() =>
        Assert.Null(Record.Exception(() => BlobContainerClient.ValidateMetadata(new Dictionary<string, string> { ["_claim_1"] = "CLM-1 ok", ["Status"] = "" })));
}
