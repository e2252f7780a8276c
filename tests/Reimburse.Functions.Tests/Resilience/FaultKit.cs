using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Reimburse.Core.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>Shared by the fault tests: process settings, waiting for claims to settle, and counting every
/// effect of a claim by its key (ledger rows, notification keys and repeated deliveries, audit entries).</summary>
public static class FaultKit
{
    /// <summary>The four notifications of a two-level claim (line manager, then any finance officer), one key each.</summary>
    public static readonly string[] TwoLevelNotifications =
        ["approval-requested/0/mgr-wong", "approval-requested/1/fin-cheung", "approval-requested/1/fin-lam", "claim-approved//emp-chan"];

    public static readonly string[] Approvers = ["mgr-wong", "fin-lam", "fin-cheung"];

    /// <summary>Environment of a LocalHost process: the workflow test settings and the recording channel (AppProcess
    /// itself sets 10 s engine visibility timeouts, so a kill -9 is recovered in seconds).</summary>
    public static Dictionary<string, string> ProcessSettings(double speed = 1) => WorkflowTestKit.ProcessSettings(speed);

    /// <summary>Polls until every claim has its expected status (through whichever client <paramref name="clientFor"/>
    /// gives now: processes come and go). A claim that needs attention fails at once.</summary>
    public static async Task WaitForStatusesAsync(Func<Task<HttpClient>> clientFor, IReadOnlyDictionary<string, string> expected, CancellationToken cancellationToken)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        while (done.Count < expected.Count)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                var stuck = expected.Keys.Where(id => !done.Contains(id)).Select(id => $"{id}={last.GetValueOrDefault(id, "?")}");
                throw new TimeoutException($"{expected.Count - done.Count} claims did not settle: {string.Join(", ", stuck.Take(10))}");
            }
            try
            {
                var client = await clientFor();
                foreach (var (id, status) in expected.Where(e => !done.Contains(e.Key)))
                {
                    var r = await client.GetAsync($"/api/claims/{id}", cancellationToken);
                    if (!r.IsSuccessStatusCode) continue;
                    var body = await r.JsonAsync(cancellationToken);
                    var now = body.GetProperty("status").GetString()!;
                    last[id] = now;
                    Assert.True(now != "NeedsAttention", $"{id} needs attention: {body}");
                    if (now == status) done.Add(id);
                }
            }
            catch (HttpRequestException)
            {
                // The process is down or restarting.
            }
            if (done.Count < expected.Count)
            {
                try { await Task.Delay(250, cancellationToken); } catch (OperationCanceledException) { }
            }
        }
    }

    /// <summary>Everything one claim caused, counted by key.</summary>
    public sealed record ClaimEffects(string ClaimId, int LedgerRows, IReadOnlyList<string> Notifications, int RepeatedDeliveries, IReadOnlyList<AuditEntry> Audit)
    {
        public int AuditCount(string action) => Audit.Count(e => e.Action == action);
    }

    /// <summary>Reads every effect of the given claims from storage.</summary>
    public static async Task<IReadOnlyDictionary<string, ClaimEffects>> EffectsAsync(TableServiceClient tables, string prefix, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var ledger = (await WorkflowTestKit.LedgerAsync(tables, prefix, cancellationToken)).GroupBy(l => l.GetString("ClaimId")!).ToDictionary(g => g.Key, g => g.Count());
        var sent = (await RecordingNotificationChannel.ReadAllAsync(tables, prefix, cancellationToken)).ToLookup(n => n.PartitionKey);
        var repeated = (await RecordingNotificationChannel.ReadDuplicatesAsync(tables, prefix, cancellationToken)).ToLookup(n => n.PartitionKey);
        var claims = tables.GetTableClient(prefix + "claims");
        var result = new Dictionary<string, ClaimEffects>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var chain = new List<AuditEntry>();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id} and RowKey ge {ClaimStore.AuditRowPrefix} and RowKey lt {ClaimStore.AuditRowPrefix + "~"}");
            await foreach (var e in claims.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                chain.Add(AuditEntityMapper.FromEntity(e));
            }
            result[id] = new ClaimEffects(id, ledger.GetValueOrDefault(id), [.. sent[id].Select(Kind).Order(StringComparer.Ordinal)], repeated[id].Count(), chain);
        }
        return result;
    }

    /// <summary>"template/step/recipients" of a recorded notification.</summary>
    public static string Kind(TableEntity n)
    {
        var step = JsonDocument.Parse(n.GetString("Data")!).RootElement.TryGetProperty("step", out var s) ? s.GetString() : "";
        return $"{n.GetString("Template")}/{step}/{n.GetString("Recipients")}";
    }

    /// <summary>Waits until every claim's ledger row and four notifications are in, then pauses (late duplicates would show
    /// by then) and asserts the exact counts of a two-level approval: one ledger row, each of the four notification keys
    /// once, received/approved ×2/completed once in an intact audit chain with no entry written twice. Repeated deliveries
    /// of a key (a channel send that a kill -9 cut off before its outcome was written) are asserted zero unless
    /// <paramref name="maxRepeatedDeliveries"/> allows some; they are always reported.</summary>
    public static async Task<FaultTally> AssertTwoLevelApprovedExactlyOnceAsync(TableServiceClient tables, string prefix, IReadOnlyList<string> ids,
        ITestOutputHelper output, CancellationToken cancellationToken, int maxRepeatedDeliveries = 0)
    {
        await WorkflowApiTests.WaitForAsync(async () => (await EffectsAsync(tables, prefix, ids, cancellationToken)).Values
            .Count(e => e.LedgerRows >= 1 && e.Notifications.Count >= TwoLevelNotifications.Length), n => n == ids.Count, cancellationToken);
        await Task.Delay(3000, cancellationToken);

        var effects = await EffectsAsync(tables, prefix, ids, cancellationToken);
        var tally = new FaultTally(
            Claims: ids.Count,
            LedgerRows: effects.Values.Sum(e => e.LedgerRows),
            NotificationKeys: effects.Values.Sum(e => e.Notifications.Count),
            RepeatedDeliveries: effects.Values.Sum(e => e.RepeatedDeliveries),
            StepApproved: effects.Values.Sum(e => e.AuditCount("step.approved")),
            ClaimApproved: effects.Values.Sum(e => e.AuditCount("claim.approved")),
            AuditEntries: effects.Values.Sum(e => e.Audit.Count));
        output.WriteLine(tally.ToString());
        foreach (var e in effects.Values)
        {
            Assert.True(e.LedgerRows == 1, $"{e.ClaimId}: {e.LedgerRows} ledger rows");
            Assert.Equal(TwoLevelNotifications, e.Notifications);
            Assert.Null(AuditChain.FindFirstBroken(e.Audit));
            Assert.Equal(1, e.AuditCount("claim.received"));
            Assert.Equal(2, e.AuditCount("step.approved"));
            Assert.Equal(1, e.AuditCount("claim.approved"));
            var doubled = e.Audit.GroupBy(a => (a.Action, a.Details)).Where(g => g.Count() > 1).Select(g => g.Key.Action).ToList();
            Assert.True(doubled.Count == 0, $"{e.ClaimId}: audit entries written twice: {string.Join(", ", doubled)}");
        }
        Assert.True(tally.RepeatedDeliveries <= maxRepeatedDeliveries, $"{tally.RepeatedDeliveries} repeated notification deliveries (allowed {maxRepeatedDeliveries})");
        return tally;
    }

    /// <summary>Submits <paramref name="count"/> meals claims (two-level route) through the given clients in turn.</summary>
    public static async Task<List<string>> SubmitTwoLevelAsync(IReadOnlyList<HttpClient> submitters, int count, decimal firstAmount, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await WorkflowTestKit.SubmitAsync(submitters[i % submitters.Count], firstAmount + i, cancellationToken: cancellationToken));
        }
        return ids;
    }

    /// <summary>Scripted approvers (<see cref="Approvers"/>), each through the client its function gives.</summary>
    public static List<Task> StartApprovers(Func<string, Task<HttpClient>> clientFor, CancellationToken stop) =>
        [.. Approvers.Select(u => Task.Run(() => WorkflowTestKit.ApproveForeverAsync(() => clientFor(u), stop), CancellationToken.None))];

    /// <summary>How many claims are Approved now (seen through one client).</summary>
    public static async Task<int> CountApprovedAsync(HttpClient client, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var n = 0;
        foreach (var id in ids)
        {
            var r = await client.GetAsync($"/api/claims/{id}", cancellationToken);
            if (r.StatusCode == HttpStatusCode.OK && (await r.JsonAsync(cancellationToken)).GetProperty("status").GetString() == "Approved") n++;
        }
        return n;
    }

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Measured totals of a fault run (written to the test output for the report).</summary>
public sealed record FaultTally(int Claims, int LedgerRows, int NotificationKeys, int RepeatedDeliveries, int StepApproved, int ClaimApproved, int AuditEntries);
