using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Reimburse.Infra.Tests;

/// <summary>The bicep binary from Azure.Bicep.CommandLine.linux-x64 (its build props set $(BicepPath), passed in through
/// assembly metadata) and the repository it checks.</summary>
internal static class Bicep
{
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");
    public static string InfraFolder { get; } = Path.Combine(RepositoryRoot, "infra");
    public static string ExecutablePath { get; } = Path.GetFullPath(Metadata("BicepPath").Replace('\\', '/'));

    /// <summary>Every Bicep file under infra/, relative to it.</summary>
    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(InfraFolder, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(InfraFolder, f))
            .Order(StringComparer.Ordinal);

    /// <summary>Runs bicep; bicep writes diagnostics to stderr and, for type warnings, still exits 0.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = InfraFolder,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // No telemetry, no update checks: the machine may be offline.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ExecutablePath}");
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Compiles a file to its ARM JSON (modules inlined as nested deployments).</summary>
    public static async Task<JsonObject> CompileAsync(string file)
    {
        var (exit, stdout, stderr) = await RunAsync("build", Path.Combine(InfraFolder, file), "--stdout");
        Assert.True(exit == 0 && stderr.Trim().Length == 0, $"bicep build {file} exited {exit}:\n{stderr}");
        return JsonNode.Parse(stdout)!.AsObject();
    }

    /// <summary>The template's resources and those of every nested deployment (modules).</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template)
    {
        var resources = template["resources"] switch
        {
            JsonArray a => a.OfType<JsonObject>(),
            JsonObject o => o.Select(p => p.Value).OfType<JsonObject>(), // languageVersion 2.0: symbolic names
            _ => [],
        };
        foreach (var r in resources)
        {
            yield return r;
            if (r["properties"] is JsonObject p && p["template"] is JsonObject nested)
            {
                foreach (var n in Resources(nested)) yield return n;
            }
        }
    }

    /// <summary>Every string value in the template (ToJsonString escapes quotes, so search these instead).</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    public static List<JsonObject> OfType(JsonObject template, string type) =>
        Resources(template).Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase)).ToList();

    private static string Metadata(string key) =>
        typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata {key} missing (see the .csproj)");
}
