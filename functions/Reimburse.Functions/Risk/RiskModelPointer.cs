using System.Text.Json;

namespace Reimburse.Functions.Risk;

/// <summary>
/// A company's active model version (<c>active.json</c>) with the versions active before it, newest
/// first, so a bad model can be rolled back without retraining.
/// </summary>
public sealed record RiskModelPointer(string ActiveVersion, DateTimeOffset ActivatedAt, IReadOnlyList<string> PreviousVersions)
{
    /// <summary>How many earlier versions the pointer remembers.</summary>
    public const int HistoryLength = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The pointer after activating <paramref name="version"/> (the current one becomes the newest previous).</summary>
    public static RiskModelPointer Activate(RiskModelPointer? current, string version, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        if (current is null)
        {
            return new RiskModelPointer(version, at, []);
        }
        if (current.ActiveVersion == version)
        {
            return current;
        }
        var previous = new[] { current.ActiveVersion }.Concat(current.PreviousVersions).Where(v => v != version).Take(HistoryLength).ToList();
        return new RiskModelPointer(version, at, previous);
    }

    /// <summary>
    /// The pointer after rolling back to <paramref name="toVersion"/>, or to the version active just
    /// before the current one when null. Versions newer than the target are dropped from the history.
    /// </summary>
    public static RiskModelPointer Rollback(RiskModelPointer? current, string? toVersion, DateTimeOffset at)
    {
        if (current is null)
        {
            throw new RiskModelVersionException("There is no active risk model to roll back from.");
        }
        if (current.PreviousVersions.Count == 0)
        {
            throw new RiskModelVersionException($"Risk model {current.ActiveVersion} has no earlier version to roll back to.");
        }
        var index = toVersion is null ? 0 : current.PreviousVersions.ToList().IndexOf(toVersion);
        if (index < 0)
        {
            throw new RiskModelVersionException($"Risk model version {toVersion} was not active before {current.ActiveVersion}; it cannot be rolled back to.");
        }
        return new RiskModelPointer(current.PreviousVersions[index], at, current.PreviousVersions.Skip(index + 1).ToList());
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RiskModelPointer FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RiskModelPointer>(json, Json) is { ActiveVersion.Length: > 0, PreviousVersions: not null } p
                ? p
                : throw new Core.Risk.RiskModelFormatException("active.json has no active version.");
        }
        catch (JsonException ex)
        {
            throw new Core.Risk.RiskModelFormatException("active.json is malformed.", ex);
        }
    }
}

/// <summary>A model version cannot be activated or rolled back to (not stored, or not active before).</summary>
public sealed class RiskModelVersionException(string message) : InvalidOperationException(message);
