using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Reimburse.Core.Claims;
using Reimburse.Core.Receipts;
using Reimburse.Core.Risk;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Receipts.Ocr;
using Reimburse.Functions.Risk;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Receipts;

/// <summary>A stored reading and how many times the engine was tried (engine failures are retried a few times).</summary>
public sealed record StoredReading(ReceiptReading Reading, int Attempts);

/// <summary>Thrown when an OCR engine failed (crash, hang, throttling) and the receipt should be tried again later.</summary>
public sealed class OcrRetryLaterException(string reason) : Exception(reason);

/// <summary>OCR results keyed by the receipt's SHA-256, so the same file is never read twice, whichever claim it is on.</summary>
public sealed partial class ReceiptReadingStore(ReimburseStorage storage, ReceiptReader reader, ILogger<ReceiptReadingStore> logger)
    : IReceiptEvidenceProvider
{
    public const string ContainerName = "receipt-readings";
    /// <summary>Engine failures per file before the receipt is marked unreadable for good.</summary>
    public const int MaxEngineAttempts = 3;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private BlobContainerClient Container => storage.Container(ContainerName);

    public async Task<StoredReading?> GetAsync(string sha256, CancellationToken cancellationToken = default)
    {
        try
        {
            var blob = (await Container.GetBlobClient(sha256 + ".json").DownloadContentAsync(cancellationToken)).Value;
            return blob.Content.ToObjectFromJson<StoredReading>(Json);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The reading of a receipt, running OCR if it has not been read. An engine failure is stored, then raised as
    /// <see cref="OcrRetryLaterException"/> until it has failed <see cref="MaxEngineAttempts"/> times; after that the
    /// receipt stays unreadable with the reason, and the claim goes on without it.</summary>
    public async Task<ReceiptReading> ReadAsync(ReceiptRef receipt, CancellationToken cancellationToken = default)
    {
        var existing = await GetAsync(receipt.Sha256, cancellationToken);
        if (existing is { Reading.Retryable: false } || existing is { Attempts: >= MaxEngineAttempts })
        {
            return existing.Reading;
        }

        var content = (await storage.Receipts.GetBlobClient(receipt.Sha256).DownloadContentAsync(cancellationToken)).Value;
        var reading = await reader.ReadAsync(content.Content.ToMemory(), receipt.ContentType, cancellationToken);
        var attempts = (existing?.Attempts ?? 0) + 1;
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Container.GetBlobClient(receipt.Sha256 + ".json").UploadAsync(BinaryData.FromObjectAsJson(new StoredReading(reading, attempts), Json), new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" } }, cancellationToken);
        LogRead(logger, receipt.Sha256[..12], reading.Status.ToString(), reading.Engine, reading.Duration.TotalMilliseconds, reading.Reason ?? "");
        if (reading.Retryable && attempts < MaxEngineAttempts)
        {
            throw new OcrRetryLaterException($"OCR engine failed on receipt {receipt.Sha256[..12]} (attempt {attempts}): {reading.Reason}");
        }
        return reading;
    }

    /// <summary>What the risk model uses of a receipt: its hash and, when read, merchant, date, total and number.</summary>
    public async Task<ReceiptEvidence> EvidenceAsync(ReceiptRef receipt, CancellationToken cancellationToken = default)
    {
        var stored = await GetAsync(receipt.Sha256, cancellationToken);
        var f = stored?.Reading.Fields;
        if (f is null)
        {
            return new ReceiptEvidence(receipt.Sha256);
        }
        var currency = f.Currency?.Value;
        var total = f.Total?.Value;
        return new ReceiptEvidence(receipt.Sha256, f.Merchant?.Value, f.Date?.Value, total, currency,
            total is { } t ? FxRates.ToHkd(t, currency ?? Core.Money.HongKongDollar) : null, f.ReceiptNumber?.Value);
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Read receipt {Hash}: {Status} by {Engine} in {Milliseconds:0} ms {Reason}")]
    private static partial void LogRead(ILogger logger, string hash, string status, string engine, double milliseconds, string reason);
}
