using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Triggers;

/// <summary>Posts the documented Functions host invocation payloads to the handler, as the host would.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CustomHandlerContractTests(AzuriteFixture azurite)
{
    private static ReimburseApp HostedApp(AzuriteFixture azurite) =>
        // FUNCTIONS_CUSTOMHANDLER_PORT switches the app into "driven by the Functions host" mode (no standalone loops).
        new(azurite, new() { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "7999" });

    private static HttpRequestMessage Invocation(string function, object body)
    {
        // The host sends PascalCase property names exactly as documented: no camel-casing serializer here.
        var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.UserAgent.ParseAdd("Azure-Functions-Host/4.1040.0");
        return request;
    }

    private static object QueuePayload(object msg, int dequeueCount = 1) => new
    {
        Data = new { msg },
        Metadata = new
        {
            DequeueCount = dequeueCount.ToString(),
            ExpirationTime = DateTimeOffset.UtcNow.AddDays(7).ToString("O"),
            Id = Guid.NewGuid().ToString(),
            InsertionTime = DateTimeOffset.UtcNow.ToString("O"),
            NextVisibleTime = DateTimeOffset.UtcNow.AddMinutes(10).ToString("O"),
            PopReceipt = "AgAAAAMAAAAAAAAA",
            sys = new { MethodName = "ReceiptDropped", UtcNow = DateTimeOffset.UtcNow.ToString("O"), RandGuid = Guid.NewGuid().ToString() },
        },
    };

    private static async Task<string> SubmitAsync(ReimburseApp app, CancellationToken ct)
    {
        var chan = await app.ClientForAsync("emp-chan", ct);
        var response = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct);
        return (await response.JsonAsync(ct)).GetProperty("id").GetString()!;
    }

    public static TheoryData<string> Encodings => new() { "base64", "json-object", "json-string", "double-encoded-string" };

    [Fact]
    public async Task ReceiptDroppedInvocation_EventGridBlobCreated_CreatesTheDraft()
    {
        var ct = TestTimeout.Token();
        await using var app = HostedApp(azurite);
        var client = await app.StartAsync(ct);
        await app.Storage.Inbox.GetBlobClient("emp-lee/taxi.png").UploadAsync(new BinaryData(TestFiles.Png(11)), overwrite: true, cancellationToken: ct);
        var ev = new[]
        {
            new
            {
                topic = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
                subject = $"/blobServices/default/containers/{app.Prefix}receipts-inbox/blobs/emp-lee/taxi.png",
                eventType = "Microsoft.Storage.BlobCreated",
                id = Guid.NewGuid().ToString(),
                data = new { api = "PutBlob", contentType = "image/png", contentLength = 100, blobType = "BlockBlob", url = "https://acct.blob.core.windows.net/receipts-inbox/emp-lee/taxi.png" },
                dataVersion = "",
                metadataVersion = "1",
                eventTime = DateTimeOffset.UtcNow.ToString("O"),
            },
        };
        var msg = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(ev));

        var response = await client.SendAsync(Invocation("ReceiptDropped", QueuePayload(msg)), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = await app.Storage.Claims.QueryAsync<TableEntity>("RowKey eq 'claim'").ToListAsync(ct);
        var draft = Assert.Single(rows);
        Assert.Equal("emp-lee", draft.GetString("OwnerId"));
        Assert.Equal("Draft", draft.GetString("Status"));
    }

    [Fact]
    public async Task TimerInvocation_InboxSweep_AnswersTheHostShape()
    {
        var ct = TestTimeout.Token();
        await using var app = HostedApp(azurite);
        var client = await app.StartAsync(ct);

        var response = await client.SendAsync(Invocation("InboxSweep", new
        {
            Data = new { timer = new { Schedule = new { AdjustForDST = true }, ScheduleStatus = new { Last = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"), Next = DateTimeOffset.UtcNow.ToString("O"), LastUpdated = DateTimeOffset.UtcNow.ToString("O") }, IsPastDue = false } },
            Metadata = new { sys = new { MethodName = "InboxSweep" } },
        }), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Object, (await response.JsonAsync(ct)).GetProperty("Outputs").ValueKind);
    }

    [Fact]
    public async Task InvocationRoutes_InStandaloneMode_AreNotExposed()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);

        var response = await client.SendAsync(Invocation("ReceiptDropped", QueuePayload("x")), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task FunctionJsonFiles_MatchWhatTheCodeDeclares()
    {
        var ct = TestTimeout.Token();
        await using var app = HostedApp(azurite);
        await app.StartAsync(ct);
        var generated = FunctionCatalog.Generate(app.Services.GetRequiredService<EndpointDataSource>(),
            app.Services.GetServices<IQueueHandler>(), app.Services.GetServices<ITimerHandler>());
        var root = AzuriteInstance.FindRepoRoot();

        if (Environment.GetEnvironmentVariable("UPDATE_FUNCTION_JSON") == "1")
        {
            foreach (var (name, json) in generated)
            {
                Directory.CreateDirectory(Path.Combine(root, name));
                await File.WriteAllTextAsync(Path.Combine(root, name, "function.json"), json, ct);
            }
        }

        var onDisk = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "function.json")))
            .ToDictionary(d => Path.GetFileName(d), d => File.ReadAllText(Path.Combine(d, "function.json")));
        Assert.Equal(generated.Keys.Order(), onDisk.Keys.Order());
        foreach (var (name, json) in generated)
        {
            Assert.True(json == onDisk[name], $"{name}/function.json is out of date: run UPDATE_FUNCTION_JSON=1 dotnet test --filter FunctionJsonFiles");
        }
        Assert.Contains("SubmitClaim", generated.Keys);
        Assert.Contains("ReceiptDropped", generated.Keys);
        Assert.Contains("ReceiptDropped", generated.Keys);
        Assert.Contains("InboxSweep", generated.Keys);
        Assert.DoesNotContain("DevToken", generated.Keys);
    }

    [Fact]
    public void HostJson_ConfiguresTheCustomHandlerWithHttpForwarding()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AzuriteInstance.FindRepoRoot(), "host.json")));
        var root = doc.RootElement;

        Assert.Equal("2.0", root.GetProperty("version").GetString());
        Assert.True(root.GetProperty("customHandler").GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal("bin/Reimburse.Functions", root.GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", root.GetProperty("extensionBundle").GetProperty("id").GetString());
        Assert.Equal("base64", root.GetProperty("extensions").GetProperty("queues").GetProperty("messageEncoding").GetString());
        Assert.Equal(5, root.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32());
    }
}
