using Reimburse.Core.Audit;
using Reimburse.Functions.Kpis;

namespace Reimburse.Tests.Kpis;

public sealed class KpiCalculatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 2, 0, 0, TimeSpan.Zero);

    private static ClaimHistory Claim(string id, string department, params (string Action, double Hours, string Details)[] events)
    {
        var entries = new List<AuditEntry>();
        var (seq, head) = (0L, AuditEntry.GenesisHash);
        foreach (var (action, hours, details) in events)
        {
            var e = AuditChain.Append(id, seq, head, new AuditDraft(action, "x", "employee", null, details), T0.AddHours(hours));
            entries.Add(e);
            (seq, head) = (e.Sequence, e.Hash);
        }
        return new ClaimHistory(id, department, entries);
    }

    private static readonly ClaimHistory[] Claims =
    [
        Claim("c1", "sales", ("claim.submitted", 0, "{}"), ("ocr.extracted", 0.1, "{\"autofilled\":true}"), ("claim.approved", 10, "{}")),
        Claim("c2", "sales", ("claim.submitted", 1, "{}"), ("step.reminded", 5, "{}"), ("step.escalated", 25, "{}"), ("claim.approved", 31, "{}")),
        Claim("c3", "operations", ("claim.submitted", 2, "{}"), ("anomaly.scored", 2.1, "{\"flagged\":true}"), ("claim.rejected", 6, "{}")),
        Claim("c4", "sales", ("claim.submitted", 3, "{}")),
    ];

    [Fact]
    public void Compute_AllDepartments_CountsFromTheChains()
    {
        var r = KpiCalculator.Compute(Claims, T0, T0.AddDays(7), null);

        Assert.Equal((4, 2, 1), (r.Submitted, r.Approved, r.Rejected));
        Assert.Equal((1, 1, 1), (r.RemindersSent, r.EscalationsSent, r.SlaBreaches));
        Assert.Equal(10, r.MedianCycleHours);     // cycles 4, 10, 30 h
        Assert.Equal(30, r.P90CycleHours);
        Assert.Equal(0.5, r.TouchlessRate);       // c1 touchless, c2 escalated
        Assert.Equal(0.25, r.AnomalyFlagRate);
        Assert.Equal(0.25, r.OcrAutofillRate);
    }

    [Fact]
    public void Compute_OneDepartment_IgnoresOthers()
    {
        var r = KpiCalculator.Compute(Claims, T0, T0.AddDays(7), ["operations"]);

        Assert.Equal((1, 0, 1), (r.Submitted, r.Approved, r.Rejected));
        Assert.Null(r.TouchlessRate);
    }

    [Fact]
    public void Compute_DecisionAfterTheRange_NotCounted()
    {
        var r = KpiCalculator.Compute(Claims, T0, T0.AddHours(8), null);

        Assert.Equal((4, 0, 1), (r.Submitted, r.Approved, r.Rejected));
        Assert.Equal(4, r.MedianCycleHours);
    }
}
