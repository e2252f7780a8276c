using Reimburse.Core.Approvals;

namespace Reimburse.Core.Risk.Learned;

/// <summary>A claim labelled by a final decision: anomalous (rejected for a risk reason) or clean (approved).</summary>
/// <param name="ReasonCode">The <see cref="DecisionReasons"/> code of a rejection; null for an approval.</param>
public sealed record RiskLabel(string ClaimId, bool IsAnomaly, string? ReasonCode, DateTimeOffset DecidedAt);

/// <summary>
/// Labels for the learned layer, taken only from final decisions of approvers and finance: an approved claim is clean;
/// a claim rejected with a reason that marks an anomaly (every code but "other") is anomalous. Pending, returned and
/// withdrawn claims and rejections for "other" label nothing, and an employee's own actions (submit, withdraw, resubmit)
/// never do: the workflow already refuses a decision by the claimant or submitter.
/// </summary>
public static class RiskLabels
{
    /// <summary>The label a claim's workflow gives, or null.</summary>
    public static RiskLabel? FromWorkflow(WorkflowState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        switch (state.Status)
        {
            case WorkflowStatus.Approved:
                var approved = Last(state, "claim.approved");
                return approved is null ? null : new RiskLabel(state.ClaimId, false, null, approved.At);
            case WorkflowStatus.Rejected:
                var rejected = Last(state, "claim.rejected");
                if (rejected is null || IsOwnAction(state, rejected.Actor) || DecisionReasons.Find(rejected.ReasonCode) is not { MarksAnomaly: true } reason)
                {
                    return null;
                }
                return new RiskLabel(state.ClaimId, true, reason.Code, rejected.At);
            default:
                return null;
        }
    }

    /// <summary>Labels of many claims by id (unlabelled ones left out).</summary>
    public static Dictionary<string, RiskLabel> FromWorkflows(IEnumerable<WorkflowState> states) =>
        states.Select(FromWorkflow).OfType<RiskLabel>().ToDictionary(l => l.ClaimId, StringComparer.Ordinal);

    private static Approvals.HistoryEntry? Last(WorkflowState state, string action)
    {
        for (var i = state.History.Count - 1; i >= 0; i--)
        {
            if (state.History[i].Action == action)
            {
                return state.History[i];
            }
        }
        return null;
    }

    private static bool IsOwnAction(WorkflowState state, string? actor) => actor is null || actor == state.ClaimantId || actor == state.SubmitterId;
}
