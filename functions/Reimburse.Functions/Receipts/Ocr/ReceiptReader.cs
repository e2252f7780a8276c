using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Reimburse.Core.Receipts;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>
/// Reads one receipt file: sniffs its type, applies the safety guards before any decoder sees it, OCRs it (or
/// takes a PDF's text layer) and extracts fields. Bad input yields an Unreadable reading with a reason; it never throws
/// for the file's sake.
/// </summary>
public sealed partial class ReceiptReader(IOcrEngine engine, IOptions<OcrOptions> options, TimeProvider time, ILogger<ReceiptReader> logger)
{
    private readonly OcrOptions _o = options.Value;

    /// <summary>Lower-case hex SHA-256 of the file: the key readings are stored under.</summary>
    public static string ContentHash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public async Task<ReceiptReading> ReadAsync(ReadOnlyMemory<byte> content, string? contentType, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        TimeSpan Elapsed() => time.GetElapsedTime(started);
        ReceiptReading Refuse(string reason, bool retryable = false)
        {
            LogUnreadable(logger, reason, retryable);
            return ReceiptReading.Unreadable(reason, engine.Name, engine.Version, Elapsed(), retryable);
        }

        try
        {
            if (content.Length == 0) return Refuse("file is empty");
            if (content.Length > _o.MaxFileMegabytes * 1024L * 1024L)
                return Refuse($"file is {content.Length / (1024 * 1024)} MiB; the limit is {_o.MaxFileMegabytes} MiB");

            var kind = ImageGuard.Sniff(content.Span);
            switch (kind)
            {
                case ReceiptFileKind.Png or ReceiptFileKind.Jpeg:
                {
                    if (CheckImage(content.Span) is { } refusal) return Refuse(refusal);
                    var outcome = await engine.RecognizeAsync(new OcrInput(content.ToArray(), ImageGuard.MediaType(kind)), cancellationToken)
                        .ConfigureAwait(false);
                    return Finish(outcome, engine.Name, engine.Version, Elapsed(), Refuse);
                }
                case ReceiptFileKind.Pdf:
                    return await ReadPdfAsync(content, Elapsed, Refuse, cancellationToken).ConfigureAwait(false);
                default:
                    return Refuse($"not a PNG, JPEG or PDF file (declared {contentType ?? "no content type"})");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogReadFailed(logger, e);
            return Refuse($"reading failed: {e.GetType().Name}", retryable: true);
        }
    }

    private string? CheckImage(ReadOnlySpan<byte> content)
    {
        if (ImageGuard.Dimensions(content) is not { } d) return "image header is missing or malformed";
        if (d.Width <= 0 || d.Height <= 0) return "image has no pixels";
        var megapixels = (double)d.Width * d.Height / 1_000_000;
        return megapixels > _o.MaxMegapixels
            ? $"image is {d.Width}x{d.Height} ({megapixels:0.#} MP); the limit is {_o.MaxMegapixels} MP"
            : null;
    }

    private static ReceiptReading Finish(OcrOutcome outcome, string engineName, string version, TimeSpan elapsed, Func<string, bool, ReceiptReading> refuse)
    {
        if (outcome.Document is not { } document) return refuse(outcome.FailureReason ?? "engine returned nothing", outcome.Retryable);
        if (document.Lines.Sum(l => l.Text.Count(char.IsLetterOrDigit)) < 3) return refuse("no text was recognised", false);
        var fields = Merge(outcome.EngineFields, ReceiptFieldExtractor.Extract(document));
        return ReceiptReading.Read(engineName, version, elapsed, document, fields);
    }

    /// <summary>Fields the engine extracted itself win when it is at least as sure; ours fill the gaps.</summary>
    internal static ReceiptFields Merge(ReceiptFields? engine, ReceiptFields ours)
    {
        if (engine is null) return ours;
        static FieldValue<T>? Pick<T>(FieldValue<T>? a, FieldValue<T>? b) =>
            a is null ? b : b is null ? a : a.Confidence >= b.Confidence ? a : b;
        return new ReceiptFields
        {
            Merchant = Pick(engine.Merchant, ours.Merchant),
            Date = Pick(engine.Date, ours.Date),
            Time = Pick(engine.Time, ours.Time),
            Total = Pick(engine.Total, ours.Total),
            Subtotal = Pick(engine.Subtotal, ours.Subtotal),
            Tax = Pick(engine.Tax, ours.Tax),
            ServiceCharge = Pick(engine.ServiceCharge, ours.ServiceCharge),
            Currency = Pick(engine.Currency, ours.Currency),
            ReceiptNumber = Pick(engine.ReceiptNumber, ours.ReceiptNumber),
            PaymentMethod = Pick(engine.PaymentMethod, ours.PaymentMethod),
        };
    }

    private async Task<ReceiptReading> ReadPdfAsync(
        ReadOnlyMemory<byte> content, Func<TimeSpan> elapsed, Func<string, bool, ReceiptReading> refuse, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("reimburse-pdf-");
        try
        {
            var pdf = Path.Combine(dir.FullName, "receipt.pdf");
            await File.WriteAllBytesAsync(pdf, content.ToArray(), cancellationToken).ConfigureAwait(false);
            var toolTimeout = TimeSpan.FromSeconds(_o.ToolTimeoutSeconds);
            var memory = _o.MemoryLimitMegabytes * 1024L * 1024L;

            var info = await ProcessRunner.RunAsync("pdfinfo", [pdf], toolTimeout, memory, null, cancellationToken).ConfigureAwait(false);
            if (info.TimedOut) return refuse($"PDF inspection exceeded {_o.ToolTimeoutSeconds}s", false);
            var pagesMatch = PagesLine().Match(info.Stdout);
            if (info.ExitCode != 0 || !pagesMatch.Success)
                return refuse($"PDF could not be parsed: {FirstLine(info.Stderr)}", false);
            var pages = int.Parse(pagesMatch.Groups[1].Value, CultureInfo.InvariantCulture);
            if (pages < 1) return refuse("PDF has no pages", false);
            if (pages > _o.MaxPdfPages) return refuse($"PDF has {pages} pages; the limit is {_o.MaxPdfPages}", false);
            var last = Math.Min(pages, _o.PdfPagesToRead).ToString(CultureInfo.InvariantCulture);

            var text = await ProcessRunner.RunAsync("pdftotext", ["-layout", "-enc", "UTF-8", "-l", last, pdf, "-"], toolTimeout, memory, null, cancellationToken)
                .ConfigureAwait(false);
            if (text.Succeeded && text.Stdout.Count(char.IsLetterOrDigit) >= 20)
            {
                var document = OcrDocument.FromText(text.Stdout.Replace("\f", "\n", StringComparison.Ordinal), 0.99);
                return Finish(OcrOutcome.Success(document), "pdftotext", "poppler", elapsed(), refuse);
            }

            if (engine.AcceptsPdf)
            {
                var outcome = await engine.RecognizeAsync(new OcrInput(content.ToArray(), "application/pdf"), cancellationToken).ConfigureAwait(false);
                return Finish(outcome, engine.Name, engine.Version, elapsed(), refuse);
            }

            // Scanned PDF: rasterise at a DPI that keeps the largest page under the pixel cap.
            var dpi = _o.PdfDpi;
            var size = PageSize().Match(info.Stdout);
            if (size.Success)
            {
                var wIn = double.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture) / 72;
                var hIn = double.Parse(size.Groups[2].Value, CultureInfo.InvariantCulture) / 72;
                if (wIn > 0 && hIn > 0)
                    dpi = (int)Math.Clamp(Math.Min(dpi, Math.Sqrt(_o.MaxMegapixels * 1_000_000.0 / (wIn * hIn))), 30, dpi);
            }
            var prefix = Path.Combine(dir.FullName, "page");
            var raster = await ProcessRunner.RunAsync("pdftoppm",
                ["-r", dpi.ToString(CultureInfo.InvariantCulture), "-l", last, "-gray", "-png", pdf, prefix],
                TimeSpan.FromSeconds(_o.ToolTimeoutSeconds * 2), memory, null, cancellationToken).ConfigureAwait(false);
            if (raster.TimedOut) return refuse($"PDF rasterising exceeded {_o.ToolTimeoutSeconds * 2}s", false);
            var images = Directory.GetFiles(dir.FullName, "page*.png").Order(StringComparer.Ordinal).ToList();
            if (images.Count == 0) return refuse($"PDF could not be rasterised: {FirstLine(raster.Stderr)}", false);

            var lines = new List<OcrLine>();
            var pageNumber = 0;
            foreach (var image in images)
            {
                pageNumber++;
                var bytes = await File.ReadAllBytesAsync(image, cancellationToken).ConfigureAwait(false);
                if (CheckImage(bytes) is { } refusal) return refuse($"page {pageNumber}: {refusal}", false);
                var outcome = await engine.RecognizeAsync(new OcrInput(bytes, "image/png"), cancellationToken).ConfigureAwait(false);
                if (outcome.Document is null) return Finish(outcome, engine.Name, engine.Version, elapsed(), refuse);
                var page = pageNumber;
                lines.AddRange(outcome.Document.Lines.Select(l => l with { Page = page }));
            }
            return Finish(OcrOutcome.Success(new OcrDocument(lines)), engine.Name, engine.Version, elapsed(), refuse);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string FirstLine(string s) => OcrText.FirstLine(s, "no detail");

    [GeneratedRegex(@"^Pages:\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex PagesLine();

    [GeneratedRegex(@"^Page size:\s+([\d.]+) x ([\d.]+) pts", RegexOptions.Multiline)]
    private static partial Regex PageSize();

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Receipt unreadable (retryable {Retryable}): {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason, bool retryable);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Reading a receipt failed unexpectedly")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
