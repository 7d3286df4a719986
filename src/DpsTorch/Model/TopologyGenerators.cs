// Generators for the fixed interaction graphs of MODEL.md section 1: none, complete, ring, 2-D lattice, star,
// Watts–Strogatz, Erdős–Rényi, stochastic block, core–periphery and hierarchical. All edges have weight 1.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// Standard graph families as <see cref="Topology"/> with unit weights. Random generators take an int seed and are
/// reproducible for a given seed (they draw from <c>new Random(seed)</c> in a fixed order).
/// </summary>
public static class TopologyGenerators
{
    /// <summary>n isolated agents (no edges).</summary>
    public static Topology None(int n)
    {
        Require.AtLeast(n, 0, nameof(n));
        return new Topology(n, []);
    }

    /// <summary>Every pair linked: n(n−1)/2 edges.</summary>
    public static Topology Complete(int n)
    {
        Require.AtLeast(n, 0, nameof(n));
        var edges = new List<Topology.Edge>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) edges.Add(new(i, j, 1.0));
        return new Topology(n, edges);
    }

    /// <summary>A ring where each agent links to its k nearest neighbours on each side (1 ≤ k, 2k &lt; n): n·k edges.</summary>
    public static Topology Ring(int n, int k)
    {
        Require.AtLeast(k, 1, nameof(k));
        if (2 * k >= n)
            throw new ArgumentException($"Ring needs k < n/2 so that the 2k neighbours are distinct, got n = {n}, k = {k}; use Complete(n) instead.", nameof(k));
        return new Topology(n, RingEdges(n, k));
    }

    /// <summary>
    /// A rows×cols grid with 4-neighbour links; agent (r, c) has index r·cols + c. Open: rows(cols−1) + cols(rows−1)
    /// edges; periodic (a torus, rows, cols ≥ 3): 2·rows·cols edges.
    /// </summary>
    public static Topology Lattice2D(int rows, int cols, bool periodic = false)
    {
        Require.AtLeast(rows, 1, nameof(rows));
        Require.AtLeast(cols, 1, nameof(cols));
        if (periodic && (rows < 3 || cols < 3))
            throw new ArgumentException($"A periodic lattice needs rows, cols ≥ 3 (smaller wraps create repeated edges), got {rows}x{cols}.", nameof(periodic));
        var edges = new List<Topology.Edge>();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int i = r * cols + c;
                if (c + 1 < cols) edges.Add(new(i, i + 1, 1.0));
                else if (periodic) edges.Add(new(i, r * cols, 1.0));
                if (r + 1 < rows) edges.Add(new(i, i + cols, 1.0));
                else if (periodic) edges.Add(new(i, c, 1.0));
            }
        return new Topology(rows * cols, edges);
    }

    /// <summary>Agent 0 is the hub linked to every other agent: n − 1 edges.</summary>
    public static Topology Star(int n)
    {
        Require.AtLeast(n, 1, nameof(n));
        var edges = new List<Topology.Edge>();
        for (int j = 1; j < n; j++) edges.Add(new(0, j, 1.0));
        return new Topology(n, edges);
    }

    /// <summary>
    /// Watts–Strogatz small world: a <see cref="Ring"/>(n, k), then every ring edge (u, u+j), j = 1..k, is rewired with
    /// probability β to (u, w) for w uniform among agents not u and not already linked to u (the NetworkX scheme).
    /// Keeps n·k edges; β = 0 is the ring.
    /// </summary>
    public static Topology WattsStrogatz(int n, int k, double beta, int seed)
    {
        Require.Probability(beta, nameof(beta));
        Ring(n, k); // validates n and k
        var rng = new Random(seed);
        var present = new HashSet<(int, int)>();
        foreach (var e in RingEdges(n, k)) present.Add(Key(e.I, e.J));
        var degree = new int[n];
        Array.Fill(degree, 2 * k);
        for (int j = 1; j <= k; j++)
            for (int u = 0; u < n; u++)
            {
                if (rng.NextDouble() >= beta) continue;
                int v = (u + j) % n;
                var old = Key(u, v);
                if (!present.Contains(old) || degree[u] >= n - 1) continue;
                int w;
                do w = rng.Next(n); while (w == u || present.Contains(Key(u, w)));
                present.Remove(old);
                present.Add(Key(u, w));
                degree[v]--; degree[w]++;
            }
        return new Topology(n, present.Select(p => new Topology.Edge(p.Item1, p.Item2, 1.0)));
    }

    /// <summary>Erdős–Rényi G(n, p): each pair linked independently with probability p (pairs visited as i &lt; j).</summary>
    public static Topology ErdosRenyi(int n, double p, int seed)
    {
        Require.AtLeast(n, 0, nameof(n));
        Require.Probability(p, nameof(p));
        var rng = new Random(seed);
        var edges = new List<Topology.Edge>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (rng.NextDouble() < p) edges.Add(new(i, j, 1.0));
        return new Topology(n, edges);
    }

    /// <summary>
    /// Stochastic block model: consecutive blocks of the given sizes; a pair inside one block is linked with probability
    /// pIn, across blocks with pOut. A three-layer system is StochasticBlock([n1, n2, n3], ...).
    /// </summary>
    public static Topology StochasticBlock(ReadOnlySpan<int> sizes, double pIn, double pOut, int seed)
    {
        if (sizes.Length == 0) throw new ArgumentException("sizes must list at least one block.", nameof(sizes));
        Require.Probability(pIn, nameof(pIn));
        Require.Probability(pOut, nameof(pOut));
        var block = new List<int>();
        for (int b = 0; b < sizes.Length; b++)
        {
            if (sizes[b] < 1) throw new ArgumentException($"sizes[{b}] must be at least 1, got {sizes[b]}.", nameof(sizes));
            for (int t = 0; t < sizes[b]; t++) block.Add(b);
        }
        int n = block.Count;
        var rng = new Random(seed);
        var edges = new List<Topology.Edge>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (rng.NextDouble() < (block[i] == block[j] ? pIn : pOut)) edges.Add(new(i, j, 1.0));
        return new Topology(n, edges);
    }

    /// <summary>
    /// Core–periphery: the first round(coreFraction·n) agents form the core. Core–core pairs are linked with
    /// probability pCore, core–periphery pairs with pCorePeriphery, periphery–periphery pairs with pPeriphery.
    /// </summary>
    public static Topology CorePeriphery(int n, double coreFraction, double pCore, double pCorePeriphery, double pPeriphery, int seed)
    {
        Require.AtLeast(n, 1, nameof(n));
        Require.Probability(coreFraction, nameof(coreFraction));
        Require.Probability(pCore, nameof(pCore));
        Require.Probability(pCorePeriphery, nameof(pCorePeriphery));
        Require.Probability(pPeriphery, nameof(pPeriphery));
        int core = (int)Math.Round(coreFraction * n, MidpointRounding.AwayFromZero);
        var rng = new Random(seed);
        var edges = new List<Topology.Edge>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double p = i < core ? (j < core ? pCore : pCorePeriphery) : pPeriphery;
                if (rng.NextDouble() < p) edges.Add(new(i, j, 1.0));
            }
        return new Topology(n, edges);
    }

    /// <summary>
    /// A hierarchy of groups on N = branching^levels agents. Level 1: consecutive groups of <paramref name="branching"/>
    /// agents, each a clique. Level ℓ ≥ 2: each group of branching level-(ℓ−1) groups is joined by a clique on their
    /// leaders (the first agent of each sub-group). So links thin out upward: every group at every level contributes
    /// b(b−1)/2 edges, b·(b^levels − 1)/2 edges in all, and the graph is connected.
    /// </summary>
    public static Topology Hierarchical(int levels, int branching)
    {
        Require.AtLeast(levels, 1, nameof(levels));
        Require.AtLeast(branching, 2, nameof(branching));
        if (levels * Math.Log2(branching) > 24)
            throw new ArgumentException($"Hierarchical({levels}, {branching}) would have {Math.Pow(branching, levels):G3} agents; at most 2^24 are allowed.", nameof(levels));
        int n = 1;
        for (int l = 0; l < levels; l++) n *= branching;
        var edges = new List<Topology.Edge>();
        int sub = 1; // size of a level-(ℓ−1) group
        for (int level = 1; level <= levels; level++, sub *= branching)
            for (int start = 0; start < n; start += sub * branching)
                for (int a = 0; a < branching; a++)
                    for (int b = a + 1; b < branching; b++)
                        edges.Add(new(start + a * sub, start + b * sub, 1.0));
        return new Topology(n, edges);
    }

    private static (int, int) Key(int a, int b) => a < b ? (a, b) : (b, a);

    private static List<Topology.Edge> RingEdges(int n, int k)
    {
        var edges = new List<Topology.Edge>(n * k);
        for (int i = 0; i < n; i++)
            for (int j = 1; j <= k; j++) edges.Add(new(i, (i + j) % n, 1.0));
        return edges;
    }
}
