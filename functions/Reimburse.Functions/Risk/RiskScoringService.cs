using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Reimburse.Core.Risk;

namespace Reimburse.Functions.Risk;

/// <summary>
/// What the claim pipeline calls: keeps each company's in-memory claim history and its active
/// model (re-read from storage every <see cref="RiskScoringOptions.ModelRefreshInterval"/>), and
/// scores claims. A company without an active model gets one trained and activated on first use.
/// </summary>
public sealed partial class RiskScoringService(RiskModelStore store, RiskModelTrainer trainer, IOptions<RiskScoringOptions> options, TimeProvider time, ILogger<RiskScoringService> logger)
{
    private readonly ConcurrentDictionary<string, InMemoryClaimHistory> _histories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedModel> _models = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadGate = new(1, 1);

    private sealed record CachedModel(RiskModel Model, DateTimeOffset LoadedAt);

    /// <summary>The company's history index; fill it from storage at start (AddRange), it then grows as claims are scored.</summary>
    public InMemoryClaimHistory History(string companyId) => _histories.GetOrAdd(companyId, _ => new InMemoryClaimHistory());

    /// <summary>
    /// Scores a submitted claim against the company's earlier claims, then records it in the history
    /// (idempotent by claim id, so a redelivered message scores the same and adds nothing).
    /// </summary>
    public async Task<RiskAssessment> ScoreAsync(string companyId, ClaimFacts claim, RiskPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var model = await GetModelAsync(companyId, policy, cancellationToken).ConfigureAwait(false);
        var history = History(companyId);
        var assessment = new RiskScorer(model, policy).Score(claim, history, time.GetUtcNow());
        history.Add(claim);
        if (assessment.Level == RiskLevel.High)
        {
            Log.HighRisk(logger, companyId, claim.ClaimId, assessment.Score, string.Join(",", assessment.Reasons.Select(r => r.Code)));
        }
        return assessment;
    }

    /// <summary>Retrains from the in-memory history (synthetic when too little), activates, and uses the new model at once.</summary>
    public async Task<RiskModel> RetrainAsync(string companyId, RiskPolicy policy, CancellationToken cancellationToken = default)
    {
        var model = await trainer.TrainAndActivateAsync(companyId, History(companyId).Snapshot(), policy, cancellationToken).ConfigureAwait(false);
        _models[companyId] = new CachedModel(model, time.GetUtcNow());
        return model;
    }

    /// <summary>Rolls the active model back and drops the cached one.</summary>
    public async Task<RiskModelPointer> RollbackAsync(string companyId, string? toVersion = null, CancellationToken cancellationToken = default)
    {
        var pointer = await store.RollbackAsync(companyId, toVersion, cancellationToken).ConfigureAwait(false);
        _models.TryRemove(companyId, out _);
        return pointer;
    }

    private async Task<RiskModel> GetModelAsync(string companyId, RiskPolicy policy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_models.TryGetValue(companyId, out var cached) && now - cached.LoadedAt < options.Value.ModelRefreshInterval)
        {
            return cached.Model;
        }
        await _loadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_models.TryGetValue(companyId, out cached) && now - cached.LoadedAt < options.Value.ModelRefreshInterval)
            {
                return cached.Model;
            }
            RiskModelPointer? pointer;
            try
            {
                pointer = await store.GetActiveAsync(companyId, cancellationToken).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException ex) when (cached is not null)
            {
                // Storage hiccup: keep scoring with the model we have rather than fail the claim; retry on the next claim.
                Log.RefreshFailed(logger, ex, companyId, cached.Model.Version);
                return cached.Model;
            }
            RiskModel model;
            if (pointer is null)
            {
                Log.NoActiveModel(logger, companyId);
                model = await trainer.TrainAndActivateAsync(companyId, History(companyId).Snapshot(), policy, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                model = cached?.Model.Version == pointer.ActiveVersion
                    ? cached.Model
                    : await store.LoadAsync(companyId, pointer.ActiveVersion, cancellationToken).ConfigureAwait(false);
            }
            _models[companyId] = new CachedModel(model, now);
            return model;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5121, Level = LogLevel.Information, Message = "Company {CompanyId} has no active risk model; training one")]
        public static partial void NoActiveModel(ILogger logger, string companyId);

        [LoggerMessage(EventId = 5123, Level = LogLevel.Warning, Message = "Could not refresh the risk model of {CompanyId}; still using {Version}")]
        public static partial void RefreshFailed(ILogger logger, Exception exception, string companyId, string version);

        [LoggerMessage(EventId = 5122, Level = LogLevel.Warning, Message = "Claim {ClaimId} of {CompanyId} is high risk ({Score:0.00}): {Reasons}")]
        public static partial void HighRisk(ILogger logger, string companyId, string claimId, double score, string reasons);
    }
}
