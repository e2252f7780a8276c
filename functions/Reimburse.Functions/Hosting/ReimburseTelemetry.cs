using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Reimburse.Functions.Hosting;

/// <summary>The app's traces and metrics (OpenTelemetry). Spans carry the claim id (<see cref="ClaimIdTag"/>), never
/// personal data; metrics carry only low-cardinality dimensions (a claim id there would make one time series per claim:
/// a span links a metric to its claim). Names are what the alerts in infra/reimburse.bicep query.</summary>
public static class ReimburseTelemetry
{
    public const string Name = "Reimburse";
    public const string ClaimIdTag = "reimburse.claim.id";

    public const string ClaimsSubmittedMetric = "reimburse.claims.submitted";
    public const string ClaimsApprovedMetric = "reimburse.claims.approved";
    public const string OcrDurationMetric = "reimburse.ocr.duration";
    public const string RiskScoredMetric = "reimburse.risk.scored";
    public const string ApprovalLatencyMetric = "reimburse.approval.latency";
    public const string SlaBreachedMetric = "reimburse.approvals.sla_breached";
    public const string PoisonedMetric = "reimburse.messages.poisoned";
    public const string OrchestrationsFailedMetric = "reimburse.orchestrations.failed";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Submitted = Meter.CreateCounter<long>(ClaimsSubmittedMetric, "{claim}", "Claims submitted (by the claimant, or a dropped receipt's draft submitted).");
    private static readonly Counter<long> Approved = Meter.CreateCounter<long>(ClaimsApprovedMetric, "{claim}", "Claims approved and posted to the ledger.");
    private static readonly Histogram<double> OcrSeconds = Meter.CreateHistogram<double>(OcrDurationMetric, "s", "Time to read one claim's receipts (OCR included).");
    private static readonly Counter<long> RiskScored = Meter.CreateCounter<long>(RiskScoredMetric, "{claim}", "Claims scored, by risk level.");
    private static readonly Histogram<double> ApprovalHours = Meter.CreateHistogram<double>(ApprovalLatencyMetric, "h", "Submission to final approval.");
    private static readonly Counter<long> SlaBreached = Meter.CreateCounter<long>(SlaBreachedMetric, "{approval}", "Approval steps escalated: the approver let the step pass its SLA (policy escalateAfter).");
    private static readonly Counter<long> Poisoned = Meter.CreateCounter<long>(PoisonedMetric, "{message}", "Queue messages that failed their last attempt (the host moves them to <queue>-poison).");
    private static readonly Counter<long> OrchestrationsFailed = Meter.CreateCounter<long>(OrchestrationsFailedMetric, "{orchestration}", "Claim orchestrations that ended Failed.");

    /// <summary>A span for one step of a claim, a child of the current one.</summary>
    public static Activity? StartClaimActivity(string name, string claimId, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        activity?.SetTag(ClaimIdTag, claimId);
        return activity;
    }

    public static void ClaimSubmitted(string claimId, string source)
    {
        Activity.Current?.SetTag(ClaimIdTag, claimId);
        Submitted.Add(1, new KeyValuePair<string, object?>("reimburse.source", source));
    }

    public static void ClaimApproved(TimeSpan? sinceSubmission)
    {
        Approved.Add(1);
        if (sinceSubmission is { } latency && latency >= TimeSpan.Zero) ApprovalHours.Record(latency.TotalHours);
    }

    public static void ReceiptsRead(TimeSpan elapsed) => OcrSeconds.Record(elapsed.TotalSeconds);

    public static void RiskLevel(string level) => RiskScored.Add(1, new KeyValuePair<string, object?>("reimburse.risk.level", level));

    public static void ApprovalEscalated() => SlaBreached.Add(1);

    public static void MessagePoisoned(string queue) => Poisoned.Add(1, new KeyValuePair<string, object?>("reimburse.queue", queue));

    /// <summary>Counts a failed orchestration; returns false so it can sit in an exception filter (the exception goes on).</summary>
    public static bool OrchestrationFailed(string orchestration)
    {
        OrchestrationsFailed.Add(1, new KeyValuePair<string, object?>("reimburse.orchestration", orchestration));
        return false;
    }

    /// <summary>Traces, metrics and logs through OpenTelemetry. Exported to Application Insights only when
    /// APPLICATIONINSIGHTS_CONNECTION_STRING is set (with Entra ID auth when APPLICATIONINSIGHTS_AUTHENTICATION_STRING
    /// says Authorization=AAD: the app's managed identity, no key); to an OTLP collector when
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nowhere (a test may add its own exporter).</summary>
    public static IServiceCollection AddReimburseTelemetry(this IServiceCollection services, IConfiguration config)
    {
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("reimburse", serviceInstanceId: Environment.MachineName))
            .WithTracing(t => t
                .AddSource(Name, "Microsoft.DurableTask*", "DurableTask.Core")
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/healthz", StringComparison.Ordinal))
                .AddHttpClientInstrumentation())
            .WithMetrics(m => m
                .AddMeter(Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithLogging(_ => { }, o => o.IncludeScopes = true);

        if (!string.IsNullOrWhiteSpace(config["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            var aad = config["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true;
            var clientId = config[$"{StorageOptions.Section}:ManagedIdentityClientId"];
            otel.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = config["APPLICATIONINSIGHTS_CONNECTION_STRING"];
                if (aad)
                {
                    o.Credential = string.IsNullOrEmpty(clientId) ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned) : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }
            });
        }
        if (!string.IsNullOrWhiteSpace(config["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }
        return services;
    }
}
