using Azure;
using Azure.Core;
using Microsoft.AspNetCore.Http;
using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

/// <summary>Auth, retries and transport failures against a scripted loopback server (no Azurite).</summary>
public sealed class PipelineTests
{
    private readonly CancellationToken _ct = TestTimeout.Token(30);

    private sealed class FakeCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken("fake-token-123", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private static Task CountResponse(HttpContext context, int _)
    {
        context.Response.Headers["x-ms-approximate-messages-count"] = "3";
        return Task.CompletedTask;
    }

    private static StorageAccount SharedKeyAccount(LoopbackServer server) => StorageAccount.Parse(
        $"AccountName=acct;AccountKey={AzuriteInstance.DevKey};BlobEndpoint={server.Endpoint};QueueEndpoint={server.Endpoint};TableEndpoint={server.Endpoint}");

    [Fact]
    public async Task FromCredential_QueueRequest_SendsBearerTokenForStorageScope()
    {
        await using var server = await LoopbackServer.StartAsync(CountResponse, https: true, _ct);
        var credential = new FakeCredential();
        var account = StorageAccount.FromCredential("acct", server.Endpoint, server.Endpoint, server.Endpoint, credential);
        var queue = new QueueClient(account, "q", server.Options());

        var count = await queue.GetApproximateMessageCountAsync(_ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal(3, count);
        Assert.Equal("Bearer fake-token-123", request.Headers["Authorization"]);
        Assert.Equal("2021-12-02", request.Headers["x-ms-version"]);
        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes.Distinct());
    }

    [Fact]
    public async Task FromCredential_TableRequest_SendsBearerAndVersionAtLeast20190202()
    {
        await using var server = await LoopbackServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        }, https: true, _ct);
        var account = StorageAccount.FromCredential("acct", server.Endpoint, server.Endpoint, server.Endpoint, new FakeCredential());
        var table = new TableClient(account, "claims", server.Options());

        var entity = await table.GetEntityIfExistsAsync("p", "r", cancellationToken: _ct);

