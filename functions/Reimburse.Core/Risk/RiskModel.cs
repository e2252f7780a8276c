using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reimburse.Core.Risk;

/// <summary>Where a model's training rows came from.</summary>
public enum RiskModelSource { Company, Synthetic }

/// <summary>Training metadata stored with every model version.</summary>
/// <param name="Version">Model version id, e.g. "if-20261122T020000Z-1a2b3c4d".</param>
/// <param name="DataHash">SHA-256 (hex) of the training feature matrix, to tell what data a model saw.</param>
/// <param name="CreatedAt">Training time, passed in by the caller (Core has no clock).</param>
public sealed record RiskModelMetadata(
    string Version,
    int Seed,
    int Trees,
    int SampleSize,
    IReadOnlyList<string> FeatureNames,
    int TrainingRows,
    string DataHash,
    DateTimeOffset CreatedAt,
    RiskModelSource Source,
    string? CompanyId);

/// <summary>
/// A trained isolation forest plus what is needed to use it: training-score quantiles (to turn a
/// raw score into a 0..1 risk that means the same across retrains) and per-feature medians and
/// spreads (to say which features made a claim unusual).
/// </summary>
public sealed class RiskModel
{
    /// <summary>JSON schema version of the serialised model.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Quantiles of training raw scores kept for calibration.</summary>
    public static readonly IReadOnlyList<double> CalibrationLevels = [0.5, 0.95, 0.99, 0.999];

    internal RiskModel(RiskModelMetadata metadata, IsolationForest forest, double[] scoreQuantiles, double[] featureMedians, double[] featureScales)
    {
        Metadata = metadata;
        Forest = forest;
        ScoreQuantiles = scoreQuantiles;
        FeatureMedians = featureMedians;
        FeatureScales = featureScales;
    }

    public RiskModelMetadata Metadata { get; }
    public IsolationForest Forest { get; }
    public string Version => Metadata.Version;
    internal double[] ScoreQuantiles { get; }
    internal double[] FeatureMedians { get; }
    internal double[] FeatureScales { get; }

    /// <summary>Raw isolation-forest score of a feature vector.</summary>
    public double RawScore(ReadOnlySpan<double> features) => Forest.Score(features);

    /// <summary>
    /// Maps a raw score onto 0..1 by where it falls among training scores: up to the median 0,
    /// p95 → 0.1, p99 → 0.35, p99.9 → 0.6, then towards 0.95 for scores far beyond anything seen.
    /// </summary>
    public double Calibrate(double raw)
    {
        var q = ScoreQuantiles;
        if (raw <= q[0])
        {
            return 0;
        }
        if (raw <= q[1])
        {
            return Lerp(raw, q[0], q[1], 0, 0.1);
        }
        if (raw <= q[2])
        {
            return Lerp(raw, q[1], q[2], 0.1, 0.35);
        }
        if (raw <= q[3])
        {
            return Lerp(raw, q[2], q[3], 0.35, 0.6);
        }
        var span = Math.Max(1e-6, q[3] - q[2]);
        return Math.Min(0.95, 0.6 + (0.35 * (1 - Math.Exp(-(raw - q[3]) / span))));
    }

    /// <summary>Robust z of one feature against the training data (for explanations).</summary>
    public double FeatureDeviation(int feature, double value) => (value - FeatureMedians[feature]) / FeatureScales[feature];

    private static double Lerp(double x, double x0, double x1, double y0, double y1) =>
        x1 <= x0 ? y1 : y0 + ((y1 - y0) * (x - x0) / (x1 - x0));

