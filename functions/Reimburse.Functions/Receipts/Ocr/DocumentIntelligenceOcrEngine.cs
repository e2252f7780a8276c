using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Reimburse.Core.Receipts;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>Pipeline options for the Document Intelligence REST client (retries honour 429 Retry-After).</summary>
public sealed class DocumentIntelligenceClientOptions : ClientOptions
{
    public const string ApiVersion = "2024-11-30";

    /// <summary>Longest the engine waits for an analysis to finish, polling included.</summary>
    public TimeSpan AnalysisTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Poll interval when the service sends no Retry-After.</summary>
    public TimeSpan DefaultPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Azure AI Document Intelligence over REST (azure-contracts.md §4): prebuilt-receipt for English receipts; when the
/// page is Chinese (which prebuilt-receipt does not support) the prebuilt-read text goes through our own extractor.
/// </summary>
public sealed partial class DocumentIntelligenceOcrEngine : IOcrEngine
{
    private static readonly string[] Scopes = ["https://cognitiveservices.azure.com/.default"];
    private readonly Uri _endpoint;
    private readonly HttpPipeline _pipeline;
    private readonly DocumentIntelligenceClientOptions _options;
    private readonly ILogger<DocumentIntelligenceOcrEngine> _logger;

    public DocumentIntelligenceOcrEngine(Uri endpoint, string key, DocumentIntelligenceClientOptions options, ILogger<DocumentIntelligenceOcrEngine> logger)
        : this(endpoint, new KeyPolicy(key), options, logger)
    {
    }

    public DocumentIntelligenceOcrEngine(Uri endpoint, TokenCredential credential, DocumentIntelligenceClientOptions options, ILogger<DocumentIntelligenceOcrEngine> logger)
        : this(endpoint, new BearerTokenAuthenticationPolicy(credential, Scopes), options, logger)
    {
    }

    private DocumentIntelligenceOcrEngine(Uri endpoint, HttpPipelinePolicy auth, DocumentIntelligenceClientOptions options, ILogger<DocumentIntelligenceOcrEngine> logger)
    {
        _endpoint = endpoint;
        _options = options;
        _logger = logger;
        _pipeline = HttpPipelineBuilder.Build(options, auth);
    }

    public string Name => "documentintelligence";

    public string Version => DocumentIntelligenceClientOptions.ApiVersion;

    public bool AcceptsPdf => true;

    public async Task<OcrOutcome> RecognizeAsync(OcrInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.AnalysisTimeout);
        try
        {
            var receipt = await AnalyzeAsync("prebuilt-receipt", input, timeout.Token).ConfigureAwait(false);
            if (receipt.Failure is not null) return receipt.Failure;
            var document = ToDocument(receipt.Result);
            if (!LooksChinese(document)) return OcrOutcome.Success(document, ToFields(receipt.Result));

            var read = await AnalyzeAsync("prebuilt-read", input, timeout.Token).ConfigureAwait(false);
            if (read.Failure is not null) return read.Failure;
            return OcrOutcome.Success(ToDocument(read.Result));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return OcrOutcome.EngineFailed($"analysis did not finish within {_options.AnalysisTimeout.TotalSeconds:0}s");
        }
        catch (RequestFailedException e)
        {
            LogRequestFailed(_logger, e.Status, e.ErrorCode);
            // 4xx other than throttling is about the file (bad format, too large); 5xx and exhausted 429s are transient.
            return e.Status is >= 400 and < 500 and not 429 and not 408 and not 401 and not 403
                ? OcrOutcome.Unreadable($"Document Intelligence refused the file: {e.Status} {e.ErrorCode}")
                : OcrOutcome.EngineFailed($"Document Intelligence returned {e.Status} {e.ErrorCode}");
        }
    }

    private sealed record Analysis(JsonElement Result, OcrOutcome? Failure);

    private async Task<Analysis> AnalyzeAsync(string model, OcrInput input, CancellationToken cancellationToken)
    {
        var uri = new RequestUriBuilder();
        uri.Reset(_endpoint);
        uri.AppendPath("/documentintelligence/documentModels/", escape: false);
        uri.AppendPath(model + ":analyze", escape: false);
        uri.AppendQuery("api-version", DocumentIntelligenceClientOptions.ApiVersion);

        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri = uri;
        message.Request.Headers.Add("Content-Type", "application/octet-stream");
        message.Request.Content = RequestContent.Create(input.Content);
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status != 202) throw new RequestFailedException(response);
        if (!response.Headers.TryGetValue("Operation-Location", out var operation) || operation is null)
            return new Analysis(default, OcrOutcome.EngineFailed("202 without Operation-Location"));
        var delay = RetryAfter(response) ?? _options.DefaultPollInterval;

