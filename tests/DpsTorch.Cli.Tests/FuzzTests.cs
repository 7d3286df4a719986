// Issue 8: mutated configs and truncated model files either run or exit 2 with a one-line message; nothing crashes
// and nothing is written outside --out.
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class FuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Base = """
        { "name": "fuzz", "space": { "m": 16 },
          "agents": { "count": 4, "init": "auto", "jitter": 0.01 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
          "topology": { "kind": "ring", "k": 1, "learned": false, "embedding": "ring" },
          "objective": { "kind": "system", "mismatch": "squared", "lambdaC": 0 },
          "training": { "steps": 5, "restarts": 1, "lr": 0.02, "logEvery": 2 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 1 } }
        """;

    internal static readonly Func<Random, JsonNode?>[] Values =
    [
        _ => -1, _ => 0, _ => 1, _ => 2.5, _ => 1e308, _ => -1e308, _ => 1e9, _ => int.MaxValue, _ => long.MinValue,
        _ => "x", _ => "", _ => "NaN", _ => "Infinity", _ => "ünïcødé ✓ 中文 🚀", _ => "../../etc/passwd", _ => true, _ => null,
        _ => new JsonArray(), _ => new JsonObject(), _ => new JsonArray(1, "a", null),
        r => Deep(r.Next(10, 200)),
    ];

    internal static JsonNode Deep(int depth)
    {
        JsonNode n = 1;
        for (int i = 0; i < depth; i++) n = new JsonArray(n);
        return n;
    }

    /// <summary>Every key of <paramref name="o"/> and of the objects inside it (objects in arrays included, e.g. levels).</summary>
    private static List<(JsonObject Parent, string Key)> Slots(JsonObject o)
    {
        var list = new List<(JsonObject, string)>();
        foreach (var (k, v) in o)
        {
            list.Add((o, k));
            if (v is JsonObject child) list.AddRange(Slots(child));
            if (v is JsonArray array)
                foreach (var item in array)
                    if (item is JsonObject element) list.AddRange(Slots(element));
        }
        return list;
    }

    private static string Mutate(Random r) => Mutate(r, Base);

    /// <summary><paramref name="json"/> with one to three keys replaced by hostile values, removed, renamed or nested.</summary>
    internal static string Mutate(Random r, string json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        int count = r.Next(1, 4);
        for (int m = 0; m < count; m++)
        {
            var slots = Slots(root);
            var (parent, key) = slots[r.Next(slots.Count)];
            switch (r.Next(5))
            {
                case 0: case 1: parent[key] = Values[r.Next(Values.Length)](r); break;
                case 2: parent.Remove(key); break;
                case 3: parent[r.Next(2) == 0 ? "ünknøwn_✓" : key + "x"] = Values[r.Next(Values.Length)](r); break;
                default: parent[key] = new JsonObject { ["nested"] = Deep(r.Next(1, 80)) }; break;
            }
        }
        return root.ToJsonString();
    }

    [Fact]
    public void MutatedConfigs_RunOrExitTwoWithOneLine_NeverCrash_NeverWriteOutsideOut()
    {
        const int cases = 300;
        var rng = new Random(20261121);
        int ran = 0, rejected = 0;
        for (int i = 0; i < cases; i++)
        {
            string json = Mutate(rng);
            string work = Path.Combine(_dir, $"case-{i}");
            Directory.CreateDirectory(work);
            string cfg = Path.Combine(work, "config.json");
            File.WriteAllText(cfg, json);
            string outDir = Path.Combine(work, "out");
            var r = CliHarness.Invoke("run", cfg, "--out", outDir);
            Assert.True(r.Code is 0 or 2, $"case {i}: exit {r.Code}\n{json}\n{r.Error}");
            if (r.Code == 2)
            {
                rejected++;
                Assert.Single(r.ErrorLines);
                Assert.StartsWith("dps: error: ", r.ErrorLines[0]);
            }
            else ran++;
            var stray = Directory.GetFileSystemEntries(work, "*", SearchOption.AllDirectories)
                .Where(p => p != cfg && !p.StartsWith(outDir, StringComparison.Ordinal)).ToList();
            Assert.True(stray.Count == 0, $"case {i} wrote outside --out: {string.Join(", ", stray)}");
        }
        output.WriteLine($"config fuzz: {cases} cases, {ran} ran, {rejected} rejected with exit 2");
        Console.Error.WriteLine($"config fuzz: {cases} cases, {ran} ran, {rejected} rejected with exit 2");
        Assert.True(ran > 10 && rejected > 100, $"mutations should both pass and fail validation: {ran} ran, {rejected} rejected");
    }

    [Fact]
    public void TruncatedOrCorruptedModelFiles_AreBadInput_NeverACrash()
    {
        string cfg = Path.Combine(_dir, "base.json");
        File.WriteAllText(cfg, Base);
        Assert.Equal(0, CliHarness.Invoke("run", cfg, "--out", Path.Combine(_dir, "base")).Code);
        string good = File.ReadAllText(Path.Combine(_dir, "base", "model.json"));
        var rng = new Random(7);
        const int cases = 60;
        for (int i = 0; i < cases; i++)
        {
            string text = i % 3 == 0
                ? good[..rng.Next(good.Length)]                                              // truncated
                : i % 3 == 1
                    ? good.Remove(rng.Next(good.Length - 1), 1)                               // a byte dropped
                    : good.Insert(rng.Next(good.Length), Values[rng.Next(9)](rng)!.ToJsonString()); // a value spliced in
            string path = Path.Combine(_dir, $"m{i}.json");
            File.WriteAllText(path, text);
            var r = CliHarness.Invoke("measure", path);
            Assert.True(r.Code is 0 or 2, $"case {i}: exit {r.Code}: {r.Error}");
            if (r.Code == 2) Assert.Single(r.ErrorLines);
        }
        output.WriteLine($"model-file fuzz: {cases} cases");
        Console.Error.WriteLine($"model-file fuzz: {cases} truncated or corrupted model files, none crashed");
    }
}
