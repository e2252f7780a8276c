using System.Text.Json;

namespace Reimburse.Functions.Triggers;

/// <summary>The custom handler side of non-HTTP triggers: the Functions host POSTs /{FunctionName} with
/// {"Data": {binding: value}, "Metadata": {...}} and reads {"Outputs", "Logs", "ReturnValue"} back. Non-2xx fails the
/// invocation, so the host retries the queue message and poisons it after maxDequeueCount.</summary>
public static partial class InvocationEndpoints
{
    /// <summary>The answer the host expects.</summary>
    public sealed record InvocationResponse(Dictionary<string, object?> Outputs, List<string> Logs, object? ReturnValue);

    // The host's contract is PascalCase; the app's default web (camelCase) JSON options must not apply here.
    private static readonly JsonSerializerOptions HostJson = new() { PropertyNamingPolicy = null };

    private static IResult Answer(InvocationResponse response, int status = 200) => TypedResults.Json(response, HostJson, statusCode: status);

    public static void MapInvocationEndpoints(this IEndpointRouteBuilder app, IEnumerable<IQueueHandler> queues, IEnumerable<ITimerHandler> timers)
    {
        foreach (var handler in queues)
        {
            app.MapPost("/" + handler.FunctionName, (HttpRequest request, ILoggerFactory logs, CancellationToken ct) =>
                InvokeAsync(request, logs, async (data, metadata, invocationId) =>
                {
                    var text = InvocationValues.TryGetProperty(data, FunctionCatalog.QueueBinding, out var msg) ? InvocationValues.AsText(msg) : null;
                    if (text is null)
                    {
                        throw new FormatException($"Data.{FunctionCatalog.QueueBinding} is missing.");
                    }
                    var dequeue = InvocationValues.TryGetProperty(metadata, "DequeueCount", out var dc) ? InvocationValues.AsInt64(dc) ?? 1 : 1;
                    var inserted = InvocationValues.TryGetProperty(metadata, "InsertionTime", out var it) ? InvocationValues.AsDateTimeOffset(it) : null;
                    var id = InvocationValues.TryGetProperty(metadata, "Id", out var mid) ? InvocationValues.AsText(mid) : null;
                    await handler.HandleAsync(new QueueInvocation(text, dequeue, inserted, id, invocationId), ct);
                })).ExcludeFromDescription().WithMetadata(new FunctionInvocationMetadata(handler.FunctionName));
        }
        foreach (var timer in timers)
        {
            app.MapPost("/" + timer.FunctionName, (HttpRequest request, ILoggerFactory logs, TimeProvider clock, CancellationToken ct) =>
                InvokeAsync(request, logs, async (data, _, invocationId) =>
                {
                    var pastDue = InvocationValues.TryGetProperty(data, FunctionCatalog.TimerBinding, out var t) && t.ValueKind == JsonValueKind.Object
                        && InvocationValues.TryGetProperty(t, "IsPastDue", out var pd) && pd.ValueKind == JsonValueKind.True;
                    await timer.RunAsync(new TimerInvocation(clock.GetUtcNow(), pastDue, invocationId), ct);
                })).ExcludeFromDescription().WithMetadata(new FunctionInvocationMetadata(timer.FunctionName));
        }
    }

    /// <summary>Marks an endpoint as a host invocation route (not an HTTP function).</summary>
    public sealed record FunctionInvocationMetadata(string FunctionName);

    private static async Task<IResult> InvokeAsync(HttpRequest request, ILoggerFactory logs, Func<JsonElement, JsonElement, string, Task> run)
    {
        var logger = logs.CreateLogger("Reimburse.Invocations");
        var invocationId = request.Headers["X-Azure-Functions-InvocationId"].ToString();
        var logLines = new List<string>();
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            return Answer(new InvocationResponse([], ["The invocation body is not JSON."], null), 400);
        }
        using (doc)
        {
            var root = doc.RootElement;
            var data = InvocationValues.TryGetProperty(root, "Data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            var metadata = InvocationValues.TryGetProperty(root, "Metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            if (data.ValueKind != JsonValueKind.Object)
            {
                return Answer(new InvocationResponse([], ["The invocation body has no Data object."], null), 400);
            }
            try
            {
                await run(data, metadata.ValueKind == JsonValueKind.Object ? metadata : JsonDocument.Parse("{}").RootElement, invocationId);
                logLines.Add($"{request.Path.Value?.TrimStart('/')} succeeded");
                return Answer(new InvocationResponse([], logLines, null));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogInvocationFailed(logger, ex, request.Path.Value ?? "", invocationId);
                logLines.Add($"{request.Path.Value?.TrimStart('/')} failed: {ex.GetType().Name}");
                // 500 tells the host to retry; the message text is kept out of logs the host may ship elsewhere.
                return Answer(new InvocationResponse([], logLines, null), ex is FormatException or JsonException ? 400 : 500);
            }
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Invocation {Path} ({InvocationId}) failed")]
    private static partial void LogInvocationFailed(ILogger logger, Exception exception, string path, string invocationId);
}
