using Azure;
using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class TableClientTests(AzuriteFixture azurite)
{
    private readonly CancellationToken _ct = TestTimeout.Token();

    private async Task<TableClient> NewTableAsync()
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await client.CreateIfNotExistsAsync(_ct);
        return client;
    }

    [Fact]
    public async Task CreateIfNotExistsAsync_Twice_DoesNotThrow()
    {
        var client = await NewTableAsync();
        await client.CreateIfNotExistsAsync(_ct);
        await client.AddEntityAsync(new TableEntity("p", "r"), _ct);
        Assert.NotNull(await client.GetEntityIfExistsAsync("p", "r", cancellationToken: _ct));
    }

    [Fact]
    public async Task AddEntityAsync_ThenGet_RoundTripsEveryType()
    {
        var client = await NewTableAsync();
        var when = new DateTimeOffset(2026, 11, 22, 3, 4, 5, 678, TimeSpan.FromHours(8));
        var id = Guid.NewGuid();
        var entity = new TableEntity("claims", "C-001")
        {
            ["Text"] = "茶餐廳 午餐",
            ["Flag"] = true,
            ["Int"] = 42,
            ["Long"] = 9_007_199_254_740_993L,
            ["SmallLong"] = 5L,
            ["Double"] = 2.0,
            ["Fraction"] = 0.125,
            ["When"] = when,
            ["WhenUtc"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            ["Id"] = id,
            ["Bytes"] = new byte[] { 0, 1, 2, 255 },
        };
        var etag = await client.AddEntityAsync(entity, _ct);

        var read = await client.GetEntityAsync("claims", "C-001", cancellationToken: _ct);

        Assert.Equal("茶餐廳 午餐", read["Text"]);
        Assert.Equal(true, read["Flag"]);
        Assert.Equal(42, read["Int"]);
        Assert.Equal(9_007_199_254_740_993L, read["Long"]);
        Assert.Equal(5L, read["SmallLong"]);
        Assert.Equal(2.0, read["Double"]);
        Assert.Equal(0.125, read["Fraction"]);
        Assert.Equal(when, read["When"]);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), read["WhenUtc"]);
        Assert.Equal(id, read["Id"]);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, read["Bytes"]);
        Assert.Equal(etag, read.ETag);
        Assert.NotNull(read.Timestamp);
        Assert.Equal("claims", read.PartitionKey);
        Assert.Equal("C-001", read.RowKey);
    }

    [Fact]
    public async Task AddEntityAsync_Existing_Throws409EntityAlreadyExists()
    {
        var client = await NewTableAsync();
        await client.AddEntityAsync(new TableEntity("p", "r"), _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.AddEntityAsync(new TableEntity("p", "r"), _ct));

        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
    }

    [Fact]
    public async Task AddEntityAsync_MissingTable_Throws404TableNotFound()
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.AddEntityAsync(new TableEntity("p", "r"), _ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("TableNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task UpsertEntityAsync_Merge_KeepsOtherProperties()
    {
        var client = await NewTableAsync();
        await client.UpsertEntityAsync(new TableEntity("p", "r") { ["A"] = "1", ["B"] = "2" }, TableUpdateMode.Merge, _ct);

        await client.UpsertEntityAsync(new TableEntity("p", "r") { ["B"] = "3" }, TableUpdateMode.Merge, _ct);

        var read = await client.GetEntityAsync("p", "r", cancellationToken: _ct);
        Assert.Equal("1", read["A"]);
        Assert.Equal("3", read["B"]);
    }

    [Fact]
    public async Task UpsertEntityAsync_Replace_DropsOtherProperties()
    {
        var client = await NewTableAsync();
        await client.UpsertEntityAsync(new TableEntity("p", "r") { ["A"] = "1", ["B"] = "2" }, TableUpdateMode.Replace, _ct);

        await client.UpsertEntityAsync(new TableEntity("p", "r") { ["B"] = "3" }, TableUpdateMode.Replace, _ct);

        var read = await client.GetEntityAsync("p", "r", cancellationToken: _ct);
        Assert.False(read.ContainsKey("A"));
        Assert.Equal("3", read["B"]);
    }

    [Fact]
    public async Task UpdateEntityAsync_CurrentETag_SucceedsAndReturnsNewETag()
    {
        var client = await NewTableAsync();
        var etag = await client.AddEntityAsync(new TableEntity("p", "r") { ["Status"] = "Submitted" }, _ct);

        var newEtag = await client.UpdateEntityAsync(new TableEntity("p", "r") { ["Status"] = "Approved" }, etag, cancellationToken: _ct);

        var read = await client.GetEntityAsync("p", "r", cancellationToken: _ct);
        Assert.NotEqual(etag, newEtag);
        Assert.Equal(newEtag, read.ETag);
        Assert.Equal("Approved", read["Status"]);
    }

    [Fact]
    public async Task UpdateEntityAsync_StaleETag_Throws412UpdateConditionNotSatisfied()
    {
        var client = await NewTableAsync();
        var etag = await client.AddEntityAsync(new TableEntity("p", "r") { ["Status"] = "Submitted" }, _ct);
        await client.UpdateEntityAsync(new TableEntity("p", "r") { ["Status"] = "Approved" }, etag, cancellationToken: _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.UpdateEntityAsync(new TableEntity("p", "r") { ["Status"] = "Rejected" }, etag, cancellationToken: _ct));

        Assert.Equal(412, ex.Status);
        Assert.Equal("UpdateConditionNotSatisfied", ex.ErrorCode);
        Assert.Equal("Approved", (await client.GetEntityAsync("p", "r", cancellationToken: _ct))["Status"]);
    }

    [Fact]
    public async Task UpdateEntityAsync_Missing_Throws404()
    {
        var client = await NewTableAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.UpdateEntityAsync(new TableEntity("p", "nope"), ETag.All, cancellationToken: _ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("ResourceNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task DeleteEntityAsync_DefaultETag_DeletesUnconditionally()
    {
        var client = await NewTableAsync();
        await client.AddEntityAsync(new TableEntity("p", "r"), _ct);

        await client.DeleteEntityAsync("p", "r", cancellationToken: _ct);

        Assert.Null(await client.GetEntityIfExistsAsync("p", "r", cancellationToken: _ct));
    }

    [Fact]
    public async Task DeleteEntityAsync_StaleETag_Throws412()
    {
        var client = await NewTableAsync();
        var etag = await client.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 }, _ct);
        await client.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, cancellationToken: _ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.DeleteEntityAsync("p", "r", etag, _ct));

        Assert.Equal(412, ex.Status);
    }

    [Fact]
    public async Task DeleteEntityAsync_Missing_Throws404()
    {
        var client = await NewTableAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.DeleteEntityAsync("p", "nope", cancellationToken: _ct));
        Assert.Equal(404, ex.Status);
    }

    [Fact]
    public async Task GetEntityAsync_Missing_Throws404ResourceNotFound()
    {
        var client = await NewTableAsync();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetEntityAsync("p", "nope", cancellationToken: _ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("ResourceNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task GetEntityIfExistsAsync_Missing_ReturnsNull()
    {
        var client = await NewTableAsync();
        Assert.Null(await client.GetEntityIfExistsAsync("p", "nope", cancellationToken: _ct));
    }

    [Fact]
    public async Task GetEntityAsync_Select_ReturnsOnlySelectedProperties()
    {
        var client = await NewTableAsync();
        await client.AddEntityAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = "b" }, _ct);

        var read = await client.GetEntityAsync("p", "r", ["A"], _ct);

        Assert.Equal("a", read["A"]);
        Assert.False(read.ContainsKey("B"));
    }

    [Fact]
    public async Task GetEntityAsync_KeysWithQuotesSpacesAndChinese_RoundTrip()
    {
        var client = await NewTableAsync();
        await client.AddEntityAsync(new TableEntity("陳大文's claims", "2026-11 午餐 #1".Replace("#", "no.", StringComparison.Ordinal)) { ["V"] = 1 }, _ct);

        var read = await client.GetEntityAsync("陳大文's claims", "2026-11 午餐 no.1", cancellationToken: _ct);

        Assert.Equal(1, read["V"]);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\u0001b")]
    public async Task AddEntityAsync_ForbiddenKeyCharacter_ThrowsArgumentException(string rowKey)
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.AddEntityAsync(new TableEntity("p", rowKey), _ct));
    }

    [Fact]
    public async Task AddEntityAsync_KeyOver1KiB_ThrowsArgumentException()
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.AddEntityAsync(new TableEntity("p", new string('k', 513)), _ct));
    }

    [Fact]
    public async Task AddEntityAsync_DecimalProperty_ThrowsArgumentException()
    {
        var client = new TableClient(azurite.Account, AzuriteInstance.UniqueName("t"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.AddEntityAsync(new TableEntity("p", "r") { ["Amount"] = 12.5m }, _ct));
    }

    [Fact]
    public async Task DeleteIfExistsAsync_Table_RemovesItAndSwallowsSecond404()
    {
        var client = await NewTableAsync();
        await client.DeleteIfExistsAsync(_ct);
        await client.DeleteIfExistsAsync(_ct);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetEntityAsync("p", "r", cancellationToken: _ct));
        Assert.Equal(404, ex.Status);
    }
}
