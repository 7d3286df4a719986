// The interaction graph Q of MODEL.md section 1 as a plain (non-differentiable) structure: an undirected graph on N
// agents with non-negative symmetric weights and no self loops, stored as an edge list with a CSR view of neighbours.
using System.Globalization;
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// An undirected weighted graph on N agents, immutable. Edges are stored once with I &lt; J, sorted by (I, J), weight
/// &gt; 0; an edge given with weight 0 is dropped (weight 0 means "no edge", as in the dense Q). Neighbours are
/// available through a CSR view, sorted by index.
/// </summary>
public sealed class Topology
{
    /// <summary>One undirected edge, I &lt; J, with its weight Q_IJ = Q_JI &gt; 0.</summary>
    public readonly record struct Edge(int I, int J, double Weight);

    /// <summary>Hop distance reported by <see cref="HopDistances"/> for agents in different components.</summary>
    public const int Unreachable = -1;

    private readonly Edge[] _edges;
    private readonly System.Collections.ObjectModel.ReadOnlyCollection<Edge> _edgesView;
    private readonly int[] _rowStart;     // CSR: neighbours of i are _neighbors[_rowStart[i] .. _rowStart[i+1]).
    private readonly int[] _neighbors;
    private readonly double[] _neighborWeights;

    /// <summary>
    /// A graph on <paramref name="n"/> agents with the given edges (either orientation; each unordered pair at most
    /// once; weights finite and ≥ 0, zero-weight edges dropped; no self loops).
    /// </summary>
    public Topology(int n, IEnumerable<Edge> edges)
    {
        Require.AtLeast(n, 0, nameof(n));
        ArgumentNullException.ThrowIfNull(edges);
        var list = new List<Edge>();
        foreach (var e in edges)
        {
            if (e.I < 0 || e.I >= n || e.J < 0 || e.J >= n)
                throw new ArgumentException($"Edge ({e.I}, {e.J}) has an agent index outside [0, {n - 1}].", nameof(edges));
            if (e.I == e.J)
                throw new ArgumentException($"Edge ({e.I}, {e.J}) is a self loop; Q has a zero diagonal.", nameof(edges));
            if (!(e.Weight >= 0) || double.IsInfinity(e.Weight))
                throw new ArgumentException($"Edge ({e.I}, {e.J}) has weight {e.Weight}; weights must be non-negative and finite.", nameof(edges));
            if (e.Weight == 0) continue;
            list.Add(e.I < e.J ? e : new Edge(e.J, e.I, e.Weight));
        }
        list.Sort((a, b) => a.I != b.I ? a.I.CompareTo(b.I) : a.J.CompareTo(b.J));
        for (int k = 1; k < list.Count; k++)
            if (list[k].I == list[k - 1].I && list[k].J == list[k - 1].J)
                throw new ArgumentException($"Edge ({list[k].I}, {list[k].J}) is listed twice.", nameof(edges));
        N = n;
        _edges = list.ToArray();
        _edgesView = Array.AsReadOnly(_edges);

        _rowStart = new int[n + 1];
        foreach (var e in _edges) { _rowStart[e.I + 1]++; _rowStart[e.J + 1]++; }
        for (int i = 0; i < n; i++) _rowStart[i + 1] += _rowStart[i];
        _neighbors = new int[2 * _edges.Length];
        _neighborWeights = new double[2 * _edges.Length];
        var fill = (int[])_rowStart.Clone();
        foreach (var e in _edges)
        {
            int p = fill[e.I]++, q = fill[e.J]++;
            _neighbors[p] = e.J; _neighborWeights[p] = e.Weight;
            _neighbors[q] = e.I; _neighborWeights[q] = e.Weight;
        }
        for (int i = 0; i < n; i++)
            Array.Sort(_neighbors, _neighborWeights, _rowStart[i], _rowStart[i + 1] - _rowStart[i]);
    }

    /// <summary>Number of agents.</summary>
    public int N { get; }

    /// <summary>The edges, I &lt; J, sorted by (I, J).</summary>
    public IReadOnlyList<Edge> Edges => _edgesView;

    /// <summary>Number of edges.</summary>
    public int EdgeCount => _edges.Length;

    /// <summary>Number of neighbours of agent i (unweighted degree).</summary>
    public int Degree(int i) => _rowStart[CheckAgent(i) + 1] - _rowStart[i];

    /// <summary>Sum of the weights of agent i's edges, Σ_j Q_ij.</summary>
    public double WeightedDegree(int i)
    {
        double s = 0;
        foreach (var w in NeighborWeights(i)) s += w;
        return s;
    }

    /// <summary>The neighbours of agent i in ascending order.</summary>
    public ReadOnlySpan<int> Neighbors(int i)
        => _neighbors.AsSpan(_rowStart[CheckAgent(i)], _rowStart[i + 1] - _rowStart[i]);

