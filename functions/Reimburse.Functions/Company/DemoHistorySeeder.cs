using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Core.Risk;
using Reimburse.Core.Risk.Synthetic;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Risk;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Company;

/// <summary>Gives the demo company months of realistic, seeded claim history (approved, imported) the first time
/// ./run.sh starts, so the risk model and the KPIs have something to work with. Runs once: a marker blob records it.</summary>
public sealed partial class DemoHistorySeeder(
    ReimburseStorage storage,
    ClaimStore claims,
    ClaimIndex index,
    CompanyProvider companies,
    RiskHistoryLoader riskHistory,
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
            RiskPolicy.FromDirectory(company, RiskStep.ApprovalThresholdsHkd), Seed, anomalyRate: 0.02);
        LogSeeding(logger, history.Claims.Count, options.Value.HistoryMonths);

        using var gate = new SemaphoreSlim(8);
        var written = 0;
        await Task.WhenAll(history.Claims.Select(async labelled =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (await WriteAsync(company, labelled.Claim, cancellationToken)) Interlocked.Increment(ref written);
            }
            finally
            {
                gate.Release();
            }
        }));
        await storage.Config.GetBlobClient(marker).UploadAsync(BinaryData.FromObjectAsJson(new { claims = written, seed = Seed, months = options.Value.HistoryMonths, at = clock.GetUtcNow() }), new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/json" } }, cancellationToken);
        return written;
    }

    private async Task<bool> WriteAsync(CompanyDirectory company, ClaimFacts facts, CancellationToken cancellationToken)
    {
        var user = company.FindUser(facts.EmployeeId);
        if (user is null || company.FindCategory(facts.Category) is null)
        {
            return false;
        }
        var id = ClaimIds.FromKey(company.Id, user.Id, "history", facts.ClaimId);
        var fields = new ClaimFields(facts.Category, facts.AmountHkd, "HKD", facts.ExpenseDate, facts.Merchant, "Imported history", null, null);
        var claim = new Claim(id, company.Id, user.Id, facts.Department, user.Id, ClaimSource.Import, ClaimStatus.Approved, fields, [],
            facts.SubmittedAt, facts.SubmittedAt, facts.SubmittedAt);
        await index.UpsertAsync(claim, cancellationToken);
        try
        {
            await claims.CreateAsync(claim, null, new AuditDraft("claim.imported", "system", "system", null,
                JsonSerializer.Serialize(new { source = "demo-history", seed = Seed, amount = fields.Money?.ToString() })), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
        return true;
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Seeding {Count} claims of demo history ({Months} months)")]
    private static partial void LogSeeding(ILogger logger, int count, int months);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "Seeding demo history failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
