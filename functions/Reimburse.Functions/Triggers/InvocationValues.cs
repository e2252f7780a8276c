using System.Text;
using System.Text.Json;

namespace Reimburse.Functions.Triggers;

/// <summary>Tolerant reading of values the Functions host passes to a custom handler: strings may arrive JSON-encoded a
/// second time, numbers as strings, binary and queue text as Base64, objects as objects.</summary>
public static class InvocationValues
{
    /// <summary>The value as text: an object/array as its raw JSON, a string unwrapped from any extra JSON encoding.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => UnwrapString(value.GetString()!),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    /// <summary>Property lookup that tolerates casing differences (the host uses PascalCase; proxies and tools may not).</summary>
    public static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        if (element.TryGetProperty(name, out value))
        {
            return true;
        }
        foreach (var p in element.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }
        return false;
    }

    public static long? AsInt64(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var n) => n,
        JsonValueKind.String when long.TryParse(UnwrapString(value.GetString()!), out var n) => n,
        _ => null,
    };

    public static DateTimeOffset? AsDateTimeOffset(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(UnwrapString(value.GetString()!), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var d) ? d : null;

    /// <summary>Removes layers of JSON string encoding: "\"hello\"" becomes hello.</summary>
    public static string UnwrapString(string s)
    {
        for (var i = 0; i < 3 && s.Length >= 2 && s[0] == '"' && s[^1] == '"'; i++)
        {
            try
            {
                s = JsonSerializer.Deserialize<string>(s) ?? "";
            }
            catch (JsonException)
            {
                break;
            }
        }
        return s;
    }

    /// <summary>Turns message text into JSON: unwraps string encoding, then Base64 if the text is Base64 of JSON.</summary>
    public static string UnwrapToJson(string text)
    {
        var s = UnwrapString(text.Trim());
        if (s.StartsWith('{') || s.StartsWith('['))
        {
            return s;
        }
        var buffer = new byte[s.Length];
        if (Convert.TryFromBase64String(s, buffer, out var written))
        {
            var decoded = UnwrapString(Encoding.UTF8.GetString(buffer, 0, written).Trim());
            if (decoded.StartsWith('{') || decoded.StartsWith('['))
            {
                return decoded;
            }
        }
        throw new FormatException("The message is neither JSON nor Base64-encoded JSON.");
    }
}
