// The computing case study (issue 16 part 2): an AI-compute fleet (Model/Fleet.cs). Per replicate the achieved
// throughput of every device on every job type is drawn around its roofline (case.efficiencySpread) and the job mix
// around case.shares (case.mixConcentration); then the optimised fleet (counts and routing free over the catalogue)
// and the baselines a practitioner accepts are solved exactly: the best fleet of k device types for k = 1 … K (k = 1:
// a homogeneous fleet with routing), the flat heterogeneous fleet (equal budget on every catalogue device, routing
// optimised) and the fleet whose mix was designed for the mean load (no swing) and then runs the swinging one. Each
// replicate also checks two closed forms (FleetReference) against the program.
using System.Globalization;
using System.Text;
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Optim;

namespace DpsTorch.Runs;

/// <summary>One fleet design of one replicate and its measures.</summary>
/// <param name="Seed">Replicate seed.</param>
/// <param name="Design">"optimised", "k1" … "kK", "flat", "mean-designed".</param>
/// <param name="Fleet">The solved design.</param>
/// <param name="Shares">Budget share of each catalogue device.</param>
/// <param name="PerKwDrawn">Throughput per kW of mean power drawn (reference-device equivalents per kW: per unit of energy).</param>
/// <param name="PerKwProvisioned">Throughput per kW of provisioned power (Σ TDP).</param>
/// <param name="PerDollarHour">Throughput per dollar per hour (price over the lifetime plus electricity).</param>
/// <param name="Utilisation">Busy over held device time, budget-weighted.</param>
/// <param name="Heterogeneity">¹D^Z of the budget shares with the devices' profile similarity.</param>
/// <param name="EffectiveTypes">¹D of the budget shares with every device type distinct.</param>
/// <param name="Types">Device types holding more than 1% of the budget.</param>
public sealed record FleetRow(int Seed, string Design, FleetDesign Fleet, double[] Shares, double PerKwDrawn, double PerKwProvisioned,
    double PerDollarHour, double Utilisation, double Heterogeneity, double EffectiveTypes, int Types);

/// <summary>One replicate: its problem, every design, and the closed-form checks.</summary>
/// <param name="Seed">Replicate seed.</param>
/// <param name="Problem">The drawn problem.</param>
/// <param name="Rows">Every design's row.</param>
/// <param name="HomogeneousError">Largest relative gap between the program and <see cref="FleetReference.Homogeneous"/> over the device types.</param>
/// <param name="TrainingOnlyError">Relative gap between the program and <see cref="FleetReference.TrainingOnly"/> on the replicate's mix without inference.</param>
public sealed record FleetReplicate(int Seed, FleetProblem Problem, IReadOnlyList<FleetRow> Rows, double HomogeneousError, double TrainingOnlyError)
{
    /// <summary>The row of <paramref name="design"/>.</summary>
    public FleetRow this[string design] => Rows.First(r => r.Design == design);
}

/// <summary>Runs the `fleet` case of a config.</summary>
public static class FleetStudy
{
    /// <summary>Name of the optimised design.</summary>
    public const string Optimised = "optimised";
    /// <summary>Name of the flat heterogeneous design.</summary>
    public const string Flat = "flat";
    /// <summary>Name of the design sized for the mean load.</summary>
    public const string MeanDesigned = "mean-designed";

    /// <summary>Name of the best design with k device types.</summary>
    public static string K(int k) => $"k{k}";

    /// <summary>Every replicate of the case (seeds Seed … Seed + Seeds − 1), each with its own perturbed throughputs and mix.</summary>
    public static IReadOnlyList<FleetReplicate> Run(CaseConfig c, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(c);
        var reps = new List<FleetReplicate>();
        for (int r = 0; r < c.Seeds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            int seed = c.Seed + r;
            var (efficiency, shares) = Draw(c, new Random(seed));
            reps.Add(Replicate(c, seed, efficiency, shares));
        }
        return reps;
    }

    /// <summary>The unperturbed problem (roofline throughputs, the shares as given), as replicate seed −1.</summary>
    public static FleetReplicate Nominal(CaseConfig c) => Replicate(c, -1, null, null);

