using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Learned;
using Reimburse.Functions.Risk.Learned;

namespace Reimburse.Functions.Risk;

/// <summary>
/// What the claim pipeline calls: keeps each company's in-memory claim history and its active
/// model (re-read from storage every <see cref="RiskScoringOptions.ModelRefreshInterval"/>), and
/// scores claims. A company without an active model gets one trained and activated on first use.
/// </summary>
public sealed partial class RiskScoringService(RiskModelStore store, RiskModelTrainer trainer, LearnedModelStore learnedStore, IOptions<RiskScoringOptions> options, TimeProvider time, ILogger<RiskScoringService> logger)
{
    private readonly ConcurrentDictionary<string, InMemoryClaimHistory> _histories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _labels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedModel> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedLearned> _learned = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private readonly SemaphoreSlim _learnedGate = new(1, 1);

    private sealed record CachedModel(RiskModel Model, DateTimeOffset LoadedAt);

    /// <summary>The learned model in use (null: rules + forest), the active version it was loaded for, and what happened.</summary>
    private sealed record CachedLearned(LearnedRiskModel? Model, string? ActiveVersion, string Note, DateTimeOffset LoadedAt);

    /// <summary>The company's labels (claim id → anomaly) from final decisions; the history loader fills them from storage.</summary>
    public ConcurrentDictionary<string, bool> Labels(string companyId) => _labels.GetOrAdd(companyId, _ => new ConcurrentDictionary<string, bool>(StringComparer.Ordinal));

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
        var learned = (await GetLearnedAsync(companyId, cancellationToken).ConfigureAwait(false)).Model;
        var history = History(companyId);
        var assessment = new RiskScorer(model, policy, learned: learned).Score(claim, history, time.GetUtcNow());
        history.Add(claim);
        if (assessment.Level == RiskLevel.High)
        {
            Log.HighRisk(logger, companyId, claim.ClaimId, assessment.Score, string.Join(",", assessment.Reasons.Select(r => r.Code)));
        }
        return assessment;
    }

    /// <summary>Retrains from the in-memory history (synthetic when too little), activates, and uses the new model at once;
    /// then trains the learned layer on top of it (activated only if it is not worse, see <see cref="TrainLearnedAsync"/>).</summary>
    public async Task<RiskModel> RetrainAsync(string companyId, RiskPolicy policy, CancellationToken cancellationToken = default)
    {
        var model = await trainer.TrainAndActivateAsync(companyId, History(companyId).Snapshot(), policy, cancellationToken).ConfigureAwait(false);
        _models[companyId] = new CachedModel(model, time.GetUtcNow());
        await TrainLearnedAsync(companyId, policy, cancellationToken).ConfigureAwait(false);
        return model;
    }

    /// <summary>
    /// Trains a learned-layer candidate on the company's labelled claims (stacked on the active forest), stores it, and
    /// activates it unless its hold-out PR-AUC is below rules + forest or the active learned model's. Below the configured
    /// minimums of labels nothing is trained and rules + forest keep scoring. The outcome is stored for the admin endpoint.
    /// </summary>
    public async Task<LearnedTrainingOutcome> TrainLearnedAsync(string companyId, RiskPolicy policy, CancellationToken cancellationToken = default)
    {
        var forest = await GetModelAsync(companyId, policy, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var rows = RiskStacking.BuildRows(History(companyId).Snapshot(), policy, forest);
        var labels = new Dictionary<string, bool>(Labels(companyId), StringComparer.Ordinal);
        var result = LearnedRiskTrainer.Train(rows, labels, options.Value.Learned, now, companyId, forest.Version);
        LearnedTrainingOutcome outcome;
        if (result.Model is not { } candidate)
        {
            outcome = new LearnedTrainingOutcome(now, null, false, result.SkippedBecause!, result.LabelledAnomalies, result.LabelledClaims);
        }
        else
        {
            await learnedStore.SaveAsync(companyId, candidate, cancellationToken).ConfigureAwait(false);
            LearnedModelMetadata? active = null;
            if (await learnedStore.GetActiveAsync(companyId, cancellationToken).ConfigureAwait(false) is { } pointer)
            {
                try
                {
                    active = await learnedStore.LoadMetadataAsync(companyId, pointer.ActiveVersion, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is Azure.RequestFailedException or RiskModelFormatException)
                {
                    Log.LearnedUnreadable(logger, ex, companyId, pointer.ActiveVersion);
                }
            }
            var verdict = LearnedPromotion.Decide(candidate.Metadata, active, options.Value.Learned.PromotionTolerance);
            if (verdict.Activate)
            {
                await learnedStore.ActivateAsync(companyId, candidate.Version, cancellationToken).ConfigureAwait(false);
                _learned[companyId] = new CachedLearned(candidate, candidate.Version, "active", now);
            }
            outcome = new LearnedTrainingOutcome(now, candidate.Version, verdict.Activate, verdict.Why, result.LabelledAnomalies, result.LabelledClaims);
        }
        Log.LearnedTrained(logger, companyId, outcome.CandidateVersion ?? "none", outcome.Activated, outcome.Why);
        await learnedStore.SaveLastTrainingAsync(companyId, outcome, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>An admin activates a stored learned version (whatever its metrics) or rolls back; the change applies at once here.</summary>
    public async Task<RiskModelPointer> ActivateLearnedAsync(string companyId, string? version, bool rollback, CancellationToken cancellationToken = default)
    {
        var pointer = rollback
            ? await learnedStore.RollbackAsync(companyId, version, cancellationToken).ConfigureAwait(false)
            : await learnedStore.ActivateAsync(companyId, version!, cancellationToken).ConfigureAwait(false);
        _learned.TryRemove(companyId, out _);
        return pointer;
    }

    /// <summary>Which model scores the company's claims now and why: kind, version, metrics, label counts, fallbacks, last training.</summary>
    public async Task<LearnedStatus> LearnedStatusAsync(string companyId, CancellationToken cancellationToken = default)
    {
        var current = await GetLearnedAsync(companyId, cancellationToken).ConfigureAwait(false);
        var last = await learnedStore.GetLastTrainingAsync(companyId, cancellationToken).ConfigureAwait(false);
        var labels = Labels(companyId);
        var anomalies = labels.Count(l => l.Value);
        return new LearnedStatus(current.Model is null ? "rules+forest" : "fasttree", current.Model?.Version, current.ActiveVersion, current.Note,
            current.Model?.Metadata, new LabelCounts(anomalies, labels.Count - anomalies), last);
    }

    // Never throws for storage or format problems: scoring must not block a claim. A corrupt or missing active version
    // falls back to the versions active before it, then to rules + forest, and says so in the log and the status.
    private async Task<CachedLearned> GetLearnedAsync(string companyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_learned.TryGetValue(companyId, out var cached) && now - cached.LoadedAt < options.Value.ModelRefreshInterval)
        {
            return cached;
        }
        await _learnedGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_learned.TryGetValue(companyId, out cached) && now - cached.LoadedAt < options.Value.ModelRefreshInterval)
            {
                return cached;
            }
            RiskModelPointer? pointer;
            try
            {
                pointer = await learnedStore.GetActiveAsync(companyId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or RiskModelFormatException)
            {
                Log.LearnedUnreadable(logger, ex, companyId, "active.json");
                var kept = (cached ?? new CachedLearned(null, null, "The learned model pointer could not be read; rules + forest score.", now)) with { LoadedAt = now };
                return _learned[companyId] = kept;
            }
            if (pointer is null)
            {
                return _learned[companyId] = new CachedLearned(null, null, "No learned model is active yet; rules + forest score.", now);
            }
            if (cached?.ActiveVersion == pointer.ActiveVersion)
            {
                return _learned[companyId] = cached with { LoadedAt = now };
            }
            var problems = new List<string>();
            foreach (var version in new[] { pointer.ActiveVersion }.Concat(pointer.PreviousVersions))
            {
                try
                {
                    var model = await learnedStore.LoadAsync(companyId, version, cancellationToken).ConfigureAwait(false);
                    var note = problems.Count == 0 ? "active" : $"{string.Join("; ", problems)}; using the earlier version {version}.";
                    if (problems.Count > 0)
                    {
                        Log.LearnedFallback(logger, companyId, version, note);
                    }
                    return _learned[companyId] = new CachedLearned(model, pointer.ActiveVersion, note, now);
                }
                catch (Exception ex) when (ex is Azure.RequestFailedException or RiskModelFormatException)
                {
                    Log.LearnedUnreadable(logger, ex, companyId, version);
                    problems.Add($"learned model {version} could not be loaded ({(ex is Azure.RequestFailedException { Status: 404 } ? "missing" : "corrupt")})");
                }
            }
            var fallback = $"{string.Join("; ", problems)}; rules + forest score.";
            Log.LearnedFallback(logger, companyId, "rules+forest", fallback);
            return _learned[companyId] = new CachedLearned(null, pointer.ActiveVersion, fallback, now);
        }
        finally
        {
            _learnedGate.Release();
        }
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
        [LoggerMessage(EventId = 5124, Level = LogLevel.Warning, Message = "Learned risk model {Version} of {CompanyId} could not be read")]
        public static partial void LearnedUnreadable(ILogger logger, Exception exception, string companyId, string version);

        [LoggerMessage(EventId = 5125, Level = LogLevel.Warning, Message = "Company {CompanyId} scores with {Version}: {Note}")]
        public static partial void LearnedFallback(ILogger logger, string companyId, string version, string note);

        [LoggerMessage(EventId = 5126, Level = LogLevel.Information, Message = "Learned risk model training for {CompanyId}: candidate {Version}, activated {Activated}: {Why}")]
        public static partial void LearnedTrained(ILogger logger, string companyId, string version, bool activated, string why);

        [LoggerMessage(EventId = 5121, Level = LogLevel.Information, Message = "Company {CompanyId} has no active risk model; training one")]
        public static partial void NoActiveModel(ILogger logger, string companyId);

        [LoggerMessage(EventId = 5123, Level = LogLevel.Warning, Message = "Could not refresh the risk model of {CompanyId}; still using {Version}")]
        public static partial void RefreshFailed(ILogger logger, Exception exception, string companyId, string version);

        [LoggerMessage(EventId = 5122, Level = LogLevel.Warning, Message = "Claim {ClaimId} of {CompanyId} is high risk ({Score:0.00}): {Reasons}")]
        public static partial void HighRisk(ILogger logger, string companyId, string claimId, double score, string reasons);
    }
}

/// <summary>Labelled claims of a company: anomalies (rejected for a risk reason) and clean (approved).</summary>
public sealed record LabelCounts(int Anomalies, int Clean);

/// <summary>The learned layer's state for GET /api/admin/risk-model.</summary>
/// <param name="Kind">"fasttree" when the learned model scores, else "rules+forest".</param>
/// <param name="Note">"active", or what failed and what scores instead.</param>
public sealed record LearnedStatus(string Kind, string? Version, string? ActiveVersion, string Note, LearnedModelMetadata? Metrics, LabelCounts Labels, LearnedTrainingOutcome? LastTraining);
