// Mean-variance portfolio choice (Markowitz 1952, "Portfolio Selection", J. Finance 7:77-91; issue 16 part 2,
// experiments/14-portfolio). Assets are agents and the portfolio weights their resources under a budget of 1: the
// investor maximises U(w) = μᵀw − (γ/2) wᵀΣw, γ the risk aversion. The variance term is the overlap of the agents'
// risks, as ∫ s_i s_j is the overlap of skills in the DPS squared-error loss, so diversifying is spreading the budget
// over agents whose risks do not overlap.
//  - Short sales allowed (budget 1ᵀw = 1 only): the closed form, the two-fund theorem (Merton 1972, "An analytic
//    derivation of the efficient portfolio frontier", JFQA 7:1851-1872): w(γ) = Σ⁻¹1/A + (1/γ)(Σ⁻¹μ − (B/A) Σ⁻¹1), on
//    the frontier σ²(m) = (A m² − 2B m + C)/(AC − B²), A = 1ᵀΣ⁻¹1, B = 1ᵀΣ⁻¹μ, C = μᵀΣ⁻¹μ.
//  - No short sales (w ≥ 0): no closed form; an exact primal active-set solve of the quadratic programme (Nocedal &
//    Wright 2006, Algorithm 16.3).
//  - Optimiser: L-BFGS on the project's autograd, with the DPS budget parametrisation w = softmax(α) (no short sales)
//    or w = u − mean(u) + 1/n (short sales), from random logits, plus the softmax re-seed move.
using DpsTorch.Optim;
using MathNet.Numerics.LinearAlgebra;

namespace DpsTorch.Model;

/// <summary>A portfolio the optimiser found.</summary>
/// <param name="Weights">Portfolio weights (sum 1).</param>
/// <param name="Gap">Optimality residual: the largest marginal utility of any asset above the budget's multiplier
/// (no short sales: max_i ∂U/∂w_i − Σ_j w_j ∂U/∂w_j; short sales: max_i |∂U/∂w_i − mean|), in units of return.</param>
/// <param name="Converged">Whether <paramref name="Gap"/> is at most <see cref="MeanVarianceMarket.GapTolerance"/>.</param>
/// <param name="Iterations">L-BFGS iterations.</param>
public sealed record PortfolioOptimum(double[] Weights, double Gap, bool Converged, long Iterations);

/// <summary>Expected returns and their covariance, with the closed-form frontier, the exact no-short-sales solve and the optimiser.</summary>
public sealed class MeanVarianceMarket
{
    /// <summary>Optimality residual (in units of return, about 2e-5 of the assets' mean returns) below which an
    /// optimiser's portfolio counts as converged: the loss's double precision (~1e-17 on a loss of ~0.05) stops L-BFGS
    /// near 1e-7.</summary>
    public const double GapTolerance = 1e-6;
    private const int MaxIterationsPerSolve = 2000, MaxReseeds = 20;

    private readonly double[] _mu;
    private readonly Matrix<double> _sigma;
    private readonly Vector<double> _invOnes, _invMu;

