using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Reimburse.Functions.Hosting;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Hosting;

/// <summary>The app's OpenTelemetry pipeline, seen through in-memory exporters added to the real host (LocalHost on a
/// loopback port, Durable Task engine on Azurite): one claim from the HTTP submit to its approval notification.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TelemetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SubmitAndApprove_OneClaim_SpansCarryTheClaimIdAndMetricsCount()
    {
        var ct = TestTimeout.Token();
        var spans = new List<Activity>();
        var exportedMetrics = new List<MetricSnapshot>();
        var settings = WorkflowTestKit.AppSettings();
        settings.Remove("Reimburse:Risk:Enabled"); // risk scoring on: its level is a metric dimension
        await using var app = new ReimburseApp(azurite, settings, s =>
        {
            WorkflowTestKit.UseRecordingChannel(s);
            // Exporters only: sources, meters and instrumentation are the app's own registration (AddReimburseTelemetry).
            s.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(spans)).WithMetrics(m => m.AddInMemoryExporter(exportedMetrics));
        });
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);

        var id = await WorkflowTestKit.SubmitAsync(chan, 180m, cancellationToken: ct);
        await ApproveUntilDoneAsync(app, chan, id, ct);
        // After the approval: the ledger post, then the claimant's notification (the last step of the claim's orchestration).
        await WaitForAsync(() => ClaimSpans(spans, id) is var c && c.FirstOrDefault(s => s.DisplayName == "PostToLedger") is { } post
            && c.Any(s => s.DisplayName == "DeliverNotification" && s.StartTimeUtc >= post.StartTimeUtc), ct);
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var metrics = exportedMetrics.ToArray().Where(m => m is not null).ToList();

        var claimSpans = ClaimSpans(spans, id);
        var names = claimSpans.Select(s => s.DisplayName).ToHashSet();
        foreach (var step in new[] { "ClaimOrchestration.Start", "ReceiveClaim", "ReadReceipts", "ScoreRisk", "PlanApproval", "PostToLedger", "DeliverNotification" })
        {
            Assert.Contains(step, names);
        }
        // The HTTP request that submitted the claim carries its id, and the orchestration start is its child.
        var submit = Assert.Single(Snapshot(spans), s => s.Kind == ActivityKind.Server && s.GetTagItem("http.request.method") as string == "POST"
                && s.GetTagItem("url.path") as string == "/api/claims" && s.GetTagItem(ReimburseTelemetry.ClaimIdTag) as string == id);
        var start = Assert.Single(claimSpans, s => s.DisplayName == "ClaimOrchestration.Start");
        Assert.Equal(submit.TraceId, start.TraceId);
        // One trace: the Durable Task engine carried the context from the submit to every activity of the claim.
        var traces = claimSpans.GroupBy(s => s.TraceId).Select(g => $"{g.Key}: {string.Join(", ", g.Select(s => s.DisplayName))}").ToList();
        Assert.True(traces.Count == 1, string.Join("\n", traces));
        // Never personal data on the claim's spans: no claimant id, no merchant.
        Assert.DoesNotContain(claimSpans.SelectMany(s => s.TagObjects), t => t.Value is string v && (v.Contains("emp-chan", StringComparison.Ordinal) || v.Contains("Restaurant", StringComparison.Ordinal) || v.Contains("Cafe", StringComparison.Ordinal)));

        var exported = string.Join(", ", metrics.Select(m => m.Name).Distinct());
        Assert.True(Sum(metrics, ReimburseTelemetry.ClaimsSubmittedMetric) >= 1, exported);
        Assert.True(Sum(metrics, ReimburseTelemetry.ClaimsApprovedMetric) >= 1, exported);
        Assert.True(Count(metrics, ReimburseTelemetry.OcrDurationMetric) >= 1, exported);
        Assert.True(Count(metrics, ReimburseTelemetry.ApprovalLatencyMetric) >= 1, exported);
        var levels = Points(metrics, ReimburseTelemetry.RiskScoredMetric).SelectMany(p => Tags(p)).Where(t => t.Key == "reimburse.risk.level").Select(t => t.Value as string);
        Assert.Contains(levels, l => l is "Low" or "Medium" or "High");
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://eastasia-0.in.applicationinsights.azure.com/", true)]
    public void AddReimburseTelemetry_ConnectionString_AzureMonitorExporterOnlyWhenSet(string? connectionString, bool expected)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = connectionString })
            .Build();
        var services = new ServiceCollection();

        services.AddReimburseTelemetry(config);

        var azureMonitor = typeof(Azure.Monitor.OpenTelemetry.Exporter.AzureMonitorExporterOptions).Assembly;
        var registered = services.Any(d => d.ServiceType.Assembly == azureMonitor || d.ImplementationType?.Assembly == azureMonitor
            || d.ServiceType.GenericTypeArguments.Any(t => t.Assembly == azureMonitor));
        Assert.Equal(expected, registered);
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(1, 0)]
    public async Task QueueAsync_HandlerFailsOnLastAttempt_CountsAPoisonMessage(long dequeueCount, long expected)
    {
        long poisoned = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == ReimburseTelemetry.Name && i.Name == ReimburseTelemetry.PoisonedMetric) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags) if (t.Key == "reimburse.queue" && t.Value as string == "telemetry-test-queue") Interlocked.Add(ref poisoned, value);
        });
        listener.Start();
        var dispatch = new Reimburse.Functions.Triggers.TriggerDispatch([new FailingHandler()], [], TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new StandaloneOptions { MaxDequeueCount = 5 }));
        var message = Azure.Storage.Queues.Models.QueuesModelFactory.QueueMessage("m1", "p1", "{}", dequeueCount);

        await Assert.ThrowsAsync<InvalidOperationException>(() => dispatch.QueueAsync(FailingHandler.Name, message));

        Assert.Equal(expected, Interlocked.Read(ref poisoned));
    }

    private sealed class FailingHandler : Reimburse.Functions.Triggers.IQueueHandler
    {
        public const string Name = "TelemetryTestFailing";
        public string FunctionName => Name;
        public string QueueName => "telemetry-test-queue";
        public Task HandleAsync(Reimburse.Functions.Triggers.QueueInvocation invocation, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("handler failed");
    }

    /// <summary>Approves as whoever the workflow waits on, step after step, until the claim is approved.</summary>
    private static async Task ApproveUntilDoneAsync(ReimburseApp app, HttpClient chan, string id, CancellationToken ct)
    {
        while (true)
        {
            var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "approved" || w.Waiting().Any(), ct);
            if (workflow.Status() == "approved") return;
            var version = workflow.GetProperty("version").GetInt32();
            foreach (var approver in workflow.Waiting().Distinct().ToList())
            {
                await WorkflowTestKit.DecideAsync(await app.ClientForAsync(approver, ct), id, "approve", cancellationToken: ct);
            }
            await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "approved" || w.GetProperty("version").GetInt32() != version, ct);
        }
    }

    /// <summary>The exporter appends from the app's threads: copy without enumerating (List.ToArray never throws).</summary>
    private static List<Activity> Snapshot(List<Activity> spans) => spans.ToArray().Where(s => s is not null).ToList();

    private static List<Activity> ClaimSpans(List<Activity> spans, string id) =>
        Snapshot(spans).Where(s => s.GetTagItem(ReimburseTelemetry.ClaimIdTag) as string == id).ToList();

    private static async Task WaitForAsync(Func<bool> done, CancellationToken ct)
    {
        while (!done()) await Task.Delay(50, ct);
    }

    private static IEnumerable<MetricPoint> Points(List<MetricSnapshot> metrics, string name) =>
        metrics.Where(m => m.Name == name).SelectMany(m => m.MetricPoints);

    private static long Sum(List<MetricSnapshot> metrics, string name) => Points(metrics, name).Sum(p => p.GetSumLong());

    private static long Count(List<MetricSnapshot> metrics, string name) => Points(metrics, name).Sum(p => p.GetHistogramCount());

    private static List<KeyValuePair<string, object?>> Tags(MetricPoint point)
    {
        var list = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags) list.Add(tag);
        return list;
    }
}
