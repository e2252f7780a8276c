using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Reimburse.Testing.Accounting;

/// <summary>Checks request bodies against Xero's published OpenAPI document (Contracts/xero/xero_accounting.yaml, MIT), read
/// with Microsoft.OpenApi: the schema of the operation's JSON request body, followed through $refs — types, enums, required
/// and read-only properties, maximum lengths, and no property the schema does not define.</summary>
public static class XeroContract
{
    private static readonly Lazy<OpenApiDocument> Document = new(Load);

    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "Accounting", "Contracts", "xero", "xero_accounting.yaml");

    private static OpenApiDocument Load()
    {
        var settings = new OpenApiReaderSettings();
        settings.TryAddReader("yaml", new Microsoft.OpenApi.YamlReader.OpenApiYamlReader());
        using var stream = File.OpenRead(Path);
        var result = OpenApiDocument.LoadAsync(stream, "yaml", settings).GetAwaiter().GetResult();
        return result.Document ?? throw new InvalidOperationException("Xero's OpenAPI document did not load: " +
            string.Join("; ", result.Diagnostic?.Errors.Select(e => e.Message) ?? []));
    }

    /// <summary>The JSON schema of an operation's request body.</summary>
    public static IOpenApiSchema RequestSchema(string path, string method, string contentType = "application/json")
    {
        var item = Document.Value.Paths[path];
        var operation = item.Operations!.First(o => string.Equals(o.Key.ToString(), method, StringComparison.OrdinalIgnoreCase)).Value;
        return operation.RequestBody!.Content![contentType].Schema!;
    }

    /// <summary>Names of the header parameters an operation declares (e.g. Idempotency-Key).</summary>
    public static IReadOnlyList<string> HeaderParameters(string path, string method)
    {
        var item = Document.Value.Paths[path];
        var operation = item.Operations!.First(o => string.Equals(o.Key.ToString(), method, StringComparison.OrdinalIgnoreCase)).Value;
        return (operation.Parameters ?? []).Concat(item.Parameters ?? []).Where(p => p.In == ParameterLocation.Header).Select(p => p.Name!).ToList();
    }

    /// <summary>Every violation of the request body schema (empty when the body conforms).</summary>
    public static IReadOnlyList<string> Validate(string path, string method, string json)
    {
        var errors = new List<string>();
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            return [$"not JSON: {ex.Message}"];
        }
        Check(node, RequestSchema(path, method), "$", errors, 0);
        return errors;
    }

    private static void Check(JsonNode? node, IOpenApiSchema schema, string at, List<string> errors, int depth)
    {
        if (depth > 32) return;
        foreach (var s in schema.AllOf ?? []) Check(node, s, at, errors, depth + 1);
        if (node is null)
        {
            if (schema.Type is { } t0 && !t0.HasFlag(JsonSchemaType.Null)) errors.Add($"{at}: null where {t0} is expected");
            return;
        }
        var type = schema.Type;
        if (schema.Enum is { Count: > 0 } values && node is JsonValue ev)
        {
            var text = ev.ToJsonString();
            if (!values.Any(v => v?.ToJsonString() == text)) errors.Add($"{at}: {text} is not one of the enum values");
        }
        switch (node)
        {
            case JsonObject obj:
                if (type is { } to && !to.HasFlag(JsonSchemaType.Object)) { errors.Add($"{at}: object where {to} is expected"); return; }
                var properties = schema.Properties ?? new Dictionary<string, IOpenApiSchema>();
                foreach (var required in schema.Required ?? new HashSet<string>())
                {
                    if (!obj.ContainsKey(required)) errors.Add($"{at}: required property {required} is missing");
                }
                foreach (var (name, value) in obj)
                {
                    if (!properties.TryGetValue(name, out var ps))
                    {
                        if (schema.AdditionalProperties is { } additional) Check(value, additional, $"{at}.{name}", errors, depth + 1);
                        else errors.Add($"{at}: property {name} is not in the schema");
                        continue;
                    }
                    if (ps.ReadOnly) errors.Add($"{at}.{name}: read-only property sent");
                    Check(value, ps, $"{at}.{name}", errors, depth + 1);
                }
                break;
            case JsonArray arr:
                if (type is { } ta && !ta.HasFlag(JsonSchemaType.Array)) { errors.Add($"{at}: array where {ta} is expected"); return; }
                if (schema.MaxItems is { } max && arr.Count > max) errors.Add($"{at}: more than {max} items");
                for (var i = 0; i < arr.Count; i++)
                {
                    if (schema.Items is { } items) Check(arr[i], items, $"{at}[{i}]", errors, depth + 1);
                }
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        if (type is { } ts && !ts.HasFlag(JsonSchemaType.String)) errors.Add($"{at}: string where {ts} is expected");
                        var s = v.GetValue<string>();
                        if (schema.MaxLength is { } ml && s.Length > ml) errors.Add($"{at}: longer than {ml} characters");
                        if (schema.Format == "uuid" && !Guid.TryParse(s, out _)) errors.Add($"{at}: not a uuid");
                        break;
                    case JsonValueKind.Number:
                        if (type is { } tn && !(tn.HasFlag(JsonSchemaType.Number) || (tn.HasFlag(JsonSchemaType.Integer) && decimal.IsInteger(v.GetValue<decimal>()))))
                            errors.Add($"{at}: number where {tn} is expected");
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        if (type is { } tb && !tb.HasFlag(JsonSchemaType.Boolean)) errors.Add($"{at}: boolean where {tb} is expected");
                        break;
                }
                break;
        }
    }
}
