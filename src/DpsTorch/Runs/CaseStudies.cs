// `dps run` on a config with a `case` section (Config/CaseConfig.cs): computes the case study instead of training one
// system and writes summary.json (every number as a mean with a 95% interval over the replicates, beside the
// published reference), results.csv (one row per replicate or mixture) and the resolved config.json, committed
// together from a staging folder like any run folder (a failed run leaves the folder as it was).
using System.Diagnostics;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Fitting;
using DpsTorch.IO;
using DpsTorch.Reports;
using DpsTorch.Sweeps;

namespace DpsTorch.Runs;

/// <summary>What <see cref="CaseStudies.Execute"/> wrote.</summary>
/// <param name="Dir">The run folder.</param>
/// <param name="Summary">The summary.json object.</param>
/// <param name="Files">Files written, in commit order.</param>
public sealed record CaseFolder(string Dir, JsonObject Summary, IReadOnlyList<string> Files);

/// <summary>Runs case studies into run folders.</summary>
public static class CaseStudies
{
    /// <summary>Name of the table of replicates or mixtures.</summary>
    public const string Results = "results.csv";
    /// <summary>Name of the chinchilla case's samples (every replicate's (N, D, L) points, for dps fit).</summary>
    public const string Samples = "samples.csv";
    /// <summary>Name of the case's chart (SVG).</summary>
    public const string Chart = "report.svg";

