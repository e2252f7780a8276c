using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Reimburse.Functions.Triggers;

/// <summary>Generates every function.json from the code: one HTTP function per named /api endpoint (forwarded to the same
/// route), one queue function per queue handler, one timer function per timer handler. A test compares the generated
/// files with the ones in the repository, so they cannot drift.</summary>
public static class FunctionCatalog
{
    public const string QueueBinding = "msg";
    public const string TimerBinding = "timer";
    public const string RoutePrefix = "api/";

    public static IReadOnlyDictionary<string, string> Generate(EndpointDataSource endpoints, IEnumerable<IQueueHandler> queues, IEnumerable<ITimerHandler> timers)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
            var pattern = endpoint.RoutePattern.RawText?.TrimStart('/') ?? "";
            var development = endpoint.Metadata.GetMetadata<ITagsMetadata>()?.Tags.Contains("development") == true;
            if (name is null || development || !pattern.StartsWith(RoutePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Select(m => m.ToLowerInvariant()).Order().ToArray() ?? ["get"];
            var route = pattern[RoutePrefix.Length..].TrimEnd('/');
            files[name] = Serialize(new JsonObject
            {
                ["bindings"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "httpTrigger",
                        ["direction"] = "in",
                        ["name"] = "req",
                        ["authLevel"] = "anonymous",
                        ["methods"] = new JsonArray(methods.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
                        ["route"] = route,
                    },
                    new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
            });
        }
        foreach (var q in queues)
        {
            files[q.FunctionName] = Serialize(new JsonObject
            {
                ["bindings"] = new JsonArray(new JsonObject
                {
                    ["type"] = "queueTrigger",
                    ["direction"] = "in",
                    ["name"] = QueueBinding,
                    ["queueName"] = q.QueueName,
                    ["connection"] = "AzureWebJobsStorage",
                }),
            });
        }
        foreach (var t in timers)
        {
            files[t.FunctionName] = Serialize(new JsonObject
            {
                ["bindings"] = new JsonArray(new JsonObject
                {
                    ["type"] = "timerTrigger",
                    ["direction"] = "in",
                    ["name"] = TimerBinding,
                    ["schedule"] = t.Schedule,
                    ["runOnStartup"] = false,
                    ["useMonitor"] = true,
                }),
            });
        }
        return files;
    }

    private static string Serialize(JsonObject o) => o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
}
