using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Learned;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;

namespace Reimburse.Functions.Risk;

/// <summary>Wiring of risk scoring into the host: the pipeline step, history loading, the weekly retraining timer and the
/// admin endpoints (train, roll back, show the active model).</summary>
public static class RiskHosting
{
    public const string ContainerName = "risk-models";

    public static IServiceCollection AddRiskPipeline(this IServiceCollection services)
    {
        // The store uses the host's prefixed container, so tests and environments sharing an account stay apart.
        services.TryAddSingleton(sp => new RiskModelStore(
            sp.GetRequiredService<ReimburseStorage>().Container(ContainerName),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RiskModelStore>>()));
        services.AddRiskScoring();
        services.AddSingleton<ReceiptEvidenceSource>();
        services.AddSingleton<RiskStep>();
        services.AddSingleton<RiskHistoryLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<RiskHistoryLoader>());
        services.AddSingleton<ITimerHandler, RiskModelTrainingTimer>();
        return services;
    }

    public static void MapRiskEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/risk-model").RequireAuthorization(p => p.RequireRole("admin"));
        admin.MapGet("/", async (RiskModelStore store, RiskScoringService risk, CompanyProvider companies, CancellationToken ct) =>
        {
            var pointer = await store.GetActiveAsync(companies.CompanyId, ct);
            // The forest's pointer as before, plus which model actually scores (learned layer or rules + forest) and why.
            return pointer is null
                ? Problems.NotFoundResult("active risk model")
                : TypedResults.Ok(new { pointer.ActiveVersion, pointer.ActivatedAt, pointer.PreviousVersions, learned = await risk.LearnedStatusAsync(companies.CompanyId, ct) });
        }).WithName("GetRiskModel");
        admin.MapPost("/learned/train", async (RiskScoringService risk, CompanyProvider companies, CancellationToken ct) =>
        {
            var company = await companies.GetAsync(ct);
            return TypedResults.Ok(await risk.TrainLearnedAsync(company.Id, RiskPolicy.FromDirectory(company, RiskStep.ApprovalThresholdsHkd), ct));
        }).WithName("TrainLearnedRiskModel");
        admin.MapPost("/learned/activate", async (RiskScoringService risk, CompanyProvider companies, string? version, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(version))
            {
                return Problems.ValidationFailed(new Dictionary<string, string[]> { ["version"] = ["version (a stored learned model version) is required."] });
            }
            try
            {
                return Results.Ok(await risk.ActivateLearnedAsync(companies.CompanyId, version, rollback: false, ct));
            }
            catch (Exception ex) when (ex is RiskModelVersionException or ArgumentException)
            {
                return Problems.Problem(409, Problems.Conflict, "Cannot activate", ex.Message);
            }
        }).WithName("ActivateLearnedRiskModel");
        admin.MapPost("/learned/rollback", async (RiskScoringService risk, CompanyProvider companies, string? toVersion, CancellationToken ct) =>
        {
            try
            {
                return Results.Ok(await risk.ActivateLearnedAsync(companies.CompanyId, toVersion, rollback: true, ct));
            }
            catch (Exception ex) when (ex is RiskModelVersionException or ArgumentException)
            {
                return Problems.Problem(409, Problems.Conflict, "Cannot roll back", ex.Message);
            }
        }).WithName("RollbackLearnedRiskModel");
        admin.MapPost("/train", async (RiskScoringService risk, CompanyProvider companies, CancellationToken ct) =>
        {
            var company = await companies.GetAsync(ct);
            var model = await risk.RetrainAsync(company.Id, RiskPolicy.FromDirectory(company, RiskStep.ApprovalThresholdsHkd), ct);
            return TypedResults.Ok(new { version = model.Version });
        }).WithName("TrainRiskModel");
        admin.MapPost("/rollback", async (RiskScoringService risk, CompanyProvider companies, string? toVersion, CancellationToken ct) =>
        {
            try
            {
                return Results.Ok(await risk.RollbackAsync(companies.CompanyId, toVersion, ct));
            }
            catch (InvalidOperationException ex)
            {
                return Problems.Problem(409, Problems.Conflict, "Cannot roll back", ex.Message);
            }
        }).WithName("RollbackRiskModel");
    }
}

