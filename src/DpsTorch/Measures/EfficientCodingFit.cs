// What efficient coding predicts of a trained population (objective.kind "fisher"; Ganguli & Simoncelli 2014): the
// density of preferred stimuli follows the prior, d(s) ∝ p(s), the tuning widths its inverse, σ ∝ 1/p(s), and the peak
// rates (gains) are flat. Each is read as the least-squares slope of log-log data over the neurons (prediction 1, −1
// and 0) with its correlation. The local density at neuron i is 2 / (gap to the previous + gap to the next preferred
// stimulus on the circle), in neurons per radian; p at μ_i is the prior on the grid interpolated linearly. With links
// (the pooled loss of Model/EfficientCoding.cs) a neuron's spikes are paid 1 + Σ_i Q_ij times (once for its own channel,
// Q_ij for channel i's), and the pooling slope is that of log peak rate on log(1 + Σ_i Q_ij) (prediction −1: an equal
// metabolic cost per neuron).
namespace DpsTorch.Measures;

/// <summary>The efficient-coding fit of a population (summary.json "case" for objective.kind "fisher").</summary>
/// <param name="Information">∫ p log FI − log ∫ p Σ f_i: log Fisher information per unit of expected rate (the negated loss).</param>
/// <param name="DensitySlope">Slope of log local density against log p(μ_i) (prediction 1).</param>
/// <param name="DensityCorrelation">Pearson correlation of the same logs.</param>
/// <param name="DensityRatio">Mean of local density / (N p(μ_i)) (prediction 1: the density is N p).</param>
/// <param name="WidthSlope">Slope of log σ_i against log p(μ_i) (prediction −1).</param>
/// <param name="WidthCorrelation">Pearson correlation of the same logs.</param>
/// <param name="GainSlope">Slope of log peak rate a_i/(σ_i√(2π)) against log p(μ_i) (prediction 0).</param>
/// <param name="PoolingSlope">Slope of log peak rate against log of the cost factor 1 + Σ_i Q_ij of a linked population
/// (prediction −1); NaN without links or when every neuron has the same factor.</param>
public sealed record EfficientCodingFit(double Information, double DensitySlope, double DensityCorrelation, double DensityRatio,
    double WidthSlope, double WidthCorrelation, double GainSlope, double PoolingSlope = double.NaN)
{
    /// <summary>
    /// The fit of neurons (μ, σ, a) against the prior density <paramref name="prior"/> on the grid <paramref name="grid"/>
    /// (mass one); <paramref name="costFactors"/>, when given, are the neurons' 1 + Σ_i Q_ij for the pooling slope.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than three neurons, or arrays of unequal lengths.</exception>
    public static EfficientCodingFit Of(double[] mu, double[] sigma, double[] a, double[] grid, double[] prior, double information,
        double[]? costFactors = null)
    {
        ArgumentNullException.ThrowIfNull(mu);
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(prior);
        int n = mu.Length;
        if (n < 3) throw new ArgumentException($"EfficientCodingFit needs at least 3 neurons; got {n}.");
        if (sigma.Length != n || a.Length != n) throw new ArgumentException($"EfficientCodingFit: μ, σ and a need one entry per neuron; got {n}, {sigma.Length}, {a.Length}.");
        if (grid.Length != prior.Length) throw new ArgumentException($"EfficientCodingFit: the prior has {prior.Length} values but the grid has {grid.Length} points.");
        if (costFactors is not null && costFactors.Length != n) throw new ArgumentException($"EfficientCodingFit: {costFactors.Length} cost factors for {n} neurons.");
        double twoPi = 2 * Math.PI;
        var order = Enumerable.Range(0, n).OrderBy(i => Wrap(mu[i])).ToArray();
        var logP = new double[n];
        var logD = new double[n];
        var logS = new double[n];
        var logG = new double[n];
        double ratio = 0;
        for (int r = 0; r < n; r++)
        {
            int i = order[r];
            double here = Wrap(mu[i]);
            double prev = Wrap(mu[order[(r + n - 1) % n]]), next = Wrap(mu[order[(r + 1) % n]]);
            double gaps = Wrap(here - prev) + Wrap(next - here);
            double density = gaps > 0 ? 2 / gaps : double.PositiveInfinity;
            double p = PriorAt(grid, prior, here);
            logP[r] = Math.Log(p);
            logD[r] = Math.Log(density);
            logS[r] = Math.Log(sigma[i]);
            logG[r] = Math.Log(a[i] / (sigma[i] * Math.Sqrt(twoPi)));
            ratio += density / (n * p);
        }
        double pooling = double.NaN;
        if (costFactors is not null)
        {
            var logCost = order.Select(i => Math.Log(costFactors[i])).ToArray();
            pooling = Slope(logCost, logG);
        }
        return new EfficientCodingFit(information, Slope(logP, logD), Correlation(logP, logD), ratio / n,
            Slope(logP, logS), Correlation(logP, logS), Slope(logP, logG), pooling);

        static double Wrap(double x) => ((x % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
    }

    /// <summary>The prior at <paramref name="x"/> ∈ [0, 2π), linearly interpolated between grid points (periodic).</summary>
    public static double PriorAt(double[] grid, double[] prior, double x)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(prior);
        int m = grid.Length;
        double step = 2 * Math.PI / m;
        double u = (x - grid[0]) / step;
        int j = (int)Math.Floor(u);
        double t = u - j;
        int j0 = ((j % m) + m) % m, j1 = (j0 + 1) % m;
        return (1 - t) * prior[j0] + t * prior[j1];
    }

    /// <summary>Least-squares slope of y on x (NaN when x is constant).</summary>
    public static double Slope(double[] x, double[] y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        return sxx > 0 ? sxy / sxx : double.NaN;
    }

    /// <summary>Pearson correlation of x and y (NaN when either is constant).</summary>
    public static double Correlation(double[] x, double[] y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }
}
