namespace Reimburse.Core.Claims;

/// <summary>The receipt formats accepted, recognised by their bytes (never by name).</summary>
public enum ReceiptFileType { Jpeg, Png, Pdf }

/// <summary>Why a file is not an acceptable receipt.</summary>
public sealed record ReceiptFileProblem(string Code, string Message);

/// <summary>Recognises receipt files by magic bytes and basic structural checks.</summary>
public static class ReceiptFiles
{
    public const long MaxBytes = 10 * 1024 * 1024;
    public const int MaxFilesPerClaim = 10;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] PngIend = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    public static string ContentType(ReceiptFileType type) => type switch
    {
        ReceiptFileType.Jpeg => "image/jpeg",
        ReceiptFileType.Png => "image/png",
        _ => "application/pdf",
    };

    /// <summary>Identifies the file or says what is wrong with it. Declared name and content type
    /// must agree with the bytes when they name one of the accepted types.</summary>
    public static (ReceiptFileType? Type, ReceiptFileProblem? Problem) Inspect(ReadOnlySpan<byte> content, string? fileName, string? declaredContentType)
    {
        if (content.Length == 0)
        {
            return (null, new("empty-file", "The file is empty."));
        }
        if (content.Length > MaxBytes)
        {
            return (null, new("file-too-large", $"The file is larger than {MaxBytes / (1024 * 1024)} MB."));
        }

        ReceiptFileType? sniffed = Sniff(content);
        if (sniffed is null)
        {
            return (null, new("unsupported-type", "The file is not a JPEG, PNG or PDF."));
        }

        var claimed = FromName(fileName) ?? FromContentType(declaredContentType);
        if (claimed is not null && claimed != sniffed)
        {
            return (null, new("type-mismatch", $"The file is named or declared as {claimed.Value.ToString().ToUpperInvariant()} but its content is {sniffed.Value.ToString().ToUpperInvariant()}."));
        }

        var truncated = sniffed switch
        {
            ReceiptFileType.Jpeg => !EndsWithJpegEoi(content),
            ReceiptFileType.Png => content[^Math.Min(content.Length, 32)..].IndexOf(PngIend) < 0,
            _ => content[^Math.Min(content.Length, 2048)..].IndexOf("%%EOF"u8) < 0,
        };
        return truncated
            ? (null, new("truncated-file", $"The {sniffed.Value.ToString().ToUpperInvariant()} file is truncated or damaged."))
            : (sniffed, null);
    }

    /// <summary>Type from the leading bytes only.</summary>
    public static ReceiptFileType? Sniff(ReadOnlySpan<byte> content)
    {
        if (content.Length >= 3 && content[0] == 0xFF && content[1] == 0xD8 && content[2] == 0xFF)
        {
            return ReceiptFileType.Jpeg;
        }
        if (content.StartsWith(PngSignature))
        {
            return ReceiptFileType.Png;
        }
        // PDF readers accept the header anywhere in the first 1 KiB.
        var head = content[..Math.Min(content.Length, 1024)];
        return head.IndexOf("%PDF-"u8) >= 0 ? ReceiptFileType.Pdf : null;
    }

    private static bool EndsWithJpegEoi(ReadOnlySpan<byte> content)
    {
        // Some cameras pad after EOI; look in the last few bytes.
        var tail = content[^Math.Min(content.Length, 64)..];
        for (var i = tail.Length - 2; i >= 0; i--)
        {
            if (tail[i] == 0xFF && tail[i + 1] == 0xD9)
            {
                return true;
            }
        }
        return false;
    }

    private static ReceiptFileType? FromName(string? fileName)
    {
        var ext = Path.GetExtension(fileName ?? "").ToLowerInvariant();
        return ext switch
        {
            ".jpg" or ".jpeg" or ".jfif" => ReceiptFileType.Jpeg,
            ".png" => ReceiptFileType.Png,
            ".pdf" => ReceiptFileType.Pdf,
            _ => null,
        };
    }

    private static ReceiptFileType? FromContentType(string? contentType)
    {
        var ct = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        return ct switch
        {
            "image/jpeg" or "image/jpg" or "image/pjpeg" => ReceiptFileType.Jpeg,
            "image/png" => ReceiptFileType.Png,
            "application/pdf" => ReceiptFileType.Pdf,
            _ => null,
        };
    }
}
