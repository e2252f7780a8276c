using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Claims;

/// <summary>Claim intake and reads: HTTP functions run their endpoint through the shared API pipeline; the queue
/// functions hand messages to the claim pipeline.</summary>
public sealed class ClaimFunctions(ApiPipeline api, TriggerDispatch triggers)
{
    [Function("SubmitClaim")]
    public Task<IResult> SubmitClaim([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "claims")] HttpRequest req) =>
        api.RunAsync(req, "SubmitClaim");

    [Function("ListClaims")]
    public Task<IResult> ListClaims([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims")] HttpRequest req) =>
        api.RunAsync(req, "ListClaims");

    [Function("GetClaim")]
    public Task<IResult> GetClaim([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims/{id}")] HttpRequest req, string id) =>
        api.RunAsync(req, "GetClaim", ("id", id));

    [Function("GetReceipt")]
    public Task<IResult> GetReceipt([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims/{id}/receipts/{receiptId}")] HttpRequest req, string id, string receiptId) =>
        api.RunAsync(req, "GetReceipt", ("id", id), ("receiptId", receiptId));

    [Function("SubmitDraft")]
    public Task<IResult> SubmitDraft([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "claims/{id}/submit")] HttpRequest req, string id) =>
        api.RunAsync(req, "SubmitDraft", ("id", id));

    [Function("ClaimSubmitted")]
    public Task ClaimSubmitted([QueueTrigger(ReimburseStorage.ClaimSubmittedQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        triggers.QueueAsync("ClaimSubmitted", message, cancellationToken);

    [Function("ClaimSubmittedPoison")]
    public Task ClaimSubmittedPoison([QueueTrigger(ReimburseStorage.ClaimSubmittedQueue + "-poison")] QueueMessage message, CancellationToken cancellationToken) =>
        triggers.QueueAsync("ClaimSubmittedPoison", message, cancellationToken);
}
