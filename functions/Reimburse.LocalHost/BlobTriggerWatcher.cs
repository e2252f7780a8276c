using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Reimburse.LocalHost;

/// <summary>Stand-in for Event Grid delivery of BlobCreated to an EventGrid-sourced blob trigger (in Azure nothing
/// polls): lists the container on a short interval and invokes the function once per new blob version. A receipt blob
/// per processed version (as the Functions host keeps) stops a restart from processing it again; at least once.</summary>
public sealed partial class BlobTriggerWatcher(
    FunctionDescriptor function,
    FunctionInvoker invoker,
    TriggerStorage storage,
    IOptions<LocalHostOptions> hostOptions,
    IOptions<QueuesOptions> queueOptions,
    ILogger<BlobTriggerWatcher> logger) : BackgroundService
{
    private const string ReceiptsContainer = "azure-webjobs-hosts";
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var path = function.Path!;
        var slash = path.IndexOf('/');
        var container = storage.Container(path[..slash]);
        var nameParameter = path[(slash + 1)..].Trim('{', '}');
        var receipts = storage.Container(ReceiptsContainer);
        var interval = TimeSpan.FromMilliseconds(hostOptions.Value.BlobScanMilliseconds);
        // Containers are created once (and again after a failed scan), not on every scan: an idle app's storage
        // traffic is one list request per interval.
        var created = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!created)
                {
                    await container.CreateIfNotExistsAsync(cancellationToken: stop);
                    await receipts.CreateIfNotExistsAsync(cancellationToken: stop);
                    created = true;
                }
                await foreach (var blob in container.GetBlobsAsync(cancellationToken: stop))
                {
                    var version = blob.Name + "\n" + blob.Properties.ETag;
                    if (_done.Contains(version))
                    {
                        continue;
                    }
                    var receipt = receipts.GetBlobClient($"blobreceipts/localhost/{function.Name}/{blob.Properties.ETag.ToString()!.Trim('"')}/{blob.Name}");
                    if (await receipt.ExistsAsync(stop))
                    {
                        _done.Add(version);
                        continue;
                    }
                    await InvokeAsync(container.GetBlobClient(blob.Name), nameParameter, version, receipt, stop);
                }
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogScanFailed(logger, ex, path);
                created = false;
                try { await Task.Delay(interval * 4, stop); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task InvokeAsync(BlobClient blob, string nameParameter, string version, BlobClient receipt, CancellationToken stop)
    {
        try
        {
            await invoker.InvokeAsync(function, new Invocation(blob, new Dictionary<string, string?> { [nameParameter] = blob.Name, ["blobTrigger"] = blob.BlobContainerName + "/" + blob.Name }, null, stop));
            try
            {
                await receipt.UploadAsync(BinaryData.Empty, overwrite: true, stop);
            }
            catch (RequestFailedException)
            {
                // Without a receipt the blob may be processed again after a restart: allowed (at least once).
            }
            _done.Add(version);
            _failures.Remove(version);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            var attempts = _failures[version] = _failures.GetValueOrDefault(version) + 1;
            LogFailed(logger, ex, function.Name, blob.Name, attempts);
            if (attempts >= queueOptions.Value.MaxDequeueCount)
            {
                _done.Add(version); // given up, as the host gives up after maxDequeueCount
            }
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Listing {Path} failed")]
    private static partial void LogScanFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "{Function} failed on blob {BlobName} (attempt {Attempt})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, string blobName, int attempt);
}
