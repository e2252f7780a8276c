using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Testing;

namespace Reimburse.Bench;

/// <summary>`bench audit [--entries 100000] [--claims-per-day 200]`: appends/s, verification entries/s (and hash-only), query
/// latency for a claim's history and a one-day range, on a log in its own in-memory Azurite, beside Azurite's raw ceiling.</summary>
public sealed class AuditBenchmark : IBenchmark
{
    public string Name => "audit";
    public string Description => "audit log: appends/s, verify entries/s, claim-history and one-day query latency (own Azurite)";

    private const int EntriesPerClaim = 10;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var total = IntArg(args, "--entries", 100_000);
        var claimsPerDay = IntArg(args, "--claims-per-day", 200);
        var claimCount = total / EntriesPerClaim;
        var days = Math.Max(1, claimCount / claimsPerDay);
        Console.WriteLine($"audit bench: {claimCount:N0} claims × {EntriesPerClaim} entries = {claimCount * EntriesPerClaim:N0} claim-chain entries over {days} days ({claimsPerDay * EntriesPerClaim:N0} entries/day)");

        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken: cancellationToken);
        var storage = ReimburseStorage.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, ResourcePrefix = "bench", MaxRetries = 3, NetworkTimeoutSeconds = 120 });
        await storage.EnsureCreatedAsync([], cancellationToken);
        var audit = new AuditStorage(storage);
        await audit.EnsureCreatedAsync(cancellationToken);
        var index = new AuditIndex(audit);

        await RawCeilingAsync(storage, cancellationToken);

        // 1. Load the log: claim chains (claim row + 10 entries in one batch) and their index rows.
        var origin = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var sw = Stopwatch.StartNew();
        var claimIds = new string[claimCount];
        var allEntries = new ConcurrentBag<AuditEntry>();
        // Chunks of 200 claims let the index rows of many claims share a batch (day, action, department, actor partitions).
        const int loadBatch = 200;
        var chunks = (claimCount + loadBatch - 1) / loadBatch;
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, chunks), new ParallelOptions { MaxDegreeOfParallelism = 6, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            var indexed = new List<IndexedEntry>();
            for (var i = chunk * loadBatch; i < Math.Min(claimCount, (chunk + 1) * loadBatch); i++)
            {
                var (claim, entries) = MakeClaim(i, origin, claimsPerDay);
                claimIds[i] = claim.Id;
                var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, ClaimEntityMapper.ToEntity(claim, new TableEntity(claim.Id, ClaimStore.ClaimRowKey), entries[^1].Sequence, entries[^1].Hash)) };
                actions.AddRange(entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, AuditEntityMapper.ToEntity(e))));
                await storage.Claims.SubmitCheckedTransactionAsync(actions, ct);
                indexed.AddRange(entries.Select(e => new IndexedEntry(IndexedEntry.ClaimsLog, e, claim.Id, claim.Department)));
                foreach (var e in entries) allEntries.Add(e);
            }
            await index.WriteAsync(indexed, ct);
            var n = Interlocked.Increment(ref done);
            if (n % Math.Max(1, chunks / 10) == 0) Console.WriteLine($"  loaded {n * loadBatch * EntriesPerClaim:N0} entries after {sw.Elapsed.TotalSeconds:F0} s");
        });
        var loaded = allEntries.Count;
        Console.WriteLine($"load: {loaded:N0} entries (+{loaded * 5:N0} index rows) in {sw.Elapsed.TotalSeconds:F1} s = {loaded / sw.Elapsed.TotalSeconds:N0} entries/s (bulk, batched)");

        // 2. Appends through the access log (group commit + index), from 64 concurrent callers.
        var log = new AccessLog(audit, index, TimeProvider.System, NullLogger<AccessLog>.Instance);
        await using (log)
        {
            var appends = IntArg(args, "--appends", 2_000);
            sw.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(0, appends), new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, ct) =>
                await log.AppendAsync(new AccessRecord("claim.read", "emp-" + (i % 200), "employee", "10.0.0.1", AuditOutcome.Allowed, claimIds[i % claimCount], "sales", "{\"claimId\":\"x\"}"), ct));
            Console.WriteLine($"append (access log, 64 callers, incl. 5 index rows each): {appends:N0} in {sw.Elapsed.TotalSeconds:F1} s = {appends / sw.Elapsed.TotalSeconds:N0} entries/s");
        }

        // 3. Verification.
        var list = allEntries.ToList();
        sw.Restart();
        foreach (var e in list)
        {
            if (AuditChain.ComputeHash(e) != e.Hash) throw new InvalidOperationException("hash mismatch");
        }
        Console.WriteLine($"hash only: {list.Count:N0} entries in {sw.Elapsed.TotalSeconds:F2} s = {list.Count / sw.Elapsed.TotalSeconds:N0} entries/s");
        var verifier = new AuditVerifier(audit);
        sw.Restart();
        var result = await verifier.VerifyAsync(null, null, cancellationToken);
        Console.WriteLine($"verify (read from Azurite + hash + head check): ok={result.Ok} {result.Checked:N0} entries in {sw.Elapsed.TotalSeconds:F1} s = {result.Checked / sw.Elapsed.TotalSeconds:N0} entries/s  (goal ≥ 5,000)");

        // 4. Queries.
        var rnd = new Random(7);
        var history = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            var id = claimIds[rnd.Next(claimCount)];
            sw.Restart();
            var (items, _) = await index.QueryAsync(new AuditQuery(id, null, null, null, null, null), 1000, null, DateTimeOffset.UtcNow, cancellationToken);
            history.Add(sw.Elapsed.TotalMilliseconds);
            if (items.Count < EntriesPerClaim) throw new InvalidOperationException($"claim history returned {items.Count}");
        }
        Report("claim history (index, all entries)", history, 100);

        var range = new List<double>();
        var rows = 0;
        for (var i = 0; i < 30; i++)
        {
            var day = origin.AddDays(rnd.Next(days));
            sw.Restart();
            string? token = null;
            rows = 0;
            do
            {
                var (items, next) = await index.QueryAsync(new AuditQuery(null, null, null, null, day, day.AddDays(1)), 1000, token, DateTimeOffset.UtcNow, cancellationToken);
                rows += items.Count;
                token = next;
            }
            while (token is not null);
            range.Add(sw.Elapsed.TotalMilliseconds);
        }
        Report($"one-day range ({rows:N0} entries, pages of 1,000)", range, 1000);
        return result.Ok ? 0 : 1;
    }

    private static (Claim Claim, List<AuditEntry> Entries) MakeClaim(int i, DateTimeOffset origin, int claimsPerDay)
    {
        var day = i / claimsPerDay;
        var start = origin.AddDays(day).AddSeconds(i % claimsPerDay * 60);
        var owner = "emp-" + (i % 200).ToString(CultureInfo.InvariantCulture);
        var dept = (i % 4) switch { 0 => "sales", 1 => "operations", 2 => "finance", _ => "admin" };
        var id = ClaimIds.New(start);
        var claim = new Claim(id, "harbour", owner, dept, owner, ClaimSource.Api, ClaimStatus.Approved,
            new ClaimFields("meals", 100 + i % 900, "HKD", DateOnly.FromDateTime(start.UtcDateTime), "Tsui Wah Restaurant", "Lunch", null, null), [], start, start, start);
        string[] actions = ["claim.submitted", "claim.received", "ocr.extracted", "anomaly.scored", "step.started", "step.reminded", "step.approved", "step.started", "step.approved", "claim.approved"];
        var entries = new List<AuditEntry>();
        var (seq, head) = (0L, AuditEntry.GenesisHash);
        for (var k = 0; k < EntriesPerClaim; k++)
        {
            var actor = k == 0 ? owner : k < 4 ? "system" : "mgr-" + (i % 20).ToString(CultureInfo.InvariantCulture);
            var e = AuditChain.Append(id, seq, head, new AuditDraft(actions[k], actor, k == 0 ? "employee" : "approver", "10.0.0.1", "{\"amount\":\"HKD " + (100 + i % 900) + ".00\",\"step\":" + k + "}"), start.AddSeconds(k));
            entries.Add(e);
            (seq, head) = (e.Sequence, e.Hash);
        }
        return (claim, entries);
    }

    /// <summary>What Azurite itself manages on this machine, measured in the same run.</summary>
    private static async Task RawCeilingAsync(ReimburseStorage storage, CancellationToken cancellationToken)
    {
        var raw = storage.Table("rawceiling");
        await raw.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        const int n = 2_000;
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            await raw.AddEntityAsync(new TableEntity("p" + (i % 50), i.ToString("D8", CultureInfo.InvariantCulture)) { ["V"] = "value " + i }, ct));
        var writes = n / sw.Elapsed.TotalSeconds;
        sw.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            await raw.GetEntityAsync<TableEntity>("p" + (i % 50), i.ToString("D8", CultureInfo.InvariantCulture), cancellationToken: ct));
        var reads = n / sw.Elapsed.TotalSeconds;
        sw.Restart();
        const int batches = 100;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (b, ct) =>
            await raw.SubmitCheckedTransactionAsync(Enumerable.Range(0, 100).Select(k => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("batch" + b, k.ToString("D4", CultureInfo.InvariantCulture)) { ["V"] = "value" })), ct));
        var batchRows = batches * 100 / sw.Elapsed.TotalSeconds;
        sw.Restart();
        var scanned = 0;
        await foreach (var _ in raw.QueryAsync<TableEntity>((string?)null, 1000, cancellationToken: cancellationToken)) scanned++;
        var scan = scanned / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"azurite raw: {writes:N0} single inserts/s, {reads:N0} point reads/s (16 concurrent), {batchRows:N0} rows/s in 100-row batches, {scan:N0} rows/s scanned ({scanned:N0} rows)");
    }

    private static void Report(string what, List<double> ms, double goal)
    {
        ms.Sort();
        double P(double p) => ms[Math.Clamp((int)Math.Ceiling(p * ms.Count) - 1, 0, ms.Count - 1)];
        Console.WriteLine($"{what}: p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms over {ms.Count} runs  (goal p99 ≤ {goal:N0} ms)");
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
