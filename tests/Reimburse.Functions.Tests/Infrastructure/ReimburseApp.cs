using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Hosting;
using Reimburse.Testing;

namespace Reimburse.Tests.Infrastructure;

/// <summary>The real app on a real Kestrel loopback port, against Azurite, with its own resource prefix so tests never
/// see each other's data.</summary>
public sealed class ReimburseApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly string _environment;

    public ReimburseApp(AzuriteFixture azurite, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Development")
        : this(azurite.ConnectionString, settings, services, environment)
    {
    }

    public ReimburseApp(string connectionString, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Development")
    {
        Prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        _environment = environment;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Reimburse:Storage:ConnectionString"] = connectionString,
            ["Reimburse:Storage:ResourcePrefix"] = Prefix,
            ["Reimburse:Storage:MaxRetries"] = "1",
            ["Reimburse:Seed:Demo"] = "true",
            ["Reimburse:Standalone:MinPollMilliseconds"] = "20",
            ["Reimburse:Standalone:MaxPollMilliseconds"] = "100",
            ["Reimburse:Standalone:InboxScanMilliseconds"] = "200",
            ["Reimburse:Standalone:RetryBaseMilliseconds"] = "50",
        };
        foreach (var (k, v) in settings ?? [])
        {
            _settings[k] = v;
        }
        UseKestrel(0);
    }

    public string Prefix { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        // Until the app runs under Reimburse.LocalHost, its orchestrations run on the in-process engine.
        builder.ConfigureServices(InProcessEngine.AddTo);
        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }

    public ReimburseStorage Storage => Services.GetRequiredService<ReimburseStorage>();

    /// <summary>Starts the server and waits until storage is initialised and the demo company seeded.</summary>
    public async Task<HttpClient> StartAsync(CancellationToken cancellationToken = default)
    {
        StartServer();
        var client = CreateClient();
        for (var i = 0; i < 200; i++)
        {
            var r = await client.GetAsync("/healthz", cancellationToken);
            if (r.IsSuccessStatusCode) return client;
            await Task.Delay(50, cancellationToken);
        }
        throw new TimeoutException("The app did not become ready.");
    }

    /// <summary>A client signed in as a seeded user through the development token endpoint.</summary>
    public async Task<HttpClient> ClientForAsync(string userId, CancellationToken cancellationToken = default)
    {
        var client = CreateClient();
        var token = await TokenAsync(client, userId, cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<string> TokenAsync(HttpClient client, string userId, CancellationToken cancellationToken = default)
    {
        var response = await client.PostAsJsonAsync("/api/dev/tokens", new { userId }, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return doc.RootElement.GetProperty("token").GetString()!;
    }
}

/// <summary>Helpers for claim requests in tests.</summary>
public static class Api
{
    public static DateOnly HongKongToday => DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));

    public static object ValidClaim(decimal amount = 268.50m, string merchant = "Tsui Wah Restaurant", string category = "meals") => new
    {
        category,
        amount,
        currency = "HKD",
        expenseDate = HongKongToday.AddDays(-1).ToString("yyyy-MM-dd"),
        merchant,
        description = "Lunch with supplier",
    };

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls GET /api/claims/{id} until the status is reached.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(this HttpClient client, string id, string status, CancellationToken cancellationToken)
    {
        JsonElement last = default;
        while (!cancellationToken.IsCancellationRequested)
        {
            var r = await client.GetAsync($"/api/claims/{id}", cancellationToken);
            if (r.IsSuccessStatusCode)
            {
                last = await r.JsonAsync(cancellationToken);
                if (last.GetProperty("status").GetString() == status) return last;
            }
            await Task.Delay(50, cancellationToken);
        }
        throw new TimeoutException($"Claim {id} did not reach {status}; last seen {last}");
    }
}
