using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.LocalHost;
using Reimburse.LocalHost.Durable;
using Reimburse.Testing;

namespace Reimburse.Bench;

/// <summary>
/// `bench workflow [--claims 150] [--concurrency 16] [--timers 20] [--light-claims 10] [--light-timers 4] [--idle 30]`:
/// two-level approvals on the Durable Task engine (Azure Storage provider) through Reimburse.LocalHost, side by side:
/// the engine with host.json's extensions.durableTask as committed ("tuned"), the engine at stock Durable Functions
/// settings ("stock"), and the version-1 figures from docs/workflow.md. Each engine column runs in its own process with a
/// fresh Azurite and task hub, behind a proxy that counts every request reaching Azurite (app and engine). Two shapes:
/// sustained (all claims at once, then latencies at half that throughput, then claims left to their reminder) and
/// office-like light load (claims trickling in, approvers deciding 2–5 s after their notification). Then idle requests/s.
/// </summary>
public sealed class WorkflowBenchmark : IBenchmark
{
    /// <summary>Workflow clock speed: the 4-working-hour reminder comes due 16 s after a step starts.</summary>
    private const double Speed = 900;
    private static readonly DateTimeOffset TuesdayNine = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    /// <summary>Version 1 (home-made runtime on queues and tables), final run in docs/workflow.md, "Notifications delivered
    /// by the dispatcher", 2026-12-01 18:24 UTC, load 1.1 → 1.3, `workflow 200 16 40`: sustained shape only; its requests
    /// per claim are the app's own count, which then saw every request (there was no engine). Light load and idle were not
    /// measured.</summary>
    private static readonly ShapeResult V1Sustained = new(24.1, 200, double.NaN, 243, 466, double.NaN, 344, 169, double.NaN, 40, 22.3, 22.3, 0);

