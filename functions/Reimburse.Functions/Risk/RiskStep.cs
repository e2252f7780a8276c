using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Core.Risk;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Azure.Data.Tables;

namespace Reimburse.Functions.Risk;

/// <summary>What the API shows of a claim's risk assessment.</summary>
public sealed record RiskView(double Score, string Level, IReadOnlyList<RiskReasonView> Reasons, string ModelVersion, DateTimeOffset ScoredAt);

/// <summary>One reason, in both languages.</summary>
public sealed record RiskReasonView(string Code, string English, string Chinese, double Contribution, IReadOnlyList<string> RelatedClaimIds);

/// <summary>Intake step (activity ScoreRisk of the claim orchestration): scores every received claim before its workflow starts and records the score, level and
/// reasons on the claim (same batch as an audit entry; High risk gets its own "claim.risk-flagged" entry). The route
/// planner reads "RiskLevel" to add a finance review. Idempotent: a claim already scored is left alone.</summary>
public sealed partial class RiskStep(
    ClaimStore claims,
    CompanyProvider companies,
    RiskScoringService risk,
    ReceiptEvidenceSource evidence,
    Microsoft.Extensions.Options.IOptions<RiskScoringOptions> options,
    TimeProvider clock,
    ILogger<RiskStep> logger)
{
    public const string RiskJsonProperty = "RiskJson";
    public const string RiskLevelProperty = "RiskLevel";
    public const string RiskScoreProperty = "RiskScore";
    /// <summary>The claim as scored (with receipt evidence), so every instance can rebuild the same history.</summary>
    public const string RiskFactsProperty = "RiskFacts";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Approval amounts a split claim tries to stay under (HK$): department head and dual sign-off.</summary>
    public static readonly IReadOnlyList<decimal> ApprovalThresholdsHkd = [3000m, 5000m];

    public async Task RunAsync(string claimId, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        var stored = await claims.GetAsync(claimId, cancellationToken);
        if (stored is null || stored.Claim.Status != ClaimStatus.Received || stored.Raw.ContainsKey(RiskJsonProperty))
        {
            return;
        }
        var company = await companies.GetAsync(cancellationToken);
        var policy = RiskPolicy.FromDirectory(company, ApprovalThresholdsHkd);
        var facts = await ToFactsAsync(stored.Claim, cancellationToken);
        var assessment = await risk.ScoreAsync(company.Id, facts, policy, cancellationToken);
        var view = new RiskView(Math.Round(assessment.Score, 4), assessment.Level.ToString(),
            assessment.Reasons.Select(r => new RiskReasonView(r.Code, r.English, r.Chinese, Math.Round(r.Contribution, 4), r.RelatedClaimIds)).ToList(),
            assessment.ModelVersion, clock.GetUtcNow());
        var details = JsonSerializer.Serialize(new { score = view.Score, level = view.Level, reasons = view.Reasons.Select(r => r.Code), modelVersion = view.ModelVersion });

        var (_, error) = await claims.ChangeAsync(claimId, current =>
        {
            if (current.Claim.Status != ClaimStatus.Received || current.Raw.ContainsKey(RiskJsonProperty))
            {
                return (null, new ClaimTransitionError("already-scored", "The claim was scored meanwhile."));
            }
            var more = assessment.Level == RiskLevel.High
                ? new[] { new AuditDraft("claim.risk-flagged", "system", "system", null, details) }
                : null;
            return (new ClaimChange(current.Claim with { UpdatedAt = clock.GetUtcNow() },
                new AuditDraft("claim.scored", "system", "system", null, details),
                new Dictionary<string, object?>
                {
                    [RiskJsonProperty] = JsonSerializer.Serialize(view, Json),
                    [RiskLevelProperty] = view.Level,
                    [RiskScoreProperty] = view.Score,
                    [RiskFactsProperty] = JsonSerializer.Serialize(facts, Json),
                },
                more), null);
        }, cancellationToken, stored);
        if (error is null)
        {
            LogScored(logger, claimId, view.Score, view.Level);
            Hosting.ReimburseTelemetry.RiskLevel(view.Level);
        }
    }

    /// <summary>The claim as the risk model sees it: amounts in HKD, receipts with what OCR read.</summary>
    public async Task<ClaimFacts> ToFactsAsync(Claim claim, CancellationToken cancellationToken)
    {
        var f = claim.Fields;
        var currency = f.Currency ?? Core.Money.HongKongDollar;
        var receipts = await evidence.ForAsync(claim, cancellationToken);
        return new ClaimFacts(claim.Id, claim.OwnerId, claim.Department, f.Category ?? "", FxRates.ToHkd(f.Amount ?? 0m, currency), currency,
            f.Merchant ?? "", f.ExpenseDate ?? DateOnly.FromDateTime(claim.CreatedAt.UtcDateTime), claim.SubmittedAt ?? claim.CreatedAt, receipts);
    }

    /// <summary>Reads a stored risk view from a claim row, if the claim was scored.</summary>
    public static RiskView? ViewOf(TableEntity raw) =>
        raw.GetString(RiskJsonProperty) is { Length: > 0 } json ? JsonSerializer.Deserialize<RiskView>(json, Json) : null;

    [LoggerMessage(EventId = 620, Level = LogLevel.Information, Message = "Scored claim {ClaimId}: {Score:0.000} ({Level})")]
    private static partial void LogScored(ILogger logger, string claimId, double score, string level);
}

/// <summary>Indicative HKD rates for scoring and budgets. Claims keep their own currency; this only puts amounts on one
/// scale for comparison. (Accounting export uses the rate of the day from the ledger, not this table.)</summary>
public static class FxRates
{
    private static readonly Dictionary<string, decimal> HkdPerUnit = new(StringComparer.Ordinal)
    {
        ["HKD"] = 1m, ["USD"] = 7.80m, ["CNY"] = 1.08m, ["MOP"] = 0.97m, ["EUR"] = 8.45m, ["GBP"] = 9.90m, ["JPY"] = 0.052m,
        ["SGD"] = 5.80m, ["MYR"] = 1.70m, ["TWD"] = 0.24m, ["AUD"] = 5.10m, ["CAD"] = 5.70m, ["KRW"] = 0.0056m, ["THB"] = 0.22m,
        ["CHF"] = 8.90m, ["NZD"] = 4.60m, ["PHP"] = 0.135m, ["VND"] = 0.00031m, ["IDR"] = 0.00049m, ["INR"] = 0.093m,
    };

    public static decimal ToHkd(decimal amount, string currency) =>
        decimal.Round(amount * HkdPerUnit.GetValueOrDefault(currency, 1m), 2, MidpointRounding.ToEven);

    public static string Describe() => string.Join(", ", HkdPerUnit.Select(kv => $"{kv.Key} {kv.Value.ToString(CultureInfo.InvariantCulture)}"));
}
