using System.Text.Json;

namespace Reimburse.Web.Services;

// The API's JSON as the app reads it (camelCase, Web defaults). Only the fields the screens use.

public sealed record DevToken(string Token, DateTimeOffset ExpiresAt, string UserId, string Name, IReadOnlyList<string> Roles, string Department);

public sealed record ClaimAccepted(string Id, string Status, string StatusUrl);

public sealed record ClaimPage(IReadOnlyList<ClaimView> Items, string? ContinuationToken);

public sealed record ReceiptView(string Id, string FileName, string ContentType, long Length, string Url);

public sealed record RiskReason(string Code, string English, string Chinese, double Contribution);

public sealed record RiskView(double Score, string Level, IReadOnlyList<RiskReason> Reasons, string ModelVersion);

public sealed record ExtractedField(string? Value, double Confidence);

public sealed record ReceiptReading(string ReceiptId, string Status, string? Reason, string Engine, IReadOnlyDictionary<string, JsonElement>? Fields);

public sealed record ReceiptFinding(string Code, string ReceiptId, string Claimed, string OnReceipt, double Confidence, string Message);

public sealed record ClaimView(
    string Id, string Status, string OwnerId, string Department, string Source, string? Category, decimal? Amount, string? Currency,
    string? ExpenseDate, string? Merchant, string? Description, string? Project, string? CostCentre, IReadOnlyList<ReceiptView> Receipts,
    DateTimeOffset CreatedAt, DateTimeOffset? SubmittedAt, DateTimeOffset UpdatedAt, string? AttentionReason,
    RiskView? Risk, IReadOnlyList<ReceiptReading>? ReceiptReadings, IReadOnlyList<ReceiptFinding>? Findings, IReadOnlyList<string>? AutofilledFields);

public sealed record PendingApproval(string ClaimId, string ClaimantId, decimal Amount, string Currency, string? Category, string? Merchant,
    int Round, int Step, string StepName, string? OnBehalfOf, bool ViaEscalation, DateTimeOffset? WaitingSince);

public sealed record ApprovalList(IReadOnlyList<PendingApproval> Items);

public sealed record WaitingOn(string UserId, string? OnBehalfOf, bool ViaEscalation);

public sealed record RouteSlot(IReadOnlyList<string> Approvers);

public sealed record RouteStep(string LevelId, string Name, string Mode, string? Reason, IReadOnlyList<RouteSlot> Slots);

public sealed record CurrentStep(int Index, string Name, DateTimeOffset StartedAt);

public sealed record HistoryEntry(DateTimeOffset At, string Action, string? Actor, string? OnBehalfOf, int Round, int? StepIndex, string? Detail);

public sealed record WorkflowView(string ClaimId, string Status, int Round, CurrentStep? CurrentStep, IReadOnlyList<WaitingOn> WaitingOn,
    IReadOnlyList<RouteStep> Route, IReadOnlyList<string>? RouteNotes, IReadOnlyList<HistoryEntry> History, int Version);



public sealed record AuditRecord(string? Log, long Sequence, DateTimeOffset At, string Action, string? ActorId, string? ActorRole, string? Outcome, string? ClaimId, string? Department, string? Details);

public sealed record AuditVerification(bool Ok, int Checked, int Chains, JsonElement? FirstBroken, int Problems);

public sealed record RiskModelInfo(string? ActiveVersion, DateTimeOffset? ActivatedAt, IReadOnlyList<JsonElement>? PreviousVersions);

public sealed record AuditPage(IReadOnlyList<AuditRecord> Items, string? ContinuationToken);

/// <summary>An RFC 9457 problem from the API, with the per-field errors of a validation failure.</summary>
public sealed record Problem(int Status, string? Type, string? Title, string? Detail, IReadOnlyDictionary<string, string[]>? Errors)
{
    public IReadOnlyList<string> For(string field) => Errors is not null && Errors.TryGetValue(field, out var e) ? e : [];

    /// <summary>Errors on fields the form does not show (so they are not lost).</summary>
    public IEnumerable<string> Others(IEnumerable<string> shown) =>
        (Errors ?? new Dictionary<string, string[]>()).Where(kv => !shown.Contains(kv.Key)).SelectMany(kv => kv.Value.Select(v => $"{kv.Key}: {v}"));
}

public sealed record DelegationView(string? Id, string From, string To, string Start, string End, string? Reason, string Status, string Source);

public sealed record DelegationList(IReadOnlyList<DelegationView> Items);
