// The efficient-coding objective (objective.kind "fisher", docs/CONFIG.md; experiments/11-efficient-coding): the agents
// are neurons whose tuning curves are their productions f_i(x) = a_i WN(x; μ_i, σ_i) (preferred stimulus μ_i, tuning
// width σ_i, gain a_i), the demand normalised is the stimulus prior p = D/∫D, and spikes are Poisson, so the population's
// Fisher information is FI(x) = Σ_i f_i'(x)²/f_i(x). The loss is
//
//     L = −∫ p log FI + log ∫ p Σ_i f_i                                       (Ganguli & Simoncelli 2014, infomax)
//
// FI is homogeneous of degree one in the gains, so this is −max ∫ p log FI under the metabolic constraint that the
// expected total rate ∫ p Σ f_i equals R, written without a multiplier: scaling all gains to meet the constraint adds
// log R − log ∫ p Σ f_i to ∫ p log FI. Everything is a composition of engine ops, so gradients come from autograd.
using DpsTorch.Ops;

namespace DpsTorch.Model;

/// <summary>Fisher information of a Poisson population of wrapped-normal tuning curves, and the infomax loss built on it.</summary>
public static class EfficientCoding
{
    /// <summary>Added to FI before its logarithm, so a grid point no tuning curve reaches gives a large finite loss
    /// instead of −log 0 (far below any FI a covering population has).</summary>
    public const double FloorFI = 1e-300;

    /// <summary>The neuron count n and grid size m, after checking that μ, σ and the gains have one entry per neuron.</summary>
    private static (int N, int M) CheckShapes(Tensor mu, Tensor sigma, Tensor gains, double[] grid)
    {
        ArgumentNullException.ThrowIfNull(mu);
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(gains);
        ArgumentNullException.ThrowIfNull(grid);
        int n = mu.Numel;
        if (sigma.Numel != n || gains.Numel != n)
            throw new ArgumentException($"EfficientCoding: μ, σ and the gains need one entry per neuron; got {n}, {sigma.Numel}, {gains.Numel}.");
        return (n, grid.Length);
    }

    /// <summary>
    /// FI(x_m) = Σ_i f_i'(x_m)²/f_i(x_m) with f_i = a_i WN(·; μ_i, σ_i), length M. Each term is computed as
    /// a_i/(σ_i³√(2π)) · e^{−c} (Σ_k z_k e^{c − z_k²/2})² / Σ_k e^{c − z_k²/2}, z_k = (x − μ_i + 2πk)/σ_i over the images
    /// k around the nearest one, with c = z_0²/2 a constant of the nearest image: the expression is the same for every
    /// c, so its gradient is exact, and far tails underflow to 0 instead of 0/0.
    /// </summary>
    public static Tensor FisherInformation(Tensor mu, Tensor sigma, Tensor gains, double[] grid)
    {
        var (n, m) = CheckShapes(mu, sigma, gains, grid);
        var muData = mu.ToArray();
        var sigmaData = sigma.ToArray();
        double twoPi = 2 * Math.PI;
        // The nearest image's shift (a constant: the gradient does not flow through a rounding) and c = z_0²/2.
        var shift = new double[n * m];
        var c = new double[n * m];
        var expMinusC = new double[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double d = grid[j] - muData[i];
                double k = Math.Round(d / twoPi);
                shift[i * m + j] = -twoPi * k;
                double z = (d - twoPi * k) / sigmaData[i];
                c[i * m + j] = 0.5 * z * z;
                expMinusC[i * m + j] = Math.Exp(-c[i * m + j]);
            }
        int images = Images(sigmaData);
        var x = Tensor.FromArray(grid, 1, m);
        var baseOffset = x - mu.Reshape(n, 1) + Tensor.FromArray(shift, n, m); // x − μ_i − 2π·round, in [−π, π]
        var s = sigma.Reshape(n, 1);
        var cT = Tensor.FromArray(c, n, m);
        Tensor? s0 = null, s1 = null;
        for (int k = -images; k <= images; k++)
        {
            var z = (k == 0 ? baseOffset : baseOffset + twoPi * k) / s;
            var e = (cT - z.Square() * 0.5).Exp();
            s0 = s0 is null ? e : s0 + e;
            var ze = z * e;
            s1 = s1 is null ? ze : s1 + ze;
        }
        var scale = gains.Reshape(n, 1) / (s.Pow(3.0) * Math.Sqrt(twoPi));
        var terms = scale * Tensor.FromArray(expMinusC, n, m) * s1!.Square() / s0!;
        return terms.Sum(0);
    }

