using System.Text.Json;

namespace Reimburse.Testing.Fuzz;

/// <summary>One HTTP function as functions.metadata declares it: name, methods, route under /api.</summary>
public sealed record HttpEndpoint(string Name, IReadOnlyList<string> Methods, string Route)
{
    /// <summary>Route parameter names ({id}, {receiptId}, …) in order.</summary>
    public IReadOnlyList<string> Parameters => Route.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}').Split(':')[0].TrimEnd('?')).ToList();
}

/// <summary>The API's HTTP surface, read from the functions.metadata the Worker SDK generates, so a new endpoint is fuzzed
/// without anyone listing it here.</summary>
public static class ApiSurface
{
    /// <summary>The HTTP-triggered functions in <paramref name="metadataPath"/> (default: the one beside the running tests).</summary>
    public static IReadOnlyList<HttpEndpoint> Load(string? metadataPath = null)
    {
        metadataPath ??= Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        using var doc = JsonDocument.Parse(File.ReadAllText(metadataPath));
        var endpoints = new List<HttpEndpoint>();
        foreach (var f in doc.RootElement.EnumerateArray())
        {
            foreach (var b in f.GetProperty("bindings").EnumerateArray())
            {
                if (!string.Equals(b.GetProperty("type").GetString(), "httpTrigger", StringComparison.OrdinalIgnoreCase)) continue;
                var methods = b.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
                    ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToList()
                    : ["GET", "POST"];
                var route = b.TryGetProperty("route", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : f.GetProperty("name").GetString()!;
                endpoints.Add(new HttpEndpoint(f.GetProperty("name").GetString()!, methods, route));
            }
        }
        return endpoints;
    }
}
