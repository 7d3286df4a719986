// A plant or consumer community as a DPS without links (issue 16 part 2, ecology): species are agents with a
// resource-utilisation curve s_i = WN(μ_i, σ_i) on the resource axis (the circle of the operation space), their
// abundances N_i are the agents' resources a_i, and the resource supply K(x) is the demand D(x). Under MacArthur's
// consumer-resource model with fast, logistic resources (MacArthur 1970), the consumers follow Lotka-Volterra dynamics
//     dN_i/dt = N_i (K_i − Σ_j α_ij N_j),   α_ij = ∫ s_i s_j,   K_i = (1 − m_i) ∫ s_i D,
// (m_i the maintenance cost as a fraction of the intake), and the stable equilibrium minimises MacArthur's quantity
//     Q(N) = ½ ∫ (D − Σ_j N_j s_j)² + Σ_i m_i N_i ∫ s_i D   over N ≥ 0,
// which is half the DPS squared system coverage loss plus a linear maintenance cost per unit of abundance: the DPS
// objective with the traits (μ, σ) held fixed and the resources free. Integrals are the grid's Δ-weighted sums, as in
// the DPS loss. The equilibrium is found exactly (an active-set solver of the convex quadratic programme; the pool is
// small), and Integrate runs the dynamics themselves so that tests can check one against the other.
namespace DpsTorch.Model;

/// <summary>Species with fixed niches on a resource axis and their MacArthur consumer-resource equilibrium.</summary>
public sealed class Community
{
    private readonly double[,] _alpha;
    private readonly double[] _k;
    private readonly double[] _intake;

    /// <summary>
    /// A pool of species with utilisation curves WN(μ_i, σ_i) on <paramref name="space"/>, fed by the resource supply
    /// <paramref name="supply"/> (M values on the grid), each paying the maintenance fraction
    /// <paramref name="mortality"/>[i] of its intake.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths that differ, a breadth that is not positive, a maintenance fraction outside [0, 1), or a negative supply.</exception>
    public Community(Space space, ReadOnlySpan<double> supply, ReadOnlySpan<double> mu, ReadOnlySpan<double> sigma, ReadOnlySpan<double> mortality)
    {
        ArgumentNullException.ThrowIfNull(space);
        int s = mu.Length, m = space.M;
        if (sigma.Length != s || mortality.Length != s)
            throw new ArgumentException($"mu has {s} species but sigma has {sigma.Length} and mortality {mortality.Length}; they must match.");
        if (supply.Length != m) throw new ArgumentException($"The supply has {supply.Length} values but the grid has {m} points.");
        for (int x = 0; x < m; x++)
            if (!(supply[x] >= 0) || !double.IsFinite(supply[x])) throw new ArgumentException($"supply[{x}] = {supply[x]}; the resource supply must be finite and >= 0.");
        for (int i = 0; i < s; i++)
        {
            if (!(sigma[i] > 0) || !double.IsFinite(sigma[i])) throw new ArgumentException($"sigma[{i}] = {sigma[i]}; every niche width must be a finite number > 0.");
            if (!(mortality[i] >= 0 && mortality[i] < 1)) throw new ArgumentException($"mortality[{i}] = {mortality[i]}; a maintenance fraction must lie in [0, 1).");
        }
        Space = space;
        Size = s;
        Supply = supply.ToArray();
        Mu = mu.ToArray();
        Sigma = sigma.ToArray();
        Mortality = mortality.ToArray();
        var grid = space.Grid;
        Utilisation = new double[s][];
        for (int i = 0; i < s; i++)
        {
            var u = new double[m];
            for (int x = 0; x < m; x++) u[x] = WrappedNormal.Density(grid[x], Mu[i], Sigma[i]);
            Utilisation[i] = u;
        }
        _alpha = new double[s, s];
        _k = new double[s];
        _intake = new double[s];
        for (int i = 0; i < s; i++)
        {
            double intake = 0;
            for (int x = 0; x < m; x++) intake += Utilisation[i][x] * Supply[x];
            _intake[i] = intake * space.Delta;
            _k[i] = (1 - Mortality[i]) * _intake[i];
            for (int j = 0; j <= i; j++)
            {
                double a = 0;
                for (int x = 0; x < m; x++) a += Utilisation[i][x] * Utilisation[j][x];
                _alpha[i, j] = _alpha[j, i] = a * space.Delta;
            }
        }
    }

