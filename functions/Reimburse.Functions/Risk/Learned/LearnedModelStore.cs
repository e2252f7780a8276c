using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Reimburse.Core.Risk;

namespace Reimburse.Functions.Risk.Learned;

/// <summary>
/// Versioned learned models in blob storage, beside the forests (same container). Per company:
/// <c>{company}/learned/versions/{version}/model.zip</c> (ML.NET zip, immutable),
/// <c>{company}/learned/versions/{version}/metadata.json</c> (<see cref="LearnedModelMetadata"/>),
/// <c>{company}/learned/active.json</c> (<see cref="RiskModelPointer"/>, If-Match) and
/// <c>{company}/learned/last-training.json</c> (the last run's outcome, for the admin endpoint).
/// </summary>
public sealed partial class LearnedModelStore(BlobContainerClient container, TimeProvider time, ILogger<LearnedModelStore> logger)
{
    public static string ZipBlob(string companyId, string version) => $"{CheckId(companyId)}/learned/versions/{CheckId(version)}/model.zip";
    public static string MetadataBlob(string companyId, string version) => $"{CheckId(companyId)}/learned/versions/{CheckId(version)}/metadata.json";
    public static string ActiveBlob(string companyId) => $"{CheckId(companyId)}/learned/active.json";
    public static string LastTrainingBlob(string companyId) => $"{CheckId(companyId)}/learned/last-training.json";

    /// <summary>Stores a version (zip first, then metadata; a version is immutable, storing it again is a no-op).</summary>
    public async Task SaveAsync(string companyId, LearnedRiskModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        using var zip = new MemoryStream();
        model.Save(zip);
        zip.Position = 0;
        try
        {
            await container.GetBlobClient(ZipBlob(companyId, model.Version)).UploadAsync(zip,
                new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/zip" }, Conditions = new() { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return;
        }
        await container.GetBlobClient(MetadataBlob(companyId, model.Version)).UploadAsync(BinaryData.FromString(model.Metadata.ToJson()),
            new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" } }, cancellationToken).ConfigureAwait(false);
        Log.Stored(logger, companyId, model.Version, model.Metadata.HoldoutPrAuc);
    }

    /// <summary>Reads a version. A missing blob is <see cref="RequestFailedException"/> 404; a corrupt one <see cref="RiskModelFormatException"/>.</summary>
    public async Task<LearnedRiskModel> LoadAsync(string companyId, string version, CancellationToken cancellationToken = default)
    {
        var metadata = await LoadMetadataAsync(companyId, version, cancellationToken).ConfigureAwait(false);
        var zip = await container.GetBlobClient(ZipBlob(companyId, version)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
        using var stream = zip.Value.Content.ToStream();
        return LearnedRiskModel.Load(stream, metadata, metadata.Seed);
    }

    public async Task<LearnedModelMetadata> LoadMetadataAsync(string companyId, string version, CancellationToken cancellationToken = default)
    {
        var blob = await container.GetBlobClient(MetadataBlob(companyId, version)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
        return LearnedModelMetadata.FromJson(blob.Value.Content.ToString());
    }

    /// <summary>The active pointer, or null when no learned model was ever activated.</summary>
    public async Task<RiskModelPointer?> GetActiveAsync(string companyId, CancellationToken cancellationToken = default) =>
        (await ReadPointerAsync(companyId, cancellationToken).ConfigureAwait(false)).Pointer;

    /// <summary>Makes a stored version active (an admin may activate any stored version).</summary>
    public async Task<RiskModelPointer> ActivateAsync(string companyId, string version, CancellationToken cancellationToken = default)
    {
        if (!await container.GetBlobClient(ZipBlob(companyId, version)).ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new RiskModelVersionException($"Learned model version {version} is not stored for company {companyId}.");
        }
        var pointer = await UpdatePointerAsync(companyId, current => RiskModelPointer.Activate(current, version, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        Log.Activated(logger, companyId, version);
        return pointer;
    }

    /// <summary>Re-activates the previous learned version (or a named earlier one).</summary>
    public Task<RiskModelPointer> RollbackAsync(string companyId, string? toVersion = null, CancellationToken cancellationToken = default) =>
        UpdatePointerAsync(companyId, current => RiskModelPointer.Rollback(current, toVersion, time.GetUtcNow()), cancellationToken);

    /// <summary>Records the outcome of a training run (trained or not, activated or not, and why).</summary>
    public async Task SaveLastTrainingAsync(string companyId, LearnedTrainingOutcome outcome, CancellationToken cancellationToken = default)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(LastTrainingBlob(companyId)).UploadAsync(BinaryData.FromObjectAsJson(outcome, LearnedModelMetadata.Json),
            new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" } }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<LearnedTrainingOutcome?> GetLastTrainingAsync(string companyId, CancellationToken cancellationToken = default)
    {
        try
        {
            var blob = await container.GetBlobClient(LastTrainingBlob(companyId)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return blob.Value.Content.ToObjectFromJson<LearnedTrainingOutcome>(LearnedModelMetadata.Json);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private async Task<RiskModelPointer> UpdatePointerAsync(string companyId, Func<RiskModelPointer?, RiskModelPointer> change, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var (current, etag) = await ReadPointerAsync(companyId, cancellationToken).ConfigureAwait(false);
            var next = change(current);
            var options = new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" }, Conditions = etag is { } e ? new() { IfMatch = e } : new() { IfNoneMatch = ETag.All } };
            try
            {
                await container.GetBlobClient(ActiveBlob(companyId)).UploadAsync(BinaryData.FromString(next.ToJson()), options, cancellationToken).ConfigureAwait(false);
                return next;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 5)
            {
            }
        }
    }

    private async Task<(RiskModelPointer? Pointer, ETag? ETag)> ReadPointerAsync(string companyId, CancellationToken cancellationToken)
    {
        try
        {
            var result = (await container.GetBlobClient(ActiveBlob(companyId)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
            return (RiskModelPointer.FromJson(result.Content.ToString()), result.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return (null, null);
        }
    }

    private static string CheckId(string id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 100 || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || id.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{id}' is not a valid company id or model version (letters, digits, '-', '_', '.').", nameof(id));
        }
        return id;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5131, Level = LogLevel.Information, Message = "Stored learned risk model {Version} for {CompanyId} (hold-out PR-AUC {PrAuc:0.000})")]
        public static partial void Stored(ILogger logger, string companyId, string version, double prAuc);

        [LoggerMessage(EventId = 5132, Level = LogLevel.Information, Message = "Activated learned risk model {Version} for {CompanyId}")]
        public static partial void Activated(ILogger logger, string companyId, string version);
    }
}

/// <summary>What the last training run did: the candidate (if any), whether it was activated, and why.</summary>
public sealed record LearnedTrainingOutcome(DateTimeOffset At, string? CandidateVersion, bool Activated, string Why, int LabelledAnomalies, int LabelledClaims);
