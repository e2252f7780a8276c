namespace Reimburse.Functions.Risk;

/// <summary>Risk scoring settings, bound from configuration section <c>Reimburse:Risk</c>.</summary>
public sealed class RiskScoringOptions
{
    public const string Section = "Reimburse:Risk";

    /// <summary>Score claims in the pipeline. Off only to isolate other stages (tests) or during an incident; claims then
    /// carry no risk and get no finance review for it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Blob container holding model versions and each company's active pointer.</summary>
    public string ContainerName { get; set; } = "risk-models";

    /// <summary>Fewer claims than this and a company's model is trained on synthetic history instead.</summary>
    public int MinCompanyClaims { get; set; } = 1000;

    /// <summary>Seed of the isolation forest (and of the synthetic fallback history).</summary>
    public int Seed { get; set; } = 20260101;

    public int Trees { get; set; } = 100;

    public int SampleSize { get; set; } = 256;

    /// <summary>Head count of the synthetic company used for the fallback model.</summary>
    public int SyntheticEmployees { get; set; } = 40;

    /// <summary>Months of synthetic history for the fallback model.</summary>
    public int SyntheticMonths { get; set; } = 12;

    /// <summary>How long a loaded model is used before the active pointer is read again.</summary>
    public TimeSpan ModelRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The learned layer trained on finance's decisions (section "Reimburse:Risk:Learned").</summary>
    public Learned.LearnedRiskOptions Learned { get; set; } = new();

    /// <summary>Validation for ValidateOnStart: every problem at once.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ContainerName) || ContainerName.Length is < 3 or > 63 || ContainerName.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            yield return "Reimburse:Risk:ContainerName must be a valid blob container name (3–63 lower-case letters, digits, '-').";
        }
        if (MinCompanyClaims < 1)
        {
            yield return "Reimburse:Risk:MinCompanyClaims must be at least 1.";
        }
        if (Trees < 1 || SampleSize < 2)
        {
            yield return "Reimburse:Risk:Trees must be ≥ 1 and SampleSize ≥ 2.";
        }
        if (SyntheticEmployees < 4 || SyntheticMonths < 1)
        {
            yield return "Reimburse:Risk:SyntheticEmployees must be ≥ 4 and SyntheticMonths ≥ 1.";
        }
        if (Learned.MinLabelledAnomalies < 2 || Learned.MinLabelledClaims < 10)
        {
            yield return "Reimburse:Risk:Learned:MinLabelledAnomalies must be ≥ 2 and MinLabelledClaims ≥ 10.";
        }
        if (Learned.HoldoutFraction is <= 0 or > 0.5)
        {
            yield return "Reimburse:Risk:Learned:HoldoutFraction must be in (0, 0.5].";
        }
        if (Learned.Trees < 1 || Learned.Leaves < 2 || Learned.MinExamplesPerLeaf < 1 || Learned.LearningRate is <= 0 or > 1)
        {
            yield return "Reimburse:Risk:Learned: Trees ≥ 1, Leaves ≥ 2, MinExamplesPerLeaf ≥ 1, LearningRate in (0, 1].";
        }
        if (ModelRefreshInterval <= TimeSpan.Zero)
        {
            yield return "Reimburse:Risk:ModelRefreshInterval must be positive.";
        }
    }
}