        var request = Assert.Single(server.Requests);
        Assert.Null(entity);
        Assert.Equal("Bearer fake-token-123", request.Headers["Authorization"]);
        Assert.True(string.CompareOrdinal(request.Headers["x-ms-version"], "2019-02-02") >= 0);
        Assert.Equal("application/json;odata=minimalmetadata", request.Headers["Accept"]);
    }

    [Fact]
    public async Task SendAsync_Two503sThen200_RetriesAndSucceeds()
    {
        await using var server = await LoopbackServer.StartAsync((context, n) =>
        {
            if (n <= 2)
            {
                context.Response.StatusCode = 503;
                return Task.CompletedTask;
            }
            return CountResponse(context, n);
        }, cancellationToken: _ct);
        var perRetry = new StorageRequestCounter();
        var perCall = new StorageRequestCounter();
        var options = server.Options();
        options.AddPolicy(perRetry, HttpPipelinePosition.PerRetry);
        options.AddPolicy(perCall, HttpPipelinePosition.PerCall);
        var queue = new QueueClient(SharedKeyAccount(server), "q", options);

        var count = await queue.GetApproximateMessageCountAsync(_ct);

        Assert.Equal(3, count);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(3, perRetry.Count);
        Assert.Equal(1, perCall.Count);
    }

    [Fact]
    public async Task SendAsync_Always503_ThrowsRequestFailed503AfterRetries()
    {
        await using var server = await LoopbackServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 503;
            context.Response.Headers["x-ms-error-code"] = "ServerBusy";
            return Task.CompletedTask;
        }, cancellationToken: _ct);
        var queue = new QueueClient(SharedKeyAccount(server), "q", server.Options(maxRetries: 2));

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => queue.GetApproximateMessageCountAsync(_ct));

        Assert.Equal(503, ex.Status);
        Assert.Equal("ServerBusy", ex.ErrorCode);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_ThrowsRequestFailedException()
    {
        var port = AzuriteInstance.FreePort();
        var endpoint = new Uri($"http://127.0.0.1:{port}/acct");
        var account = StorageAccount.Parse($"AccountName=acct;AccountKey={AzuriteInstance.DevKey};BlobEndpoint={endpoint};QueueEndpoint={endpoint};TableEndpoint={endpoint}");
        var options = new StorageClientOptions();
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(5);
        var blobs = new BlobContainerClient(account, "c", options);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => blobs.ExistsAsync("b", _ct));

        Assert.Equal(0, ex.Status);
    }

    [Fact]
    public async Task SharedKey_SentRequest_AuthorizationMatchesIndependentlyComputedSignature()
    {
        await using var server = await LoopbackServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 201;
            context.Response.Headers.ETag = "\"0x1\"";
            context.Response.Headers.LastModified = "Sun, 22 Nov 2026 02:00:00 GMT";
            return Task.CompletedTask;
        }, cancellationToken: _ct);
        var blobs = new BlobContainerClient(SharedKeyAccount(server), "receipts", server.Options());

        await blobs.UploadAsync("2026/收據 1.txt", BinaryData.FromString("hello world"),
            new BlobUploadOptions { ContentType = "text/plain", Metadata = new Dictionary<string, string> { ["Zeta"] = "z", ["alpha"] = "a" } }, _ct);

        var request = Assert.Single(server.Requests);
        // Canonicalized headers: every x-ms-* header as received (Azure.Core adds its request-id headers too).
        var canonicalHeaders = request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key.ToLowerInvariant() + ":" + h.Value.Trim())
            .Order(StringComparer.Ordinal);
        var expected = "SharedKey acct:" + SharedKeyTests.Hmac(AzuriteInstance.DevKey, string.Join("\n",
            ["PUT", "", "", "11", "", "text/plain", "", "", "", "", "", "", .. canonicalHeaders, "/acct" + request.PathAndQuery]));
        Assert.Contains("x-ms-meta-alpha", request.Headers.Keys, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("BlockBlob", request.Headers["x-ms-blob-type"]);
        Assert.Equal("/acct/receipts/2026/%E6%94%B6%E6%93%9A%201.txt", request.PathAndQuery);
        Assert.Equal(expected, request.Headers["Authorization"]);
    }

    [Fact]
    public async Task QueryAsync_EmptyPageWithContinuation_KeepsFollowing()
    {
        // Real tables may return an empty page that still continues; Azurite never does, so script it.
        await using var server = await LoopbackServer.StartAsync(async (context, n) =>
        {
            context.Response.ContentType = "application/json;odata=minimalmetadata";
            if (n == 1)
            {
                context.Response.Headers["x-ms-continuation-NextPartitionKey"] = "1!4!cDI-";
                context.Response.Headers["x-ms-continuation-NextRowKey"] = "1!4!cjE-";
                await context.Response.WriteAsync("{\"value\":[]}");
                return;
            }
            await context.Response.WriteAsync("{\"value\":[{\"odata.etag\":\"W/\\\"x\\\"\",\"PartitionKey\":\"p2\",\"RowKey\":\"r1\",\"N@odata.type\":\"Edm.Int64\",\"N\":\"5\"}]}");
        }, cancellationToken: _ct);
        var table = new TableClient(SharedKeyAccount(server), "t", server.Options());

        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync(cancellationToken: _ct))
        {
            rows.Add(row);
        }

        var requests = server.Requests.ToList();
        Assert.Equal(5L, Assert.Single(rows).GetInt64("N"));
        Assert.Equal(2, requests.Count);
        Assert.Contains("NextPartitionKey=1%214%21cDI-", requests[1].PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("NextRowKey=1%214%21cjE-", requests[1].PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public void TableClient_TokenCredentialWithOldVersion_ThrowsArgumentException()
    {
        var endpoint = new Uri("https://acct.table.core.windows.net");
        var account = StorageAccount.FromCredential("acct", endpoint, endpoint, endpoint, new FakeCredential());
        Assert.Throws<ArgumentException>(() => new TableClient(account, "t", new StorageClientOptions { TableVersion = "2017-04-17" }));
    }
}