    /// <summary>
    /// L = −Δ Σ_m p_m log(FI_m + <see cref="FloorFI"/>) + log(Δ Σ_m p_m W_m), with p = <paramref name="prior"/> / (Δ Σ prior)
    /// and W the summed tuning curves (the system production); a scalar.
    /// </summary>
    public static Tensor Loss(Tensor mu, Tensor sigma, Tensor gains, double[] grid, double delta, double[] prior)
    {
        ArgumentNullException.ThrowIfNull(prior);
        if (prior.Length != grid.Length) throw new ArgumentException($"EfficientCoding: the prior has {prior.Length} values but the grid has {grid.Length} points.");
        var p = Prior(prior, delta);
        var pT = Tensor.FromArray(p);
        var fi = FisherInformation(mu, sigma, gains, grid);
        var w = DpsKernels.WrappedNormalMixture(mu, sigma, gains, grid);
        var information = ((fi + FloorFI).Log() * pT).Sum() * delta;
        var rate = (w * pT).Sum() * delta;
        return rate.Log() - information;
    }

    /// <summary>
    /// Tuning curves f_i(x_m) = a_i WN(x_m; μ_i, σ_i) and their derivatives f_i'(x_m) in the stimulus, each N×M, as
    /// composed engine ops over the images k around the nearest one (the same image count as <see cref="FisherInformation"/>).
    /// </summary>
    public static (Tensor Rates, Tensor Slopes) TuningCurves(Tensor mu, Tensor sigma, Tensor gains, double[] grid)
    {
        var (n, m) = CheckShapes(mu, sigma, gains, grid);
        var muData = mu.ToArray();
        double twoPi = 2 * Math.PI;
        var shift = new double[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) shift[i * m + j] = -twoPi * Math.Round((grid[j] - muData[i]) / twoPi);
        var baseOffset = Tensor.FromArray(grid, 1, m) - mu.Reshape(n, 1) + Tensor.FromArray(shift, n, m);
        var s = sigma.Reshape(n, 1);
        int images = Images(sigma.ToArray());
        Tensor? s0 = null, s1 = null;
        for (int k = -images; k <= images; k++)
        {
            var z = (k == 0 ? baseOffset : baseOffset + twoPi * k) / s;
            var e = (z.Square() * -0.5).Exp();
            s0 = s0 is null ? e : s0 + e;
            var ze = z * e;
            s1 = s1 is null ? ze : s1 + ze;
        }
        var scale = gains.Reshape(n, 1) / (s * Math.Sqrt(twoPi));
        return (scale * s0!, -(scale / s) * s1!);
    }

    /// <summary>
    /// The infomax loss of a population whose neurons pool their responses through the interaction graph, as the DPS
    /// production p = (I + Q) w pools outputs: channel i is Poisson with the pooled rate g_i = f_i + Σ_j Q_ij f_j, so
    /// FI = Σ_i g_i'²/g_i, and the metabolic cost is the expected total pooled rate ∫ p Σ_i g_i = ∫ p W (the DPS system
    /// production): L = −∫ p log FI + log ∫ p W. <paramref name="pool"/> applies I + Q to an N×M tensor. With no links it
    /// equals <see cref="Loss"/> up to rounding in the far tails (tests check it).
    /// </summary>
    public static Tensor PooledLoss(Tensor mu, Tensor sigma, Tensor gains, double[] grid, double delta, double[] prior, Func<Tensor, Tensor> pool)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(pool);
        if (prior.Length != grid.Length) throw new ArgumentException($"EfficientCoding: the prior has {prior.Length} values but the grid has {grid.Length} points.");
        var pT = Tensor.FromArray(Prior(prior, delta));
        var (f, df) = TuningCurves(mu, sigma, gains, grid);
        var g = pool(f);
        var dg = pool(df);
        // g_i'²/g_i; where g_i underflows to 0 so does g_i' (same Gaussian factor), and the floor keeps the ratio 0.
        var fi = (dg.Square() / (g + FloorFI)).Sum(0);
        var information = ((fi + FloorFI).Log() * pT).Sum() * delta;
        var rate = (g.Sum(0) * pT).Sum() * delta;
        return rate.Log() - information;
    }

    /// <summary>The prior density p = D/∫D on the grid (Δ-weighted mass one).</summary>
    /// <exception cref="ArgumentException">The demand has no positive mass.</exception>
    public static double[] Prior(double[] demand, double delta)
    {
        ArgumentNullException.ThrowIfNull(demand);
        double mass = delta * demand.Sum();
        if (!(mass > 0)) throw new ArgumentException("EfficientCoding: the stimulus prior (the demand) needs a positive mass.");
        return [.. demand.Select(v => v / mass)];
    }

    /// <summary>Images on each side of the nearest one: enough that the first image left out, at least (2K + 1)π from
    /// the grid point, is below e^{-37} of the largest term for the broadest σ.</summary>
    private static int Images(double[] sigma)
    {
        double max = sigma.Length == 0 ? 0 : sigma.Max();
        return Math.Max(1, (int)Math.Ceiling((8.6 * max / Math.PI - 1) / 2));
    }
}
