using System.Text.Json;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;
using Reimburse.Functions.Receipts.Ocr;

namespace Reimburse.Functions.Receipts;

/// <summary>Queue message: read the receipts of a draft made from a dropped file and fill its empty fields.</summary>
public sealed record DraftReceiptsDropped(string ClaimId);

/// <summary>Intake step (activity ReadReceipts of the claim orchestration): reads every receipt of a received claim (cached by content hash), records what each says
/// and how sure the reader is, and records mismatches with what the employee typed as findings. Runs before scoring so
/// the risk model sees them. An engine failure retries the message; the claim is never blocked by a bad file.</summary>
public sealed partial class ReceiptsStep(ClaimStore claims, ReceiptReadingStore readings, TimeProvider clock, ILogger<ReceiptsStep> logger) 
{
    public async Task RunAsync(string claimId, CancellationToken cancellationToken = default)
    {
        var stored = await claims.GetAsync(claimId, cancellationToken);
        // A claim without receipts has nothing to read or compare: no write, no audit entry (one request less per claim).
        if (stored is null || stored.Claim.Status != ClaimStatus.Received || stored.Raw.ContainsKey(ReceiptUnderstanding.FindingsProperty) ||
            stored.Claim.Receipts.Count == 0)
        {
            return;
        }
        var read = new List<(ReceiptRef, Core.Receipts.ReceiptReading)>();
        foreach (var receipt in stored.Claim.Receipts)
        {
            try
            {
                read.Add((receipt, await readings.ReadAsync(receipt, cancellationToken)));
            }
            catch (OcrRetryLaterException ex)
            {
                throw new RetryLaterException(ex.Message);
            }
        }
        var views = read.Select(r => ReceiptUnderstanding.View(r.Item1, r.Item2)).ToList();
        var findings = ReceiptUnderstanding.Findings(stored.Claim.Fields, read);
        var details = JsonSerializer.Serialize(new
        {
            receipts = views.Count,
            unreadable = views.Count(v => v.Status != "Read"),
            findings = findings.Select(f => f.Code),
        });
        await claims.ChangeAsync(claimId, current =>
            current.Claim.Status != ClaimStatus.Received || current.Raw.ContainsKey(ReceiptUnderstanding.FindingsProperty)
                ? (null, new ClaimTransitionError("already-read", "Receipts were read meanwhile."))
                : (new ClaimChange(current.Claim with { UpdatedAt = clock.GetUtcNow() },
                    new AuditDraft("claim.receipts-read", "system", "system", null, details),
                    new Dictionary<string, object?>
                    {
                        [ReceiptUnderstanding.ReadingsProperty] = JsonSerializer.Serialize(views, ReceiptReadingStore.Json),
                        [ReceiptUnderstanding.FindingsProperty] = JsonSerializer.Serialize(findings, ReceiptReadingStore.Json),
                    }), null),
            cancellationToken, stored);
        LogFindings(logger, claimId, views.Count, findings.Count);
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Claim {ClaimId}: {Receipts} receipts read, {Findings} findings")]
    private static partial void LogFindings(ILogger logger, string claimId, int receipts, int findings);
}

/// <summary>Reads the receipt of a draft made from a dropped file and fills the fields the employee has not typed:
/// merchant, date, amount, currency, and the category when the merchant is an approved vendor.</summary>
public sealed partial class DraftAutofillHandler(ClaimStore claims, ReceiptReadingStore readings, CompanyProvider companies, TimeProvider clock, ILogger<DraftAutofillHandler> logger,
    MalformedMessages malformed) : IQueueHandler
{
    public const string Queue = "draft-receipts";

    public string FunctionName => "DraftAutofill";
    public string QueueName => Queue;

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        var message = await malformed.DecodeOrPoisonAsync<DraftReceiptsDropped>(Queue, invocation,
            m => ClaimIds.IsValid(m.ClaimId) ? null : "claimId is not a claim id.", cancellationToken);
        if (message is null)
        {
            return; // moved to poison with its reason
        }
        var stored = await claims.GetAsync(message.ClaimId, cancellationToken);
        if (stored is null || stored.Claim.Status != ClaimStatus.Draft || stored.Raw.ContainsKey(ReceiptUnderstanding.ReadingsProperty))
        {
            return;
        }
        var read = new List<(ReceiptRef Receipt, Core.Receipts.ReceiptReading Reading)>();
        foreach (var receipt in stored.Claim.Receipts)
        {
            try
            {
                read.Add((receipt, await readings.ReadAsync(receipt, cancellationToken)));
            }
            catch (OcrRetryLaterException ex)
            {
                throw new RetryLaterException(ex.Message);
            }
        }
        var company = await companies.GetAsync(cancellationToken);
        var views = read.Select(r => ReceiptUnderstanding.View(r.Receipt, r.Reading)).ToList();
        var (fields, filled) = ReceiptUnderstanding.Autofill(stored.Claim.Fields, read.Select(r => r.Reading), company);
        await claims.ChangeAsync(message.ClaimId, current =>
            current.Claim.Status != ClaimStatus.Draft || current.Raw.ContainsKey(ReceiptUnderstanding.ReadingsProperty)
                ? (null, new ClaimTransitionError("already-read", "The draft was filled meanwhile."))
                : (new ClaimChange(current.Claim with { Fields = current.Claim.Fields.FillFrom(fields), UpdatedAt = clock.GetUtcNow() },
                    new AuditDraft("claim.autofilled", "system", "system", null, JsonSerializer.Serialize(new
                    {
                        filled,
                        unreadable = views.Where(v => v.Status != "Read").Select(v => v.Reason),
                    })),
                    new Dictionary<string, object?>
                    {
                        [ReceiptUnderstanding.ReadingsProperty] = JsonSerializer.Serialize(views, ReceiptReadingStore.Json),
                        ["AutofilledFields"] = string.Join(",", filled),
                    }), null),
            cancellationToken, stored);
        LogFilled(logger, message.ClaimId, string.Join(",", filled));
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Information, Message = "Draft {ClaimId} filled from its receipt: {Fields}")]
    private static partial void LogFilled(ILogger logger, string claimId, string fields);
}

/// <summary>Registration of receipt understanding in the host.</summary>
public static class ReceiptHosting
{
    public static IServiceCollection AddReceiptUnderstanding(this IServiceCollection services)
    {
        services.AddReceiptReading();
        services.AddSingleton<ReceiptReadingStore>();
        services.AddSingleton<Risk.IReceiptEvidenceProvider>(sp => sp.GetRequiredService<ReceiptReadingStore>());
        services.AddSingleton<ReceiptsStep>();
        services.AddSingleton<IQueueHandler, DraftAutofillHandler>();
        return services;
    }
}