    /// <summary>The weights Q_ij of agent i's edges, aligned with <see cref="Neighbors"/>.</summary>
    public ReadOnlySpan<double> NeighborWeights(int i)
        => _neighborWeights.AsSpan(_rowStart[CheckAgent(i)], _rowStart[i + 1] - _rowStart[i]);

    /// <summary>The dense symmetric N×N matrix Q, row-major, zero diagonal.</summary>
    public double[] ToDense()
    {
        var q = new double[Require.SquareLength(N, "Topology.ToDense")];
        foreach (var e in _edges) { q[e.I * N + e.J] = e.Weight; q[e.J * N + e.I] = e.Weight; }
        return q;
    }

    /// <summary>The graph of a dense symmetric N×N matrix (row-major): entries above the diagonal that are &gt; 0 become
    /// edges. The matrix must be symmetric, non-negative, finite, with a zero diagonal.</summary>
    public static Topology FromDense(ReadOnlySpan<double> q, int n)
    {
        Require.AtLeast(n, 0, nameof(n));
        Require.Length(q.Length, Require.SquareLength(n, "Topology.FromDense"), nameof(q), $"an {n}x{n} matrix");
        var edges = new List<Edge>();
        for (int i = 0; i < n; i++)
        {
            if (q[i * n + i] != 0) throw new ArgumentException($"q[{i},{i}] = {q[i * n + i]}; the diagonal must be zero.", nameof(q));
            for (int j = i + 1; j < n; j++)
            {
                double w = q[i * n + j];
                if (w != q[j * n + i])
                    throw new ArgumentException($"q[{i},{j}] = {w} but q[{j},{i}] = {q[j * n + i]}; q must be symmetric.", nameof(q));
                if (w != 0) edges.Add(new Edge(i, j, w));
            }
        }
        return new Topology(n, edges);
    }

    /// <summary>
    /// All-pairs hop distances by breadth-first search from every agent, row-major N×N; unweighted (every edge counts
    /// one hop); <see cref="Unreachable"/> (−1) for agents in different components. O(N·(N + edges)).
    /// </summary>
    public int[] HopDistances()
    {
        var d = new int[Require.SquareLength(N, "Topology.HopDistances")];
        Array.Fill(d, Unreachable);
        var queue = new int[N];
        for (int s = 0; s < N; s++) BreadthFirst(s, int.MaxValue, d.AsSpan(s * N, N), queue);
        return d;
    }

    /// <summary>Hop distances from <paramref name="source"/> up to <paramref name="maxHops"/>; farther or unreachable
    /// agents get <see cref="Unreachable"/>.</summary>
    public int[] HopDistancesFrom(int source, int maxHops = int.MaxValue)
    {
        CheckAgent(source);
        var d = new int[N];
        Array.Fill(d, Unreachable);
        BreadthFirst(source, maxHops, d, new int[N]);
        return d;
    }

    /// <summary>
    /// The graph on the agents with keep[i] true, renumbered in their original order (agent i becomes the number of
    /// kept agents before it); edges to removed agents are deleted (their rows and columns of Q).
    /// </summary>
    public Topology Subgraph(ReadOnlySpan<bool> keep)
    {
        Require.Length(keep.Length, N, nameof(keep), "one flag per agent");
        var newIndex = new int[N];
        int count = 0;
        for (int i = 0; i < N; i++) newIndex[i] = keep[i] ? count++ : -1;
        var edges = new List<Edge>();
        foreach (var e in _edges)
            if (newIndex[e.I] >= 0 && newIndex[e.J] >= 0) edges.Add(new Edge(newIndex[e.I], newIndex[e.J], e.Weight));
        return new Topology(count, edges);
    }

    /// <summary>Connected-component label of every agent: labels 0, 1, ... in order of each component's smallest agent.</summary>
    public int[] Components()
    {
        var label = new int[N];
        Array.Fill(label, -1);
        var stack = new int[N];
        int next = 0;
        for (int s = 0; s < N; s++)
        {
            if (label[s] >= 0) continue;
            int top = 0;
            stack[top++] = s;
            label[s] = next;
            while (top > 0)
            {
                int u = stack[--top];
                foreach (int v in Neighbors(u))
                    if (label[v] < 0) { label[v] = next; stack[top++] = v; }
            }
            next++;
        }
        return label;
    }

    /// <summary>Number of connected components (an isolated agent is one).</summary>
    public int ComponentCount()
    {
        int max = -1;
        foreach (int c in Components()) max = Math.Max(max, c);
        return max + 1;
    }

