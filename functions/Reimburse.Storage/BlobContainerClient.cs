using System.Globalization;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>Options for one blob upload.</summary>
public sealed record BlobUploadOptions
{
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Create only: If-None-Match: *, so an existing blob answers 409.</summary>
    public bool IfNotExists { get; init; }
    public ETag? IfMatch { get; init; }
}

/// <summary>A blob's system properties and metadata.</summary>
public sealed record BlobProperties(string Name, long ContentLength, string? ContentType, ETag ETag, DateTimeOffset LastModified, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A downloaded blob, fully buffered.</summary>
public sealed record BlobDownloadResult(BinaryData Content, BlobProperties Properties);

/// <summary>One entry of a blob listing.</summary>
public sealed record BlobItem(string Name, long ContentLength, string? ContentType, ETag ETag, DateTimeOffset LastModified, IReadOnlyDictionary<string, string> Metadata);

/// <summary>One page of a blob listing; NextMarker null at the end.</summary>
public sealed record BlobPage(IReadOnlyList<BlobItem> Items, string? NextMarker);

/// <summary>One container's blobs.</summary>
public sealed class BlobContainerClient
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();
    private readonly HttpPipeline _pipeline;
    private readonly string _version;

    public BlobContainerClient(StorageAccount account, string containerName, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        options ??= new StorageClientOptions();
        Name = containerName;
        Uri = StorageTransport.Combine(account.BlobEndpoint, Uri.EscapeDataString(containerName));
        _version = options.BlobQueueVersion;
        _pipeline = StorageTransport.BuildPipeline(account, options, table: false);
    }

    /// <summary>Container name.</summary>
    public string Name { get; }

    /// <summary>Container URL (path-style on Azurite).</summary>
    public Uri Uri { get; }

    public async Task CreateAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Put, "", [("restype", "container")]);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201).ConfigureAwait(false);
    }

    /// <summary>Creates the container; swallows 409 only.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Put, "", [("restype", "container")]);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201, 409).ConfigureAwait(false);
    }

    public async Task<BlobProperties> UploadAsync(string blobName, BinaryData content, BlobUploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        options ??= new BlobUploadOptions();
        var metadata = options.Metadata ?? NoMetadata;
        ValidateMetadata(metadata);
        using var message = Create(RequestMethod.Put, BlobPath(blobName), []);
        var request = message.Request;
        request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        var contentType = options.ContentType ?? "application/octet-stream";
        request.Headers.SetValue("Content-Type", contentType);
        AddMetadata(request, metadata);
        if (options.IfNotExists)
        {
            request.Headers.SetValue("If-None-Match", "*");
        }
        if (options.IfMatch is { } ifMatch)
        {
            request.Headers.SetValue("If-Match", ifMatch.ToString("H"));
        }
        request.Content = RequestContent.Create(content);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201).ConfigureAwait(false);
        return new BlobProperties(blobName, content.ToMemory().Length, contentType, response.Headers.ETag ?? default,
            LastModified(response), new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase));
    }

    public async Task<BlobDownloadResult> DownloadAsync(string blobName, CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Get, BlobPath(blobName), []);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        return new BlobDownloadResult(response.Content, ReadProperties(blobName, response));
    }

    /// <summary>Streams the blob; the caller disposes the stream.</summary>
    public async Task<(Stream Content, BlobProperties Properties)> OpenReadAsync(string blobName, CancellationToken cancellationToken = default)
    {
        var message = Create(RequestMethod.Get, BlobPath(blobName), []);
        message.BufferResponse = false;
        try
        {
            await StorageTransport.SendRawAsync(_pipeline, message, cancellationToken).ConfigureAwait(false);
            var response = message.Response;
            if (response.Status != 200)
            {
                // Unbuffered: read the small error body so the exception can carry the service code.
                if (response.ContentStream is { } errorStream)
                {
                    var buffer = new MemoryStream();
                    await errorStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                    buffer.Position = 0;
                    response.ContentStream = buffer;
                }
                throw StorageTransport.CreateException(response);
            }
            var properties = ReadProperties(blobName, response);
            var stream = message.ExtractResponseContent() ?? Stream.Null;
            return (stream, properties);
        }
        finally
        {
            message.Dispose();
        }
    }

    public async Task<BlobProperties> GetPropertiesAsync(string blobName, CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Head, BlobPath(blobName), []);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        return ReadProperties(blobName, response);
    }

    public async Task<bool> ExistsAsync(string blobName, CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Head, BlobPath(blobName), []);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200, 404).ConfigureAwait(false);
        return response.Status == 200;
    }

    public async Task<ETag> SetMetadataAsync(string blobName, IReadOnlyDictionary<string, string> metadata, ETag? ifMatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ValidateMetadata(metadata);
        using var message = Create(RequestMethod.Put, BlobPath(blobName), [("comp", "metadata")]);
        AddMetadata(message.Request, metadata);
        if (ifMatch is { } etag)
        {
            message.Request.Headers.SetValue("If-Match", etag.ToString("H"));
        }
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        return response.Headers.ETag ?? default;
    }

    public async Task DeleteAsync(string blobName, ETag? ifMatch = null, CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Delete, BlobPath(blobName), []);
        if (ifMatch is { } etag)
        {
            message.Request.Headers.SetValue("If-Match", etag.ToString("H"));
        }
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 202).ConfigureAwait(false);
    }

    /// <summary>Deletes when present; swallows 404 only. Returns whether it deleted.</summary>
    public async Task<bool> DeleteIfExistsAsync(string blobName, CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Delete, BlobPath(blobName), []);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 202, 404).ConfigureAwait(false);
        return response.Status == 202;
    }

    public async Task<BlobPage> ListPageAsync(string? prefix = null, string? marker = null, int? maxResults = null, bool includeMetadata = false, CancellationToken cancellationToken = default)
    {
        if (maxResults is < 1 or > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(maxResults), maxResults, "maxResults must be 1..5000.");
        }
        using var message = Create(RequestMethod.Get, "", [
            ("restype", "container"), ("comp", "list"),
            ("prefix", string.IsNullOrEmpty(prefix) ? null : prefix),
            ("marker", string.IsNullOrEmpty(marker) ? null : marker),
            ("maxresults", maxResults?.ToString(CultureInfo.InvariantCulture)),
            ("include", includeMetadata ? "metadata" : null)]);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        var root = XDocument.Parse(response.Content.ToString()).Root ?? throw new RequestFailedException(response.Status, "Empty blob listing.");
        var items = new List<BlobItem>();
        foreach (var blob in root.Element("Blobs")?.Elements("Blob") ?? [])
        {
            var props = blob.Element("Properties");
            var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var m in blob.Element("Metadata")?.Elements() ?? [])
            {
                metadata[m.Name.LocalName] = m.Value;
            }
            var etag = props?.Element("Etag")?.Value;
            var lastModified = props?.Element("Last-Modified")?.Value;
            items.Add(new BlobItem(
                blob.Element("Name")?.Value ?? "",
                long.TryParse(props?.Element("Content-Length")?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var len) ? len : 0,
                props?.Element("Content-Type")?.Value is { Length: > 0 } ct ? ct : null,
                etag is null ? default : StorageTransport.ParseETag(etag),
                lastModified is null ? default : StorageTransport.ParseHttpDate(lastModified),
                metadata));
        }
        var next = root.Element("NextMarker")?.Value;
        return new BlobPage(items, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>All blobs under a prefix, following NextMarker.</summary>
    public async IAsyncEnumerable<BlobItem> ListAsync(string? prefix = null, bool includeMetadata = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await ListPageAsync(prefix, marker, null, includeMetadata, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item;
            }
            marker = page.NextMarker;
        }
        while (marker is not null);
    }

    /// <summary>Acquires a lease (duration 15–60 s, or null for infinite); returns the lease id.</summary>
    public async Task<string> AcquireLeaseAsync(string blobName, TimeSpan? duration, string? proposedLeaseId = null, CancellationToken cancellationToken = default)
    {
        var seconds = duration is { } d ? (int)d.TotalSeconds : -1;
        if (duration is not null && seconds is < 15 or > 60)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A lease lasts 15–60 seconds, or null for infinite.");
        }
        using var message = Create(RequestMethod.Put, BlobPath(blobName), [("comp", "lease")]);
        message.Request.Headers.SetValue("x-ms-lease-action", "acquire");
        message.Request.Headers.SetValue("x-ms-lease-duration", seconds.ToString(CultureInfo.InvariantCulture));
        if (proposedLeaseId is not null)
        {
            message.Request.Headers.SetValue("x-ms-proposed-lease-id", proposedLeaseId);
        }
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201).ConfigureAwait(false);
        return StorageTransport.Header(response, "x-ms-lease-id");
    }

    public async Task RenewLeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken = default)
    {
        using var message = LeaseMessage(blobName, "renew", leaseId);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
    }

    public async Task ReleaseLeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken = default)
    {
        using var message = LeaseMessage(blobName, "release", leaseId);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
    }

    /// <summary>Metadata names travel as HTTP header suffixes and must be C# identifiers (the service rule); values must be ASCII header text.</summary>
    internal static void ValidateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (key, value) in metadata)
        {
            if (!IsIdentifier(key))
            {
                throw new ArgumentException($"Metadata name '{key}' is not a valid C# identifier.", nameof(metadata));
            }
            if (value is null || value.Any(c => c > 0x7E || (c < 0x20 && c != '\t')) || value != value.Trim())
            {
                throw new ArgumentException($"Metadata value for '{key}' must be printable ASCII without leading/trailing spaces (encode other text first).", nameof(metadata));
            }
        }
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private HttpMessage LeaseMessage(string blobName, string action, string leaseId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(leaseId);
        var message = Create(RequestMethod.Put, BlobPath(blobName), [("comp", "lease")]);
        message.Request.Headers.SetValue("x-ms-lease-action", action);
        message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        return message;
    }

    private static string BlobPath(string blobName)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobName);
        return StorageTransport.EscapePath(blobName);
    }

    private HttpMessage Create(RequestMethod method, string escapedBlobPath, IEnumerable<(string, string?)> query) =>
        StorageTransport.CreateMessage(_pipeline, method,
            StorageTransport.Combine(Uri, escapedBlobPath, query), _version);

    private static void AddMetadata(Request request, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (key, value) in metadata)
        {
            request.Headers.SetValue("x-ms-meta-" + key, value);
        }
    }

    private static DateTimeOffset LastModified(Response response) =>
        response.Headers.TryGetValue("Last-Modified", out var value) ? StorageTransport.ParseHttpDate(value) : default;

    private static BlobProperties ReadProperties(string blobName, Response response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers)
        {
            if (header.Name.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
            {
                metadata[header.Name["x-ms-meta-".Length..]] = header.Value;
            }
        }
        return new BlobProperties(
            blobName,
            response.Headers.ContentLength ?? 0,
            response.Headers.ContentType,
            response.Headers.ETag ?? default,
            LastModified(response),
            metadata);
    }
}
