// The spatial insurance case study (issue 16 part 2, ecology): Loreau, Mouquet and Gonzalez (2003) in the DPS. For every
// replicate (its own random initial abundances) and every dispersal rate a of the config, the metacommunity
// (Model/Metacommunity.cs) runs for `periods` environmental periods and is measured over the last one: mean local
// productivity and its temporal variability, local (α), regional (γ) and between-patch (β) diversity. The published
// result is a hump: productivity and local diversity highest, and the variability of productivity lowest, at
// intermediate dispersal, with regional diversity falling at high dispersal as one intermediate-type species takes over.
using System.Globalization;
using System.Text;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Sweeps;

namespace DpsTorch.Runs;

/// <summary>One simulation of the spatial insurance study.</summary>
/// <param name="Seed">Replicate seed (initial abundances).</param>
/// <param name="Dispersal">Dispersal rate a.</param>
/// <param name="Measures">Its time averages over the last period.</param>
public sealed record SpatialInsuranceRun(int Seed, double Dispersal, MetacommunityMeasures Measures);

/// <summary>Runs the `spatial-insurance` case of a config.</summary>
public static class SpatialInsuranceStudy
{
    /// <summary>The measures of the study, by name, in the order of results.csv.</summary>
    public static IReadOnlyList<(string Name, Func<MetacommunityMeasures, double> Pick)> Measures { get; } =
    [
        ("productivity", m => m.Productivity), ("localCv", m => m.LocalCv), ("regionalCv", m => m.RegionalCv),
        ("alpha", m => m.Alpha), ("beta", m => m.Beta), ("gamma", m => m.Gamma), ("biomass", m => m.Biomass), ("dominantTrait", m => m.Dominant),
    ];

    /// <summary>The model parameters of a case config.</summary>
    public static MetacommunityParameters Parameters(CaseConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new MetacommunityParameters
        {
            Species = c.Species, Patches = c.Patches, Inflow = c.Inflow, Outflow = c.Outflow, Efficiency = c.Efficiency,
            DeathRate = c.DeathRate, Period = c.Period,
        };
    }

    /// <summary>Every (replicate, dispersal rate) simulation of <paramref name="c"/>, replicate by replicate.</summary>
    public static IReadOnlyList<SpatialInsuranceRun> Run(CaseConfig c, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(c);
        var model = new Metacommunity(Parameters(c));
        var runs = new List<SpatialInsuranceRun>();
        int size = c.Species * c.Patches;
        double duration = c.Periods * c.Period, sampleEvery = Math.Max(c.Step, c.Period / 400);
        for (int r = 0; r < c.Seeds; r++)
        {
            int seed = c.Seed + r;
            var rng = new Random(seed);
            // Initial abundances: independent uniform draws in (0, 2), the same for every dispersal rate of a replicate.
            var start = new double[size];
            for (int q = 0; q < size; q++) start[q] = 2 * rng.NextDouble();
            foreach (double a in c.Dispersal)
            {
                cancel.ThrowIfCancellationRequested();
                var n = (double[])start.Clone();
                runs.Add(new SpatialInsuranceRun(seed, a, model.Simulate(n, a, duration, c.Period, c.Step, sampleEvery, cancel)));
            }
        }
        return runs;
    }

    /// <summary>The mean of <paramref name="pick"/> at dispersal rate <paramref name="dispersal"/> with a 95% interval over the replicates.</summary>
    public static MeanInterval At(IReadOnlyList<SpatialInsuranceRun> runs, double dispersal, Func<MetacommunityMeasures, double> pick)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return MeanInterval.Of(runs.Where(r => r.Dispersal == dispersal).Select(r => pick(r.Measures)));
    }

    /// <summary>
    /// Per replicate, the dispersal rate at which <paramref name="pick"/> is largest (<paramref name="maximum"/>) or
    /// smallest, and whether that rate lies strictly inside the swept range (a hump or a trough, not a monotone trend).
    /// </summary>
    public static IReadOnlyList<(int Seed, double Rate, bool Inside)> Extremes(IReadOnlyList<SpatialInsuranceRun> runs, Func<MetacommunityMeasures, double> pick, bool maximum)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var result = new List<(int, double, bool)>();
        foreach (var g in runs.GroupBy(r => r.Seed))
        {
            var ordered = g.OrderBy(r => r.Dispersal).ToList();
            var best = maximum ? ordered.MaxBy(r => pick(r.Measures))! : ordered.MinBy(r => pick(r.Measures))!;
            result.Add((g.Key, best.Dispersal, best.Dispersal != ordered[0].Dispersal && best.Dispersal != ordered[^1].Dispersal));
        }
        return result;
    }

    /// <summary>results.csv: one row per (replicate, dispersal rate).</summary>
    public static string Csv(IReadOnlyList<SpatialInsuranceRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var sb = new StringBuilder("seed,dispersal," + string.Join(',', Measures.Select(m => m.Name)) + "\n");
        foreach (var r in runs)
            sb.Append(CultureInfo.InvariantCulture, $"{r.Seed},{r.Dispersal:R},")
              .AppendJoin(',', Measures.Select(m => m.Pick(r.Measures).ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        return sb.ToString();
    }
}
