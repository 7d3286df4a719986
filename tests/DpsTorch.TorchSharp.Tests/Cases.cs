// The config space the parity tests cover, generated rather than hand-listed: every objective kind × mismatch ×
// propagation × topology (none, sparse ring, dense complete, random; fixed and learned) × resource rule, with every
// penalty switched on, and broad and narrow agents so both wrapped-normal series run.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.TorchSharp.Tests;

public static class Cases
{
    public static readonly string[] Objectives = ["system", "local"];
    public static readonly string[] Mismatches = ["squared", "unmet", "both"];
    public static readonly string[] Propagations = ["direct", "power", "communicability"];
    /// <summary>Topology kind and whether it is learned; with N = 12 the ring (k = 1) is sparse (density 1/6) and
    /// complete and random (p = 0.5) are dense by the engine's rule (density ≥ 1/4).</summary>
    public static readonly (string Kind, bool Learned)[] Topologies =
        [("none", false), ("ring", false), ("complete", false), ("random", false), ("ring", true), ("complete", true), ("random", true)];
    public static readonly string[] ResourceRules = ["budget", "soft"];

    /// <summary>Every combination, as xunit rows (strings keep the test names readable).</summary>
    public static IEnumerable<object[]> All()
    {
        foreach (var o in Objectives)
            foreach (var mm in Mismatches)
                foreach (var p in Propagations)
                    foreach (var (kind, learned) in Topologies)
                        foreach (var r in ResourceRules)
                            yield return [o, mm, p, kind, learned, r];
    }

    /// <summary>The config of one case: N = 12, M = 32, two demand frames (drifting), every λ positive.</summary>
    public static DpsConfig Config(string objective, string mismatch, string propagation, string kind, bool learned, string resources, int n = 12)
        => new()
        {
            Space = new SpaceConfig { M = 32 },
            Agents = new AgentsConfig { Count = n, Resources = Choices.Parse<ResourceMode>("agents.resources", resources), Init = InitKind.Random, InitSigma = 0.6 },
            Demand = new DemandConfig { Kind = DemandKind.Drifting, Peaks = 2, Width = 0.3, Frames = 2, Drift = 0.2 },
            Topology = new TopologyConfig { Kind = Choices.Parse<TopologyKind>("topology.kind", kind), K = 1, P = 0.5, Seed = 3, Learned = learned, InitWeight = 0.3, Weight = 0.4,
                Propagation = Choices.Parse<Propagation>("topology.propagation", propagation), Hops = 2, CommunicabilityBeta = 0.7 },
            // β = 1.5 keeps the smooth unmet demand curved: at the default 20 it is linear wherever D − W is not tiny,
            // and ∫W does not depend on μ, so every μ gradient would be rounding noise.
            Objective = new ObjectiveConfig { Kind = Choices.Parse<ObjectiveKind>("objective.kind", objective), Mismatch = Choices.Parse<MismatchKind>("objective.mismatch", mismatch), UnmetBeta = 1.5, LambdaC = 0.01, LambdaR = 0.05, LambdaSigma = 0.002 },
            Training = new TrainingConfig { Steps = 200, Schedule = ScheduleKind.Constant, Restarts = 1, Seed = 1 },
        };

    /// <summary>A model of the config with its parameters spread at random (seeded): some agents broad enough for the
    /// Fourier series (σ above √π), the others narrow, θ away from its initial value.</summary>
    public static DpsModel Model(DpsConfig config, int seed = 7)
    {
        var model = SystemBuilder.Create(config);
        Spread(model.Parameters(), model.ParameterNames(), seed);
        return model;
    }

    /// <summary>Sets parameters at random (seeded): μ uniform, every fourth ρ broad (σ above √π), α and θ in a unit range.</summary>
    public static void Spread(IReadOnlyList<Tensor> parameters, IReadOnlyList<string> names, int seed)
    {
        var rng = new Random(seed);
        foreach (var (p, name) in parameters.Zip(names))
            for (int i = 0; i < p.Numel; i++)
                p[i] = name switch
                {
                    "mu" => rng.NextDouble() * 2 * Math.PI,
                    "rho" => i % 4 == 0 ? 1.6 + rng.NextDouble() : -1.0 + rng.NextDouble(),
                    "alpha" => rng.NextDouble() - 0.5,
                    _ => 2 * rng.NextDouble() - 1,
                };
    }

    /// <summary>max |a − b| / scale.</summary>
    public static double RelativeError(double[] a, double[] b, double scale)
    {
        double diff = 0;
        for (int i = 0; i < a.Length; i++) diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
        return diff / scale;
    }

    /// <summary>
    /// Compares gradients parameter by parameter: max |g_torch − g_engine| over a parameter, divided by the largest
    /// |g_engine| over all parameters (a parameter whose gradient is zero in exact arithmetic, such as α of the local
    /// objective without edges, has only rounding noise, which no per-entry relative test can hold). Returns the worst.
    /// </summary>
    public static (double Worst, string Name) GradientError(IReadOnlyList<double[]> torchGrads, IReadOnlyList<double[]> engineGrads, IReadOnlyList<string> names)
    {
        double scale = engineGrads.SelectMany(g => g).Max(Math.Abs);
        if (scale == 0) throw new InvalidOperationException("every engine gradient is zero: the case tests nothing");
        var worst = (0.0, "");
        for (int k = 0; k < names.Count; k++)
        {
            double e = RelativeError(torchGrads[k], engineGrads[k], scale);
            if (e >= worst.Item1) worst = (e, names[k]);
        }
        return worst;
    }
}
