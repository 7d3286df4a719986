// The layering of docs/ARCHITECTURE.md, checked on the compiled DpsTorch assembly: a type in a lower layer never
// references a type in a higher one. engine <- optim <- config <- model <- measures <- io <- runs <- cli. Every
// namespace of ours must be placed in a layer, so a new namespace fails here until it is.
using Mono.Cecil;

namespace DpsTorch.Tests;

public class LayeringTests
{
    /// <summary>The layers, bottom first, and the namespaces each holds.</summary>
    internal static readonly (string Layer, string[] Namespaces)[] Layers =
    [
        ("engine", ["DpsTorch", "DpsTorch.Tensors", "DpsTorch.Autograd", "DpsTorch.Ops"]),
        ("optim", ["DpsTorch.Optim"]),
        ("config", ["DpsTorch.Config"]),
        ("model", ["DpsTorch.Model", "DpsTorch.Model.Search", "DpsTorch.Nested"]),
        ("measures", ["DpsTorch.Measures"]),
        ("io", ["DpsTorch.IO", "DpsTorch.Reports"]),
        ("runs", ["DpsTorch.Runs", "DpsTorch.Sweeps", "DpsTorch.Fitting"]),
        ("cli", ["DpsTorch.Cli"]),
    ];

    /// <summary>
    /// Known violations, "from -> to" by top-level type, waiting for issue 12's moves. This list only shrinks: the
    /// test fails on a violation not listed here AND on an entry that no longer occurs (delete it). Never add to it;
    /// move the code instead (docs/ARCHITECTURE.md says where things go).
    /// </summary>
    internal static readonly string[] KnownViolations = [];

    private static bool Ours(string ns) => ns == "DpsTorch" || ns.StartsWith("DpsTorch.", StringComparison.Ordinal);

    private static Dictionary<string, (int Index, string Name)> LayerOf((string Layer, string[] Namespaces)[] layers)
    {
        var map = new Dictionary<string, (int, string)>();
        for (int i = 0; i < layers.Length; i++)
            foreach (var ns in layers[i].Namespaces) map.Add(ns, (i, layers[i].Layer));
        return map;
    }

    /// <summary>A reference from a lower layer to a higher one.</summary>
    internal sealed record Upward(string From, string FromLayer, string To, string ToLayer, string Where)
    {
        /// <summary>The allow-list form: "from -> to".</summary>
        public string Pair => $"{From} -> {To}";

        public override string ToString() => $"{From} ({FromLayer}) -> {To} ({ToLayer}), in {Where}";
    }

    /// <summary>What breaks the layering: each upward reference, and one line per namespace that is in no layer.</summary>
    internal static (List<Upward> Upward, List<string> Unplaced) Check(IReadOnlyList<TypeDependency> dependencies,
        (string Layer, string[] Namespaces)[] layers)
    {
        var layerOf = LayerOf(layers);
        var unplaced = new SortedSet<string>(StringComparer.Ordinal);
        var upward = new List<Upward>();
        foreach (var d in dependencies)
        {
            bool known = true;
            foreach (var ns in new[] { d.FromNamespace, d.ToNamespace })
                if (!layerOf.ContainsKey(ns)) { unplaced.Add(ns); known = false; }
            if (!known) continue;
            var (from, to) = (layerOf[d.FromNamespace], layerOf[d.ToNamespace]);
            if (from.Index < to.Index) upward.Add(new(d.From, from.Name, d.To, to.Name, d.Where));
        }
        return (upward, [.. unplaced.Select(ns => $"namespace {ns} is in no layer: add it to LayeringTests.Layers")]);
    }

    private static IReadOnlyList<TypeDependency> CoreDependencies()
    {
        using var module = ModuleDefinition.ReadModule(typeof(Tensor).Assembly.Location);
        return DependencyCheck.Dependencies(module, Ours);
    }

