// The `case` section of a config (issue 16 part 2): a case study with a published reference result, run by `dps run`
// instead of training one system (Runs/CaseStudies.cs). Each kind scores the system the way its field does (loss
// against parameters and data for language models, yield and its partition for plant communities), not by coverage.
using System.Text.Json.Serialization;

namespace DpsTorch.Config;

/// <summary>case.kind: which case study a config runs.</summary>
[JsonConverter(typeof(ChoiceConverter<CaseKind>))]
public enum CaseKind
{
    /// <summary>"none": no case study; the config describes one system to train.</summary>
    None,
    /// <summary>"chinchilla": fit L(N, D) = E + A/N^α + B/D^β to noisy samples of the published Chinchilla law and
    /// compare the parameters and the compute-optimal exponents with Hoffmann et al. (2022), Approach 3.</summary>
    Chinchilla,
    /// <summary>"community": species on a resource axis under MacArthur's consumer-resource dynamics: yield against
    /// species richness, the Loreau-Hector partition of the net biodiversity effect, and limiting similarity.</summary>
    Community,
    /// <summary>"ricardo": a two-country Ricardian economy on the goods axis (skills as labour productivities, the
    /// demand as consumption shares, iceberg trade costs): the world planner's optimum against the equilibrium of
    /// Dornbusch, Fischer and Samuelson (1977), with the band of non-traded goods.</summary>
    Ricardo,
    /// <summary>"portfolio": mean-variance portfolios (Markowitz 1952) of a synthetic one-factor market, found by the
    /// optimiser, against the closed-form two-fund frontier and the exact no-short-sales optimum.</summary>
    Portfolio,
}

/// <summary>A case study: its kind, the independent replicates, and the keys of each kind (unused keys keep their defaults).</summary>
public sealed record CaseConfig
{
    /// <summary>Which case study.</summary>
    public CaseKind Kind { get; init; } = CaseKind.None;
    /// <summary>Independent replicates (seeds Seed … Seed + Seeds − 1); every number is reported as a mean with a 95% interval over them.</summary>
    public int Seeds { get; init; } = 5;
    /// <summary>The first seed.</summary>
    public int Seed { get; init; }

    /// <summary>chinchilla: standard deviation of the Gaussian noise added to ln L of every sample (0.02: about 2% relative).</summary>
    public double Noise { get; init; } = 0.02;
    /// <summary>chinchilla: smallest model size N (parameters) of the sample grid.</summary>
    public double ParamsMin { get; init; } = 7e7;
    /// <summary>chinchilla: largest model size N of the sample grid.</summary>
    public double ParamsMax { get; init; } = 1.6e10;
    /// <summary>chinchilla: fewest training tokens D of the sample grid.</summary>
    public double TokensMin { get; init; } = 5e9;
    /// <summary>chinchilla: most training tokens D of the sample grid.</summary>
    public double TokensMax { get; init; } = 5e11;
    /// <summary>chinchilla: log-spaced grid points per axis (points² samples per replicate).</summary>
    public int Points { get; init; } = 6;

    /// <summary>community: species in each replicate's pool.</summary>
    public int Pool { get; init; } = 24;
    /// <summary>community: the species richness levels S of the mixtures, ascending, each at most the pool.</summary>
    public IReadOnlyList<int> Richness { get; init; } = [1, 2, 4, 8, 16];
    /// <summary>community: random mixtures drawn from the pool per richness level and replicate.</summary>
    public int Assemblages { get; init; } = 10;
    /// <summary>community: median niche width w (the breadth σ of a species' resource-utilisation curve, radians).</summary>
    public double NicheWidth { get; init; } = 0.3;
    /// <summary>community: spread of ln σ among the pool's species (σ = w·exp(spread·z), z standard normal).</summary>
    public double WidthSpread { get; init; } = 0.3;
    /// <summary>community: mean maintenance cost m as a fraction of a species' resource intake ∫ s_i D.</summary>
    public double Mortality { get; init; } = 0.3;
    /// <summary>community: relative spread of the maintenance fraction among species (uniform in m·(1 ± spread)).</summary>
    public double MortalitySpread { get; init; } = 0.5;

    /// <summary>ricardo: the labour forces [L_H, L_F] of the two countries.</summary>
    public IReadOnlyList<double> Labour { get; init; } = [1, 2];
    /// <summary>ricardo: where each country's labour productivity peaks on the goods axis [μ_H, μ_F] (radians).</summary>
    public IReadOnlyList<double> SkillLocation { get; init; } = [Math.PI / 2, 3 * Math.PI / 2];
    /// <summary>ricardo: the breadth of each country's productivity profile [σ_H, σ_F] (radians).</summary>
    public IReadOnlyList<double> SkillBreadth { get; init; } = [1.2, 1.2];
    /// <summary>ricardo: the iceberg trade costs τ (ascending; g = exp(−τ) of a shipped unit arrives).</summary>
    public IReadOnlyList<double> TradeCosts { get; init; } = [0, 0.25, 0.5, 1, 2];
    /// <summary>portfolio: assets in each replicate's synthetic market.</summary>
    public int Assets { get; init; } = 8;
    /// <summary>portfolio: the investor's risk aversions γ (ascending, > 0).</summary>
    public IReadOnlyList<double> RiskAversion { get; init; } = [0.5, 1, 2, 4, 8, 16, 32, 64];
}

