using System.Security.Cryptography;
using Azure;
using Reimburse.Core.Claims;
using Reimburse.Functions.Hosting;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Claims;

/// <summary>Receipt files, stored once each under their SHA-256: the same file uploaded twice is one blob.</summary>
public sealed class ReceiptStore(ReimburseStorage storage)
{
    public static string Sha256Hex(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Stores the file if it is not there yet. Create-only, so concurrent uploads of one file cannot clash.</summary>
    public async Task<ReceiptRef> PutAsync(byte[] content, ReceiptFileType type, string fileName, CancellationToken cancellationToken = default)
    {
        var hash = Sha256Hex(content);
        try
        {
            await storage.Receipts.GetBlobClient(hash).UploadAsync(new BinaryData(content), new BlobUploadOptions
            {
                HttpHeaders = new() { ContentType = ReceiptFiles.ContentType(type) },
                Conditions = new() { IfNoneMatch = ETag.All },
            }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Already stored: content addressing makes this the same file.
        }
        return ReceiptRef.Create(hash, ReceiptFiles.ContentType(type), content.LongLength, SafeFileName(fileName, type));
    }

    public async Task<(Stream Content, BlobDownloadDetails Details)> OpenAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var download = (await storage.Receipts.GetBlobClient(sha256).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
        return (download.Content, download.Details);
    }

    /// <summary>Keeps a display name only: no paths, no control characters, bounded length.</summary>
    public static string SafeFileName(string? name, ReceiptFileType type)
    {
        var baseName = Path.GetFileName((name ?? "").Replace('\\', '/'));
        var clean = new string(baseName.Where(c => !char.IsControl(c) && c is not ('"' or '/' or '\\')).ToArray()).Trim();
        if (clean.Length == 0)
        {
            clean = "receipt" + type switch { ReceiptFileType.Jpeg => ".jpg", ReceiptFileType.Png => ".png", _ => ".pdf" };
        }
        return clean.Length > 120 ? clean[..120] : clean;
    }
}
