// Initial parameters of a DPS (MODEL.md section 2): homogeneous-plus-noise, evenly spread, or random-uniform.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>Initial raw parameters μ, ρ, α.</summary>
public sealed record InitialParameters(double[] Mu, double[] Rho, double[] Alpha);

/// <summary>Builds initial parameters from a seed.</summary>
public static class Initialization
{
    /// <summary>
    /// The init used by restart <paramref name="restart"/> under "auto": restart 0 starts at the demand's modes
    /// (Search/StructuredStarts.cs), 1 spread, 2 homogeneous, later ones random.
    /// </summary>
    public static InitKind KindForRestart(InitKind init, int restart)
        => init != InitKind.Auto ? init : restart switch { 0 => InitKind.Modes, 1 => InitKind.Spread, 2 => InitKind.Homogeneous, _ => InitKind.Random };

    /// <summary>
    /// μ, ρ, α for <paramref name="n"/> agents. <paramref name="kind"/>: "spread" (μ_i = 2π(i + u)/N with u uniform in [0, 1) drawn from the seed, or 0 without <paramref name="spreadTurn"/>, plus jitter; σ narrow),
    /// "homogeneous" (all μ at <paramref name="center"/>, normally the demand's highest point, all σ equal, tiny jitter), "random" (μ uniform on the circle). α starts near zero
    /// (equal resources) with jitter; ρ is the softplus inverse of σ − σ_min with relative jitter. "auto" is resolved
    /// per restart first (<see cref="KindForRestart"/>).
    /// </summary>
    /// <remarks>"quantiles" puts μ_i at the (i + u)/N quantiles of <paramref name="demand"/> (on the grid of its length), u
    /// the turn of "spread", with the σ of "spread". "quantiles-spacing" places μ_i as "quantiles" and scales each σ by
    /// the local spacing of that placement (half the sum of the gaps to the two neighbouring quantiles) over the even
    /// spacing 2π/N (<see cref="LocalSpacings"/>): widths ∝ 1/density, the efficient-coding arrangement of experiment 11;
    /// on a flat demand it is "quantiles".</remarks>
    public static InitialParameters Create(InitKind kind, int n, double sigmaMin, double? initSigma, double jitter, int seed, double center = 0.0,
        bool spreadTurn = true, double[]? demand = null)
    {
        var rng = new Random(seed);
        double sigma = initSigma ?? kind switch
        {
            InitKind.Spread or InitKind.Quantiles or InitKind.QuantilesSpacing => Math.Max(2.0 * Math.PI / (4.0 * n), 2.0 * sigmaMin),
            InitKind.Homogeneous => 1.0,
            InitKind.Random => 0.5,
            InitKind.Auto => throw new ArgumentException("agents.init: \"auto\" names a kind per restart; resolve it with Initialization.KindForRestart first.", nameof(kind)),
            InitKind.Modes => throw new ArgumentException("agents.init: \"modes\" needs the demand; build it with SystemBuilder.Start.", nameof(kind)),
            _ => throw Choices.Unknown("agents.init", kind),
        };
        if (sigma <= sigmaMin) throw new ArgumentException($"agents.initSigma: {sigma} must exceed agents.sigmaMin ({sigmaMin}).");
        var mu = new double[n];
        var rho = new double[n];
        var alpha = new double[n];
        // A spread start is the even lattice turned by a random fraction of its spacing, so that every seed starts
        // somewhere genuinely different; agent i keeps site i (neighbouring agents on neighbouring arcs).
        bool quantiles = kind is InitKind.Quantiles or InitKind.QuantilesSpacing;
        double turn = (kind == InitKind.Spread || quantiles) && spreadTurn ? rng.NextDouble() : 0.0;
        if (quantiles && demand is null)
            throw new ArgumentException($"agents.init: \"{Choices.Name(kind)}\" needs the demand; build it with SystemBuilder.Start.", nameof(demand));
        var sites = quantiles ? Enumerable.Range(0, n).Select(i => Quantile(demand!, (i + turn) / n)).ToArray() : null;
        var widthScale = kind == InitKind.QuantilesSpacing ? LocalSpacings(sites!).Select(gap => gap * n / (2.0 * Math.PI)).ToArray() : null;
        for (int i = 0; i < n; i++)
        {
            double baseMu = kind switch
            {
                InitKind.Spread => 2.0 * Math.PI * (i + turn) / n,
                InitKind.Quantiles or InitKind.QuantilesSpacing => sites![i],
                InitKind.Homogeneous => center,
                _ => 2.0 * Math.PI * rng.NextDouble(), // random (the only other kind past the σ switch)
            };
            mu[i] = baseMu + jitter * Tensor.NormalSample(rng);
            double s = Math.Max(sigma * (widthScale?[i] ?? 1.0) * (1.0 + jitter * Tensor.NormalSample(rng)), sigmaMin * 1.0001);
            rho[i] = SoftplusInverse(s - sigmaMin);
            alpha[i] = jitter * Tensor.NormalSample(rng);
        }
        return new InitialParameters(mu, rho, alpha);
    }

