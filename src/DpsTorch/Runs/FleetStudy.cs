// The computing case study (issue 16 part 2): an AI-compute fleet (Model/Fleet.cs). Per replicate the achieved
// throughput of every device on every job type is drawn around its roofline (case.efficiencySpread) and the job mix
// around case.shares (case.mixConcentration); then the optimised fleet (counts and routing free over the catalogue)
// and the baselines a practitioner accepts are solved exactly: the best fleet of k device types for k = 1 … K (k = 1:
// a homogeneous fleet with routing), the flat heterogeneous fleet (equal budget on every catalogue device, routing
// optimised) and the fleet whose mix was designed for the mean load (no swing) and then runs the swinging one. Each
// replicate also checks two closed forms (FleetReference) against the program. Under case.solver "dps" every design is
// trained as a DPS (Model/FleetDps.cs) and the program of the same design is kept beside it as the reference.
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
/// <param name="Reference">Under case.solver "dps": the linear program of the same design (the same device types or proportions), the reference; null under "lp".</param>
public sealed record FleetRow(int Seed, string Design, FleetDesign Fleet, double[] Shares, double PerKwDrawn, double PerKwProvisioned,
    double PerDollarHour, double Utilisation, double Heterogeneity, double EffectiveTypes, int Types, FleetDesign? Reference = null)
{
    /// <summary>θ of the DPS design over the program's, minus 1 (≤ 0 up to rounding; NaN under "lp").</summary>
    public double Gap => Reference is null ? double.NaN : Fleet.Theta / Reference.Theta - 1;
}

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

    /// <summary>Under case.solver "dps", a device type with less than this share of the trained mean-load fleet's budget is left out of the mean-designed fleet.</summary>
    public const double DpsMinShare = 1e-4;

    /// <summary>Name of the best design with k device types.</summary>
    public static string K(int k) => $"k{k}";

    /// <summary>
    /// Every replicate of the case (seeds Seed … Seed + Seeds − 1), each with its own perturbed throughputs and mix.
    /// Under case.solver "dps" every design is trained with <paramref name="training"/> (null: the defaults).
    /// </summary>
    public static IReadOnlyList<FleetReplicate> Run(CaseConfig c, CancellationToken cancel = default, TrainingConfig? training = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        var reps = new List<FleetReplicate>();
        for (int r = 0; r < c.Seeds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            int seed = c.Seed + r;
            var (efficiency, shares) = Draw(c, new Random(seed));
            reps.Add(Replicate(c, seed, efficiency, shares, training, cancel));
        }
        return reps;
    }

    /// <summary>The unperturbed problem (roofline throughputs, the shares as given), as replicate seed −1.</summary>
    public static FleetReplicate Nominal(CaseConfig c, TrainingConfig? training = null, CancellationToken cancel = default) => Replicate(c, -1, null, null, training, cancel);

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

    private static FleetReplicate Replicate(CaseConfig c, int seed, double[]? efficiency, double[]? shares, TrainingConfig? dpsTraining, CancellationToken cancel)
    {
        var p = FleetProblem.Of(c, efficiency, shares);
        int types = p.Types;
        double[] flat = [.. p.Fixed.Select(f => 1 / f)];
        var rows = new List<FleetRow>();
        if (c.Solver == FleetSolverKind.Lp)
        {
            rows.Add(Row(p, seed, Optimised, FleetSolver.Solve(p)));
            for (int k = 1; k <= types; k++) rows.Add(Row(p, seed, K(k), BestSubset(p, k).Design));
            rows.Add(Row(p, seed, Flat, FleetSolver.Solve(p, proportions: flat)));
            var mean = FleetSolver.Solve(p with { Swing = 0 });
            rows.Add(Row(p, seed, MeanDesigned, FleetSolver.Solve(p, proportions: mean.Counts)));
        }
        else
        {
            // The DPS trainer designs every fleet; the program of the same design is its reference. The best k-type
            // fleet for 2 ≤ k < K trains the program's best k-subset (searching all C(K, k) subsets by training would
            // take that many trainings); k = 1 trains every type, k = K is the optimised fleet.
            var t = dpsTraining ?? new TrainingConfig();
            int solve = 0;
            FleetDesign Dps(FleetProblem q, IReadOnlyList<int>? allowed = null, IReadOnlyList<double>? proportions = null)
            {
                cancel.ThrowIfCancellationRequested();
                return FleetDpsSolver.Solve(q, t, c.DpsSharpness, c.DpsStages, Seeds.ForRestart(seed, solve++), allowed, proportions, c.DpsShares);
            }
            var optimised = Row(p, seed, Optimised, Dps(p), FleetSolver.Solve(p));
            rows.Add(optimised);
            FleetRow? single = null;
            for (int u = 0; u < types; u++)
            {
                var row = Row(p, seed, K(1), Dps(p, [u]), FleetSolver.Solve(p, [u]));
                if (single is null || row.Fleet.Theta > single.Fleet.Theta) single = row;
            }
            rows.Add(single!);
            for (int k = 2; k < types; k++)
            {
                var (subset, reference) = BestSubset(p, k);
                rows.Add(Row(p, seed, K(k), Dps(p, subset), reference));
            }
            if (types > 1) rows.Add(optimised with { Design = K(types) });
            rows.Add(Row(p, seed, Flat, Dps(p, proportions: flat), FleetSolver.Solve(p, proportions: flat)));
            // The trained mean-load fleet holds every type (softmax routing never reaches exactly 0); a type with less
            // than DpsMinShare of its budget is left out, so that no vanishing proportion makes the fixed-mix loss stiff.
            var meanDesign = Dps(p with { Swing = 0 });
            var meanShares = FleetMeasures.BudgetShares(p with { Swing = 0 }, meanDesign);
            double[] meanCounts = [.. meanDesign.Counts.Select((n, u) => meanShares[u] < DpsMinShare ? 0 : n)];
            rows.Add(Row(p, seed, MeanDesigned, Dps(p, proportions: meanCounts), FleetSolver.Solve(p, proportions: meanCounts)));
        }

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

    /// <summary>The best fleet of the program over every k-subset of the types: the subset and its design.</summary>
    private static (int[] Subset, FleetDesign Design) BestSubset(FleetProblem p, int k)
    {
        (int[] Subset, FleetDesign Design)? best = null;
        foreach (var subset in Subsets(p.Types, k))
        {
            var d = FleetSolver.Solve(p, subset);
            if (best is null || d.Theta > best.Value.Design.Theta) best = (subset, d);
        }
        return best!.Value;
    }

    private static FleetRow Row(FleetProblem p, int seed, string name, FleetDesign d, FleetDesign? reference = null)
    {
        foreach (var x in reference is null ? [d] : new[] { d, reference })
            if (x.Training is null && x.Status != LinearProgramStatus.Optimal)
                throw new InvalidOperationException($"The fleet program of design {name} (seed {seed}) ended {x.Status}, not at an optimum.");
        return new FleetRow(seed, name, d, FleetMeasures.BudgetShares(p, d), d.Theta / (FleetMeasures.PowerDrawn(p, d) / 1000),
            d.Theta / (FleetMeasures.PowerProvisioned(p, d) / 1000), d.Theta / FleetMeasures.CostPerHour(p, d),
            FleetMeasures.Utilisation(p, d), FleetMeasures.Heterogeneity(p, d), FleetMeasures.EffectiveTypes(p, d), FleetMeasures.Types(p, d), reference);
    }

    /// <summary>Largest absolute difference between the budget shares of a DPS row and of its program (NaN under "lp").</summary>
    public static double ShareDistance(FleetProblem p, FleetRow r)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(r);
        if (r.Reference is null) return double.NaN;
        var b = FleetMeasures.BudgetShares(p, r.Reference);
        return r.Shares.Select((a, t) => Math.Abs(a - b[t])).Max();
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
        bool dps = c.Solver == FleetSolverKind.Dps;
        var sb = new StringBuilder("seed,design,theta,perKwDrawn,perKwProvisioned,perDollarHour,utilisation,heterogeneity,effectiveTypes,types,splitInference");
        foreach (var d in c.Devices) sb.Append(CultureInfo.InvariantCulture, $",share_{Choices.Name(d)}");
        if (dps) sb.Append(",programTheta,gapToProgram,shareDistance,converged,gradientNorm,kktGap,starts,reachedBest,convergedStarts");
        sb.Append('\n');
        foreach (var rep in reps)
            foreach (var r in rep.Rows)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{r.Seed},{r.Design},{r.Fleet.Theta:R},{r.PerKwDrawn:R},{r.PerKwProvisioned:R},{r.PerDollarHour:R},{r.Utilisation:R},{r.Heterogeneity:R},{r.EffectiveTypes:R},{r.Types},{r.Fleet.Split:R}");
                foreach (var s in r.Shares) sb.Append(CultureInfo.InvariantCulture, $",{s:R}");
                if (dps && r.Reference is { } lp && r.Fleet.Training is { } t)
                    sb.Append(CultureInfo.InvariantCulture, $",{lp.Theta:R},{r.Gap:R},{ShareDistance(rep.Problem, r):R},{(t.Converged ? 1 : 0)},{t.GradientNorm:R},{t.KktGap:R},{t.Starts},{t.ReachedBest},{t.ConvergedStarts}");
                sb.Append('\n');
            }
        return sb.ToString();
    }
}
