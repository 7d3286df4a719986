// Merging near-clones (issue 13): near an optimum where several agents share one skill, the loss is almost flat in
// the directions that spread the clones apart (a mixture of slightly different normals is nearly a normal), so
// gradient methods crawl and the run ends unconverged with a Hill number inflated by the residual spread. Setting
// each group of near-clones to one moment-matched skill with equal resources makes them exact clones; the loss is
// symmetric in them, so the polish after it keeps them together and converges quickly.
using DpsTorch.Nested;

namespace DpsTorch.Model.Search;

/// <summary>The merge move on near-clones.</summary>
public static class Merge
{
    /// <summary>Agents count as near-clones when their locations differ by at most this fraction of their mean breadth, and their breadths by at most this fraction.</summary>
    public const double Closeness = 0.25;

    /// <summary>
    /// Groups of near-clones: the connected components of "|μ_i − μ_j| (on the circle) ≤ Closeness·(σ_i + σ_j)/2 and
    /// |σ_i − σ_j| ≤ Closeness·(σ_i + σ_j)/2"; only groups of two or more agents, in order of their first agent.
    /// </summary>
    public static IReadOnlyList<int[]> Groups(IReadOnlyList<double> mu, IReadOnlyList<double> sigma)
        => [.. Components(mu, sigma, Closeness / 2, breadthsToo: true).Where(g => g.Length > 1)];

