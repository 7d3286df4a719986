// The spatial insurance model (issue 16 part 2, ecology): Loreau, Mouquet and Gonzalez (2003, PNAS 100:12765) as a DPS
// in a drifting environment. S species are agents with a fixed trait H_i (their skill location on the resource axis
// [0, 1], evenly spaced); M patches each hold one limiting resource whose optimum E_j(t) drifts sinusoidally over the
// axis, out of phase across patches; the patches are linked by dispersal (a complete graph: each emigrant goes to one of
// the other M − 1 patches at random), the communication graph of the landscape. Consumer-resource dynamics:
//     dN_ij/dt = N_ij (e c_ij(t) R_j − m) − a N_ij + a/(M − 1) Σ_{k≠j} N_ik
//     dR_j/dt  = I − l R_j − R_j Σ_i c_ij(t) N_ij
//     c_ij(t)  = (1.5 − |H_i − E_j(t)|) / 10,   E_j(t) = ½ (sin(φ_j + 2π t / T) + 1),   φ_j = 2π j / M.
// The resource turns over at rate l + Σ c N ≥ l = 10, two orders of magnitude faster than the consumers (|e c R − m| ≤
// 0.3), so Simulate holds it at its quasi-steady state R_j = I / (l + Σ_i c_ij N_ij) and integrates the consumers by
// Strang splitting: half a step of dispersal (exact: N_ij relaxes to the species' landscape mean at rate aM/(M − 1)),
// a step of local growth (exact exponential at the mid-step environment), half a step of dispersal. IntegrateFull runs
// the original equations, resource included, with classical RK4 so that tests can check the scheme against them.
namespace DpsTorch.Model;

/// <summary>The parameters of the spatial insurance metacommunity (the defaults are Loreau et al. 2003's).</summary>
public sealed record MetacommunityParameters
{
    /// <summary>Number of species S (traits H_i evenly spaced on [0, 1]).</summary>
    public int Species { get; init; } = 20;
    /// <summary>Number of patches M (environmental phases evenly spaced on the circle).</summary>
    public int Patches { get; init; } = 20;
    /// <summary>Resource inflow I per patch.</summary>
    public double Inflow { get; init; } = 165;
    /// <summary>Resource loss rate l.</summary>
    public double Outflow { get; init; } = 10;
    /// <summary>Conversion efficiency e of consumed resource into consumer biomass.</summary>
    public double Efficiency { get; init; } = 0.2;
    /// <summary>Consumer death rate m.</summary>
    public double DeathRate { get; init; } = 0.2;
    /// <summary>Period T of the environmental drift.</summary>
    public double Period { get; init; } = 40_000;
}

/// <summary>Time averages over a measurement window of one simulation (one dispersal rate, one initial state).</summary>
/// <param name="Productivity">Mean local productivity: Σ_i e c_ij R_j N_ij averaged over patches and time.</param>
/// <param name="LocalCv">Temporal coefficient of variation of local productivity, averaged over patches.</param>
/// <param name="RegionalCv">Temporal coefficient of variation of the landscape's total productivity.</param>
/// <param name="Alpha">Local diversity: inverse Simpson index of a patch's relative biomasses, averaged over patches and time.</param>
/// <param name="Gamma">Regional diversity: inverse Simpson index of the landscape's species totals, averaged over time.</param>
/// <param name="Beta">Between-patch diversity γ/α (multiplicative partition, from the two time averages).</param>
/// <param name="Biomass">Mean local consumer biomass Σ_i N_ij.</param>
/// <param name="Dominant">Trait H of the species with the largest mean landscape biomass.</param>
public sealed record MetacommunityMeasures(double Productivity, double LocalCv, double RegionalCv, double Alpha, double Gamma, double Beta,
    double Biomass, double Dominant);

