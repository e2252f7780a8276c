using Reimburse.LocalHost;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Azure;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Testing;

namespace Reimburse.Bench;

/// <summary>`bench workflow [claims=200] [concurrency=16] [timerClaims=40]`: claims through a two-level approval (line
/// manager, then any finance officer) with scripted approvers that react to their notifications, over real HTTP and queues,
/// against its own in-memory Azurite; then claims left alone until their reminder; then Azurite's raw ceiling for the same
/// operation mix issued directly.</summary>
public sealed class WorkflowBenchmark : IBenchmark
{
    /// <summary>Workflow clock speed: the 4-working-hour reminder fires 16 s after a step starts.</summary>
    private const double Speed = 900;
    private static readonly DateTimeOffset TuesdayNine = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    public string Name => "workflow";
    public string Description => "claims through a two-level approval over HTTP + queues vs Azurite's ceiling";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        var timerClaims = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 40;

        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken: cancellationToken);
        var seedFolder = WriteSeed();
        var sender = new BenchSender();
        var port = AzuriteInstance.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reimburse:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Reimburse:Storage:ResourcePrefix"] = "bench",
            ["Reimburse:Seed:Demo"] = "true",
            ["Reimburse:Seed:Folder"] = seedFolder,
            ["Reimburse:Workflow:ClockSpeed"] = Speed.ToString(CultureInfo.InvariantCulture),
            ["Reimburse:Workflow:ClockStart"] = TuesdayNine.ToString("O"),
            ["AzureFunctionsJobHost:extensions:queues:batchSize"] = "32",
            ["Reimburse:Standalone:RetryBaseMilliseconds"] = Environment.GetEnvironmentVariable("BENCH_RETRY_MS") ?? "1000",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var functions = builder.AddFunctionsHost();
        builder.Services.AddReimburse(builder.Configuration, builder.Environment);
        // Notifications take the product's path (dispatcher, outcome on the claim's outbox row, the retry outbox when a
        // channel fails) to a configured bench channel, so the request count includes notification delivery.
        builder.Services.AddSingleton<INotificationChannel>(new BenchChannel(sender));
        await using var app = builder.Build();
        app.MapFunctions(functions);
        await app.StartAsync(cancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        while (!(await http.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode)
        {
            await Task.Delay(100, cancellationToken);
        }
        var clients = new ConcurrentDictionary<string, HttpClient>();
        async Task<HttpClient> ClientFor(string user)
        {
            if (clients.TryGetValue(user, out var c)) return c;
            var response = await http.PostAsJsonAsync("/api/dev/tokens", new { userId = user }, cancellationToken);
            var token = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("token").GetString();
            c = new HttpClient { BaseAddress = http.BaseAddress };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return clients.GetOrAdd(user, c);
        }
        foreach (var u in new[] { "mgr-wong", "mgr-lau", "fin-lam", "fin-cheung", "duty-ng", "head-ho" }.Concat(Staff))
        {
            await ClientFor(u);
        }
        var workflowClock = app.Services.GetRequiredService<WorkflowClock>();
        sender.Clock = workflowClock;
        var counter = app.Services.GetRequiredService<ReimburseStorage>().Counter;
        // BENCH_BREAKDOWN=1: count requests per kind too (a stack walk per request, so not for the timed figures).
        counter.Breakdown = Environment.GetEnvironmentVariable("BENCH_BREAKDOWN") == "1";

        // Scripted approvers: whoever is notified first of a step approves it (any-of steps).
        var decidedAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var acting = new ConcurrentDictionary<string, byte>();
        var approverWork = new List<Task>();
        sender.OnRequested = (claimId, user, round, step) =>
        {
            if (!sender.Approving || !acting.TryAdd($"{claimId}:{round}:{step}", 0)) return;
            lock (approverWork)
            {
                approverWork.Add(Task.Run(async () =>
                {
                    var client = await ClientFor(user);
                    decidedAt[$"{claimId}:{step}"] = DateTimeOffset.UtcNow;
                    // A person would click again after an error page; 202 or 409 (already decided) ends it.
                    for (var attempt = 0; attempt < 20; attempt++)
                    {
                        try
                        {
                            var r = await client.PostAsJsonAsync($"/api/claims/{claimId}/decisions", new { decision = "approve", round, step }, cancellationToken);
                            if ((int)r.StatusCode is 202 or 409) return;
                            Console.Error.WriteLine($"decision {claimId} step {step} by {user}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(cancellationToken)}");
                        }
                        catch (HttpRequestException ex)
                        {
                            Console.Error.WriteLine($"decision {claimId} step {step} by {user}: {ex.Message}");
                        }
                        await Task.Delay(200, cancellationToken);
                    }
                }, cancellationToken));
            }
        };

        // Warm-up, not measured: a few claims end to end, so the first scoring's model training and JIT are done before the
        // clock starts (a running service has both behind it).
        sender.Approving = true;
        var warm = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var (employee, body) = Claim(100_000 + i);
            var r = await (await ClientFor(employee)).PostAsJsonAsync("/api/claims", body, cancellationToken);
            warm.Add((await r.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!);
        }
        await UntilAsync(() => warm.All(sender.Approved.ContainsKey), "warm-up claims approved", cancellationToken);
        await Task.Delay(500, cancellationToken);

        // Phase 1: throughput.
        Console.WriteLine($"workflow: {n} claims, {concurrency} concurrent submitters, clock x{Speed}, notifications delivered by the product to a bench channel");
        var submittedAt = new ConcurrentDictionary<string, DateTimeOffset>();
        using var azuriteProcess = azurite.ProcessId is { } pid ? Process.GetProcessById(pid) : null;
        var appCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var azuriteCpu0 = azuriteProcess?.TotalProcessorTime ?? TimeSpan.Zero;
        counter.Reset();
        var wall = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < n; i = Interlocked.Increment(ref next))
            {
                var (employee, body) = Claim(i);
                var client = await ClientFor(employee);
                var start = DateTimeOffset.UtcNow;
                var r = await client.PostAsJsonAsync("/api/claims", body, cancellationToken);
                r.EnsureSuccessStatusCode();
                submittedAt[(await r.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!] = start;
            }
        }, cancellationToken)));
        await UntilAsync(() => submittedAt.Keys.Count(sender.Approved.ContainsKey) >= n, "phase 1 claims approved", cancellationToken);
        var elapsed = wall.Elapsed;
        await Task.Delay(300, cancellationToken); // the last dispatches' watermark writes
        var requests = counter.Count;
        var kinds = counter.Kinds;
        var appCpu = Process.GetCurrentProcess().TotalProcessorTime - appCpu0;
        azuriteProcess?.Refresh();
        var azuriteCpu = (azuriteProcess?.TotalProcessorTime ?? TimeSpan.Zero) - azuriteCpu0;
        sender.Approving = false;

        var firstNotified = submittedAt.Select(kv => (sender.Requested[$"{kv.Key}:0"] - kv.Value).TotalMilliseconds).ToList();
        var nextNotified = submittedAt.Keys.Select(id => (sender.Requested[$"{id}:1"] - decidedAt[$"{id}:0"]).TotalMilliseconds).ToList();
        var throughput = n / elapsed.TotalSeconds;

        // Phase 1b: latency at a sustainable load — open loop at half the measured throughput for about 6 s.
        sender.Approving = true;
        var rate = Math.Max(1, throughput / 2);
        var paced = new ConcurrentDictionary<string, DateTimeOffset>();
        var pacedCount = Math.Max(20, (int)(rate * 6));
        var pacing = Stopwatch.StartNew();
        var inflight = new List<Task>();
        for (var i = 0; i < pacedCount; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - pacing.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            var (employee, body) = Claim(n + i);
            var pacedClient = await ClientFor(employee);
            inflight.Add(Task.Run(async () =>
            {
                var start = DateTimeOffset.UtcNow;
                var r = await pacedClient.PostAsJsonAsync("/api/claims", body, cancellationToken);
                paced[(await r.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!] = start;
            }, cancellationToken));
        }
        await Task.WhenAll(inflight);
        await UntilAsync(() => paced.Keys.Count(sender.Approved.ContainsKey) >= pacedCount, "paced claims approved", cancellationToken);
        sender.Approving = false;
        var pacedFirst = paced.Select(kv => (sender.Requested[$"{kv.Key}:0"] - kv.Value).TotalMilliseconds).ToList();
        var pacedNext = paced.Keys.Select(id => (sender.Requested[$"{id}:1"] - decidedAt[$"{id}:0"]).TotalMilliseconds).ToList();

        // Phase 2: claims left alone until their first reminder (16 s of real time at this clock speed).
        var timerIds = new List<string>();
        var owners = new Dictionary<string, HttpClient>();
        for (var i = 0; i < timerClaims; i++)
        {
            var (employee, body) = Claim(n + pacedCount + i);
            var owner = await ClientFor(employee);
            var r = await owner.PostAsJsonAsync("/api/claims", body, cancellationToken);
            var id = (await r.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!;
            timerIds.Add(id);
            owners[id] = owner;
        }
        var dueAt = new Dictionary<string, DateTimeOffset>();
        foreach (var id in timerIds)
        {
            while (true)
            {
                var w = await owners[id].GetFromJsonAsync<JsonElement>($"/api/claims/{id}/workflow", cancellationToken);
                if (w.GetProperty("reminderDueAt").ValueKind == JsonValueKind.String)
                {
                    dueAt[id] = w.GetProperty("reminderDueAt").GetDateTimeOffset();
                    break;
                }
                await Task.Delay(20, cancellationToken);
            }
        }
        await UntilAsync(() => timerIds.All(sender.Reminded.ContainsKey), "reminders sent", cancellationToken);
        // Lateness in real time: how far the workflow clock was past the due time when the reminder went out, unscaled.
        var lateness = timerIds.Select(id => (sender.RemindedWorkflowTime[id] - dueAt[id]).TotalMilliseconds / Speed).ToList();

        // Phase 3: Azurite's ceiling for the same operation mix, issued directly.
        var sizes = await RowSizesAsync(new TableClient(azurite.ConnectionString, "benchclaims"), submittedAt.Keys.Take(10), cancellationToken);
        var ceilingAppCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        azuriteProcess?.Refresh();
        var ceilingAzuriteCpu0 = azuriteProcess?.TotalProcessorTime ?? TimeSpan.Zero;
        var (ceiling, ceilingRequests) = await CeilingAsync(azurite.ConnectionString, n, concurrency, sizes, cancellationToken);
        var ceilingAppCpu = Process.GetCurrentProcess().TotalProcessorTime - ceilingAppCpu0;
        azuriteProcess?.Refresh();
        var ceilingAzuriteCpu = (azuriteProcess?.TotalProcessorTime ?? TimeSpan.Zero) - ceilingAzuriteCpu0;
        await app.StopAsync(cancellationToken);

        var reviewed = submittedAt.Keys.Count(id => sender.Requested.ContainsKey($"{id}:2"));
        Console.WriteLine($"claims with a third step (finance review of a High-risk claim) in phase 1: {reviewed} of {n}");
        Console.WriteLine($"completed claims/s              {throughput,10:F1}   ({n} claims in {elapsed.TotalSeconds:F2} s)");
        Console.WriteLine($"at {rate:F1} claims/s offered ({pacedCount} claims, half the throughput):");
        Console.WriteLine($"submit -> first approver p50    {P(pacedFirst, 50),10:F0} ms");
        Console.WriteLine($"submit -> first approver p99    {P(pacedFirst, 99),10:F0} ms   (goal <= 1000)");
        Console.WriteLine($"decision -> next notified p99   {P(pacedNext, 99),10:F0} ms   (p50 {P(pacedNext, 50):F0} ms)");
        Console.WriteLine($"saturated ({n} claims at once): submit -> first approver p50 {P(firstNotified, 50):F0} ms, p99 {P(firstNotified, 99):F0} ms; decision -> next p99 {P(nextNotified, 99):F0} ms");
        Console.WriteLine($"timer lateness p99              {P(lateness, 99),10:F0} ms   (p50 {P(lateness, 50):F0} ms, {timerClaims} reminders; goal <= 2000)");
        Console.WriteLine($"storage requests / claim        {requests / (double)n,10:F1}   (all app requests in phase 1 incl. idle polling; goal <= 25)");
        Console.WriteLine($"CPU in phase 1                  app + scripted users {appCpu.TotalSeconds:F1} s, Azurite {azuriteCpu.TotalSeconds:F1} s, over {elapsed.TotalSeconds:F1} s on {Environment.ProcessorCount} cores");
        Console.WriteLine($"Azurite ceiling, same mix       {ceiling,10:F1} claims/s ({ceilingRequests:F1} requests per claim, {concurrency} concurrent; rows as the app's: claim {sizes.Claim} B, audit {sizes.Audit} B, outbox {sizes.Outbox} B)");
        Console.WriteLine($"CPU in the ceiling phase        client {ceilingAppCpu.TotalSeconds:F1} s, Azurite {ceilingAzuriteCpu.TotalSeconds:F1} s, over {n / ceiling:F1} s");
        Console.WriteLine($"share of ceiling                {throughput / ceiling * 100,10:F0} %   (goal >= 60 %)");
        if (kinds.Count > 0)
        {
            Console.WriteLine("storage requests per claim in phase 1, by kind (method, resource, caller):");
            foreach (var (kind, count) in kinds.OrderByDescending(k => k.Value))
            {
                Console.WriteLine($"  {count / (double)n,7:F2}  {kind}");
            }
        }
        return 0;
    }

    /// <summary>Waits for a condition, failing loudly after two minutes instead of hanging.</summary>
    private static async Task UntilAsync(Func<bool> done, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!done())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"Timed out waiting for: {what}.");
            }
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>The bench's own employees (the demo company has three), so claims come from many people as real traffic
    /// does: half report to mgr-wong (sales), half to mgr-lau (operations).</summary>
    private static readonly string[] Staff = Enumerable.Range(1, 240).Select(i => "emp-b" + i.ToString("D3", CultureInfo.InvariantCulture)).ToArray();

    private static readonly (string Category, string[] Merchants, decimal Low, decimal High, string[] What)[] Kinds =
    [
        ("meals", ["Tsui Wah Restaurant", "Maxim's Caterers", "Cafe de Coral", "Fairwood", "Jade Garden"], 48m, 320m, ["Lunch with supplier", "Team lunch", "Working dinner", "Breakfast meeting"]),
        ("transport", ["HK Taxi", "MTR Corporation"], 24m, 260m, ["Taxi to client site", "Airport Express", "Taxi after late shift", "MTR to warehouse"]),
        ("office-supplies", ["Commercial Press", "Wellcome", "PARKnSHOP"], 35m, 420m, ["Printer paper", "Notebooks and pens", "Toner cartridge", "Pantry supplies"]),
    ];

    /// <summary>Claim number <paramref name="i"/>: its employee and body. Deterministic but varied like real traffic —
    /// employee, category, merchant, amount (not round), expense date (a recent weekday) and description all differ, so no
    /// two claims of one employee look like the same expense.</summary>
    private static (string Employee, object Body) Claim(int i)
    {
        var employee = Staff[i % Staff.Length];
        var kind = Kinds[(i + i / Staff.Length) % Kinds.Length];
        var merchant = kind.Merchants[(i / 3) % kind.Merchants.Length];
        var spread = kind.High - kind.Low;
        var amount = decimal.Round(kind.Low + spread * (((i * 7919) % 1000) / 1000m), 1) + 0.3m + (i % 7) / 10m;
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(-1 - (i * 13) % 25);
        while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) day = day.AddDays(-1);
        return (employee, new
        {
            category = kind.Category,
            amount,
            currency = "HKD",
            expenseDate = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            merchant,
            description = kind.What[i % kind.What.Length],
        });
    }

    /// <summary>The demo company with the bench's employees added, in a temporary seed folder.</summary>
    private static string WriteSeed()
    {
        var source = Path.Combine(AzuriteInstance.FindRepoRoot(), "seed", "harbour-trading");
        var folder = Directory.CreateTempSubdirectory("reimburse-bench-seed-").FullName;
        File.Copy(Path.Combine(source, "policy.yaml"), Path.Combine(folder, "policy.yaml"));
        var lines = File.ReadAllLines(Path.Combine(source, "company.yaml")).ToList();
        var at = lines.FindIndex(l => l.TrimStart().StartsWith("- { id: admin,", StringComparison.Ordinal)) + 1;
        lines.InsertRange(at, Staff.Select((id, k) => k % 2 == 0
            ? $"  - {{ id: {id}, name: Bench Staff {k}, email: {id}@harbour.example, department: sales, roles: [employee], manager: mgr-wong }}"
            : $"  - {{ id: {id}, name: Bench Staff {k}, email: {id}@harbour.example, department: operations, roles: [employee], manager: mgr-lau }}"));
        File.WriteAllLines(Path.Combine(folder, "company.yaml"), lines);
        return folder;
    }

    private static double P(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Per synthetic claim, the requests the runtime makes for a two-level claim (see docs/workflow.md, "Measured
    /// after the speed work"), in order, with rows of the same sizes and counts:
    /// intake — queue put, create batch (claim, audit, marker), owner-index upsert;
    /// pipeline — receive + delete the message, then three batches (received, scored, workflow start with two audit; the bench's
    /// claims carry no receipts, so the receipts step writes nothing
    /// entries and three outbox rows), each with the claim (If-Match), its audit rows and the marker;
    /// dispatch after the start, decision 1 and decision 2 — timer put (ledger add after decision 2), the entries' audit
    /// index rows in five partitions and the approvers' index rows through the same group commit as the app
    /// (<see cref="TableUpsertBatcher"/>), then one batch: marker merge (If-Match) and the notification outcome merged into
    /// the Notify outbox row (as large as the app's); decisions — a batch each (two audit rows, five and four
    /// outbox rows). No reads: the app works from the rows it wrote. Returns claims/s and requests per claim.</summary>
    private static async Task<(double ClaimsPerSecond, double RequestsPerClaim)> CeilingAsync(string connectionString, int n, int concurrency, RowSizes sizes, CancellationToken cancellationToken)
    {
        var counter = new StorageRequestCounter();
        var storage = ReimburseStorage.Create(new StorageOptions { ConnectionString = connectionString, MaxRetries = 3, NetworkTimeoutSeconds = 100 }, counter);
        var table = storage.Table("ceilclaims");
        var owners = storage.Table("ceilowners");
        var approvals = storage.Table("ceilapprovals");
        var ledger = storage.Table("ceilledger");
        var indexKinds = new[] { "claim", "actor", "action", "day", "dept" };
        var index = indexKinds.ToDictionary(k => k, k => storage.Table("ceilidx" + k));
        var queue = storage.Queue("ceil-queue");
        var timers = storage.Queue("ceil-timers");
        foreach (var t in new[] { table, owners, approvals, ledger }.Concat(index.Values)) await t.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await timers.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await using var batcher = new TableUpsertBatcher();
        var pad = new string('x', sizes.Claim);
        var auditPad = new string('a', sizes.Audit);
        var outboxPad = new string('o', sizes.Outbox);
        var deliveryPad = new string('d', sizes.Delivery);
        static TableEntity Row(string pk, string rk, string data) => new(pk, rk) { ["Data"] = data, ["Seq"] = 1L };
        counter.Reset();
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < n; i = Interlocked.Increment(ref next))
            {
                var pk = "c" + i.ToString("D6", CultureInfo.InvariantCulture);
                var dept = i % 2 == 0 ? "sales" : "operations";
                var manager = i % 2 == 0 ? "mgr-a" : "mgr-b";
                var seq = 0;
                var outbox = 0;
                Azure.ETag marker = default;
                var undispatched = new List<(string Action, string Actor)>();
                TableEntity Marker() => new(pk, "dispatch") { ["Pending"] = true, ["ChangedAt"] = DateTime.UtcNow };
                TableTransactionAction Audit(string action, string actor)
                {
                    undispatched.Add((action, actor));
                    return new(TableTransactionActionType.Add, Row(pk, $"audit-{++seq:D10}", action + auditPad));
                }

                await queue.SendMessageAsync(pk, cancellationToken: cancellationToken);
                var created = await table.SubmitCheckedTransactionAsync([new(TableTransactionActionType.Add, Row(pk, "claim", pad)), Audit("claim.created", "emp"),
                    new(TableTransactionActionType.UpsertMerge, Marker())], cancellationToken);
                var etag = created.Value[0].Headers.ETag ?? default;
                await owners.UpsertEntityAsync(Row("owner-" + i % 240, pk, "i"), TableUpdateMode.Replace, cancellationToken);
                var got = (await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30), cancellationToken)).Value;
                foreach (var m in got) await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, cancellationToken);

                async Task Change(string[] actions, string actor, int effects)
                {
                    var batch = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, Row(pk, "claim", pad), etag) };
                    batch.AddRange(actions.Select(a => Audit(a, actor)));
                    outbox++;
                    for (var o = 0; o < effects; o++) batch.Add(new(TableTransactionActionType.Add, Row(pk, $"outbox-{outbox:D10}-{o:D3}", outboxPad)));
                    batch.Add(new(TableTransactionActionType.UpsertMerge, Marker()));
                    var results = await table.SubmitCheckedTransactionAsync(batch, cancellationToken);
                    (etag, marker) = (results.Value[0].Headers.ETag ?? default, results.Value[^1].Headers.ETag ?? default);
                }
                async Task Dispatch(Func<Task> effect, string[] approvers, int notifyRows)
                {
                    var day = "day|" + DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
                    var rows = undispatched.SelectMany(e => new[] { ("claim", "claim|" + pk), ("actor", "actor|" + e.Actor), ("action", "action|" + e.Action), ("day", day), ("dept", "dept|" + dept) }
                        .Select(p => (Kind: p.Item1, Row: Row(p.Item2, $"{Stopwatch.GetTimestamp():D19}-{pk}-{e.Action}", auditPad)))).ToList();
                    undispatched.Clear();
                    var work = rows.GroupBy(r => r.Kind).Select(g => batcher.UpsertAsync(index[g.Key], g.Select(r => r.Row).ToList(), cancellationToken)).ToList();
                    if (approvers.Length > 0) work.Add(batcher.UpsertAsync(approvals, approvers.Select(a => Row("user-" + a, pk, "a")).ToList(), cancellationToken));
                    work.Add(effect());
                    await Task.WhenAll(work);
                    // Notifications go out after the other effects; their outcomes are merged into the Notify outbox rows in
                    // the marker's batch.
                    var batch = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateMerge, new TableEntity(pk, "dispatch") { ["Pending"] = false, ["DispatchedAudit"] = (long)seq }, marker) };
                    for (var o = 0; o < notifyRows; o++) batch.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(pk, $"outbox-{outbox:D10}-{o:D3}") { ["Delivery"] = deliveryPad }));
                    await table.SubmitCheckedTransactionAsync(batch, cancellationToken);
                }
                Task Timer() => timers.SendMessageAsync("timers " + pk, TimeSpan.FromSeconds(600), cancellationToken: cancellationToken);

                await Change(["claim.received"], "system", 0);
                await Change(["claim.scored"], "system", 0);
                await Change(["claim.submitted", "step.started"], "system", 3);
                await Dispatch(Timer, [manager], 1);
                await Change(["step.approved", "step.started"], manager, 5);
                await Dispatch(Timer, ["fin-a", "fin-b"], 1);
                await Change(["step.approved", "claim.approved"], "fin-a", 4);
                await Dispatch(() => ledger.AddEntityAsync(Row("20261201", pk, "l"), cancellationToken), [], 1);
            }
        }, cancellationToken)));
        return (n / sw.Elapsed.TotalSeconds, counter.Count / (double)n);
    }

    /// <summary>Average size in characters (property names and values) of the app's rows, so the ceiling writes rows as big.</summary>
    private sealed record RowSizes(int Claim, int Audit, int Outbox, int Delivery);

    private static async Task<RowSizes> RowSizesAsync(TableClient claims, IEnumerable<string> claimIds, CancellationToken cancellationToken)
    {
        var byKind = new Dictionary<string, List<int>>(StringComparer.Ordinal) { ["claim"] = [], ["audit"] = [], ["outbox"] = [] };
        var delivery = new List<int>();
        foreach (var id in claimIds)
        {
            await foreach (var e in claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id}"), cancellationToken: cancellationToken))
            {
                var kind = e.RowKey.StartsWith("audit-", StringComparison.Ordinal) ? "audit" : e.RowKey.StartsWith("outbox-", StringComparison.Ordinal) ? "outbox" : e.RowKey;
                if (e.GetString("Delivery") is { } d)
                {
                    delivery.Add(d.Length);
                }
                if (byKind.TryGetValue(kind, out var list))
                {
                    list.Add(e.Where(kv => kv.Key != "Delivery").Sum(kv => kv.Key.Length + (Convert.ToString(kv.Value, CultureInfo.InvariantCulture)?.Length ?? 0)));
                }
            }
        }
        int Avg(string kind) => byKind[kind].Count == 0 ? 500 : (int)byKind[kind].Average();
        return new RowSizes(Avg("claim"), Avg("audit"), Avg("outbox"), delivery.Count == 0 ? 1000 : (int)delivery.Average());
    }

    /// <summary>A configured channel that hands each delivery to the bench's recorder.</summary>
    private sealed class BenchChannel(BenchSender sender) : INotificationChannel
    {
        public string Name => "bench";

        public bool IsConfigured => true;

        public Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default) =>
            sender.SendAsync(delivery.Notification, cancellationToken);
    }

    /// <summary>Records when each notification first reached the bench channel and wakes the scripted approvers.</summary>
    private sealed class BenchSender
    {
        private readonly ConcurrentDictionary<string, byte> _keys = new();
        public volatile bool Approving;
        public Action<string, string, int, int>? OnRequested;
        public ConcurrentDictionary<string, DateTimeOffset> Requested { get; } = new();
        public ConcurrentDictionary<string, DateTimeOffset> Approved { get; } = new();
        public ConcurrentDictionary<string, DateTimeOffset> Reminded { get; } = new();
        public ConcurrentDictionary<string, DateTimeOffset> RemindedWorkflowTime { get; } = new();
        public WorkflowClock? Clock;

        public Task SendAsync(OutgoingNotification notification, CancellationToken cancellationToken = default)
        {
            if (!_keys.TryAdd(notification.IdempotencyKey, 0))
            {
                return Task.CompletedTask;
            }
            var now = DateTimeOffset.UtcNow;
            var id = notification.ClaimId;
            var step = notification.Data.TryGetValue("step", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : -1;
            var round = notification.Data.TryGetValue("round", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 1;
            switch (notification.Template)
            {
                case "approval-requested":
                    Requested.TryAdd($"{id}:{step}", now);
                    OnRequested?.Invoke(id, notification.RecipientUserIds[0], round, step);
                    break;
                case "approval-reminder":
                    Reminded.TryAdd(id, now);
                    RemindedWorkflowTime.TryAdd(id, WorkflowNow());
                    break;
                case "claim-approved":
                    Approved.TryAdd(id, now);
                    break;
            }
            return Task.CompletedTask;
        }

        private DateTimeOffset WorkflowNow() => Clock?.GetUtcNow() ?? DateTimeOffset.UtcNow;
    }
}