    /// <summary>Computes the case of <paramref name="config"/> into <paramref name="dir"/> (locked, staged, committed).</summary>
    /// <exception cref="ConfigException">The config has no case, or the folder is busy or a file.</exception>
    public static CaseFolder Execute(DpsConfig config, string dir, RunMetadata run, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Case is not { Kind: not CaseKind.None } study)
            throw ConfigException.Invalid("case.kind", config.Case is null ? null : Choices.Name(config.Case.Kind), "\"chinchilla\", \"community\", \"ricardo\" or \"portfolio\" for a case study");
        var watch = Stopwatch.StartNew();
        var (summary, tables) = Compute(config, cancel);
        summary["seconds"] = watch.Elapsed.TotalSeconds;
        summary["run"] = run.ToJson();
        summary["config"] = ConfigLoader.ToJsonNode(config);
        string configJson = ConfigLoader.ToJson(config);
        using var folder = OutputFolder.Open(dir, "dps run");
        var files = tables.Keys.Append(RunFiles.Config).Append(RunFiles.Summary).ToList();
        Staging.Write(dir, files, files, staging =>
        {
            foreach (var (name, text) in tables) AtomicFile.WriteAllText(Path.Combine(staging, name), text);
            AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Config), configJson);
            AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Summary), summary.ToJsonString(RunFiles.Indented));
        });
        folder.Succeeded();
        return new CaseFolder(dir, summary, [.. files.Select(f => Path.Combine(dir, f))]);
    }

    /// <summary>The summary object and the tables (file name → CSV text) of the case, without writing anything.</summary>
    public static (JsonObject Summary, IReadOnlyDictionary<string, string> Tables) Compute(DpsConfig config, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.Case ?? throw new ArgumentException("The config has no case section.");
        return c.Kind switch
        {
            CaseKind.Chinchilla => Chinchilla(c, cancel),
            CaseKind.Community => Community(config, cancel),
            CaseKind.Ricardo => RicardoStudy.Compute(config, cancel),
            CaseKind.Portfolio => PortfolioStudy.Compute(config, cancel),
            _ => throw Choices.Unknown("case.kind", c.Kind),
        };
    }

    private static (JsonObject, IReadOnlyDictionary<string, string>) Chinchilla(CaseConfig c, CancellationToken cancel)
    {
        var reps = ChinchillaStudy.Run(c, cancel);
        var (refA, refB) = ChinchillaLaw.AllocationExponents(ChinchillaLaw.Alpha, ChinchillaLaw.Beta);
        var names = ScalingForms.ParameterNames(ScalingForm.Chinchilla);
        var parameters = new JsonObject();
        for (int j = 0; j < names.Count; j++)
            parameters[names[j]] = Interval(MeanInterval.Of(reps.Select(r => r.Fit.Parameters[j].Estimate)), ChinchillaLaw.Parameters[j]);
        parameters["a"] = Interval(MeanInterval.Of(reps.Select(r => r.AllocationA)), refA);
        parameters["b"] = Interval(MeanInterval.Of(reps.Select(r => r.AllocationB)), refB);
        var summary = new JsonObject
        {
            ["kind"] = "chinchilla",
            ["complete"] = true,
            ["reference"] = "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, Approach 3: E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28; a = beta/(alpha+beta), b = alpha/(alpha+beta)",
            ["seeds"] = reps.Count,
            ["samplesPerSeed"] = c.Points * c.Points,
            ["noise"] = c.Noise,
            ["parameters"] = parameters,
            ["converged"] = reps.Count(r => r.Fit.Converged),
            ["replicates"] = new JsonArray([.. reps.Select(r => (JsonNode)new JsonObject
            {
                ["seed"] = r.Seed,
                ["E"] = Num(r.Fit["E"].Estimate), ["A"] = Num(r.Fit["A"].Estimate), ["alpha"] = Num(r.Fit["alpha"].Estimate),
                ["B"] = Num(r.Fit["B"].Estimate), ["beta"] = Num(r.Fit["beta"].Estimate),
                ["a"] = Num(r.AllocationA), ["b"] = Num(r.AllocationB), ["rSquared"] = Num(r.Fit.RSquared), ["stopReason"] = r.Fit.StopReason.ToString(),
            })]),
        };
        var results = new System.Text.StringBuilder("seed,E,A,alpha,B,beta,a,b,rSquared\n");
        foreach (var r in reps)
            results.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"{r.Seed},{r.Fit["E"].Estimate:R},{r.Fit["A"].Estimate:R},{r.Fit["alpha"].Estimate:R},{r.Fit["B"].Estimate:R},{r.Fit["beta"].Estimate:R},{r.AllocationA:R},{r.AllocationB:R},{r.Fit.RSquared:R}\n");
        var samples = ChinchillaStudy.SamplesCsv(Enumerable.Range(0, c.Seeds).Select(r => (c.Seed + r, ChinchillaStudy.Sample(c, c.Seed + r))));
        return (summary, new Dictionary<string, string> { [Samples] = samples, [Results] = results.ToString(), [Chart] = ChinchillaChart(c, reps) });
    }

    private static (JsonObject, IReadOnlyDictionary<string, string>) Community(DpsConfig config, CancellationToken cancel)
    {
        var c = config.Case!;
        var r = CommunityStudy.Run(config, cancel);
        var levels = new JsonArray();
        foreach (int s in c.Richness)
        {
            var mixes = r.Mixtures.Where(m => m.Partition.Richness == s).ToList();
            levels.Add((JsonNode)new JsonObject
            {
                ["richness"] = s,
                ["yield"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Partition.Yield)),
                ["expected"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Partition.Expected)),
                ["net"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Partition.Net)),
                ["complementarity"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Partition.Complementarity)),
                ["selection"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Partition.Selection)),
                ["survivors"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Survivors)),
                ["overyielding"] = Interval(CommunityStudy.OverSeeds(r, s, m => m.Partition.Overyields ? 1 : 0)),
                ["identityResidualMax"] = Num(mixes.Max(m => Math.Abs(m.Partition.Net - m.Partition.Complementarity - m.Partition.Selection))),
            });
        }
        var saturation = CommunityStudy.Saturation(r, c.Richness);
        var spacing = r.Spacings.Where(s => double.IsFinite(s.MinRatio)).ToList();
        var summary = new JsonObject
        {
            ["kind"] = "community",
            ["complete"] = true,
            ["reference"] = "Loreau & Hector 2001 (Nature 412:72-76): dY = N mean(dRY) mean(M) + N cov(dRY, M); MacArthur & Levins 1967 (Am Nat 101:377-385): limiting similarity alpha = 0.54 for Gaussian utilisation",
            ["seeds"] = c.Seeds,
            ["richness"] = levels,
            ["saturation"] = saturation is null ? null : new JsonObject
            {
                ["form"] = ScalingForms.Formula(ScalingForm.Saturating),
                ["y_inf"] = Param(saturation["y_inf"]),
                ["x0"] = Param(saturation["x0"]),
                ["rSquared"] = Num(saturation.RSquared),
            },
            ["limitingSimilarity"] = new JsonObject
            {
                ["criticalSpacing"] = Num(r.CriticalSpacing),
                ["criticalOverlap"] = Num(r.CriticalOverlap),
                ["referenceSpacing"] = Num(CommunityStudy.ReferenceSpacing),
                ["referenceOverlap"] = Num(CommunityStudy.ReferenceOverlap),
                ["relativeError"] = Num(r.CriticalSpacing / CommunityStudy.ReferenceSpacing - 1),
            },
            ["coexistence"] = new JsonObject
            {
                ["survivors"] = Interval(MeanInterval.Of(r.Spacings.Select(s => (double)s.Survivors))),
                ["minSpacingOverWidth"] = Interval(MeanInterval.Of(spacing.Select(s => s.MinRatio))),
                ["medianSpacingOverWidth"] = Interval(MeanInterval.Of(spacing.Select(s => s.MedianRatio))),
            },
        };
        return (summary, new Dictionary<string, string> { [Results] = CommunityStudy.Csv(r), [Chart] = CommunityChart(r, c.Richness) });
    }

    /// <summary>Loss against N at the smallest, middle and largest D: the first replicate's samples, the law with the
    /// replicates' mean parameters (solid) and the published law (dashed).</summary>
    private static string ChinchillaChart(CaseConfig c, IReadOnlyList<ChinchillaReplicate> reps)
    {
        var sample = ChinchillaStudy.Sample(c, c.Seed);
        var mean = Enumerable.Range(0, 5).Select(j => reps.Average(r => r.Fit.Parameters[j].Estimate)).ToArray();
        var series = new List<PlotSeries>();
        var ds = sample.D.Distinct().Order().ToArray();
        var grid = Enumerable.Range(0, 60).Select(i => Math.Exp(Math.Log(c.ParamsMin) + (Math.Log(c.ParamsMax) - Math.Log(c.ParamsMin)) * i / 59)).ToArray();
        int k = 0;
        foreach (double d in new[] { ds[0], ds[ds.Length / 2], ds[^1] })
        {
            string color = SvgPlot.Palette[k++];
            string label = $"D = {SvgPlot.FormatNumber(d)}";
            var at = Enumerable.Range(0, sample.D.Length).Where(i => sample.D[i] == d).ToArray();
            series.Add(new PlotSeries($"{label}: samples (seed {c.Seed})", [.. at.Select(i => sample.N[i])], [.. at.Select(i => sample.Loss[i])]) { Color = color });
            series.Add(new PlotSeries($"{label}: fit (mean of {reps.Count})", grid, [.. grid.Select(n => ScalingForms.Evaluate(ScalingForm.Chinchilla, mean, n, d))]) { Style = SeriesStyle.Line, Color = color });
            series.Add(new PlotSeries($"{label}: published", grid, [.. grid.Select(n => ChinchillaLaw.Loss(n, d))]) { Style = SeriesStyle.Line, Color = color, Dashed = true });
        }
        return SvgPlot.Render(series, new PlotOptions { Title = "Chinchilla law: samples, refit and published (Hoffmann et al. 2022, Approach 3)", XLabel = "parameters N", YLabel = "loss L", XScale = AxisScale.Log, Width = 760 });
    }

    /// <summary>Yield, net effect, complementarity and selection against richness, with 95% bands over the replicates.</summary>
    private static string CommunityChart(CommunityResult r, IReadOnlyList<int> richness)
    {
        double[] x = [.. richness.Select(s => (double)s)];
        var series = new List<PlotSeries>();
        foreach (var (name, pick) in new (string, Func<CommunityMixture, double>)[]
                 {
                     ("yield", m => m.Partition.Yield), ("net effect", m => m.Partition.Net),
                     ("complementarity", m => m.Partition.Complementarity), ("selection", m => m.Partition.Selection),
                 })
        {
            var v = richness.Select(s => CommunityStudy.OverSeeds(r, s, pick)).ToArray();
            series.Add(new PlotSeries(name, x, [.. v.Select(m => m.Mean)])
            {
                Style = SeriesStyle.LineAndMarkers, Dashed = series.Count % 2 == 1,
                BandLow = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.Low : m.Mean)], BandHigh = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.High : m.Mean)],
            });
        }
        return SvgPlot.Render(series, new PlotOptions { Title = "Biodiversity and yield (MacArthur consumers; Loreau-Hector partition), 95% bands", XLabel = "species richness S", YLabel = "biomass", XScale = AxisScale.Log, YInclude = [0], Width = 760 });
    }

    /// <summary>{ mean, halfWidth, low, high, n } of a 95% interval, with the reference and the relative error when given.</summary>
    internal static JsonObject Interval(MeanInterval m, double? reference = null)
    {
        var o = new JsonObject { ["mean"] = Num(m.Mean), ["halfWidth"] = Num(m.HalfWidth), ["low"] = Num(m.Low), ["high"] = Num(m.High), ["n"] = m.N };
        if (reference is { } v)
        {
            o["reference"] = v;
            o["relativeError"] = Num(m.Mean / v - 1);
            o["referenceInInterval"] = double.IsFinite(m.HalfWidth) && v >= m.Low && v <= m.High;
        }
        return o;
    }

    private static JsonObject Param(FitParameter p) => new() { ["estimate"] = Num(p.Estimate), ["low"] = Num(p.CiLow), ["high"] = Num(p.CiHigh) };

    internal static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
