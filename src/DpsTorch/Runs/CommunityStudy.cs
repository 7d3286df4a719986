// The ecology case study (issue 16 part 2): a pool of species with random niches on the resource axis (the DPS circle),
// fed by the config's demand as the resource supply, at MacArthur's consumer-resource equilibrium (Model/Community.cs).
// Per replicate (its own pool): monoculture yields M_i, then random mixtures of each richness S planted in equal
// proportions, their yield and its Loreau-Hector (2001) partition; the limiting similarity of MacArthur and Levins
// (1967): the smallest spacing d at which a species can invade midway between two residents at ±d, with equal
// widths w and equal capacities (uniform supply); and the spacing of the species that coexist when the whole pool
// competes, in units of their mean width.
using System.Globalization;
using System.Text;
using DpsTorch.Config;
using DpsTorch.Fitting;
using DpsTorch.Model;
using DpsTorch.Sweeps;

namespace DpsTorch.Runs;

/// <summary>One mixture of the community study.</summary>
/// <param name="Seed">Replicate (pool) seed.</param>
/// <param name="Assemblage">Index of the mixture among those of its richness.</param>
/// <param name="Partition">Its yield and partition.</param>
/// <param name="Survivors">Species with positive abundance at equilibrium.</param>
public sealed record CommunityMixture(int Seed, int Assemblage, BiodiversityPartition Partition, int Survivors);

/// <summary>The spacing of coexisting species in one replicate's whole-pool equilibrium.</summary>
/// <param name="Seed">Replicate seed.</param>
/// <param name="Survivors">Species that coexist.</param>
/// <param name="MinRatio">Smallest distance between neighbours on the circle over their mean width (σ_i + σ_j)/2.</param>
/// <param name="MedianRatio">Median of those ratios.</param>
public sealed record CommunitySpacing(int Seed, int Survivors, double MinRatio, double MedianRatio);

/// <summary>Everything the community case computes.</summary>
/// <param name="Mixtures">Every mixture of every replicate.</param>
/// <param name="Spacings">The whole-pool spacing of every replicate.</param>
/// <param name="CriticalSpacing">MacArthur-Levins critical spacing d*/w (invader midway between residents at ±d).</param>
/// <param name="CriticalOverlap">The invader's competition coefficient with each resident there, α = α_13/α_11.</param>
public sealed record CommunityResult(IReadOnlyList<CommunityMixture> Mixtures, IReadOnlyList<CommunitySpacing> Spacings,
    double CriticalSpacing, double CriticalOverlap);

/// <summary>Runs the `community` case of a config.</summary>
public static class CommunityStudy
{
    /// <summary>
    /// MacArthur and Levins' (1967) limiting similarity for Gaussian utilisation of width w and equal capacities: the
    /// midway invader grows iff 2α &lt; 1 + α⁴ with α = exp(−d²/4w²), i.e. α below the root 0.5437 of
    /// u³ + u² + u − 1 = 0 (their "α ≈ 0.54"); as a spacing, d*/w = 2·√(ln(1/0.5437)) = 1.561.
    /// </summary>
    public static double ReferenceOverlap { get; } = OverlapRoot();

    /// <summary>The reference critical spacing d*/w = 2·√(−ln α*).</summary>
    public static double ReferenceSpacing => 2 * Math.Sqrt(-Math.Log(ReferenceOverlap));

    private static double OverlapRoot()
    {
        double lo = 0, hi = 1;
        for (int i = 0; i < 200; i++) { double u = (lo + hi) / 2; if (u * u * u + u * u + u - 1 > 0) hi = u; else lo = u; }
        return (lo + hi) / 2;
    }

    /// <summary>Computes the case for <paramref name="config"/> (its space, its demand as the resource supply, its case keys).</summary>
    public static CommunityResult Run(DpsConfig config, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.Case ?? throw new ArgumentException("The config has no case section.");
        var space = new Space(config.Space.M);
        var supply = SystemBuilder.DemandFrames(config, space)[0];
        var mixtures = new List<CommunityMixture>();
        var spacings = new List<CommunitySpacing>();
        for (int r = 0; r < c.Seeds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            int seed = c.Seed + r;
            var rng = new Random(seed);
            var pool = Pool(space, supply, c, rng);
            var mono = new double[pool.Size];
            for (int i = 0; i < pool.Size; i++) mono[i] = pool.Equilibrium([i])[i];
            foreach (int s in c.Richness)
                for (int a = 0; a < c.Assemblages; a++)
                {
                    var members = Draw(rng, pool.Size, s);
                    var eq = pool.Equilibrium(members);
                    var part = BiodiversityPartition.Of([.. members.Select(i => eq[i])], [.. members.Select(i => mono[i])]);
                    mixtures.Add(new CommunityMixture(seed, a, part, members.Count(i => eq[i] > 0)));
                }
            spacings.Add(Spacing(seed, pool, pool.Equilibrium()));
        }
        var (d, alpha) = CriticalSpacing(space, c.NicheWidth, c.Mortality, supply.Sum() * space.Delta);
        return new CommunityResult(mixtures, spacings, d, alpha);
    }