/// <summary>Reads the `case` section (ConfigLoader).</summary>
internal static class CaseConfigReader
{
    /// <summary>The case section, or null when the config has none.</summary>
    public static CaseConfig? Read(JsonSection? s)
    {
        if (s is null) return null;
        var d = new CaseConfig();
        var richness = s.Doubles("richness", 1, 100_000);
        var c = new CaseConfig
        {
            Kind = s.Choice("kind", d.Kind),
            Seeds = s.Int("seeds", d.Seeds, 1, 10_000),
            Seed = s.Int("seed", d.Seed),
            Noise = s.Double("noise", d.Noise, 0, 1),
            ParamsMin = s.Double("paramsMin", d.ParamsMin, 1, 1e15),
            ParamsMax = s.Double("paramsMax", d.ParamsMax, 1, 1e15),
            TokensMin = s.Double("tokensMin", d.TokensMin, 1, 1e15),
            TokensMax = s.Double("tokensMax", d.TokensMax, 1, 1e15),
            Points = s.Int("points", d.Points, 3, 100),
            Pool = s.Int("pool", d.Pool, 2, 1000),
            Richness = richness is null ? d.Richness : [.. richness.Select(r => (int)r)],
            Assemblages = s.Int("assemblages", d.Assemblages, 1, 10_000),
            NicheWidth = s.Double("nicheWidth", d.NicheWidth, 0.01, Math.PI),
            WidthSpread = s.Double("widthSpread", d.WidthSpread, 0, 2),
            Mortality = s.Double("mortality", d.Mortality, 0, 0.99),
            MortalitySpread = s.Double("mortalitySpread", d.MortalitySpread, 0, 1),
            Labour = Pair(s, "labour", d.Labour, 1e-6, 1e6),
            SkillLocation = Pair(s, "skillLocation", d.SkillLocation, -100, 100),
            SkillBreadth = Pair(s, "skillBreadth", d.SkillBreadth, 0.01, Math.PI),
            TradeCosts = Ascending(s, "tradeCosts", d.TradeCosts, 0, 50, "numbers in [0, 50]"),
            Assets = s.Int("assets", d.Assets, 2, 200),
            RiskAversion = Ascending(s, "riskAversion", d.RiskAversion, 1e-6, 1e6, "numbers in [1e-6, 1e6]"),
        };
        if (richness is not null)
        {
            if (richness.Length == 0) throw ConfigException.Invalid(s.KeyPath("richness"), "[]", "a non-empty array of integers in [1, case.pool]");
            for (int i = 0; i < richness.Length; i++)
            {
                string at = $"{s.KeyPath("richness")}[{i}]";
                if (richness[i] != Math.Floor(richness[i]) || richness[i] > c.Pool)
                    throw ConfigException.Invalid(at, richness[i], $"an integer in [1, case.pool = {c.Pool}]");
                if (i > 0 && richness[i] <= richness[i - 1])
                    throw ConfigException.Invalid(at, richness[i], $"an integer above case.richness[{i - 1}] = {richness[i - 1]} (ascending, distinct)");
            }
        }
        else if (c.Richness.Any(r => r > c.Pool))
            throw ConfigException.Invalid(s.KeyPath("pool"), c.Pool, $"at least {c.Richness.Max()}, the largest case.richness (or give case.richness)");
        if (!(c.ParamsMin < c.ParamsMax)) throw ConfigException.Invalid(s.KeyPath("paramsMax"), c.ParamsMax, $"a number above case.paramsMin = {c.ParamsMin}");
        if (!(c.TokensMin < c.TokensMax)) throw ConfigException.Invalid(s.KeyPath("tokensMax"), c.TokensMax, $"a number above case.tokensMin = {c.TokensMin}");
        if (c.Mortality * (1 + c.MortalitySpread) >= 1)
            throw ConfigException.Invalid(s.KeyPath("mortalitySpread"), c.MortalitySpread,
                $"a spread with case.mortality·(1 + spread) < 1 (below {1 / Math.Max(c.Mortality, 1e-300) - 1:G4} for mortality {c.Mortality}), so that every species persists alone");
        s.RejectUnknownKeys();
        return c;
    }

    /// <summary>An array of exactly two numbers in [min, max] (one per country), or the default.</summary>
    private static IReadOnlyList<double> Pair(JsonSection s, string key, IReadOnlyList<double> fallback, double min, double max)
    {
        var v = s.Doubles(key, min, max);
        if (v is null) return fallback;
        if (v.Length != 2) throw ConfigException.Invalid(s.KeyPath(key), $"an array of {v.Length}", $"two numbers in [{min}, {max}], home first");
        return v;
    }

    /// <summary>A non-empty array of ascending distinct numbers in [min, max], or the default.</summary>
    private static IReadOnlyList<double> Ascending(JsonSection s, string key, IReadOnlyList<double> fallback, double min, double max, string allowed)
    {
        var v = s.Doubles(key, min, max);
        if (v is null) return fallback;
        if (v.Length == 0) throw ConfigException.Invalid(s.KeyPath(key), "[]", $"a non-empty array of ascending {allowed}");
        for (int i = 1; i < v.Length; i++)
            if (v[i] <= v[i - 1]) throw ConfigException.Invalid($"{s.KeyPath(key)}[{i}]", v[i], $"a number above {s.KeyPath(key)}[{i - 1}] = {v[i - 1]} (ascending, distinct)");
        return v;
    }
}
