using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Reimburse.Core.Receipts;
using Reimburse.Functions.Receipts.Ocr;
using Reimburse.Testing;

namespace Reimburse.Tests.Receipts;

public sealed class DocumentIntelligenceOcrEngineTests : IAsyncLifetime
{
    private const string Key = "test-key-123";
    private WebApplication _app = null!;
    private Uri _endpoint = null!;

    /// <summary>What the fake service should do next, and what it saw.</summary>
    private sealed class Script
    {
        public int ThrottleFirstPosts;
        public int RunningPolls;
        public bool Fail;
        public bool Chinese;
        public readonly ConcurrentQueue<string> Seen = new();
        public readonly ConcurrentDictionary<string, int> PollCount = new();
    }

    private readonly Script _script = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        _endpoint = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        _script.Seen.Enqueue($"{ctx.Request.Method} {path}{ctx.Request.QueryString}");
        if (ctx.Request.Headers["Ocp-Apim-Subscription-Key"] != Key) { ctx.Response.StatusCode = 401; return; }
        if (ctx.Request.Query["api-version"] != "2024-11-30") { ctx.Response.StatusCode = 400; return; }

        const string prefix = "/documentintelligence/documentModels/";
        if (ctx.Request.Method == "POST" && path.StartsWith(prefix, StringComparison.Ordinal) && path.EndsWith(":analyze", StringComparison.Ordinal))
        {
            if (Interlocked.Decrement(ref _script.ThrottleFirstPosts) >= 0)
            {
                ctx.Response.StatusCode = 429;
                ctx.Response.Headers["Retry-After"] = "1";
                return;
            }
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            if (body.Length == 0) { ctx.Response.StatusCode = 400; return; }
            var model = path[prefix.Length..^":analyze".Length];
            var id = Guid.NewGuid().ToString("N");
            ctx.Response.StatusCode = 202;
            ctx.Response.Headers["Operation-Location"] = $"{_endpoint.ToString().TrimEnd('/')}{prefix}{model}/analyzeResults/{id}?api-version=2024-11-30";
            ctx.Response.Headers["Retry-After"] = "0";
            return;
        }
        if (ctx.Request.Method == "GET" && path.Contains("/analyzeResults/", StringComparison.Ordinal))
        {
            var model = path[prefix.Length..path.IndexOf("/analyzeResults/", StringComparison.Ordinal)];
            var n = _script.PollCount.AddOrUpdate(path, 1, (_, v) => v + 1);
            ctx.Response.ContentType = "application/json";
            if (n <= _script.RunningPolls)
            {
                ctx.Response.Headers["Retry-After"] = "0";
                await ctx.Response.WriteAsync("""{"status":"running","createdDateTime":"2024-03-05T10:00:00Z"}""");
                return;
            }
            if (_script.Fail)
            {
                await ctx.Response.WriteAsync("""{"status":"failed","error":{"code":"InvalidContent","message":"The file is corrupted or format is unsupported."}}""");
                return;
            }
            await ctx.Response.WriteAsync(model == "prebuilt-receipt" ? ReceiptResult(_script.Chinese) : ReadResult());
            return;
        }
        ctx.Response.StatusCode = 404;
    }

    private static string Line(string content, int offset) =>
        JsonSerializer.Serialize(new { content, polygon = new[] { 10, offset, 300, offset, 300, offset + 20, 10, offset + 20 }, spans = new[] { new { offset, length = content.Length } } });

    private static string Result(string model, string[] lines, string documents)
    {
        var content = string.Join('\n', lines);
        var offset = 0;
        var lineJson = new List<string>();
        var words = new List<string>();
        foreach (var l in lines)
        {
            lineJson.Add(Line(l, offset));
            words.Add(JsonSerializer.Serialize(new { content = l, confidence = 0.95, span = new { offset, length = l.Length } }));
            offset += l.Length + 1;
        }
        return "{\"status\":\"succeeded\",\"analyzeResult\":{\"apiVersion\":\"2024-11-30\",\"modelId\":\"" + model + "\",\"content\":"
            + JsonSerializer.Serialize(content)
            + ",\"pages\":[{\"pageNumber\":1,\"words\":[" + string.Join(',', words) + "],\"lines\":[" + string.Join(',', lineJson) + "]}],"
            + "\"documents\":" + documents + "}}";
    }

    private static string ReceiptResult(bool chinese) => chinese
        ? Result("prebuilt-receipt", ["翠華茶餐廳", "總數 $132.00"], "[]")
        : Result("prebuilt-receipt", ["HARBOUR BOOKS LIMITED", "2024-03-05", "TOTAL HK$ 88.50"], """
          [{"docType":"receipt.retailMeal","confidence":0.98,"fields":{
            "MerchantName":{"type":"string","valueString":"Harbour Books Limited","confidence":0.97},
            "TransactionDate":{"type":"date","valueDate":"2024-03-05","confidence":0.96},
            "Total":{"type":"currency","valueCurrency":{"amount":88.5,"currencySymbol":"HK$","currencyCode":"HKD"},"confidence":0.95}}}]
          """);

    private static string ReadResult() =>
        Result("prebuilt-read", ["翠華茶餐廳", "日期: 2024年3月5日", "小計 $120.00", "服務費 $12.00", "總數 $132.00", "現金 $200.00", "找續 $68.00"], "[]");

    private DocumentIntelligenceOcrEngine Engine(string key = Key) =>
        new(_endpoint, key, new DocumentIntelligenceClientOptions
        {
            AnalysisTimeout = TimeSpan.FromSeconds(20),
            DefaultPollInterval = TimeSpan.FromMilliseconds(50),
            Retry = { Delay = TimeSpan.FromMilliseconds(50), MaxRetries = 3 },
        }, NullLogger<DocumentIntelligenceOcrEngine>.Instance);

    private static OcrInput Jpeg() => new([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], "image/jpeg");

    [Fact]
    public async Task RecognizeAsync_EnglishReceipt_PostsDocumentedRequestAndMapsFields()
    {
        _script.RunningPolls = 2;
        var outcome = await Engine().RecognizeAsync(Jpeg(), TestTimeout.Token());
        Assert.Equal(88.5m, outcome.EngineFields?.Total?.Value);
        Assert.Equal("HKD", outcome.EngineFields?.Currency?.Value);
        Assert.Equal(new DateOnly(2024, 3, 5), outcome.EngineFields?.Date?.Value);
        Assert.Contains("POST /documentintelligence/documentModels/prebuilt-receipt:analyze?api-version=2024-11-30", _script.Seen);
    }

    [Fact]
    public async Task RecognizeAsync_RunningThenSucceeded_PollsUntilDone()
    {
        _script.RunningPolls = 3;
        var outcome = await Engine().RecognizeAsync(Jpeg(), TestTimeout.Token());
        Assert.NotNull(outcome.Document);
        Assert.Equal(4, _script.PollCount.Values.Single());
    }

    [Fact]
    public async Task RecognizeAsync_429WithRetryAfter_RetriesAndSucceeds()
    {
        _script.ThrottleFirstPosts = 1;
        var outcome = await Engine().RecognizeAsync(Jpeg(), TestTimeout.Token());
        Assert.NotNull(outcome.Document);
        Assert.Equal(2, _script.Seen.Count(s => s.StartsWith("POST", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RecognizeAsync_FailedAnalysis_UnreadableWithReason()
    {
        _script.Fail = true;
        var outcome = await Engine().RecognizeAsync(Jpeg(), TestTimeout.Token());
        Assert.Null(outcome.Document);
        Assert.False(outcome.Retryable);
        Assert.Contains("InvalidContent", outcome.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecognizeAsync_WrongKey_EngineFailedRetryable()
    {
        var outcome = await Engine("wrong").RecognizeAsync(Jpeg(), TestTimeout.Token());
        Assert.True(outcome.Retryable);
        Assert.Contains("401", outcome.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecognizeAsync_ChineseReceipt_UsesReadModelText()
    {
        _script.Chinese = true;
        var outcome = await Engine().RecognizeAsync(Jpeg(), TestTimeout.Token());
        Assert.Contains("POST /documentintelligence/documentModels/prebuilt-read:analyze?api-version=2024-11-30", _script.Seen);
        Assert.Null(outcome.EngineFields);
        Assert.Contains(outcome.Document!.Lines, l => l.Text.Contains("找續", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_ChineseReceiptThroughReader_OurExtractorReadsTotal()
    {
        _script.Chinese = true;
        var reader = OcrTestSupport.Reader(Engine());
        var reading = await reader.ReadAsync(OcrTestSupport.BlankJpeg(), "image/jpeg", TestTimeout.Token());
        Assert.Equal(132.00m, reading.Fields?.Total?.Value);
        Assert.Equal("documentintelligence", reading.Engine);
    }
}
