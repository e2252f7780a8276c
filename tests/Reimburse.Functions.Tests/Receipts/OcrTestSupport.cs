using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Receipts.Ocr;

namespace Reimburse.Tests.Receipts;

/// <summary>Builders for readers and hostile files used by the OCR tests.</summary>
internal static class OcrTestSupport
{
    public static ReceiptReader Reader(IOcrEngine engine, OcrOptions? options = null) =>
        new(engine, Options.Create(options ?? new OcrOptions()), TimeProvider.System, NullLogger<ReceiptReader>.Instance);

    public static TesseractOcrEngine Tesseract(OcrOptions? options = null) =>
        new(Options.Create(options ?? new OcrOptions()), NullLogger<TesseractOcrEngine>.Instance);

    /// <summary>A merchant name as the benchmark compares it: NFKC, Simplified forms folded, upper-case, letters and digits only.</summary>
    public static string Key(string s)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in Reimburse.Core.Receipts.ReceiptText.FoldSimplified(s.Normalize(System.Text.NormalizationForm.FormKC)).ToUpperInvariant())
            if (char.IsLetterOrDigit(c)) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>Generates a receipt, reads it with the engine and checks merchant, date and total against its truth.</summary>
    public static async Task<Reimburse.Core.Receipts.ReceiptReading> ReadsTruthAsync(IOcrEngine engine,
        Reimburse.Testing.Receipts.SyntheticReceiptKind kind, int seed, CancellationToken token)
    {
        var receipt = await Reimburse.Testing.Receipts.SyntheticReceipts.GenerateAsync(kind, seed, token);
        var reading = await Reader(engine).ReadAsync(receipt.Content, receipt.MediaType, token);
        Assert.Equal(Reimburse.Core.Receipts.ReceiptReadStatus.Read, reading.Status);
        var f = reading.Fields!;
        Assert.Equal(receipt.Truth.Total, f.Total?.Value);
        Assert.Equal(receipt.Truth.Date, f.Date?.Value);
        Assert.Equal(Key(receipt.Truth.Merchant), Key(f.Merchant?.Value ?? ""));
        return reading;
    }

    public static PaddleOcrEngine Paddle(OcrOptions? options = null) =>
        new(Options.Create(options ?? new OcrOptions()), NullLogger<PaddleOcrEngine>.Instance);

    /// <summary>A PNG signature and IHDR declaring the given size, followed by a tiny IDAT: no pixels are allocated.</summary>
    public static byte[] PngHeader(uint width, uint height, byte[]? idat = null)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // greyscale
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", idat ?? [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A real greyscale PNG of zeros whose compressed size is a tiny fraction of its decoded size.</summary>
    public static byte[] DecompressionBomb(int width, int height)
    {
        using var data = new MemoryStream();
        using (var z = new ZLibStream(data, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < height; y++) z.Write(row);
        }
        return PngHeader((uint)width, (uint)height, data.ToArray());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc32([.. typeBytes, .. data]);
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>A small blank JPEG made by ImageMagick.</summary>
    public static byte[] BlankJpeg()
    {
        var path = Path.Combine(Path.GetTempPath(), $"blank-{Guid.NewGuid():N}.jpg");
        try
        {
            using var p = Process.Start(new ProcessStartInfo("convert", ["-size", "64x64", "xc:white", path]) { UseShellExecute = false })!;
            p.WaitForExit(20_000);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A JPEG that is also an HTML page: the markup sits in a COM segment right after SOI.</summary>
    public static byte[] JpegHtmlPolyglot()
    {
        var jpeg = BlankJpeg();
        var html = "<html><body><script>alert('x')</script>TOTAL 999.99</body></html>"u8.ToArray();
        var com = new byte[4 + html.Length];
        com[0] = 0xFF;
        com[1] = 0xFE;
        BinaryPrimitives.WriteUInt16BigEndian(com.AsSpan(2), (ushort)(html.Length + 2));
        html.CopyTo(com, 4);
        return [.. jpeg[..2], .. com, .. jpeg[2..]];
    }
}
