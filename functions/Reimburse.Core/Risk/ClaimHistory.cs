namespace Reimburse.Core.Risk;

/// <summary>
/// One past claim in a history list, with running totals over the list up to and including it,
/// so "statistics of everything before time t" is a binary search, not a scan.
/// </summary>
public readonly record struct HistoryEntry(
    ClaimFacts Claim,
    long SubmittedTicks,
    double LogAmount,
    double CumulativeLogAmount,
    double CumulativeLogAmountSquared,
    decimal CumulativeAmount);

/// <summary>
/// Past claims, indexed the ways the risk scorer asks. Every list is ordered by submission time
/// (ascending). Implementations must give stable snapshots: a span already returned never changes.
/// </summary>
public interface IClaimHistory
{
    ReadOnlySpan<HistoryEntry> ByEmployee(string employeeId);
    ReadOnlySpan<HistoryEntry> ByEmployeeCategory(string employeeId, string category);
    ReadOnlySpan<HistoryEntry> ByEmployeeMerchant(string employeeId, string merchantKey);
    ReadOnlySpan<HistoryEntry> ByCategory(string category);
    ReadOnlySpan<HistoryEntry> ByDepartmentCategory(string department, string category);
    ReadOnlySpan<HistoryEntry> ByMerchant(string merchantKey);
    ReadOnlySpan<HistoryEntry> ByMerchantCategory(string merchantKey, string category);
    ReadOnlySpan<HistoryEntry> ByReceiptHash(string contentHash);
    ReadOnlySpan<HistoryEntry> ByReceiptFingerprint(string fingerprint);
}

