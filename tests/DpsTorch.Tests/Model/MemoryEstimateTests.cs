using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class MemoryEstimateTests
{
    private static DpsConfig Config(string json) => ConfigLoader.Parse(json);

    [Fact]
    public void Estimate_GrowsWithAgentsGridFramesAndEdges()
    {
        var small = MemoryEstimate.For(Config("""{ "space": { "m": 64 }, "agents": { "count": 100 } }"""));
        var moreAgents = MemoryEstimate.For(Config("""{ "space": { "m": 64 }, "agents": { "count": 1000 } }"""));
        var moreGrid = MemoryEstimate.For(Config("""{ "space": { "m": 640 }, "agents": { "count": 100 } }"""));
        var frames = MemoryEstimate.For(Config("""{ "space": { "m": 64 }, "agents": { "count": 100 }, "demand": { "kind": "drifting", "frames": 1000 } }"""));
        var edges = MemoryEstimate.For(Config("""{ "space": { "m": 64 }, "agents": { "count": 100 }, "topology": { "kind": "ring", "k": 40 } }"""));
        Assert.True(moreAgents.Total > small.Total);
        Assert.True(moreGrid.Cells == 10 * small.Cells);
        Assert.Equal(1000 * small.DemandFrames, frames.DemandFrames);
        Assert.Equal(100 * 40 * MemoryEstimate.BytesPerEdge, edges.Edges);
    }

    [Fact]
    public void Estimate_DoesNotOverflow_AtTheAdvertisedLimits()
    {
        // N = 10^7 with a complete topology has 5·10^13 edges: the estimate saturates instead of wrapping.
        var c = new DpsConfig { Agents = new AgentsConfig { Count = ConfigLoader.MaxAgents }, Space = new SpaceConfig { M = ConfigLoader.MaxGrid },
            Topology = new TopologyConfig { Kind = TopologyKind.Complete }, Demand = new DemandConfig { Kind = DemandKind.Drifting, Frames = 100_000 } };
        var e = MemoryEstimate.For(c);
        long n = ConfigLoader.MaxAgents;
        Assert.Equal(n * (n - 1) / 2 * MemoryEstimate.BytesPerEdge, e.Edges);
        Assert.Equal(100_000L * ConfigLoader.MaxGrid * MemoryEstimate.BytesPerFramePoint, e.DemandFrames);
        Assert.True(e.Total > e.Edges && e.Cells > 0);
        // Two such runs at once still do not wrap around.
        var twice = Assert.Throws<ConfigException>(() => MemoryLimit.Check(e, 1000, long.MaxValue - 1, "test"));
        Assert.Contains("more than 8 EiB", twice.Message);
    }

    [Fact]
    public void Check_RefusesWithTheEstimateAndTheAvailableMemory_InOneLine()
    {
        var e = MemoryEstimate.For(Config("""{ "space": { "m": 256 }, "agents": { "count": 20000 } }"""));
        var ex = Assert.Throws<ConfigException>(() => MemoryLimit.Check(e, 1, e.Total - 1, "test"));
        Assert.Equal("memory", ex.Key);
        Assert.Contains(e.Describe(), ex.Message);
        Assert.Contains(MemoryEstimate.Bytes(e.Total - 1), ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Same(e, MemoryLimit.Check(e, 1, e.Total, "test"));
    }

    [Fact]
    public void Check_MultipliesByConcurrentRuns()
    {
        var e = MemoryEstimate.For(Config("""{ "agents": { "count": 10 } }"""));
        MemoryLimit.Check(e, 2, 2 * e.Total, "test");
        var ex = Assert.Throws<ConfigException>(() => MemoryLimit.Check(e, 3, 2 * e.Total, "test"));
        Assert.Contains("3 concurrent runs", ex.Message);
        Assert.Contains("--jobs", ex.Message);
    }

    [Fact]
    public void Config_ThatCannotFitAnyMachine_IsRefusedBeforeAnythingIsBuilt()
    {
        // 100,000 drifting frames at M = 65,536: hundreds of GiB of frames (the case, which passed 8 GB). The
        // config itself is valid (ConfigLoader.Parse accepts it); the machine check refuses it.
        var ex = Assert.Throws<ConfigException>(() => MemoryLimit.Check(Config("""{ "space": { "m": 65536 }, "agents": { "count": 4 }, "demand": { "kind": "drifting", "frames": 100000 } }""")));
        Assert.Equal("memory", ex.Key);
        Assert.Contains("demand frames", ex.Message);
    }

    [Fact]
    public void Estimate_OfANestedConfig_CountsItsLevels()
    {
        var flat = MemoryEstimate.For(Config("""{ "space": { "m": 64 }, "agents": { "count": 64 } }"""));
        var nested = MemoryEstimate.For(Config("""{ "space": { "m": 64 }, "agents": { "count": 64 }, "levels": [ { "size": 8, "topology": { "kind": "complete" } }, { "size": 8 } ] }"""));
        Assert.Equal(0, flat.Levels);
        Assert.True(nested.Levels > 0);
        Assert.True(nested.Edges > flat.Edges); // 8 groups of a complete graph on 8
        Assert.True(nested.Total > flat.Total);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(3L << 30, "3 GiB")]
    [InlineData(long.MaxValue, "more than 8 EiB")]
    public void Bytes_PrintsBinaryUnits(long bytes, string expected) => Assert.Equal(expected, MemoryEstimate.Bytes(bytes));
}

public class MemoryEstimateFileTests
{
    [Fact]
    public void EdgeFile_IsBoundedByItsSize_BeforeItIsRead()
    {
        using var dir = new TempDir();
        string path = dir.File("g.txt");
        File.WriteAllText(path, "0 1\n1 2\n2 3\n"); // 12 bytes: at most 3 edges
        var t = new TopologyConfig { Kind = TopologyKind.File, Path = path };
        Assert.Equal(3, ConfigLoader.EdgeCount(t, 1_000_000));
        Assert.Equal(1, ConfigLoader.EdgeCount(t, 2));
    }
}

public class MemoryEstimateMatMulPackingTests
{
    [Fact]
    public void Estimate_HoldsTheMatMulsPackedOperand_OfTheDenseProducts()
    {
        // The dense I + Q of a learned complete graph multiplies N×N by N×M ((I + Q)·w) and N×M by M×N (G·wᵀ): the
        // matmul packs that B operand into a buffer of its own. Measured on this thread (where the buffer is taken) for
        // both shapes, beyond 32 MiB so that no buffer kept by an earlier product can stand in for it.
        const int n = 2048, m = 2100, rows = 12;
        var c = new DpsConfig { Agents = new AgentsConfig { Count = n }, Space = new SpaceConfig { M = m },
            Topology = new TopologyConfig { Kind = TopologyKind.Complete, Learned = true }, Objective = new ObjectiveConfig { Kind = ObjectiveKind.Local } };
        var e = MemoryEstimate.For(c);
        Assert.Equal(MemoryEstimate.PackedOperandBytes(n, m), e.MatMulPacking);
        Assert.Equal(e.MatMulPacking, e.Total - (e with { MatMulPacking = 0 }).Total);
        Assert.Contains("matmul packing", e.Describe());

        MatMulKernel.Gemm(new double[rows * 64], false, new double[64 * 64], false, new double[rows * 64], rows, 64, 64, allowDirect: false); // this thread's packed-A buffer
        long largest = 0;
        foreach (var (k, cols) in new[] { (n, m), (m, n) })
        {
            var a = new double[rows * k];
            var b = new double[k * cols];
            var o = new double[rows * cols];
            long before = GC.GetAllocatedBytesForCurrentThread();
            MatMulKernel.Gemm(a, false, b, false, o, rows, k, cols, allowDirect: false);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated >= (long)k * cols * sizeof(double), $"{k}×{cols}: {allocated} bytes allocated: B was not packed into a fresh buffer");
            largest = Math.Max(largest, allocated);
        }
        // Beside the buffer a call allocates a few small objects (its closures, Parallel.For's state): under 64 KiB.
        Assert.True(largest <= e.MatMulPacking + (64L << 10), $"the product allocated {largest} bytes, the estimate has {e.MatMulPacking}");
        Assert.True(e.MatMulPacking <= largest + (1L << 20), $"the estimate ({e.MatMulPacking}) is far above the {largest} bytes measured");
    }

    [Fact]
    public void Estimate_HasNoPacking_WithoutADenseProduct()
    {
        // A ring of 100,000 agents: sparse I + Q and no exact similarity matrix (N > SimilarityMatrixMaxN).
        var ring = MemoryEstimate.For(ConfigLoader.Parse("""{ "space": { "m": 256 }, "agents": { "count": 100000 }, "topology": { "kind": "ring", "k": 2 } }"""));
        Assert.Equal(0, ring.MatMulPacking);
        var small = MemoryEstimate.For(ConfigLoader.Parse("""{ "space": { "m": 256 }, "agents": { "count": 1000 } }"""));
        Assert.Equal(1000L * 256 * sizeof(double), small.MatMulPacking);
    }
}

public class MemoryEstimateModelFileTests
{
    [Fact]
    public void ModelFile_WhoseConfigCannotFit_IsRefusedBeforeItsSystemIsBuilt()
    {
        // A small model.json can name a config whose measures need far more than any machine (the 104 KB file
        // that took `dps measure` past 8 GB): loading it is refused with the estimate.
        using var dir = new TempDir();
        var config = ConfigLoader.Parse("""{ "space": { "m": 32 }, "agents": { "count": 4 } }""");
        string path = dir.File("model.json");
        ModelState.From(SystemBuilder.Create(config), config).Save(path);
        Assert.Equal(4, ModelState.Load(path).N);
        var o = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        o["config"]!["space"]!["m"] = 65536;
        o["config"]!["demand"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "kind": "drifting", "frames": 100000 }""");
        File.WriteAllText(path, o.ToJsonString());
        Assert.True(new FileInfo(path).Length < 16_384);
        var ex = Assert.Throws<ConfigException>(() => ModelState.Load(path));
        Assert.Equal("memory", ex.Key);
        Assert.Contains("demand frames", ex.Message);
    }
}