    /// <summary>The market with expected returns <paramref name="means"/> and covariance <paramref name="covariance"/> (symmetric positive definite).</summary>
    public MeanVarianceMarket(double[] means, double[,] covariance)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(covariance);
        int n = means.Length;
        if (n < 2) throw new ArgumentException($"portfolio: needs at least 2 assets, got {n}.", nameof(means));
        if (covariance.GetLength(0) != n || covariance.GetLength(1) != n)
            throw new ArgumentException($"portfolio: the covariance is {covariance.GetLength(0)}x{covariance.GetLength(1)}, the means have {n} assets.", nameof(covariance));
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(means[i])) throw new ArgumentException($"portfolio: mean return {i} is {means[i]}, not a finite number.", nameof(means));
            for (int j = 0; j < n; j++)
                if (!double.IsFinite(covariance[i, j]) || Math.Abs(covariance[i, j] - covariance[j, i]) > 1e-12 * Math.Max(1, Math.Abs(covariance[i, j])))
                    throw new ArgumentException($"portfolio: covariance[{i}, {j}] = {covariance[i, j]} is not finite or not symmetric.", nameof(covariance));
        }
        _mu = (double[])means.Clone();
        _sigma = Matrix<double>.Build.DenseOfArray(covariance);
        var chol = _sigma.Cholesky();
        if (chol.Factor.Diagonal().Minimum() <= 0 || !double.IsFinite(chol.Determinant))
            throw new ArgumentException("portfolio: the covariance is not positive definite.", nameof(covariance));
        _invOnes = chol.Solve(Vector<double>.Build.Dense(n, 1.0));
        _invMu = chol.Solve(Vector<double>.Build.DenseOfArray(_mu));
        A = _invOnes.Sum();
        B = _invMu.Sum();
        C = Vector<double>.Build.DenseOfArray(_mu) * _invMu;
    }

    /// <summary>
    /// A documented synthetic market (one factor, as in Sharpe 1963): β_i = 0.5 + u, idiosyncratic volatility
    /// s_i = 0.10 + 0.25 u', the factor's volatility 0.16, expected return μ_i = 0.03 + 0.05 β_i + 0.02 z
    /// (u, u' uniform on [0, 1), z standard normal, all drawn from <paramref name="rng"/>), Σ = 0.16² ββᵀ + diag(s²).
    /// </summary>
    public static MeanVarianceMarket OneFactor(int assets, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (assets < 2) throw new ArgumentOutOfRangeException(nameof(assets), assets, "portfolio: needs at least 2 assets.");
        double[] beta = new double[assets], s = new double[assets], mu = new double[assets];
        var z = Tensor.RandN(rng, assets).Data;
        for (int i = 0; i < assets; i++)
        {
            beta[i] = 0.5 + rng.NextDouble();
            s[i] = 0.10 + 0.25 * rng.NextDouble();
            mu[i] = 0.03 + 0.05 * beta[i] + 0.02 * z[i];
        }
        var cov = new double[assets, assets];
        for (int i = 0; i < assets; i++)
            for (int j = 0; j < assets; j++) cov[i, j] = FactorVolatility * FactorVolatility * beta[i] * beta[j] + (i == j ? s[i] * s[i] : 0);
        return new MeanVarianceMarket(mu, cov);
    }

    /// <summary>Volatility of the synthetic market's one factor.</summary>
    public const double FactorVolatility = 0.16;

    /// <summary>Number of assets.</summary>
    public int Assets => _mu.Length;
    /// <summary>Expected returns μ.</summary>
    public IReadOnlyList<double> Means => _mu;
    /// <summary>Frontier constant A = 1ᵀΣ⁻¹1.</summary>
    public double A { get; }
    /// <summary>Frontier constant B = 1ᵀΣ⁻¹μ.</summary>
    public double B { get; }
    /// <summary>Frontier constant C = μᵀΣ⁻¹μ.</summary>
    public double C { get; }

    /// <summary>Expected return μᵀw.</summary>
    public double Mean(ReadOnlySpan<double> w) { double m = 0; for (int i = 0; i < w.Length; i++) m += _mu[i] * w[i]; return m; }

    /// <summary>Standard deviation √(wᵀΣw).</summary>
    public double Sd(ReadOnlySpan<double> w)
    {
        double v = 0;
        for (int i = 0; i < w.Length; i++) for (int j = 0; j < w.Length; j++) v += w[i] * _sigma[i, j] * w[j];
        return Math.Sqrt(Math.Max(0, v));
    }

    /// <summary>Mean-variance utility μᵀw − (γ/2) wᵀΣw.</summary>
    public double Utility(ReadOnlySpan<double> w, double gamma) { double sd = Sd(w); return Mean(w) - gamma / 2 * sd * sd; }

    /// <summary>The closed-form optimum with short sales (two funds): Σ⁻¹1/A + (1/γ)(Σ⁻¹μ − (B/A) Σ⁻¹1).</summary>
    public double[] TwoFund(double gamma)
    {
        CheckGamma(gamma);
        return [.. (_invOnes / A + (_invMu - _invOnes * (B / A)) / gamma)];
    }

    /// <summary>The efficient frontier with short sales: the least standard deviation of a portfolio with mean <paramref name="mean"/>.</summary>
    public double FrontierSd(double mean) => Math.Sqrt((A * mean * mean - 2 * B * mean + C) / (A * C - B * B));

    /// <summary>The exact optimum without short sales (w ≥ 0, 1ᵀw = 1): primal active set from the highest-mean asset.</summary>
    public double[] LongOnly(double gamma)
    {
        CheckGamma(gamma);
        int n = Assets;
        var w = new double[n];
        int start = Array.IndexOf(_mu, _mu.Max());
        w[start] = 1;
        var free = new bool[n];
        free[start] = true;
        for (int iter = 0; iter < 50 * n; iter++)
        {
            var (target, nu) = EqualityOptimum(gamma, free);
            double step = 1;
            int blocking = -1;
            double move = 0;
            for (int i = 0; i < n; i++)
            {
                if (!free[i]) continue;
                double p = target[i] - w[i];
                move = Math.Max(move, Math.Abs(p));
                if (p < 0 && -w[i] / p < step) { step = -w[i] / p; blocking = i; }
            }
            if (move <= 1e-15)
            {
                // At the working set's optimum: the bound with the most negative multiplier λ_j = (Gw + c)_j − ν leaves it.
                int leave = -1;
                double worst = -1e-14;
                for (int j = 0; j < n; j++)
                {
                    if (free[j]) continue;
                    double lambda = gamma * Row(j, w) - _mu[j] - nu;
                    if (lambda < worst) { worst = lambda; leave = j; }
                }
                if (leave < 0) return w;
                free[leave] = true;
                continue;
            }
            for (int i = 0; i < n; i++) if (free[i]) w[i] += step * (target[i] - w[i]);
            if (blocking >= 0) { w[blocking] = 0; free[blocking] = false; }
        }
        throw new InvalidOperationException($"portfolio: the active-set solve did not finish in {50 * n} iterations (γ = {gamma}).");
    }

    /// <summary>min ½γ wᵀΣw − μᵀw over the free assets with the others at 0 and 1ᵀw = 1: the weights and the budget's multiplier ν.</summary>
    private (double[] W, double Nu) EqualityOptimum(double gamma, bool[] free)
    {
        int[] f = [.. Enumerable.Range(0, Assets).Where(i => free[i])];
        var g = Matrix<double>.Build.Dense(f.Length, f.Length, (i, j) => gamma * _sigma[f[i], f[j]]);
        var chol = g.Cholesky();
        var ginvOnes = chol.Solve(Vector<double>.Build.Dense(f.Length, 1.0));
        var ginvC = chol.Solve(Vector<double>.Build.Dense(f.Length, i => -_mu[f[i]]));
        // G w + c = ν 1 and 1ᵀw = 1: w = G⁻¹(ν1 − c), ν = (1 + 1ᵀG⁻¹c) / 1ᵀG⁻¹1.
        double nu = (1 + ginvC.Sum()) / ginvOnes.Sum();
        var w = new double[Assets];
        for (int i = 0; i < f.Length; i++) w[f[i]] = nu * ginvOnes[i] - ginvC[i];
        return (w, nu);
    }

    private double Row(int j, double[] w) { double s = 0; for (int k = 0; k < w.Length; k++) s += _sigma[j, k] * w[k]; return s; }

    /// <summary>The optimiser's portfolio at risk aversion <paramref name="gamma"/> from standard-normal logits drawn from <paramref name="rng"/>.</summary>
    public PortfolioOptimum Optimise(double gamma, bool shortSales, Random rng)
    {
        CheckGamma(gamma);
        ArgumentNullException.ThrowIfNull(rng);
        int n = Assets;
        var logits = Tensor.RandN(rng, n).RequiresGrad_();
        var mu = Tensor.FromArray(_mu);
        var sigma = Tensor.FromArray(_sigma.ToArray());
        Tensor Weights() => shortSales ? logits - logits.Mean() + 1.0 / n : logits.Softmax(0);
        long iterations = 0;
        double[] w;
        double gap;
        for (int pass = 0; ; pass++)
        {
            var lbfgs = new Lbfgs([logits], lr: 1, maxIter: MaxIterationsPerSolve, historySize: 20, toleranceGrad: 1e-14, toleranceChange: 1e-30,
                maxEval: 2 * MaxIterationsPerSolve);
            lbfgs.Step(() =>
            {
                lbfgs.ZeroGrad();
                var x = Weights();
                var loss = (x * sigma.MatMul(x)).Sum() * (gamma / 2) - (mu * x).Sum();
                loss.Backward();
                return loss.Item();
            });
            TensorEngine.EndStep();
            iterations += lbfgs.LastIterations;
            w = Weights().Data.ToArray();
            var marginal = new double[n];
            for (int i = 0; i < n; i++) marginal[i] = _mu[i] - gamma * Row(i, w);
            double nu = shortSales ? marginal.Average() : w.Select((x, i) => x * marginal[i]).Sum();
            gap = shortSales ? marginal.Max(v => Math.Abs(v - nu)) : marginal.Max() - nu;
            if (gap <= GapTolerance || pass == MaxReseeds) break;
            // Another solve from where this one stopped, with starved paying assets re-seeded (no short sales).
            if (!shortSales) SoftmaxReseed.Raise(logits, k => marginal[k] - nu > GapTolerance);
        }
        return new PortfolioOptimum(w, gap, gap <= GapTolerance, iterations);
    }

    private static void CheckGamma(double gamma)
    {
        if (!(gamma > 0) || !double.IsFinite(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "portfolio: the risk aversion γ must be a finite number > 0.");
    }
}
