using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;

using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Privacy;

/// <summary>The retention schedule (configuration section Reimburse:Retention).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Reimburse:Retention";

    /// <summary>Financial records (claims and receipts) are kept this long after creation; the Inland Revenue Ordinance
    /// (s.51C) requires 7 years, so less is refused at start.</summary>
    [Range(7, 100)]
    public int FinancialRecordYears { get; set; } = 7;

    /// <summary>Drafts never submitted are not financial records: their personal data goes after this many days.</summary>
    [Range(1, 3650)]
    public int UnsubmittedDraftDays { get; set; } = 90;

    public bool Enabled { get; set; } = true;
}

/// <summary>What one retention run purged.</summary>
public sealed record RetentionRun(DateTimeOffset At, int ClaimsPurged, int ReceiptsDeleted, IReadOnlyList<string> ClaimIds);

/// <summary>Daily: purges personal data past its retention — the free-text description, attention reason and receipt files
/// of claims older than the financial retention period, and of drafts never submitted. Amount, category, department,
/// dates and the audit chain stay (the chain is never edited or deleted). Each purge is an entry on the claim's chain
/// ("retention.purged", listing what went) and a run summary goes to the access log.</summary>
public sealed partial class RetentionJob(
    ReimburseStorage storage,
    ClaimStore claims,
    AccessLog accessLog,
    IOptions<RetentionOptions> options,
    ILogger<RetentionJob> logger) : ITimerHandler
{
    public const string PurgedAtProperty = "PurgedAt";

    public string FunctionName => "RetentionSweep";
    public string Schedule => "0 30 19 * * *";   // 03:30 Hong Kong time

    public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default) => SweepAsync(invocation.ScheduledFor, cancellationToken);

    /// <summary>Purges as of <paramref name="now"/> (the timer's scheduled time, so a run is reproducible).</summary>
    public async Task<RetentionRun> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return new RetentionRun(now, 0, 0, []);
        }
        var financialCutoff = now.AddYears(-o.FinancialRecordYears);
        var draftCutoff = now.AddDays(-o.UnsubmittedDraftDays);

        var due = new List<(string Id, string Rule)>();
        var keptReceipts = new HashSet<string>(StringComparer.Ordinal);
        var dueReceipts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>($"RowKey eq {TableClient.CreateQueryFilter($"{ClaimStore.ClaimRowKey}")}",
            select: StorageClientExtensions.WithKeys(["CreatedAt", "Status", "Receipts", PurgedAtProperty]), cancellationToken: cancellationToken))
        {
            var created = e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MaxValue;
            var receipts = JsonSerializer.Deserialize<List<ReceiptRef>>(e.GetString("Receipts") ?? "[]", AuditDigester.Json) ?? [];
            var purged = e.ContainsKey(PurgedAtProperty);
            string? rule = purged ? null
                : created < financialCutoff ? $"financial records kept {o.FinancialRecordYears} years"
                : e.GetString("Status") == nameof(ClaimStatus.Draft) && created < draftCutoff ? $"unsubmitted draft older than {o.UnsubmittedDraftDays} days"
                : null;
            if (rule is null)
            {
                // Content-addressed receipts can be shared: never delete a file another live claim still holds.
                keptReceipts.UnionWith(receipts.Select(r => r.Sha256));
                continue;
            }
            due.Add((e.PartitionKey, rule));
            dueReceipts[e.PartitionKey] = receipts.Select(r => r.Sha256).ToList();
        }

        var purgedIds = new List<string>();
        var deleted = 0;
        foreach (var (id, rule) in due)
        {
            var (result, error) = await claims.ChangeAsync(id, current =>
            {
                if (current.Raw.ContainsKey(PurgedAtProperty)) return (null, new ClaimTransitionError("already-purged", "Already purged."));
                var c = current.Claim;
                var fields = new List<string>();
                if (c.Fields.Description is not null) fields.Add("description");
                if (c.AttentionReason is not null) fields.Add("attentionReason");
                var next = c with { Fields = c.Fields with { Description = null }, AttentionReason = null, Receipts = [] };
                var details = JsonSerializer.Serialize(new { rule, fields, receipts = c.Receipts.Select(r => new { r.Id, r.FileName, r.Length }).ToArray() });
                return (new ClaimChange(next, new AuditDraft("retention.purged", "system", "retention", null, details),
                    new Dictionary<string, object?> { [PurgedAtProperty] = now.UtcDateTime }), null);
            }, cancellationToken);
            if (result is null || error is not null)
            {
                continue;
            }
            purgedIds.Add(id);
            foreach (var sha in dueReceipts[id].Where(s => !keptReceipts.Contains(s)).Distinct())
            {
                if (await storage.Receipts.DeleteBlobIfExistsAsync(sha, cancellationToken: cancellationToken)) deleted++;
            }
        }

        await accessLog.AppendAsync(new AccessRecord("retention.run", "system", "retention", null, AuditOutcome.Allowed, null, null,
            JsonSerializer.Serialize(new { at = now, claimsPurged = purgedIds.Count, receiptsDeleted = deleted, claimIds = purgedIds })), cancellationToken);
        LogRun(logger, purgedIds.Count, deleted);
        return new RetentionRun(now, purgedIds.Count, deleted, purgedIds);
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Information, Message = "Retention: purged personal data of {Claims} claims, deleted {Receipts} receipt files")]
    private static partial void LogRun(ILogger logger, int claims, int receipts);
}
