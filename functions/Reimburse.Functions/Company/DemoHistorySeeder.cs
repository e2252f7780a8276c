using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Risk;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Company;

/// <summary>Gives the demo company months of realistic, seeded claim history (imported) the first time ./run.sh starts, so
/// the risk model and the KPIs have something to work with. The history includes finance's decisions: the generator's
/// anomalies were rejected by a finance user with a reason code, the rest approved, so the learned layer has labels and
/// is trained (and, when it beats rules + forest on the hold-out, activated) right after seeding. Runs once: a marker blob
/// records it.</summary>
public sealed partial class DemoHistorySeeder(
    ReimburseStorage storage,
    ClaimStore claims,
    ClaimIndex index,
    CompanyProvider companies,
    RiskHistoryLoader riskHistory,
    RiskScoringService risk,
    StartupInitializer.State startup,
    IOptions<SeedOptions> options,
    TimeProvider clock,
    ILogger<DemoHistorySeeder> logger) : BackgroundService
{
    public const int Seed = 852;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Demo || !options.Value.History)
        {
            return;
        }
        try
        {
            while (!startup.Ready)
            {
                await Task.Delay(200, stoppingToken);
            }
            var n = await SeedAsync(stoppingToken);
            if (n > 0)
            {
                await riskHistory.LoadAsync(stoppingToken);
                var company = await companies.GetAsync(stoppingToken);
                await risk.RetrainAsync(company.Id, RiskPolicy.FromDirectory(company, RiskStep.ApprovalThresholdsHkd), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
        }
    }

    public async Task<int> SeedAsync(CancellationToken cancellationToken)
    {
        var company = await companies.GetAsync(cancellationToken);
        var marker = $"{company.Id}/demo-history.json";
        if (await storage.Config.GetBlobClient(marker).ExistsAsync(cancellationToken))
        {
            return 0;
        }
        var today = CompanyProvider.LocalToday(company, clock.GetUtcNow());
        var employees = company.Users.Where(u => u.Has(Role.Employee)).Select(u => new SyntheticEmployee(u.Id, u.Department)).ToList();
        var history = SyntheticHistoryGenerator.GenerateForUsers(employees, today.AddMonths(-options.Value.HistoryMonths), today.AddDays(-1),
            RiskPolicy.FromDirectory(company, RiskStep.ApprovalThresholdsHkd), Seed, anomalyRate: AnomalyRate);
        var finance = company.Users.FirstOrDefault(u => u.Has(Role.Finance))?.Id;
        LogSeeding(logger, history.Claims.Count, options.Value.HistoryMonths);

        using var gate = new SemaphoreSlim(8);
        var written = 0;
        await Task.WhenAll(history.Claims.Select(async labelled =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (await WriteAsync(company, labelled, finance, cancellationToken)) Interlocked.Increment(ref written);
            }
            finally
            {
                gate.Release();
            }
        }));
        await storage.Config.GetBlobClient(marker).UploadAsync(BinaryData.FromObjectAsJson(new { claims = written, seed = Seed, months = options.Value.HistoryMonths, at = clock.GetUtcNow() }), new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" } }, cancellationToken);
        return written;
    }

    private async Task<bool> WriteAsync(CompanyDirectory company, LabelledClaim labelled, string? finance, CancellationToken cancellationToken)
    {
        var facts = labelled.Claim;
        var user = company.FindUser(facts.EmployeeId);
        if (user is null || company.FindCategory(facts.Category) is null)
        {
            return false;
        }
        var id = ClaimIds.FromKey(company.Id, user.Id, "history", facts.ClaimId);
        var fields = new ClaimFields(facts.Category, facts.AmountHkd, "HKD", facts.ExpenseDate, facts.Merchant, "Imported history", null, null);
        var rejected = labelled.Anomaly is not null && finance is not null;
        var claim = new Claim(id, company.Id, user.Id, facts.Department, user.Id, ClaimSource.Import, rejected ? ClaimStatus.Rejected : ClaimStatus.Approved, fields, [],
            facts.SubmittedAt, facts.SubmittedAt, facts.SubmittedAt);
        await index.UpsertAsync(claim, cancellationToken);
        StoredClaim created;
        try
        {
            created = await claims.CreateAsync(claim, null, new AuditDraft("claim.imported", "system", "system", null,
                JsonSerializer.Serialize(new { source = "demo-history", seed = Seed, amount = fields.Money?.ToString() })), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
        if (finance is not null)
        {
            await RecordDecisionAsync(created, labelled, finance, cancellationToken);
        }
        return true;
    }

    /// <summary>The demo's anomaly rate: enough rejections in six months for the learned layer's default minimums.</summary>
    public const double AnomalyRate = 0.06;

    /// <summary>The reason finance gives for each kind of generated anomaly.</summary>
    public static string ReasonFor(AnomalyType type) => type switch
    {
        AnomalyType.ExactDuplicate or AnomalyType.NearDuplicate => DecisionReasons.Duplicate,
        AnomalyType.OverBudget or AnomalyType.CategoryLimitExceeded => DecisionReasons.OverPolicyLimit,
        AnomalyType.VendorNotApproved => DecisionReasons.VendorNotAllowed,
        _ => DecisionReasons.SuspiciousPattern,
    };

    // Finance's final decision on an imported claim, as the workflow records one: state (with its history entry) on the
    // claim row and the decision in the claim's audit chain. These are the learned layer's labels.
    private async Task RecordDecisionAsync(StoredClaim created, LabelledClaim labelled, string finance, CancellationToken cancellationToken)
    {
        var at = created.Claim.SubmittedAt!.Value.AddDays(2);
        var reason = labelled.Anomaly is { } type ? ReasonFor(type) : null;
        var action = reason is null ? "claim.approved" : "claim.rejected";
        var state = WorkflowState.New(created.Claim.Id) with
        {
            Status = reason is null ? WorkflowStatus.Approved : WorkflowStatus.Rejected,
            ClaimantId = created.Claim.OwnerId,
            SubmitterId = created.Claim.OwnerId,
            Amount = created.Claim.Fields.Money ?? default,
            Round = 1,
            History = [new Reimburse.Core.Approvals.HistoryEntry(at, action, finance, null, 1, 0, reason is null ? null : "Imported history: rejected by finance.", reason)],
            Version = 1,
        };
        var details = JsonSerializer.Serialize(reason is null ? new Dictionary<string, string> { ["source"] = "demo-history" } : new Dictionary<string, string> { ["source"] = "demo-history", ["reasonCode"] = reason });
        await claims.ChangeAsync(created.Claim.Id, stored => (new ClaimChange(stored.Claim, new AuditDraft(action, finance, "finance", null, details),
            new Dictionary<string, object?> { [WorkflowRows.WorkflowProperty] = JsonSerializer.Serialize(state, ApprovalJson.Options) }), null), cancellationToken, created);
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Seeding {Count} claims of demo history ({Months} months)")]
    private static partial void LogSeeding(ILogger logger, int count, int months);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "Seeding demo history failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
