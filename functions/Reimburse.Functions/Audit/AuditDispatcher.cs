using System.Threading.Channels;
using Azure;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Audit;

/// <summary>
/// Hands the audit entries of every committed claim batch to the <see cref="IAuditEntryObserver"/>s (the auditor's query
/// index) right after the commit, then clears the claim's dispatch marker with If-Match and records how far the chain was
/// handed over (<see cref="DispatchedAuditProperty"/>). Best effort and at least once: a commit this process never got to
/// (a crash, a failed observer) keeps its marker pending, and <see cref="AuditIndexReconciler"/> indexes it on its next run.
/// </summary>
public sealed partial class AuditDispatcher(IServiceProvider services, ReimburseStorage storage, ILogger<AuditDispatcher> logger) : IClaimCommitListener
{
    public const string DispatchedAuditProperty = "DispatchedAudit";

    private readonly Channel<ClaimCommit> _work = Channel.CreateBounded<ClaimCommit>(new BoundedChannelOptions(50_000) { FullMode = BoundedChannelFullMode.DropWrite });

    public ChannelReader<ClaimCommit> Work => _work.Reader;

    public void OnCommitted(ClaimCommit commit) => _work.Writer.TryWrite(commit);

    public async Task DispatchAsync(ClaimCommit commit, CancellationToken cancellationToken = default)
    {
        if (commit.Entries.Count > 0)
        {
            await Task.WhenAll(services.GetServices<IAuditEntryObserver>().Select(o => o.OnCommittedAsync(commit.Claim.Claim, commit.Entries, cancellationToken)));
        }
        var mark = new TableEntity(commit.Claim.Claim.Id, ClaimStore.DispatchRowKey)
        {
            [ClaimStore.DispatchPendingProperty] = false,
            [DispatchedAuditProperty] = commit.Claim.AuditSequence,
        };
        try
        {
            await storage.Claims.UpdateEntityAsync(mark, commit.DispatchETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            // A later commit marked it again: that commit's dispatch clears it.
        }
    }

    internal async Task RunAsync(ClaimCommit commit, CancellationToken cancellationToken)
    {
        try
        {
            await DispatchAsync(commit, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, ex, commit.Claim.Claim.Id);
        }
    }

    [LoggerMessage(EventId = 640, Level = LogLevel.Warning, Message = "Audit entries of claim {ClaimId} not handed to the index now; the reconciler will")]
    private static partial void LogFailed(ILogger logger, Exception exception, string claimId);
}

/// <summary>Runs <see cref="AuditDispatcher"/> in the background, a few commits at a time.</summary>
public sealed class AuditDispatchWorker(AuditDispatcher dispatcher) : BackgroundService
{
    private const int Concurrency = 16;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var commit in dispatcher.Work.ReadAllAsync(stoppingToken))
                {
                    await dispatcher.RunAsync(commit, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }, stoppingToken)));
}