    /// <summary>The resource axis.</summary>
    public Space Space { get; }
    /// <summary>Number of species in the pool.</summary>
    public int Size { get; }
    /// <summary>Resource supply on the grid (the demand).</summary>
    public double[] Supply { get; }
    /// <summary>Niche positions μ_i.</summary>
    public double[] Mu { get; }
    /// <summary>Niche widths σ_i.</summary>
    public double[] Sigma { get; }
    /// <summary>Maintenance fractions m_i.</summary>
    public double[] Mortality { get; }
    /// <summary>Utilisation curves s_i on the grid, one array per species.</summary>
    public double[][] Utilisation { get; }

    /// <summary>Competition coefficient α_ij = ∫ s_i s_j (the overlap of two utilisation curves).</summary>
    public double Alpha(int i, int j) => _alpha[i, j];
    /// <summary>Net carrying capacity K_i = (1 − m_i) ∫ s_i D: the intake left after maintenance, when alone at low density.</summary>
    public double Capacity(int i) => _k[i];

    /// <summary>MacArthur's quantity Q(N) = ½ ∫ (D − Σ N_j s_j)² + Σ m_i N_i ∫ s_i D for abundances of every species (0 for absent ones).</summary>
    public double Objective(ReadOnlySpan<double> n)
    {
        double q = 0;
        for (int x = 0; x < Space.M; x++)
        {
            double w = 0;
            for (int i = 0; i < Size; i++) w += n[i] * Utilisation[i][x];
            q += (Supply[x] - w) * (Supply[x] - w);
        }
        q *= 0.5 * Space.Delta;
        for (int i = 0; i < Size; i++) q += Mortality[i] * n[i] * _intake[i];
        return q;
    }

    /// <summary>The per-capita growth rate K_i − Σ_j α_ij N_j of species i at abundances <paramref name="n"/> (positive: it can invade).</summary>
    public double GrowthRate(int i, ReadOnlySpan<double> n)
    {
        double g = _k[i];
        for (int j = 0; j < Size; j++) g -= _alpha[i, j] * n[j];
        return g;
    }

    /// <summary>
    /// The stable equilibrium of the species in <paramref name="members"/> (all when null): the minimiser of Q over
    /// N ≥ 0 with the other species absent, by an active-set method (Lawson-Hanson non-negative least squares on the
    /// Gram matrix α); exact to rounding. Returns an abundance per pool species (0 for absent or excluded ones).
    /// </summary>
    public double[] Equilibrium(IReadOnlyList<int>? members = null)
    {
        var idx = members?.ToArray() ?? [.. Enumerable.Range(0, Size)];
        var n = new double[Size];
        var free = new List<int>();
        var inSet = new bool[Size];
        for (int iter = 0; iter < 10 * idx.Length + 10; iter++)
        {
            // The most positive growth rate among the absent members enters.
            int enter = -1;
            double best = 1e-12 * Math.Max(1, idx.Max(i => Math.Abs(_k[i])));
            foreach (int i in idx)
                if (!inSet[i]) { double g = GrowthRate(i, n); if (g > best) { best = g; enter = i; } }
            if (enter < 0) break;
            inSet[enter] = true;
            free.Add(enter);
            while (true)
            {
                var z = SolveFree(free);
                if (z.All(v => v > 0))
                {
                    for (int f = 0; f < free.Count; f++) n[free[f]] = z[f];
                    break;
                }
                // Step from n towards z until the first abundance hits zero; drop it.
                double t = 1;
                for (int f = 0; f < free.Count; f++)
                    if (z[f] <= 0) t = Math.Min(t, n[free[f]] / (n[free[f]] - z[f]));
                for (int f = 0; f < free.Count; f++) n[free[f]] += t * (z[f] - n[free[f]]);
                for (int f = free.Count - 1; f >= 0; f--)
                    if (n[free[f]] <= 1e-14 * Math.Max(1, z.Max(Math.Abs)))
                    {
                        n[free[f]] = 0;
                        inSet[free[f]] = false;
                        free.RemoveAt(f);
                    }
                if (free.Count == 0) break;
            }
        }
        return n;
    }

