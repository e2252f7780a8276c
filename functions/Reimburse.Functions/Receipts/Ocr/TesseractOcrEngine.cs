using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Reimburse.Core.Receipts;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>Local OCR: runs the tesseract CLI per page under a timeout, a memory cap and a concurrency bound.</summary>
public sealed partial class TesseractOcrEngine : IOcrEngine, IDisposable
{
    private readonly OcrOptions _options;
    private readonly ILogger<TesseractOcrEngine> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly Lazy<string> _version;

    public TesseractOcrEngine(IOptions<OcrOptions> options, ILogger<TesseractOcrEngine> logger)
    {
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _version = new Lazy<string>(ReadVersion);
    }

    public string Name => "tesseract";

    public string Version => _version.Value;

    public bool AcceptsPdf => false;

    public async Task<OcrOutcome> RecognizeAsync(OcrInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var dir = Directory.CreateTempSubdirectory("reimburse-ocr-");
        try
        {
            var ext = input.MediaType == "image/png" ? ".png" : input.MediaType == "image/jpeg" ? ".jpg" : ".img";
            var path = Path.Combine(dir.FullName, "page" + ext);
            await File.WriteAllBytesAsync(path, input.Content, cancellationToken).ConfigureAwait(false);

            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_options.Preprocess && ImageGuard.Dimensions(input.Content) is { Width: < 1000 } dims && dims.Width > 0)
                    path = await UpscaleAsync(path, dir.FullName, cancellationToken).ConfigureAwait(false);

                var (first, languages) = await FirstPassAsync(path, cancellationToken).ConfigureAwait(false);
                if (!_options.SecondPass || first.Document is not { } document) return first;
                var firstFields = ReceiptFieldExtractor.Extract(document);
                if (!NeedsSecondPass(firstFields)) return first;

                // Second look at a smoothed, 1.5x grey copy when a key field is missing or weak. The two readings
                // garble different characters; the reader keeps each field from whichever pass is more confident.
                var scaled = await RescaleAsync(path, dir.FullName, input.Content, cancellationToken).ConfigureAwait(false);
                if (scaled == path) return first;
                var (second, _) = await RunAsync(scaled, languages, cancellationToken).ConfigureAwait(false);
                return second.Document is { } other
                    ? OcrOutcome.Success(document, SecondPassFields(firstFields, ReceiptFieldExtractor.Extract(other)))
                    : first;
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task<(OcrOutcome Outcome, string Languages)> FirstPassAsync(string path, CancellationToken cancellationToken)
    {
        var languages = _options.TesseractLanguages;
        if (languages != "auto") return ((await RunAsync(path, languages, cancellationToken).ConfigureAwait(false)).Outcome, languages);

        // Quick script pass: English alone is about twice as fast as eng+chi_tra, and Chinese glyphs read by
        // the English model leave a mark (tall, wide, low-confidence "words"), so rerun with Chinese only then.
        var (english, cjk) = await RunAsync(path, "eng", cancellationToken).ConfigureAwait(false);
        if (english.Document is null || cjk < ChineseThreshold) return (english, "eng");
        var (chinese, _) = await RunAsync(path, "chi_tra+eng", cancellationToken).ConfigureAwait(false);
        return chinese.Document is null ? (english, "eng") : (chinese, "chi_tra+eng");
    }

    /// <summary>Merchant, date or total missing, or merchant/total read from weak evidence.</summary>
    internal static bool NeedsSecondPass(ReceiptFields fields) =>
        fields.Merchant is not { Confidence: >= MerchantWeak } || fields.Date is null || fields.Total is not { Confidence: >= TotalWeak };

    /// <summary>
    /// Only the fields that sent the page to a second pass are offered from it: a field the first pass read clearly
    /// stays as read (measured: offering every field let confident second-pass slips replace right dates and totals).
    /// </summary>
    internal static ReceiptFields SecondPassFields(ReceiptFields first, ReceiptFields second) => new()
    {
        Merchant = first.Merchant is not { Confidence: >= MerchantWeak } ? second.Merchant : null,
        Date = first.Date is null ? second.Date : null,
        Time = first.Date is null ? second.Time : null,
        Total = first.Total is not { Confidence: >= TotalWeak } ? second.Total : null,
    };

    private const double MerchantWeak = 0.5;

    private const double TotalWeak = 0.6;

    private async Task<string> RescaleAsync(string path, string dir, byte[] content, CancellationToken cancellationToken)
    {
        // Small scans gain from 1.5x (measured on SROIE: the printed total, date and name found more often);
        // large ones only get the grey conversion.
        var wide = ImageGuard.Dimensions(content) is { Width: >= 1600 };
        var output = Path.Combine(dir, "rescaled.png");
        var r = await ProcessRunner.RunAsync("convert",
            [.. ImageMagick.LimitArguments(_options), path, "-colorspace", "Gray", "-filter", "Lanczos", "-resize", wide ? "100%" : "150%", output],
            TimeSpan.FromSeconds(_options.ToolTimeoutSeconds), _options.MemoryLimitMegabytes * 1024L * 1024L,
            ImageMagick.Environment(_options), cancellationToken).ConfigureAwait(false);
        return r.Succeeded && File.Exists(output) ? output : path;
    }

    private async Task<string> UpscaleAsync(string path, string dir, CancellationToken cancellationToken)
    {
        var output = Path.Combine(dir, "scaled.png");
        var r = await ProcessRunner.RunAsync("convert",
            [.. ImageMagick.LimitArguments(_options), path, "-colorspace", "Gray", "-resize", "200%", output],
            TimeSpan.FromSeconds(_options.ToolTimeoutSeconds), _options.MemoryLimitMegabytes * 1024L * 1024L,
            ImageMagick.Environment(_options), cancellationToken).ConfigureAwait(false);
        return r.Succeeded && File.Exists(output) ? output : path;
    }

    /// <summary>Share of CJK-looking words from which the Chinese pass runs (measured: SROIE pages 0.00-0.06, a Chinese bill 0.33).</summary>
    internal const double ChineseThreshold = 0.1;

    /// <summary>
    /// Share of words the English model read with confidence under 60 whose box is taller than 1.15x the median
    /// confident word and wide for its character count: how CJK glyphs look through an English model.
    /// </summary>
    internal static double ChineseSignal(string tsv)
    {
        var words = new List<(double Conf, int W, int H, int Len)>();
        foreach (var row in tsv.Split('\n'))
        {
            var c = row.Split('\t');
            if (c.Length < 12 || c[0] != "5" || c[11].Trim().Length == 0) continue;
            var conf = double.TryParse(c[10], NumberStyles.Float, CultureInfo.InvariantCulture, out var cf) ? cf : 0;
            words.Add((conf, P(c[8]), P(c[9]), c[11].Trim().Length));
        }
        var confident = words.Where(w => w.Conf > 85).Select(w => w.H).Order().ToList();
        if (words.Count == 0) return 0;
        if (confident.Count == 0) return 1;
        var median = confident[confident.Count / 2];
        var signal = words.Count(w => w.Conf < 60 && w.H > 1.15 * median && w.H > 0 && (double)w.W / (w.H * w.Len) > 0.7);
        // With fonts whose digits are as tall as CJK glyphs the shape signal fades; near-zero-confidence words then
        // tell (Chinese bills read as English: ~0.4 of words under 30; SROIE English scans: mostly 0.2-0.3).
        var hopeless = words.Count(w => w.Conf < 30);
        return Math.Max((double)signal / words.Count, hopeless >= 0.3 * words.Count ? 1.0 : 0.0);
    }

    private async Task<(OcrOutcome Outcome, double ChineseSignal)> RunAsync(string path, string languages, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(_options.TesseractPath,
            [path, "stdout", "-l", languages, "--psm", "6", "tsv"],
            TimeSpan.FromSeconds(_options.EngineTimeoutSeconds), _options.MemoryLimitMegabytes * 1024L * 1024L,
            null, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut)
        {
            LogEngineTimedOut(_logger, _options.EngineTimeoutSeconds);
            return (OcrOutcome.EngineFailed(result.Stderr), 0);
        }
        if (result.ExitCode != 0)
        {
            var reason = FirstLine(result.Stderr);
            LogEngineFailed(_logger, result.ExitCode, reason);
            // tesseract exits 1 on images leptonica cannot decode: that is the file, not the engine.
            return (result.ExitCode == 1 && reason.Contains("read", StringComparison.OrdinalIgnoreCase)
                ? OcrOutcome.Unreadable($"image could not be decoded: {reason}")
                : OcrOutcome.EngineFailed($"tesseract exited with {result.ExitCode}: {reason}"), 0);
        }
        return (OcrOutcome.Success(ParseTsv(result.Stdout)), ChineseSignal(result.Stdout));
    }

    private static string FirstLine(string s) => OcrText.FirstLine(s, "");

    /// <summary>Groups tesseract TSV words into lines with the mean word confidence and the union box.</summary>
    internal static OcrDocument ParseTsv(string tsv)
    {
        var lines = new List<OcrLine>();
        (int Page, int Block, int Par, int Line)? current = null;
        var words = new List<(string Text, double Conf, int L, int T, int W, int H)>();

        void Flush()
        {
            if (current is null || words.Count == 0) { words.Clear(); return; }
            var sb = new StringBuilder();
            foreach (var w in words)
            {
                if (sb.Length > 0 && !(IsCjk(sb[^1]) && IsCjk(w.Text[0]))) sb.Append(' ');
                sb.Append(w.Text);
            }
            int left = words.Min(w => w.L), top = words.Min(w => w.T);
            int right = words.Max(w => w.L + w.W), bottom = words.Max(w => w.T + w.H);
            lines.Add(new OcrLine(sb.ToString(), Math.Round(words.Average(w => w.Conf) / 100.0, 3),
                new OcrBox(left, top, right - left, bottom - top), current.Value.Page));
            words.Clear();
        }

        foreach (var row in tsv.Split('\n'))
        {
            var c = row.Split('\t');
            if (c.Length < 12 || c[0] != "5") continue;
            var key = (P(c[1]), P(c[2]), P(c[3]), P(c[4]));
            if (current != key) { Flush(); current = key; }
            var text = c[11].Trim();
            if (text.Length == 0) continue;
            var conf = double.TryParse(c[10], NumberStyles.Float, CultureInfo.InvariantCulture, out var cf) ? Math.Max(0, cf) : 0;
            words.Add((text, conf, P(c[6]), P(c[7]), P(c[8]), P(c[9])));
        }
        Flush();
        return new OcrDocument(lines);
    }

    private static int P(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static bool IsCjk(char c) => OcrText.IsCjk(c);

    private string ReadVersion()
    {
        try
        {
            var r = ProcessRunner.RunAsync(_options.TesseractPath, ["--version"], TimeSpan.FromSeconds(5), null).GetAwaiter().GetResult();
            var text = (r.Stdout + "\n" + r.Stderr).Split('\n').FirstOrDefault(l => l.StartsWith("tesseract", StringComparison.Ordinal));
            return text?.Replace("tesseract", "", StringComparison.Ordinal).Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public void Dispose() => _slots.Dispose();

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "tesseract exceeded {TimeoutSeconds}s and was killed")]
    private static partial void LogEngineTimedOut(ILogger logger, int timeoutSeconds);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "tesseract exited with {ExitCode}: {Reason}")]
    private static partial void LogEngineFailed(ILogger logger, int exitCode, string reason);
}
