// Issue 11: the config fuzz of FuzzTests.cs carried to the other inputs: sweep blocks, the folders `dps sweep --merge`
// reads (runs.json, summaries), nested `levels` configs, `dps fit` tables and options, and file-path fields. Each
// case must succeed or exit 2 with one line (a sweep may exit 1 when it lists failed runs), never crash, and never
// write or change anything outside --out.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class InputFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-fuzz-inputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string SweepBase = """
        { "name": "fuzz-sweep", "space": { "m": 16 }, "agents": { "count": 3 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
          "training": { "steps": 3, "restarts": 1, "logEvery": 2 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
          "sweep": { "grid": { "agents.count": [3, 4] }, "list": [ { "objective.lambdaC": 0 } ], "seeds": 1 } }
        """;

    private const string NestedBase = """
        { "name": "fuzz-nested", "space": { "m": 16 }, "agents": { "count": 8 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
          "training": { "steps": 3, "restarts": 1, "logEvery": 2 },
          "measures": { "seeds": 1, "fractions": [0, 1] },
          "levels": [
            { "name": "node", "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.01, "fixedShare": true },
            { "name": "rack", "size": 4, "topology": { "kind": "ring", "k": 1, "weight": 0.3 }, "lambdaC": 0.02 } ] }
        """;

    /// <summary>Keeps every case fast whatever the mutation removed (the config fuzz covers these keys).</summary>
    private static readonly string[] Cheap = ["--set", "training.steps=3", "--set", "measures.resilienceSteps=0"];

    /// <summary>Path → SHA-256 of every file under <paramref name="root"/> except those under <paramref name="except"/>.</summary>
    private static Dictionary<string, string> Snapshot(string root, string except)
        => Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(except + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToDictionary(p => p, p => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))));

    private static void AssertUntouched(Dictionary<string, string> before, string root, string outDir, string what)
    {
        var after = Snapshot(root, outDir);
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var h) || h != kv.Value).Select(kv => kv.Key)
            .Concat(before.Keys.Where(k => !after.ContainsKey(k))).ToList();
        Assert.True(changed.Count == 0, $"{what} changed files outside --out: {string.Join(", ", changed)}");
    }

    /// <summary>Exit 0, or 2 with one "dps: error:" line; with <paramref name="failedRunsAllowed"/>, 1 when each error line names a run.</summary>
    private static int Check(CliResult r, string what, bool failedRunsAllowed = false)
    {
        if (r.Code == 2)
        {
            // One line, after the sweep's opening line; command-line parse errors add the usage hint.
            var line = Assert.Single(r.ErrorLines, l => !l.StartsWith("dps: sweep of", StringComparison.Ordinal) && l != "Run 'dps --help' for usage.");
            Assert.StartsWith("dps: error: ", line);
            Assert.DoesNotContain("Exception", line);
            return 2;
        }
        if (r.Code == 1 && failedRunsAllowed)
        {
            var errors = r.ErrorLines.Where(l => l.StartsWith("dps: error: ", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(errors);
            Assert.All(errors, l => Assert.StartsWith("dps: error: run-", l));
            return 1;
        }
        Assert.True(r.Code == 0, $"{what}: exit {r.Code}\n{r.Error}");
        return 0;
    }

    [Fact]
    public void MutatedSweepBlocks_RunOrExitTwo_NeverWriteOutsideOut()
    {
        var codes = FuzzConfigs("sweep", SweepBase, seed: 20261201, ["--jobs", "1"]);
        Report($"sweep fuzz: {codes.Sum()} mutated sweep configs, {codes[0]} ran, {codes[1]} listed failed runs (exit 1), {codes[2]} rejected with exit 2");
    }

    [Fact]
    public void MutatedNestedLevels_RunOrExitTwo_NeverWriteOutsideOut()
    {
        var codes = FuzzConfigs("nested", NestedBase, seed: 20261202, []);
        Assert.Equal(0, codes[1]);
        Report($"nested fuzz: {codes.Sum()} mutated levels configs, {codes[0]} ran, {codes[2]} rejected with exit 2");
    }

    /// <summary>Runs <c>dps COMMAND</c> on 60 mutations of <paramref name="json"/>; returns how many exited 0, 1 and 2.</summary>
    private int[] FuzzConfigs(string command, string json, int seed, string[] extra)
    {
        const int cases = 60;
        var rng = new Random(seed);
        var codes = new int[3];
        for (int i = 0; i < cases; i++)
        {
            string mutated = FuzzTests.Mutate(rng, json);
            string work = Path.Combine(_dir, $"{command}-{i}"), outDir = Path.Combine(work, "out");
            Directory.CreateDirectory(work);
            File.WriteAllText(Path.Combine(work, "config.json"), mutated);
            var before = Snapshot(work, outDir);
            var r = CliHarness.Invoke([command, Path.Combine(work, "config.json"), "--out", outDir, .. extra, .. Cheap]);
            codes[Check(r, $"case {i}: {mutated}", failedRunsAllowed: command == "sweep")]++;
            AssertUntouched(before, work, outDir, $"case {i}");
        }
        Assert.True(codes[0] > 3 && codes[2] > 20, $"mutations should both pass and fail validation: {codes[0]} ran, {codes[2]} rejected");
        return codes;
    }

    [Fact]
    public void MutatedMergeInputs_MergeOrExitTwo_NeverTouchAnythingOutsideOut()
    {
        // One real shard of two finished runs, copied and damaged per case; a finished-looking "victim" run folder
        // sits beside it, as the issue's escaping run names targeted.
        string shard = Path.Combine(_dir, "shard");
        File.WriteAllText(Path.Combine(_dir, "sweep.json"), SweepBase);
        Assert.Equal(0, CliHarness.Invoke("sweep", Path.Combine(_dir, "sweep.json"), "--out", shard, "--jobs", "1").Code);
        const int cases = 48;
        var rng = new Random(20261203);
        var codes = new int[3];
        for (int i = 0; i < cases; i++)
        {
            string work = Path.Combine(_dir, $"merge-{i}"), copy = Path.Combine(work, "shard"), outDir = Path.Combine(work, "out");
            CopyTree(shard, copy);
            Directory.CreateDirectory(Path.Combine(work, "victim"));
            File.WriteAllText(Path.Combine(work, "victim", "summary.json"), "{ \"victim\": true }");
            string what = Damage(rng, copy, work);
            var before = Snapshot(work, outDir);
            var r = CliHarness.Invoke("sweep", "--merge", copy, "--out", outDir);
            codes[Check(r, $"case {i} ({what})")]++;
            AssertUntouched(before, work, outDir, $"case {i} ({what})");
        }
        Report($"merge fuzz: {cases} damaged shard folders, {codes[0]} merged, {codes[2]} rejected with exit 2");
        Assert.True(codes[0] > 3 && codes[2] > 10, "damage should both pass and fail");
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }

    /// <summary>Damages one shard folder: a run name, the index, a summary, or a missing file. Returns what it did.</summary>
    private static string Damage(Random r, string shard, string work)
    {
        string index = Path.Combine(shard, "runs.json");
        var runNames = new[]
        {
            "../victim", "..", ".", "", "/", "run-0000/../../victim", "a/b", "run-0000", "run-0000\u0000x", new string('r', 300),
            Path.Combine(work, "victim"), Path.Combine(shard, "run-0001"), "../shard/run-0001", "~", "ünïcødé ✓",
        };
        switch (r.Next(5))
        {
            case 0: case 1:
            {
                var o = JsonNode.Parse(File.ReadAllText(index))!.AsObject();
                string name = runNames[r.Next(runNames.Length)];
                o["runs"]![r.Next(2)]!["run"] = name;
                File.WriteAllText(index, o.ToJsonString());
                return $"run name {JsonValue.Create(name).ToJsonString()}";
            }
            case 2:
            {
                string json = FuzzTests.Mutate(r, File.ReadAllText(index));
                File.WriteAllText(index, json);
                return "runs.json mutated: " + (json.Length > 300 ? json[..300] + "..." : json);
            }
            case 3:
            {
                string summary = Path.Combine(shard, $"run-000{r.Next(2)}", "summary.json");
                string text = File.ReadAllText(summary);
                File.WriteAllText(summary, r.Next(2) == 0 ? text[..r.Next(text.Length)] : FuzzTests.Values[r.Next(FuzzTests.Values.Length)](r)?.ToJsonString() ?? "null");
                return "summary.json damaged";
            }
            default:
            {
                var files = new[] { index, Path.Combine(shard, "run-0000", "summary.json"), Path.Combine(shard, "run-0001", "model.json") };
                string f = files[r.Next(files.Length)];
                if (r.Next(2) == 0) File.Delete(f);
                else File.WriteAllBytes(f, RandomBytes(r, 64));
                return $"{Path.GetFileName(f)} deleted or binary";
            }
        }
    }

    private static byte[] RandomBytes(Random r, int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }

    private const string FitTable = """
        run,agents.count,seed,heterogeneity,loss
        run-0000,2,0,1.9,0.50
        run-0001,2,1,1.8,0.52
        run-0002,4,0,3.1,0.30
        run-0003,4,1,3.3,0.31
        run-0004,8,0,5.2,0.20
        run-0005,8,1,5.0,0.21
        run-0006,16,0,8.1,0.12
        run-0007,16,1,8.4,0.13
        """;

    [Fact]
    public void MutatedFitTablesAndOptions_FitOrExitTwo_NeverWriteOutsideOut()
    {
        const int cases = 60;
        var rng = new Random(20261204);
        string[] cells = ["", "NaN", "Infinity", "-1", "0", "1e309", "abc", "\"", "\"quoted,comma\"", "ünï ✓", new string('9', 400), "1,2", " 3 "];
        string[][] options =
        [
            ["--x", "agents.count"], ["--x", "seed"], ["--x", "nosuch"], ["--x", ""],
            ["--y", "heterogeneity"], ["--y", "loss"], ["--y", "run"],
            ["--form", "power"], ["--form", "broken-power"], ["--form", "bogus"],
            ["--bootstrap", "0"], ["--bootstrap", "-1"], ["--bootstrap", "3"],
            ["--group", "seed"], ["--group", "run"], ["--group", "nosuch"],
            ["--name", "../escape"], ["--name", "a/b"], ["--name", ""], ["--name", "x.json"],
            ["--criterion", "aic"], ["--criterion", "bic"], ["--all-points"], ["--seed", "-5"],
        ];
        var codes = new int[3];
        for (int i = 0; i < cases; i++)
        {
            string work = Path.Combine(_dir, $"fit-{i}"), outDir = Path.Combine(work, "out");
            Directory.CreateDirectory(work);
            var lines = FitTable.Split('\n').ToList();
            string what;
            switch (rng.Next(5))
            {
                case 0: case 1:
                {
                    int l = rng.Next(lines.Count);
                    var f = lines[l].Split(',');
                    f[rng.Next(f.Length)] = cells[rng.Next(cells.Length)];
                    lines[l] = string.Join(',', f);
                    what = $"line {l + 1} cell";
                    break;
                }
                case 2: lines.RemoveRange(rng.Next(lines.Count), 1 + rng.Next(3) % lines.Count); what = "lines dropped"; break;
                case 3: lines[0] = lines[0].Replace("seed", rng.Next(2) == 0 ? "heterogeneity" : "\"seed"); what = "header"; break;
                default: what = "truncated"; break;
            }
            string text = string.Join(rng.Next(2) == 0 ? "\n" : "\r\n", lines);
            if (what == "truncated") text = text[..rng.Next(text.Length)];
            string csv = Path.Combine(work, "results.csv");
            File.WriteAllText(csv, text);
            var chosen = new Dictionary<string, string[]> { ["--x"] = ["agents.count"], ["--y"] = ["heterogeneity"], ["--bootstrap"] = ["2"] };
            for (int k = rng.Next(0, 3); k > 0; k--) { var o = options[rng.Next(options.Length)]; chosen[o[0]] = o[1..]; }
            var args = new List<string> { "fit", csv, "--out", outDir };
            foreach (var (name, values) in chosen) { args.Add(name); args.AddRange(values); }
            var before = Snapshot(work, outDir);
            var r = CliHarness.Invoke([.. args]);
            codes[Check(r, $"case {i} ({what}; {string.Join(' ', args.Skip(2))})\n{text}")]++;
            AssertUntouched(before, work, outDir, $"case {i}");
        }
        Report($"fit fuzz: {cases} mutated tables and options, {codes[0]} fitted, {codes[2]} rejected with exit 2");
        Assert.True(codes[0] > 3 && codes[2] > 10, "mutations should both pass and fail");
    }

    public static TheoryData<string> PathKinds => ["missing", "folder", "empty", "binary", "huge-looking", "relative escape", "device"];

    [Theory]
    [MemberData(nameof(PathKinds))]
    public void FilePathFields_ThatAreNotUsableFiles_AreBadInput_WithOneLine_AndNoContent(string kind)
    {
        string work = Path.Combine(_dir, "paths");
        Directory.CreateDirectory(work);
        string target = kind switch
        {
            "missing" => "no-such-file.csv",
            "folder" => work,
            "empty" => Touch(Path.Combine(work, "empty.csv"), 0),
            "binary" => WriteBytes(Path.Combine(work, "binary.csv"), [0x00, 0xFF, 0xFE, 0x1B, (byte)'[', (byte)'2', (byte)'J', 0x07, 0x0D, 0x80, 0xC3]),
            "huge-looking" => Touch(Path.Combine(work, "huge.csv"), 3L << 30), // sparse: no disk used, but 3 GiB long
            "relative escape" => string.Concat(Enumerable.Repeat("../", 40)) + "etc/passwd",
            _ => "/dev/zero",
        };
        int cases = 0, ran = 0;
        foreach (var (section, block) in new[] { ("demand", "\"kind\": \"histogram\""), ("topology", "\"kind\": \"file\"") })
        {
            string cfg = Path.Combine(work, $"{section}.json");
            File.WriteAllText(cfg, $$"""
                { "space": { "m": 16 }, "agents": { "count": 4 }, "{{section}}": { {{block}}, "path": {{JsonValue.Create(target).ToJsonString()}} },
                  "training": { "steps": 2 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 } }
                """);
            foreach (var command in new[] { "validate", "run" })
            {
                string outDir = Path.Combine(work, "out");
                var r = command == "run" ? CliHarness.Invoke("run", cfg, "--out", outDir) : CliHarness.Invoke("validate", cfg);
                cases++;
                if (kind == "empty" && section == "topology" && r.Code == 0) { ran++; if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true); continue; } // no edges: a valid graph
                Assert.True(r.Code == 2, $"{section}.path {kind} with dps {command}: exit {r.Code}: {r.Error}");
                string line = Assert.Single(r.ErrorLines);
                Assert.StartsWith("dps: error: ", line);
                Assert.DoesNotContain("root:", line);                             // no line of /etc/passwd
                Assert.False(line.Any(c => char.IsControl(c) && c != '\t'), $"control characters in: {line}");
                Assert.False(Directory.Exists(outDir));
            }
        }
        Report($"file-path fuzz ({kind}): {cases} cases, {cases - ran} exit 2 with one line" + (ran > 0 ? $", {ran} ran (an empty edge list is a graph without edges)" : ""));
    }

    private static string Touch(string path, long length)
    {
        using (var f = File.Create(path)) f.SetLength(length);
        return path;
    }

    private static string WriteBytes(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        Console.Error.WriteLine(line);
    }
}
