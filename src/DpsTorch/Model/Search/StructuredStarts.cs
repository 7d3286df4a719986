// A structured start (issue 13): clones at the demand's modes, interleaved along the agents' order. Under the system
// objective with no edges it is the exact mixture when the demand is one (each mode's width read off the demand's
// log-curvature, its mass off the basin between the neighbouring minima); on a ring it is the tiling A B C A B C ...
// that gradient descent from a spread or random start does not find (bench/optima/README.md).
namespace DpsTorch.Model.Search;

/// <summary>One mode of the demand: its centre, the width of a normal peak with the same log-curvature, and the basin's mass share.</summary>
public sealed record DemandMode(double Center, double Width, double Mass);

/// <summary>One mode of a demand on T^d: its centre and per-axis width (d numbers each), and the basin's mass share.</summary>
public sealed record TorusMode(double[] Center, double[] Width, double Mass);

/// <summary>Finds the demand's modes and builds the start that puts clones at them.</summary>
public static class StructuredStarts
{
    /// <summary>
    /// The modes of the mean of <paramref name="frames"/> on the circular grid, largest mass first: grid points higher
    /// than the point before and no lower than the one after. Each mode's mass is the demand's integral over its basin
    /// (from the lowest point between it and the mode before to the lowest point between it and the mode after),
    /// normalised to sum 1; its width is Δ / √(2 ln D₀ − ln D₋ − ln D₊), the σ of the normal peak with the same
    /// log-curvature, and its centre the vertex of the parabola through the three log values (both exact for a normal
    /// peak between grid points); width Δ and the grid point where a neighbour is 0. A flat demand has no modes.
    /// </summary>
    public static IReadOnlyList<DemandMode> Modes(Space space, IReadOnlyList<double[]> frames)
    {
        int m = space.M;
        var d = new double[m];
        foreach (var f in frames)
            for (int i = 0; i < m; i++) d[i] += f[i] / frames.Count;
        var peaks = new List<int>();
        for (int i = 0; i < m; i++)
            if (d[i] > d[(i - 1 + m) % m] && d[i] >= d[(i + 1) % m]) peaks.Add(i);
        if (peaks.Count == 0) return [];
        // The basin boundary between consecutive peaks is the lowest grid point between them.
        var bounds = new int[peaks.Count];
        for (int k = 0; k < peaks.Count; k++)
        {
            int from = peaks[k], span = ((peaks[(k + 1) % peaks.Count] - from + m - 1) % m) + 1;
            int low = from;
            for (int s = 1; s < span; s++)
                if (d[(from + s) % m] < d[low]) low = (from + s) % m;
            bounds[k] = low; // the boundary after peak k
        }
        var modes = new List<DemandMode>();
        double total = 0;
        var masses = new double[peaks.Count];
        for (int k = 0; k < peaks.Count; k++)
        {
            int start = (bounds[(k - 1 + peaks.Count) % peaks.Count] + 1) % m, end = bounds[k];
            int span = peaks.Count == 1 ? m : ((end - start + m) % m) + 1;
            for (int s = 0; s < span; s++) masses[k] += d[(start + s) % m];
            total += masses[k];
        }
        for (int k = 0; k < peaks.Count; k++)
        {
            int i = peaks[k];
            double left = Math.Log(d[(i - 1 + m) % m]), right = Math.Log(d[(i + 1) % m]);
            double curvature = 2 * Math.Log(d[i]) - left - right;
            bool parabola = curvature > 0 && double.IsFinite(curvature);
            double width = parabola ? space.Delta / Math.Sqrt(curvature) : space.Delta;
            // The vertex of the parabola through the three log values: the centre between grid points.
            double shift = parabola ? Math.Clamp(0.5 * (right - left) / curvature, -0.5, 0.5) * space.Delta : 0;
            modes.Add(new DemandMode(space.Grid[i] + shift, width, masses[k] / total));
        }
        return [.. modes.OrderByDescending(x => x.Mass)];
    }

    /// <summary>
    /// μ, ρ, α of <paramref name="n"/> agents at the <paramref name="modes"/> (the n largest when there are more): group
    /// sizes ∝ mass (largest remainders, at least one each), the groups interleaved along the agents' order (agent i
    /// joins the group furthest behind its share, so equal groups give A B C A B C ...) and turned by a seed-drawn
    /// offset, σ = the mode's width (at least 1.5 σ_min, at most π), resources R·mass / group size, plus the jitter of
    /// the other starts. Null when the demand has no modes.
    /// </summary>
    public static InitialParameters? AtModes(int n, IReadOnlyList<DemandMode> modes, double sigmaMin, double jitter, int seed,
        double budget, bool softBudget)
        => AtTorusModes(n, 1, [.. modes.Select(x => new TorusMode([x.Center], [x.Width], x.Mass))], sigmaMin, jitter, seed, budget, softBudget);

