using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Reimburse.Tests.Infrastructure;

/// <summary>
/// Runs the app's orchestrations and activities on the Durable Task engine in-process (DurableTaskTestHost's in-memory
/// backend behind its gRPC sidecar), registered the way a Functions host finds them: every <c>[Function]</c> method whose
/// first parameter is an <c>[OrchestrationTrigger]</c> or <c>[ActivityTrigger]</c>, on a class resolved from the app's DI.
/// The app's <c>DurableTaskClient</c> comes from the same registration.
/// </summary>
/// <summary>Registered in a test's services: the engine runs this in place of the app's activity of that name.</summary>
public sealed record ActivityOverride(string Name, ITaskActivity Activity);

public static class InProcessEngine
{
    public static void AddTo(IServiceCollection services) =>
        services.AddInMemoryDurableTask(Register, new InMemoryDurableTaskOptions { Port = FreePort() });

    public static void Register(DurableTaskRegistry registry)
    {
        foreach (var method in typeof(Reimburse.Functions.Approvals.ApprovalOrchestration).Assembly.GetTypes().SelectMany(t => t.GetMethods()))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function || method.GetParameters() is not [var trigger])
            {
                continue;
            }
            if (trigger.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null)
            {
                registry.AddOrchestrator(function.Name, () => new Orchestrator(method));
            }
            else if (trigger.GetCustomAttribute<ActivityTriggerAttribute>() is not null)
            {
                var name = function.Name;
                registry.AddActivity(name, sp => sp.GetServices<ActivityOverride>().FirstOrDefault(o => o.Name == name)?.Activity
                    ?? new Activity(method, ActivatorUtilities.GetServiceOrCreateInstance(sp, method.DeclaringType!)));
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<object?> ResultOf(object? task)
    {
        if (task is not Task t)
        {
            return task;
        }
        await t;
        return t.GetType().IsGenericType ? t.GetType().GetProperty("Result")!.GetValue(t) : null;
    }

    private sealed class Orchestrator(MethodInfo method) : ITaskOrchestrator
    {
        // The input arrives as JSON and is read by the orchestrator with GetInput<T>(), as under the Functions host.
        public Type InputType => typeof(JsonElement);

        public Type OutputType => method.ReturnType.IsGenericType ? method.ReturnType.GetGenericArguments()[0] : typeof(object);

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
            ResultOf(method.Invoke(Activator.CreateInstance(method.DeclaringType!), [new LazyInputContext(context, input)]));
    }

    /// <summary>The engine's context with GetInput&lt;T&gt;() reading the JSON input as T (the portable worker's own context
    /// only returns the input as the type the orchestrator was registered with).</summary>
    private sealed class LazyInputContext(TaskOrchestrationContext inner, object? input) : TaskOrchestrationContext
    {
        private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

        public override TaskName Name => inner.Name;

        public override string InstanceId => inner.InstanceId;

        public override ParentOrchestrationInstance? Parent => inner.Parent;

        public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

        public override bool IsReplaying => inner.IsReplaying;

        protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

        public override T? GetInput<T>() where T : default => input is JsonElement e ? e.Deserialize<T>(Json) : (T?)input;

        public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
            inner.CallActivityAsync<TResult>(name, input, options);

        public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

        public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
            inner.WaitForExternalEvent<T>(eventName, cancellationToken);

        public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

        public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

        public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
            inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

        public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

        public override Guid NewGuid() => inner.NewGuid();

        public override ILogger CreateReplaySafeLogger(string categoryName) => inner.CreateReplaySafeLogger(categoryName);

        public override ILogger CreateReplaySafeLogger(Type type) => inner.CreateReplaySafeLogger(type);

        public override ILogger CreateReplaySafeLogger<T>() => inner.CreateReplaySafeLogger<T>();
    }

    private sealed class Activity(MethodInfo method, object target) : ITaskActivity
    {
        public Type InputType => method.GetParameters()[0].ParameterType;

        public Type OutputType => method.ReturnType.IsGenericType ? method.ReturnType.GetGenericArguments()[0] : typeof(object);

        public Task<object?> RunAsync(TaskActivityContext context, object? input) => ResultOf(method.Invoke(target, [input]));
    }
}
