using System.Text;
using Reimburse.Core.Receipts;
using Reimburse.Functions.Receipts.Ocr;
using Reimburse.Testing;
using Reimburse.Testing.Receipts;
using Xunit.Abstractions;

namespace Reimburse.Tests.Receipts;

/// <summary>The PP-OCRv4 engine: its pure parts (raster parsing, region finding, CTC decoding, line grouping) and real runs.</summary>
public sealed class PaddleOcrEngineTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(SyntheticReceiptKind.ChineseRestaurant, 11)]
    [InlineData(SyntheticReceiptKind.BilingualSupermarket, 12)]
    [InlineData(SyntheticReceiptKind.Taxi, 13)]
    [InlineData(SyntheticReceiptKind.ScannedPdf, 15)]
    public async Task ReadAsync_GeneratedReceipt_MerchantDateTotalMatchTruth(SyntheticReceiptKind kind, int seed)
    {
        using var engine = OcrTestSupport.Paddle();
        var reading = await OcrTestSupport.ReadsTruthAsync(engine, kind, seed, TestTimeout.Token(120));

        output.WriteLine(reading.Document!.Text);
        Assert.Equal("paddleocr", reading.Engine);
        Assert.All(reading.Document!.Lines, l => Assert.InRange(l.Confidence, 0.5, 1.0));
    }

    [Fact]
    public async Task RecognizeAsync_JpegWithCorruptBody_IsUnreadableNotAnEngineFailure()
    {
        var jpeg = OcrTestSupport.BlankJpeg();
        var corrupt = jpeg[..4].Concat(Enumerable.Repeat((byte)0x5A, 4096)).ToArray();
        using var engine = OcrTestSupport.Paddle();
        var outcome = await engine.RecognizeAsync(new OcrInput(corrupt, "image/jpeg"), TestTimeout.Token(60));
        Assert.Null(outcome.Document);
        Assert.False(outcome.Retryable);
        Assert.StartsWith("image could not be decoded", outcome.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecognizeAsync_BlankImage_FindsNoText()
    {
        using var engine = OcrTestSupport.Paddle();
        var outcome = await engine.RecognizeAsync(new OcrInput(OcrTestSupport.BlankJpeg(), "image/jpeg"), TestTimeout.Token(60));
        Assert.NotNull(outcome.Document);
        Assert.Empty(outcome.Document.Lines);
    }

    [Fact]
    public async Task RecognizeAsync_RunOverItsTime_IsStoppedAndRetryableAndTheEngineStillWorks()
    {
        var token = TestTimeout.Token(120);
        // A long page of print takes seconds to recognise; a one-second budget stops it mid-run.
        var page = await LongPageAsync(token);
        using var engine = OcrTestSupport.Paddle(new OcrOptions { EngineTimeoutSeconds = 1 });

        var stopped = await engine.RecognizeAsync(new OcrInput(page, "image/jpeg"), token);

        Assert.Null(stopped.Document);
        Assert.True(stopped.Retryable);
        Assert.Contains("exceeded 1s", stopped.FailureReason, StringComparison.Ordinal);
        var small = await SyntheticReceipts.GenerateAsync(SyntheticReceiptKind.Taxi, 21, token);
        using var patient = OcrTestSupport.Paddle();
        Assert.NotNull((await patient.RecognizeAsync(new OcrInput(small.Content, small.MediaType), token)).Document);
        Assert.NotNull((await engine.RecognizeAsync(new OcrInput(OcrTestSupport.BlankJpeg(), "image/jpeg"), token)).Document);
    }

    /// <summary>Eight rendered blocks of 15 item lines in two columns on one page: seconds of recognition, far over 1 s.</summary>
    private static async Task<byte[]> LongPageAsync(CancellationToken token)
    {
        var dir = Directory.CreateTempSubdirectory("paddle-long-");
        try
        {
            var parts = new List<string>();
            for (var block = 0; block < 8; block++)
            {
                var lines = Enumerable.Range(block * 15 + 1, 15).Select(i => $"ITEM {i:000} PRODUCT {i * 7919 % 100000:00000} {i * 1.25m:0.00}").ToList();
                var path = Path.Combine(dir.FullName, $"part{block}.jpg");
                await File.WriteAllBytesAsync(path, await SyntheticReceipts.RenderAsync(lines, 7 + block, new Random(7 + block), token), token);
                parts.Add(path);
            }
            var output = Path.Combine(dir.FullName, "page.jpg");
            // Two columns of four blocks: twice the print of one column at the same detection scale.
            using var p = System.Diagnostics.Process.Start("convert",
                ["(", .. parts[..4], "-append", ")", "(", .. parts[4..], "-append", ")", "+append", output])!;
            await p.WaitForExitAsync(token);
            return await File.ReadAllBytesAsync(output, token);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RecognizeAsync_ModelsMissing_FailsRetryablyWithReason()
    {
        var empty = Directory.CreateTempSubdirectory("no-models-");
        try
        {
            using var engine = OcrTestSupport.Paddle(new OcrOptions { PaddleModelDirectory = empty.FullName });
            var outcome = await engine.RecognizeAsync(new OcrInput(OcrTestSupport.BlankJpeg(), "image/jpeg"), TestTimeout.Token(60));
            Assert.True(outcome.Retryable);
            Assert.Contains(PaddleOcrEngine.DetectionModel, outcome.FailureReason, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void ParsePpm_ImageMagickHeader_ReadsPixels()
    {
        var ppm = Encoding.ASCII.GetBytes("P6\n2 1\n255\n").Concat(new byte[] { 1, 2, 3, 4, 5, 6 }).ToArray();
        var image = RgbImage.ParsePpm(ppm)!;
        Assert.Equal((2, 1), (image.Width, image.Height));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, image.Pixels);
    }

    [Theory]
    [InlineData("P5\n2 1\n255\n")]
    [InlineData("P6\n2 1\n65535\n")]
    [InlineData("P6\n0 1\n255\n")]
    [InlineData("P6\n99999999999 1\n255\n")]
    public void ParsePpm_OtherOrMalformedHeader_IsNull(string header)
    {
        Assert.Null(RgbImage.ParsePpm(Encoding.ASCII.GetBytes(header).Concat(new byte[6]).ToArray()));
    }

    [Fact]
    public void ParsePpm_Truncated_IsNull()
    {
        Assert.Null(RgbImage.ParsePpm(Encoding.ASCII.GetBytes("P6\n4 4\n255\n").Concat(new byte[10]).ToArray()));
    }

    [Fact]
    public void FindRegions_TwoTextKernels_TwoGrownRegionsAndWeakOneDropped()
    {
        const int w = 100, h = 40;
        var map = new float[w * h];
        void Fill(int x0, int y0, int x1, int y1, float p)
        {
            for (var y = y0; y < y1; y++)
                for (var x = x0; x < x1; x++) map[y * w + x] = p;
        }
        Fill(10, 5, 40, 10, 0.9f);   // a word
        Fill(60, 5, 90, 10, 0.8f);   // another on the same line
        Fill(10, 25, 40, 30, 0.45f); // above the pixel threshold, below the region threshold

        var regions = PaddleTextDetector.FindRegions(map, w, h);

        Assert.Equal(2, regions.Count);
        var first = regions.Single(r => r.Left < 20);
        Assert.True(first.Left < 10 && first.Right > 40 && first.Top < 5 && first.Bottom > 10, "the kernel is grown back by the unclip distance");
        Assert.InRange(first.Score, 0.89, 0.91);
    }

    [Fact]
    public void CtcDecode_RepeatsAndBlanks_CollapseToText()
    {
        string[] chars = ["", "A", "B", " "];
        // Steps: A A blank B B blank B -> "ABB"
        int[] best = [1, 1, 0, 2, 2, 0, 2];
        var probs = new float[best.Length * chars.Length];
        for (var t = 0; t < best.Length; t++) probs[t * chars.Length + best[t]] = 0.9f;
        var (text, confidence) = PaddleOcrEngine.CtcDecode(probs, best.Length, chars.Length, chars);
        Assert.Equal("ABB", text);
        Assert.Equal(0.9f, confidence, 3);
    }

    [Fact]
    public void RestoreSpaces_WideGapBetweenWordAndNumber_InsertsSpace()
    {
        // "CASH" at a pitch of 2 steps, then "20.00" 6 steps later: the recogniser dropped the space.
        var emitted = "CASH".Select((c, i) => (c.ToString(), i * 2)).Concat("20.00".Select((c, i) => (c.ToString(), 12 + i * 2))).ToList();
        Assert.Equal("CASH 20.00", PaddleOcrEngine.RestoreSpaces(emitted));
    }

    [Fact]
    public void RestoreSpaces_WideGapInsideWord_NeverSplitsIt()
    {
        // A wide "M" before "ar" is not a word break.
        List<(string, int)> emitted = [("1", 0), ("9", 2), ("M", 4), ("a", 9), ("r", 11), ("2", 13), ("0", 15), ("1", 17), ("8", 19)];
        Assert.Equal("19Mar2018", PaddleOcrEngine.RestoreSpaces(emitted));
    }

    [Fact]
    public void RestoreSpaces_WideGapBetweenDigits_NeverSplitsAnAmount()
    {
        var emitted = "SUBTOTAL".Select((c, i) => (c.ToString(), i * 2)).Concat("151.81".Select((c, i) => (c.ToString(), 20 + i * 5))).ToList();
        Assert.Equal("SUBTOTAL 151.81", PaddleOcrEngine.RestoreSpaces(emitted));
    }

    [Fact]
    public void RestoreSpaces_ChineseCharacters_NeverSplit()
    {
        var emitted = "合計".Select((c, i) => (c.ToString(), i * 8)).ToList();
        Assert.Equal("合計", PaddleOcrEngine.RestoreSpaces(emitted));
    }

    [Fact]
    public void GroupLines_BoxesOnOneRow_JoinLeftToRightInReadingOrder()
    {
        var lines = PaddleOcrEngine.GroupLines(
        [
            new("12.50", 0.9, 300, 102, 60, 20),
            new("TOTAL", 0.8, 10, 100, 80, 22),
            new("SHOP LTD", 0.95, 10, 40, 120, 22),
            new("CASH", 0.9, 10, 140, 60, 22),
            new("20.00", 0.9, 300, 143, 60, 20),
        ]);
        Assert.Equal(["SHOP LTD", "TOTAL 12.50", "CASH 20.00"], lines.Select(l => l.Text));
        Assert.Equal(new OcrBox(10, 100, 350, 22), lines[1].Box);
    }

    [Fact]
    public void GroupLines_ChineseSegments_JoinWithoutSpace()
    {
        var lines = PaddleOcrEngine.GroupLines([new("合計", 0.9, 10, 10, 60, 30), new("總數", 0.9, 100, 12, 60, 30)]);
        Assert.Equal("合計總數", Assert.Single(lines).Text);
    }
}
