using System.Threading.Channels;
using Azure.Data.Tables;

namespace Reimburse.Functions.Hosting.Storage;

/// <summary>Group commit for idempotent upserts (derived rows such as query indexes): rows handed in by concurrent callers
/// are collected while the previous round is in flight, grouped per table and partition into batches of up to 100, and
/// each caller's task completes once all of its rows are stored (or fails with the first error of one of its batches).
/// Rows that many writers share a partition with — "everything by this actor", "everything today" — then cost one request
/// per round instead of one per caller. Same guarantee as writing directly: when the task completes the rows are durable;
/// when it fails, some may be and some not (upserts, so the caller just writes them again).</summary>
public sealed class TableUpsertBatcher : IAsyncDisposable
{
    private sealed record Item(TableClient Table, IReadOnlyList<TableEntity> Rows, TaskCompletionSource Done);

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeSpan _linger;
    private readonly int _parallel;
    private readonly Task _loop;

    /// <param name="linger">How long a round waits for more callers after the first one arrives (a few milliseconds buys
    /// much larger batches under load and costs that much latency when idle).</param>
    /// <param name="parallel">Batches of one round sent at once.</param>
    public TableUpsertBatcher(TimeSpan? linger = null, int parallel = 16)
    {
        _linger = linger ?? TimeSpan.FromMilliseconds(50);
        _parallel = parallel;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Upserts (replace) the rows; returns when they are stored.</summary>
    public Task UpsertAsync(TableClient table, IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0)
        {
            return Task.CompletedTask;
        }
        var item = new Item(table, rows, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(nameof(TableUpsertBatcher));
        }
        return item.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task LoopAsync()
    {
        var round = new List<Item>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_linger > TimeSpan.Zero)
            {
                await Task.Delay(_linger).ConfigureAwait(false);
            }
            round.Clear();
            while (round.Count < 10_000 && _queue.Reader.TryRead(out var item))
            {
                round.Add(item);
            }
            await CommitAsync(round).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<Item> round)
    {
        // One batch per table, partition and 100 rows; a row key written twice in a round is written once (last wins).
        var batches = round
            .SelectMany(item => item.Rows.Select(row => (item, row)))
            .GroupBy(x => (x.item.Table.Uri, x.row.PartitionKey))
            .SelectMany(g => g.GroupBy(x => x.row.RowKey, StringComparer.Ordinal).Select(r => r.Last())
                .Chunk(StorageRules.MaxTransactionActions)
                .Select(chunk => (Table: chunk[0].item.Table, Rows: chunk.Select(x => x.row).ToList(), Owners: g.Select(x => x.item).Distinct().ToList())))
            .ToList();
        var failures = new Dictionary<Item, Exception>();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = _parallel }, async (b, ct) =>
        {
            try
            {
                if (b.Rows.Count == 1)
                {
                    await b.Table.UpsertEntityAsync(StorageRules.ThrowIfDecimal(b.Rows[0]), TableUpdateMode.Replace, ct).ConfigureAwait(false);
                }
                else
                {
                    await b.Table.SubmitCheckedTransactionAsync(b.Rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    foreach (var owner in b.Owners) failures.TryAdd(owner, ex);
                }
            }
        }).ConfigureAwait(false);
        foreach (var item in round)
        {
            if (failures.TryGetValue(item, out var ex)) item.Done.TrySetException(ex);
            else item.Done.TrySetResult();
        }
    }

    /// <summary>Finishes the rounds already handed in, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