    /// <summary>Trains a model on feature rows. Same rows + same options + same createdAt = identical JSON.</summary>
    public static RiskModel Train(IReadOnlyList<double[]> rows, IsolationForestOptions options, DateTimeOffset createdAt, RiskModelSource source, string? companyId = null, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Count == 0)
        {
            throw new ArgumentException("Cannot train a risk model on no claims.", nameof(rows));
        }
        var forest = IsolationForest.Train(rows, options);
        var dataHash = HashRows(rows);
        var scores = new double[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            scores[i] = forest.Score(rows[i]);
        }
        Array.Sort(scores);
        var quantiles = CalibrationLevels.Select(p => Quantile(scores, p)).ToArray();
        var d = rows[0].Length;
        var medians = new double[d];
        var scales = new double[d];
        var column = new double[rows.Count];
        for (var f = 0; f < d; f++)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                column[i] = rows[i][f];
            }
            Array.Sort(column);
            medians[f] = Quantile(column, 0.5);
            var iqr = Quantile(column, 0.75) - Quantile(column, 0.25);
            var sd = StandardDeviation(column);
            scales[f] = Math.Max(Math.Max(iqr / 1.349, sd * 0.5), 0.05);
        }
        var createdUtc = createdAt.ToUniversalTime();
        version ??= "if-" + createdUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + dataHash[..8];
        var metadata = new RiskModelMetadata(version, options.Seed, options.Trees, forest.SampleSize, RiskFeatures.Names.Take(d).ToList(), rows.Count, dataHash, createdUtc, source, companyId);
        return new RiskModel(metadata, forest, quantiles, medians, scales);
    }

    private static double Quantile(double[] sorted, double p)
    {
        if (sorted.Length == 1)
        {
            return sorted[0];
        }
        var pos = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (pos - lo));
    }

    private static double StandardDeviation(double[] values)
    {
        var mean = values.Average();
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += (v - mean) * (v - mean);
        }
        return Math.Sqrt(sum / values.Length);
    }

    /// <summary>SHA-256 over the rows' IEEE-754 bytes (little endian), hex.</summary>
    public static string HashRows(IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[8];
        foreach (var row in rows)
        {
            foreach (var v in row)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(buffer, v);
                sha.AppendData(buffer);
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Serialises the model with its metadata. Deterministic: the same model gives the same text.</summary>
    public string ToJson()
    {
        var dto = new ModelDto(
            SchemaVersion,
            Metadata,
            ScoreQuantiles,
            FeatureMedians,
            FeatureScales,
            new ForestDto(Forest.FeatureCount, Forest.SampleSize, Forest.Roots, Forest.Feature, Forest.Split, Forest.Left, Forest.Right, Forest.Size));
        return JsonSerializer.Serialize(dto, JsonOptions);
    }

    /// <summary>Reads a model written by <see cref="ToJson"/>; a malformed or foreign document is a <see cref="RiskModelFormatException"/>.</summary>
    public static RiskModel FromJson(string json)
    {
        ModelDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize<ModelDto>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new RiskModelFormatException("The risk model JSON is malformed.", ex);
        }
        if (dto is null || dto.Forest is null || dto.Metadata is null)
        {
            throw new RiskModelFormatException("The risk model JSON is missing its forest or metadata.");
        }
        if (dto.SchemaVersion != SchemaVersion)
        {
            throw new RiskModelFormatException($"Risk model schema {dto.SchemaVersion} is not supported (expected {SchemaVersion}).");
        }
        if (!dto.Metadata.FeatureNames.SequenceEqual(RiskFeatures.Names))
        {
            throw new RiskModelFormatException("The risk model was trained on different features than this version extracts; retrain it.");
        }
        var f = dto.Forest;
        var n = f.Feature.Length;
        if (f.Split.Length != n || f.Left.Length != n || f.Right.Length != n || f.Size.Length != n
            || f.Roots.Any(r => r < 0 || r >= n) || f.Left.Concat(f.Right).Any(c => c < -1 || c >= n)
            || f.Feature.Any(x => x >= f.FeatureCount) || dto.ScoreQuantiles.Length != CalibrationLevels.Count
            || dto.FeatureMedians.Length != f.FeatureCount || dto.FeatureScales.Length != f.FeatureCount)
        {
            throw new RiskModelFormatException("The risk model's forest arrays are inconsistent.");
        }
        var forest = new IsolationForest(f.FeatureCount, f.SampleSize, f.Roots, f.Feature, f.Split, f.Left, f.Right, f.Size);
        return new RiskModel(dto.Metadata, forest, dto.ScoreQuantiles, dto.FeatureMedians, dto.FeatureScales);
    }

    private sealed record ModelDto(int SchemaVersion, RiskModelMetadata Metadata, double[] ScoreQuantiles, double[] FeatureMedians, double[] FeatureScales, ForestDto Forest);

    private sealed record ForestDto(int FeatureCount, int SampleSize, int[] Roots, int[] Feature, double[] Split, int[] Left, int[] Right, int[] Size);
}

/// <summary>A stored risk model could not be read.</summary>
public sealed class RiskModelFormatException : Exception
{
    public RiskModelFormatException(string message) : base(message) { }
    public RiskModelFormatException(string message, Exception inner) : base(message, inner) { }
}