/// <summary>Fills the in-memory claim history from storage at start and refreshes it every few minutes, so scoring
/// sees claims other instances scored. Adding a claim twice is a no-op.</summary>
public sealed partial class RiskHistoryLoader(ReimburseStorage storage, RiskScoringService risk, CompanyProvider companies, ILogger<RiskHistoryLoader> logger) : BackgroundService
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(3);

    /// <summary>Completes after the first load (tests and benchmarks wait on it).</summary>
    public Task FirstLoad => _firstLoad.Task;
    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var n = await LoadAsync(stoppingToken);
                LogLoaded(logger, n);
                _firstLoad.TrySetResult();
                await Task.Delay(RefreshEvery, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
                try { await Task.Delay(TimeSpan.FromSeconds(10), stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    public async Task<int> LoadAsync(CancellationToken cancellationToken)
    {
        var company = await companies.GetAsync(cancellationToken);
        var history = risk.History(company.Id);
        var labels = risk.Labels(company.Id);
        var batch = new List<ClaimFacts>();
        await foreach (var row in storage.Claims.QueryAsync<TableEntity>("RowKey eq 'claim'", cancellationToken: cancellationToken))
        {
            // Labels for the learned layer: only approvers' and finance's final decisions (approved, or rejected for a risk reason).
            if (RiskLabels.FromWorkflow(Approvals.WorkflowRows.ReadState(row.PartitionKey, row)) is { } label)
            {
                labels[label.ClaimId] = label.IsAnomaly;
            }
            if (row.GetString(RiskStep.RiskFactsProperty) is { Length: > 0 } json)
            {
                batch.Add(JsonSerializer.Deserialize<ClaimFacts>(json, RiskStep.Json)!);
            }
            else if (ClaimEntityMapper.FromEntity(row).Claim is { Status: not (ClaimStatus.Draft or ClaimStatus.Submitted) } c && c.Fields.Amount is { } amount)
            {
                // Imported or older claims: what the row says, receipts by hash only.
                batch.Add(new ClaimFacts(c.Id, c.OwnerId, c.Department, c.Fields.Category ?? "", FxRates.ToHkd(amount, c.Fields.Currency ?? "HKD"),
                    c.Fields.Currency ?? "HKD", c.Fields.Merchant ?? "", c.Fields.ExpenseDate ?? DateOnly.FromDateTime(c.CreatedAt.UtcDateTime),
                    c.SubmittedAt ?? c.CreatedAt, c.Receipts.Select(r => new ReceiptEvidence(r.Sha256)).ToList()));
            }
        }
        history.AddRange(batch);
        return batch.Count;
    }

    [LoggerMessage(EventId = 630, Level = LogLevel.Information, Message = "Risk history holds {Count} claims from storage")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 631, Level = LogLevel.Warning, Message = "Loading the risk history failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>Weekly retraining (Sunday 03:00 UTC = 11:00 Hong Kong, outside office hours): train on the company's own
/// history (synthetic while it has too little), store the new version with its metadata, activate it.</summary>
public sealed class RiskModelTrainingTimer(RiskScoringService risk, RiskHistoryLoader loader, CompanyProvider companies) : ITimerHandler
{
    public string FunctionName => "RiskModelTraining";
    public string Schedule => "0 0 3 * * 0";

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default)
    {
        var company = await companies.GetAsync(cancellationToken);
        // Fresh claims and labels (decisions made since the last load) before training both layers.
        await loader.LoadAsync(cancellationToken);
        await risk.RetrainAsync(company.Id, RiskPolicy.FromDirectory(company, RiskStep.ApprovalThresholdsHkd), cancellationToken);
    }
}
