using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Inbox;

/// <summary>A file dropped into receipts-inbox/{userId}/… becomes a draft claim (or goes to quarantine). Event Grid
/// delivers the BlobCreated event (Flex Consumption has no polling blob trigger); processing is safe to repeat.</summary>
public sealed class InboxFunctions(ReceiptDropProcessor processor)
{
    [Function("ReceiptDropped")]
    public Task ReceiptDropped(
        [BlobTrigger(ReimburseStorage.InboxContainer + "/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob,
        string name,
        CancellationToken cancellationToken) =>
        processor.ProcessAsync(name, cancellationToken);
}
