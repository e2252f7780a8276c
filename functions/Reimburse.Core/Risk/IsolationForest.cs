namespace Reimburse.Core.Risk;

/// <summary>Training settings of an isolation forest.</summary>
/// <param name="Seed">Seed of the only random source; same seed + same rows = same forest.</param>
/// <param name="Trees">Number of trees (100 is the paper's default).</param>
/// <param name="SampleSize">Rows per tree (ψ, 256 in the paper); depth limit is ceil(log2 ψ).</param>
public sealed record IsolationForestOptions(int Seed = 20260101, int Trees = 100, int SampleSize = 256);

/// <summary>
/// Isolation forest (Liu, Ting, Zhou 2008) in plain C#: anomalies are isolated by fewer random
/// axis-aligned splits. Trees are stored flat (one array per node field) so scoring is a tight loop.
/// </summary>
public sealed class IsolationForest
{
    private const double EulerGamma = 0.5772156649015329;

    internal IsolationForest(int featureCount, int sampleSize, int[] roots, int[] feature, double[] split, int[] left, int[] right, int[] size)
    {
        FeatureCount = featureCount;
        SampleSize = sampleSize;
        Roots = roots;
        Feature = feature;
        Split = split;
        Left = left;
        Right = right;
        Size = size;
        _normaliser = AveragePathLength(sampleSize);
        _nodes = new Node[size.Length];
        for (var i = 0; i < size.Length; i++)
        {
            // A leaf keeps c(size) in Value, so scoring does no logarithms per tree.
            _nodes[i] = feature[i] < 0
                ? new Node(-1, -1, -1, AveragePathLength(size[i]))
                : new Node(feature[i], left[i], right[i], split[i]);
        }
    }

    // One 24-byte struct per node: a step down the tree touches one cache line, not four arrays.
    private readonly record struct Node(int Feature, int Left, int Right, double Value);

    private readonly Node[] _nodes;

    private readonly double _normaliser;


    public int FeatureCount { get; }
    public int SampleSize { get; }
    public int TreeCount => Roots.Length;

    // Node fields; Feature < 0 marks a leaf, whose Size is the number of training rows that reached it.
    internal int[] Roots { get; }
    internal int[] Feature { get; }
    internal double[] Split { get; }
    internal int[] Left { get; }
    internal int[] Right { get; }
    internal int[] Size { get; }

    /// <summary>Trains on the rows (each of the same length). Deterministic for a given seed.</summary>
    public static IsolationForest Train(IReadOnlyList<double[]> rows, IsolationForestOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Count == 0)
        {
            throw new ArgumentException("An isolation forest needs at least one training row.", nameof(rows));
        }
        if (options.Trees < 1 || options.SampleSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Trees must be ≥ 1 and SampleSize ≥ 2.");
        }
        var d = rows[0].Length;
        var psi = Math.Min(options.SampleSize, rows.Count);
        var maxDepth = (int)Math.Ceiling(Math.Log2(Math.Max(2, psi)));
        var random = new Random(options.Seed);
        var builder = new Builder(rows, d, maxDepth, random);
        var roots = new int[options.Trees];
        var pool = new int[rows.Count];
        for (var t = 0; t < options.Trees; t++)
        {
            for (var i = 0; i < pool.Length; i++)
            {
                pool[i] = i;
            }
            // Partial Fisher–Yates: the first psi slots become a sample without replacement.
            for (var i = 0; i < psi; i++)
            {
                var j = i + random.Next(pool.Length - i);
                (pool[i], pool[j]) = (pool[j], pool[i]);
            }
            var sample = pool.AsSpan(0, psi).ToArray();
            roots[t] = builder.Build(sample, 0);
        }
        return new IsolationForest(d, psi, roots, [.. builder.Feature], [.. builder.Split], [.. builder.Left], [.. builder.Right], [.. builder.Size]);
    }

    /// <summary>Anomaly score in (0, 1): near 1 = isolated quickly (anomalous), around 0.5 or less = normal.</summary>
    public double Score(ReadOnlySpan<double> x)
    {
        if (x.Length != FeatureCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features, got {x.Length}.", nameof(x));
        }
        var total = 0.0;
        var nodes = _nodes;
        foreach (var root in Roots)
        {
            var node = nodes[root];
            var depth = 0;
            while (node.Feature >= 0)
            {
                node = nodes[x[node.Feature] < node.Value ? node.Left : node.Right];
                depth++;
            }
            total += depth + node.Value;
        }
        var mean = total / Roots.Length;
        return Math.Pow(2, -mean / _normaliser);
    }

    /// <summary>c(n): average path length of an unsuccessful search in a binary search tree of n nodes.</summary>
    internal static double AveragePathLength(int n) => n switch
    {
        <= 1 => 0,
        2 => 1,
        _ => (2 * (Math.Log(n - 1) + EulerGamma)) - (2.0 * (n - 1) / n),
    };

    private sealed class Builder(IReadOnlyList<double[]> rows, int featureCount, int maxDepth, Random random)
    {
        public List<int> Feature { get; } = [];
        public List<double> Split { get; } = [];
        public List<int> Left { get; } = [];
        public List<int> Right { get; } = [];
        public List<int> Size { get; } = [];

        private readonly double[] _min = new double[featureCount];
        private readonly double[] _max = new double[featureCount];
        private readonly int[] _candidates = new int[featureCount];

        public int Build(int[] indices, int depth)
        {
            if (depth >= maxDepth || indices.Length <= 1)
            {
                return Leaf(indices.Length);
            }
            // Only features that vary here can split; a node where none vary is a leaf.
            Array.Fill(_min, double.PositiveInfinity);
            Array.Fill(_max, double.NegativeInfinity);
            foreach (var i in indices)
            {
                var row = rows[i];
                for (var f = 0; f < featureCount; f++)
                {
                    var v = row[f];
                    if (v < _min[f]) { _min[f] = v; }
                    if (v > _max[f]) { _max[f] = v; }
                }
            }
            var n = 0;
            for (var f = 0; f < featureCount; f++)
            {
                if (_max[f] > _min[f])
                {
                    _candidates[n++] = f;
                }
            }
            if (n == 0)
            {
                return Leaf(indices.Length);
            }
            var feature = _candidates[random.Next(n)];
            var lo = _min[feature];
            var hi = _max[feature];
            var split = lo + (random.NextDouble() * (hi - lo));
            if (split <= lo)
            {
                split = Math.BitIncrement(lo);
            }
            var leftRows = indices.Where(i => rows[i][feature] < split).ToArray();
            var rightRows = indices.Where(i => rows[i][feature] >= split).ToArray();
            var node = Feature.Count;
            Feature.Add(feature);
            Split.Add(split);
            Left.Add(-1);
            Right.Add(-1);
            Size.Add(indices.Length);
            var l = Build(leftRows, depth + 1);
            var r = Build(rightRows, depth + 1);
            Left[node] = l;
            Right[node] = r;
            return node;
        }

        private int Leaf(int size)
        {
            var node = Feature.Count;
            Feature.Add(-1);
            Split.Add(0);
            Left.Add(-1);
            Right.Add(-1);
            Size.Add(size);
            return node;
        }
    }
}
