// Initial parameters of a DPS (MODEL.md section 2): homogeneous-plus-noise, evenly spread, or random-uniform.
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
    public static string KindForRestart(string init, int restart)
        => init != "auto" ? init : restart switch { 0 => "modes", 1 => "spread", 2 => "homogeneous", _ => "random" };

    /// <summary>
    /// μ, ρ, α for <paramref name="n"/> agents. <paramref name="kind"/>: "spread" (μ_i = 2π(i + u)/N with u uniform in [0, 1) drawn from the seed, or 0 without <paramref name="spreadTurn"/>, plus jitter; σ narrow),
    /// "homogeneous" (all μ at <paramref name="center"/>, normally the demand's highest point, all σ equal, tiny jitter), "random" (μ uniform on the circle). α starts near zero
    /// (equal resources) with jitter; ρ is the softplus inverse of σ − σ_min with relative jitter.
    /// </summary>
    public static InitialParameters Create(string kind, int n, double sigmaMin, double? initSigma, double jitter, int seed, double center = 0.0,
        bool spreadTurn = true)
    {
        var rng = new Random(seed);
        double sigma = initSigma ?? kind switch
        {
            "spread" => Math.Max(2.0 * Math.PI / (4.0 * n), 2.0 * sigmaMin),
            "homogeneous" => 1.0,
            "random" => 0.5,
            _ => throw new ArgumentException($"agents.init: \"{kind}\" is not one of auto, spread, homogeneous, random."),
        };
        if (sigma <= sigmaMin) throw new ArgumentException($"agents.initSigma: {sigma} must exceed agents.sigmaMin ({sigmaMin}).");
        var mu = new double[n];
        var rho = new double[n];
        var alpha = new double[n];
        // A spread start is the even lattice turned by a random fraction of its spacing, so that every seed starts
        // somewhere genuinely different; agent i keeps site i (neighbouring agents on neighbouring arcs).
        double turn = kind == "spread" && spreadTurn ? rng.NextDouble() : 0.0;
        for (int i = 0; i < n; i++)
        {
            double baseMu = kind switch
            {
                "spread" => 2.0 * Math.PI * (i + turn) / n,
                "homogeneous" => center,
                _ => 2.0 * Math.PI * rng.NextDouble(),
            };
            mu[i] = baseMu + jitter * Tensor.NormalSample(rng);
            double s = Math.Max(sigma * (1.0 + jitter * Tensor.NormalSample(rng)), sigmaMin * 1.0001);
            rho[i] = SoftplusInverse(s - sigmaMin);
            alpha[i] = jitter * Tensor.NormalSample(rng);
        }
        return new InitialParameters(mu, rho, alpha);
    }

    /// <summary>ρ with softplus(ρ) = y, for y &gt; 0: log(expm1(y)), computed stably for large y.</summary>
    public static double SoftplusInverse(double y) => y > 30 ? y + Math.Log(-double.ExpM1(-y)) : Math.Log(double.ExpM1(y));
}
