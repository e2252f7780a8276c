using Reimburse.Functions.Hosting;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Testing;

namespace Reimburse.Bench.Intake;

/// <summary>`bench intake`: N JSON claims over real HTTP at concurrency C against the app process and Azurite, then the
/// same storage operation mix issued directly (Azurite's ceiling), then the pipeline draining the queue.</summary>
public sealed class IntakeBenchmark : IBenchmark
{
    public string Name => "intake";
    public string Description => "claims/s, p50/p99, storage requests per claim, app memory vs Azurite's ceiling [--claims N] [--concurrency C]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var n = Arg(args, "--claims", 2000);
        var c = Arg(args, "--concurrency", 16);
        var warmup = Math.Min(200, n / 10);
        Console.WriteLine($"intake benchmark: {n} JSON claims, concurrency {c}, {Environment.ProcessorCount} cores, Azurite in-memory");

        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken: cancellationToken);
        var prefix = "b" + Guid.NewGuid().ToString("N")[..8];

        // Phase 1: intake only (trigger loop off), so the storage count is the intake path's alone.
        await using (var app = await AppUnderTest.StartAsync(azurite.ConnectionString, prefix, standalone: false, cancellationToken))
        {
            var users = new[] { "emp-chan", "emp-lee", "emp-tam", "mgr-wong", "mgr-lau" };
            var clients = new List<HttpClient>();
            foreach (var u in users) clients.Add(await app.ClientForAsync(u, c, cancellationToken));

            await SubmitAsync(clients, warmup, c, cancellationToken);
            var before = await app.DiagnosticsAsync(cancellationToken);
            using var sampler = new MemorySampler(app.Process);
            var sw = Stopwatch.StartNew();
            var latencies = await SubmitAsync(clients, n, c, cancellationToken);
            sw.Stop();
            var after = await app.DiagnosticsAsync(cancellationToken);
            var peak = sampler.Stop();

            var rate = n / sw.Elapsed.TotalSeconds;
            var perClaim = (after.StorageRequests - before.StorageRequests) / (double)n;
            var ceiling = await CeilingAsync(azurite.ConnectionString, n, c, cancellationToken);

            latencies.Sort();
            Console.WriteLine();
            Console.WriteLine("| figure | value | goal |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| claims/s over HTTP | {rate:F0} | |");
            Console.WriteLine($"| Azurite ceiling, same operation mix direct (claims/s) | {ceiling:F0} | |");
            Console.WriteLine($"| share of ceiling | {rate / ceiling:P0} | >= 70% |");
            Console.WriteLine($"| latency p50 | {Pct(latencies, 0.50):F1} ms | |");
            Console.WriteLine($"| latency p99 | {Pct(latencies, 0.99):F1} ms | <= 250 ms |");
            Console.WriteLine($"| storage requests per JSON claim (intake) | {perClaim:F2} | <= 4 |");
            Console.WriteLine($"| app peak working set | {peak / 1024.0 / 1024:F0} MB | <= 250 MB |");
        }

        // The pipeline after intake is the claim orchestration on the Durable Task engine: `bench workflow` measures it.
        return 0;
    }

    private static async Task<List<double>> SubmitAsync(List<HttpClient> clients, int count, int concurrency, CancellationToken cancellationToken)
    {
        var latencies = new List<double>(count);
        var next = -1;
        var expenseDate = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(-1).ToString("yyyy-MM-dd");
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            var local = new List<double>();
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var client = clients[i % clients.Count];
                var body = new { category = i % 3 == 0 ? "transport" : "meals", amount = 50 + i % 400 + 0.5m, expenseDate, merchant = i % 2 == 0 ? "Tsui Wah Restaurant" : "HK Taxi", description = $"bench {i}" };
                var sw = Stopwatch.StartNew();
                var r = await client.PostAsJsonAsync("/api/claims", body, cancellationToken);
                sw.Stop();
                if ((int)r.StatusCode != 202) throw new InvalidOperationException($"claim {i}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(cancellationToken)}");
                local.Add(sw.Elapsed.TotalMilliseconds);
            }
            lock (latencies) latencies.AddRange(local);
        });
        await Task.WhenAll(workers);
        return latencies;
    }

    /// <summary>The intake's storage mix issued directly: claim/audit batch + index upsert per claim, and what scheduling the
    /// claim's orchestration costs the engine (its instances row and its control-queue message).</summary>
    private static async Task<double> CeilingAsync(string connectionString, int n, int concurrency, CancellationToken cancellationToken)
    {
        var storage = ReimburseStorage.Create(new StorageOptions { ConnectionString = connectionString, ResourcePrefix = "c" + Guid.NewGuid().ToString("N")[..8] });
        var queue = storage.Queue("q");
        var claims = storage.Table("claims");
        var index = storage.Table("index");
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await claims.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await index.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var instances = storage.Table("instances");
        await instances.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var payload = new string('x', 900);
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                var id = Guid.NewGuid().ToString("N");
                await queue.SendMessageAsync(JsonSerializer.Serialize(new { claimId = id }), cancellationToken: cancellationToken);
                await claims.SubmitCheckedTransactionAsync(
                [
                    new(TableTransactionActionType.Add, new TableEntity(id, "claim") { ["Data"] = payload }),
                    new(TableTransactionActionType.Add, new TableEntity(id, "audit-0000000001") { ["Data"] = payload }),
                ], cancellationToken);
                await index.UpsertEntityAsync(new TableEntity("owner-u" + (i % 5), id) { ["ClaimId"] = id }, TableUpdateMode.Replace, cancellationToken);
                await instances.UpsertEntityAsync(new TableEntity(id, "") { ["Name"] = "ClaimOrchestration", ["Input"] = payload[..200], ["RuntimeStatus"] = "Pending" }, TableUpdateMode.Merge, cancellationToken);
            }
        }));
        return n / sw.Elapsed.TotalSeconds;
    }

    private static double Pct(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    /// <summary>Samples a process's working set until stopped; returns the peak.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<long> _task;

        public MemorySampler(Process process) => _task = Task.Run(async () =>
        {
            long peak = 0;
            while (!_stop.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
            }
            return peak;
        });

        public long Stop()
        {
            _stop.Cancel();
            return _task.GetAwaiter().GetResult();
        }

        public void Dispose() => _stop.Dispose();
    }
}

