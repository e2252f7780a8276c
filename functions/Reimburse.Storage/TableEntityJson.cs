using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Azure;

namespace Reimburse.Storage;

/// <summary>Entity ⇄ OData JSON (minimal metadata) with @odata.type annotations for types JSON cannot carry.</summary>
internal static class TableEntityJson
{
    private const string TypeSuffix = "@odata.type";

    public static byte[] Serialize(TableEntity entity)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Indented = false keeps each body on one line, which Azurite's batch parser needs.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            Write(writer, entity);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in entity)
        {
            if (value is null)
            {
                continue;
            }
            ValidatePropertyName(name);
            switch (value)
            {
                case string s:
                    writer.WriteString(name, s);
                    break;
                case bool b:
                    writer.WriteBoolean(name, b);
                    break;
                case int i:
                    writer.WriteNumber(name, i);
                    break;
                case long l:
                    writer.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                    writer.WriteString(name + TypeSuffix, "Edm.Int64");
                    break;
                case double d:
                    // Annotate always: 2.0 would otherwise be written as 2 and read back as Int32.
                    if (double.IsFinite(d))
                    {
                        writer.WriteNumber(name, d);
                    }
                    else
                    {
                        writer.WriteString(name, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                    }
                    writer.WriteString(name + TypeSuffix, "Edm.Double");
                    break;
                case DateTimeOffset dto:
                    writer.WriteString(name, FormatDate(dto));
                    writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                    break;
                case DateTime dt:
                    writer.WriteString(name, FormatDate(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime())));
                    writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                    break;
                case Guid g:
                    writer.WriteString(name, g.ToString("D"));
                    writer.WriteString(name + TypeSuffix, "Edm.Guid");
                    break;
                case byte[] bytes:
                    writer.WriteString(name, Convert.ToBase64String(bytes));
                    writer.WriteString(name + TypeSuffix, "Edm.Binary");
                    break;
                case BinaryData data:
                    writer.WriteString(name, Convert.ToBase64String(data.ToMemory().Span));
                    writer.WriteString(name + TypeSuffix, "Edm.Binary");
                    break;
                default:
                    throw new ArgumentException($"Property '{name}' has unsupported type {value.GetType().Name} (use string, bool, int, long, double, DateTimeOffset, DateTime, Guid or byte[]; store decimals as strings).", nameof(entity));
            }
        }
        writer.WriteEndObject();
    }

    public static TableEntity Read(JsonElement element)
    {
        var entity = new TableEntity();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.EndsWith(TypeSuffix, StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.String)
            {
                types[property.Name[..^TypeSuffix.Length]] = property.Value.GetString()!;
            }
        }
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (name == "odata.etag")
            {
                entity.ETag = new ETag(property.Value.GetString()!);
                continue;
            }
            if (name.StartsWith("odata.", StringComparison.Ordinal) || name.Contains('@', StringComparison.Ordinal))
            {
                continue;
            }
            var value = ReadValue(property.Value, types.GetValueOrDefault(name));
            if (name == "Timestamp")
            {
                entity.Timestamp = value switch
                {
                    DateTimeOffset d => d,
                    string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                    _ => null,
                };
                continue;
            }
            entity[name] = value;
        }
        return entity;
    }

    private static object? ReadValue(JsonElement value, string? edmType)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        switch (edmType)
        {
            case "Edm.Int64":
                return value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt64();
            case "Edm.Int32":
                return value.ValueKind == JsonValueKind.String ? int.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt32();
            case "Edm.Double":
                return value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture) : value.GetDouble();
            case "Edm.DateTime":
                return DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            case "Edm.Guid":
                return Guid.Parse(value.GetString()!);
            case "Edm.Binary":
                return Convert.FromBase64String(value.GetString()!);
            case "Edm.Boolean":
                return value.ValueKind == JsonValueKind.String ? bool.Parse(value.GetString()!) : value.GetBoolean();
            case "Edm.String":
                return value.GetString();
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // Without an annotation an integral JSON number is Edm.Int32 and anything else Edm.Double.
            JsonValueKind.Number => value.TryGetInt32(out var i) && !value.GetRawText().AsSpan().ContainsAny('.', 'e', 'E') ? (object)i : value.GetDouble(),
            _ => value.GetRawText(),
        };
    }

    private static string FormatDate(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void ValidatePropertyName(string name)
    {
        if (name.Length == 0 || name.Length > 255 || name.Contains('@', StringComparison.Ordinal) || name.StartsWith("odata.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Property name '{name}' is not allowed.", nameof(name));
        }
    }

    /// <summary>Keys must not contain / \ # ? or control characters and are at most 1 KiB (UTF-16 code units × 2, as the service counts).</summary>
    public static void ValidateKey(string? key, string paramName)
    {
        if (key is null)
        {
            throw new ArgumentException($"{paramName} is required.", paramName);
        }
        if (key.Length * 2 > 1024)
        {
            throw new ArgumentException($"{paramName} is longer than 1 KiB.", paramName);
        }
        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                throw new ArgumentException($"{paramName} '{key}' contains a character that tables forbid (/ \\ # ? or a control character).", paramName);
            }
        }
    }
}