        while (true)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            using var poll = _pipeline.CreateMessage();
            poll.Request.Method = RequestMethod.Get;
            poll.Request.Uri.Reset(new Uri(operation));
            await _pipeline.SendAsync(poll, cancellationToken).ConfigureAwait(false);
            if (poll.Response.Status != 200) throw new RequestFailedException(poll.Response);
            using var json = await JsonDocument.ParseAsync(poll.Response.ContentStream!, cancellationToken: cancellationToken).ConfigureAwait(false);
            var status = json.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
            switch (status)
            {
                case "succeeded":
                    return new Analysis(json.RootElement.GetProperty("analyzeResult").Clone(), null);
                case "failed":
                {
                    var error = json.RootElement.TryGetProperty("error", out var e) ? e : default;
                    var code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) ? c.GetString() : "unknown";
                    var text = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.GetString() : "";
                    LogAnalysisFailed(_logger, model, code ?? "unknown");
                    return new Analysis(default, OcrOutcome.Unreadable($"analysis failed: {code}: {text}"));
                }
                default:
                    delay = RetryAfter(poll.Response) ?? _options.DefaultPollInterval;
                    break;
            }
        }
    }

    private static TimeSpan? RetryAfter(Response response) =>
        response.Headers.TryGetValue("Retry-After", out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 60))
            : null;

    private static bool LooksChinese(OcrDocument document)
    {
        var text = document.Text;
        var cjk = text.Count(c => c is >= '\u4E00' and <= '\u9FFF');
        var letters = text.Count(char.IsLetter);
        return letters > 0 && cjk >= 4 && cjk * 5 >= letters;
    }

    /// <summary>Lines from analyzeResult.pages[].lines; a line's confidence is the mean of its words' confidences.</summary>
    internal static OcrDocument ToDocument(JsonElement result)
    {
        var lines = new List<OcrLine>();
        if (!result.TryGetProperty("pages", out var pages)) return new OcrDocument(lines);
        foreach (var page in pages.EnumerateArray())
        {
            var number = page.TryGetProperty("pageNumber", out var pn) ? pn.GetInt32() : 1;
            var words = new List<(int Offset, double Confidence)>();
            if (page.TryGetProperty("words", out var ws))
                foreach (var w in ws.EnumerateArray())
                    if (w.TryGetProperty("span", out var sp) && w.TryGetProperty("confidence", out var wc))
                        words.Add((sp.GetProperty("offset").GetInt32(), wc.GetDouble()));
            if (!page.TryGetProperty("lines", out var ls)) continue;
            foreach (var l in ls.EnumerateArray())
            {
                var text = l.GetProperty("content").GetString() ?? "";
                var confidence = 0.9;
                if (l.TryGetProperty("spans", out var spans) && spans.GetArrayLength() > 0)
                {
                    var start = spans[0].GetProperty("offset").GetInt32();
                    var end = start + spans[0].GetProperty("length").GetInt32();
                    var inLine = words.Where(w => w.Offset >= start && w.Offset < end).Select(w => w.Confidence).ToList();
                    if (inLine.Count > 0) confidence = inLine.Average();
                }
                lines.Add(new OcrLine(text, confidence, Box(l), number));
            }
        }
        return new OcrDocument(lines);
    }

    private static OcrBox? Box(JsonElement line)
    {
        if (!line.TryGetProperty("polygon", out var p) || p.GetArrayLength() < 8) return null;
        var xs = Enumerable.Range(0, p.GetArrayLength() / 2).Select(i => p[2 * i].GetDouble()).ToList();
        var ys = Enumerable.Range(0, p.GetArrayLength() / 2).Select(i => p[2 * i + 1].GetDouble()).ToList();
        return new OcrBox((int)xs.Min(), (int)ys.Min(), (int)(xs.Max() - xs.Min()), (int)(ys.Max() - ys.Min()));
    }

    /// <summary>Maps analyzeResult.documents[0].fields of prebuilt-receipt.</summary>
    internal static ReceiptFields? ToFields(JsonElement result)
    {
        if (!result.TryGetProperty("documents", out var docs) || docs.GetArrayLength() == 0) return null;
        if (!docs[0].TryGetProperty("fields", out var f)) return null;
        string? currency = null;
        double currencyConfidence = 0;
        FieldValue<decimal>? Money(string name)
        {
            if (!f.TryGetProperty(name, out var e) || !e.TryGetProperty("valueCurrency", out var vc) || !vc.TryGetProperty("amount", out var amount)) return null;
            var conf = Confidence(e);
            if (currency is null && vc.TryGetProperty("currencyCode", out var code) && code.GetString() is { Length: 3 } iso)
            {
                currency = iso;
                currencyConfidence = conf;
            }
            return new FieldValue<decimal>(amount.GetDecimal(), conf);
        }
        FieldValue<string>? Str(string name) =>
            f.TryGetProperty(name, out var e) && e.TryGetProperty("valueString", out var v) && v.GetString() is { Length: > 0 } s
                ? new FieldValue<string>(s, Confidence(e)) : null;

        FieldValue<DateOnly>? date = null;
        if (f.TryGetProperty("TransactionDate", out var td) && td.TryGetProperty("valueDate", out var vd)
            && DateOnly.TryParseExact(vd.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            date = new FieldValue<DateOnly>(d, Confidence(td));
        FieldValue<TimeOnly>? time = null;
        if (f.TryGetProperty("TransactionTime", out var tt) && tt.TryGetProperty("valueTime", out var vt)
            && TimeOnly.TryParse(vt.GetString(), CultureInfo.InvariantCulture, out var t))
            time = new FieldValue<TimeOnly>(t, Confidence(tt));

        var total = Money("Total");
        var fields = new ReceiptFields
        {
            Merchant = Str("MerchantName"),
            Date = date,
            Time = time,
            Total = total,
            Subtotal = Money("Subtotal"),
            Tax = Money("TotalTax"),
        };
        return currency is null ? fields : fields with { Currency = new FieldValue<string>(currency, currencyConfidence) };
    }

    private static double Confidence(JsonElement field) => field.TryGetProperty("confidence", out var c) ? c.GetDouble() : 0.5;

    /// <summary>Adds the Ocp-Apim-Subscription-Key header.</summary>
    private sealed class KeyPolicy(string key) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => message.Request.Headers.SetValue("Ocp-Apim-Subscription-Key", key);
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Document Intelligence request failed with {Status} {ErrorCode}")]
    private static partial void LogRequestFailed(ILogger logger, int status, string? errorCode);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Document Intelligence {Model} analysis failed: {Code}")]
    private static partial void LogAnalysisFailed(ILogger logger, string model, string code);
}