    /// <summary>Unplaced namespaces, upward references missing from <paramref name="known"/>, entries of
    /// <paramref name="known"/> that no longer occur or occur twice: one paragraph each, empty when all is well.</summary>
    internal static List<string> Problems(List<Upward> upward, List<string> unplaced, string[] known)
    {
        var pairs = upward.Select(v => v.Pair).ToHashSet(StringComparer.Ordinal);
        var unexpected = upward.Where(v => !known.Contains(v.Pair)).ToList();
        var gone = known.Where(k => !pairs.Contains(k)).ToList();
        var problems = new List<string>(unplaced);
        problems.AddRange(known.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => $"{g.Key} is listed twice in KnownViolations"));
        if (unexpected.Count > 0)
            problems.Add($"{unexpected.Count} reference(s) from a lower layer to a higher one (move the code down or the "
                + "reference up; docs/ARCHITECTURE.md):\n  " + string.Join("\n  ", unexpected));
        if (gone.Count > 0)
            problems.Add($"{gone.Count} known violation(s) no longer occur: delete them from LayeringTests.KnownViolations:\n  "
                + string.Join("\n  ", gone) + "\n(the known ones that still occur: "
                + string.Join(", ", pairs.Where(known.Contains).Order(StringComparer.Ordinal).Select(p => $"\"{p}\"")) + ")");
        return problems;
    }

    [Fact]
    public void NoLowerLayer_ReferencesAHigherOne_InTheDpsTorchAssembly()
    {
        var (upward, unplaced) = Check(CoreDependencies(), Layers);
        var problems = Problems(upward, unplaced, KnownViolations);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheCoreAssembly_ReferencesNoAddOnAndNotTheCli()
    {
        using var module = ModuleDefinition.ReadModule(typeof(Tensor).Assembly.Location);
        var ours = module.AssemblyReferences.Select(r => r.Name).Where(n => n.StartsWith("DpsTorch", StringComparison.Ordinal) || n == "dps");
        Assert.Empty(ours);
    }

    private const string Fixture = "DpsTorch.Tests.LayeringFixture";

    private static readonly (string, string[])[] FixtureLayers = [("low", [$"{Fixture}.Low"]), ("high", [$"{Fixture}.High"])];

    private static IReadOnlyList<TypeDependency> FixtureDependencies()
    {
        using var module = ModuleDefinition.ReadModule(typeof(LayeringTests).Assembly.Location);
        return DependencyCheck.Dependencies(module, ns => ns.StartsWith(Fixture + ".", StringComparison.Ordinal));
    }

    [Fact]
    public void Checker_FindsEveryKindOfUpwardReference_AndAllowsDownwardOnes()
    {
        var (upward, unplaced) = Check(FixtureDependencies(), FixtureLayers);
        Assert.Empty(unplaced);
        string[] expected =
        [
            "ByArrayOfGeneric", "ByAttribute", "ByAttributeTypeofArgument", "ByBaseType", "ByCatch", "ByConstraint`1",
            "ByField", "ByGenericMethodArgument", "ByInterface", "ByLambda", "ByNew", "BySignature", "ByStaticCall",
            "ByStaticField", "ByTypeof",
        ];
        Assert.Equal(expected, upward.Select(v => v.From[(v.From.LastIndexOf('.') + 1)..]).Distinct().Order(StringComparer.Ordinal));
        Assert.DoesNotContain(upward, v => v.FromLayer == "high"); // high -> low is fine
        Assert.Contains($"{Fixture}.Low.ByField (low) -> {Fixture}.High.Thing (high), in _thing", upward.Select(v => v.ToString()));
    }

    [Fact]
    public void Checker_ReportsEveryViolation_WithAnInvertedMap_AndUnplacedNamespaces()
    {
        var dependencies = CoreDependencies();
        var inverted = Enumerable.Reverse(Layers).ToArray();
        var (upward, _) = Check(dependencies, inverted);
        // Upside down, everything the model does with tensors is a violation; all are reported, not just the first.
        Assert.Contains(upward, v => v.Pair == "DpsTorch.Model.DpsModel -> DpsTorch.Tensor");
        Assert.Contains(upward, v => v.Pair == "DpsTorch.Optim.Adam -> DpsTorch.Tensor");
        Assert.True(upward.Count > 50, $"only {upward.Count} violations reported with the inverted map");

        var (_, unplaced) = Check(dependencies, [.. Layers.Where(l => l.Layer != "optim")]);
        Assert.Equal(["namespace DpsTorch.Optim is in no layer: add it to LayeringTests.Layers"], unplaced);
    }

    [Fact]
    public void AllowList_FailsOnANewViolation_AndOnAnEntryThatNoLongerOccurs()
    {
        var (upward, unplaced) = Check(FixtureDependencies(), FixtureLayers);
        string field = $"{Fixture}.Low.ByField -> {Fixture}.High.Thing", gone = $"{Fixture}.Low.Base -> {Fixture}.High.Thing";
        var problems = Problems(upward, unplaced, [field, gone]);
        Assert.Equal(2, problems.Count);
        Assert.StartsWith($"{upward.Count - 1} reference(s) from a lower layer to a higher one", problems[0]);
        Assert.Contains($"{Fixture}.Low.ByNew (low) -> {Fixture}.High.Thing (high)", problems[0]);
        Assert.DoesNotContain("ByField", problems[0]);
        Assert.StartsWith($"1 known violation(s) no longer occur: delete them from LayeringTests.KnownViolations:\n  {gone}\n", problems[1]);

        Assert.Empty(Problems(upward, unplaced, [.. upward.Select(v => v.Pair).Distinct()]));
        Assert.Equal([$"{field} is listed twice in KnownViolations"], Problems(upward, unplaced, [.. upward.Select(v => v.Pair).Distinct(), field]));
    }
}
