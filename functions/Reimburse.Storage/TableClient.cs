using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>Merge keeps properties not sent; Replace drops them.</summary>
public enum TableUpdateMode { Merge, Replace }

/// <summary>One page of a query; ContinuationToken null at the end.</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Items, string? ContinuationToken);

/// <summary>One table.</summary>
public sealed partial class TableClient
{
    private static readonly RequestMethod Merge = new("MERGE");
    private readonly HttpPipeline _pipeline;
    private readonly string _version;
    private readonly Uri _endpoint;
    private readonly Uri _tableUri;

    public TableClient(StorageAccount account, string tableName, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        options ??= new StorageClientOptions();
        Name = tableName;
        _endpoint = account.TableEndpoint;
        _tableUri = StorageTransport.Combine(_endpoint, Uri.EscapeDataString(tableName));
        _version = options.TableVersion;
        if (!account.UsesSharedKey && string.CompareOrdinal(_version, "2019-02-02") < 0)
        {
            throw new ArgumentException($"Table with a TokenCredential needs x-ms-version 2019-02-02 or later, not {_version}.", nameof(options));
        }
        _pipeline = StorageTransport.BuildPipeline(account, options, table: true);
    }

    /// <summary>Table name.</summary>
    public string Name { get; }

    /// <summary>Creates the table; swallows 409 only.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Post, StorageTransport.Combine(_endpoint, "Tables"));
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("TableName", Name);
            writer.WriteEndObject();
        }
        SetJson(message.Request, buffer.ToArray());
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201, 204, 409).ConfigureAwait(false);
    }

    /// <summary>Deletes the table; swallows 404 only.</summary>
    public async Task DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Delete,
            StorageTransport.Combine(_endpoint, "Tables('" + Uri.EscapeDataString(Name.Replace("'", "''", StringComparison.Ordinal)) + "')"));
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204, 404).ConfigureAwait(false);
    }

    /// <summary>Insert; 409 EntityAlreadyExists when present.</summary>
    public async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        ValidateEntity(entity);
        using var message = Create(RequestMethod.Post, _tableUri);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJson(message.Request, TableEntityJson.Serialize(entity));
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204, 201).ConfigureAwait(false);
        return ResponseETag(response);
    }

    /// <summary>Insert-or-replace / insert-or-merge (no If-Match).</summary>
    public async Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ValidateEntity(entity);
        using var message = Create(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey));
        SetJson(message.Request, TableEntityJson.Serialize(entity));
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204).ConfigureAwait(false);
        return ResponseETag(response);
    }

    /// <summary>Update with If-Match (ETag.All for unconditional); 412 on mismatch, 404 when absent.</summary>
    public async Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default)
    {
        ValidateEntity(entity);
        using var message = Create(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey));
        message.Request.Headers.SetValue("If-Match", IfMatch(ifMatch));
        SetJson(message.Request, TableEntityJson.Serialize(entity));
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204).ConfigureAwait(false);
        return ResponseETag(response);
    }

    /// <summary>Deletes one row; ifMatch default means unconditional (*). 404 when absent, 412 on mismatch.</summary>
    public async Task DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Delete, EntityUri(partitionKey, rowKey));
        message.Request.Headers.SetValue("If-Match", IfMatch(ifMatch));
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204).ConfigureAwait(false);
    }

    /// <summary>Point read; throws RequestFailedException 404 when absent.</summary>
    public async Task<TableEntity> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        var entity = await GetEntityCoreAsync(partitionKey, rowKey, select, throwOnMissing: true, cancellationToken).ConfigureAwait(false);
        // throwOnMissing turns a 404 into RequestFailedException, so a result is always present here.
        return entity!;
    }

    /// <summary>Point read; null when absent.</summary>
    public Task<TableEntity?> GetEntityIfExistsAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        GetEntityCoreAsync(partitionKey, rowKey, select, throwOnMissing: false, cancellationToken);

    /// <summary>One page (≤ 1000, or top); ContinuationToken is opaque, null at the end. A page may be empty yet continue.</summary>
    public async Task<TablePage> QueryPageAsync(string? filter = null, int? top = null, IEnumerable<string>? select = null, string? continuationToken = null, CancellationToken cancellationToken = default)
    {
        if (top is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(top), top, "top must be 1..1000.");
        }
        var (nextPk, nextRk) = DecodeContinuation(continuationToken);
        var uri = StorageTransport.Combine(_endpoint, Uri.EscapeDataString(Name) + "()", [
            ("$filter", string.IsNullOrEmpty(filter) ? null : filter),
            ("$top", top?.ToString(CultureInfo.InvariantCulture)),
            ("$select", SelectList(select)),
            ("NextPartitionKey", nextPk),
            ("NextRowKey", nextRk)]);
        using var message = Create(RequestMethod.Get, uri);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Content.ToMemory());
        var items = new List<TableEntity>();
        if (doc.RootElement.TryGetProperty("value", out var value))
        {
            foreach (var element in value.EnumerateArray())
            {
                items.Add(TableEntityJson.Read(element));
            }
        }
        response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var pk);
        response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var rk);
        return new TablePage(items, EncodeContinuation(pk, rk));
    }

    /// <summary>All matching rows, following continuations.</summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(string? filter = null, int? pageSize = null, IEnumerable<string>? select = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var selectList = select?.ToList();
        string? token = null;
        do
        {
            var page = await QueryPageAsync(filter, pageSize, selectList, token, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item;
            }
            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    private async Task<TableEntity?> GetEntityCoreAsync(string partitionKey, string rowKey, IEnumerable<string>? select, bool throwOnMissing, CancellationToken cancellationToken)
    {
        var uri = EntityUri(partitionKey, rowKey);
        if (SelectList(select) is { } selectList)
        {
            uri = new Uri(uri.AbsoluteUri + "?$select=" + Uri.EscapeDataString(selectList));
        }
        using var message = Create(RequestMethod.Get, uri);
        var response = throwOnMissing
            ? await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false)
            : await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200, 404).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(response.Content.ToMemory());
        var entity = TableEntityJson.Read(doc.RootElement);
        if (entity.ETag == default && response.Headers.ETag is { } etag)
        {
            entity.ETag = etag;
        }
        return entity;
    }

    private static string? SelectList(IEnumerable<string>? select)
    {
        if (select is null)
        {
            return null;
        }
        // Keys are always fetched: TableEntity.PartitionKey/RowKey would otherwise throw on a projected row.
        var names = select.Where(n => !string.IsNullOrWhiteSpace(n)).ToList();
        if (names.Count == 0)
        {
            return null;
        }
        foreach (var key in new[] { nameof(TableEntity.RowKey), nameof(TableEntity.PartitionKey) })
        {
            if (!names.Contains(key, StringComparer.Ordinal))
            {
                names.Insert(0, key);
            }
        }
        return string.Join(',', names);
    }

    /// <summary>Opaque token: Base64Url of the two continuation headers joined by a newline (keys cannot contain control characters).</summary>
    internal static string? EncodeContinuation(string? nextPartitionKey, string? nextRowKey)
    {
        if (string.IsNullOrEmpty(nextPartitionKey) && string.IsNullOrEmpty(nextRowKey))
        {
            return null;
        }
        var raw = Encoding.UTF8.GetBytes((nextPartitionKey ?? "") + "\n" + (nextRowKey ?? ""));
        return Convert.ToBase64String(raw).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    internal static (string? NextPartitionKey, string? NextRowKey) DecodeContinuation(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (null, null);
        }
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('\n');
            if (parts.Length != 2)
            {
                throw new FormatException("wrong part count");
            }
            return (parts[0].Length == 0 ? null : parts[0], parts[1].Length == 0 ? null : parts[1]);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("Not a continuation token produced by QueryPageAsync.", nameof(token), ex);
        }
    }

    private static ETag ResponseETag(Response response) =>
        response.Headers.TryGetValue("ETag", out var raw) && raw.Length > 0 ? new ETag(raw) : default;

    private static string IfMatch(ETag etag) => etag == default ? "*" : etag.ToString("H");

    private static void ValidateEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        TableEntityJson.ValidateKey(entity.TryGetValue(nameof(TableEntity.PartitionKey), out var pk) ? pk as string : null, nameof(TableEntity.PartitionKey));
        TableEntityJson.ValidateKey(entity.TryGetValue(nameof(TableEntity.RowKey), out var rk) ? rk as string : null, nameof(TableEntity.RowKey));
    }

    internal Uri EntityUri(string partitionKey, string rowKey)
    {
        TableEntityJson.ValidateKey(partitionKey, nameof(partitionKey));
        TableEntityJson.ValidateKey(rowKey, nameof(rowKey));
        return StorageTransport.Combine(_endpoint,
            $"{Uri.EscapeDataString(Name)}(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')");
    }

    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private HttpMessage Create(RequestMethod method, Uri uri)
    {
        var message = StorageTransport.CreateMessage(_pipeline, method, uri, _version);
        AddTableHeaders(message.Request.Headers);
        return message;
    }

    private static void AddTableHeaders(RequestHeaders headers)
    {
        headers.SetValue("Accept", "application/json;odata=minimalmetadata");
        headers.SetValue("DataServiceVersion", "3.0");
        headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
    }

    private static void SetJson(Request request, byte[] body)
    {
        request.Headers.SetValue("Content-Type", "application/json");
        request.Content = RequestContent.Create(body);
    }
}

/// <summary>Builds OData filter strings with correctly quoted values.</summary>
public static class TableFilter
{
    /// <summary>Quotes a string literal for OData ('' escaping).</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    public static string PartitionEquals(string partitionKey) => $"PartitionKey eq {Quote(partitionKey)}";
    /// <summary>RowKey ge start and lt end within a partition.</summary>
    public static string RowKeyRange(string partitionKey, string fromInclusive, string toExclusive)
        => $"PartitionKey eq {Quote(partitionKey)} and RowKey ge {Quote(fromInclusive)} and RowKey lt {Quote(toExclusive)}";
}
