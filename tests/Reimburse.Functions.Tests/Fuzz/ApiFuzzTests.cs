using System.Net;
using System.Net.Http.Json;
using Reimburse.Core.Claims;
using Reimburse.Testing;
using Reimburse.Testing.Fuzz;
using Reimburse.Tests.Audit;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Fuzz;

/// <summary>
/// Issue 17: generated hostile requests over every HTTP endpoint in functions.metadata, through the real LocalHost on
/// Kestrel and Azurite. Properties: never a 5xx; every 4xx a ProblemDetails with a type; a refused request changes no
/// table, container or queue; the service is healthy afterwards. A fixed seed and budget run here (REIMBURSE_FUZZ_SEED,
/// REIMBURSE_FUZZ_CASES override them; a failure prints the seed and case to replay); `bench fuzz --minutes N` runs longer.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ApiFuzzTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    public const ulong DefaultSeed = 17;
    public const int DefaultCases = 300;

    private static readonly string[] Users = ["emp-chan", "emp-tam", "mgr-wong", "fin-lam", "aud-yip", "admin"];

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("REIMBURSE_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCases;
    private static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("REIMBURSE_FUZZ_SEED"), out var s) ? s : DefaultSeed;

    /// <summary>The app as the fuzzer meets it: HTTP only (no durable worker, no triggers), so nothing changes storage
    /// behind the fuzzer's back; rate limits out of the way of a few hundred writes a second.</summary>
    public static Dictionary<string, string?> FuzzSettings() => new()
    {
        ["LocalHost:DurableWorker"] = "false",
        ["LocalHost:Triggers"] = "false",
        ["Reimburse:RateLimit:WritesPerWindow"] = "1000000",
    };

    [Fact]
    public async Task Api_HostileRequestsOnEveryEndpoint_NoServerErrorAlwaysProblemDetailsRefusalsChangeNothing()
    {
        var ct = TestTimeout.Token(600);
        await using var app = new ReimburseApp(azurite, FuzzSettings());
        var anonymous = await app.StartAsync(ct);
        var endpoints = ApiSurface.Load();
        var submitted = await app.SeedClaimAsync("emp-chan", "sales", 2, ct);
        var draft = await app.SeedClaimAsync("emp-chan", "sales", 1, ct, ClaimStatus.Draft);
        var others = await app.SeedClaimAsync("emp-lee", "operations", 1, ct);
        var tokens = await ApiFuzzer.TokensAsync(anonymous, Users, ct);
        // The access log and the audit index (which indexes access-log rows too) grow on a denial by design; claims (with
        // their audit chains), receipts, queues, the ledger and the rest must not.
        var snapshot = new StorageSnapshot(azurite.ConnectionString, app.Prefix, "accesslog", "auditidx");
        var fuzzer = new ApiFuzzer(anonymous, tokens, snapshot.TakeAsync);
        var gen = HostileInput.Request(new FuzzTargets(endpoints, Users, [submitted.Id, draft.Id, others.Id]));

        var report = await fuzzer.RunAsync(gen, Seed, Cases, cancellationToken: ct);

        output.WriteLine(report.Summary());
        foreach (var f in report.Failures.Take(20)) output.WriteLine(f.ToString());
        Assert.True(report.Failures.Count == 0, $"{report.Failures.Count} of {report.Requests} cases broke a property (replay: REIMBURSE_FUZZ_SEED={Seed}):\n"
            + string.Join("\n", report.Failures.Take(10)));
        Assert.True(endpoints.Count >= 20, $"functions.metadata lists {endpoints.Count} HTTP functions");
        if (Cases >= DefaultCases)
        {
            Assert.Equal(endpoints.Select(e => e.Name).Order(), report.Endpoints.Keys.Order());
        }
        Assert.True(report.StateChecks > Cases / 3, $"only {report.StateChecks} refusals were checked for state changes");

        // Still healthy: the health probe answers and a valid claim goes through.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz", ct)).StatusCode);
        var chan = await app.ClientForAsync("emp-chan", ct);
        Assert.Equal(HttpStatusCode.Accepted, (await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct)).StatusCode);
    }

    [Fact]
    public void Generator_SameSeedAndIndex_SameRequest()
    {
        var gen = HostileInput.Request(new FuzzTargets(ApiSurface.Load(), Users, ["c-1"]));

        var a = Enumerable.Range(0, 50).Select(i => HostileInput.Case(gen, 99, i).ToString()).ToList();
        var b = Enumerable.Range(0, 50).Select(i => HostileInput.Case(gen, 99, i).ToString()).ToList();

        Assert.Equal(a, b);
        Assert.True(a.Distinct().Count() > 40, "the generator should vary from case to case");
    }
}
