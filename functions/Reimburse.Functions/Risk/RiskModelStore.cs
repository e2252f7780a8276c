using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Reimburse.Core.Risk;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Risk;

/// <summary>
/// Versioned risk models in blob storage. Layout per company:
/// <c>{company}/versions/{version}/model.json</c> (model with metadata, immutable),
/// <c>{company}/versions/{version}/metadata.json</c> (metadata alone, for listing), and
/// <c>{company}/active.json</c> (<see cref="RiskModelPointer"/>, updated with If-Match).
/// </summary>
public sealed partial class RiskModelStore(BlobContainerClient container, TimeProvider time, ILogger<RiskModelStore> logger)
{
    private static BlobHttpHeaders Json => new() { ContentType = "application/json" };
    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>The container, shared with <see cref="Learned.LearnedModelStore"/>.</summary>
    internal BlobContainerClient Container => container;

    public static string ModelBlob(string companyId, string version) => $"{CheckId(companyId)}/versions/{CheckId(version)}/model.json";
    public static string MetadataBlob(string companyId, string version) => $"{CheckId(companyId)}/versions/{CheckId(version)}/metadata.json";
    public static string ActiveBlob(string companyId) => $"{CheckId(companyId)}/active.json";

    /// <summary>Stores a model version. Versions are immutable: saving one that exists is a no-op.</summary>
    public async Task SaveAsync(string companyId, RiskModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["version"] = model.Version,
            ["source"] = model.Metadata.Source.ToString(),
            ["trainingrows"] = model.Metadata.TrainingRows.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        try
        {
            await container.GetBlobClient(ModelBlob(companyId, model.Version)).UploadAsync(BinaryData.FromString(model.ToJson()),
                new BlobUploadOptions { HttpHeaders = Json, Conditions = new() { IfNoneMatch = ETag.All }, Metadata = metadata }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            Log.VersionAlreadyStored(logger, companyId, model.Version);
            return;
        }
        await container.GetBlobClient(MetadataBlob(companyId, model.Version)).UploadAsync(BinaryData.FromString(JsonSerializer.Serialize(model.Metadata, MetadataJson)),
            new BlobUploadOptions { HttpHeaders = Json }, cancellationToken).ConfigureAwait(false);
        Log.VersionStored(logger, companyId, model.Version, model.Metadata.TrainingRows, model.Metadata.Source);
    }

    /// <summary>Reads one stored version; <see cref="RequestFailedException"/> 404 when absent.</summary>
    public async Task<RiskModel> LoadAsync(string companyId, string version, CancellationToken cancellationToken = default)
    {
        var result = await container.GetBlobClient(ModelBlob(companyId, version)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
        return RiskModel.FromJson(result.Value.Content.ToString());
    }

    /// <summary>The active pointer, or null when the company has none yet.</summary>
    public async Task<RiskModelPointer?> GetActiveAsync(string companyId, CancellationToken cancellationToken = default) =>
        (await ReadPointerAsync(companyId, cancellationToken).ConfigureAwait(false)).Pointer;

    /// <summary>The active model, or null when the company has none yet.</summary>
    public async Task<RiskModel?> LoadActiveAsync(string companyId, CancellationToken cancellationToken = default)
    {
        var pointer = await GetActiveAsync(companyId, cancellationToken).ConfigureAwait(false);
        return pointer is null ? null : await LoadAsync(companyId, pointer.ActiveVersion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a stored version the active one. The version must exist.</summary>
    public async Task<RiskModelPointer> ActivateAsync(string companyId, string version, CancellationToken cancellationToken = default)
    {
        if (!await container.GetBlobClient(ModelBlob(companyId, version)).ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new RiskModelVersionException($"Risk model version {version} is not stored for company {companyId}.");
        }
        var pointer = await UpdatePointerAsync(companyId, current => RiskModelPointer.Activate(current, version, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        Log.Activated(logger, companyId, version);
        return pointer;
    }

    /// <summary>Re-activates the previous version, or <paramref name="toVersion"/> when given (it must have been active before).</summary>
    public async Task<RiskModelPointer> RollbackAsync(string companyId, string? toVersion = null, CancellationToken cancellationToken = default)
    {
        var pointer = await UpdatePointerAsync(companyId, current => RiskModelPointer.Rollback(current, toVersion, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        Log.RolledBack(logger, companyId, pointer.ActiveVersion);
        return pointer;
    }

    /// <summary>Metadata of every stored version of a company, in blob-name order.</summary>
    public async IAsyncEnumerable<RiskModelMetadata> ListAsync(string companyId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: $"{CheckId(companyId)}/versions/", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!item.Name.EndsWith("/metadata.json", StringComparison.Ordinal))
            {
                continue;
            }
            var blob = await container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            if (JsonSerializer.Deserialize<RiskModelMetadata>(blob.Value.Content.ToString(), MetadataJson) is { } metadata)
            {
                yield return metadata;
            }
        }
    }

    // Optimistic concurrency: two trainers activating at once must not lose a version from the history.
    private async Task<RiskModelPointer> UpdatePointerAsync(string companyId, Func<RiskModelPointer?, RiskModelPointer> change, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var (current, etag) = await ReadPointerAsync(companyId, cancellationToken).ConfigureAwait(false);
            var next = change(current);
            var options = new BlobUploadOptions { HttpHeaders = Json, Conditions = etag is { } e ? new() { IfMatch = e } : new() { IfNoneMatch = ETag.All } };
            try
            {
                await container.GetBlobClient(ActiveBlob(companyId)).UploadAsync(BinaryData.FromString(next.ToJson()), options, cancellationToken).ConfigureAwait(false);
                return next;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 5)
            {
                Log.PointerConflict(logger, companyId, attempt);
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
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Stored risk model {Version} for {CompanyId} ({TrainingRows} rows, {Source})")]
        public static partial void VersionStored(ILogger logger, string companyId, string version, int trainingRows, RiskModelSource source);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Risk model {Version} for {CompanyId} was already stored")]
        public static partial void VersionAlreadyStored(ILogger logger, string companyId, string version);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Activated risk model {Version} for {CompanyId}")]
        public static partial void Activated(ILogger logger, string companyId, string version);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Rolled back the risk model of {CompanyId} to {Version}")]
        public static partial void RolledBack(ILogger logger, string companyId, string version);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Information, Message = "Active risk model pointer of {CompanyId} changed concurrently; retry {Attempt}")]
        public static partial void PointerConflict(ILogger logger, string companyId, int attempt);
    }
}
