using System.Text.Json;
using Reimburse.Core.Audit;

namespace Reimburse.Functions.Kpis;

/// <summary>One claim's audit chain as the KPI calculation sees it.</summary>
public sealed record ClaimHistory(string ClaimId, string Department, IReadOnlyList<AuditEntry> Entries);

/// <summary>The finance dashboard figures for [From, To).</summary>
public sealed record KpiReport(
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<string>? Departments,
    int Submitted,
    int Approved,
    int Rejected,
    double? MedianCycleHours,
    double? P90CycleHours,
    double? TouchlessRate,
    int RemindersSent,
    int EscalationsSent,
    int SlaBreaches,
    double? AnomalyFlagRate,
    double? OcrAutofillRate,
    int ClaimsExamined);

/// <summary>KPIs computed from the claims' audit chains only — never from counters that could drift from the record.
/// Pure. The action names it reads are listed in docs/audit.md §KPIs.</summary>
public static class KpiCalculator
{
    public const string Submitted = "claim.submitted";
    public const string Approved = "claim.approved";
    public const string Rejected = "claim.rejected";
    public const string Returned = "claim.returned";
    public const string Reminded = "step.reminded";
    public const string Escalated = "step.escalated";

    /// <summary>Human corrections of extracted fields: any of these makes a claim not touchless.</summary>
    public static readonly IReadOnlySet<string> HumanEditActions = new HashSet<string>(StringComparer.Ordinal)
    {
        "claim.fields-corrected", "claim.edited", "ocr.corrected", Returned, "claim.resubmitted",
    };

    /// <summary>The anomaly scorer flagged the claim: "anomaly.flagged", or "anomaly.scored" with details flagged=true.</summary>
    public static bool IsAnomalyFlag(AuditEntry e) =>
        e.Action is "claim.risk-flagged" or "anomaly.flagged" || (e.Action == "anomaly.scored" && DetailIsTrue(e.Details, "flagged"));

    /// <summary>OCR filled the claim's fields: "ocr.autofilled", or "ocr.extracted" with details autofilled=true.</summary>
    public static bool IsOcrAutofill(AuditEntry e) =>
        (e.Action == "claim.autofilled" && DetailHasItems(e.Details, "filled"))
        || e.Action == "ocr.autofilled" || (e.Action == "ocr.extracted" && DetailIsTrue(e.Details, "autofilled"));

    /// <summary>A person changed what was extracted: a correction action, or a draft submitted with edited autofilled fields.</summary>
    public static bool IsHumanEdit(AuditEntry e) =>
        HumanEditActions.Contains(e.Action) || (e.Action == Submitted && DetailHasItems(e.Details, "edited"));

    public static KpiReport Compute(IEnumerable<ClaimHistory> claims, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<string>? departments)
    {
        bool In(DateTimeOffset t) => t >= from && t < to;
        int submitted = 0, approved = 0, rejected = 0, reminders = 0, escalations = 0, breaches = 0, touchless = 0, flagged = 0, autofilled = 0, examined = 0;
        var cycles = new List<double>();
        foreach (var c in claims)
        {
            if (departments is not null && !departments.Contains(c.Department))
            {
                continue;
            }
            examined++;
            var firstSubmit = c.Entries.FirstOrDefault(e => e.Action == Submitted);
            if (firstSubmit is not null && In(firstSubmit.At))
            {
                submitted++;
                if (c.Entries.Any(IsAnomalyFlag)) flagged++;
                if (c.Entries.Any(IsOcrAutofill)) autofilled++;
            }
            reminders += c.Entries.Count(e => e.Action == Reminded && In(e.At));
            var esc = c.Entries.Count(e => e.Action == Escalated && In(e.At));
            escalations += esc;
            if (esc > 0) breaches++;

            var final = c.Entries.LastOrDefault(e => e.Action is Approved or Rejected);
            if (final is null || !In(final.At))
            {
                continue;
            }
            if (final.Action == Approved)
            {
                approved++;
                if (!c.Entries.Any(e => e.Action == Escalated || IsHumanEdit(e))) touchless++;
            }
            else
            {
                rejected++;
            }
            if (firstSubmit is not null)
            {
                cycles.Add((final.At - firstSubmit.At).TotalHours);
            }
        }
        cycles.Sort();
        return new KpiReport(from, to, departments, submitted, approved, rejected,
            Percentile(cycles, 0.5), Percentile(cycles, 0.9),
            approved == 0 ? null : Math.Round((double)touchless / approved, 4),
            reminders, escalations, breaches,
            submitted == 0 ? null : Math.Round((double)flagged / submitted, 4),
            submitted == 0 ? null : Math.Round((double)autofilled / submitted, 4),
            examined);
    }

    /// <summary>Nearest-rank percentile (no interpolation: the value reported is one a real claim had). Hours, 2 decimals.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return null;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)], 2);
    }

    private static bool DetailHasItems(string details, string property)
    {
        try
        {
            using var doc = JsonDocument.Parse(details);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(property, out var v)
                && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool DetailIsTrue(string details, string property)
    {
        try
        {
            using var doc = JsonDocument.Parse(details);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(property, out var v)
                && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && string.Equals(v.GetString(), "true", StringComparison.OrdinalIgnoreCase)));
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
