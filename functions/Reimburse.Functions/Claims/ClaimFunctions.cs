using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Claims;

/// <summary>Claim intake and reads: HTTP functions run their endpoint through the shared API pipeline (submit starts the
/// claim's orchestration, <see cref="ClaimOrchestration"/>).</summary>
public sealed class ClaimFunctions(ApiPipeline api)
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

    [Function("FormToken")]
    public Task<IResult> FormToken([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "forms/token")] HttpRequest req) =>
        api.RunAsync(req, "FormToken");

}
