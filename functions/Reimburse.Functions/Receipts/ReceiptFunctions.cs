using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Receipts;

/// <summary>Reads the receipts of an inbox draft and fills its fields.</summary>
public sealed class ReceiptFunctions(TriggerDispatch triggers)
{
    [Function("DraftAutofill")]
    public Task DraftAutofill([QueueTrigger(DraftAutofillHandler.Queue)] QueueMessage message, CancellationToken cancellationToken) =>
        triggers.QueueAsync("DraftAutofill", message, cancellationToken);
}
