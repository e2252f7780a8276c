using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Learned;

namespace Reimburse.Functions.Risk.Learned;

/// <summary>Metadata stored beside every learned model zip.</summary>
/// <param name="Version">e.g. "ft-20261202T030000Z-1a2b3c4d".</param>
/// <param name="FeatureNames">The <see cref="RiskStacking.Columns"/> the model was trained on.</param>
/// <param name="HoldoutRocAuc">On the newest slice of labelled claims (time split), which training never saw.</param>
/// <param name="BaselinePrAuc">Rules + forest on the same hold-out: the score the learned layer replaces.</param>
/// <param name="DataHash">SHA-256 of the training inputs and labels.</param>
/// <param name="ForestVersion">The isolation forest whose score was an input.</param>
public sealed record LearnedModelMetadata(
    string Version,
    string? CompanyId,
    IReadOnlyList<string> FeatureNames,
    int TrainingRows,
    int LabelledAnomalies,
    int LabelledClean,
    int HoldoutRows,
    int HoldoutAnomalies,
    double HoldoutRocAuc,
    double HoldoutPrAuc,
    double BaselineRocAuc,
    double BaselinePrAuc,
    string DataHash,
    DateTimeOffset CreatedAt,
    string? ForestVersion,
    int Seed,
    IReadOnlyList<double> ColumnImportance,
    IReadOnlyList<double> ColumnMedians,
    IReadOnlyList<double> ColumnScales)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static LearnedModelMetadata FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<LearnedModelMetadata>(json, Json) ?? throw new RiskModelFormatException("Learned model metadata is empty.");
        }
        catch (JsonException ex)
        {
            throw new RiskModelFormatException("Learned model metadata is not valid JSON.", ex);
        }
    }
}

/// <summary>
/// An ML.NET FastTree model over <see cref="RiskStacking.Columns"/>, ready to score from many threads: the transformer is
/// thread-safe, a PredictionEngine is not, so engines are pooled (one per concurrent caller, reused).
/// </summary>
public sealed class LearnedRiskModel : ILearnedRiskModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly ConcurrentBag<Slot> _pool = [];

    internal LearnedRiskModel(MLContext ml, ITransformer transformer, LearnedModelMetadata metadata)
    {
        if (!metadata.FeatureNames.SequenceEqual(RiskStacking.Columns))
        {
            throw new RiskModelFormatException($"Learned model {metadata.Version} was trained on other inputs ({string.Join(",", metadata.FeatureNames)}); retrain it.");
        }
        _ml = ml;
        _transformer = transformer;
        Metadata = metadata;
    }

    public LearnedModelMetadata Metadata { get; }

    public string Version => Metadata.Version;

    public IReadOnlyList<double> ColumnImportance => Metadata.ColumnImportance;

    public IReadOnlyList<double> ColumnMedians => Metadata.ColumnMedians;

    public IReadOnlyList<double> ColumnScales => Metadata.ColumnScales;

    /// <summary>Engines created so far (the pool's high-water mark): about the number of threads that scored at once.</summary>
    public int EnginesCreated => _enginesCreated;
    private int _enginesCreated;

    public double Predict(ReadOnlySpan<float> inputs)
    {
        if (!_pool.TryTake(out var slot))
        {
            Interlocked.Increment(ref _enginesCreated);
            slot = new Slot(_ml.Model.CreatePredictionEngine<StackedInput, StackedOutput>(_transformer, inputSchemaDefinition: StackedInput.Schema()));
        }
        try
        {
            inputs.CopyTo(slot.Input.Features);
            slot.Engine.Predict(slot.Input, ref slot.Output);
            return slot.Output.Probability;
        }
        finally
        {
            _pool.Add(slot);
        }
    }

    /// <summary>Writes the model zip (ML.NET format).</summary>
    public void Save(Stream stream) => _ml.Model.Save(_transformer, StackedInput.SchemaOf(_ml), stream);

    /// <summary>Reads a model zip written by <see cref="Save"/>; a corrupt zip or other inputs are a <see cref="RiskModelFormatException"/>.</summary>
    public static LearnedRiskModel Load(Stream zip, LearnedModelMetadata metadata, int seed = 1)
    {
        var ml = new MLContext(seed);
        ITransformer transformer;
        try
        {
            transformer = ml.Model.Load(zip, out _);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new RiskModelFormatException($"Learned model {metadata.Version} could not be read: {ex.Message}", ex);
        }
        return new LearnedRiskModel(ml, transformer, metadata);
    }

    private sealed class Slot(PredictionEngine<StackedInput, StackedOutput> engine)
    {
        public readonly PredictionEngine<StackedInput, StackedOutput> Engine = engine;
        public readonly StackedInput Input = new() { Features = new float[RiskStacking.Columns.Count] };
        public StackedOutput Output = new();
    }
}

/// <summary>One row for ML.NET: the stacked inputs and, in training, the label.</summary>
internal sealed class StackedInput
{
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }

    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(StackedInput));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, RiskStacking.Columns.Count);
        return schema;
    }

    public static DataViewSchema SchemaOf(MLContext ml) => ml.Data.LoadFromEnumerable(Array.Empty<StackedInput>(), Schema()).Schema;
}

/// <summary>What the FastTree binary classifier (with its Platt calibration) writes.</summary>
internal sealed class StackedOutput
{
    public bool PredictedLabel { get; set; }

    public float Score { get; set; }

    public float Probability { get; set; }
}
