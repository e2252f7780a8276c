using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>Shared helpers of the workflow tests: settings for a deterministic workflow clock, scripted approvers over HTTP,
/// and readers of what the runtime recorded.</summary>
public static class WorkflowTestKit
{
    /// <summary>Tuesday 24 Nov 2026, 10:00 in Hong Kong: inside working hours, so routes do not depend on when tests run.</summary>
    public static readonly DateTimeOffset TuesdayMorning = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    public const string LinkKey = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

    /// <summary>In-process app settings (ReimburseApp).</summary>
    public static Dictionary<string, string?> AppSettings(double speed = 1) => new()
    {
        ["Reimburse:Workflow:ClockStart"] = TuesdayMorning.ToString("O"),
        ["Reimburse:Workflow:ClockSpeed"] = speed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Reimburse:Workflow:LinkKey"] = LinkKey,
        // These tests pin exact routes and notification counts; risk scoring (which may add a finance review to a High
        // claim) is covered by the Risk tests, so it is off here to keep the workflow under test alone.
        ["Reimburse:Risk:Enabled"] = "false",
        // A notification whose channel failed is retried after this delay.
        ["Reimburse:Standalone:RetryBaseMilliseconds"] = "400",
    };

    /// <summary>Environment for an app process (AppProcess) with the recording notification channel plugged in.</summary>
    public static Dictionary<string, string> ProcessSettings(double speed = 1)
    {
        var env = AppSettings(speed).ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value!);
        env["DOTNET_STARTUP_HOOKS"] = Path.Combine(AppContext.BaseDirectory, "Reimburse.Functions.Tests.dll");
        env["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"] = "Reimburse.Functions.Tests";
        return env;
    }

    /// <summary>Adds the recording channel: the product's notification delivery path, ending in a table the test reads.</summary>
    public static void UseRecordingChannel(Microsoft.Extensions.DependencyInjection.IServiceCollection s) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Reimburse.Functions.Notifications.INotificationChannel, RecordingNotificationChannel>(s);

    public static async Task<string> SubmitAsync(HttpClient client, decimal amount, string category = "meals", CancellationToken cancellationToken = default)
    {
        // Realistic variety (approved vendors, dates spread over weeks): identical lunches at one restaurant on one day
        // are exactly what the risk model flags, and a High claim gets an extra finance review these tests do not expect.
        string[] vendors = ["Tsui Wah Restaurant", "Maxim's Caterers", "Cafe de Coral", "Fairwood", "Jade Garden"];
        var n = (int)(amount * 100 % 997);
        var body = new
        {
            category,
            amount,
            currency = "HKD",
            expenseDate = Api.HongKongToday.AddDays(-(1 + n % 40)).ToString("yyyy-MM-dd"),
            merchant = category == "meals" ? vendors[n % vendors.Length] : "Jade Garden",
            description = "Team lunch",
        };
        var response = await client.PostAsJsonAsync("/api/claims", body, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.JsonAsync(cancellationToken)).GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> WorkflowAsync(HttpClient client, string id, CancellationToken cancellationToken = default)
    {
        var response = await client.GetAsync($"/api/claims/{id}/workflow", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync(cancellationToken);
    }

    /// <summary>Polls the workflow status until <paramref name="done"/> holds.</summary>
    public static async Task<JsonElement> WaitForWorkflowAsync(HttpClient client, string id, Func<JsonElement, bool> done, CancellationToken cancellationToken)
    {
        JsonElement last = default;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Workflow of {id} did not reach the expected state; last seen {last}");
            }
            var r = await client.GetAsync($"/api/claims/{id}/workflow", CancellationToken.None);
            if (r.IsSuccessStatusCode)
            {
                last = await r.JsonAsync(CancellationToken.None);
                if (done(last)) return last;
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }

    public static string Status(this JsonElement workflow) => workflow.GetProperty("status").GetString()!;

    public static IEnumerable<string> Waiting(this JsonElement workflow) =>
        workflow.GetProperty("waitingOn").EnumerateArray().Select(w => w.GetProperty("userId").GetString()!);

    public static Task<HttpResponseMessage> DecideAsync(HttpClient client, string id, string decision, string? comment = null, int? round = null, int? step = null, CancellationToken cancellationToken = default) =>
        client.PostAsJsonAsync($"/api/claims/{id}/decisions", new { decision, comment, round, step }, cancellationToken);

    /// <summary>Reject or return with a reason code from GET /api/reason-codes.</summary>
    public static Task<HttpResponseMessage> DecideWithReasonAsync(HttpClient client, string id, string decision, string comment, string reasonCode, int? round = null, int? step = null, CancellationToken cancellationToken = default) =>
        client.PostAsJsonAsync($"/api/claims/{id}/decisions", new { decision, comment, reasonCode, round, step }, cancellationToken);

    /// <summary>A scripted approver: approves every claim in their pending list until cancelled. Survives app restarts
    /// (the base address comes from <paramref name="clientFor"/>, asked again after a connection failure).</summary>
    public static async Task ApproveForeverAsync(Func<Task<HttpClient>> clientFor, CancellationToken stop)
    {
        HttpClient? client = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                client ??= await clientFor();
                var list = await client.GetFromJsonAsync<JsonElement>("/api/approvals", stop);
                var items = list.GetProperty("items").EnumerateArray().ToList();
                foreach (var item in items)
                {
                    await DecideAsync(client, item.GetProperty("claimId").GetString()!, "approve", null,
                        item.GetProperty("round").GetInt32(), item.GetProperty("step").GetInt32(), stop);
                }
                if (items.Count == 0)
                {
                    await Task.Delay(100, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The app is down (killed) or restarting: ask for a fresh client and try again.
                client = null;
                try { await Task.Delay(200, stop); } catch (OperationCanceledException) { return; }
            }
        }
    }

    public static async Task<List<TableEntity>> LedgerAsync(TableServiceClient tables, string prefix, CancellationToken cancellationToken = default)
    {
        var list = new List<TableEntity>();
        await foreach (var e in tables.GetTableClient(prefix + "ledger").QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            list.Add(e);
        }
        return list;
    }
}