    /// <summary>
    /// The local spacing at each of <paramref name="sites"/> (points on the circle in ascending order, as the quantile
    /// placement gives them): half the sum of the gaps to the previous and the next site, wrapping around, so the
    /// spacings add up to 2π. One site gets 2π.
    /// </summary>
    public static double[] LocalSpacings(double[] sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        int n = sites.Length;
        var spacing = new double[n];
        if (n == 1) { spacing[0] = 2.0 * Math.PI; return spacing; }
        for (int i = 0; i < n; i++)
        {
            double prev = sites[(i + n - 1) % n] - (i == 0 ? 2.0 * Math.PI : 0.0);
            double next = sites[(i + 1) % n] + (i == n - 1 ? 2.0 * Math.PI : 0.0);
            spacing[i] = 0.5 * (next - prev);
        }
        return spacing;
    }

    /// <summary>The point x of the grid x_m = 2πm/M (M = the length of <paramref name="demand"/>) below which a fraction
    /// <paramref name="q"/> ∈ [0, 1) of the demand's mass lies, each grid value spread evenly over [x_m, x_m + 2π/M).</summary>
    /// <exception cref="ArgumentException">The demand has no positive mass.</exception>
    public static double Quantile(double[] demand, double q)
    {
        ArgumentNullException.ThrowIfNull(demand);
        double total = demand.Sum(), step = 2.0 * Math.PI / demand.Length;
        if (!(total > 0)) throw new ArgumentException("agents.init: \"quantiles\" needs a demand with positive mass.", nameof(demand));
        double target = q * total, below = 0;
        for (int m = 0; m < demand.Length; m++)
        {
            if (demand[m] > 0 && below + demand[m] >= target) return step * (m + (target - below) / demand[m]);
            below += demand[m];
        }
        return 2.0 * Math.PI - step;
    }

    /// <summary>
    /// μ, ρ (d entries per agent, agent by agent) and α for <paramref name="n"/> agents on T^d, the torus versions of
    /// <see cref="Create"/>: "spread" puts agent i at the Kronecker lattice point 2π·frac(u + (i + ½)·γ) with
    /// γ_j = φ_d^−(j+1) (φ_d the positive root of x^(d+1) = x + 1, the most even such sequence) and u uniform per axis
    /// from the seed (0 without <paramref name="spreadTurn"/>), σ = max(2π/(4·N^(1/d)), 2σ_min) per axis; "homogeneous"
    /// puts all at <paramref name="center"/> with σ = 1; "random" is uniform on T^d with σ = 0.5; plus the jitter of
    /// <see cref="Create"/> on every entry.
    /// </summary>
    public static InitialParameters CreateOnTorus(InitKind kind, int n, int d, double sigmaMin, double? initSigma, double jitter, int seed,
        double[] center, bool spreadTurn = true)
    {
        ArgumentNullException.ThrowIfNull(center);
        if (center.Length != d) throw new ArgumentException($"CreateOnTorus: the centre has {center.Length} coordinates for d = {d}.", nameof(center));
        var rng = new Random(seed);
        double sigma = initSigma ?? kind switch
        {
            InitKind.Spread => Math.Max(2.0 * Math.PI / (4.0 * Math.Pow(n, 1.0 / d)), 2.0 * sigmaMin),
            InitKind.Homogeneous => 1.0,
            InitKind.Random => 0.5,
            _ => throw new ArgumentException($"agents.init: resolve \"{Choices.Name(kind)}\" before CreateOnTorus (SystemBuilder.Start).", nameof(kind)),
        };
        if (sigma <= sigmaMin) throw new ArgumentException($"agents.initSigma: {sigma} must exceed agents.sigmaMin ({sigmaMin}).");
        double phi = 2.0;
        for (int it = 0; it < 64; it++) phi = Math.Pow(1.0 + phi, 1.0 / (d + 1));
        var step = new double[d];
        var turn = new double[d];
        for (int j = 0; j < d; j++)
        {
            step[j] = Math.Pow(phi, -(j + 1));
            turn[j] = kind == InitKind.Spread && spreadTurn ? rng.NextDouble() : 0.0;
        }
        var mu = new double[n * d];
        var rho = new double[n * d];
        var alpha = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double baseMu = kind switch
                {
                    InitKind.Spread => 2.0 * Math.PI * Frac(turn[j] + (i + 0.5) * step[j]),
                    InitKind.Homogeneous => center[j],
                    _ => 2.0 * Math.PI * rng.NextDouble(),
                };
                mu[i * d + j] = baseMu + jitter * Tensor.NormalSample(rng);
                double s = Math.Max(sigma * (1.0 + jitter * Tensor.NormalSample(rng)), sigmaMin * 1.0001);
                rho[i * d + j] = SoftplusInverse(s - sigmaMin);
            }
            alpha[i] = jitter * Tensor.NormalSample(rng);
        }
        return new InitialParameters(mu, rho, alpha);
    }

    private static double Frac(double x) => x - Math.Floor(x);

    /// <summary>ρ with softplus(ρ) = y, for y &gt; 0: log(expm1(y)), computed stably for large y.</summary>
    public static double SoftplusInverse(double y) => y > 30 ? y + Math.Log(-double.ExpM1(-y)) : Math.Log(double.ExpM1(y));
}
