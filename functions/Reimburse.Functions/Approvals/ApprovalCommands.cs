using Reimburse.Core.Approvals;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;

namespace Reimburse.Functions.Approvals;

/// <summary>Outcome of a workflow command: the stored claim after an accepted transition, or why it was refused.</summary>
public sealed record WorkflowCommandResult(StoredClaim? Claim, WorkflowError? Error, bool NotFound = false);

/// <summary>Applies a caller's input (decision, withdrawal) to a claim's workflow: read, Decide, commit state + audit +
/// outbox in one conditional batch. A lost race re-reads and decides again, so of N concurrent decisions on one slot exactly
/// one is accepted and the rest are refused by the state machine (409 StepAlreadyDecided / AlreadySigned).</summary>
public sealed class ApprovalCommands(ClaimStore claims, PolicyProvider policies, WorkflowClock workflowClock, TimeProvider clock)
{
    public async Task<WorkflowCommandResult> ApplyAsync(string claimId, WorkflowInput input, string actorRole, string? sourceIp,
        Func<TableEntity>? extraRow = null, CancellationToken cancellationToken = default)
    {
        var context = await policies.ContextAsync(cancellationToken);
        var (stored, error) = await claims.ChangeAsync(claimId, current =>
        {
            var state = WorkflowRows.ReadState(current);
            if (state.Status == WorkflowStatus.NotStarted)
            {
                return (null, WorkflowRows.ToError(new WorkflowError(WorkflowErrorCode.NotStarted, $"The claim is {current.Claim.Status}; its approval has not started.")));
            }
            return ApprovalWorkflow.Decide(state, input, workflowClock.GetUtcNow(), context) switch
            {
                Transitioned t => (WorkflowRows.ToChange(current, t, clock.GetUtcNow(), actorRole, sourceIp, extraRow is null ? null : [extraRow()]), null),
                Refused r => (null, WorkflowRows.ToError(AlreadyDecidedByActor(state, input, r.Error))),
                var other => (null, new ClaimTransitionError(nameof(WorkflowErrorCode.StepAlreadyDecided), other.ToString())),
            };
        }, cancellationToken);
        if (error is { Code: "not-found" })
        {
            return new WorkflowCommandResult(null, null, NotFound: true);
        }
        if (error is not null)
        {
            return new WorkflowCommandResult(stored, WorkflowRows.AsWorkflowError(error) ?? new WorkflowError(WorkflowErrorCode.StepAlreadyDecided, error.Message));
        }
        return new WorkflowCommandResult(stored, null);
    }

    /// <summary>A second click by someone who already signed an earlier step of this round is a late duplicate (409), not
    /// an outsider (403): the step they decided has moved on.</summary>
    private static WorkflowError AlreadyDecidedByActor(WorkflowState state, WorkflowInput input, WorkflowError error) =>
        error.Code == WorkflowErrorCode.NotCurrentApprover && input is DecisionMade d
            && state.History.Any(h => h.Round == state.Round && (h.Actor == d.Actor || h.OnBehalfOf == d.Actor) && h.Action == "step.approved")
            ? new WorkflowError(WorkflowErrorCode.StepAlreadyDecided, "You already decided this claim; it has moved on to the next step.")
            : error;
}
