// Spatial embeddings of the agents and the pairwise distances d_ij used by the communication cost
// C(Q) = Σ_{i<j} Q_ij d_ij^γ (MODEL.md section 1).
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// Positions of N agents and their pairwise distances d_ij ≥ 0 (symmetric, zero on the diagonal). Distances are
/// computed on demand from the positions, so large N needs no N×N storage (except <see cref="Hops"/>).
/// </summary>
public sealed class Embedding
{
    private readonly double[] _coords;      // N × dim, row-major (Ring: unused; Hops: unused; Index: dim 1)
    private readonly int _dim;
    private readonly int _rows, _cols;      // Grid
    private readonly bool _periodic;        // Grid
    private readonly int[]? _hops;          // Hops: N × N

    private Embedding(EmbeddingKind kind, int n, double[] coords, int dim, int rows = 0, int cols = 0, bool periodic = false, int[]? hops = null)
    {
        Kind = kind; N = n; _coords = coords; _dim = dim; _rows = rows; _cols = cols; _periodic = periodic; _hops = hops;
    }

    /// <summary>The kind of embedding.</summary>
    public EmbeddingKind Kind { get; }

    /// <summary>Number of agents.</summary>
    public int N { get; }

    /// <summary>
    /// n agents equally spaced on a ring in index order; d_ij = min(|i − j|, n − |i − j|), the circular index distance
    /// (in units of one neighbour spacing, so it equals the hop distance of Ring(n, 1)). [choice] index distance rather
    /// than chord length: it stays integer and does not shrink near the antipode.
    /// </summary>
    public static Embedding RingPositions(int n)
    {
        Require.AtLeast(n, 1, nameof(n));
        return new Embedding(EmbeddingKind.Ring, n, [], 0);
    }

    /// <summary>
    /// Agents on a rows×cols grid, agent (r, c) = index r·cols + c (as in TopologyGenerators.Lattice2D); Euclidean
    /// distance in grid units, with per-axis wrap-around when periodic.
    /// </summary>
    public static Embedding Grid(int rows, int cols, bool periodic = false)
    {
        Require.AtLeast(rows, 1, nameof(rows));
        Require.AtLeast(cols, 1, nameof(cols));
        return new Embedding(EmbeddingKind.Grid, rows * cols, [], 0, rows, cols, periodic);
    }

    /// <summary>Agents at the given coordinates, one row per agent (any number of columns); Euclidean distance.</summary>
    public static Embedding Coordinates(double[,] xy)
    {
        ArgumentNullException.ThrowIfNull(xy);
        int n = xy.GetLength(0), dim = xy.GetLength(1);
        Require.AtLeast(dim, 1, "xy columns");
        var coords = new double[n * dim];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < dim; k++)
            {
                if (!double.IsFinite(xy[i, k])) throw new ArgumentException($"xy[{i},{k}] must be finite, got {xy[i, k]}.", nameof(xy));
                coords[i * dim + k] = xy[i, k];
            }
        return new Embedding(EmbeddingKind.Coordinates, n, coords, dim);
    }

    /// <summary>Agents at 0, 1, ..., n − 1 on a line; d_ij = |i − j| (topology.embedding "index").</summary>
    public static Embedding Index(int n)
    {
        Require.AtLeast(n, 1, nameof(n));
        var coords = new double[n];
        for (int i = 0; i < n; i++) coords[i] = i;
        return new Embedding(EmbeddingKind.Index, n, coords, 1);
    }

    /// <summary>
    /// d_ij = number of hops between i and j in the topology (unweighted shortest path); +∞ for agents in different
    /// components. Stores the N×N hop matrix.
    /// </summary>
    public static Embedding Hops(Topology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return new Embedding(EmbeddingKind.Hops, topology.N, [], 0, hops: topology.HopDistances());
    }

    /// <summary>The distance d_ij.</summary>
    public double Distance(int i, int j)
    {
        if ((uint)i >= (uint)N) throw new ArgumentOutOfRangeException(nameof(i), i, $"Agent index must be in [0, {N - 1}].");
        if ((uint)j >= (uint)N) throw new ArgumentOutOfRangeException(nameof(j), j, $"Agent index must be in [0, {N - 1}].");
        switch (Kind)
        {
            case EmbeddingKind.Ring:
                int d = Math.Abs(i - j);
                return Math.Min(d, N - d);
            case EmbeddingKind.Grid:
                double dr = Axis(i / _cols, j / _cols, _rows), dc = Axis(i % _cols, j % _cols, _cols);
                return Math.Sqrt(dr * dr + dc * dc);
            case EmbeddingKind.Coordinates or EmbeddingKind.Index:
                double s = 0;
                for (int k = 0; k < _dim; k++)
                {
                    double t = _coords[i * _dim + k] - _coords[j * _dim + k];
                    s += t * t;
                }
                return Math.Sqrt(s);
            case EmbeddingKind.Hops:
                int h = _hops![i * N + j];
                return h == Topology.Unreachable ? double.PositiveInfinity : h;
            default: throw Choices.Unknown("topology.embedding", Kind);
        }
    }

    /// <summary>The dense symmetric N×N distance matrix, row-major.</summary>
    public double[] DistanceMatrix()
    {
        var d = new double[Require.SquareLength(N, "Embedding.DistanceMatrix")];
        for (int i = 0; i < N; i++)
            for (int j = i + 1; j < N; j++)
                d[i * N + j] = d[j * N + i] = Distance(i, j);
        return d;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Embedding({Kind}, N={N})";

    private double Axis(int a, int b, int length)
    {
        int d = Math.Abs(a - b);
        return _periodic ? Math.Min(d, length - d) : d;
    }
}
