using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Azure;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Triggers;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>
/// Post-commit dispatcher for claim partitions. Every claim batch marks the claim row DispatchPending; after the commit
/// this carries out what the change queued — outbox effects (notifications, timers, ledger posts), audit observers, the
/// pending-approvals index — and then clears the flag and advances the watermarks (DispatchedAudit, DispatchedOutbox) with
/// If-Match. Delivery is at least once (in-process right after commit, and the sweeper for anything a crash left behind);
/// every effect is exactly once by its key (idempotent sender, ledger Add by key, stale timers are no-ops).
/// </summary>
public sealed partial class ClaimDispatcher(
    ReimburseStorage storage,
    IServiceProvider services,
    ApprovalIndex index,
    WorkflowNotifications notifications,
    WorkflowClock workflowClock,
    QueueNudger nudger,
    TimeProvider clock,
    ILogger<ClaimDispatcher> logger) : IClaimCommitListener
{
    public const string DispatchedAuditProperty = "DispatchedAudit";
    public const string DispatchedOutboxProperty = "DispatchedOutbox";
    public const string IndexedForProperty = "IndexedFor";
    /// <summary>Longest queue visibility delay (the service allows 7 days); longer timers are re-armed when they come back.</summary>
    public static readonly TimeSpan MaxQueueDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Seq, string IndexedFor)> _dispatched = new(StringComparer.Ordinal);
    // The audit sequence a dispatch running now will have covered when it succeeds: a commit made meanwhile (an approver
    // who acted on the notification before the watermark was written) can then still be dispatched from memory.
    private readonly Dictionary<string, long> _inflight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly Channel<string> _work = Channel.CreateUnbounded<string>();

    /// <summary>What this process committed for a claim and has not dispatched yet. Complete when it covers everything since
    /// the last watermark this process wrote (or since creation), so the dispatch needs no read.</summary>
    private sealed class Pending
    {
        public bool Complete;
        public long LastSeq;
        public ETag DispatchETag;
        public required StoredClaim Latest;
        public List<AuditEntry> Entries { get; } = [];
        /// <summary>Outbox rows with the time their commit started (the start of their notification lease).</summary>
        public List<(TableEntity Row, DateTimeOffset At)> Outbox { get; } = [];
    }

    public ChannelReader<string> Work => _work.Reader;

    public void OnCommitted(ClaimCommit commit)
    {
        var id = commit.Claim.Claim.Id;
        var at = commit.Entries.Count > 0 ? commit.Entries[0].At : clock.GetUtcNow();
        var outbox = commit.ExtraRows.Where(r => r.RowKey.StartsWith(WorkflowRows.OutboxPrefix, StringComparison.Ordinal)).Select(r => (r, at)).ToList();
        lock (_gate)
        {
            if (_pending.Count > 50_000 || _dispatched.Count > 50_000)
            {
                // Memory bound; a dispatch without memory reads the partition instead.
                _pending.Clear();
                _dispatched.Clear();
            }
            var previousSeq = commit.Previous?.AuditSequence ?? 0;
            if (_pending.TryGetValue(id, out var p) && p.Complete && p.LastSeq == previousSeq)
            {
                p.Entries.AddRange(commit.Entries);
                p.Outbox.AddRange(outbox);
                p.Latest = commit.Claim;
                p.LastSeq = commit.Claim.AuditSequence;
                p.DispatchETag = commit.DispatchETag;
            }
            else
            {
                var complete = commit.Previous is null
                    || (_dispatched.TryGetValue(id, out var d) && d.Seq == previousSeq)
                    || (_inflight.TryGetValue(id, out var running) && running == previousSeq);
                p = new Pending { Complete = complete, Latest = commit.Claim, LastSeq = commit.Claim.AuditSequence, DispatchETag = commit.DispatchETag };
                p.Entries.AddRange(commit.Entries);
                p.Outbox.AddRange(outbox);
                _pending[id] = p;
            }
        }
        // Submitted and Received are pipeline stages: the pipeline's next commit follows at once, and dispatching that one
        // covers both (one dispatch per intake instead of three). A pipeline that stops there is found by the sweeper.
        if (commit.Claim.Claim.Status is ClaimStatus.Submitted or ClaimStatus.Received)
        {
            return;
        }
        Schedule(id);
    }

    /// <summary>Asks the background workers to dispatch the claim (coalesced while it waits).</summary>
    public void Schedule(string claimId)
    {
        if (_queued.TryAdd(claimId, 0))
        {
            _work.Writer.TryWrite(claimId);
        }
    }

    /// <summary>Called by a worker for a claim taken from <see cref="Work"/>.</summary>
    public async Task RunScheduledAsync(string claimId, CancellationToken cancellationToken)
    {
        _queued.TryRemove(claimId, out _);
        try
        {
            await DispatchAsync(claimId, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The claim stays DispatchPending: the sweeper retries it.
            LogDispatchFailed(logger, ex, claimId);
        }
    }

    /// <summary>Dispatches whatever is pending for the claim. Safe to run anywhere, any number of times, concurrently.</summary>
    public async Task DispatchAsync(string claimId, CancellationToken cancellationToken = default)
    {
        var gate = _locks.GetOrAdd(claimId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await DispatchCoreAsync(claimId, cancellationToken);
        }
        catch
        {
            lock (_gate)
            {
                // Memory that counted on this dispatch succeeding is not enough any more: the next dispatch reads the partition.
                _inflight.Remove(claimId);
                _dispatched.Remove(claimId);
                if (_pending.TryGetValue(claimId, out var p)) p.Complete = false;
            }
            throw;
        }
        finally
        {
            gate.Release();
            if (gate.CurrentCount == 1 && _locks.Count > 10_000)
            {
                _locks.TryRemove(claimId, out _);
            }
        }
    }

    private async Task DispatchCoreAsync(string claimId, CancellationToken cancellationToken)
    {
        Pending? memory;
        (long Seq, string IndexedFor) known = default;
        lock (_gate)
        {
            _pending.Remove(claimId, out memory);
            _dispatched.TryGetValue(claimId, out known);
            if (memory is { Complete: true })
            {
                _inflight[claimId] = memory.Latest.AuditSequence;
            }
        }
        TableEntity row;
        IReadOnlyList<AuditEntry> entries;
        IReadOnlyList<(TableEntity Row, DateTimeOffset At, bool Here)> outbox;
        ETag markerETag;
        long auditMark;
        int outboxMark;
        string indexedFor;
        if (memory is { Complete: true })
        {
            row = memory.Latest.Raw;
            entries = memory.Entries;
            outbox = memory.Outbox.Select(o => (o.Row, o.At, true)).ToList();
            markerETag = memory.DispatchETag;
            auditMark = known.Seq;
            outboxMark = 0;
            indexedFor = known.IndexedFor ?? "";
        }
        else
        {
            // Rows this process committed (known from memory even when the memory is not complete) have their lease here.
            var committedHere = (memory?.Outbox ?? []).ToDictionary(o => o.Row.RowKey, o => o.At, StringComparer.Ordinal);
            var rows = new List<TableEntity>();
            await foreach (var e in storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {claimId}"), cancellationToken: cancellationToken))
            {
                rows.Add(e);
            }
            var claimRow = rows.FirstOrDefault(r => r.RowKey == ClaimStore.ClaimRowKey);
            var marker = rows.FirstOrDefault(r => r.RowKey == ClaimStore.DispatchRowKey);
            if (claimRow is null || marker is null || marker.GetBoolean(ClaimStore.DispatchPendingProperty) != true)
            {
                return;
            }
            row = claimRow;
            markerETag = marker.ETag;
            auditMark = marker.GetInt64(DispatchedAuditProperty) ?? 0;
            outboxMark = marker.GetInt32(DispatchedOutboxProperty) ?? 0;
            indexedFor = marker.GetString(IndexedForProperty) ?? "";
            entries = rows.Where(r => r.RowKey.StartsWith(ClaimStore.AuditRowPrefix, StringComparison.Ordinal))
                .Select(e => AuditEntityMapper.FromEntity(e)).Where(a => a.Sequence > auditMark).OrderBy(a => a.Sequence).ToList();
            outbox = rows.Where(r => r.RowKey.StartsWith(WorkflowRows.OutboxPrefix, StringComparison.Ordinal) && WorkflowRows.OutboxVersion(r.RowKey) > outboxMark)
                .OrderBy(r => r.RowKey, StringComparer.Ordinal).Select(r => committedHere.TryGetValue(r.RowKey, out var at) ? (r, at, true) : (r, r.Timestamp ?? DateTimeOffset.MinValue, false)).ToList();
        }

        // 0. How each notification may be delivered. One that another instance committed moments ago is its to deliver: it
        //    is left alone and the marker stays pending (the sweeper looks again once the lease is over, in case that
        //    instance died).
        var now = clock.GetUtcNow();
        var notifyModes = new Dictionary<string, DeliveryMode>(StringComparer.Ordinal);
        foreach (var (o, at, here) in outbox)
        {
            if (o.GetString("Type") == nameof(Notify))
            {
                notifyModes[o.RowKey] = WorkflowNotifications.ModeFor(here, notifications.Records(o) is not null, at, now, notifications.Lease);
            }
        }
        var deferred = notifyModes.ContainsValue(DeliveryMode.Defer);

        var stored = ClaimEntityMapper.FromEntity(row);
        var state = WorkflowRows.ReadState(claimId, row);

        // 1. Effects, concurrently (they are independent and each is idempotent by key); notifications come last (step 4).
        var work = new List<Task>();
        var notifies = new List<(TableEntity Row, Notify Effect, DateTimeOffset At)>();
        var delivered = new ConcurrentBag<(TableEntity Row, string Json)>();
        foreach (var group in outbox.GroupBy(r => WorkflowRows.OutboxVersion(r.Row.RowKey)))
        {
            var timers = new List<ScheduleTimer>();
            foreach (var (o, at, _) in group)
            {
                var key = o.GetString("Key")!;
                switch (WorkflowRows.ReadEffect(o))
                {
                    case Notify n:
                        notifies.Add((o, n, at));
                        break;
                    case ScheduleTimer t:
                        timers.Add(t);
                        break;
                    case PostToLedger p:
                        work.Add(PostAsync(stored.Claim, key, p, cancellationToken));
                        break;
                    case CancelTimer:
                        break; // a timer that fires anyway finds itself disarmed: a no-op
                }
            }
            if (timers.Count > 0)
            {
                // One message per transition carries all its timers; it comes back at the earliest and re-arms the rest.
                work.Add(WorkflowTimerHandler.EnqueueAsync(storage, workflowClock, nudger, claimId, timers, cancellationToken));
            }
        }

        // 2. Audit observers.
        if (entries.Count > 0)
        {
            foreach (var observer in services.GetServices<IAuditEntryObserver>())
            {
                work.Add(observer.OnCommittedAsync(stored.Claim, entries, cancellationToken));
            }
        }

        // 3. Pending-approvals index: add rows for principals not indexed yet (readers drop stale rows).
        var principals = ApprovalWorkflow.Principals(state);
        var indexed = indexedFor.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var toIndex = principals.Except(indexed, StringComparer.Ordinal).ToList();
        if (toIndex.Count > 0)
        {
            work.Add(index.AddAsync(toIndex, claimId, state.Version, cancellationToken));
        }
        await Task.WhenAll(work);

        // 4. Notifications, once the rest is in place: an approver who follows the link finds the claim in their pending
        //    list, and the time between a channel accepting a notification and its outcome being written (the window in
        //    which a crash makes it go out twice) is one send and one batch.
        //    The effects took time: a send is only started directly if the lease still allows it now.
        var sendAt = clock.GetUtcNow();
        await Task.WhenAll(notifies.Select(async x =>
        {
            var mode = notifyModes[x.Row.RowKey];
            if (mode == DeliveryMode.Direct && WorkflowNotifications.ModeFor(true, false, x.At, sendAt, notifications.Lease) != DeliveryMode.Direct)
            {
                mode = DeliveryMode.HandOff;
            }
            if (await notifications.DeliverAsync(claimId, x.Row, x.Effect, mode, x.At, sendAt, cancellationToken) is { } json)
            {
                delivered.Add((x.Row, json));
            }
        }));

        // 5. Watermarks on the dispatch marker, only if no change marked it again meanwhile (that change is dispatched on
        //    its own). The claim row is not touched, so decisions never lose a race against the dispatcher.
        var seq = Math.Max(stored.AuditSequence, auditMark);
        var principalsText = string.Join(',', principals);
        var mark = new TableEntity(claimId, ClaimStore.DispatchRowKey)
        {
            [ClaimStore.DispatchPendingProperty] = false,
            [DispatchedAuditProperty] = seq,
            [DispatchedOutboxProperty] = Math.Max(state.Version, outboxMark),
            [IndexedForProperty] = principalsText,
        };
        // Notification outcomes ride in the same batch (the outbox row is in the claim's partition).
        var outcomes = delivered.Select(d => new TableTransactionAction(TableTransactionActionType.UpdateMerge,
            new TableEntity(claimId, d.Row.RowKey) { [WorkflowNotifications.DeliveryProperty] = d.Json })).ToList();
        if (outcomes.Count >= StorageRules.MaxTransactionActions)
        {
            // More than a batch holds (a dispatch catching up on many transitions): outcomes first, then the marker alone.
            foreach (var chunk in outcomes.Chunk(StorageRules.MaxTransactionActions))
            {
                await storage.Claims.SubmitCheckedTransactionAsync(chunk, cancellationToken);
            }
            outcomes.Clear();
        }
        if (deferred)
        {
            if (outcomes.Count > 0)
            {
                await storage.Claims.SubmitCheckedTransactionAsync(outcomes, cancellationToken);
            }
            foreach (var d in delivered)
            {
                notifications.Written(d.Row);
            }
            LogDeferred(logger, claimId);
            return;
        }
        try
        {
            if (outcomes.Count == 0)
            {
                await storage.Claims.UpdateEntityAsync(mark, markerETag, TableUpdateMode.Merge, cancellationToken);
            }
            else
            {
                await storage.Claims.SubmitCheckedTransactionAsync([new(TableTransactionActionType.UpdateMerge, mark, markerETag), .. outcomes], cancellationToken);
            }
            LogDispatched(logger, claimId, outbox.Count, entries.Count);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            // Marked again (or dispatched by another instance) since we read it: that change carries its own dispatch. The
            // notification outcomes must still be kept, or a later dispatch would send them again.
            if (outcomes.Count > 0)
            {
                await storage.Claims.SubmitCheckedTransactionAsync(outcomes, cancellationToken);
            }
        }
        foreach (var d in delivered)
        {
            notifications.Written(d.Row);
        }
        lock (_gate)
        {
            // Everything up to seq is carried out (the watermark may lag when a newer change re-marked the row; that change's
            // dispatch writes it).
            _dispatched[claimId] = (seq, principalsText);
            _inflight.Remove(claimId);
        }
    }

    private async Task PostAsync(Claim claim, string key, PostToLedger p, CancellationToken cancellationToken)
    {
        var row = new TableEntity(p.ApprovedAt.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture), key)
        {
            ["ClaimId"] = p.ClaimId,
            ["ClaimantId"] = p.ClaimantId,
            ["Amount"] = p.Amount.Amount.ToString(CultureInfo.InvariantCulture),
            ["Currency"] = p.Amount.Currency,
            ["ApprovedAt"] = p.ApprovedAt.UtcDateTime,
            ["Department"] = claim.Department,
            ["Category"] = claim.Fields.Category ?? "",
            ["Merchant"] = claim.Fields.Merchant ?? "",
            ["ExpenseDate"] = claim.Fields.ExpenseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
        };
        try
        {
            await storage.Ledger.AddEntityAsync(row, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Posted by an earlier attempt: exactly once by key.
        }
    }

    [LoggerMessage(EventId = 4200, Level = LogLevel.Debug, Message = "Dispatched claim {ClaimId}: {Effects} effects, {Entries} audit entries")]
    private static partial void LogDispatched(ILogger logger, string claimId, int effects, int entries);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Dispatching claim {ClaimId} failed; the sweeper will retry")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, string claimId);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "Claim {ClaimId} has a notification another instance is delivering; left to it")]
    private static partial void LogDeferred(ILogger logger, string claimId);
}

/// <summary>Runs the in-process dispatch right after commits, with bounded parallelism.</summary>
public sealed class ClaimDispatchWorker(ClaimDispatcher dispatcher, IOptions<WorkflowOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.DispatchConcurrency).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var id in dispatcher.Work.ReadAllAsync(stoppingToken))
                {
                    await dispatcher.RunScheduledAsync(id, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }, stoppingToken)));
}