    /// <summary>A pool: μ uniform on the circle, σ = w·exp(spread·z), maintenance m·(1 + spread·(2u − 1)).</summary>
    private static Community Pool(Space space, double[] supply, CaseConfig c, Random rng)
    {
        int n = c.Pool;
        double[] mu = new double[n], sigma = new double[n], m = new double[n];
        for (int i = 0; i < n; i++)
        {
            mu[i] = 2 * Math.PI * rng.NextDouble();
            sigma[i] = c.NicheWidth * Math.Exp(c.WidthSpread * ChinchillaStudy.Gaussian(rng));
            m[i] = c.Mortality * (1 + c.MortalitySpread * (2 * rng.NextDouble() - 1));
        }
        return new Community(space, supply, mu, sigma, m);
    }

    /// <summary>S distinct species of the pool (a partial Fisher-Yates shuffle), in ascending order.</summary>
    private static int[] Draw(Random rng, int pool, int s)
    {
        var idx = Enumerable.Range(0, pool).ToArray();
        for (int i = 0; i < s; i++) { int j = i + rng.Next(pool - i); (idx[i], idx[j]) = (idx[j], idx[i]); }
        return [.. idx.Take(s).Order()];
    }

    private static CommunitySpacing Spacing(int seed, Community pool, double[] eq)
    {
        var alive = Enumerable.Range(0, pool.Size).Where(i => eq[i] > 0).OrderBy(i => Mod(pool.Mu[i])).ToArray();
        if (alive.Length < 2) return new CommunitySpacing(seed, alive.Length, double.NaN, double.NaN);
        var ratios = new double[alive.Length];
        for (int k = 0; k < alive.Length; k++)
        {
            int i = alive[k], j = alive[(k + 1) % alive.Length];
            double gap = Mod(pool.Mu[j] - pool.Mu[i]);
            ratios[k] = gap / ((pool.Sigma[i] + pool.Sigma[j]) / 2);
        }
        Array.Sort(ratios);
        return new CommunitySpacing(seed, alive.Length, ratios[0], MathNet.Numerics.Statistics.SortedArrayStatistics.Median(ratios));
    }

    private static double Mod(double x) => ((x % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);

    /// <summary>
    /// The MacArthur-Levins threshold on the grid: residents at c ± d and an invader at c, all of width
    /// <paramref name="width"/> and maintenance <paramref name="mortality"/>, fed by a uniform supply of
    /// <paramref name="mass"/> (equal capacities, as the 1967 analysis assumes); bisection on the invader's growth
    /// rate at the residents' equilibrium. Returns d*/w and the overlap α_13/α_11 there.
    /// </summary>
    public static (double Spacing, double Overlap) CriticalSpacing(Space space, double width, double mortality, double mass)
    {
        ArgumentNullException.ThrowIfNull(space);
        var supply = new double[space.M];
        Array.Fill(supply, mass / (2 * Math.PI));
        double Growth(double d)
        {
            var community = new Community(space, supply, [Math.PI - d, Math.PI, Math.PI + d], [width, width, width], [mortality, mortality, mortality]);
            var eq = community.Equilibrium([0, 2]);
            return community.GrowthRate(1, eq);
        }
        double lo = 0.2 * width, hi = 4 * width;
        if (Growth(lo) > 0 || Growth(hi) < 0)
            throw new InvalidOperationException($"The invasion threshold is not bracketed in [{lo}, {hi}] for width {width}; is the width too large for the circle?");
        for (int i = 0; i < 100 && hi - lo > 1e-12 * width; i++)
        {
            double mid = (lo + hi) / 2;
            if (Growth(mid) > 0) hi = mid; else lo = mid;
        }
        double dStar = (lo + hi) / 2;
        var at = new Community(space, supply, [Math.PI - dStar, Math.PI], [width, width], [mortality, mortality]);
        return (dStar / width, at.Alpha(0, 1) / at.Alpha(0, 0));
    }

    /// <summary>results.csv of the case: one row per mixture.</summary>
    public static string Csv(CommunityResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder("seed,richness,assemblage,yield,expected,net,complementarity,selection,survivors\n");
        foreach (var m in r.Mixtures)
        {
            var p = m.Partition;
            sb.Append(CultureInfo.InvariantCulture, $"{m.Seed},{p.Richness},{m.Assemblage},{p.Yield:R},{p.Expected:R},{p.Net:R},{p.Complementarity:R},{p.Selection:R},{m.Survivors}\n");
        }
        return sb.ToString();
    }

    /// <summary>Per richness S, the replicate means (each replicate's mean over its mixtures) of <paramref name="pick"/>, with a 95% interval over replicates.</summary>
    public static MeanInterval OverSeeds(CommunityResult r, int richness, Func<CommunityMixture, double> pick)
    {
        ArgumentNullException.ThrowIfNull(r);
        return MeanInterval.Of(r.Mixtures.Where(m => m.Partition.Richness == richness).GroupBy(m => m.Seed).Select(g => g.Average(pick)));
    }

    /// <summary>The saturating law y = y∞(1 − exp(−S/S0)) fitted to every replicate's mean yield against S (bootstrap intervals).</summary>
    public static FitResult? Saturation(CommunityResult r, IReadOnlyList<int> richness)
    {
        ArgumentNullException.ThrowIfNull(r);
        var points = r.Mixtures.GroupBy(m => (m.Seed, m.Partition.Richness)).Select(g => (S: (double)g.Key.Richness, Y: g.Average(m => m.Partition.Yield))).ToArray();
        double[] x = [.. points.Select(p => p.S)], y = [.. points.Select(p => p.Y)];
        if (ScalingFit.Unsuitable(x, y, ScalingForm.Saturating) is not null) return null;
        return ScalingFit.Fit(x, y, ScalingForm.Saturating, new FitOptions { BootstrapResamples = 200 });
    }
}