    /// <summary>
    /// The modes of the mean of <paramref name="frames"/> on the product grid of T^d, largest mass first: grid points
    /// higher than the point before and no lower than the point after along every axis (the circle's rule per axis).
    /// Every grid point belongs to the basin its steepest ascent over the 2d axis neighbours ends in; a mode's mass is
    /// its basin's share of the demand. Along each axis the width and the centre between grid points come from the
    /// parabola through the three log values, as in <see cref="Modes"/>. A flat demand has no modes.
    /// </summary>
    public static IReadOnlyList<TorusMode> TorusModes(Space space, IReadOnlyList<double[]> frames)
    {
        int points = space.Points, m = space.M, dims = space.Dimensions;
        var d = new double[points];
        foreach (var f in frames)
            for (int i = 0; i < points; i++) d[i] += f[i] / frames.Count;
        var stride = new int[dims];
        for (int k = dims - 1, s = 1; k >= 0; k--, s *= m) stride[k] = s;
        int Neighbour(int point, int axis, int step)
        {
            int coordinate = point / stride[axis] % m;
            return point + (((coordinate + step + m) % m) - coordinate) * stride[axis];
        }
        var peaks = new List<int>();
        for (int i = 0; i < points; i++)
        {
            bool peak = true;
            for (int k = 0; k < dims && peak; k++) peak = d[i] > d[Neighbour(i, k, -1)] && d[i] >= d[Neighbour(i, k, 1)];
            if (peak) peaks.Add(i);
        }
        if (peaks.Count == 0) return [];
        // Basins: follow the steepest ascent to a peak (memoised), every point ending at exactly one peak.
        var basin = new int[points];
        Array.Fill(basin, -1);
        for (int p = 0; p < peaks.Count; p++) basin[peaks[p]] = p;
        var path = new List<int>();
        for (int i = 0; i < points; i++)
        {
            int at = i;
            path.Clear();
            while (basin[at] < 0)
            {
                path.Add(at);
                int next = at;
                for (int k = 0; k < dims; k++)
                    foreach (int step in (ReadOnlySpan<int>)[-1, 1])
                    {
                        int q = Neighbour(at, k, step);
                        if (d[q] > d[next]) next = q;
                    }
                if (next == at) { basin[at] = NearestPeak(at); break; } // a plateau that is no peak by the rule above
                at = next;
            }
            foreach (int q in path) basin[q] = basin[at];
        }
        int NearestPeak(int point)
        {
            int best = 0;
            double bestHeight = double.NegativeInfinity;
            for (int p = 0; p < peaks.Count; p++)
                if (d[peaks[p]] > bestHeight) { best = p; bestHeight = d[peaks[p]]; }
            return best;
        }
        var masses = new double[peaks.Count];
        for (int i = 0; i < points; i++) masses[basin[i]] += d[i];
        double total = masses.Sum();
        var modes = new List<TorusMode>();
        for (int p = 0; p < peaks.Count; p++)
        {
            int i = peaks[p];
            var center = new double[dims];
            var width = new double[dims];
            var idx = space.Indices(i);
            for (int k = 0; k < dims; k++)
            {
                double left = Math.Log(d[Neighbour(i, k, -1)]), right = Math.Log(d[Neighbour(i, k, 1)]);
                double curvature = 2 * Math.Log(d[i]) - left - right;
                bool parabola = curvature > 0 && double.IsFinite(curvature);
                width[k] = parabola ? space.Spacing / Math.Sqrt(curvature) : space.Spacing;
                double shift = parabola ? Math.Clamp(0.5 * (right - left) / curvature, -0.5, 0.5) * space.Spacing : 0;
                center[k] = space.Grid[idx[k]] + shift;
            }
            modes.Add(new TorusMode(center, width, masses[p] / total));
        }
        return [.. modes.OrderByDescending(x => x.Mass)];
    }

    /// <summary>
    /// The start of <see cref="AtModes"/> on T^d: μ, ρ with d entries per agent (agent by agent) and α, clones at the
    /// <paramref name="modes"/> with the same group sizes, interleaving, seed-drawn offset, breadths (per axis) and
    /// resources. Null when the demand has no modes.
    /// </summary>
    public static InitialParameters? AtTorusModes(int n, int dims, IReadOnlyList<TorusMode> modes, double sigmaMin, double jitter, int seed,
        double budget, bool softBudget)
    {
        if (modes.Count == 0) return null;
        var kept = modes.Take(n).ToArray();
        double mass = kept.Sum(x => x.Mass);
        var sizes = ReferenceStates.GroupSizes(n, [.. kept.Select(x => x.Mass / mass)]);
        var rng = new Random(seed);
        int offset = rng.Next(n);
        var order = Interleave(sizes);
        var mu = new double[n * dims];
        var rho = new double[n * dims];
        var alpha = new double[n];
        for (int i = 0; i < n; i++)
        {
            int g = order[(i + offset) % n];
            double share = kept[g].Mass / mass / sizes[g];
            for (int k = 0; k < dims; k++)
            {
                double sigma = Math.Clamp(kept[g].Width[k], 1.5 * sigmaMin, Math.PI);
                mu[i * dims + k] = kept[g].Center[k] + jitter * Tensor.NormalSample(rng);
                double s = Math.Max(sigma * (1.0 + jitter * Tensor.NormalSample(rng)), sigmaMin * 1.0001);
                rho[i * dims + k] = Initialization.SoftplusInverse(s - sigmaMin);
            }
            alpha[i] = (softBudget ? Initialization.SoftplusInverse(share * budget) : Math.Log(share)) + jitter * Tensor.NormalSample(rng);
        }
        return new InitialParameters(mu, rho, alpha);
    }

    /// <summary>Group labels, one per slot: slot i takes the group with the largest deficit size·(i + 1)/n − assigned (lowest index on ties).</summary>
    public static int[] Interleave(IReadOnlyList<int> sizes)
    {
        int n = sizes.Sum();
        var assigned = new int[sizes.Count];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            double bestDeficit = double.NegativeInfinity;
            for (int g = 0; g < sizes.Count; g++)
            {
                if (assigned[g] >= sizes[g]) continue;
                double deficit = (double)sizes[g] * (i + 1) / n - assigned[g];
                if (deficit > bestDeficit + 1e-12) { best = g; bestDeficit = deficit; }
            }
            order[i] = best;
            assigned[best]++;
        }
        return order;
    }
}
