using System.Text.Json;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Inbox;

/// <summary>Event Grid BlobCreated for receipts-inbox, delivered through the receipt-drops storage queue.</summary>
public sealed class ReceiptDroppedHandler(ReceiptDropProcessor processor) : IQueueHandler
{
    private const string SubjectPrefix = "/blobServices/default/containers/";

    public string FunctionName => "ReceiptDropped";
    public string QueueName => ReimburseStorage.ReceiptDropsQueue;

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        foreach (var blobName in BlobNames(invocation.MessageText))
        {
            await processor.ProcessAsync(blobName, cancellationToken);
        }
    }

    /// <summary>Blob names from an Event Grid event (or array of events, Event Grid or CloudEvents schema).</summary>
    public static IEnumerable<string> BlobNames(string messageText)
    {
        using var doc = JsonDocument.Parse(InvocationValues.UnwrapToJson(messageText));
        var events = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().ToList() : [doc.RootElement];
        var names = new List<string>();
        foreach (var ev in events)
        {
            var type = ev.TryGetProperty("eventType", out var t) ? t.GetString() : ev.TryGetProperty("type", out var ct) ? ct.GetString() : null;
            if (type != "Microsoft.Storage.BlobCreated" || !ev.TryGetProperty("subject", out var subjectEl))
            {
                continue;
            }
            var subject = subjectEl.GetString() ?? "";
            if (!subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var rest = subject[SubjectPrefix.Length..];
            var split = rest.IndexOf("/blobs/", StringComparison.Ordinal);
            if (split <= 0 || !rest[..split].EndsWith(ReimburseStorage.InboxContainer, StringComparison.Ordinal))
            {
                continue;
            }
            names.Add(Uri.UnescapeDataString(rest[(split + "/blobs/".Length)..]));
        }
        return names;
    }
}

/// <summary>Catches inbox files whose event was lost: every five minutes, processes files older than two minutes.</summary>
public sealed class InboxSweepTimer(ReceiptDropProcessor processor) : ITimerHandler
{
    public string FunctionName => "InboxSweep";
    public string Schedule => "0 */5 * * * *";

    public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default) =>
        processor.ScanAsync(TimeSpan.FromMinutes(2), cancellationToken);
}
