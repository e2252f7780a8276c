using Microsoft.Extensions.Options;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;

namespace Reimburse.Functions.Risk;

/// <summary>
/// Trains a company's risk model (from its own history, or from synthetic history while it has too
/// little), stores it as a new version and activates it. Called by the weekly timer and on demand.
/// </summary>
public sealed partial class RiskModelTrainer(RiskModelStore store, IOptions<RiskScoringOptions> options, TimeProvider time, ILogger<RiskModelTrainer> logger)
{
    private readonly RiskScoringOptions _options = options.Value;

    /// <summary>Trains without storing.</summary>
    public RiskModel BuildModel(string companyId, IReadOnlyCollection<ClaimFacts> companyHistory, RiskPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(companyHistory);
        if (companyHistory.Count < _options.MinCompanyClaims)
        {
            Log.UsingSynthetic(logger, companyId, companyHistory.Count, _options.MinCompanyClaims);
        }
        return BuildModel(companyId, companyHistory, policy, _options, time.GetUtcNow());
    }

    /// <summary>
    /// Trains on the company's claims when it has at least <see cref="RiskScoringOptions.MinCompanyClaims"/>,
    /// else on synthetic history. Deterministic for the same claims, policy, options and time.
    /// </summary>
    public static RiskModel BuildModel(string companyId, IReadOnlyCollection<ClaimFacts> companyHistory, RiskPolicy policy, RiskScoringOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(companyHistory);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        var forest = new IsolationForestOptions(options.Seed, options.Trees, options.SampleSize);
        if (companyHistory.Count >= options.MinCompanyClaims)
        {
            return RiskModelTraining.Train(companyHistory, policy, forest, now, RiskModelSource.Company, companyId);
        }
        var synthetic = SyntheticTrainingHistory(policy, options, DateOnly.FromDateTime(now.UtcDateTime));
        return RiskModelTraining.Train(synthetic.Claims.Select(c => c.Claim), synthetic.Policy, forest, now, RiskModelSource.Synthetic, companyId);
    }

    /// <summary>Trains, stores and activates a new version; returns it.</summary>
    public async Task<RiskModel> TrainAndActivateAsync(string companyId, IReadOnlyCollection<ClaimFacts> companyHistory, RiskPolicy policy, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        var model = BuildModel(companyId, companyHistory, policy);
        await store.SaveAsync(companyId, model, cancellationToken).ConfigureAwait(false);
        await store.ActivateAsync(companyId, model.Version, cancellationToken).ConfigureAwait(false);
        Log.Trained(logger, companyId, model.Version, model.Metadata.TrainingRows, model.Metadata.Source, time.GetElapsedTime(started).TotalSeconds);
        return model;
    }

    /// <summary>
    /// The synthetic company a fallback model learns from: the company's own categories, limits
    /// and vendors, a generic staff list, the months before <paramref name="until"/>, a few anomalies
    /// (an isolation forest expects some contamination, and real history has it too).
    /// </summary>
    public static SyntheticHistory SyntheticTrainingHistory(RiskPolicy policy, RiskScoringOptions options, DateOnly until)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SyntheticHistoryGenerator.Generate(new SyntheticHistoryOptions
        {
            Seed = options.Seed,
            From = until.AddMonths(-options.SyntheticMonths),
            To = until,
            Employees = SyntheticHistoryGenerator.CreateEmployees(options.SyntheticEmployees),
            Policy = policy,
            AnomalyRate = 0.02,
            ClaimIdPrefix = "synthetic-",
        });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "Company {CompanyId} has {Claims} claims (< {Minimum}); training its risk model on synthetic history")]
        public static partial void UsingSynthetic(ILogger logger, string companyId, int claims, int minimum);

        [LoggerMessage(EventId = 5112, Level = LogLevel.Information, Message = "Trained risk model {Version} for {CompanyId} on {Rows} rows ({Source}) in {Seconds:0.00} s")]
        public static partial void Trained(ILogger logger, string companyId, string version, int rows, RiskModelSource source, double seconds);
    }
}
