using System.Globalization;
using System.Text.Json;
using Reimburse.Core.Approvals;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;

namespace Reimburse.Functions.Approvals;

/// <summary>How workflow state and route live on the claim row (the committed copy HTTP reads), the rows kept beside it in
/// the claim's partition (notification outcomes, decision slots, used links), and how a transition becomes one
/// <see cref="ClaimChange"/> (claim row + audit rows in one batch).</summary>
public static class WorkflowRows
{
    public const string WorkflowProperty = "Workflow";
    public const string RouteProperty = "Route";
    public const string WorkflowVersionProperty = "WorkflowVersion";
    public const string RiskLevelProperty = "RiskLevel";
    public const string OutboxPrefix = "outbox-";
    public const string LinkPrefix = "link-";
    public const string DecisionPrefix = "decision-";
    public const string WithdrawalRowKey = "withdrawal";

    /// <summary>The row a decision claims on a slot of a step: first writer wins (insert if absent), so of two approvers
    /// racing for one slot exactly one is accepted.</summary>
    public static string DecisionRowKey(int round, int step, int slot) =>
        string.Create(CultureInfo.InvariantCulture, $"{DecisionRoundPrefix(round)}-s{step:D3}-{slot:D3}");

    /// <summary>The start of the decision rows of one round.</summary>
    public static string DecisionRoundPrefix(int round) => string.Create(CultureInfo.InvariantCulture, $"{DecisionPrefix}r{round:D4}");

    public static string OutboxRowKey(int version, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{OutboxPrefix}{version:D10}-{index:D3}");

    /// <summary>The workflow version an outbox row belongs to.</summary>
    public static int OutboxVersion(string rowKey) =>
        int.Parse(rowKey.AsSpan(OutboxPrefix.Length, 10), CultureInfo.InvariantCulture);

    public static WorkflowState ReadState(StoredClaim stored) => ReadState(stored.Claim.Id, stored.Raw);

    /// <summary>The stored state; its route is kept once, in the Route property (every change rewrites the claim row, so
    /// the row stays small).</summary>
    public static WorkflowState ReadState(string claimId, TableEntity row)
    {
        if (row.GetString(WorkflowProperty) is not { Length: > 0 } json)
        {
            return WorkflowState.New(claimId);
        }
        var state = JsonSerializer.Deserialize<WorkflowState>(json, ApprovalJson.Options) ?? WorkflowState.New(claimId);
        return state.Route is null && row.GetString(RouteProperty) is { Length: > 0 } route
            ? state with { Route = JsonSerializer.Deserialize<Reimburse.Core.Approvals.Route>(route, ApprovalJson.Options) }
            : state;
    }

    public static ClaimStatus ClaimStatusFor(WorkflowStatus status) => status switch
    {
        WorkflowStatus.Pending => ClaimStatus.PendingApproval,
        WorkflowStatus.Returned => ClaimStatus.Returned,
        WorkflowStatus.Approved => ClaimStatus.Approved,
        WorkflowStatus.Rejected => ClaimStatus.Rejected,
        WorkflowStatus.Withdrawn => ClaimStatus.Withdrawn,
        _ => throw new InvalidOperationException($"No claim status for workflow status {status}."),
    };

    /// <summary>The batch for an accepted transition: new claim status, state and route on the claim row, and the
    /// AppendAudit effects as audit entries (the other effects are carried out by the orchestration's activities).</summary>
    public static ClaimChange ToChange(StoredClaim current, Transitioned t, DateTimeOffset systemNow, string? actorRole, string? sourceIp, IEnumerable<TableEntity>? moreRows = null)
    {
        var version = t.State.Version;
        var audits = new List<AuditDraft>();
        var rows = new List<TableEntity>();
        foreach (var a in t.Effects.OfType<AppendAudit>())
        {
            var actor = a.Actor ?? "system";
            audits.Add(new AuditDraft(a.Action, actor, actor == "system" ? "system" : actorRole ?? "approver", actor == "system" ? null : sourceIp,
                JsonSerializer.Serialize(a.Details)));
        }
        if (audits.Count == 0)
        {
            audits.Add(new AuditDraft("workflow.changed", "system", "system", null, JsonSerializer.Serialize(new { version, status = t.State.Status.ToString() })));
        }
        rows.AddRange(moreRows ?? []);
        var claim = current.Claim with { Status = ClaimStatusFor(t.State.Status), UpdatedAt = systemNow };
        var props = new Dictionary<string, object?>
        {
            [WorkflowProperty] = JsonSerializer.Serialize(t.State with { Route = null }, ApprovalJson.Options),
            [RouteProperty] = t.State.Route is { } r ? JsonSerializer.Serialize(r, ApprovalJson.Options) : null,
            [WorkflowVersionProperty] = version,
        };
        return new ClaimChange(claim, audits[0], props, audits.Skip(1).ToList(), rows);
    }

    /// <summary>A refusal carried through <see cref="ClaimStore.ChangeAsync"/>: the code is the <see cref="WorkflowErrorCode"/> name.</summary>
    public static ClaimTransitionError ToError(WorkflowError error) => new(error.Code.ToString(), error.Message);

    /// <summary>The workflow error behind a transition error, if it is one.</summary>
    public static WorkflowError? AsWorkflowError(ClaimTransitionError? error) =>
        error is not null && Enum.TryParse<WorkflowErrorCode>(error.Code, out var code) ? new WorkflowError(code, error.Message) : null;

    public static WorkflowEffect ReadEffect(TableEntity outboxRow) =>
        JsonSerializer.Deserialize<WorkflowEffect>(outboxRow.GetString("Effect")!, ApprovalJson.Options)!;
}
