using Reimburse.Functions.Company;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Hosting;

/// <summary>Storage the host itself keeps in the app's account (LocalHost: the Durable Task hub's queues, tables and
/// containers), created with the app's own at start and again when they are found missing.</summary>
public interface IHostStorageResources
{
    Task EnsureCreatedAsync(CancellationToken cancellationToken = default);
}

/// <summary>Creates storage resources and seeds the demo company at start, retrying while storage is not up yet
/// (Azurite may start after us). /healthz reports ready once done.</summary>
public sealed partial class StartupInitializer(
    ReimburseStorage storage,
    DemoSeeder seeder,
    IEnumerable<IQueueHandler> queues,
    IEnumerable<IHostStorageResources> hostResources,
    StartupInitializer.State state,
    ILogger<StartupInitializer> logger) : IHostedService
{
    /// <summary>Readiness, shared with the health endpoint.</summary>
    public sealed class State
    {
        public volatile bool Ready;
        public string? LastError { get; set; }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var queueNames = queues.Select(q => q.QueueName).SelectMany(q => new[] { q, q + "-poison" });
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await storage.EnsureCreatedAsync(queueNames, cancellationToken);
                foreach (var resources in hostResources)
                {
                    await resources.EnsureCreatedAsync(cancellationToken);
                }
                await seeder.SeedAsync(cancellationToken);
                state.Ready = true;
                state.LastError = null;
                return;
            }
            catch (Exception ex) when (Problems.IsStorageOutage(ex) && attempt < 60 && !cancellationToken.IsCancellationRequested)
            {
                state.LastError = "storage unavailable";
                LogWaiting(logger, attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private int _recreating;

    /// <summary>Recreates storage resources once, in the background (several failing requests share one attempt).</summary>
    public void RecreateInBackground()
    {
        if (Interlocked.Exchange(ref _recreating, 1) == 1)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await StartAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogRecreateFailed(logger, ex);
            }
            finally
            {
                Volatile.Write(ref _recreating, 0);
            }
        });
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Recreating storage resources failed")]
    private static partial void LogRecreateFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Storage not reachable yet (attempt {Attempt}); retrying")]
    private static partial void LogWaiting(ILogger logger, int attempt);
}
