using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Testing.Fuzz;
using Reimburse.Bench.Intake;

namespace Reimburse.Bench;

/// <summary>`bench fuzz`: the API fuzz suite of the tests (ApiFuzzTests), for longer: generated hostile requests over every
/// HTTP function in functions.metadata against the app process (Release) and Azurite, checking the same properties (no
/// 5xx, 4xx ProblemDetails, refusals change nothing, healthy after). Prints requests, the status histogram and time.</summary>
public sealed class FuzzBenchmark : IBenchmark
{
    private static readonly string[] Users = ["emp-chan", "emp-tam", "mgr-wong", "fin-lam", "aud-yip", "admin"];

    public string Name => "fuzz";
    public string Description => "hostile requests on every endpoint; no 5xx, ProblemDetails, nothing changed [--minutes N] [--cases N] [--seed S]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var minutes = double.Parse(Arg("--minutes") ?? "5", CultureInfo.InvariantCulture);
        var cases = Arg("--cases") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : (int?)null;
        var seed = Arg("--seed") is { } s ? ulong.Parse(s, CultureInfo.InvariantCulture) : (ulong)DateTime.UtcNow.Ticks;
        Console.WriteLine($"fuzz benchmark: {(cases is null ? $"{minutes} minutes" : $"{cases} cases")}, seed {seed}, {Environment.ProcessorCount} cores, Azurite in-memory");

        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken: cancellationToken);
        var prefix = "fz" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await AppUnderTest.StartAsync(azurite.ConnectionString, prefix, standalone: false, cancellationToken,
            new Dictionary<string, string> { ["Reimburse__RateLimit__WritesPerWindow"] = "1000000" });
        var metadata = Path.Combine(AzuriteInstance.FindRepoRoot(), "functions", "Reimburse.LocalHost", "bin", "Release", "net10.0", "functions.metadata");
        var endpoints = ApiSurface.Load(metadata);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var tokens = await ApiFuzzer.TokensAsync(http, Users, cancellationToken);

        // Two real claims, so generated paths sometimes name one that exists.
        var ids = new List<string>();
        foreach (var user in new[] { "emp-chan", "emp-lee" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/api/claims") { Content = JsonContent.Create(new
            {
                category = "meals", amount = "268.50", currency = "HKD", expenseDate = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                merchant = "Tsui Wah Restaurant",
            }) };
            req.Headers.Authorization = new("Bearer", (await ApiFuzzer.TokensAsync(http, [user], cancellationToken))[user]);
            using var doc = JsonDocument.Parse(await (await http.SendAsync(req, cancellationToken)).Content.ReadAsStringAsync(cancellationToken));
            ids.Add(doc.RootElement.GetProperty("id").GetString()!);
        }

        var snapshot = new StorageSnapshot(azurite.ConnectionString, prefix, "accesslog", "auditidx");
        var fuzzer = new ApiFuzzer(http, tokens, snapshot.TakeAsync);
        var gen = HostileInput.Request(new FuzzTargets(endpoints, Users, ids));
        var report = await fuzzer.RunAsync(gen, seed, cases, cases is null ? TimeSpan.FromMinutes(minutes) : null, Console.WriteLine, cancellationToken);
        var healthy = (await http.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode;

        Console.WriteLine(report.Summary());
        Console.WriteLine($"  endpoints from functions.metadata: {endpoints.Count}; healthy afterwards: {healthy}; app still running: {!app.Process.HasExited}");
        foreach (var f in report.Failures.Take(50)) Console.WriteLine(f);
        if (report.Failures.Count > 0) Console.WriteLine($"replay one: dotnet run --project bench/Reimburse.Bench -c Release -- fuzz --seed {seed} --cases {report.Failures[^1].Index + 1}");
        return report.Failures.Count == 0 && healthy ? 0 : 1;
    }
}