    /// <summary>Solves α_FF z = K_F on the free set F (Cholesky; α is a Gram matrix, positive definite for distinct species).</summary>
    private double[] SolveFree(List<int> free)
    {
        int f = free.Count;
        var l = new double[f, f];
        for (int i = 0; i < f; i++)
            for (int j = 0; j <= i; j++)
            {
                double v = _alpha[free[i], free[j]];
                for (int k = 0; k < j; k++) v -= l[i, k] * l[j, k];
                if (i == j)
                {
                    if (!(v > 0)) throw new InvalidOperationException($"The competition matrix of species {string.Join(", ", free)} is singular: two species have the same niche.");
                    l[i, i] = Math.Sqrt(v);
                }
                else l[i, j] = v / l[j, j];
            }
        var y = new double[f];
        for (int i = 0; i < f; i++)
        {
            double v = _k[free[i]];
            for (int k = 0; k < i; k++) v -= l[i, k] * y[k];
            y[i] = v / l[i, i];
        }
        var z = new double[f];
        for (int i = f - 1; i >= 0; i--)
        {
            double v = y[i];
            for (int k = i + 1; k < f; k++) v -= l[k, i] * z[k];
            z[i] = v / l[i, i];
        }
        return z;
    }

    /// <summary>
    /// Integrates the Lotka-Volterra dynamics dN_i/dt = N_i (K_i − Σ_j α_ij N_j) from <paramref name="start"/> for
    /// <paramref name="steps"/> steps of <paramref name="dt"/> (classical fourth-order Runge-Kutta); returns the end state.
    /// </summary>
    public double[] Integrate(ReadOnlySpan<double> start, double dt, int steps)
    {
        if (start.Length != Size) throw new ArgumentException($"start has {start.Length} abundances but the pool has {Size} species.");
        var n = start.ToArray();
        double[] k1 = new double[Size], k2 = new double[Size], k3 = new double[Size], k4 = new double[Size], tmp = new double[Size];
        void Rate(double[] at, double[] into) { for (int i = 0; i < Size; i++) into[i] = at[i] * GrowthRate(i, at); }
        for (int s = 0; s < steps; s++)
        {
            Rate(n, k1);
            for (int i = 0; i < Size; i++) tmp[i] = n[i] + 0.5 * dt * k1[i];
            Rate(tmp, k2);
            for (int i = 0; i < Size; i++) tmp[i] = n[i] + 0.5 * dt * k2[i];
            Rate(tmp, k3);
            for (int i = 0; i < Size; i++) tmp[i] = n[i] + dt * k3[i];
            Rate(tmp, k4);
            for (int i = 0; i < Size; i++) n[i] = Math.Max(0, n[i] + dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
        }
        return n;
    }
}

/// <summary>
/// The Loreau-Hector (2001) partition of the net biodiversity effect of a mixture of S species planted in equal
/// proportions: ΔY = Y_O − Y_E with Y_E = Σ M_i / S, ΔRY_i = Y_i/M_i − 1/S;
/// complementarity = S·mean(ΔRY)·mean(M), selection = S·cov(ΔRY, M) (population covariance), and ΔY is their sum
/// exactly.
/// </summary>
/// <param name="Richness">S.</param>
/// <param name="Yield">Observed mixture yield Y_O = Σ Y_i.</param>
/// <param name="Expected">Expected yield Y_E = Σ M_i / S.</param>
/// <param name="Complementarity">S·mean(ΔRY)·mean(M).</param>
/// <param name="Selection">S·cov(ΔRY, M).</param>
public sealed record BiodiversityPartition(int Richness, double Yield, double Expected, double Complementarity, double Selection)
{
    /// <summary>The net biodiversity effect ΔY = Y_O − Y_E.</summary>
    public double Net => Yield - Expected;
    /// <summary>Whether the mixture overyields (ΔY &gt; 0).</summary>
    public bool Overyields => Net > 0;

    /// <summary>The partition of a mixture from its species' mixture yields and monoculture yields (both &gt; 0 for monocultures).</summary>
    public static BiodiversityPartition Of(ReadOnlySpan<double> mixture, ReadOnlySpan<double> monoculture)
    {
        int s = mixture.Length;
        if (monoculture.Length != s || s == 0) throw new ArgumentException($"A partition needs one monoculture yield per species: got {s} mixture and {monoculture.Length} monoculture yields.");
        double meanRy = 0, meanM = 0, yo = 0, ye = 0;
        var dry = new double[s];
        for (int i = 0; i < s; i++)
        {
            if (!(monoculture[i] > 0)) throw new ArgumentException($"monoculture[{i}] = {monoculture[i]}; relative yields need positive monoculture yields.");
            dry[i] = mixture[i] / monoculture[i] - 1.0 / s;
            meanRy += dry[i] / s;
            meanM += monoculture[i] / s;
            yo += mixture[i];
            ye += monoculture[i] / s;
        }
        double cov = 0;
        for (int i = 0; i < s; i++) cov += (dry[i] - meanRy) * (monoculture[i] - meanM) / s;
        return new BiodiversityPartition(s, yo, ye, s * meanRy * meanM, s * cov);
    }
}
