using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Functions.Triggers;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Hosting;

/// <summary>The functions.metadata the Worker SDK generated is what the Functions host (and LocalHost) reads: every
/// function's trigger is pinned here, so a changed route, queue, path or schedule is a deliberate change.</summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["SubmitClaim"] = "http POST claims",
        ["ListClaims"] = "http GET claims",
        ["GetClaim"] = "http GET claims/{id}",
        ["GetReceipt"] = "http GET claims/{id}/receipts/{receiptId}",
        ["SubmitDraft"] = "http POST claims/{id}/submit",
        ["FormToken"] = "http GET forms/token",
        ["DecideClaim"] = "http POST claims/{id}/decisions",
        ["WithdrawClaim"] = "http POST claims/{id}/withdraw",
        ["GetWorkflow"] = "http GET claims/{id}/workflow",
        ["ListApprovals"] = "http GET approvals",
        ["UseApprovalLink"] = "http GET,POST links/{token}",
        ["ListReasonCodes"] = "http GET reason-codes",
        ["ListDelegations"] = "http GET me/delegations",
        ["CreateDelegation"] = "http POST me/delegations",
        ["RevokeDelegation"] = "http DELETE me/delegations/{id}",
        ["GetReachPreferences"] = "http GET me/reach",
        ["SetReachPreferences"] = "http PUT me/reach",
        ["TwilioStatus"] = "http POST twilio/status",
        ["TwilioKeypress"] = "http POST twilio/keypress",
        ["PutOfficeCalendar"] = "http PUT admin/calendars/{name}",
        ["GetKpis"] = "http GET kpis",
        ["GetPics"] = "http GET meta/pics",
        ["ExportMyData"] = "http GET me/export",
        ["AuditQuery"] = "http GET audit",
        ["AuditVerify"] = "http GET audit/verify",
        ["AuditExport"] = "http GET audit/export.csv",
        ["GetRiskModel"] = "http GET admin/risk-model",
        ["TrainRiskModel"] = "http POST admin/risk-model/train",
        ["RollbackRiskModel"] = "http POST admin/risk-model/rollback",
        ["TrainLearnedRiskModel"] = "http POST admin/risk-model/learned/train",
        ["ActivateLearnedRiskModel"] = "http POST admin/risk-model/learned/activate",
        ["RollbackLearnedRiskModel"] = "http POST admin/risk-model/learned/rollback",
        ["DevToken"] = "http POST dev/tokens",
        ["DevOutbox"] = "http GET dev/outbox",
        ["DevDiagnostics"] = "http GET dev/diagnostics",
        ["OpenApiDocument"] = "http GET openapi.json",
        ["ApiReference"] = "http GET reference",
        ["ApiReferenceScript"] = "http GET reference/scalar.js",
        ["CreateWebhook"] = "http POST admin/webhooks",
        ["ListWebhooks"] = "http GET admin/webhooks",
        ["DeleteWebhook"] = "http DELETE admin/webhooks/{id}",
        ["ListWebhookDeliveries"] = "http GET admin/webhooks/{id}/deliveries",
        ["EventDelivery"] = "queue claim-events",
        ["DraftAutofill"] = "queue draft-receipts",
        ["NotificationDelivery"] = "queue notifications",
        ["ReceiptDropped"] = "blob receipts-inbox/{name} EventGrid",
        ["AuditDigest"] = "timer 0 10 0 * * *",
        ["AuditIndexSweep"] = "timer 0 * * * * *",
        ["RetentionSweep"] = "timer 0 30 19 * * *",
        ["RiskModelTraining"] = "timer 0 0 3 * * 0",
        ["ClaimOrchestration"] = "orchestration",
        ["ReceiveClaim"] = "activity",
        ["ReadReceipts"] = "activity",
        ["ScoreRisk"] = "activity",
        ["PlanApproval"] = "activity",
        ["FlagClaim"] = "activity",
        ["ApprovalOrchestration"] = "orchestration",
        ["CommitWorkflow"] = "activity",
        ["LoadWorkflowContext"] = "activity",
        ["Wake"] = "activity",
        ["ReturnedClaimInput"] = "activity",
        ["PostToLedger"] = "activity",
        ["DeliverNotification"] = "activity",
        ["CreateExport"] = "http POST exports",
        ["ListExports"] = "http GET exports",
        ["GetExport"] = "http GET exports/{id}",
        ["GetExportFile"] = "http GET exports/{id}/file",
        ["RetryExport"] = "http POST exports/{id}/retry",
        ["GetClaimExports"] = "http GET claims/{id}/exports",
        ["OverrideClaimFxRate"] = "http PUT claims/{id}/fx-rate",
        ["ListAccountingConnections"] = "http GET accounting/connections",
        ["ConnectAccounting"] = "http POST accounting/{provider}/connect",
        ["AccountingCallback"] = "http GET accounting/{provider}/callback",
        ["DisconnectAccounting"] = "http DELETE accounting/{provider}",
        ["GetExportMapping"] = "http GET export-mappings/{system}",
        ["PutExportMapping"] = "http PUT export-mappings/{system}",
        ["ListFxRates"] = "http GET fx-rates",
        ["PostFxRates"] = "http POST fx-rates",
        ["ExportOrchestration"] = "orchestration",
        ["SyncExportClaim"] = "activity",
        ["FinishExport"] = "activity",
        ["DeliverReach"] = "activity",
    };

    private static Dictionary<string, JsonElement> Triggers()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        return doc.RootElement.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).Clone());
    }

    private static string Describe(JsonElement t)
    {
        string S(string name) => t.GetProperty(name).GetString()!;
        return S("type") switch
        {
            "httpTrigger" => $"http {string.Join(',', t.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()))} {S("route")}",
            "queueTrigger" => $"queue {S("queueName")}",
            "blobTrigger" => $"blob {S("path")} {S("source")}",
            "timerTrigger" => $"timer {S("schedule")}",
            "orchestrationTrigger" => "orchestration",
            "activityTrigger" => "activity",
            var other => other,
        };
    }

    [Fact]
    public void GeneratedMetadata_EveryFunctionTrigger_MatchesTheTable()
    {
        var actual = Triggers().ToDictionary(kv => kv.Key, kv => Describe(kv.Value));

        Assert.Equal(Expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void GeneratedMetadata_HttpFunctions_AreAnonymousAtTheHost()
    {
        // Authentication is the app's (bearer tokens, App Service principal): no function keys.
        Assert.All(Triggers().Values.Where(t => t.GetProperty("type").GetString() == "httpTrigger"),
            t => Assert.Equal("Anonymous", t.GetProperty("authLevel").GetString(), ignoreCase: true));
    }

    internal static Dictionary<string, JsonElement> TriggersByFunction() => Triggers();
}

/// <summary>Queue and timer functions hand over to the feature handler of the same name: names, queues and schedules agree.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class FunctionHandlerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task GeneratedMetadata_QueueAndTimerFunctions_MatchTheirHandlers()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        await app.StartAsync(ct);
        var triggers = FunctionsMetadataTests.TriggersByFunction();

        Assert.All(app.Services.GetServices<IQueueHandler>(), h => Assert.Equal(h.QueueName, triggers[h.FunctionName].GetProperty("queueName").GetString()));
        Assert.All(app.Services.GetServices<ITimerHandler>(), t => Assert.Equal(t.Schedule, triggers[t.FunctionName].GetProperty("schedule").GetString()));
    }
}