    /// <summary>Durable Functions' documented host.json defaults (Azure Storage provider) for every key our host.json sets.</summary>
    private static readonly Dictionary<string, string> StockDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["storageProvider:partitionCount"] = "4",
        ["storageProvider:maxQueuePollingInterval"] = "00:00:30",
        ["storageProvider:controlQueueBufferThreshold"] = "256",
        ["storageProvider:controlQueueBatchSize"] = "32",
        ["storageProvider:controlQueueVisibilityTimeout"] = "00:05:00",
        ["storageProvider:workItemQueueVisibilityTimeout"] = "00:05:00",
        ["maxConcurrentActivityFunctions"] = (10 * Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
        ["maxConcurrentOrchestratorFunctions"] = (10 * Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
        ["extendedSessionsEnabled"] = "false",
        ["extendedSessionIdleTimeoutInSeconds"] = "30",
    };

    /// <summary>Keys that name things rather than tune them: both columns keep them.</summary>
    private static readonly string[] Naming = ["hubName", "storageProvider:type", "storageProvider:connectionName", "storageProvider:connectionStringName"];

    public string Name => "workflow";
    public string Description => "two-level approvals on the Durable Task engine: tuned vs stock settings vs version 1 [--claims N] [--light-claims N] [--idle s]";

    /// <summary>Figures of one shape.</summary>
    public sealed record ShapeResult(double ClaimsPerSecond, int Claims, double Seconds, double FirstP50, double FirstP99, double NextP50, double NextP99,
        double TimerP99, double TimerMin, int Timers, double RequestsPerClaim, double AppRequestsPerClaim, int MissedReminders);

    /// <summary>Figures of one engine column.</summary>
    public sealed record ColumnResult(string Column, ShapeResult Sustained, ShapeResult Light, double IdlePerSecond, double AppIdlePerSecond, int IdleSeconds,
        string LoadBefore, string LoadAfter, string EngineSettings);

    private sealed record Options(int Claims, int Concurrency, int Timers, int LightClaims, int LightTimers, int IdleSeconds, string? Column);

    private static Options Parse(string[] args)
    {
        int Int(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var c = Array.IndexOf(args, "--column");
        return new Options(Int("--claims", 150), Int("--concurrency", 16), Int("--timers", 20), Int("--light-claims", 10), Int("--light-timers", 4),
            Int("--idle", 30), c >= 0 && c + 1 < args.Length ? args[c + 1] : null);
    }

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var o = Parse(args);
        if (o.Column is { } column)
        {
            var result = await RunColumnAsync(column, o, cancellationToken);
            Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
            return 0;
        }

        Console.WriteLine($"workflow: Durable Task engine (Azure Storage provider) through Reimburse.LocalHost, clock x{Speed}, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  sustained: {o.Claims} claims at concurrency {o.Concurrency} (throughput, requests/claim), then ~6 s at half that rate (latencies), then {o.Timers} claims left to their reminder");
        Console.WriteLine($"  light: {o.LightClaims} claims arriving every 4-8 s, approvers deciding 2-5 s after their notification, {o.LightTimers} claims left to their reminder");
        Console.WriteLine($"  idle: requests/s over {o.IdleSeconds} s after the run, nothing in flight; every request to Azurite counted by a proxy (app + engine)");
        var started = Stopwatch.StartNew();
        var columns = new List<ColumnResult>();
        foreach (var name in new[] { "tuned", "stock" })
        {
            columns.Add(await RunChildAsync(name, args, cancellationToken));
        }
        Print(columns[0], columns[1], o);
        Console.WriteLine($"whole run {started.Elapsed.TotalMinutes:F1} min");
        return 0;
    }

    /// <summary>One column in its own process: a fresh runtime, Azurite and task hub, nothing left over from the other.</summary>
    private static async Task<ColumnResult> RunChildAsync(string column, string[] args, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            psi.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        }
        psi.ArgumentList.Add("workflow");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--column");
        psi.ArgumentList.Add(column);
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the column process.");
        using var kill = cancellationToken.Register(() => child.Kill(entireProcessTree: true));
        ColumnResult? result = null;
        while (await child.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) result = JsonSerializer.Deserialize<ColumnResult>(line[7..]);
            else Console.WriteLine($"  [{column}] {line}");
        }
        await child.WaitForExitAsync(cancellationToken);
        return result ?? throw new InvalidOperationException($"The {column} column exited with {child.ExitCode} and no result.");
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static async Task<ColumnResult> RunColumnAsync(string column, Options o, CancellationToken cancellationToken)
    {
        var loadBefore = Load();
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken: cancellationToken);
        if (azurite.BlobPort == 0) throw new InvalidOperationException("bench workflow starts its own Azurite per column; unset REIMBURSE_TEST_STORAGE.");
        await using var proxy = StorageRequestProxy.Start(azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        // BENCH_NO_PROXY=1: straight to Azurite (to rule the proxy out; request counts then read 0).
        var storage = Environment.GetEnvironmentVariable("BENCH_NO_PROXY") == "1" ? azurite.ConnectionString : proxy.ConnectionString;
        var hostJson = Path.Combine(AzuriteInstance.FindRepoRoot(), "host.json");
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["LocalHost:HostJson"] = hostJson,
            ["Reimburse:Storage:ConnectionString"] = storage,
            ["Reimburse:Storage:ResourcePrefix"] = "bench",
            ["Reimburse:Seed:Demo"] = "true",
            ["Reimburse:Seed:Folder"] = WriteSeed(),
            ["Reimburse:Workflow:ClockSpeed"] = Speed.ToString(CultureInfo.InvariantCulture),
            ["Reimburse:Workflow:ClockStart"] = TuesdayNine.ToString("O"),
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("BENCH_LOG") ?? "Warning",
            ["Logging:LogLevel:DurableTask"] = "Error",
            ["Logging:LogLevel:Azure"] = "Error",
        };
        if (column == "stock")
        {
            foreach (var (key, value) in StockOverrides(hostJson)) settings[key] = value;
        }
        var sender = new BenchSender();
        // The reminder ladder's SMS and calls go to a loopback stand-in for Twilio's REST API (BenchTwilio below).
        await using var twilio = await BenchTwilio.StartAsync(sender);
        foreach (var (key, value) in twilio.Settings()) settings[key] = value;
        var port = AzuriteInstance.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var functions = builder.AddFunctionsHost();
        builder.Services.AddReimburse(builder.Configuration, builder.Environment);
        // Notifications take the product's path (the notification activity, its channels) to a configured bench channel.
        builder.Services.AddSingleton<INotificationChannel>(new BenchChannel(sender));
        await using var app = builder.Build();
        app.MapFunctions(functions);
        var engine = app.Configuration.GetSection(DurableTaskOptions.Section).Get<DurableTaskOptions>() ?? new DurableTaskOptions();
        var sp = engine.StorageProvider;
        var engineSettings = string.Create(CultureInfo.InvariantCulture,
            $"partitionCount {sp.PartitionCount}, maxQueuePollingInterval {sp.MaxQueuePollingInterval}, controlQueueBufferThreshold {sp.ControlQueueBufferThreshold}, controlQueueBatchSize {sp.ControlQueueBatchSize?.ToString(CultureInfo.InvariantCulture) ?? "engine default"}, visibility {sp.ControlQueueVisibilityTimeout}/{sp.WorkItemQueueVisibilityTimeout}, maxConcurrent activities/orchestrations {engine.MaxConcurrentActivityFunctions?.ToString(CultureInfo.InvariantCulture) ?? "engine default"}/{engine.MaxConcurrentOrchestratorFunctions?.ToString(CultureInfo.InvariantCulture) ?? "engine default"}, extended sessions {(engine.ExtendedSessionsEnabled ? $"on ({engine.ExtendedSessionIdleTimeoutInSeconds} s)" : "off")}");
        Console.WriteLine($"engine settings as LocalHost passes them: {engineSettings}");
        await app.StartAsync(cancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await UntilAsync(async () => (await http.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode, "app ready", TimeSpan.FromMinutes(3), cancellationToken);
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
        sender.Clock = app.Services.GetRequiredService<WorkflowClock>();
        var appCounter = app.Services.GetRequiredService<ReimburseStorage>().Counter;

        // Scripted approvers: whoever is notified first of a step approves it, after a think time; claims held for their
        // reminder are left alone until it has gone out (their requests wait in `waiting`).
        var random = new Random(11);
        var thinkMs = (Min: 0, Max: 0);
        var decidedAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var acting = new ConcurrentDictionary<string, byte>();
        // A notification can beat the submit's response: requests for claims not yet released wait for their release.
        var released = new HashSet<string>(StringComparer.Ordinal);
        var waiting = new List<(string ClaimId, string User, int Round, int Step)>();
        void Release(string claimId)
        {
            List<(string ClaimId, string User, int Round, int Step)> due;
            lock (released)
            {
                released.Add(claimId);
                due = waiting.Where(w => w.ClaimId == claimId).ToList();
                waiting.RemoveAll(w => w.ClaimId == claimId);
            }
            foreach (var w in due) Approve(w.ClaimId, w.User, w.Round, w.Step);
        }
        void Approve(string claimId, string user, int round, int step)
        {
            lock (released)
            {
                if (!released.Contains(claimId))
                {
                    waiting.Add((claimId, user, round, step));
                    return;
                }
            }
            if (!acting.TryAdd($"{claimId}:{round}:{step}", 0)) return;
            int think;
            lock (random) think = random.Next(thinkMs.Min, thinkMs.Max + 1);
            _ = Task.Run(async () =>
            {
                if (think > 0) await Task.Delay(think, cancellationToken);
                var client = await ClientFor(user);
                decidedAt[$"{claimId}:{step}"] = DateTimeOffset.UtcNow;
                // A person would click again after an error page; 202 or 409 (already decided) ends it.
                for (var attempt = 0; attempt < 20; attempt++)
                {
                    try
                    {
                        var r = await client.PostAsJsonAsync($"/api/claims/{claimId}/decisions", new { decision = "approve", round, step }, cancellationToken);
                        if ((int)r.StatusCode is 202 or 409) return;
                        Console.WriteLine($"decision {claimId} step {step} by {user}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(cancellationToken)}");
                    }
                    catch (HttpRequestException ex)
                    {
                        Console.WriteLine($"decision {claimId} step {step} by {user}: {ex.Message}");
                    }
                    await Task.Delay(200, cancellationToken);
                }
            }, cancellationToken);
        }
        sender.OnRequested = Approve;

        async Task<string> SubmitAsync(int i, ConcurrentDictionary<string, DateTimeOffset>? at, bool hold)
        {
            var (employee, body) = Claim(i);
            var client = await ClientFor(employee);
            var start = DateTimeOffset.UtcNow;
            var r = await client.PostAsJsonAsync("/api/claims", body, cancellationToken);
            r.EnsureSuccessStatusCode();
            var id = (await r.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!;
            if (at is not null) at[id] = start;
            if (!hold) Release(id);
            return id;
        }

        // Claims left alone until their reminder: lateness is how far the workflow clock was past the due time when the
        // reminder reached the channel, unscaled to real time. Then they are approved, so nothing stays in flight.
        // The first reminder's due time, read right after the submit (once it has gone out, the status shows the next one).
        async Task<DateTimeOffset> DueAsync(string id, HttpClient owner)
        {
            DateTimeOffset? found = null;
            await UntilAsync(async () =>
            {
                var w = await owner.GetFromJsonAsync<JsonElement>($"/api/claims/{id}/workflow", cancellationToken);
                if (w.TryGetProperty("reminderDueAt", out var due) && due.ValueKind == JsonValueKind.String) found = due.GetDateTimeOffset();
                // The ladder's first rung (SMS) for the first approver, while it is still scheduled.
                if (w.TryGetProperty("ladder", out var ladder) && ladder.ValueKind == JsonValueKind.Array
                    && ladder.EnumerateArray().FirstOrDefault(r => r.GetProperty("channel").GetString() == "sms") is { ValueKind: JsonValueKind.Object } sms)
                {
                    twilio.SmsDue.TryAdd(id, sms.GetProperty("dueAt").GetDateTimeOffset());
                }
                return found is not null;
            }, $"reminder due time of {id}", TimeSpan.FromMinutes(2), cancellationToken, pollMs: 50);
            return found!.Value;
        }

        async Task<(List<double> Lateness, int Missed)> RemindersAsync(List<string> ids, Dictionary<string, DateTimeOffset> dueAt)
        {
            var missed = 0;
            try
            {
                await UntilAsync(() => Task.FromResult(ids.All(sender.Reminded.ContainsKey)), "reminders sent", TimeSpan.FromMinutes(2), cancellationToken);
            }
            catch (TimeoutException)
            {
                missed = ids.Count(id => !sender.Reminded.ContainsKey(id));
                Console.WriteLine($"{missed} of {ids.Count} reminders never arrived within 2 minutes of coming due");
            }
            var lateness = ids.Where(sender.RemindedWorkflowTime.ContainsKey).Select(id => (sender.RemindedWorkflowTime[id] - dueAt[id]).TotalMilliseconds / Speed).ToList();
            foreach (var id in ids) Release(id);
            try
            {
                await UntilAsync(() => Task.FromResult(ids.All(sender.Approved.ContainsKey)), "reminded claims approved", TimeSpan.FromMinutes(2), cancellationToken);
            }
            catch (TimeoutException ex)
            {
                Console.WriteLine(ex.Message + " (idle figure may include their work)");
            }
            return (lateness, missed);
        }

        // Warm-up, not measured: a few claims end to end (model training, JIT, the engine's first leases).
        var next = 100_000;
        var warm = new List<string>();
        for (var i = 0; i < 8; i++) warm.Add(await SubmitAsync(next++, null, false));
        try
        {
            await UntilAsync(() => Task.FromResult(warm.All(sender.Approved.ContainsKey)), "warm-up claims approved", TimeSpan.FromMinutes(warm.Count > 0 && Environment.GetEnvironmentVariable("BENCH_WARM_SECONDS") is { } ws ? double.Parse(ws, CultureInfo.InvariantCulture) / 60 : 3), cancellationToken);
        }
        catch (TimeoutException)
        {
            // Say why: the orchestration's status and failure, as the engine recorded them.
            var durable = app.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
            foreach (var id in warm.Where(id => !sender.Approved.ContainsKey(id)).Take(2))
            {
                var state = await durable.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
                var history = new Azure.Data.Tables.TableClient(azurite.ConnectionString, "benchreimburseHistory");
                await foreach (var row in history.QueryAsync<Azure.Data.Tables.TableEntity>(Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {id}"), cancellationToken: cancellationToken))
                {
                    Console.WriteLine($"  history {row.RowKey}: {string.Join(", ", row.Keys.Select(k => k + "=" + (row[k]?.ToString() is { Length: > 40 } v ? v[..40] : row[k])))}");
                }
                Console.WriteLine($"{id}: {state?.RuntimeStatus} {state?.FailureDetails?.ErrorType} {state?.FailureDetails?.ErrorMessage} {state?.FailureDetails?.StackTrace} output {state?.SerializedOutput} status {state?.SerializedCustomStatus}");
            }
            throw;
        }
        await Task.Delay(500, cancellationToken);

        // Sustained, phase 1: all claims at once at the given concurrency.
        Console.WriteLine($"sustained: {o.Claims} claims (load {Load()})");
        var submittedAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var proxy0 = proxy.Count;
        var app0 = appCounter.Count;
        var sustainedBy0 = proxy.ByResource;
        var wall = Stopwatch.StartNew();
        var n0 = next;
        next += o.Claims;
        var cursor = -1;
        await Task.WhenAll(Enumerable.Range(0, o.Concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref cursor); i < o.Claims; i = Interlocked.Increment(ref cursor)) await SubmitAsync(n0 + i, submittedAt, false);
        }, cancellationToken)));
        await UntilAsync(() => Task.FromResult(submittedAt.Keys.All(sender.Approved.ContainsKey)), "sustained claims approved", TimeSpan.FromMinutes(5), cancellationToken);
        var elapsed = wall.Elapsed;
        var requests = proxy.Count - proxy0;
        var appRequests = appCounter.Count - app0;
        var throughput = o.Claims / elapsed.TotalSeconds;
        foreach (var (resource, count) in proxy.ByResource.Select(kv => (kv.Key, kv.Value - sustainedBy0.GetValueOrDefault(kv.Key))).Where(x => x.Item2 > 0).OrderByDescending(x => x.Item2).Take(15))
        {
            Console.WriteLine($"    {count / (double)o.Claims,6:F2}/claim  {resource}");
        }
        var reviewed = submittedAt.Keys.Count(id => sender.Requested.ContainsKey($"{id}:2"));
        Console.WriteLine($"  {throughput:F1} claims/s; {requests / (double)o.Claims:F1} requests/claim ({appRequests / (double)o.Claims:F1} the app's own); {reviewed} with a third step");

        // Sustained, phase 1b: latency at a sustainable load, open loop at half the measured throughput for about 6 s.
        var rate = Math.Max(1, throughput / 2);
        var paced = new ConcurrentDictionary<string, DateTimeOffset>();
        var pacedCount = Math.Max(20, (int)(rate * 6));
        var pacing = Stopwatch.StartNew();
        var inflight = new List<Task>();
        var p0 = next;
        next += pacedCount;
        for (var i = 0; i < pacedCount; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - pacing.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            var k = p0 + i;
            inflight.Add(Task.Run(() => SubmitAsync(k, paced, false), cancellationToken));
        }
        await Task.WhenAll(inflight);
        await UntilAsync(() => Task.FromResult(paced.Keys.All(sender.Approved.ContainsKey)), "paced claims approved", TimeSpan.FromMinutes(5), cancellationToken);
        var first = paced.Select(kv => (sender.Requested[$"{kv.Key}:0"] - kv.Value).TotalMilliseconds).ToList();
        var nextNotified = paced.Keys.Select(id => (sender.Requested[$"{id}:1"] - decidedAt[$"{id}:0"]).TotalMilliseconds).ToList();
        Console.WriteLine($"  at {rate:F1} claims/s offered ({pacedCount} claims): first notified p99 {P(first, 99):F0} ms, decision -> next p99 {P(nextNotified, 99):F0} ms");

        // Sustained, phase 2: claims left alone until their reminder.
        var timerIds = new List<string>();
        var owners = new Dictionary<string, HttpClient>();
        var timerDue = new Dictionary<string, DateTimeOffset>();
        for (var i = 0; i < o.Timers; i++)
        {
            var k = next++;
            var id = await SubmitAsync(k, null, true);
            timerIds.Add(id);
            owners[id] = await ClientFor(Claim(k).Employee);
        }
        foreach (var id in timerIds) timerDue[id] = await DueAsync(id, owners[id]);
        var (lateness, missed) = await RemindersAsync(timerIds, timerDue);
        Console.WriteLine($"  reminders: lateness p99 {P(lateness, 99):F0} ms, min {Min(lateness):F0} ms");
        var smsLateness = twilio.SmsLateness(timerIds, Speed);
        Console.WriteLine($"  ladder: step start -> SMS handed to the provider, past the rung's due time: p99 {P(smsLateness, 99):F0} ms, min {Min(smsLateness):F0} ms "
            + $"({smsLateness.Count} of {timerIds.Count} claims; goal <= 30000 ms); SMS + calls sent {twilio.Sent}, duplicate sends {twilio.Duplicates}");
        var sustained = new ShapeResult(throughput, o.Claims, elapsed.TotalSeconds, P(first, 50), P(first, 99), P(nextNotified, 50), P(nextNotified, 99),
            P(lateness, 99), Min(lateness), lateness.Count, requests / (double)o.Claims, appRequests / (double)o.Claims, missed);

        // Light: claims trickling in (one every 4–8 s), approvers deciding 2–5 s after their notification, a few claims left
        // to their reminder among them.
        Console.WriteLine($"light: {o.LightClaims} claims (load {Load()})");
        thinkMs = (2000, 5000);
        var lightTimers = new List<string>();
        var lightDue = new Dictionary<string, DateTimeOffset>();
        var light = new ConcurrentDictionary<string, DateTimeOffset>();
        var lightWall = Stopwatch.StartNew();
        proxy0 = proxy.Count;
        app0 = appCounter.Count;
        var lightSubmits = new List<Task>();
        for (var i = 0; i < o.LightClaims; i++)
        {
            if (i < o.LightTimers)
            {
                var k = next++;
                var id = await SubmitAsync(k, null, true);
                lightTimers.Add(id);
                lightDue[id] = await DueAsync(id, await ClientFor(Claim(k).Employee));
            }
            var c = next++;
            lightSubmits.Add(SubmitAsync(c, light, false));
            int gap;
            lock (random) gap = random.Next(4000, 8001);
            if (i < o.LightClaims - 1) await Task.Delay(gap, cancellationToken);
        }
        await Task.WhenAll(lightSubmits);
        var lightReminders = RemindersAsync(lightTimers, lightDue);
        await UntilAsync(() => Task.FromResult(light.Keys.All(sender.Approved.ContainsKey)), "light claims approved", TimeSpan.FromMinutes(5), cancellationToken);
        var lightElapsed = lightWall.Elapsed;
        var (lightLateness, lightMissed) = await lightReminders;
        var lightRequests = proxy.Count - proxy0;
        var lightAppRequests = appCounter.Count - app0;
        var lightFirst = light.Select(kv => (sender.Requested[$"{kv.Key}:0"] - kv.Value).TotalMilliseconds).ToList();
        var lightNext = light.Keys.Select(id => (sender.Requested[$"{id}:1"] - decidedAt[$"{id}:0"]).TotalMilliseconds).ToList();
        // Requests per claim over the whole light phase (its claims and the reminded ones), idle polling between them included.
        var lightCount = o.LightClaims + lightTimers.Count;
        var lightResult = new ShapeResult(light.Count / lightElapsed.TotalSeconds, light.Count, lightElapsed.TotalSeconds, P(lightFirst, 50), P(lightFirst, 99),
            P(lightNext, 50), P(lightNext, 99), P(lightLateness, 99), Min(lightLateness), lightLateness.Count, lightRequests / (double)lightCount,
            lightAppRequests / (double)lightCount, lightMissed);
        Console.WriteLine($"  first notified p99 {lightResult.FirstP99:F0} ms, decision -> next p99 {lightResult.NextP99:F0} ms, reminders p99 {lightResult.TimerP99:F0} ms");

        // Idle: nothing in flight; every request that still reaches Azurite.
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        Console.WriteLine($"idle: {o.IdleSeconds} s (load {Load()})");
        proxy0 = proxy.Count;
        app0 = appCounter.Count;
        var (b0, q0, t0) = proxy.ByService;
        var r0 = proxy.ByResource;
        await Task.Delay(TimeSpan.FromSeconds(o.IdleSeconds), cancellationToken);
        var idle = (proxy.Count - proxy0) / (double)o.IdleSeconds;
        var appIdle = (appCounter.Count - app0) / (double)o.IdleSeconds;
        var (b1, q1, t1) = proxy.ByService;
        Console.WriteLine($"  {idle:F2} requests/s (blob {(b1 - b0) / (double)o.IdleSeconds:F2}, queue {(q1 - q0) / (double)o.IdleSeconds:F2}, table {(t1 - t0) / (double)o.IdleSeconds:F2}; the app's own {appIdle:F2})");
        foreach (var (resource, count) in proxy.ByResource.Select(kv => (kv.Key, kv.Value - r0.GetValueOrDefault(kv.Key))).Where(x => x.Item2 > 0).OrderByDescending(x => x.Item2).Take(12))
        {
            Console.WriteLine($"    {count / (double)o.IdleSeconds,6:F2}/s  {resource}");
        }
        var loadAfter = Load();
        await app.StopAsync(cancellationToken);
        return new ColumnResult(column, sustained, lightResult, idle, appIdle, o.IdleSeconds, loadBefore, loadAfter, engineSettings);
    }