/// <summary>Helpers over time-ordered history spans.</summary>
public static class HistorySpan
{
    /// <summary>Number of entries submitted strictly before <paramref name="ticks"/>.</summary>
    public static int CountBefore(ReadOnlySpan<HistoryEntry> span, long ticks)
    {
        int lo = 0, hi = span.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (span[mid].SubmittedTicks < ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Mean and standard deviation of log amounts of the first <paramref name="count"/> entries.</summary>
    public static (int Count, double Mean, double Std) LogStats(ReadOnlySpan<HistoryEntry> span, int count)
    {
        if (count <= 0)
        {
            return (0, 0, 0);
        }
        var last = span[count - 1];
        var mean = last.CumulativeLogAmount / count;
        var variance = Math.Max(0, (last.CumulativeLogAmountSquared / count) - (mean * mean));
        return (count, mean, Math.Sqrt(variance));
    }

    /// <summary>Sum of amounts of entries [from, to).</summary>
    public static decimal AmountBetween(ReadOnlySpan<HistoryEntry> span, int from, int to)
    {
        if (to <= from)
        {
            return 0m;
        }
        var end = span[to - 1].CumulativeAmount;
        var start = from > 0 ? span[from - 1].CumulativeAmount : 0m;
        return end - start;
    }
}

/// <summary>
/// In-memory <see cref="IClaimHistory"/>. The host fills it from storage at start and adds each
/// claim as it arrives. Lists are append-only arrays: appends never touch entries a reader may
/// hold, and an out-of-order insert copies the list, so spans handed out stay valid.
/// </summary>
public sealed class InMemoryClaimHistory : IClaimHistory
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly List<ClaimFacts> _all = [];
    private readonly Dictionary<string, EntryList> _employee = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), EntryList> _employeeCategory = [];
    private readonly Dictionary<(string, string), EntryList> _employeeMerchant = [];
    private readonly Dictionary<string, EntryList> _category = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), EntryList> _departmentCategory = [];
    private readonly Dictionary<string, EntryList> _merchant = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), EntryList> _merchantCategory = [];
    private readonly Dictionary<string, EntryList> _hash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EntryList> _fingerprint = new(StringComparer.Ordinal);

    /// <summary>Number of distinct claims held.</summary>
    public int Count
    {
        get { lock (_gate) { return _ids.Count; } }
    }

    /// <summary>Adds a claim; a claim id already present is ignored (at-least-once delivery) and returns false.</summary>
    public bool Add(ClaimFacts claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        lock (_gate)
        {
            if (!_ids.Add(claim.ClaimId))
            {
                return false;
            }
            _all.Add(claim);
            var ticks = claim.SubmittedAt.UtcTicks;
            var log = Math.Log(1 + (double)Math.Max(0m, claim.AmountHkd));
            Append(_employee, claim.EmployeeId, claim, ticks, log);
            Append(_employeeCategory, (claim.EmployeeId, claim.Category), claim, ticks, log);
            Append(_employeeMerchant, (claim.EmployeeId, claim.MerchantKey), claim, ticks, log);
            Append(_category, claim.Category, claim, ticks, log);
            Append(_departmentCategory, (claim.Department, claim.Category), claim, ticks, log);
            Append(_merchant, claim.MerchantKey, claim, ticks, log);
            Append(_merchantCategory, (claim.MerchantKey, claim.Category), claim, ticks, log);
            // A claim listing the same file twice must not look like its own duplicate.
            foreach (var hash in claim.Receipts.Select(r => r.ContentHash).Distinct(StringComparer.Ordinal))
            {
                Append(_hash, hash, claim, ticks, log);
            }
            foreach (var fp in claim.Receipts.Select(r => r.Fingerprint).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                Append(_fingerprint, fp, claim, ticks, log);
            }
            return true;
        }
    }

    /// <summary>Adds many claims (e.g. loaded from storage); faster when given in submission order.</summary>
    public void AddRange(IEnumerable<ClaimFacts> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        foreach (var c in claims.OrderBy(c => c.SubmittedAt.UtcTicks))
        {
            Add(c);
        }
    }

    /// <summary>All claims held, in submission order (e.g. to retrain the model).</summary>
    public IReadOnlyList<ClaimFacts> Snapshot()
    {
        lock (_gate)
        {
            return _all.OrderBy(c => c.SubmittedAt.UtcTicks).ThenBy(c => c.ClaimId, StringComparer.Ordinal).ToList();
        }
    }

    public ReadOnlySpan<HistoryEntry> ByEmployee(string employeeId) => Get(_employee, employeeId);
    public ReadOnlySpan<HistoryEntry> ByEmployeeCategory(string employeeId, string category) => Get(_employeeCategory, (employeeId, category));
    public ReadOnlySpan<HistoryEntry> ByEmployeeMerchant(string employeeId, string merchantKey) => Get(_employeeMerchant, (employeeId, merchantKey));
    public ReadOnlySpan<HistoryEntry> ByCategory(string category) => Get(_category, category);
    public ReadOnlySpan<HistoryEntry> ByDepartmentCategory(string department, string category) => Get(_departmentCategory, (department, category));
    public ReadOnlySpan<HistoryEntry> ByMerchant(string merchantKey) => Get(_merchant, merchantKey);
    public ReadOnlySpan<HistoryEntry> ByMerchantCategory(string merchantKey, string category) => Get(_merchantCategory, (merchantKey, category));
    public ReadOnlySpan<HistoryEntry> ByReceiptHash(string contentHash) => Get(_hash, contentHash);
    public ReadOnlySpan<HistoryEntry> ByReceiptFingerprint(string fingerprint) => Get(_fingerprint, fingerprint);

    private ReadOnlySpan<HistoryEntry> Get<TKey>(Dictionary<TKey, EntryList> index, TKey key)
        where TKey : notnull
    {
        lock (_gate)
        {
            return index.TryGetValue(key, out var list) ? list.Snapshot() : [];
        }
    }

    private static void Append<TKey>(Dictionary<TKey, EntryList> index, TKey key, ClaimFacts claim, long ticks, double log)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
        {
            list = new EntryList();
            index.Add(key, list);
        }
        list.Add(claim, ticks, log);
    }

    private sealed class EntryList
    {
        private HistoryEntry[] _items = new HistoryEntry[4];
        private int _count;

        public ReadOnlySpan<HistoryEntry> Snapshot() => new(_items, 0, _count);

        public void Add(ClaimFacts claim, long ticks, double log)
        {
            if (_count > 0 && _items[_count - 1].SubmittedTicks > ticks)
            {
                InsertOutOfOrder(claim, ticks, log);
                return;
            }
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }
            _items[_count] = Make(_count > 0 ? _items[_count - 1] : default, claim, ticks, log);
            _count++;
        }

        // Copy-on-write so a span already handed out never sees an entry move.
        private void InsertOutOfOrder(ClaimFacts claim, long ticks, double log)
        {
            var at = _count;
            while (at > 0 && _items[at - 1].SubmittedTicks > ticks)
            {
                at--;
            }
            var fresh = new HistoryEntry[Math.Max(4, (_count + 1) * 2)];
            Array.Copy(_items, fresh, at);
            fresh[at] = Make(at > 0 ? fresh[at - 1] : default, claim, ticks, log);
            for (var i = at; i < _count; i++)
            {
                var old = _items[i];
                fresh[i + 1] = Make(fresh[i], old.Claim, old.SubmittedTicks, old.LogAmount);
            }
            _items = fresh;
            _count++;
        }

        private static HistoryEntry Make(HistoryEntry previous, ClaimFacts claim, long ticks, double log) => new(
            claim,
            ticks,
            log,
            previous.CumulativeLogAmount + log,
            previous.CumulativeLogAmountSquared + (log * log),
            previous.CumulativeAmount + claim.AmountHkd);
    }
}
