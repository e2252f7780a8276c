using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reimburse.Core.Risk;
using Reimburse.Functions.Risk;
using Reimburse.Functions.Risk.Learned;
using Reimburse.Testing;

namespace Reimburse.Tests.Risk;

/// <summary>Against Azurite: the learned layer stored in blob storage, activated by the promotion rule, used for scoring,
/// and its fallbacks when a zip is corrupt or missing.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LearnedScoringTests(AzuriteFixture azurite, LearnedTrainingData data) : IClassFixture<LearnedTrainingData>
{
    private const string Company = "harbour";
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 1, 4, 3, 0, 0, TimeSpan.Zero));

    private (RiskScoringService Risk, BlobContainerClient Container) NewService(BlobContainerClient? container = null)
    {
        container ??= new BlobContainerClient(azurite.ConnectionString, AzuriteInstance.UniqueName("learned"));
        var options = Options.Create(new RiskScoringOptions { MinCompanyClaims = 300, Trees = 50 });
        var store = new RiskModelStore(container, _clock, NullLogger<RiskModelStore>.Instance);
        var risk = new RiskScoringService(store, new RiskModelTrainer(store, options, _clock, NullLogger<RiskModelTrainer>.Instance),
            new LearnedModelStore(container, _clock, NullLogger<LearnedModelStore>.Instance), options, _clock, NullLogger<RiskScoringService>.Instance);
        risk.History(Company).AddRange(data.Claims.Select(c => c.Claim));
        foreach (var (id, anomaly) in data.Truth)
        {
            risk.Labels(Company)[id] = anomaly;
        }
        return (risk, container);
    }

    private ClaimFacts NewClaim() => data.Claims[^1].Claim with { ClaimId = "new-1", SubmittedAt = new DateTimeOffset(2026, 1, 5, 2, 0, 0, TimeSpan.Zero) };

    [Fact]
    public async Task Retrain_EnoughLabels_LearnedModelStoredActivatedAndScores()
    {
        var ct = TestTimeout.Token(120);
        var (risk, container) = NewService();

        await risk.RetrainAsync(Company, data.Policy, ct);
        var status = await risk.LearnedStatusAsync(Company, ct);
        var assessment = await risk.ScoreAsync(Company, NewClaim(), data.Policy, ct);

        Assert.Equal("fasttree", status.Kind);
        Assert.True(status.LastTraining!.Activated, status.LastTraining.Why);
        Assert.Equal(status.Version, status.LastTraining.CandidateVersion);
        Assert.Equal(data.Truth.Count(t => t.Value), status.Labels.Anomalies);
        Assert.True(status.Metrics!.HoldoutPrAuc >= status.Metrics.BaselinePrAuc);
        Assert.Equal(status.Version, assessment.ModelVersion);
        Assert.True(await container.GetBlobClient(LearnedModelStore.ZipBlob(Company, status.Version!)).ExistsAsync(ct));
        Assert.True(await container.GetBlobClient(LearnedModelStore.MetadataBlob(Company, status.Version!)).ExistsAsync(ct));
    }

    [Fact]
    public async Task TrainLearned_FinanceFlagsFifthOfCleanClaims_ActiveModelKept()
    {
        var ct = TestTimeout.Token(120);
        var (risk, _) = NewService();
        await risk.RetrainAsync(Company, data.Policy, ct);
        var good = (await risk.LearnedStatusAsync(Company, ct)).Version;
        var random = new Random(11);
        foreach (var (id, anomaly) in data.Truth.Where(t => !t.Value))
        {
            if (random.NextDouble() < 0.2)
            {
                risk.Labels(Company)[id] = true;
            }
        }
        _clock.Advance(TimeSpan.FromDays(7));

        var outcome = await risk.TrainLearnedAsync(Company, data.Policy, ct);

        Assert.False(outcome.Activated, outcome.Why);
        Assert.NotNull(outcome.CandidateVersion);
        Assert.NotEqual(good, outcome.CandidateVersion);
        Assert.Equal(good, (await risk.LearnedStatusAsync(Company, ct)).Version);
        Assert.Equal(good, (await risk.ScoreAsync(Company, NewClaim(), data.Policy, ct)).ModelVersion);
    }

    [Fact]
    public async Task CorruptZips_FallBackToEarlierVersionThenRulesAndForest_ScoringContinues()
    {
        var ct = TestTimeout.Token(120);
        var (risk, container) = NewService();
        await risk.RetrainAsync(Company, data.Policy, ct);
        var first = (await risk.LearnedStatusAsync(Company, ct)).Version!;
        foreach (var id in data.Truth.Keys.Where((_, i) => i % 3 == 0).ToList())
        {
            risk.Labels(Company).TryRemove(id, out _);
        }
        _clock.Advance(TimeSpan.FromDays(7));
        var second = (await risk.TrainLearnedAsync(Company, data.Policy, ct)).CandidateVersion!;
        await risk.ActivateLearnedAsync(Company, second, rollback: false, ct);
        Assert.Equal(second, (await risk.LearnedStatusAsync(Company, ct)).Version);

        await container.GetBlobClient(LearnedModelStore.ZipBlob(Company, second)).UploadAsync(BinaryData.FromString("not a zip"), overwrite: true, ct);
        var (afterCorrupt, _) = NewService(container);
        var status = await afterCorrupt.LearnedStatusAsync(Company, ct);

        Assert.Equal(("fasttree", first, second), (status.Kind, status.Version, status.ActiveVersion));
        Assert.Contains($"learned model {second} could not be loaded (corrupt)", status.Note, StringComparison.Ordinal);
        Assert.Equal(first, (await afterCorrupt.ScoreAsync(Company, NewClaim(), data.Policy, ct)).ModelVersion);

        await container.GetBlobClient(LearnedModelStore.ZipBlob(Company, first)).DeleteAsync(cancellationToken: ct);
        var (afterMissing, _) = NewService(container);
        var fallback = await afterMissing.LearnedStatusAsync(Company, ct);
        var scored = await afterMissing.ScoreAsync(Company, NewClaim(), data.Policy, ct);

        Assert.Equal("rules+forest", fallback.Kind);
        Assert.Contains($"learned model {first} could not be loaded (missing)", fallback.Note, StringComparison.Ordinal);
        Assert.EndsWith("rules + forest score.", fallback.Note, StringComparison.Ordinal);
        Assert.StartsWith("if-", scored.ModelVersion, StringComparison.Ordinal);
    }
}
