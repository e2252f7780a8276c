using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Approvals;

/// <summary>Approval API (decisions, withdraw, status, pending list, one-click links, delegations); the workflow itself
/// is <see cref="ApprovalOrchestration"/>.</summary>
public sealed class ApprovalFunctions(ApiPipeline api)
{
    [Function("DecideClaim")]
    public Task<IResult> DecideClaim([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "claims/{id}/decisions")] HttpRequest req, string id) =>
        api.RunAsync(req, "DecideClaim", ("id", id));

    [Function("WithdrawClaim")]
    public Task<IResult> WithdrawClaim([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "claims/{id}/withdraw")] HttpRequest req, string id) =>
        api.RunAsync(req, "WithdrawClaim", ("id", id));

    [Function("GetWorkflow")]
    public Task<IResult> GetWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims/{id}/workflow")] HttpRequest req, string id) =>
        api.RunAsync(req, "GetWorkflow", ("id", id));

    [Function("ListApprovals")]
    public Task<IResult> ListApprovals([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "approvals")] HttpRequest req) =>
        api.RunAsync(req, "ListApprovals");

    [Function("ListReasonCodes")]
    public Task<IResult> ListReasonCodes([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reason-codes")] HttpRequest req) =>
        api.RunAsync(req, "ListReasonCodes");

    [Function("UseApprovalLink")]
    public Task<IResult> UseApprovalLink([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "links/{token}")] HttpRequest req, string token) =>
        api.RunAsync(req, "UseApprovalLink", ("token", token));

    [Function("ListDelegations")]
    public Task<IResult> ListDelegations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/delegations")] HttpRequest req) =>
        api.RunAsync(req, "ListDelegations");

    [Function("CreateDelegation")]
    public Task<IResult> CreateDelegation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "me/delegations")] HttpRequest req) =>
        api.RunAsync(req, "CreateDelegation");

    [Function("RevokeDelegation")]
    public Task<IResult> RevokeDelegation([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "me/delegations/{id}")] HttpRequest req, string id) =>
        api.RunAsync(req, "RevokeDelegation", ("id", id));

}
