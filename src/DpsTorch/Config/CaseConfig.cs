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
    /// <summary>"spatial-insurance": species on a resource axis in patches whose resource optimum drifts out of phase,
    /// linked by dispersal (Loreau, Mouquet and Gonzalez 2003): productivity, its temporal variability and local,
    /// regional and between-patch diversity against the dispersal rate.</summary>
    SpatialInsurance,
    /// <summary>"fleet": an AI-compute fleet: device types of a catalogue (published peak FLOP/s, memory bandwidth,
    /// scale-up link, power) serving a job mix (pre-training, fine-tuning, inference prefill and decode) under a power
    /// or cost budget; the fleet and its routing solve a linear program, compared with practitioners' baselines.</summary>
    Fleet,
    /// <summary>"ricardo": a two-country Ricardian economy on the goods axis (skills as labour productivities, the
    /// demand as consumption shares, iceberg trade costs): the world planner's optimum against the equilibrium of
    /// Dornbusch, Fischer and Samuelson (1977), with the band of non-traded goods.</summary>
    Ricardo,
    /// <summary>"portfolio": mean-variance portfolios (Markowitz 1952) of a synthetic one-factor market, found by the
    /// optimiser, against the closed-form two-fund frontier and the exact no-short-sales optimum.</summary>
    Portfolio,
}

/// <summary>case.devices: an accelerator of the fleet case's catalogue (Model/Fleet.cs cites each figure).</summary>
[JsonConverter(typeof(ChoiceConverter<FleetDeviceKind>))]
public enum FleetDeviceKind
{
    /// <summary>"h100": NVIDIA H100 SXM5 80 GB.</summary>
    H100,
    /// <summary>"h200": NVIDIA H200 SXM 141 GB.</summary>
    H200,
    /// <summary>"a100": NVIDIA A100 SXM4 80 GB.</summary>
    A100,
    /// <summary>"l40s": NVIDIA L40S (PCIe, no NVLink).</summary>
    L40s,
    /// <summary>"l4": NVIDIA L4 (PCIe, no NVLink).</summary>
    L4,
    /// <summary>"mi300x": AMD Instinct MI300X.</summary>
    Mi300x,
}

/// <summary>case.budget: what the fleet's budget limits.</summary>
[JsonConverter(typeof(ChoiceConverter<FleetBudget>))]
public enum FleetBudget
{
    /// <summary>"power": provisioned power, Σ devices × board power (TDP).</summary>
    Power,
    /// <summary>"cost": dollars per hour, the purchase price spread over case.lifetimeYears plus the electricity drawn.</summary>
    Cost,
}

/// <summary>case.kvLink: the link class over which a request's KV cache moves when its prefill and decode run on different device types.</summary>
[JsonConverter(typeof(ChoiceConverter<FleetLink>))]
public enum FleetLink
{
    /// <summary>"rack": the servers share a rack (one 400 Gb/s NIC per device, 50 GB/s).</summary>
    Rack,
    /// <summary>"datacentre": across racks, through an oversubscribed spine (12.5 GB/s per device).</summary>
    Datacentre,
}

/// <summary>case.solver: how the fleet case designs its fleets.</summary>
[JsonConverter(typeof(ChoiceConverter<FleetSolverKind>))]
public enum FleetSolverKind
{
    /// <summary>"lp": the exact linear program (dense simplex, Model/Fleet.cs), the reference.</summary>
    Lp,
    /// <summary>"dps": the fleet as a DPS trained by the gradient trainer (Model/FleetDps.cs), with the program solved beside it as the reference.</summary>
    Dps,
}

/// <summary>case.dpsShares: how the DPS solver sets the device types' budget shares.</summary>
[JsonConverter(typeof(ChoiceConverter<FleetDpsShares>))]
public enum FleetDpsShares
{
    /// <summary>"derived": each type's share is what its routed work needs in its busiest frame (the loss is convex in the routing: no spurious optimum).</summary>
    Derived,
    /// <summary>"trained": the shares are the DPS resources a = softmax(α), trained with the routing (not convex: it can stop at a worse stationary point).</summary>
    Trained,
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