    /// <summary>
    /// Reads an edge list: one edge per line "i j" or "i j w" (0-based agent indices, whitespace or comma separated,
    /// weight default 1); blank lines and text after '#' are ignored. N is <paramref name="n"/> when given, otherwise
    /// one more than the largest index.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is malformed, an index is out of range, a weight is negative or not
    /// finite, an edge is a self loop or repeated (the message names path, line, column and parsed values, never the
    /// file's text: a config may name any file).</exception>
    /// <exception cref="ConfigException">The path is not a regular file, exceeds the size cap of
    /// <see cref="InputKind.EdgeList"/>, or lists more than <paramref name="maxEdges"/> edges (counted while
    /// reading, so a huge file is refused at edge maxEdges + 1); the message names <paramref name="key"/>.</exception>
    public static Topology FromEdgeListFile(string path, int? n = null, long maxEdges = ConfigLoader.MaxEdges, string key = "topology.path")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (n is int given) Require.AtLeast(given, 0, nameof(n));
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"Edge list file '{path}' does not exist.", path);
        var edges = new List<Edge>();
        var lines = new List<int>();
        int lineNo = 0, maxIndex = -1;
        foreach (var raw in InputFile.ReadLines(key, path, InputKind.EdgeList))
        {
            lineNo++;
            int hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0) continue;
            var cells = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length is < 2 or > 3)
                throw new InvalidDataException($"{path} line {lineNo}: {cells.Length} fields; expected 'i j' or 'i j w'.");
            int i = ParseIndex(cells[0], path, lineNo, 1, n);
            int j = ParseIndex(cells[1], path, lineNo, 2, n);
            double w = 1.0;
            if (cells.Length == 3 && !double.TryParse(cells[2], NumberStyles.Float, CultureInfo.InvariantCulture, out w))
                throw new InvalidDataException($"{path} line {lineNo}, column 3: the weight is not a number.");
            if (!(w >= 0) || double.IsInfinity(w))
                throw new InvalidDataException($"{path} line {lineNo}, column 3: weight {w} must be non-negative and finite.");
            if (i == j)
                throw new InvalidDataException($"{path} line {lineNo}: edge ({i}, {j}) is a self loop; Q has a zero diagonal.");
            if (edges.Count >= maxEdges)
                throw new ConfigException(key, $"\"{path}\" lists more than the {maxEdges} edges allowed (line {lineNo} is edge {maxEdges + 1}).");
            maxIndex = Math.Max(maxIndex, Math.Max(i, j));
            edges.Add(new Edge(Math.Min(i, j), Math.Max(i, j), w));
            lines.Add(lineNo);
        }
        // Repeated edges, found by sorting (no per-edge dictionary: an edge list may hold tens of millions of lines).
        var order = new int[edges.Count];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        Array.Sort(order, (a, b) => edges[a].I != edges[b].I ? edges[a].I.CompareTo(edges[b].I)
            : edges[a].J != edges[b].J ? edges[a].J.CompareTo(edges[b].J) : a.CompareTo(b));
        for (int k = 1; k < order.Length; k++)
        {
            Edge e = edges[order[k]], prev = edges[order[k - 1]];
            if (e.I == prev.I && e.J == prev.J)
                throw new InvalidDataException($"{path} line {lines[order[k]]}: edge ({e.I}, {e.J}) repeats the edge on line {lines[order[k - 1]]}.");
        }
        return new Topology(n ?? maxIndex + 1, edges);
    }

    /// <summary>Writes the edge list as "i j w" lines readable by <see cref="FromEdgeListFile"/>.</summary>
    public void SaveEdgeList(string path)
    {
        using var w = new StreamWriter(path);
        w.WriteLine($"# {N} agents, {EdgeCount} edges: i j weight");
        foreach (var e in _edges) w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.I} {e.J} {e.Weight:R}"));
    }

    /// <inheritdoc/>
    public override string ToString() => $"Topology(N={N}, edges={EdgeCount})";

    private static int ParseIndex(string cell, string path, int lineNo, int column, int? n)
    {
        if (!int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
            throw new InvalidDataException($"{path} line {lineNo}, column {column}: the agent index is not an integer.");
        if (i < 0)
            throw new InvalidDataException($"{path} line {lineNo}, column {column}: agent index {i} is negative; indices are 0-based.");
        if (n is int count && i >= count)
            throw new InvalidDataException($"{path} line {lineNo}, column {column}: agent index {i} is out of range [0, {count - 1}] for n = {count}.");
        return i;
    }

    private int CheckAgent(int i)
    {
        if ((uint)i >= (uint)N) throw new ArgumentOutOfRangeException(nameof(i), i, $"Agent index must be in [0, {N - 1}].");
        return i;
    }

    /// <summary>BFS from s writing hop counts ≤ maxHops into dist (pre-filled with Unreachable).</summary>
    private void BreadthFirst(int s, int maxHops, Span<int> dist, int[] queue)
    {
        int head = 0, tail = 0;
        dist[s] = 0;
        queue[tail++] = s;
        while (head < tail)
        {
            int u = queue[head++];
            if (dist[u] >= maxHops) continue;
            foreach (int v in Neighbors(u))
                if (dist[v] == Unreachable) { dist[v] = dist[u] + 1; queue[tail++] = v; }
        }
    }
}
