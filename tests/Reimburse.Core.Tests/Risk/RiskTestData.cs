using Reimburse.Core.Risk;

namespace Reimburse.Core.Tests.Risk;

/// <summary>Builders for risk tests: a Hong Kong weekday claim with one readable receipt unless told otherwise.</summary>
internal static class RiskTestData
{
    public static readonly DateTimeOffset Monday10am = new(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));

    private static int _next;

    public static string NewId(string prefix = "c") => $"{prefix}-{Interlocked.Increment(ref _next):D5}";

    public static ClaimFacts Claim(
        string? id = null,
        string employee = "emp-chan",
        string department = "sales",
        string category = "meals",
        decimal amount = 86.5m,
        string merchant = "Tsui Wah Restaurant",
        DateOnly? expenseDate = null,
        DateTimeOffset? submittedAt = null,
        IReadOnlyList<ReceiptEvidence>? receipts = null)
    {
        var submitted = submittedAt ?? Monday10am;
        var date = expenseDate ?? DateOnly.FromDateTime(submitted.ToOffset(TimeSpan.FromHours(8)).DateTime);
        return new ClaimFacts(id ?? NewId(), employee, department, category, amount, "HKD", merchant, date, submitted.ToUniversalTime(),
            receipts ?? [Receipt(merchant, date, amount)]);
    }

    public static ReceiptEvidence Receipt(string merchant, DateOnly date, decimal total, string? hash = null, string? reference = null) =>
        new(hash ?? Guid.NewGuid().ToString("N"), merchant, date, total, "HKD", Reference: reference);

    public static RiskPolicy Policy() => new()
    {
        ApprovalThresholdsHkd = [5000m],
        CategoryLimitsHkd = new Dictionary<string, decimal> { ["meals"] = 500m, ["client-entertainment"] = 10000m, ["travel"] = 30000m, ["training"] = 20000m },
        ApprovedVendors =
        [
            new("Tsui Wah Restaurant", "翠華餐廳", ["meals", "client-entertainment"]),
            new("Jade Garden", "翠園", ["meals", "client-entertainment"]),
            new("Cathay Pacific", "國泰航空", ["travel"]),
        ],
        BudgetsHkd = new Dictionary<(string, string), decimal> { [("sales", "client-entertainment")] = 20000m },
    };

    public static InMemoryClaimHistory History(params ClaimFacts[] claims)
    {
        var h = new InMemoryClaimHistory();
        h.AddRange(claims);
        return h;
    }

    /// <summary>Runs all rules and returns the codes that fired.</summary>
    public static List<string> Codes(ClaimFacts claim, IClaimHistory history, RiskPolicy? policy = null)
    {
        var hits = new List<RuleHit>();
        RiskRules.Evaluate(claim, history, policy ?? Policy(), claim.SubmittedAt, hits);
        return hits.Select(h => h.Code).ToList();
    }
}
