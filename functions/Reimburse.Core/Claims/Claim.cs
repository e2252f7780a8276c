namespace Reimburse.Core.Claims;

/// <summary>What the claimant says about the expense. Empty fields are allowed only on drafts.</summary>
public sealed record ClaimFields(
    string? Category,
    decimal? Amount,
    string? Currency,
    DateOnly? ExpenseDate,
    string? Merchant,
    string? Description,
    string? Project,
    string? CostCentre)
{
    public static readonly ClaimFields Empty = new(null, null, null, null, null, null, null, null);

    /// <summary>Fills this claim's empty fields from another (used when completing a draft).</summary>
    public ClaimFields FillFrom(ClaimFields other) => new(
        Category ?? other.Category,
        Amount ?? other.Amount,
        Currency ?? other.Currency,
        ExpenseDate ?? other.ExpenseDate,
        Merchant ?? other.Merchant,
        Description ?? other.Description,
        Project ?? other.Project,
        CostCentre ?? other.CostCentre);

    public Money? Money => Amount is { } a ? new Money(a, Currency ?? Reimburse.Core.Money.HongKongDollar) : null;
}

/// <summary>An expense claim as stored. Owner and department come from the directory, never from a request body.</summary>
public sealed record Claim(
    string Id,
    string CompanyId,
    string OwnerId,
    string Department,
    string SubmittedBy,
    ClaimSource Source,
    ClaimStatus Status,
    ClaimFields Fields,
    IReadOnlyList<ReceiptRef> Receipts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset UpdatedAt,
    string? AttentionReason = null);

/// <summary>A transition that is not allowed from the claim's current state.</summary>
public sealed record ClaimTransitionError(string Code, string Message);

/// <summary>Intake-stage transitions of a claim. Pure: time is an input.</summary>
public static class ClaimLifecycle
{
    /// <summary>Submits a draft (or a claim returned for changes) after its fields were completed.</summary>
    public static (Claim? Claim, ClaimTransitionError? Error) Submit(Claim claim, ClaimFields completed, DateTimeOffset now) =>
        claim.Status is ClaimStatus.Draft or ClaimStatus.Returned
            ? (claim with { Status = ClaimStatus.Submitted, Fields = completed, SubmittedAt = now, UpdatedAt = now }, null)
            : (null, new("invalid-transition", $"A {claim.Status} claim cannot be submitted."));

    /// <summary>The pipeline has taken the claim in. Receiving twice is an error the caller treats as already done.</summary>
    public static (Claim? Claim, ClaimTransitionError? Error) Receive(Claim claim, DateTimeOffset now) =>
        claim.Status == ClaimStatus.Submitted
            ? (claim with { Status = ClaimStatus.Received, UpdatedAt = now }, null)
            : (null, new("already-received", $"The claim is {claim.Status}, not Submitted."));

    /// <summary>Processing failed repeatedly: keep the claim, flag it for a person.</summary>
    public static (Claim? Claim, ClaimTransitionError? Error) NeedAttention(Claim claim, string reason, DateTimeOffset now) =>
        claim.Status is ClaimStatus.Submitted or ClaimStatus.Received
            ? (claim with { Status = ClaimStatus.NeedsAttention, AttentionReason = reason, UpdatedAt = now }, null)
            : (null, new("invalid-transition", $"A {claim.Status} claim cannot be flagged for attention."));
}
