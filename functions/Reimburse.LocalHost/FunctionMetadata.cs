using System.Reflection;
using System.Text.Json;

namespace Reimburse.LocalHost;

/// <summary>What kind of trigger starts a function.</summary>
public enum TriggerKind { Http, Queue, Blob, Timer, Orchestration, Activity }

/// <summary>One function as LocalHost runs it: its name, trigger, trigger binding (as functions.metadata states it) and
/// the method to invoke. Tests may build descriptors of their own (e.g. a test orchestrator).</summary>
public sealed record FunctionDescriptor(string Name, TriggerKind Kind, MethodInfo Method, JsonElement Trigger)
{
    public string? Route => Text("route");
    public IReadOnlyList<string> Methods => Trigger.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
        ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToArray() : ["GET", "POST"];
    public string? QueueName => Text("queueName");
    public string? Path => Text("path");
    public string? Schedule => Text("schedule");
    /// <summary>The trigger parameter's name (the binding name).</summary>
    public string BindingName => Text("name") ?? "";

    private string? Text(string property) => Trigger.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A descriptor for a method carrying its own trigger attribute, without metadata (tests).</summary>
    public static FunctionDescriptor ForMethod(string name, TriggerKind kind, MethodInfo method) =>
        new(name, kind, method, JsonDocument.Parse("{}").RootElement.Clone());
}

/// <summary>Reads the functions.metadata the Worker SDK generates at build time.</summary>
public static class FunctionMetadata
{
    public const string FileName = "functions.metadata";

    public static IReadOnlyList<FunctionDescriptor> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var functions = new List<FunctionDescriptor>();
        foreach (var f in doc.RootElement.EnumerateArray())
        {
            var name = f.GetProperty("name").GetString()!;
            var entryPoint = f.GetProperty("entryPoint").GetString()!;
            var assemblyName = Path.GetFileNameWithoutExtension(f.GetProperty("scriptFile").GetString()!);
            var split = entryPoint.LastIndexOf('.');
            var type = Assembly.Load(assemblyName).GetType(entryPoint[..split], throwOnError: true)!;
            var method = type.GetMethod(entryPoint[(split + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                ?? throw new InvalidOperationException($"{entryPoint} (function {name}) was not found.");
            var trigger = f.GetProperty("bindings").EnumerateArray()
                .First(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase));
            var kind = trigger.GetProperty("type").GetString()!.ToLowerInvariant() switch
            {
                "httptrigger" => TriggerKind.Http,
                "queuetrigger" => TriggerKind.Queue,
                "blobtrigger" => TriggerKind.Blob,
                "timertrigger" => TriggerKind.Timer,
                "orchestrationtrigger" => TriggerKind.Orchestration,
                "activitytrigger" => TriggerKind.Activity,
                var other => throw new NotSupportedException($"Function {name}: LocalHost does not run {other} triggers."),
            };
            functions.Add(new FunctionDescriptor(name, kind, method, trigger.Clone()));
        }
        return functions;
    }
}