/// <summary>The app as its own process (Release build), as it would run in production.</summary>
public sealed class AppUnderTest : IAsyncDisposable
{
    private AppUnderTest(Process process, Uri baseAddress) => (Process, BaseAddress) = (process, baseAddress);

    public Process Process { get; }
    public Uri BaseAddress { get; }

    public sealed record Diagnostics(long StorageRequests, long WorkingSetBytes);

    public static async Task<AppUnderTest> StartAsync(string connectionString, string prefix, bool standalone, CancellationToken cancellationToken, Dictionary<string, string>? extra = null)
    {
        var dll = Path.Combine(AzuriteInstance.FindRepoRoot(), "functions", "Reimburse.LocalHost", "bin", "Release", "net10.0", "Reimburse.LocalHost.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Build the app first: dotnet build functions/Reimburse.LocalHost -c Release ({dll} is missing).");
        }
        var port = AzuriteInstance.FreePort();
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["Reimburse__Storage__ConnectionString"] = connectionString;
        psi.Environment["Reimburse__Storage__ResourcePrefix"] = prefix;
        psi.Environment["Reimburse__Seed__Demo"] = "true";
        psi.Environment["LocalHost__Triggers"] = standalone ? "true" : "false";
        // Intake only: the claim orchestrations are scheduled (the durable client) but not run here, as the queue-fed
        // pipeline was not run before the engine (`bench workflow` measures the orchestrations).
        psi.Environment["LocalHost__DurableWorker"] = standalone ? "true" : "false";
        psi.Environment["Reimburse__Identity__DevTokenKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 3)).ToArray());
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in extra ?? [])
        {
            psi.Environment[k] = v;
        }
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[app] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new AppUnderTest(process, new Uri($"http://127.0.0.1:{port}"));
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode) return app;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException("The app did not start.");
    }

    public async Task<HttpClient> ClientForAsync(string userId, int connections, CancellationToken cancellationToken)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = BaseAddress };
        var r = await client.PostAsJsonAsync("/api/dev/tokens", new { userId }, cancellationToken);
        r.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(cancellationToken));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", doc.RootElement.GetProperty("token").GetString());
        return client;
    }

    public async Task<Diagnostics> DiagnosticsAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/dev/diagnostics", cancellationToken));
        return new Diagnostics(doc.RootElement.GetProperty("storageRequests").GetInt64(), doc.RootElement.GetProperty("workingSetBytes").GetInt64());
    }

    public ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        Process.Dispose();
        return ValueTask.CompletedTask;
    }
}
