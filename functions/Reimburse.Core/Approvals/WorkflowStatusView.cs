namespace Reimburse.Core.Approvals;

/// <summary>Durable-style runtime status: Pending (not started), Running, Suspended (returned), Completed, Terminated (withdrawn).</summary>
public enum RuntimeStatus { Pending, Running, Suspended, Completed, Terminated }

/// <summary>Someone who can sign a slot of the current step now.</summary>
/// <param name="OnBehalfOf">Set when the user acts as delegate of this approver.</param>
/// <param name="ViaEscalation">True when the slot reached this user (or the approver they stand in for) by escalation.</param>
public sealed record WaitingApprover(string UserId, string? OnBehalfOf, int Slot, bool ViaEscalation);

/// <summary>The step currently waiting for signatures.</summary>
public sealed record CurrentStepView(int Index, string LevelId, string Name, ApprovalMode Mode, string Reason, int EscalationLevel, DateTimeOffset StartedAt, IReadOnlyList<Signature> Signed);

/// <summary>The answer to "where is this claim?" — like Durable Functions' status query.</summary>
public sealed record WorkflowStatusView(
    string ClaimId,
    RuntimeStatus RuntimeStatus,
    WorkflowStatus Status,
    int Round,
    CurrentStepView? CurrentStep,
    IReadOnlyList<WaitingApprover> WaitingOn,
    DateTimeOffset? ReminderDueAt,
    DateTimeOffset? EscalationDueAt,
    IReadOnlyList<RouteStep> Route,
    IReadOnlyList<string> RouteNotes,
    IReadOnlyList<HistoryEntry> History,
    int Version,
    IReadOnlyList<RungView>? Ladder = null,
    string? ViewerTimeZone = null);
