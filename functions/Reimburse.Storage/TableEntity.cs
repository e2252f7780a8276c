using System.Globalization;
using Azure;

namespace Reimburse.Storage;

/// <summary>A table row: PartitionKey, RowKey, ETag, Timestamp plus typed properties
/// (string, bool, int, long, double, decimal-as-string is the caller's job, DateTimeOffset, Guid, byte[]).</summary>
public sealed class TableEntity : Dictionary<string, object?>
{
    public TableEntity() : base(StringComparer.Ordinal) { }
    public TableEntity(string partitionKey, string rowKey) : this() { PartitionKey = partitionKey; RowKey = rowKey; }
    public string PartitionKey { get => (string)this[nameof(PartitionKey)]!; set => this[nameof(PartitionKey)] = value; }
    public string RowKey { get => (string)this[nameof(RowKey)]!; set => this[nameof(RowKey)] = value; }
    public ETag ETag { get; set; }
    public DateTimeOffset? Timestamp { get; set; }

    public string? GetString(string key) => TryGetValue(key, out var v) ? v as string ?? v?.ToString() : null;

    /// <summary>Int64 from long, int, or an integral string; throws InvalidCastException for other types.</summary>
    public long? GetInt64(string key) => Get(key) switch
    {
        null => null,
        long l => l,
        int i => i,
        string s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
        var other => throw Cast(key, other, "Int64"),
    };

    /// <summary>Int32 from int, a long in range, or an integral string.</summary>
    public int? GetInt32(string key) => Get(key) switch
    {
        null => null,
        int i => i,
        long l => checked((int)l),
        string s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
        var other => throw Cast(key, other, "Int32"),
    };

    /// <summary>Double from double, int, long or a numeric string.</summary>
    public double? GetDouble(string key) => Get(key) switch
    {
        null => null,
        double d => d,
        int i => i,
        long l => l,
        float f => f,
        string s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
        var other => throw Cast(key, other, "Double"),
    };

    public bool? GetBoolean(string key) => Get(key) switch
    {
        null => null,
        bool b => b,
        string s => bool.Parse(s),
        var other => throw Cast(key, other, "Boolean"),
    };

    /// <summary>From DateTimeOffset, DateTime (UTC assumed when unspecified) or an ISO-8601 string.</summary>
    public DateTimeOffset? GetDateTimeOffset(string key) => Get(key) switch
    {
        null => null,
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d.ToUniversalTime()),
        string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        var other => throw Cast(key, other, "DateTimeOffset"),
    };

    public Guid? GetGuid(string key) => Get(key) switch
    {
        null => null,
        Guid g => g,
        string s => Guid.Parse(s),
        var other => throw Cast(key, other, "Guid"),
    };

    /// <summary>From byte[], BinaryData or a Base64 string.</summary>
    public byte[]? GetBinary(string key) => Get(key) switch
    {
        null => null,
        byte[] b => b,
        BinaryData d => d.ToArray(),
        string s => Convert.FromBase64String(s),
        var other => throw Cast(key, other, "Binary"),
    };

    private object? Get(string key) => TryGetValue(key, out var v) ? v : null;

    private static InvalidCastException Cast(string key, object value, string target) =>
        new($"Property '{key}' holds a {value.GetType().Name}, which does not convert to {target}.");
}
