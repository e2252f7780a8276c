using System.Buffers.Binary;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>File kinds the reader accepts, by magic bytes (never by name or declared content type).</summary>
public enum ReceiptFileKind
{
    Unknown,
    Png,
    Jpeg,
    Pdf,
}

/// <summary>Cheap checks on raw bytes before any decoder runs: type sniffing and declared image dimensions.</summary>
public static class ImageGuard
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static ReceiptFileKind Sniff(ReadOnlySpan<byte> content)
    {
        if (content.Length >= 8 && content[..8].SequenceEqual(PngSignature)) return ReceiptFileKind.Png;
        if (content.Length >= 3 && content[0] == 0xFF && content[1] == 0xD8 && content[2] == 0xFF) return ReceiptFileKind.Jpeg;
        // PDF readers accept the header anywhere in the first KiB.
        if (content[..Math.Min(content.Length, 1024)].IndexOf("%PDF-"u8) >= 0) return ReceiptFileKind.Pdf;
        return ReceiptFileKind.Unknown;
    }

    public static string MediaType(ReceiptFileKind kind) => kind switch
    {
        ReceiptFileKind.Png => "image/png",
        ReceiptFileKind.Jpeg => "image/jpeg",
        ReceiptFileKind.Pdf => "application/pdf",
        _ => "application/octet-stream",
    };

    /// <summary>Width and height declared in a PNG IHDR or a JPEG SOF marker; null when absent or malformed.</summary>
    public static (int Width, int Height)? Dimensions(ReadOnlySpan<byte> content) => Sniff(content) switch
    {
        ReceiptFileKind.Png => PngDimensions(content),
        ReceiptFileKind.Jpeg => JpegDimensions(content),
        _ => null,
    };

    private static (int, int)? PngDimensions(ReadOnlySpan<byte> c)
    {
        // Signature (8) + chunk length (4) + "IHDR" (4) + width (4) + height (4).
        if (c.Length < 24 || !c.Slice(12, 4).SequenceEqual("IHDR"u8)) return null;
        var w = BinaryPrimitives.ReadUInt32BigEndian(c.Slice(16, 4));
        var h = BinaryPrimitives.ReadUInt32BigEndian(c.Slice(20, 4));
        return w > int.MaxValue || h > int.MaxValue ? (int.MaxValue, int.MaxValue) : ((int)w, (int)h);
    }

    private static (int, int)? JpegDimensions(ReadOnlySpan<byte> c)
    {
        var i = 2;
        while (i + 9 < c.Length)
        {
            if (c[i] != 0xFF) return null;
            var marker = c[i + 1];
            if (marker == 0xFF) { i++; continue; }
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; }
            var length = BinaryPrimitives.ReadUInt16BigEndian(c.Slice(i + 2, 2));
            if (length < 2) return null;
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                var h = BinaryPrimitives.ReadUInt16BigEndian(c.Slice(i + 5, 2));
                var w = BinaryPrimitives.ReadUInt16BigEndian(c.Slice(i + 7, 2));
                return (w, h);
            }
            if (marker == 0xDA) return null;
            i += 2 + length;
        }
        return null;
    }
}
