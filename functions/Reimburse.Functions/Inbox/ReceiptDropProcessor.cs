using System.Text.Json;
using Azure;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Inbox;

/// <summary>Turns a file dropped into receipts-inbox/{userId}/… into a Draft claim owned by that user, or moves it to
/// quarantine with a reason. Never drops a file silently. Safe to run twice on the same file.</summary>
public sealed partial class ReceiptDropProcessor(
    ReimburseStorage storage,
    ClaimStore claims,
    ClaimIndex index,
    ReceiptStore receipts,
    CompanyProvider companies,
    TimeProvider clock,
    ILogger<ReceiptDropProcessor> logger)
{
    /// <summary>Outcome of one dropped file.</summary>
    public sealed record DropOutcome(string BlobName, string? ClaimId, string? QuarantineReason);

    public async Task<DropOutcome> ProcessAsync(string blobName, CancellationToken cancellationToken = default)
    {
        BlobDownloadResult download;
        try
        {
            BlobProperties props = await storage.Inbox.GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken);
            if (props.ContentLength > ReceiptFiles.MaxBytes)
            {
                return await QuarantineAsync(blobName, null, "file-too-large", $"{props.ContentLength} bytes is over the {ReceiptFiles.MaxBytes} byte limit.", props.ETag, cancellationToken);
            }
            download = (await storage.Inbox.GetBlobClient(blobName).DownloadContentAsync(cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new DropOutcome(blobName, null, null); // already handled by another instance
        }

        var company = await companies.GetAsync(cancellationToken);
        var segments = blobName.Split('/', 2);
        var user = segments.Length == 2 ? company.FindUser(segments[0]) : null;
        if (user is null)
        {
            return await QuarantineAsync(blobName, download, "unknown-user", $"The path must start with a known user id (got '{(segments.Length == 2 ? segments[0] : "")}').", download.Details.ETag, cancellationToken);
        }

        var bytes = download.Content.ToArray();
        var (type, problem) = ReceiptFiles.Inspect(bytes, segments[1], download.Details.ContentType);
        if (type is null)
        {
            return await QuarantineAsync(blobName, download, problem!.Code, problem.Message, download.Details.ETag, cancellationToken);
        }

        var receipt = await receipts.PutAsync(bytes, type.Value, segments[1], cancellationToken);
        // The id depends on the file's name and version: a rerun after a crash finds the same claim, a new upload under
        // the same name is a new claim.
        var claimId = ClaimIds.FromKey(company.Id, user.Id, "inbox", blobName + "\n" + download.Details.ETag);
        var now = clock.GetUtcNow();
        var claim = new Claim(claimId, company.Id, user.Id, user.Department, user.Id, ClaimSource.Inbox, ClaimStatus.Draft,
            ClaimFields.Empty with { Currency = company.BaseCurrency }, [receipt], now, null, now);
        // Index first: a claim row never exists without its index row, so nothing has to repair the index later.
        await index.UpsertAsync(claim, cancellationToken);
        try
        {
            await claims.CreateAsync(claim, null, new AuditDraft("claim.drafted", user.Id, "employee", null,
                JsonSerializer.Serialize(new { source = "inbox", blob = blobName, receipt = receipt.Sha256 })), cancellationToken);
            LogDrafted(logger, claimId, user.Id);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Created by an earlier attempt.
        }
        // OCR is slow: it runs from its own queue, and fills the draft's fields when done.
        await storage.Queue(Receipts.DraftAutofillHandler.Queue).SendMessageAsync(QueueMessages.Encode(new Receipts.DraftReceiptsDropped(claimId)), cancellationToken: cancellationToken);
        await DeleteFromInboxAsync(blobName, download.Details.ETag, cancellationToken);
        return new DropOutcome(blobName, claimId, null);
    }

    private async Task<DropOutcome> QuarantineAsync(string blobName, BlobDownloadResult? download, string code, string reason, ETag etag, CancellationToken cancellationToken)
    {
        var content = download?.Content ?? BinaryData.FromBytes([]);
        await storage.Quarantine.GetBlobClient(blobName).UploadAsync(content, new BlobUploadOptions
        {
            HttpHeaders = new() { ContentType = "application/octet-stream" },
            Metadata = new Dictionary<string, string>
            {
                ["reason"] = code,
                // Metadata values must be ASCII: keep the explanation readable but safe.
                ["detail"] = new string(reason.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray()),
                ["quarantinedat"] = clock.GetUtcNow().ToString("O"),
                ["originalsize"] = (download?.Details.ContentLength ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        }, cancellationToken);
        LogQuarantined(logger, blobName, code);
        await DeleteFromInboxAsync(blobName, etag, cancellationToken);
        return new DropOutcome(blobName, null, code);
    }

    private async Task DeleteFromInboxAsync(string blobName, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await storage.Inbox.GetBlobClient(blobName).DeleteAsync(DeleteSnapshotsOption.None, new BlobRequestConditions { IfMatch = etag }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Gone already, or replaced by a newer upload that will be processed on its own.
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Dropped receipt became draft claim {ClaimId} for {UserId}")]
    private static partial void LogDrafted(ILogger logger, string claimId, string userId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Quarantined inbox file {BlobName}: {Reason}")]
    private static partial void LogQuarantined(ILogger logger, string blobName, string reason);
}
