// `dps run` on a config with a `case` section (Config/CaseConfig.cs): computes the case study instead of training one
// system and writes summary.json (every number as a mean with a 95% interval over the replicates, beside the
// published reference), results.csv (one row per replicate or mixture) and the resolved config.json, committed
// together from a staging folder like any run folder (a failed run leaves the folder as it was).
using System.Diagnostics;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Fitting;
using DpsTorch.IO;
using DpsTorch.Model;
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
        CheckCase(config);
        using var folder = OutputFolder.Open(dir, "dps run");
        var written = Write(config, dir, run, cancel);
        folder.Succeeded();
        return written;
    }

    /// <summary>As <see cref="Execute"/> into a folder the caller has locked (a sweep's run folder): computes the case
    /// and commits its files together, summary.json last, so a folder with summary.json holds a finished case.</summary>
    internal static CaseFolder Write(DpsConfig config, string dir, RunMetadata run, CancellationToken cancel = default)
    {
        CheckCase(config);
        var watch = Stopwatch.StartNew();
        var (summary, tables) = Compute(config, cancel);
        summary["case"] = Headline(summary);
        summary["seconds"] = watch.Elapsed.TotalSeconds;
        summary["run"] = run.ToJson();
        summary["config"] = ConfigLoader.ToJsonNode(config);
        string configJson = ConfigLoader.ToJson(config);
        var files = tables.Keys.Append(RunFiles.Config).Append(RunFiles.Summary).ToList();
        Staging.Write(dir, files, files, staging =>
        {
            foreach (var (name, text) in tables) AtomicFile.WriteAllText(Path.Combine(staging, name), text);
            AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Config), configJson);
            AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Summary), summary.ToJsonString(RunFiles.Indented));
        });
        return new CaseFolder(dir, summary, [.. files.Select(f => Path.Combine(dir, f))]);
    }

    private static void CheckCase(DpsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Case is not { Kind: not CaseKind.None })
            throw ConfigException.Invalid("case.kind", config.Case is null ? null : Choices.Name(config.Case.Kind), "\"chinchilla\", \"community\", \"spatial-insurance\", \"fleet\", \"ricardo\" or \"portfolio\" for a case study");
    }

    /// <summary>Most measures <see cref="Headline"/> lists.</summary>
    public const int MaxHeadlineMeasures = 400;

    private static readonly HashSet<string> NotMeasures = new(StringComparer.Ordinal)
        { "kind", "complete", "reference", "config", "run", "seconds", "tolerance", "units", "catalogue", "replicates", "case" };

    /// <summary>
    /// The case's numbers as one flat object (summary.json "case", which dps sweep tabulates as case.NAME): every
    /// number and boolean of the summary by its path ("limitingSimilarity.criticalSpacing", "tradeCosts[0].violations"),
    /// an interval object by its mean ("tradeCosts[0].relativeWage"); the reference texts, tolerances, config and run
    /// metadata left out, at most <see cref="MaxHeadlineMeasures"/>.
    /// </summary>
    public static JsonObject Headline(JsonObject summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var flat = new JsonObject();
        void Walk(JsonNode? node, string path)
        {
            if (flat.Count >= MaxHeadlineMeasures) return;
            switch (node)
            {
                case JsonObject o when o.ContainsKey("mean") && o.ContainsKey("halfWidth"):
                    flat[path] = o["mean"]?.DeepClone();
                    break;
                case JsonObject o:
                    foreach (var (key, value) in o)
                        if (path.Length > 0 || !NotMeasures.Contains(key)) Walk(value, path.Length == 0 ? key : $"{path}.{key}");
                    break;
                case JsonArray a:
                    for (int i = 0; i < a.Count; i++) if (a[i] is JsonObject) Walk(a[i], $"{path}[{i}]");
                    break;
                case JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False:
                    flat[path] = v.DeepClone();
                    break;
            }
        }
        Walk(summary, "");
        return flat;
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
            CaseKind.SpatialInsurance => SpatialInsurance(c, cancel),
            CaseKind.Fleet => Fleet(c, config.Training, cancel),
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

    /// <summary>Name of the spatial insurance case's productivity chart (mean and temporal variability against dispersal).</summary>
    public const string ProductivityChart = "productivity.svg";

    private static (JsonObject, IReadOnlyDictionary<string, string>) SpatialInsurance(CaseConfig c, CancellationToken cancel)
    {
        var runs = SpatialInsuranceStudy.Run(c, cancel);
        var rates = new JsonArray();
        foreach (double a in c.Dispersal)
        {
            var o = new JsonObject { ["dispersal"] = a };
            foreach (var (name, pick) in SpatialInsuranceStudy.Measures) o[name] = Interval(SpatialInsuranceStudy.At(runs, a, pick));
            rates.Add((JsonNode)o);
        }
        JsonObject Extreme(Func<Model.MetacommunityMeasures, double> pick, bool maximum)
        {
            var e = SpatialInsuranceStudy.Extremes(runs, pick, maximum);
            return new JsonObject
            {
                ["insideInSeeds"] = e.Count(x => x.Inside),
                ["seeds"] = e.Count,
                ["log10Rate"] = Interval(MeanInterval.Of(e.Select(x => Math.Log10(Math.Max(x.Rate, 1e-300))))),
                ["rates"] = new JsonArray([.. e.Select(x => (JsonNode?)JsonValue.Create(x.Rate))]),
            };
        }
        var summary = new JsonObject
        {
            ["kind"] = "spatial-insurance",
            ["complete"] = true,
            ["reference"] = "Loreau, Mouquet & Gonzalez 2003, Biodiversity as spatial insurance in heterogeneous landscapes, PNAS 100:12765-12770: mean productivity highest and its temporal variability lowest at intermediate dispersal, where local diversity peaks; regional diversity falls at high dispersal as one intermediate-type species dominates",
            ["seeds"] = c.Seeds,
            ["species"] = c.Species,
            ["patches"] = c.Patches,
            ["rates"] = rates,
            ["productivityPeak"] = Extreme(m => m.Productivity, true),
            ["localCvTrough"] = Extreme(m => m.LocalCv, false),
            ["alphaPeak"] = Extreme(m => m.Alpha, true),
        };
        var charts = new Dictionary<string, string>
        {
            [Results] = SpatialInsuranceStudy.Csv(runs),
            [Chart] = DispersalChart(c, runs, [("α local", m => m.Alpha), ("β between patches", m => m.Beta), ("γ regional", m => m.Gamma)],
                "Diversity against dispersal (inverse Simpson), 95% bands", "effective number of species"),
            [ProductivityChart] = DispersalChart(c, runs, [("mean local productivity", m => m.Productivity), ("local CV × 10", m => 10 * m.LocalCv), ("regional CV × 10", m => 10 * m.RegionalCv)],
                "Productivity and its temporal variability against dispersal, 95% bands", "productivity; CV × 10"),
        };
        return (summary, charts);
    }

    /// <summary>Measures against the dispersal rate (log axis), each with its 95% band over the replicates.</summary>
    private static string DispersalChart(CaseConfig c, IReadOnlyList<SpatialInsuranceRun> runs, (string Name, Func<Model.MetacommunityMeasures, double> Pick)[] measures, string title, string yLabel)
    {
        var rates = c.Dispersal.Where(a => a > 0).ToArray();
        var series = new List<PlotSeries>();
        foreach (var (name, pick) in measures)
        {
            var v = rates.Select(a => SpatialInsuranceStudy.At(runs, a, pick)).ToArray();
            series.Add(new PlotSeries(name, rates, [.. v.Select(m => m.Mean)])
            {
                Style = SeriesStyle.LineAndMarkers, Dashed = series.Count % 2 == 1, Color = SvgPlot.Palette[series.Count],
                BandLow = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.Low : m.Mean)], BandHigh = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.High : m.Mean)],
            });
        }
        return SvgPlot.Render(series, new PlotOptions { Title = title, XLabel = "dispersal rate a", YLabel = yLabel, XScale = AxisScale.Log, YInclude = [0], Width = 760 });
    }

    private static (JsonObject, IReadOnlyDictionary<string, string>) Fleet(CaseConfig c, TrainingConfig training, CancellationToken cancel)
    {
        var reps = FleetStudy.Run(c, cancel, training);
        var nominal = FleetStudy.Nominal(c, training, cancel);
        var names = reps[0].Rows.Select(r => r.Design).ToList();
        var designs = new JsonObject();
        foreach (var name in names)
        {
            var rows = reps.Select(r => r[name]).ToList();
            var shares = new JsonObject();
            for (int t = 0; t < c.Devices.Count; t++) shares[Choices.Name(c.Devices[t])] = Interval(MeanInterval.Of(rows.Select(r => r.Shares[t])));
            designs[name] = new JsonObject
            {
                ["theta"] = Interval(MeanInterval.Of(rows.Select(r => r.Fleet.Theta))),
                ["perKwDrawn"] = Interval(MeanInterval.Of(rows.Select(r => r.PerKwDrawn))),
                ["perKwProvisioned"] = Interval(MeanInterval.Of(rows.Select(r => r.PerKwProvisioned))),
                ["perDollarHour"] = Interval(MeanInterval.Of(rows.Select(r => r.PerDollarHour))),
                ["utilisation"] = Interval(MeanInterval.Of(rows.Select(r => r.Utilisation))),
                ["heterogeneity"] = Interval(MeanInterval.Of(rows.Select(r => r.Heterogeneity))),
                ["effectiveTypes"] = Interval(MeanInterval.Of(rows.Select(r => r.EffectiveTypes))),
                ["types"] = Interval(MeanInterval.Of(rows.Select(r => (double)r.Types))),
                ["splitInference"] = Interval(MeanInterval.Of(rows.Select(r => r.Fleet.Split))),
                ["budgetShares"] = shares,
                ["nominal"] = FleetNominal(c, nominal[name]),
            };
            if (c.Solver == FleetSolverKind.Dps)
            {
                designs[name]!["gapToProgram"] = Interval(MeanInterval.Of(rows.Select(r => r.Gap)));
                designs[name]!["programTheta"] = Interval(MeanInterval.Of(rows.Select(r => r.Reference!.Theta)));
                designs[name]!["shareDistance"] = Num(reps.Max(r => FleetStudy.ShareDistance(r.Problem, r[name])));
                designs[name]!["converged"] = rows.Count(r => r.Fleet.Training!.Converged);
            }
        }
        var gains = new JsonObject();
        foreach (var name in names.Where(n => n != FleetStudy.Optimised))
            gains[name] = new JsonObject
            {
                ["theta"] = Interval(MeanInterval.Of(reps.Select(r => r[FleetStudy.Optimised].Fleet.Theta / r[name].Fleet.Theta - 1))),
                ["perKwDrawn"] = Interval(MeanInterval.Of(reps.Select(r => r[FleetStudy.Optimised].PerKwDrawn / r[name].PerKwDrawn - 1))),
                ["perDollarHour"] = Interval(MeanInterval.Of(reps.Select(r => r[FleetStudy.Optimised].PerDollarHour / r[name].PerDollarHour - 1))),
                ["ties"] = reps.Count(r => r[FleetStudy.Optimised].Fleet.Theta <= r[name].Fleet.Theta * (1 + FleetTie)),
            };
        var homogeneous = new JsonObject();
        foreach (var g in reps.GroupBy(r => c.Devices[Array.IndexOf(r[FleetStudy.K(1)].Shares, r[FleetStudy.K(1)].Shares.Max())]))
            homogeneous[Choices.Name(g.Key)] = g.Count();
        var problem = nominal.Problem;
        var catalogue = new JsonArray([.. problem.Devices.Select((d, t) => (JsonNode)new JsonObject
        {
            ["device"] = Choices.Name(d.Kind), ["name"] = d.Name, ["peakFlops"] = d.PeakFlops, ["memoryBandwidth"] = d.MemoryBandwidth, ["memory"] = d.Memory,
            ["scaleUpBandwidth"] = d.ScaleUpBandwidth, ["power"] = d.Power, ["price"] = d.Price, ["source"] = d.Source,
            ["relativeThroughput"] = new JsonObject([.. Enum.GetValues<FleetJob>().Select(j => KeyValuePair.Create(Choices.Name(j), (JsonNode?)Num(1 / problem.H(t, j))))]),
            ["tensorParallel"] = new JsonObject([.. Enum.GetValues<FleetJob>().Select(j => KeyValuePair.Create(Choices.Name(j), (JsonNode?)FleetCatalogue.TensorParallel(d, FleetCatalogue.Profile(j, c))))]),
        })]);
        var summary = new JsonObject
        {
            ["kind"] = "fleet",
            ["complete"] = true,
            ["reference"] = "closed forms checked against the linear program in every replicate: a homogeneous fleet with routing, theta = 1/(k max((1+s) lambda g, A) + e A); a mix of deferrable jobs only, theta = 1/sum_j D_j min_t (k_t + e_t) h_tj (Model/Fleet.cs, FleetReference)",
            ["seeds"] = reps.Count,
            ["budget"] = Choices.Name(c.Budget),
            ["referenceDevice"] = Choices.Name(c.Devices[0]),
            ["units"] = "theta: throughput per unit of budget in reference-device equivalents of the job mix (a fully busy fleet of the reference device: 1); perKwDrawn: per kW of mean power drawn (per unit of energy); perKwProvisioned: per kW of TDP; perDollarHour: per dollar per hour",
            ["mix"] = new JsonObject
            {
                ["pretrain"] = Num(problem.Pretrain), ["finetune"] = Num(problem.Finetune), ["inference"] = Num(problem.Inference),
                ["prefillFraction"] = Num(problem.PrefillFraction), ["transfer"] = Num(problem.Transfer), ["swing"] = problem.Swing,
                ["decodeIntensity"] = Num(FleetCatalogue.DecodeIntensity(c)),
            },
            ["catalogue"] = catalogue,
            ["designs"] = designs,
            ["gainsOfOptimised"] = gains,
            ["homogeneousDevice"] = homogeneous,
            ["referenceChecks"] = new JsonObject
            {
                ["homogeneousMaxRelativeError"] = Num(reps.Append(nominal).Max(r => r.HomogeneousError)),
                ["trainingOnlyMaxRelativeError"] = Num(reps.Append(nominal).Where(r => double.IsFinite(r.TrainingOnlyError)).Select(r => r.TrainingOnlyError).DefaultIfEmpty(double.NaN).Max()),
                ["tolerance"] = FleetReferenceTolerance,
            },
            ["solver"] = Choices.Name(c.Solver),
        };
        if (c.Solver == FleetSolverKind.Dps) summary["dps"] = FleetDpsSummary(c, training, reps, nominal);
        return (summary, new Dictionary<string, string> { [Results] = FleetStudy.Csv(reps, c), [Chart] = FleetChart(reps, c) });
    }

    /// <summary>How the DPS trainer's designs compare with the program's (case.solver "dps"): gaps, shares, convergence.</summary>
    private static JsonObject FleetDpsSummary(CaseConfig c, TrainingConfig training, IReadOnlyList<FleetReplicate> reps, FleetReplicate nominal)
    {
        var all = reps.Append(nominal).SelectMany(r => r.Rows.Select(row => (r.Problem, Row: row))).ToList();
        var optimised = reps.Select(r => r[FleetStudy.Optimised]).ToList();
        return new JsonObject
        {
            ["model"] = "agents: device types; resource: budget share; skill: the work routed to each type over the 4-point job axis, weighted by its roofline throughputs; demand: the job mix per frame (day, night); communication: KV transfer between types over case.kvLink (Model/FleetDps.cs)",
            ["shares"] = Choices.Name(c.DpsShares),
            ["sharpness"] = c.DpsSharpness,
            ["stages"] = c.DpsStages,
            ["restarts"] = Math.Max(1, training.Restarts),
            ["optimizer"] = Choices.Name(training.Optimizer),
            ["gradTolerance"] = training.GradTolerance,
            ["optimisedGapToProgram"] = Interval(MeanInterval.Of(optimised.Select(r => r.Gap))),
            ["optimisedShareDistance"] = Interval(MeanInterval.Of(reps.Select(r => FleetStudy.ShareDistance(r.Problem, r[FleetStudy.Optimised])))),
            ["largestGapToProgram"] = Num(all.Max(x => Math.Abs(x.Row.Gap))),
            ["largestShareDistance"] = Num(all.Max(x => FleetStudy.ShareDistance(x.Problem, x.Row))),
            ["aboveProgram"] = all.Count(x => x.Row.Gap > 1e-9),
            ["designs"] = all.Count,
            ["converged"] = all.Count(x => x.Row.Fleet.Training!.Converged),
            ["largestKktGap"] = Num(all.Max(x => x.Row.Fleet.Training!.KktGap)),
            ["kktPassed"] = all.Count(x => x.Row.Fleet.Training!.KktGap <= FleetDpsSolver.ReseedTolerance),
            ["allStartsReachedBest"] = all.Count(x => x.Row.Fleet.Training!.ReachedBest == x.Row.Fleet.Training.Starts),
            ["tolerance"] = FleetDpsTolerance,
            ["withinTolerance"] = all.Count(x => Math.Abs(x.Row.Gap) <= FleetDpsTolerance),
        };
    }

    /// <summary>The relative θ tolerance within which the DPS trainer's design must reproduce the program's (the note and FleetDpsTests state it).</summary>
    public const double FleetDpsTolerance = 1e-3;

    /// <summary>The relative throughput gap under which the optimised fleet counts as tying a baseline.</summary>
    public const double FleetTie = 1e-6;

    /// <summary>The relative error within which the program must reproduce the closed forms (the note and the test state it).</summary>
    public const double FleetReferenceTolerance = 1e-6;

    private static JsonObject FleetNominal(CaseConfig c, FleetRow r)
    {
        var shares = new JsonObject();
        for (int t = 0; t < c.Devices.Count; t++) if (r.Shares[t] > 0) shares[Choices.Name(c.Devices[t])] = Num(r.Shares[t]);
        var work = new JsonObject();
        foreach (var job in Enum.GetValues<FleetJob>())
        {
            double total = 0;
            for (int t = 0; t < c.Devices.Count; t++) total += r.Fleet.Work[t * FleetProblem.Jobs + (int)job];
            var by = new JsonObject();
            for (int t = 0; t < c.Devices.Count; t++)
            {
                double w = r.Fleet.Work[t * FleetProblem.Jobs + (int)job];
                if (total > 0 && w > 1e-9 * total) by[Choices.Name(c.Devices[t])] = Num(w / total);
            }
            work[Choices.Name(job)] = by;
        }
        var utilisation = new JsonObject();
        for (int t = 0; t < c.Devices.Count; t++)
            if (r.Fleet.Counts[t] > 0) utilisation[Choices.Name(c.Devices[t])] = Num(r.Fleet.BusyDevices[t] / r.Fleet.Counts[t]);
        return new JsonObject
        {
            ["workShares"] = work,
            ["deviceUtilisation"] = utilisation,
            ["theta"] = Num(r.Fleet.Theta), ["perKwDrawn"] = Num(r.PerKwDrawn), ["perKwProvisioned"] = Num(r.PerKwProvisioned),
            ["perDollarHour"] = Num(r.PerDollarHour), ["utilisation"] = Num(r.Utilisation), ["heterogeneity"] = Num(r.Heterogeneity),
            ["effectiveTypes"] = Num(r.EffectiveTypes), ["splitInference"] = Num(r.Fleet.Split), ["budgetShares"] = shares,
        };
    }

    /// <summary>Throughput of the best fleet of k device types against k (95% band), with the flat and mean-designed fleets as dashed lines.</summary>
    private static string FleetChart(IReadOnlyList<FleetReplicate> reps, CaseConfig c)
    {
        int types = c.Devices.Count;
        double[] x = [.. Enumerable.Range(1, types).Select(k => (double)k)];
        var series = new List<PlotSeries>();
        foreach (var (metric, pick) in new (string, Func<FleetRow, double>)[] { ("throughput per unit budget", r => r.Fleet.Theta), ("utilisation", r => r.Utilisation) })
        {
            var v = Enumerable.Range(1, types).Select(k => MeanInterval.Of(reps.Select(r => pick(r[FleetStudy.K(k)])))).ToArray();
            string color = SvgPlot.Palette[series.Count / 2 * 2];
            series.Add(new PlotSeries($"best fleet of k types: {metric}", x, [.. v.Select(m => m.Mean)])
            {
                Style = SeriesStyle.LineAndMarkers, Color = color,
                BandLow = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.Low : m.Mean)], BandHigh = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.High : m.Mean)],
            });
            foreach (var (name, dash) in new[] { (FleetStudy.Flat, "flat heterogeneous"), (FleetStudy.MeanDesigned, "designed for the mean load") })
            {
                double m = reps.Average(r => pick(r[name]));
                series.Add(new PlotSeries($"{dash}: {metric}", [1, types], [m, m]) { Style = SeriesStyle.Line, Dashed = true, Color = SvgPlot.Palette[series.Count % SvgPlot.Palette.Count] });
            }
        }
        return SvgPlot.Render(series, new PlotOptions { Title = $"AI-compute fleet ({Choices.Name(c.Budget)} budget): best k device types against the baselines, 95% bands over {reps.Count} replicates", XLabel = "device types k", YLabel = "throughput (reference-device equivalents) / utilisation", YInclude = [0], Width = 760 });
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
