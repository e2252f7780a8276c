using Reimburse.Core.Approvals;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Approvals;

/// <summary>The authorization matrix's "claims an approver must decide" scope, from the workflow itself: whoever the
/// current step waits on (including escalation targets and the off-hours duty supervisor), and whoever already acted on
/// the claim, may read it. Delegates are covered through the delegator's assignment by the decision endpoint.</summary>
public sealed class WorkflowAssignments(ClaimStore claims) : IClaimAssignments
{
    public async ValueTask<bool> IsAssignedAsync(User user, Claim claim, CancellationToken cancellationToken = default)
    {
        if (!user.Has(Role.Approver) && !user.Has(Role.Finance))
        {
            return false;
        }
        var stored = await claims.GetAsync(claim.Id, cancellationToken);
        if (stored is null || !stored.Raw.ContainsKey(WorkflowRows.WorkflowProperty))
        {
            return false;
        }
        var state = WorkflowRows.ReadState(stored);
        return ApprovalWorkflow.Principals(state).Contains(user.Id, StringComparer.Ordinal)
            || state.History.Any(h => h.Actor == user.Id || h.OnBehalfOf == user.Id);
    }
}
