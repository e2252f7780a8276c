using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Options;

namespace Reimburse.LocalHost.Durable;

/// <summary>host.json's extensions.durableTask (hub name, concurrency, extended sessions and Azure Storage provider settings).</summary>
public sealed class DurableTaskOptions
{
    public const string Section = "AzureFunctionsJobHost:extensions:durableTask";

    public string HubName { get; set; } = "TestHubName";
    public StorageProviderOptions StorageProvider { get; set; } = new();

    // Top-level in durableTask, as Durable Functions' host.json schema has them (not under storageProvider).
    public int? MaxConcurrentActivityFunctions { get; set; }
    public int? MaxConcurrentOrchestratorFunctions { get; set; }
    public bool ExtendedSessionsEnabled { get; set; }
    public int ExtendedSessionIdleTimeoutInSeconds { get; set; } = 30;

    /// <summary>The storageProvider settings LocalHost passes to the engine.</summary>
    public sealed class StorageProviderOptions
    {
        public int PartitionCount { get; set; } = 4;
        public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(30);
        public int ControlQueueBufferThreshold { get; set; } = 256;
        public int? ControlQueueBatchSize { get; set; }
        public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
        public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
    }
}

/// <summary>Durable Task on the Azure Storage engine (<see cref="AzureStorageOrchestrationService"/>) against the app's
/// storage, served through <see cref="DurableSidecar"/> to the official gRPC worker (every orchestrator and activity
/// function registered by name) and gRPC client (given to [DurableClient] parameters, and in DI).</summary>
public static class DurableHosting
{
    public static void AddDurableHosting(this IServiceCollection services, IConfiguration configuration, LocalHostOptions options, string connectionString, string prefix)
    {
        var durable = configuration.GetSection(DurableTaskOptions.Section).Get<DurableTaskOptions>() ?? new DurableTaskOptions();
        var p = durable.StorageProvider;
        var port = options.DurablePort > 0 ? options.DurablePort : FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var channel = GrpcChannel.ForAddress(address);

        services.AddSingleton(sp =>
        {
            var settings = new AzureStorageOrchestrationServiceSettings
            {
                StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
                TaskHubName = prefix + durable.HubName,
                PartitionCount = p.PartitionCount,
                MaxQueuePollingInterval = p.MaxQueuePollingInterval,
                ControlQueueBufferThreshold = p.ControlQueueBufferThreshold,
                ControlQueueVisibilityTimeout = p.ControlQueueVisibilityTimeout,
                WorkItemQueueVisibilityTimeout = p.WorkItemQueueVisibilityTimeout,
                ExtendedSessionsEnabled = durable.ExtendedSessionsEnabled,
                ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(durable.ExtendedSessionIdleTimeoutInSeconds),
                LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
            };
            if (p.ControlQueueBatchSize is { } batch) settings.ControlQueueBatchSize = batch;
            if (durable.MaxConcurrentActivityFunctions is { } a) settings.MaxConcurrentTaskActivityWorkItems = a;
            if (durable.MaxConcurrentOrchestratorFunctions is { } o) settings.MaxConcurrentTaskOrchestrationWorkItems = o;
            return new AzureStorageOrchestrationService(settings);
        });
        // Before the worker's hosted service: the engine's hub exists and the sidecar listens when the worker connects.
        services.AddHostedService(sp => new EngineStarter(sp.GetRequiredService<AzureStorageOrchestrationService>()));
        services.AddHostedService(sp => new DurableSidecar(address, new PlainTagsOrchestrationService(sp.GetRequiredService<AzureStorageOrchestrationService>()),
            sp.GetRequiredService<AzureStorageOrchestrationService>(), options.DurableWorker, sp.GetRequiredService<ILoggerFactory>()));

        services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(channel);
            b.RegisterDirectly();
        });
        if (options.DurableWorker)
        {
            services.AddDurableTaskWorker(b => b.UseGrpc(channel));
            services.AddOptions<DurableTaskRegistry>(Options.DefaultName).Configure<IEnumerable<FunctionDescriptor>, FunctionInvoker>((registry, functions, invoker) =>
            {
                foreach (var f in functions)
                {
                    if (f.Kind == TriggerKind.Orchestration) registry.AddOrchestrator(f.Name, () => new MethodOrchestrator(f, invoker));
                    // A test may put an ITaskActivity under the function's name in DI to stand in for it (a failing step).
                    else if (f.Kind == TriggerKind.Activity) registry.AddActivity(f.Name, sp => sp.GetKeyedService<ITaskActivity>(f.Name) ?? new MethodActivity(f, invoker));
                }
            });
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Creates the task hub's queues, tables and containers (retrying while storage starts).</summary>
    private sealed class EngineStarter(AzureStorageOrchestrationService service) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await service.CreateIfNotExistsAsync();
                    return;
                }
                catch (Exception) when (attempt < 60 && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>An orchestrator function: <c>([OrchestrationTrigger] TaskOrchestrationContext context)</c>.</summary>
    private sealed class MethodOrchestrator(FunctionDescriptor function, FunctionInvoker invoker) : ITaskOrchestrator
    {
        public Type InputType => typeof(object);
        public Type OutputType => typeof(object);

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
            invoker.InvokeAsync(function, new Invocation(new FunctionsOrchestrationContext(context), new Dictionary<string, string?>(), null, CancellationToken.None));
    }

    /// <summary>The orchestrator's context as the isolated worker gives it: <c>GetInput&lt;T&gt;</c> converts the input to
    /// whatever type the orchestrator asks for (the engine only knows it as JSON); everything else is the engine's.</summary>
    private sealed class FunctionsOrchestrationContext(TaskOrchestrationContext inner) : TaskOrchestrationContext
    {
        private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

        public override TaskName Name => inner.Name;
        public override string InstanceId => inner.InstanceId;
        public override ParentOrchestrationInstance? Parent => inner.Parent;
        public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;
        public override bool IsReplaying => inner.IsReplaying;
        public override string Version => inner.Version;
        public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;
        public override Microsoft.DurableTask.Entities.TaskOrchestrationEntityFeature Entities => inner.Entities;
        protected override ILoggerFactory LoggerFactory => inner.ReplaySafeLoggerFactory;

        public override T? GetInput<T>() where T : default => inner.GetInput<object>() switch
        {
            null => default,
            T typed => typed,
            System.Text.Json.JsonElement json => System.Text.Json.JsonSerializer.Deserialize<T>(json, Json),
            var other => System.Text.Json.JsonSerializer.Deserialize<T>(System.Text.Json.JsonSerializer.SerializeToElement(other, Json), Json),
        };

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
        public override void ContinueAsNew(Microsoft.DurableTask.ContinueAsNewOptions options) => inner.ContinueAsNew(options);
        public override Guid NewGuid() => inner.NewGuid();
    }

    /// <summary>An activity function: <c>([ActivityTrigger] TIn input)</c>; the SDK deserializes the input to TIn.</summary>
    private sealed class MethodActivity(FunctionDescriptor function, FunctionInvoker invoker) : ITaskActivity
    {
        public Type InputType { get; } = function.Method.GetParameters()
            .FirstOrDefault(p => p.Name == function.BindingName || p.GetCustomAttributes(false).Any(a => a.GetType().Name == "ActivityTriggerAttribute"))?.ParameterType ?? typeof(object);
        public Type OutputType => typeof(object);

        public Task<object?> RunAsync(TaskActivityContext context, object? input) =>
            invoker.InvokeAsync(function, new Invocation(input, new Dictionary<string, string?>(), null, CancellationToken.None));
    }
}