    /// <summary>
    /// The connected components (single linkage, every agent in one, in order of their first agent) of
    /// "|μ_i − μ_j| (on the circle) ≤ reach·(σ_i + σ_j)", and with <paramref name="breadthsToo"/> also
    /// "|σ_i − σ_j| ≤ reach·(σ_i + σ_j)". Reach 1 without breadths joins agents whose equal-weight sum has one hump.
    /// </summary>
    public static IReadOnlyList<int[]> Components(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, double reach, bool breadthsToo)
    {
        if (sigma.Count != mu.Count) throw new ArgumentException($"Merge: {mu.Count} locations need {mu.Count} breadths; got {sigma.Count}.", nameof(sigma));
        int n = mu.Count;
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double scale = reach * (sigma[i] + sigma[j]);
                if (CircularDistance(mu[i], mu[j]) <= scale && (!breadthsToo || Math.Abs(sigma[i] - sigma[j]) <= scale)) parent[Find(i)] = Find(j);
            }
        return [.. Enumerable.Range(0, n).GroupBy(Find).Select(g => g.ToArray()).OrderBy(g => g[0])];
    }

    /// <summary>
    /// <see cref="Components"/> on T^d (d numbers per agent in <paramref name="mu"/> and <paramref name="sigma"/>, agent
    /// by agent): single linkage of Σ_k (Δμ_k / (σ_ik + σ_jk))² ≤ reach² (Δμ_k on axis k's circle), and with
    /// <paramref name="breadthsToo"/> also |σ_ik − σ_jk| ≤ reach·(σ_ik + σ_jk) on every axis.
    /// </summary>
    public static IReadOnlyList<int[]> TorusComponents(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, int dimensions, double reach, bool breadthsToo)
    {
        if (sigma.Count != mu.Count || mu.Count % dimensions != 0)
            throw new ArgumentException($"Merge: {mu.Count} locations and {sigma.Count} breadths are not d = {dimensions} per agent.", nameof(sigma));
        int n = mu.Count / dimensions;
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double r2 = 0;
                bool breadths = true;
                for (int k = 0; k < dimensions; k++)
                {
                    double scale = sigma[i * dimensions + k] + sigma[j * dimensions + k];
                    double t = CircularDistance(mu[i * dimensions + k], mu[j * dimensions + k]) / scale;
                    r2 += t * t;
                    breadths &= Math.Abs(sigma[i * dimensions + k] - sigma[j * dimensions + k]) <= reach * scale;
                }
                if (r2 <= reach * reach && (!breadthsToo || breadths)) parent[Find(i)] = Find(j);
            }
        return [.. Enumerable.Range(0, n).GroupBy(Find).Select(g => g.ToArray()).OrderBy(g => g[0])];
    }

    /// <summary>
    /// Makes every group of near-clones of <paramref name="model"/> exact clones: each member gets the group's
    /// resource-weighted mean location m, the breadth √(Σ a_i (σ_i² + (μ_i − m)²) / Σ a_i) of the moment-matched normal,
    /// and the group's mean resource (the group's total is kept). With <paramref name="wholeTypes"/> the groups are
    /// whole types instead (<see cref="Components"/> at reach 1: agents whose skills overlap into one hump), a larger
    /// move that turns a mixture of unlike agents approximating one peak into clones. Returns the number of groups merged.
    /// A full covariance (agents.covariance "full") is not merged (the moment match is written per axis): returns 0.
    /// </summary>
    public static int Run(DpsModel model, bool wholeTypes = false)
        => model.FullCovariance ? 0 : model.Dimensions > 1 ? RunOnTorus(model, wholeTypes) : MergeAgents(model, 0, model.N, wholeTypes);

    /// <summary>The merge of a flat (<see cref="Run(DpsModel, bool)"/>) or nested (<see cref="Run(NestedSystem, bool)"/>) system.</summary>
    public static int Run(AgentSystem system, bool wholeTypes = false) => system switch
    {
        DpsModel model => Run(model, wholeTypes),
        NestedSystem nested => Run(nested, wholeTypes),
        _ => throw new ArgumentException($"Merge: no merge for a {system.GetType().Name}.", nameof(system)),
    };

    /// <summary>
    /// The merge per level of a nested system. Leaves: inside each group of the bottom level, the merge of
    /// <see cref="Run(DpsModel, bool)"/> (near-clones, or whole types). Composite agents of every higher tier: inside
    /// each group of that level, the chains of members whose skill densities W_g/∫W_g overlap with similarity at least
    /// <see cref="CloneSimilarity"/> (whole types: <see cref="TypeSimilarity"/>) become copies of the member with the
    /// most resource: its leaves' μ and ρ, its learned links inside (where the graphs match), and its leaves' resources
    /// scaled so that every member holds the group's mean resource. A homogeneous fleet has nothing to merge. Returns
    /// the number of groups merged.
    /// </summary>
    public static int Run(NestedSystem system, bool wholeTypes = false)
    {
        if (system.Homogeneous) return 0;
        var bottom = system.Levels[0];
        int merged = 0;
        for (int g = 0; g < bottom.Groups; g++)
            merged += system.Dimensions == 1 ? MergeAgents(system, g * bottom.Size, bottom.Size, wholeTypes)
                : MergeOnTorus(system, system.Dimensions, g * bottom.Size, bottom.Size, wholeTypes);
        for (int tier = 1; tier < system.Levels.Count; tier++) merged += MergeComposites(system, tier, wholeTypes ? TypeSimilarity : CloneSimilarity);
        return merged;
    }

    /// <summary>Composite agents whose densities overlap at least this much (cosine similarity on the grid) count as near-clones.</summary>
    public const double CloneSimilarity = 0.99;

    /// <summary>Composite agents whose densities overlap at least this much count as one type (the whole-types merge).</summary>
    public const double TypeSimilarity = 0.9;

    /// <summary>The merge of near-clones (or whole types) among the agents [first, first + count) of a system.</summary>
    private static int MergeAgents(AgentSystem model, int first, int count, bool wholeTypes)
    {
        double[] mu = model.Mu.ToArray()[first..(first + count)], sigma, a, alphas = model.Alpha.ToArray();
        using (TensorEngine.NoGrad()) { sigma = model.Sigma().ToArray()[first..(first + count)]; a = model.Resources().ToArray()[first..(first + count)]; }
        var groups = wholeTypes ? [.. Components(mu, sigma, 1, breadthsToo: false).Where(g => g.Length > 1)] : Groups(mu, sigma);
        foreach (var g in groups)
        {
            double total = g.Sum(i => a[i]);
            double reference = mu[g[0]];
            double offset = g.Sum(i => a[i] * Wrap(mu[i] - reference)) / total;
            double m = reference + offset;
            double variance = g.Sum(i => a[i] * (sigma[i] * sigma[i] + Math.Pow(Wrap(mu[i] - m), 2))) / total;
            double s = Math.Max(Math.Sqrt(variance), model.SigmaMin * 1.0001);
            double rho = Initialization.SoftplusInverse(s - model.SigmaMin);
            // Equal resources within the group: softmax(α) is unchanged for the others when the group's Σ exp(α) is kept.
            double alpha = model.SoftBudget ? Initialization.SoftplusInverse(total / g.Length)
                : Math.Log(g.Average(i => Math.Exp(alphas[first + i] - alphas[first + g[0]]))) + alphas[first + g[0]];
            foreach (int i in g)
            {
                model.Mu[first + i] = m;
                model.Rho[first + i] = rho;
                model.Alpha[first + i] = alpha;
            }
        }
        return groups.Count;
    }

    /// <summary><see cref="Run(DpsModel, bool)"/> on T^d: the groups of <see cref="TorusComponents"/>, each axis moment-matched on its own (diagonal breadths).</summary>
    private static int RunOnTorus(DpsModel model, bool wholeTypes) => MergeOnTorus(model, model.Dimensions, 0, model.N, wholeTypes);

    /// <summary>The merge on T^d among the agents [first, first + count) of a system (the leaves of one group of a nested one).</summary>
    private static int MergeOnTorus(AgentSystem model, int dims, int first, int count, bool wholeTypes)
    {
        double[] mu = model.Mu.ToArray()[(first * dims)..((first + count) * dims)], sigma, a;
        using (TensorEngine.NoGrad())
        {
            sigma = model.Sigma().ToArray()[(first * dims)..((first + count) * dims)];
            a = model.Resources().ToArray()[first..(first + count)];
        }
        var groups = wholeTypes ? [.. TorusComponents(mu, sigma, dims, 1, breadthsToo: false).Where(g => g.Length > 1)]
            : TorusComponents(mu, sigma, dims, Closeness / 2, breadthsToo: true).Where(g => g.Length > 1).ToList();
        foreach (var g in groups)
        {
            double total = g.Sum(i => a[i]);
            double alpha = model.SoftBudget ? Initialization.SoftplusInverse(total / g.Length)
                : Math.Log(g.Average(i => Math.Exp(model.Alpha.Data[first + i] - model.Alpha.Data[first + g[0]]))) + model.Alpha.Data[first + g[0]];
            for (int k = 0; k < dims; k++)
            {
                double reference = mu[g[0] * dims + k];
                double m = reference + g.Sum(i => a[i] * Wrap(mu[i * dims + k] - reference)) / total;
                double variance = g.Sum(i => a[i] * (sigma[i * dims + k] * sigma[i * dims + k] + Math.Pow(Wrap(mu[i * dims + k] - m), 2))) / total;
                double rho = Initialization.SoftplusInverse(Math.Max(Math.Sqrt(variance), model.SigmaMin * 1.0001) - model.SigmaMin);
                foreach (int i in g) { model.Mu[(first + i) * dims + k] = m; model.Rho[(first + i) * dims + k] = rho; }
            }
            foreach (int i in g) model.Alpha[first + i] = alpha;
        }
        return groups.Count;
    }

    private static int MergeComposites(NestedSystem system, int tier, double similarity)
    {
        var level = system.Levels[tier];
        int m = system.Space.Points, leaves = Swaps.LeavesPerAgent(system, tier);
        double[] rows, a, alphas = system.Alpha.ToArray();
        using (TensorEngine.NoGrad()) { rows = system.TierProduction()[tier].ToArray(); a = system.Resources().ToArray(); }
        double Overlap(int u, int v)
        {
            double s = 0;
            for (int x = 0; x < m; x++) s += rows[u * m + x] * rows[v * m + x];
            return s;
        }
        var self = Enumerable.Range(0, level.Members).Select(u => Overlap(u, u)).ToArray();
        var mass = Enumerable.Range(0, level.Members).Select(u => Enumerable.Range(u * leaves, leaves).Sum(i => a[i])).ToArray();
        int merged = 0;
        for (int g = 0; g < level.Groups; g++)
        {
            int start = g * level.Size;
            var parent = Enumerable.Range(0, level.Size).ToArray();
            int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
            for (int u = 0; u < level.Size; u++)
                for (int v = u + 1; v < level.Size; v++)
                    if (self[start + u] > 0 && self[start + v] > 0
                        && Overlap(start + u, start + v) >= similarity * Math.Sqrt(self[start + u] * self[start + v])) parent[Find(u)] = Find(v);
            foreach (var chain in Enumerable.Range(0, level.Size).GroupBy(Find).Select(c => c.Select(u => start + u).ToArray()).Where(c => c.Length > 1))
            {
                int source = chain.MaxBy(u => mass[u]);
                double target = chain.Sum(u => mass[u]) / chain.Length;
                if (!(mass[source] > 0)) continue;
                foreach (int u in chain)
                {
                    if (u != source) Swaps.CopySubsystem(system, tier, source, u);
                    for (int k = 0; k < leaves; k++)
                        SetResource(system, u * leaves + k, a[source * leaves + k] * target / mass[source], alphas);
                }
                merged++;
            }
        }
        return merged;
    }

    /// <summary>
    /// Sets leaf i's α so that its resource becomes <paramref name="value"/>: softplus⁻¹ under a soft budget, else
    /// ln(value) plus the log-normaliser its budget block had before the move (exact when the block's total is kept).
    /// </summary>
    internal static void SetResource(NestedSystem system, int i, double value, double[] alphas)
    {
        value = Math.Max(value, 1e-300);
        if (system.SoftBudget) { system.Alpha[i] = Initialization.SoftplusInverse(value); return; }
        int block = system.BudgetBlock is > 0 and var b && b < system.N ? b : system.N;
        int from = i / block * block;
        double max = alphas[from..(from + block)].Max();
        double logNormaliser = max + Math.Log(alphas[from..(from + block)].Sum(x => Math.Exp(x - max)));
        system.Alpha[i] = Math.Log(value) + logNormaliser - Math.Log(system.Budget * block / system.N);
    }

    private static double Wrap(double d) => Math.IEEERemainder(d, 2 * Math.PI);

    private static double CircularDistance(double x, double y) => Math.Abs(Wrap(x - y));
}
