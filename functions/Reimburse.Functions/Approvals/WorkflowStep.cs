using System.Text.Json;
using Reimburse.Core.Approvals;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;

namespace Reimburse.Functions.Approvals;

/// <summary>Pipeline step 300: plans the route of a Received claim (finance review when the risk step marked it High) and
/// starts its approval workflow — or, for a claim returned and submitted again, restarts it on a fresh route. An
/// unplannable claim goes to NeedsAttention with the planner's reason. Idempotent: only a Received claim is touched.</summary>
public sealed partial class WorkflowStep(
    ClaimStore claims,
    PolicyProvider policies,
    WorkflowClock workflowClock,
    TimeProvider clock,
    ILogger<WorkflowStep> logger) : IClaimPipelineStep
{
    public int Order => 300;
    public string Name => "workflow";

    public async Task RunAsync(string claimId, CancellationToken cancellationToken = default)
    {
        var (policy, company) = await policies.GetAsync(cancellationToken);
        var context = await policies.ContextAsync(policy, cancellationToken);
        var (result, error) = await claims.ChangeAsync(claimId, current =>
        {
            if (current.Claim.Status != ClaimStatus.Received)
            {
                return (null, new ClaimTransitionError("not-received", $"The claim is {current.Claim.Status}."));
            }
            var now = workflowClock.GetUtcNow();
            var claim = current.Claim;
            var state = WorkflowRows.ReadState(current);
            var highRisk = string.Equals(current.Raw.GetString(WorkflowRows.RiskLevelProperty), "High", StringComparison.OrdinalIgnoreCase);
            var plan = claim.Fields.Money is { } money && claim.Fields.Category is { } category
                ? RoutePlanner.Plan(policy, company, new RouteRequest(claim.OwnerId, claim.SubmittedBy, money, category, now, highRisk))
                : new RouteUnplannable(RoutingErrorCode.EmptyRoute, "The claim has no amount or category.");
            if (plan is not RoutePlanned { Route: var route })
            {
                var reason = ((RouteUnplannable)plan).Message;
                return NeedsAttention(current, "no approval route: " + reason, ((RouteUnplannable)plan).Code.ToString());
            }
            WorkflowInput input = state.Status == WorkflowStatus.Returned
                ? new Resubmitted(claim.SubmittedBy, claim.Fields.Money!.Value, route, null)
                : new Submitted(claim.OwnerId, claim.SubmittedBy, claim.Fields.Money!.Value, route);
            return ApprovalWorkflow.Decide(state, input, now, context) switch
            {
                Transitioned t => (WorkflowRows.ToChange(current, t, clock.GetUtcNow(), "system", null), null),
                Refused r => NeedsAttention(current, "workflow refused the route: " + r.Error.Message, r.Error.Code.ToString()),
                var other => (null, new ClaimTransitionError("ignored", other.ToString())),
            };
        }, cancellationToken);
        if (error is not null && error.Code != "not-received")
        {
            LogNotStarted(logger, claimId, error.Code, error.Message);
        }
        else if (result is not null && error is null)
        {
            LogStarted(logger, claimId, result.Claim.Status.ToString());
        }
    }

    private (ClaimChange?, ClaimTransitionError?) NeedsAttention(StoredClaim current, string reason, string code)
    {
        var (next, err) = ClaimLifecycle.NeedAttention(current.Claim, reason, clock.GetUtcNow());
        return next is null
            ? (null, err)
            : (new ClaimChange(next, new AuditDraft("claim.needs-attention", "system", "system", null, JsonSerializer.Serialize(new { reason, code }))), null);
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Debug, Message = "Workflow of claim {ClaimId} started: {Status}")]
    private static partial void LogStarted(ILogger logger, string claimId, string status);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Workflow of claim {ClaimId} not started ({Code}): {Message}")]
    private static partial void LogNotStarted(ILogger logger, string claimId, string code, string message);
}
