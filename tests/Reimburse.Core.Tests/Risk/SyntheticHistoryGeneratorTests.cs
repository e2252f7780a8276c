using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;

namespace Reimburse.Core.Tests.Risk;

public sealed class SyntheticHistoryGeneratorTests
{
    private static SyntheticHistoryOptions Options(int seed) => new()
    {
        Seed = seed, From = new DateOnly(2025, 1, 1), To = new DateOnly(2025, 6, 30), Employees = SyntheticHistoryGenerator.CreateEmployees(30), AnomalyRate = 0.05,
    };

    private static string Describe(LabelledClaim c) =>
        $"{c.Claim.ClaimId}|{c.Claim.EmployeeId}|{c.Claim.Category}|{c.Claim.Merchant}|{c.Claim.AmountHkd}|{c.Claim.ExpenseDate}|{c.Claim.SubmittedAt:O}|{string.Join(",", c.Claim.Receipts.Select(r => r.ContentHash + r.Fingerprint))}|{c.Anomaly}";

    [Fact]
    public void Generate_SameSeed_GivesIdenticalHistory()
    {
        var a = SyntheticHistoryGenerator.Generate(Options(5));
        var b = SyntheticHistoryGenerator.Generate(Options(5));

        Assert.Equal(a.Claims.Select(Describe), b.Claims.Select(Describe));
        Assert.Equal(a.Policy.BudgetsHkd.OrderBy(kv => kv.Key).ToList(), b.Policy.BudgetsHkd.OrderBy(kv => kv.Key).ToList());
    }

    [Fact]
    public void Generate_DifferentSeed_GivesDifferentHistory()
    {
        Assert.NotEqual(
            SyntheticHistoryGenerator.Generate(Options(5)).Claims.Select(Describe),
            SyntheticHistoryGenerator.Generate(Options(6)).Claims.Select(Describe));
    }

    [Fact]
    public void Generate_DefaultMix_InjectsEveryAnomalyType()
    {
        var types = SyntheticHistoryGenerator.Generate(Options(5)).Claims.Select(c => c.Anomaly).OfType<AnomalyType>().ToHashSet();

        Assert.Equal(Enum.GetValues<AnomalyType>().ToHashSet(), types);
    }

    [Fact]
    public void Generate_Always_OrdersClaimsBySubmission()
    {
        var claims = SyntheticHistoryGenerator.Generate(Options(5)).Claims;

        Assert.True(claims.Zip(claims.Skip(1)).All(p => p.First.Claim.SubmittedAt <= p.Second.Claim.SubmittedAt));
    }

    [Fact]
    public void Generate_ExactDuplicates_ReuseAnEarlierReceiptFile()
    {
        var claims = SyntheticHistoryGenerator.Generate(Options(5)).Claims;
        var seen = new HashSet<string>();
        foreach (var c in claims)
        {
            var hashes = c.Claim.Receipts.Select(r => r.ContentHash).ToList();
            if (c.Anomaly == AnomalyType.ExactDuplicate)
            {
                Assert.Contains(hashes, seen.Contains);
            }
            seen.UnionWith(hashes);
        }
    }

    [Fact]
    public void GenerateForUsers_ZeroRate_GivesCleanHistoryForThoseUsersInRange()
    {
        var users = new[] { new SyntheticEmployee("emp-chan", "sales"), new SyntheticEmployee("emp-lee", "operations") };
        var from = new DateOnly(2026, 5, 22);
        var to = new DateOnly(2026, 11, 21);

        var history = SyntheticHistoryGenerator.GenerateForUsers(users, from, to, SyntheticHistoryGenerator.HarbourTradingPolicy() with { BudgetsHkd = new Dictionary<(string, string), decimal>() }, seed: 3);

        Assert.NotEmpty(history.Claims);
        Assert.All(history.Claims, c =>
        {
            Assert.Null(c.Anomaly);
            Assert.Contains(c.Claim.EmployeeId, users.Select(u => u.Id));
            Assert.InRange(c.Claim.ExpenseDate, from, to);
        });
    }
}
