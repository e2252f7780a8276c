using Reimburse.Core.Claims;

namespace Reimburse.Functions.Claims;

/// <summary>A claim as the API shows it.</summary>
public sealed record ClaimView(
    string Id,
    string Status,
    string OwnerId,
    string Department,
    string Source,
    string? Category,
    decimal? Amount,
    string? Currency,
    string? ExpenseDate,
    string? Merchant,
    string? Description,
    string? Project,
    string? CostCentre,
    IReadOnlyList<ReceiptView> Receipts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset UpdatedAt,
    string? AttentionReason,
    IReadOnlyDictionary<string, string> Links)
{
    /// <summary>Risk score, level, reasons and model version, once the claim was scored.</summary>
    public Risk.RiskView? Risk { get; init; }

    /// <summary>Per receipt: what OCR read and how sure it is (empty until read).</summary>
    public IReadOnlyList<Receipts.ReceiptReadingView>? ReceiptReadings { get; init; }

    /// <summary>Where the claim and its receipts disagree (amount, date, merchant, currency).</summary>
    public IReadOnlyList<Receipts.ReceiptFindingView>? Findings { get; init; }

    /// <summary>Fields the system filled from the receipt (drafts from dropped files).</summary>
    public IReadOnlyList<string>? AutofilledFields { get; init; }

    /// <summary>The latest rejection or return: its reason code (with both labels), the comment, who and when.</summary>
    public DecisionReasonView? DecisionReason { get; init; }

    /// <summary>The claim with what later stages recorded on it (risk, receipt readings, workflow).</summary>
    public static ClaimView From(StoredClaim stored) => From(stored.Claim) with
    {
        DecisionReason = DecisionReasonView.Latest(Reimburse.Functions.Approvals.WorkflowRows.ReadState(stored)),
        Risk = Reimburse.Functions.Risk.RiskStep.ViewOf(stored.Raw),
        ReceiptReadings = Reimburse.Functions.Receipts.ReceiptUnderstanding.ReadingsOf(stored.Raw),
        Findings = Reimburse.Functions.Receipts.ReceiptUnderstanding.FindingsOf(stored.Raw),
        AutofilledFields = stored.Raw.GetString("AutofilledFields") is { Length: > 0 } f ? f.Split(',') : null,
    };

    public static ClaimView From(Claim c) => new(
        c.Id, c.Status.ToString(), c.OwnerId, c.Department, c.Source.ToString(),
        c.Fields.Category, c.Fields.Amount, c.Fields.Currency, c.Fields.ExpenseDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        c.Fields.Merchant, c.Fields.Description, c.Fields.Project, c.Fields.CostCentre,
        c.Receipts.Select(r => new ReceiptView(r.Id, r.FileName, r.ContentType, r.Length, $"/api/claims/{c.Id}/receipts/{r.Id}")).ToList(),
        c.CreatedAt, c.SubmittedAt, c.UpdatedAt, c.AttentionReason,
        new Dictionary<string, string>
        {
            ["self"] = $"/api/claims/{c.Id}",
            ["submit"] = $"/api/claims/{c.Id}/submit",
        });
}

/// <summary>Why a claim was rejected or returned, from the fixed list (<see cref="Reimburse.Core.Approvals.DecisionReasons"/>).</summary>
public sealed record DecisionReasonView(string Action, string Code, string English, string Chinese, string? Comment, string? By, DateTimeOffset At)
{
    /// <summary>The latest claim.rejected / claim.returned history entry that carries a reason code, if any.</summary>
    public static DecisionReasonView? Latest(Reimburse.Core.Approvals.WorkflowState state)
    {
        for (var i = state.History.Count - 1; i >= 0; i--)
        {
            var h = state.History[i];
            if (h.Action is "claim.rejected" or "claim.returned" && Reimburse.Core.Approvals.DecisionReasons.Find(h.ReasonCode) is { } r)
            {
                return new DecisionReasonView(h.Action, r.Code, r.English, r.Chinese, h.Detail, h.Actor, h.At);
            }
        }
        return null;
    }
}

/// <summary>A receipt attached to a claim.</summary>
public sealed record ReceiptView(string Id, string FileName, string ContentType, long Length, string Url);

/// <summary>The 202 answer to a submission.</summary>
public sealed record ClaimAccepted(string Id, string Status, string StatusUrl);

/// <summary>A page of claims and the token for the next one.</summary>
public sealed record ClaimPage(IReadOnlyList<ClaimView> Items, string? ContinuationToken);