    /// <summary>A replicate's throughput multipliers exp(spread·z) (devices × jobs) and its Dirichlet(κ·shares) mix.</summary>
    public static (double[] Efficiency, double[] Shares) Draw(CaseConfig c, Random rng)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(rng);
        var e = new double[c.Devices.Count * FleetProblem.Jobs];
        for (int i = 0; i < e.Length; i++) e[i] = Math.Exp(c.EfficiencySpread * Fitting.ChinchillaStudy.Gaussian(rng));
        double total = c.Shares.Sum();
        var s = c.Shares.Select(v => v / total).ToArray();
        if (c.MixConcentration > 0)
        {
            for (int j = 0; j < s.Length; j++)
                s[j] = s[j] > 0 ? MathNet.Numerics.Distributions.Gamma.Sample(rng, c.MixConcentration * s[j], 1) : 0;
            double sum = s.Sum();
            for (int j = 0; j < s.Length; j++) s[j] /= sum;
        }
        return (e, s);
    }

    private static FleetReplicate Replicate(CaseConfig c, int seed, double[]? efficiency, double[]? shares)
    {
        var p = FleetProblem.Of(c, efficiency, shares);
        int types = p.Types;
        var rows = new List<FleetRow> { Row(p, seed, Optimised, FleetSolver.Solve(p)) };
        for (int k = 1; k <= types; k++)
        {
            FleetDesign? best = null;
            foreach (var subset in Subsets(types, k))
            {
                var d = FleetSolver.Solve(p, subset);
                if (best is null || d.Theta > best.Theta) best = d;
            }
            rows.Add(Row(p, seed, K(k), best!));
        }
        rows.Add(Row(p, seed, Flat, FleetSolver.Solve(p, proportions: [.. p.Fixed.Select(f => 1 / f)])));
        var mean = FleetSolver.Solve(p with { Swing = 0 });
        rows.Add(Row(p, seed, MeanDesigned, FleetSolver.Solve(p, proportions: mean.Counts)));

        double homogeneous = 0;
        for (int t = 0; t < types; t++)
            homogeneous = Math.Max(homogeneous, Math.Abs(FleetSolver.Solve(p, [t]).Theta / FleetReference.Homogeneous(p, t) - 1));
        double trainSum = p.Pretrain + p.Finetune;
        double training = double.NaN;
        if (trainSum > 0)
        {
            var q = p with { Pretrain = p.Pretrain / trainSum, Finetune = p.Finetune / trainSum, Inference = 0 };
            training = Math.Abs(FleetSolver.Solve(q).Theta / FleetReference.TrainingOnly(q) - 1);
        }
        return new FleetReplicate(seed, p, rows, homogeneous, training);
    }

    private static FleetRow Row(FleetProblem p, int seed, string name, FleetDesign d)
    {
        if (d.Status != LinearProgramStatus.Optimal)
            throw new InvalidOperationException($"The fleet program of design {name} (seed {seed}) ended {d.Status}, not at an optimum.");
        return new FleetRow(seed, name, d, FleetMeasures.BudgetShares(p, d), d.Theta / (FleetMeasures.PowerDrawn(p, d) / 1000),
            d.Theta / (FleetMeasures.PowerProvisioned(p, d) / 1000), d.Theta / FleetMeasures.CostPerHour(p, d),
            FleetMeasures.Utilisation(p, d), FleetMeasures.Heterogeneity(p, d), FleetMeasures.EffectiveTypes(p, d), FleetMeasures.Types(p, d));
    }

    /// <summary>Every k-subset of 0 … n − 1, in lexicographic order.</summary>
    public static IEnumerable<int[]> Subsets(int n, int k)
    {
        var idx = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return [.. idx];
            int i = k - 1;
            while (i >= 0 && idx[i] == n - k + i) i--;
            if (i < 0) yield break;
            idx[i]++;
            for (int j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
        }
    }

    /// <summary>results.csv: one row per replicate and design, with every device's budget share.</summary>
    public static string Csv(IReadOnlyList<FleetReplicate> reps, CaseConfig c)
    {
        ArgumentNullException.ThrowIfNull(reps);
        ArgumentNullException.ThrowIfNull(c);
        var sb = new StringBuilder("seed,design,theta,perKwDrawn,perKwProvisioned,perDollarHour,utilisation,heterogeneity,effectiveTypes,types,splitInference");
        foreach (var d in c.Devices) sb.Append(CultureInfo.InvariantCulture, $",share_{Choices.Name(d)}");
        sb.Append('\n');
        foreach (var rep in reps)
            foreach (var r in rep.Rows)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{r.Seed},{r.Design},{r.Fleet.Theta:R},{r.PerKwDrawn:R},{r.PerKwProvisioned:R},{r.PerDollarHour:R},{r.Utilisation:R},{r.Heterogeneity:R},{r.EffectiveTypes:R},{r.Types},{r.Fleet.Split:R}");
                foreach (var s in r.Shares) sb.Append(CultureInfo.InvariantCulture, $",{s:R}");
                sb.Append('\n');
            }
        return sb.ToString();
    }
}
