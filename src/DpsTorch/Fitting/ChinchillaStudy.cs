// The language-model scaling case study (issue 16 part 2, computing): the published Chinchilla law
// L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", Approach 3:
// E = 1.69, A = 406.4, B = 410.7, α = 0.34, β = 0.28) sampled on a log grid of model sizes N and token counts D with
// Gaussian noise on ln L, refitted with the chinchilla form of ScalingFit (Huber loss on ln L, as the paper fits),
// replicate by replicate; and the compute-optimal allocation N_opt ∝ C^a, D_opt ∝ C^b with a = β/(α+β), b = α/(α+β)
// under C = 6ND. What it tests is the fitting pipeline's power to recover a two-variable law from data of the size
// and noise the paper had; the data are the published law's, not a DPS model's.
using System.Globalization;
using System.Text;
using DpsTorch.Config;

namespace DpsTorch.Fitting;

/// <summary>The published Chinchilla fit (Hoffmann et al. 2022, Approach 3) and the compute-optimal allocation it implies.</summary>
public static class ChinchillaLaw
{
    /// <summary>Irreducible loss E (nats per token).</summary>
    public const double E = 1.69;
    /// <summary>Coefficient A of the model-size term.</summary>
    public const double A = 406.4;
    /// <summary>Coefficient B of the data term.</summary>
    public const double B = 410.7;
    /// <summary>Exponent α of the model size N.</summary>
    public const double Alpha = 0.34;
    /// <summary>Exponent β of the training tokens D.</summary>
    public const double Beta = 0.28;

    /// <summary>The published parameters in the chinchilla form's order (E, A, alpha, B, beta).</summary>
    public static IReadOnlyList<double> Parameters { get; } = [E, A, Alpha, B, Beta];

    /// <summary>L(N, D) of the published law.</summary>
    public static double Loss(double n, double d) => E + A / Math.Pow(n, Alpha) + B / Math.Pow(d, Beta);

    /// <summary>
    /// The compute-optimal exponents for a law with exponents α, β under C = 6ND: N_opt ∝ C^a with a = β/(α+β) and
    /// D_opt ∝ C^b with b = α/(α+β) (a + b = 1).
    /// </summary>
    public static (double A, double B) AllocationExponents(double alpha, double beta) => (beta / (alpha + beta), alpha / (alpha + beta));

    /// <summary>
    /// The compute-optimal model size and token count at compute C (FLOPs, C = 6ND) for a law's parameters:
    /// N_opt = G·(C/6)^a with G = (αA/(βB))^(1/(α+β)), D_opt = (C/6)/N_opt (Hoffmann et al., eq. 4).
    /// </summary>
    public static (double N, double D) ComputeOptimal(double compute, double a, double alpha, double b, double beta)
    {
        double g = Math.Pow(alpha * a / (beta * b), 1 / (alpha + beta));
        double n = g * Math.Pow(compute / 6, beta / (alpha + beta));
        return (n, compute / 6 / n);
    }
}

/// <summary>Noisy samples of the published law on a log grid of (N, D).</summary>
/// <param name="N">Model sizes, one per sample.</param>
/// <param name="D">Token counts, one per sample.</param>
/// <param name="Loss">Noisy losses L·exp(ε), ε ~ Normal(0, noise²).</param>
public sealed record ChinchillaSample(double[] N, double[] D, double[] Loss);

/// <summary>One replicate's refit of the chinchilla form.</summary>
/// <param name="Seed">The replicate's seed.</param>
/// <param name="Fit">The fitted law (E, A, alpha, B, beta).</param>
/// <param name="AllocationA">a = β̂/(α̂+β̂).</param>
/// <param name="AllocationB">b = α̂/(α̂+β̂).</param>
public sealed record ChinchillaReplicate(int Seed, FitResult Fit, double AllocationA, double AllocationB);

/// <summary>Samples the published law and refits it (the `chinchilla` case of a config).</summary>
public static class ChinchillaStudy
{
    /// <summary>
    /// points × points samples on a log grid from (paramsMin, tokensMin) to (paramsMax, tokensMax), each
    /// L(N, D)·exp(ε) with ε ~ Normal(0, noise²) drawn from <paramref name="seed"/> (the same on every machine).
    /// </summary>
    public static ChinchillaSample Sample(CaseConfig c, int seed)
    {
        ArgumentNullException.ThrowIfNull(c);
        int p = c.Points, n = p * p;
        var rng = new Random(seed);
        double[] ns = new double[n], ds = new double[n], ls = new double[n];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
            {
                int k = i * p + j;
                ns[k] = LogGrid(c.ParamsMin, c.ParamsMax, i, p);
                ds[k] = LogGrid(c.TokensMin, c.TokensMax, j, p);
                ls[k] = ChinchillaLaw.Loss(ns[k], ds[k]) * Math.Exp(c.Noise * Gaussian(rng));
            }
        return new ChinchillaSample(ns, ds, ls);
    }

    /// <summary>Fits the chinchilla form to one replicate's samples: Huber loss on ln L (δ from the robust residual scale), no bootstrap.</summary>
    public static ChinchillaReplicate Fit(ChinchillaSample s, int seed, int bootstrap = 0)
    {
        ArgumentNullException.ThrowIfNull(s);
        var data = new FitData("params", "loss", s.N, s.Loss, false) { X2Column = "tokens", X2 = s.D };
        var fit = ScalingFit.FitGroups([data], ScalingForm.Chinchilla,
            new FitOptions { Space = FitSpace.Log, Loss = FitLoss.Huber, BootstrapResamples = bootstrap, Seed = seed + 1, Starts = 5 })[0];
        var (a, b) = ChinchillaLaw.AllocationExponents(fit["alpha"].Estimate, fit["beta"].Estimate);
        return new ChinchillaReplicate(seed, fit, a, b);
    }

    /// <summary>Samples and fits every replicate of the case (seeds Seed … Seed + Seeds − 1).</summary>
    public static IReadOnlyList<ChinchillaReplicate> Run(CaseConfig c, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(c);
        var list = new List<ChinchillaReplicate>();
        for (int r = 0; r < c.Seeds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            int seed = c.Seed + r;
            list.Add(Fit(Sample(c, seed), seed));
        }
        return list;
    }

    /// <summary>The samples of one replicate as CSV (params, tokens, loss, seed), the table `dps fit --x params --x2 tokens --y loss` reads.</summary>
    public static string SamplesCsv(IEnumerable<(int Seed, ChinchillaSample Sample)> samples)
    {
        var sb = new StringBuilder("params,tokens,loss,seed\n");
        foreach (var (seed, s) in samples)
            for (int i = 0; i < s.N.Length; i++)
                sb.Append(CultureInfo.InvariantCulture, $"{s.N[i]:R},{s.D[i]:R},{s.Loss[i]:R},{seed}\n");
        return sb.ToString();
    }

    private static double LogGrid(double lo, double hi, int i, int p) => Math.Exp(Math.Log(lo) + (Math.Log(hi) - Math.Log(lo)) * i / (p - 1));

    /// <summary>A standard normal draw (Box-Muller).</summary>
    internal static double Gaussian(Random rng)
    {
        double u = 1.0 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }
}
