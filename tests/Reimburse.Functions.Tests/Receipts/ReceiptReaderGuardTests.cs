using System.Diagnostics;
using Reimburse.Core.Receipts;
using Reimburse.Functions.Receipts.Ocr;
using Reimburse.Testing;
using Reimburse.Testing.Receipts;

namespace Reimburse.Tests.Receipts;

public class ReceiptReaderGuardTests
{
    /// <summary>An engine that records calls and returns one line of text.</summary>
    private sealed class RecordingEngine : IOcrEngine
    {
        public int Calls;

        public string Name => "recording";

        public string Version => "1";

        public bool AcceptsPdf => false;

        public Task<OcrOutcome> RecognizeAsync(OcrInput input, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(OcrOutcome.Success(OcrDocument.FromText("SHOP LTD\nTOTAL 1.00")));
        }
    }

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ReadAsync_50000x50000PngHeader_UnreadableWithoutDecoding()
    {
        var engine = new RecordingEngine();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(OcrTestSupport.PngHeader(50_000, 50_000), "image/png", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.Contains("MP", reading.Reason, StringComparison.Ordinal);
        Assert.Equal(0, engine.Calls);
    }

    [Fact]
    public async Task ReadAsync_DecompressionBomb_UnreadableWithoutDecoding()
    {
        var bomb = OcrTestSupport.DecompressionBomb(8_000, 8_000);
        Assert.True(bomb.Length < 200_000, "the bomb must be small on disk");
        var engine = new RecordingEngine();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(bomb, "image/png", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.Equal(0, engine.Calls);
    }

    [Fact]
    public async Task ReadAsync_RandomBytesNamedJpg_UnreadableNotAnImage()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0x00;
        var engine = new RecordingEngine();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(bytes, "image/jpeg", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.Contains("not a PNG, JPEG or PDF", reading.Reason, StringComparison.Ordinal);
        Assert.Equal(0, engine.Calls);
    }

    [Fact]
    public async Task ReadAsync_JpegMagicThenGarbage_UnreadableWithReason()
    {
        var bytes = new byte[4096];
        new Random(11).NextBytes(bytes);
        bytes[0] = 0xFF; bytes[1] = 0xD8; bytes[2] = 0xFF; bytes[3] = 0xE0;
        using var engine = OcrTestSupport.Tesseract();
        var sw = Stopwatch.StartNew();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(bytes, "image/jpeg", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.False(string.IsNullOrEmpty(reading.Reason));
        Assert.True(sw.Elapsed < Limit);
    }

    [Fact]
    public async Task ReadAsync_JpegHtmlPolyglot_UnreadableNoText()
    {
        using var engine = OcrTestSupport.Tesseract();
        var sw = Stopwatch.StartNew();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(OcrTestSupport.JpegHtmlPolyglot(), "text/html", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.False(string.IsNullOrEmpty(reading.Reason));
        Assert.True(sw.Elapsed < Limit);
    }

    [Fact]
    public async Task ReadAsync_PdfWith10000Pages_UnreadableTooManyPages()
    {
        var engine = new RecordingEngine();
        var sw = Stopwatch.StartNew();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(MinimalPdf.ManyPages(10_000), "application/pdf", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.Contains("10000 pages", reading.Reason, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < Limit);
    }

    [Fact]
    public async Task ReadAsync_PdfWithCyclicXref_UnreadableWithinTime()
    {
        using var engine = OcrTestSupport.Tesseract();
        var sw = Stopwatch.StartNew();
        var reading = await OcrTestSupport.Reader(engine).ReadAsync(MinimalPdf.CyclicXref(), "application/pdf", TestTimeout.Token());
        Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
        Assert.False(string.IsNullOrEmpty(reading.Reason));
        Assert.True(sw.Elapsed < Limit);
    }

    [Fact]
    public async Task ReadAsync_EmptyFile_Unreadable()
    {
        var reading = await OcrTestSupport.Reader(new RecordingEngine()).ReadAsync(ReadOnlyMemory<byte>.Empty, "image/png", TestTimeout.Token());
        Assert.Equal("file is empty", reading.Reason);
    }

    [Fact]
    public async Task ReadAsync_HangingEngine_KilledWithinTimeoutAndRetryable()
    {
        var dir = Directory.CreateTempSubdirectory("fake-tesseract-");
        try
        {
            var script = Path.Combine(dir.FullName, "tesseract");
            await File.WriteAllTextAsync(script, "#!/bin/sh\ncase \"$1\" in --version) echo 'tesseract 0.0-hang'; exit 0;; esac\nsleep 120\n");
            if (!OperatingSystem.IsLinux()) return;
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var options = new OcrOptions { TesseractPath = script, EngineTimeoutSeconds = 2, TesseractLanguages = "eng", Preprocess = false };
            using var engine = OcrTestSupport.Tesseract(options);
            var sw = Stopwatch.StartNew();
            var reading = await OcrTestSupport.Reader(engine, options).ReadAsync(OcrTestSupport.BlankJpeg(), "image/jpeg", TestTimeout.Token());
            Assert.Equal(ReceiptReadStatus.Unreadable, reading.Status);
            Assert.True(reading.Retryable);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sniff_JpegPngPdfAndOther_ByMagicBytes()
    {
        Assert.Equal(ReceiptFileKind.Png, ImageGuard.Sniff(OcrTestSupport.PngHeader(1, 1)));
        Assert.Equal(ReceiptFileKind.Jpeg, ImageGuard.Sniff(OcrTestSupport.BlankJpeg()));
        Assert.Equal(ReceiptFileKind.Pdf, ImageGuard.Sniff(MinimalPdf.ManyPages(1)));
        Assert.Equal(ReceiptFileKind.Unknown, ImageGuard.Sniff("<html></html>"u8));
    }

    [Fact]
    public void Dimensions_JpegSof_ReadsSize()
    {
        Assert.Equal((64, 64), ImageGuard.Dimensions(OcrTestSupport.BlankJpeg()));
    }
}
