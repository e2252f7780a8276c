using System.Reflection;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace Reimburse.Functions.Hosting.Storage;

/// <summary>Rules Azure storage enforces and Azurite does not (architecture §7), checked before a request leaves the
/// process so a test on Azurite fails the way production would, with a clear message.</summary>
public static class StorageRules
{
    /// <summary>Service limit on operations per entity group transaction.</summary>
    public const int MaxTransactionActions = 100;

    /// <summary>Checks a transaction: 1..100 actions, one partition, each row once, no <c>decimal</c> property.</summary>
    /// <exception cref="ArgumentException">The service would reject the batch (or silently store a decimal as a double).</exception>
    public static void ThrowIfInvalidTransaction(IReadOnlyList<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count == 0)
        {
            throw new ArgumentException("A transaction needs at least one action.", nameof(actions));
        }
        if (actions.Count > MaxTransactionActions)
        {
            throw new ArgumentException($"A transaction holds at most {MaxTransactionActions} actions, not {actions.Count}.", nameof(actions));
        }
        var partition = actions[0]?.Entity?.PartitionKey;
        var rows = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            var entity = actions[i]?.Entity ?? throw new ArgumentException($"Action {i} has no entity.", nameof(actions));
            if (!string.Equals(entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Action {i} is in partition '{entity.PartitionKey}', not '{partition}': a transaction spans one partition.", nameof(actions));
            }
            if (!rows.Add(entity.RowKey ?? ""))
            {
                throw new ArgumentException($"Action {i} repeats RowKey '{entity.RowKey}': each entity may appear once per transaction.", nameof(actions));
            }
            ThrowIfDecimal(entity);
        }
    }

    /// <summary>Checks the transaction (<see cref="ThrowIfInvalidTransaction"/>), then submits it: all or nothing; a
    /// stale ETag fails the whole batch (412, <see cref="TableTransactionFailedException.FailedTransactionActionIndex"/>).</summary>
    public static Task<Response<IReadOnlyList<Response>>> SubmitCheckedTransactionAsync(this TableClient table, IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var list = actions as IReadOnlyList<TableTransactionAction> ?? actions.ToList();
        ThrowIfInvalidTransaction(list);
        return table.SubmitTransactionAsync(list, cancellationToken);
    }

    /// <summary>Returns the entity when it has no <c>decimal</c> property: the SDK would store one as a double and lose
    /// cents. Keep money as a string or as integer cents.</summary>
    /// <exception cref="ArgumentException">A property is a <c>decimal</c>.</exception>
    public static T ThrowIfDecimal<T>(T entity) where T : ITableEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (entity is IDictionary<string, object> properties)
        {
            foreach (var (name, value) in properties)
            {
                if (value is decimal)
                {
                    throw DecimalProperty(name);
                }
            }
        }
        else
        {
            foreach (var property in entity.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if ((Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) == typeof(decimal))
                {
                    throw DecimalProperty(property.Name);
                }
            }
        }
        return entity;
    }

    /// <summary>Blob metadata names must be C# identifiers and values printable ASCII without leading or trailing
    /// spaces (they travel as HTTP headers).</summary>
    /// <exception cref="ArgumentException">A name or value breaks the rule.</exception>
    public static void ThrowIfInvalidMetadata(IEnumerable<KeyValuePair<string, string>> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
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

    private static ArgumentException DecimalProperty(string name) =>
        new($"Property '{name}' is a decimal, which table storage keeps as a double (cents lost): store money as a string or as integer cents.", "entity");
}

/// <summary>Checks blob metadata headers (x-ms-meta-*) on every request of a blob client, before it is sent or retried.</summary>
internal sealed class BlobMetadataPolicy : HttpPipelineSynchronousPolicy
{
    private const string Prefix = "x-ms-meta-";

    public override void OnSendingRequest(HttpMessage message)
    {
        List<KeyValuePair<string, string>>? metadata = null;
        foreach (var header in message.Request.Headers)
        {
            if (header.Name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                (metadata ??= []).Add(new(header.Name[Prefix.Length..], header.Value));
            }
        }
        if (metadata is not null)
        {
            StorageRules.ThrowIfInvalidMetadata(metadata);
        }
    }
}

/// <summary>Small conveniences over the SDK clients that several features share.</summary>
public static class StorageClientExtensions
{
    /// <summary>A point read that answers null when the row is absent (a 404 is not an exception).</summary>
    public static async Task<TableEntity?> GetEntityOrDefaultAsync(this TableClient table, string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, WithKeys(select), cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>One page of a query (at most <paramref name="pageSize"/> rows) and the token for the next, null at the end.</summary>
    public static async Task<Page<TableEntity>> QueryPageAsync(this TableClient table, string filter, int pageSize, IEnumerable<string>? select, string? continuationToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        await foreach (var page in table.QueryAsync<TableEntity>(filter, pageSize, WithKeys(select), cancellationToken).AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            return page;
        }
        throw new InvalidOperationException("The table query returned no page."); // the SDK always yields at least one
    }

    /// <summary>A projection plus PartitionKey and RowKey: the service returns only what $select names, and rows without
    /// their keys cannot be told apart.</summary>
    public static IEnumerable<string>? WithKeys(IEnumerable<string>? select) =>
        select is null ? null : select.Union([nameof(TableEntity.PartitionKey), nameof(TableEntity.RowKey)], StringComparer.Ordinal).ToList();
}
