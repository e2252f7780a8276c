using System.Globalization;

namespace Reimburse.LocalHost;

/// <summary>LocalHost's own settings (section "LocalHost"). Trigger behaviour comes from host.json, overridable as the
/// Functions host allows: AzureFunctionsJobHost:extensions:queues:batchSize and so on.</summary>
public sealed class LocalHostOptions
{
    public const string Section = "LocalHost";

    /// <summary>Run durable orchestrations and activities here. Off: this host only serves HTTP and the durable client.</summary>
    public bool DurableWorker { get; set; } = true;

    /// <summary>Run queue, blob and timer triggers (off for a host that only serves HTTP).</summary>
    public bool Triggers { get; set; } = true;

    /// <summary>How often the blob trigger stand-in lists its container (Event Grid pushes in Azure).</summary>
    public int BlobScanMilliseconds { get; set; } = 2000;

    /// <summary>Fastest queue poll when messages keep coming; back-off doubles up to host.json maxPollingInterval.</summary>
    public int MinPollMilliseconds { get; set; } = 50;

    /// <summary>Visibility of a message while its function runs (renewed at half-time).</summary>
    public int ProcessingVisibilitySeconds { get; set; } = 30;

    /// <summary>Prepended to queue, container and task hub names (defaults to Reimburse:Storage:ResourcePrefix) so
    /// tests sharing one Azurite never see each other's messages.</summary>
    public string? ResourcePrefix { get; set; }

    /// <summary>Storage connection (defaults to AzureWebJobsStorage, then Reimburse:Storage:ConnectionString).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Loopback port of the durable gRPC sidecar (0: any free port).</summary>
    public int DurablePort { get; set; }

    /// <summary>Per-function NCRONTAB override, e.g. LocalHost:Schedules:WorkflowDispatchSweep.</summary>
    public Dictionary<string, string> Schedules { get; set; } = [];
}

/// <summary>host.json's extensions.queues settings, as the Functions host reads them.</summary>
public sealed class QueuesOptions
{
    public const string Section = "AzureFunctionsJobHost:extensions:queues";

    public int BatchSize { get; set; } = 16;
    public int NewBatchThreshold { get; set; } = -1;
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);
    public int MaxDequeueCount { get; set; } = 5;
    public string MessageEncoding { get; set; } = "base64";
}

/// <summary>Loads host.json into configuration under AzureFunctionsJobHost, below every other source, so app settings
/// and environment variables override it as they do on the Functions host.</summary>
public static class HostJson
{
    public const string Section = "AzureFunctionsJobHost";

    public static void AddHostJson(this ConfigurationManager configuration, string path)
    {
        using var stream = File.OpenRead(path);
        var flat = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Flatten(System.Text.Json.JsonDocument.Parse(stream).RootElement, Section, flat);
        ((IList<IConfigurationSource>)configuration.Sources).Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = flat });
    }

    private static void Flatten(System.Text.Json.JsonElement e, string prefix, Dictionary<string, string?> into)
    {
        switch (e.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix + ":" + p.Name, into);
                break;
            case System.Text.Json.JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Flatten(item, prefix + ":" + (i++).ToString(CultureInfo.InvariantCulture), into);
                break;
            default:
                into[prefix] = e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() : e.GetRawText();
                break;
        }
    }
}
