// `dps run` on a config with a `case` section: computes the case study (Runs/CaseStudies.cs) into the run folder and
// prints its headline numbers (with --json, the whole summary). Ctrl-C stops it before anything is written (exit 130).
using System.Globalization;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Runs;

namespace DpsTorch.Cli;

internal static class CaseRun
{
    /// <summary>Runs the case of <paramref name="config"/> into <paramref name="outDir"/> (default runs/&lt;name&gt;/&lt;run id&gt;); returns the exit code.</summary>
    public static int Execute(DpsConfig config, string configPath, string? outDir, bool baseline)
    {
        if (baseline) throw new ConfigException("--baseline", "needs a config with a levels block, not a case study.");
        var run = RunMetadata.Capture(CliConsole.CommandLine);
        string dir = outDir ?? RunPipeline.DefaultFolder(config.Name, configPath, run.RunId);
        using var interrupt = new Interrupt(CliConsole.Note, "stopping the case study; nothing is written");
        CaseFolder folder;
        try { folder = CaseStudies.Execute(config, dir, run, interrupt.Token); }
        catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested) { return interrupt.ExitCode; }
        if (CliConsole.Json) Output.PrintJson(folder.Summary);
        else Print(folder.Summary);
        Output.Wrote(folder.Files);
        return ExitCode.Success;
    }

    private static void Print(JsonObject s)
    {
        var inv = CultureInfo.InvariantCulture;
        string I(JsonNode? n) => n is JsonObject o && o["mean"] is { } m
            ? string.Format(inv, "{0:G4} ± {1:G2}", m.GetValue<double>(), o["halfWidth"]?.GetValue<double>() ?? double.NaN)
            : n?.ToJsonString() ?? "–";
        CliConsole.Out.WriteLine($"case {s["kind"]}: {s["seeds"]} replicates; reference: {s["reference"]}");
        if (s["parameters"] is JsonObject p)
            foreach (var (k, v) in p)
                CliConsole.Out.WriteLine(string.Format(inv, "  {0,-6} {1,-22} published {2:G4}", k, I(v), v?["reference"]?.GetValue<double>() ?? double.NaN));
        if (s["richness"] is JsonArray levels)
        {
            CliConsole.Out.WriteLine("  S      yield                 net effect            complementarity       selection");
            foreach (var l in levels)
                CliConsole.Out.WriteLine(string.Format(inv, "  {0,-6} {1,-21} {2,-21} {3,-21} {4}", l?["richness"], I(l?["yield"]), I(l?["net"]), I(l?["complementarity"]), I(l?["selection"])));
        }
        if (s["limitingSimilarity"] is JsonObject ls)
            CliConsole.Out.WriteLine($"  limiting similarity: d*/w = {ls["criticalSpacing"]} (MacArthur-Levins {ls["referenceSpacing"]}), overlap {ls["criticalOverlap"]} (reference {ls["referenceOverlap"]})");
        CliConsole.Out.WriteLine($"  seconds {s["seconds"]}");
    }
}