    /// <summary>spatial-insurance: number of species S (traits evenly spaced on the resource axis [0, 1]).</summary>
    public int Species { get; init; } = 20;
    /// <summary>spatial-insurance: number of patches M (environmental phases evenly spaced).</summary>
    public int Patches { get; init; } = 20;
    /// <summary>spatial-insurance: the dispersal rates a swept, ascending.</summary>
    public IReadOnlyList<double> Dispersal { get; init; } = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1];
    /// <summary>spatial-insurance: period T of the environmental drift.</summary>
    public double Period { get; init; } = 40_000;
    /// <summary>spatial-insurance: periods simulated per run; the last one is the measurement window.</summary>
    public int Periods { get; init; } = 3;
    /// <summary>spatial-insurance: integration step (time units).</summary>
    public double Step { get; init; } = 1;
    /// <summary>spatial-insurance: resource inflow I per patch.</summary>
    public double Inflow { get; init; } = 165;
    /// <summary>spatial-insurance: resource loss rate l.</summary>
    public double Outflow { get; init; } = 10;
    /// <summary>spatial-insurance: conversion efficiency e.</summary>
    public double Efficiency { get; init; } = 0.2;
    /// <summary>spatial-insurance: consumer death rate m.</summary>
    public double DeathRate { get; init; } = 0.2;
    /// <summary>fleet: the catalogue the fleet may buy from (each device once).</summary>
    public IReadOnlyList<FleetDeviceKind> Devices { get; init; } = [FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.A100, FleetDeviceKind.L40s, FleetDeviceKind.L4, FleetDeviceKind.Mi300x];
    /// <summary>fleet: what the budget limits.</summary>
    public FleetBudget Budget { get; init; } = FleetBudget.Power;
    /// <summary>fleet: the mean job mix as shares of the reference device's time: pre-training, fine-tuning, inference (normalised to sum 1).</summary>
    public IReadOnlyList<double> Shares { get; init; } = [0.3, 0.1, 0.6];
    /// <summary>fleet: diurnal swing s of the inference load: (1 + s)× the mean by day, (1 − s)× by night (training is deferrable).</summary>
    public double Swing { get; init; } = 0.5;
    /// <summary>fleet: prompt tokens per inference request (prefill work and KV cache size).</summary>
    public int PromptTokens { get; init; } = 1500;
    /// <summary>fleet: generated tokens per inference request (decode work).</summary>
    public int OutputTokens { get; init; } = 250;
    /// <summary>fleet: sequences decoded together (the decode step's arithmetic intensity grows with it).</summary>
    public int DecodeBatch { get; init; } = 16;
    /// <summary>fleet: where the KV cache moves when a request's prefill and decode run on different device types.</summary>
    public FleetLink KvLink { get; init; } = FleetLink.Rack;
    /// <summary>fleet: years over which a device's price is spread (cost budget and cost per hour).</summary>
    public double LifetimeYears { get; init; } = 4;
    /// <summary>fleet: electricity price in dollars per kWh (cost budget and cost per hour).</summary>
    public double ElectricityPrice { get; init; } = 0.1;
    /// <summary>fleet: power per device beyond the accelerator (its share of the host's CPUs, memory and fans, its NIC and switch port), W, drawn whenever the device is held.</summary>
    public double HostPower { get; init; } = 150;
    /// <summary>fleet: price per device beyond the accelerator (share of the host, a 400 Gb/s NIC, a switch port), dollars.</summary>
    public double HostPrice { get; init; } = 5000;
    /// <summary>fleet: power an idle device draws, as a fraction of its board power.</summary>
    public double IdlePower { get; init; } = 0.3;
    /// <summary>fleet: per replicate, every device's throughput on every job type is multiplied by exp(spread·z), z standard normal (how far achieved throughput may sit from the roofline).</summary>
    public double EfficiencySpread { get; init; } = 0.15;
    /// <summary>fleet: per replicate, the shares are drawn from a Dirichlet with concentration κ × shares (0: the shares as given).</summary>
    public double MixConcentration { get; init; } = 100;
    /// <summary>fleet: the solver of the fleet designs, the exact linear program or the DPS trainer (with the program beside it as the reference).</summary>
    public FleetSolverKind Solver { get; init; } = FleetSolverKind.Lp;
    /// <summary>fleet, solver dps: sharpness β of the smooth maximum in the last training stage (θ's bias is at most about θ²·T/(2β)).</summary>
    public double DpsSharpness { get; init; } = 1e4;
    /// <summary>fleet, solver dps: training stages, β rising ×10 per stage up to case.dpsSharpness.</summary>
    public int DpsStages { get; init; } = 1;
    /// <summary>fleet, solver dps: whether the budget shares follow the routed work or are trained as softmax(α).</summary>
    public FleetDpsShares DpsShares { get; init; } = FleetDpsShares.Derived;

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
        var dispersal = s.Doubles("dispersal", 0, 100);
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
            Species = s.Int("species", d.Species, 2, 1000),
            Patches = s.Int("patches", d.Patches, 2, 1000),
            Dispersal = dispersal ?? d.Dispersal,
            Period = s.Double("period", d.Period, 1, 1e9),
            Periods = s.Int("periods", d.Periods, 2, 1000),
            Step = s.Double("step", d.Step, 1e-3, 100),
            Inflow = s.Double("inflow", d.Inflow, 0, 1e9, exclusiveMin: true),
            Outflow = s.Double("outflow", d.Outflow, 0, 1e9, exclusiveMin: true),
            Efficiency = s.Double("efficiency", d.Efficiency, 0, 1, exclusiveMin: true),
            DeathRate = s.Double("deathRate", d.DeathRate, 0, 1e3),
            Devices = ReadDevices(s) ?? d.Devices,
            Budget = s.Choice("budget", d.Budget),
            Shares = ReadShares(s) ?? d.Shares,
            Swing = s.Double("swing", d.Swing, 0, 0.95),
            PromptTokens = s.Int("promptTokens", d.PromptTokens, 1, 1_000_000),
            OutputTokens = s.Int("outputTokens", d.OutputTokens, 1, 1_000_000),
            DecodeBatch = s.Int("decodeBatch", d.DecodeBatch, 1, 4096),
            KvLink = s.Choice("kvLink", d.KvLink),
            LifetimeYears = s.Double("lifetimeYears", d.LifetimeYears, 0.1, 50),
            ElectricityPrice = s.Double("electricityPrice", d.ElectricityPrice, 0, 10),
            IdlePower = s.Double("idlePower", d.IdlePower, 0, 1),
            HostPower = s.Double("hostPower", d.HostPower, 0, 10_000),
            HostPrice = s.Double("hostPrice", d.HostPrice, 0, 1e7),
            EfficiencySpread = s.Double("efficiencySpread", d.EfficiencySpread, 0, 1),
            MixConcentration = s.Double("mixConcentration", d.MixConcentration, 0, 1e6),
            Solver = s.Choice("solver", d.Solver),
            DpsSharpness = s.Double("dpsSharpness", d.DpsSharpness, 1, 1e9),
            DpsStages = s.Int("dpsStages", d.DpsStages, 1, 10),
            DpsShares = s.Choice("dpsShares", d.DpsShares),
            Labour = Pair(s, "labour", d.Labour, 1e-6, 1e6),
            SkillLocation = Pair(s, "skillLocation", d.SkillLocation, -100, 100),
            SkillBreadth = Pair(s, "skillBreadth", d.SkillBreadth, 0.01, Math.PI),
            TradeCosts = Ascending(s, "tradeCosts", d.TradeCosts, 0, 50, "numbers in [0, 50]"),
            Assets = s.Int("assets", d.Assets, 2, 200),
            RiskAversion = Ascending(s, "riskAversion", d.RiskAversion, 1e-6, 1e6, "numbers in [1e-6, 1e6]"),
        };
        if (dispersal is not null)
        {
            if (dispersal.Length < 3) throw ConfigException.Invalid(s.KeyPath("dispersal"), dispersal.Length == 0 ? "[]" : $"{dispersal.Length} rates", "at least 3 ascending rates in [0, 100] (a hump needs an inside point)");
            for (int i = 1; i < dispersal.Length; i++)
                if (dispersal[i] <= dispersal[i - 1])
                    throw ConfigException.Invalid($"{s.KeyPath("dispersal")}[{i}]", dispersal[i], $"a rate above case.dispersal[{i - 1}] = {dispersal[i - 1]} (ascending, distinct)");
        }
        if (c.Step * 10 > c.Period) throw ConfigException.Invalid(s.KeyPath("step"), c.Step, $"a step of at most case.period/10 = {c.Period / 10}");
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

    /// <summary>case.devices: a non-empty array of distinct catalogue names, or null when absent.</summary>
    private static FleetDeviceKind[]? ReadDevices(JsonSection s)
    {
        if (s.RawValue("devices", "array", minItems: 1) is not { } v) return null;
        string key = s.KeyPath("devices");
        if (v.ValueKind != System.Text.Json.JsonValueKind.Array || v.GetArrayLength() == 0)
            throw ConfigException.Invalid(key, JsonSection.Raw(v), "a non-empty array of device names, each " + Choices.Allowed<FleetDeviceKind>());
        var list = new List<FleetDeviceKind>();
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string at = $"{key}[{i++}]";
            if (e.ValueKind != System.Text.Json.JsonValueKind.String) throw ConfigException.Invalid(at, JsonSection.Raw(e), Choices.Allowed<FleetDeviceKind>());
            var kind = Choices.Parse<FleetDeviceKind>(at, e.GetString()!);
            if (list.Contains(kind)) throw ConfigException.Invalid(at, e.GetString(), "a device not listed before (each catalogue device once)");
            list.Add(kind);
        }
        return [.. list];
    }

    /// <summary>case.shares: three non-negative numbers (pre-training, fine-tuning, inference) with a positive sum, or null when absent.</summary>
    private static double[]? ReadShares(JsonSection s)
    {
        if (s.Doubles("shares", 0, 1e6) is not { } v) return null;
        if (v.Length != 3) throw ConfigException.Invalid(s.KeyPath("shares"), $"{v.Length} numbers", "three numbers >= 0 (pre-training, fine-tuning, inference) with a positive sum");
        if (!(v.Sum() > 0)) throw ConfigException.Invalid(s.KeyPath("shares"), "[0, 0, 0]", "three numbers >= 0 (pre-training, fine-tuning, inference) with a positive sum");
        return v;
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
