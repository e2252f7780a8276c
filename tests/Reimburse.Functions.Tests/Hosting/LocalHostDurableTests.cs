using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.LocalHost;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Hosting;

/// <summary>LocalHost runs durable functions on the Azure Storage engine against Azurite, through the gRPC sidecar, with
/// the official worker and client. The app has no orchestrations of its own yet, so these register test functions.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LocalHostDurableTests(AzuriteFixture azurite)
{
    /// <summary>Test functions in the isolated worker's shape.</summary>
    public static class Greetings
    {
        public static async Task<string> Greet([OrchestrationTrigger] TaskOrchestrationContext context)
        {
            var greeting = await context.CallActivityAsync<string>(nameof(SayHello), context.GetInput<Visitor>());
            using var cancel = new CancellationTokenSource();
            var approval = context.WaitForExternalEvent<string>("Approve", cancel.Token);
            var timeout = context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(3), cancel.Token);
            var winner = await Task.WhenAny(approval, timeout);
            // Synchronous on purpose: orchestrator code must stay on the orchestration's own thread (no CancelAsync).
#pragma warning disable CA1849
            cancel.Cancel();
#pragma warning restore CA1849
            return winner == approval ? $"{greeting}, approved by {approval.Result}" : $"{greeting}, timed out";
        }

        public static string SayHello([ActivityTrigger] Visitor visitor) => $"Hello {visitor.Name} of {visitor.Department}";
    }

    /// <summary>An activity input that must arrive deserialized to its type.</summary>
    public sealed record Visitor(string Name, string Department);

    private static void AddGreetings(IServiceCollection services)
    {
        services.AddSingleton(FunctionDescriptor.ForMethod("Greet", TriggerKind.Orchestration, typeof(Greetings).GetMethod(nameof(Greetings.Greet))!));
        services.AddSingleton(FunctionDescriptor.ForMethod("SayHello", TriggerKind.Activity, typeof(Greetings).GetMethod(nameof(Greetings.SayHello))!));
    }

    [Fact]
    public async Task Orchestration_ActivityThenExternalEvent_CompletesOnAzurite()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite, services: AddGreetings);
        await app.StartAsync(ct);
        var client = app.Services.GetRequiredService<DurableTaskClient>();

        var id = await client.ScheduleNewOrchestrationInstanceAsync("Greet", new Visitor("Chan", "sales"), ct);
        await client.WaitForInstanceStartAsync(id, ct);
        await client.RaiseEventAsync(id, "Approve", "mgr-wong", ct);
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails} {done.SerializedOutput}");
        Assert.Equal("Hello Chan of sales, approved by mgr-wong", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Orchestration_NoEvent_TimerFiresAndCompletes()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite, services: AddGreetings);
        await app.StartAsync(ct);
        var client = app.Services.GetRequiredService<DurableTaskClient>();

        var id = await client.ScheduleNewOrchestrationInstanceAsync("Greet", new Visitor("Lee", "ops"), ct);
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, ct);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails} {done.SerializedOutput}");
        Assert.Equal("Hello Lee of ops, timed out", done.ReadOutputAs<string>());
        Assert.True(done.LastUpdatedAt - done.CreatedAt >= TimeSpan.FromSeconds(2), $"finished after {done.LastUpdatedAt - done.CreatedAt}");
    }

    [Fact]
    public async Task ClientOnlyHost_SchedulesButDoesNotRun()
    {
        var ct = TestTimeout.Token(120);
        await using var app = new ReimburseApp(azurite, new() { ["LocalHost:DurableWorker"] = "false" }, services: AddGreetings);
        await app.StartAsync(ct);
        var client = app.Services.GetRequiredService<DurableTaskClient>();

        var id = await client.ScheduleNewOrchestrationInstanceAsync("Greet", new Visitor("Wong", "finance"), ct);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);

        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await client.GetInstanceAsync(id, ct))!.RuntimeStatus);
    }
}