    /// <summary>Every tuning key host.json's extensions.durableTask sets, at Durable Functions' default.</summary>
    private static Dictionary<string, string?> StockOverrides(string hostJson)
    {
        var flat = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        using (var doc = JsonDocument.Parse(File.ReadAllText(hostJson)))
        {
            if (doc.RootElement.TryGetProperty("extensions", out var ext) && ext.TryGetProperty("durableTask", out var dt)) Flatten(dt, "", flat);
        }
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in flat.Keys.Where(k => !Naming.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            if (StockDefaults.TryGetValue(key, out var stock)) overrides[$"{DurableTaskOptions.Section}:{key}"] = stock;
            else Console.WriteLine($"warning: host.json durableTask:{key} has no stock default in the bench; both columns use {flat[key]}");
        }
        // LocalHost's own defaults for keys host.json leaves out are already the stock ones (partitionCount 4, polling 30 s).
        foreach (var (key, stock) in StockDefaults.Where(kv => kv.Key.StartsWith("storageProvider:", StringComparison.Ordinal)))
        {
            overrides.TryAdd($"{DurableTaskOptions.Section}:{key}", stock);
        }
        return overrides;
    }

    private static void Flatten(JsonElement e, string prefix, Dictionary<string, string?> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : prefix + ":" + p.Name, into);
        }
        else
        {
            into[prefix] = e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
        }
    }

    private static void Print(ColumnResult tuned, ColumnResult stock, Options o)
    {
        static string F(double v, string format = "F0") => double.IsNaN(v) ? "n/m" : v.ToString(format, CultureInfo.InvariantCulture);
        static string Verdict(bool pass) => pass ? "pass" : "FAIL";
        void Row(string figure, double t, double s, double v1, string format, string goal = "", Func<double, bool>? ok = null) =>
            Console.WriteLine($"| {figure} | {F(t, format)} | {F(s, format)} | {F(v1, format)} | {goal} | {(ok is null ? "" : Verdict(ok(t)))} | {(ok is null ? "" : Verdict(ok(s)))} |");

        Console.WriteLine();
        Console.WriteLine($"tuned  (host.json as committed): {tuned.EngineSettings}; load {tuned.LoadBefore} -> {tuned.LoadAfter}");
        Console.WriteLine($"stock  (Durable Functions defaults): {stock.EngineSettings}; load {stock.LoadBefore} -> {stock.LoadAfter}");
        Console.WriteLine("v1     docs/workflow.md, final run 2026-12-01 18:24 UTC (load 1.1 -> 1.3), home-made runtime; n/m = not measured");
        foreach (var (shape, t, s, v1) in new[] { ("sustained", tuned.Sustained, stock.Sustained, V1Sustained), ("light", tuned.Light, stock.Light, (ShapeResult?)null) })
        {
            var none = new ShapeResult(double.NaN, 0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, double.NaN, double.NaN, 0);
            var v = v1 ?? none;
            Console.WriteLine();
            Console.WriteLine(shape == "sustained"
                ? $"sustained: {o.Claims} claims at concurrency {o.Concurrency}; latencies at half the measured throughput; {o.Timers} claims left to their reminder"
                : $"light: {o.LightClaims} claims one every 4-8 s, decisions 2-5 s after each notification; {o.LightTimers} claims left to their reminder");
            Console.WriteLine("| figure | tuned | stock | v1 | goal | tuned | stock |");
            Console.WriteLine("|---|---:|---:|---:|---|---|---|");
            Row(shape == "sustained" ? "completed claims/s" : "completed claims/s (offered load)", t.ClaimsPerSecond, s.ClaimsPerSecond, v.ClaimsPerSecond, "F1",
                shape == "sustained" ? "tuned >= stock" : "", shape == "sustained" ? _ => t.ClaimsPerSecond >= s.ClaimsPerSecond : null);
            Row("submit -> first approver notified p50 (ms)", t.FirstP50, s.FirstP50, v.FirstP50, "F0");
            Row("submit -> first approver notified p99 (ms)", t.FirstP99, s.FirstP99, v.FirstP99, "F0", "<= 1500", x => x <= 1500);
            Row("decision -> next approver notified p50 (ms)", t.NextP50, s.NextP50, v.NextP50, "F0");
            Row("decision -> next approver notified p99 (ms)", t.NextP99, s.NextP99, v.NextP99, "F0", "<= 1000", x => x <= 1000);
            Row($"timer lateness p99 (ms; reminders seen tuned {t.Timers}, stock {s.Timers})", t.TimerP99, s.TimerP99, v.TimerP99, "F0", "<= 2000", x => x <= 2000);
            Row("timer lateness min (ms)", t.TimerMin, s.TimerMin, v.TimerMin, "F0", ">= 0 (never early)", x => x >= 0);
            if (t.MissedReminders + s.MissedReminders > 0)
            {
                Console.WriteLine($"| reminders missing after 2 min | {t.MissedReminders} | {s.MissedReminders} | | 0 | {Verdict(t.MissedReminders == 0)} | {Verdict(s.MissedReminders == 0)} |");
            }
            Row(shape == "sustained" ? "storage requests / two-level claim (app + engine, at Azurite)" : "storage requests / claim (app + engine, idle polling between claims included)",
                t.RequestsPerClaim, s.RequestsPerClaim, v.RequestsPerClaim, "F1");
            Row("  of which the app's own SDK clients", t.AppRequestsPerClaim, s.AppRequestsPerClaim, v.AppRequestsPerClaim, "F1");
        }
        Console.WriteLine();
        Console.WriteLine($"idle, {tuned.IdleSeconds} s after the run, nothing in flight");
        Console.WriteLine("| figure | tuned | stock | v1 | goal | tuned | stock |");
        Console.WriteLine("|---|---:|---:|---:|---|---|---|");
        Console.WriteLine($"| storage requests/s (app + engine, at Azurite) | {F(tuned.IdlePerSecond, "F2")} | {F(stock.IdlePerSecond, "F2")} | n/m | <= 5 | {Verdict(tuned.IdlePerSecond <= 5)} | {Verdict(stock.IdlePerSecond <= 5)} |");
        Console.WriteLine($"|   of which the app's own SDK clients | {F(tuned.AppIdlePerSecond, "F2")} | {F(stock.AppIdlePerSecond, "F2")} | n/m | | | |");
    }

    /// <summary>Waits for a condition, failing loudly after <paramref name="limit"/> instead of hanging.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, string what, TimeSpan limit, CancellationToken cancellationToken, int pollMs = 10)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await done()) return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < limit)
            {
                // The app is still starting.
            }
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:F0} s waiting for: {what}.");
            }
            await Task.Delay(pollMs, cancellationToken);
        }
    }

    private static double Min(List<double> values) => values.Count == 0 ? double.NaN : values.Min();

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

    /// <summary>A configured channel that hands each delivery to the bench's recorder.</summary>
    private sealed class BenchChannel(BenchSender sender) : INotificationChannel
    {
        public string Name => "bench";

        public bool IsConfigured => true;

        public Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default) =>
            sender.SendAsync(delivery.Notification, cancellationToken);
    }

    /// <summary>Records when each notification first reached the bench channel and wakes the scripted approvers.</summary>
    /// <summary>A loopback stand-in for Twilio's Messages.json / Calls.json: records when each SMS arrives (in workflow time)
    /// and counts sends per rung key (the callback's k), so duplicates show.</summary>
    private sealed class BenchTwilio : IAsyncDisposable
    {
        private const string Sid = "AC0123456789abcdef0123456789abcdef";
        private readonly WebApplication _app;
        private readonly BenchSender _sender;
        private readonly ConcurrentDictionary<string, int> _byKey = new();
        private int _sent;

        private BenchTwilio(WebApplication app, BenchSender sender) { _app = app; _sender = sender; }

        public ConcurrentDictionary<string, DateTimeOffset> SmsDue { get; } = new();
        public ConcurrentDictionary<string, DateTimeOffset> FirstSmsWorkflowTime { get; } = new();
        public int Sent => _sent;
        public int Duplicates => _byKey.Values.Sum(n => n - 1);
        public Uri BaseAddress { get; private set; } = null!;

        public static async Task<BenchTwilio> StartAsync(BenchSender sender)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var self = new BenchTwilio(app, sender);
            app.MapPost("/2010-04-01/Accounts/{sid}/{kind}", async (HttpContext context, string kind) =>
            {
                var form = await context.Request.ReadFormAsync();
                var callback = new Uri(form["StatusCallback"].ToString());
                var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query);
                var claimId = query["c"].ToString();
                // Row keys are per claim partition: the rung's key is claim + row.
                self._byKey.AddOrUpdate(claimId + "|" + query["k"].ToString(), 1, (_, n) => n + 1);
                Interlocked.Increment(ref self._sent);
                if (kind == "Messages.json")
                {
                    self.FirstSmsWorkflowTime.TryAdd(claimId, sender.Clock?.GetUtcNow() ?? DateTimeOffset.UtcNow);
                }
                return Results.Json(new { sid = (kind == "Messages.json" ? "SM" : "CA") + Guid.NewGuid().ToString("N"), status = "queued" }, statusCode: 201);
            });
            await app.StartAsync();
            self.BaseAddress = new Uri(app.Urls.First());
            return self;
        }

        public Dictionary<string, string?> Settings() => new()
        {
            ["Reimburse:Notifications:Twilio:AccountSid"] = Sid,
            ["Reimburse:Notifications:Twilio:AuthToken"] = "bench-token",
            ["Reimburse:Notifications:Twilio:From"] = "+85230011234",
            ["Reimburse:Notifications:Twilio:BaseUrl"] = BaseAddress.ToString(),
            ["Reimburse:Notifications:Twilio:CallbackBaseUrl"] = "http://127.0.0.1",
            ["Reimburse:Notifications:AllowPrivateTargets"] = "true",
        };

        /// <summary>Real milliseconds from each claim's first SMS rung coming due to the SMS reaching the provider.</summary>
        public List<double> SmsLateness(IEnumerable<string> ids, double speed) =>
            ids.Where(id => SmsDue.ContainsKey(id) && FirstSmsWorkflowTime.ContainsKey(id))
                .Select(id => (FirstSmsWorkflowTime[id] - SmsDue[id]).TotalMilliseconds / speed).ToList();

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class BenchSender
    {
        private readonly ConcurrentDictionary<string, byte> _keys = new();
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
                    RemindedWorkflowTime.TryAdd(id, Clock?.GetUtcNow() ?? now);
                    break;
                case "claim-approved":
                    Approved.TryAdd(id, now);
                    break;
            }
            return Task.CompletedTask;
        }
    }
}
