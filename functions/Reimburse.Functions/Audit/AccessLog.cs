using System.Globalization;
using System.Threading.Channels;
using Reimburse.Core.Audit;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Audit;

/// <summary>A read or a denial to record: not a change of the claim, so it goes to the access log, not the claim's chain.</summary>
public sealed record AccessRecord(string Action, string ActorId, string ActorRole, string? SourceIp, AuditOutcome Outcome, string? ClaimId, string? Department, string Details);

/// <summary>The append-only, hash-chained log of reads and denials. Each process writes its own chain per UTC day
/// ("acc-{yyyyMMdd}-{writer}"), so appends never contend and need no read before write; concurrent appends are
/// group-committed (up to 99 entries plus the chain's head row in one table batch) and every caller waits until its
/// entry is durable. A failed batch starts a fresh chain, so an ambiguous failure can never fork a chain.</summary>
public sealed partial class AccessLog : IAsyncDisposable
{
    public const string HeadRowKey = "head";
    public const int MaxEntriesPerBatch = StorageRules.MaxTransactionActions - 1;

    private sealed record Pending(AccessRecord Record, DateTimeOffset At, TaskCompletionSource<AuditEntry> Done);

    private readonly AuditStorage _storage;
    private readonly AuditIndex _index;
    private readonly TimeProvider _clock;
    private readonly ILogger<AccessLog> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private string _writer = NewWriterId();
    private string? _chainId;
    private long _seq;
    private string _head = AuditEntry.GenesisHash;
    private DateTimeOffset _lastAt = DateTimeOffset.MinValue;

    public AccessLog(AuditStorage storage, AuditIndex index, TimeProvider clock, ILogger<AccessLog> logger)
    {
        (_storage, _index, _clock, _logger) = (storage, index, clock, logger);
        _loop = Task.Run(LoopAsync);
    }

    public static string ChainPrefix(DateOnly day) => "acc-" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "-";

    /// <summary>Appends one entry and returns it once it is stored (and indexed).</summary>
    public async Task<AuditEntry> AppendAsync(AccessRecord record, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(record, _clock.GetUtcNow(), new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(AccessLog));
        }
        return await pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task LoopAsync()
    {
        var batch = new List<Pending>(MaxEntriesPerBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxEntriesPerBatch && _queue.Reader.TryRead(out var p))
            {
                batch.Add(p);
            }
            // One chain per UTC day: a batch that crosses midnight is committed in two parts.
            foreach (var part in batch.GroupBy(p => DateOnly.FromDateTime(p.At.UtcDateTime)))
            {
                await CommitAsync(part.ToList());
            }
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        try
        {
            await _storage.EnsureCreatedAsync();
            var day = DateOnly.FromDateTime(batch[0].At.UtcDateTime);
            var chainId = ChainPrefix(day) + _writer;
            if (_chainId != chainId)
            {
                (_chainId, _seq, _head) = (chainId, 0, AuditEntry.GenesisHash);
            }
            var entries = new List<AuditEntry>(batch.Count);
            var (seq, head) = (_seq, _head);
            foreach (var p in batch)
            {
                // Entries of a chain never go back in time, even if two requests raced into the queue.
                var at = p.At < _lastAt ? _lastAt : p.At;
                _lastAt = at;
                var r = p.Record;
                var e = AuditChain.Append(chainId, seq, head, new AuditDraft(r.Action, r.ActorId, r.ActorRole, r.SourceIp, r.Details, r.Outcome), at);
                entries.Add(e);
                (seq, head) = (e.Sequence, e.Hash);
            }
            var actions = entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, AuditEntityMapper.ToEntity(e))).ToList();
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(chainId, HeadRowKey)
            {
                ["Seq"] = seq,
                ["Hash"] = head,
                ["At"] = entries[^1].At.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
            }));
            await _storage.AccessLog.SubmitCheckedTransactionAsync(actions);
            (_seq, _head) = (seq, head);
            try
            {
                await _index.WriteAsync(entries.Select((e, i) => new IndexedEntry(IndexedEntry.AccessLog, e, batch[i].Record.ClaimId, batch[i].Record.Department)));
            }
            catch (Exception ex)
            {
                // The entries are stored (the chain is the record); only the query index lags. Rebuildable from the chain.
                LogIndexFailed(_logger, ex, chainId);
            }
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(entries[i]);
            }
        }
        catch (Exception ex)
        {
            // The batch may or may not have been stored: continue on a new chain rather than risk a fork.
            _writer = NewWriterId();
            _chainId = null;
            LogAppendFailed(_logger, ex, batch.Count);
            foreach (var p in batch)
            {
                p.Done.TrySetException(ex);
            }
        }
    }

    private static string NewWriterId() => Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Error, Message = "Access log append of {Count} entries failed")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Audit index write for access chain {ChainId} failed; the chain is intact")]
    private static partial void LogIndexFailed(ILogger logger, Exception exception, string chainId);
}