/// <summary>The spatial insurance metacommunity: species on a resource axis in patches whose optimum drifts, linked by dispersal.</summary>
public sealed class Metacommunity
{
    /// <summary>The model with <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">A count below 2 or a rate that is not finite and positive (the death rate may be 0).</exception>
    public Metacommunity(MetacommunityParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var p = parameters;
        if (p.Species < 2) throw new ArgumentException($"Species = {p.Species}; at least 2 are needed.");
        if (p.Patches < 2) throw new ArgumentException($"Patches = {p.Patches}; at least 2 are needed.");
        foreach (var (name, v) in new[] { ("Inflow", p.Inflow), ("Outflow", p.Outflow), ("Efficiency", p.Efficiency), ("Period", p.Period) })
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} = {v}; it must be a finite number > 0.");
        if (!(p.DeathRate >= 0) || !double.IsFinite(p.DeathRate)) throw new ArgumentException($"DeathRate = {p.DeathRate}; it must be a finite number >= 0.");
        Parameters = p;
        Traits = [.. Enumerable.Range(0, p.Species).Select(i => (double)i / (p.Species - 1))];
        Phases = [.. Enumerable.Range(0, p.Patches).Select(j => 2 * Math.PI * j / p.Patches)];
    }

    /// <summary>The parameters.</summary>
    public MetacommunityParameters Parameters { get; }
    /// <summary>Species traits H_i (their optimum on the resource axis).</summary>
    public double[] Traits { get; }
    /// <summary>Environmental phases φ_j of the patches.</summary>
    public double[] Phases { get; }

    /// <summary>The environment E_j(t) of patch <paramref name="patch"/> at time <paramref name="t"/>.</summary>
    public double Environment(int patch, double t) => 0.5 * (Math.Sin(Phases[patch] + 2 * Math.PI * t / Parameters.Period) + 1);

    /// <summary>The consumption rate c_ij of species <paramref name="species"/> in patch <paramref name="patch"/> at time <paramref name="t"/>.</summary>
    public double Consumption(int species, int patch, double t) => (1.5 - Math.Abs(Traits[species] - Environment(patch, t))) / 10;

    /// <summary>
    /// Runs the consumers from <paramref name="initial"/> (S × M, row-major by species, overwritten with the final
    /// state) for <paramref name="duration"/> time units with step <paramref name="step"/> at dispersal rate
    /// <paramref name="dispersal"/>, and averages the measures over the last <paramref name="window"/> time units,
    /// sampled every <paramref name="sampleEvery"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A negative or non-finite rate or abundance, a window longer than the run, or a wrong state length.</exception>
    public MetacommunityMeasures Simulate(double[] initial, double dispersal, double duration, double window, double step, double sampleEvery,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(initial);
        int s = Parameters.Species, m = Parameters.Patches;
        if (initial.Length != s * m) throw new ArgumentException($"The state has {initial.Length} values; {s} species x {m} patches need {s * m}.");
        if (!(dispersal >= 0) || !double.IsFinite(dispersal)) throw new ArgumentException($"dispersal = {dispersal}; it must be a finite number >= 0.");
        if (!(step > 0) || !(duration >= step) || !(window > 0 && window <= duration) || !(sampleEvery >= step && sampleEvery <= window))
            throw new ArgumentException($"step {step}, duration {duration}, window {window}, sampleEvery {sampleEvery}: need 0 < step <= sampleEvery <= window <= duration.");
        foreach (var v in initial)
            if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentException($"An initial abundance is {v}; abundances must be finite and >= 0.");
        var p = Parameters;
        var n = initial;
        var c = new double[s * m];
        var resource = new double[m];
        double relax = Math.Exp(-dispersal * m / (m - 1) * step / 2);
        long steps = (long)Math.Round(duration / step);
        long firstSample = steps - (long)Math.Round(window / step);
        long every = Math.Max(1, (long)Math.Round(sampleEvery / step));
        var samples = new Samples(s, m);
        for (long k = 0; k < steps; k++)
        {
            if ((k & 1023) == 0) cancel.ThrowIfCancellationRequested();
            Disperse(n, s, m, relax);
            double t = (k + 0.5) * step;
            Rates(c, t);
            QuasiSteadyResource(n, c, resource);
            for (int i = 0; i < s; i++)
                for (int j = 0; j < m; j++)
                    n[i * m + j] *= Math.Exp((p.Efficiency * c[i * m + j] * resource[j] - p.DeathRate) * step);
            Disperse(n, s, m, relax);
            if (k + 1 > firstSample && (k + 1 - firstSample) % every == 0)
            {
                Rates(c, (k + 1) * step);
                QuasiSteadyResource(n, c, resource);
                samples.Add(n, c, resource, p.Efficiency);
            }
        }
        return samples.Measures(Traits);
    }

    /// <summary>
    /// The original equations, resource included, by classical RK4 with step <paramref name="step"/> from time 0 for
    /// <paramref name="duration"/>: <paramref name="consumers"/> (S × M) and <paramref name="resource"/> (M) are
    /// updated in place. A reference for tests (its step must resolve the resource's fast turnover, about 0.01).
    /// </summary>
    public void IntegrateFull(double[] consumers, double[] resource, double dispersal, double duration, double step)
    {
        ArgumentNullException.ThrowIfNull(consumers);
        ArgumentNullException.ThrowIfNull(resource);
        int s = Parameters.Species, m = Parameters.Patches, size = s * m + m;
        var y = new double[size];
        consumers.CopyTo(y, 0);
        resource.CopyTo(y, s * m);
        var c = new double[s * m];
        double[] k1 = new double[size], k2 = new double[size], k3 = new double[size], k4 = new double[size], tmp = new double[size];
        long steps = (long)Math.Round(duration / step);
        for (long k = 0; k < steps; k++)
        {
            double t = k * step;
            Derivative(y, t, dispersal, c, k1);
            for (int q = 0; q < size; q++) tmp[q] = y[q] + step / 2 * k1[q];
            Derivative(tmp, t + step / 2, dispersal, c, k2);
            for (int q = 0; q < size; q++) tmp[q] = y[q] + step / 2 * k2[q];
            Derivative(tmp, t + step / 2, dispersal, c, k3);
            for (int q = 0; q < size; q++) tmp[q] = y[q] + step * k3[q];
            Derivative(tmp, t + step, dispersal, c, k4);
            for (int q = 0; q < size; q++) y[q] += step / 6 * (k1[q] + 2 * k2[q] + 2 * k3[q] + k4[q]);
        }
        Array.Copy(y, 0, consumers, 0, s * m);
        Array.Copy(y, s * m, resource, 0, m);
    }

    private void Derivative(double[] y, double t, double dispersal, double[] c, double[] dy)
    {
        var p = Parameters;
        int s = p.Species, m = p.Patches;
        Rates(c, t);
        for (int j = 0; j < m; j++)
        {
            double r = y[s * m + j], uptake = 0;
            for (int i = 0; i < s; i++) uptake += c[i * m + j] * y[i * m + j];
            dy[s * m + j] = p.Inflow - p.Outflow * r - r * uptake;
        }
        for (int i = 0; i < s; i++)
        {
            double total = 0;
            for (int j = 0; j < m; j++) total += y[i * m + j];
            for (int j = 0; j < m; j++)
            {
                double nij = y[i * m + j];
                dy[i * m + j] = nij * (p.Efficiency * c[i * m + j] * y[s * m + j] - p.DeathRate) - dispersal * nij + dispersal / (m - 1) * (total - nij);
            }
        }
    }

    private void Rates(double[] c, double t)
    {
        int s = Parameters.Species, m = Parameters.Patches;
        for (int j = 0; j < m; j++)
        {
            double e = Environment(j, t);
            for (int i = 0; i < s; i++) c[i * m + j] = (1.5 - Math.Abs(Traits[i] - e)) / 10;
        }
    }

    private void QuasiSteadyResource(double[] n, double[] c, double[] resource)
    {
        int s = Parameters.Species, m = Parameters.Patches;
        for (int j = 0; j < m; j++)
        {
            double uptake = 0;
            for (int i = 0; i < s; i++) uptake += c[i * m + j] * n[i * m + j];
            resource[j] = Parameters.Inflow / (Parameters.Outflow + uptake);
        }
    }

    /// <summary>Exact dispersal on the complete graph over one half step: N_ij → N̄_i + (N_ij − N̄_i)·relax.</summary>
    private static void Disperse(double[] n, int s, int m, double relax)
    {
        if (relax == 1) return;
        for (int i = 0; i < s; i++)
        {
            double mean = 0;
            for (int j = 0; j < m; j++) mean += n[i * m + j];
            mean /= m;
            for (int j = 0; j < m; j++) n[i * m + j] = mean + (n[i * m + j] - mean) * relax;
        }
    }

    /// <summary>Running sums of the sampled states.</summary>
    private sealed class Samples(int s, int m)
    {
        private readonly double[] _sumP = new double[m], _sumP2 = new double[m], _speciesTotal = new double[s];
        private double _sumRegional, _sumRegional2, _sumAlpha, _sumGamma, _sumBiomass;
        private int _count;

        public void Add(double[] n, double[] c, double[] resource, double efficiency)
        {
            double regional = 0, alpha = 0, biomass = 0;
            var totals = new double[s];
            for (int j = 0; j < m; j++)
            {
                double prod = 0, b = 0, b2 = 0;
                for (int i = 0; i < s; i++)
                {
                    double x = n[i * m + j];
                    prod += efficiency * c[i * m + j] * resource[j] * x;
                    b += x;
                    b2 += x * x;
                    totals[i] += x;
                }
                _sumP[j] += prod;
                _sumP2[j] += prod * prod;
                regional += prod;
                alpha += b2 > 0 ? b * b / b2 : 0;
                biomass += b;
            }
            double g = 0, g2 = 0;
            for (int i = 0; i < s; i++) { g += totals[i]; g2 += totals[i] * totals[i]; _speciesTotal[i] += totals[i]; }
            _sumRegional += regional;
            _sumRegional2 += regional * regional;
            _sumAlpha += alpha / m;
            _sumGamma += g2 > 0 ? g * g / g2 : 0;
            _sumBiomass += biomass / m;
            _count++;
        }

        public MetacommunityMeasures Measures(double[] traits)
        {
            double n = _count, productivity = 0, localCv = 0;
            for (int j = 0; j < m; j++)
            {
                double mean = _sumP[j] / n;
                productivity += mean / m;
                localCv += Cv(mean, _sumP2[j] / n) / m;
            }
            double regionalMean = _sumRegional / n;
            double alpha = _sumAlpha / n, gamma = _sumGamma / n;
            int dominant = Array.IndexOf(_speciesTotal, _speciesTotal.Max());
            return new MetacommunityMeasures(productivity, localCv, Cv(regionalMean, _sumRegional2 / n), alpha, gamma, gamma / alpha,
                _sumBiomass / n, traits[dominant]);
        }

        private static double Cv(double mean, double meanSquare) => mean > 0 ? Math.Sqrt(Math.Max(0, meanSquare - mean * mean)) / mean : double.NaN;
    }
}
