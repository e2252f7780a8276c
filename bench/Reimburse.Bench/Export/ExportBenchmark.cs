using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Reimburse.Core;
using Reimburse.Core.Company;
using Reimburse.Core.Exports;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Exports;
using Reimburse.Functions.Exports.Sync;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Hosting.Storage;
using Reimburse.Testing;
using Reimburse.Testing.Accounting;

namespace Reimburse.Bench.Export;

/// <summary>`bench export`: N approved claims to each CSV target (bill building + CSV + workbook: claims/s, allocation,
/// working set), then through each loopback API (the app's Xero/QuickBooks clients, connections and rate limiter, against
/// FakeAccounting with latency and a per-minute limit; every body checked against the vendor's contract): time to drain,
/// 429s, duplicates.</summary>
public sealed class ExportBenchmark : IBenchmark
{
    public string Name => "export";
    public string Description => "CSV targets claims/s + memory; API drain time, 429s, duplicates [--claims 2000] [--api-claims 120] [--per-minute 60] [--latency-ms 150]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i && i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var n = Arg("--claims", 2000);
        var apiClaims = Arg("--api-claims", 120);
        var perMinute = Arg("--per-minute", 60);
        var latency = Arg("--latency-ms", 150);
        var company = CompanyLoader.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "seed", "harbour-trading", "company.yaml"), cancellationToken));
        Console.WriteLine($"export benchmark: {n} claims per CSV target; {apiClaims} claims per API at {perMinute}/minute, {latency} ms latency; {Environment.ProcessorCount} cores");
        var claims = Claims(company, n);
        Console.WriteLine("| Target | claims | seconds | claims/s | allocated MB | working set MB | files |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var target in new[] { ExportTargets.XeroCsv, ExportTargets.QuickBooksCsv })
        {
            var mapping = Mapping(ExportTargets.System(target), company);
            GC.Collect();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            var bills = new List<Bill>(n);
            foreach (var c in claims)
            {
                var fx = FxRates.Resolve(c.Amount.Currency, "HKD", c.ExpenseDate, Rates);
                if (BillBuilder.Build(c, mapping, fx, company).Bill is { } b) bills.Add(b);
            }
            var files = ExportFiles.Csv(target, bills, "exp_bench");
            _ = ExportFiles.Workbook("exp_bench", target, bills, [], "HKD");
            sw.Stop();
            var mb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
            using var process = Process.GetCurrentProcess();
            Console.WriteLine($"| {target} | {bills.Count} | {sw.Elapsed.TotalSeconds:F2} | {bills.Count / sw.Elapsed.TotalSeconds:F0} | {mb:F0} | {process.WorkingSet64 / 1048576.0:F0} | {files.Count} |");
        }

        if (apiClaims <= 0) return 0;
        await using var azurite = await AzuriteInstance.StartAsync(cancellationToken: cancellationToken);
        Console.WriteLine();
        Console.WriteLine("| API | claims | limit/min | latency ms | drain seconds | claims/min | 429s | bills | duplicates | contract errors |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var provider in new[] { ExportTargets.Xero, ExportTargets.QuickBooks })
        {
            await using var fake = provider == ExportTargets.Xero ? await FakeAccounting.StartXeroAsync() : await FakeAccounting.StartQuickBooksAsync();
            fake.PerMinuteLimit = perMinute;
            fake.Latency = TimeSpan.FromMilliseconds(latency);
            await using var services = Services(azurite.ConnectionString, fake, provider);
            var connections = services.GetRequiredService<AccountingConnections>();
            await services.GetRequiredService<ReimburseStorage>().Tables.GetTableClient(connections.Table.Name).CreateIfNotExistsAsync(cancellationToken);
            await ConnectAsync(connections, provider, cancellationToken);
            var api = services.GetServices<IAccountingApi>().Single(a => a.Provider == provider);
            var mapping = Mapping(provider, company);
            var bills = claims.Take(apiClaims).Select(c => BillBuilder.Build(c, mapping, FxRates.Resolve(c.Amount.Currency, "HKD", c.ExpenseDate, Rates), company).Bill!).ToList();
            var sw = Stopwatch.StartNew();
            var failed = 0;
            // As the orchestration does: four claims in flight; a retry of each with the same key (a redelivered activity).
            await Parallel.ForEachAsync(bills, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (b, ct) =>
            {
                var key = ExportActivities.IdempotencyKey(b.ClaimId, provider, 1);
                var r = await api.PostBillAsync(b, [], key, ct);
                if (r.RemoteId is null) Interlocked.Increment(ref failed);
                if (b.ClaimId.EndsWith('0')) await api.PostBillAsync(b, [], key, ct);
            });
            sw.Stop();
            var numbers = fake.Bills.Select(x => (x["InvoiceNumber"] ?? x["DocNumber"])!.GetValue<string>()).ToList();
            Console.WriteLine($"| {provider} | {bills.Count} | {perMinute} | {latency} | {sw.Elapsed.TotalSeconds:F1} | {bills.Count / sw.Elapsed.TotalMinutes:F1} | {fake.Throttled} | {fake.Bills.Count} | {numbers.Count - numbers.Distinct().Count()} | {fake.ContractErrors.Count} |");
            if (failed > 0) Console.WriteLine($"  {failed} claims failed to post");
        }
        return 0;
    }

    // A rate a day for the last 60 days, as a company that uploads the HKMA's daily rates keeps them.
    private static readonly FxRate[] Rates = Enumerable.Range(0, 60).SelectMany(d => new[]
    {
        new FxRate("CNY", "HKD", 1.0850m + d / 10_000m, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-d)), "HKMA"),
        new FxRate("USD", "HKD", 7.78m, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-d)), "HKMA"),
    }).ToArray();

    private static IReadOnlyList<ExportClaim> Claims(CompanyDirectory company, int n)
    {
        var random = new Random(14);
        var employees = company.Users.Where(u => u.Has(Role.Employee)).ToList();
        var categories = company.Categories.Select(c => c.Id).ToList();
        var currencies = new[] { "HKD", "HKD", "HKD", "HKD", "CNY", "USD" };
        return Enumerable.Range(0, n).Select(i =>
        {
            var u = employees[random.Next(employees.Count)];
            var approved = DateTimeOffset.UtcNow.AddMinutes(-i);
            // The serial first: QuickBooks' DocNumber keeps the first 21 characters of the id (real ids start with the time).
            return new ExportClaim("clm_" + i.ToString("D6", CultureInfo.InvariantCulture).PadRight(26, '0'), u.Id, u.Name, u.NameZh, u.Email, u.Department, categories[random.Next(categories.Count)], "翠華餐廳 Tsui Wah",
                "午餐 lunch", DateOnly.FromDateTime(approved.UtcDateTime.AddDays(-random.Next(1, 20))), approved,
                new Money(Math.Round((decimal)(random.NextDouble() * 900 + 20), 2), currencies[random.Next(currencies.Length)]), []);
        }).ToList();
    }

    private static ExportMapping Mapping(string system, CompanyDirectory company) => new(system,
        company.Categories.ToDictionary(c => c.Id, _ => new CategoryAccount(system == ExportTargets.Xero ? "420" : "13", system == ExportTargets.Xero ? "NONE" : "NON")),
        "Department", company.Departments.ToDictionary(d => d.Id, d => d.Name),
        system == ExportTargets.QuickBooks ? company.Users.ToDictionary(u => u.Id, u => (u.Id.GetHashCode(StringComparison.Ordinal) & 0xffff).ToString(CultureInfo.InvariantCulture)) : new Dictionary<string, string>());

    private static ServiceProvider Services(string connectionString, FakeAccounting fake, string provider)
    {
        var settings = fake.Settings(provider == ExportTargets.Xero ? "Xero" : "QuickBooks");
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        services.AddSingleton(TimeProvider.System);
        var options = new AccountingOptions();
        var target = options.For(provider);
        var prefix = $"Reimburse:Accounting:{(provider == ExportTargets.Xero ? "Xero" : "QuickBooks")}:";
        target.ClientId = settings[prefix + "ClientId"];
        target.ClientSecret = settings[prefix + "ClientSecret"];
        target.AuthorizeUrl = settings[prefix + "AuthorizeUrl"]!;
        target.TokenUrl = settings[prefix + "TokenUrl"]!;
        target.RevokeUrl = settings[prefix + "RevokeUrl"]!;
        target.ApiBaseUrl = settings[prefix + "ApiBaseUrl"]!;
        target.ConnectionsUrl = settings[prefix + "ConnectionsUrl"];
        // Our own pace is the production default (55/min for Xero); the fake enforces the vendor's limit.
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(Options.Create(new WorkflowOptions()));
        services.AddSingleton(ReimburseStorage.Create(new StorageOptions { ConnectionString = connectionString, ResourcePrefix = "b" + Guid.NewGuid().ToString("N")[..8] }));
        services.AddSingleton<IDataProtectionProvider>(DataProtectionProvider.Create("Reimburse.Bench"));
        services.AddHttpClient(AccountingConnections.HttpClientName);
        services.AddSingleton<AccountingConnections>();
        services.AddSingleton<AccountingHttp>();
        services.AddSingleton<ReceiptStore>();
        services.AddSingleton<IAccountingApi, XeroApi>();
        services.AddSingleton<IAccountingApi, QuickBooksApi>();
        return services.BuildServiceProvider();
    }

    private static async Task ConnectAsync(AccountingConnections connections, string provider, CancellationToken cancellationToken)
    {
        var url = await connections.StartAsync(provider, "fin-lam", cancellationToken);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var consent = await browser.GetAsync(url, cancellationToken);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(consent.Headers.Location!.Query);
        await connections.CompleteAsync(provider, query["code"]!, query["state"]!, query.TryGetValue("realmId", out var realm) ? realm.ToString() : null, cancellationToken);
    }
}
