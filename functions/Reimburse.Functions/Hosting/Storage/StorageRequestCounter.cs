using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Functions.Hosting.Storage;

/// <summary>Counts every request the storage clients send (added per-retry, so retries count too); benchmarks report
/// storage requests per claim. With <see cref="Breakdown"/> on it also counts per kind of request (method, resource, first
/// two app frames on the stack), which costs a stack walk per request: for diagnosis, not for timed runs.</summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    private const string DevelopmentAccountName = "devstoreaccount1";
    private long _count;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _kinds = new(StringComparer.Ordinal);

    /// <summary>Requests seen since creation or the last <see cref="Reset"/>.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>When true, requests are also counted per kind (see <see cref="Kinds"/>).</summary>
    public bool Breakdown { get; set; }

    /// <summary>Requests per kind since the last <see cref="Reset"/> (empty unless <see cref="Breakdown"/> is on).</summary>
    public IReadOnlyDictionary<string, long> Kinds => new Dictionary<string, long>(_kinds, StringComparer.Ordinal);

    /// <summary>Sets the count back to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _count, 0);
        _kinds.Clear();
    }

    /// <inheritdoc />
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Tally(message);
        ProcessNext(message, pipeline);
    }

    /// <inheritdoc />
    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Tally(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Tally(HttpMessage message)
    {
        Interlocked.Increment(ref _count);
        if (Breakdown)
        {
            _kinds.AddOrUpdate(KindOf(message), 1, (_, n) => n + 1);
        }
    }

    /// <summary>"METHOD resource caller": the resource without account, keys or ids (a table, "table(entity)", "$batch",
    /// "queue/messages", "container/blob").</summary>
    private static string KindOf(HttpMessage message)
    {
        var path = message.Request.Uri.Path.Trim('/');
        var segments = path.Split('/');
        // Path-style (emulator) URLs start with the account name.
        if (segments.Length > 1 && segments[0] == DevelopmentAccountName) segments = segments[1..];
        var resource = segments.Length == 0 ? "" : segments[0];
        var paren = resource.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0) resource = resource[..paren] + (resource.EndsWith("()", StringComparison.Ordinal) ? "()" : "(entity)");
        if (segments.Length > 1) resource += segments[1] == "messages" ? (segments.Length > 2 ? "/messages/id" : "/messages") : "/blob";
        var caller = "";
        foreach (var frame in new System.Diagnostics.StackTrace(2, false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            // Async state machines are nested types named "<Method>d__N"; report the method that owns them.
            var owner = type?.DeclaringType is { } outer && type.Name.StartsWith('<') ? outer : type;
            var ns = owner?.Namespace ?? "";
            if (ns.StartsWith("Reimburse.", StringComparison.Ordinal) && !ns.StartsWith("Reimburse.Functions.Hosting.Storage", StringComparison.Ordinal))
            {
                var name = type!.Name.StartsWith('<') ? type.Name[1..type.Name.IndexOf('>', StringComparison.Ordinal)] : "";
                if (name.Length == 0) name = frame.GetMethod()!.Name;
                var here = owner!.Name + "." + name;
                if (caller.Length == 0) caller = here;
                else if (!caller.EndsWith(here, StringComparison.Ordinal))
                {
                    caller += " < " + here;
                    break;
                }
            }
        }
        return message.Request.Method.Method + " " + resource + " " + caller;
    }
}