/// <summary>Timer: dispatches claims still DispatchPending a while after their last change (a crash between commit and
/// dispatch, a failed dispatch, a pipeline that stopped half-way). Competing sweepers are harmless: effects are idempotent.</summary>
public sealed partial class ClaimDispatchSweeper(ReimburseStorage storage, ClaimDispatcher dispatcher, IOptions<WorkflowOptions> options, TimeProvider clock, ILogger<ClaimDispatchSweeper> logger) : ITimerHandler
{
    public string FunctionName => "WorkflowDispatchSweep";
    public string Schedule => $"*/{options.Value.SweepEverySeconds} * * * * *";

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken = default)
    {
        var before = clock.GetUtcNow() - TimeSpan.FromSeconds(options.Value.SweepAfterSeconds);
        var due = new List<string>();
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>($"RowKey eq '{ClaimStore.DispatchRowKey}' and {ClaimStore.DispatchPendingProperty} eq true", cancellationToken: cancellationToken))
        {
            if (e.Timestamp is null || e.Timestamp < before)
            {
                due.Add(e.PartitionKey);
            }
        }
        if (due.Count == 0)
        {
            return;
        }
        LogSweeping(logger, due.Count);
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            try
            {
                await dispatcher.DispatchAsync(id, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex, id);
            }
        });
    }

    [LoggerMessage(EventId = 4210, Level = LogLevel.Information, Message = "Sweeper dispatching {Count} claims left pending")]
    private static partial void LogSweeping(ILogger logger, int count);

    [LoggerMessage(EventId = 4211, Level = LogLevel.Warning, Message = "Sweeper could not dispatch claim {ClaimId}")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string claimId);
}
