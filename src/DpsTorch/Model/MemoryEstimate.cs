// How much memory a config needs, estimated from its sizes before anything is allocated, and the check that refuses a
// config the machine cannot hold. Used by dps validate, run, sweep (per run × concurrent runs), nested and measure.
// The per-item byte counts are upper bounds calibrated by measuring peak RSS (bench/README.md, "Memory").
using System.Globalization;

using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// Estimated peak bytes of one run of a config, by part: the per-agent arrays (parameters, gradients, optimiser state,
/// saved states and their JSON), the N×M matrices of the training step and of the measures (robustness and resilience
/// rebuild a sub-system), the demand frames, the edges, the N×N matrices (dense I + Q, exact similarity, hop
/// distances), the levels of a nested system and the matmul's packing of its B operand (<see cref="MatMulPacking"/>).
/// <see cref="Total"/> adds the runtime's own footprint.
/// </summary>
public sealed record MemoryEstimate(long Agents, long Cells, long DemandFrames, long Edges, long Dense, long Levels, long MatMulPacking = 0)
{
    /// <summary>
    /// Largest N for which the measures build the N×N similarity matrix (N² doubles = 128 MiB at 4096); above it they
    /// work in O(N·K). Here, below the measures, so the estimate and the measures read the same number.
    /// </summary>
    public const int SimilarityMatrixMaxN = 4096;

    /// <summary>The runtime, the code and the small objects of any run.</summary>
    public const long BaseBytes = 96L << 20;

    /// <summary>Bytes per agent: μ, ρ, α with gradients and Adam moments, σ and a, initialisation, checkpoint and
    /// model.json (a JSON node per value), measures' per-agent arrays, and the best restart kept beside the current one.</summary>
    public const long BytesPerAgent = 1280; // measured ≈ 750 (N = 10^6, M = 8, two restarts)

    /// <summary>Bytes per edge: the edge list and CSR views of the topology, the sparse pattern of Q and of I + Q, edge
    /// costs, weights (and θ with its gradient and Adam moments), the link graph of the measures, model.json.</summary>
    public const long BytesPerEdge = 1536; // measured ≈ 720 (ring, 2·10^6 edges)

    /// <summary>Bytes per demand frame per grid point: the frame, its tensor and the mismatch's intermediates and
    /// gradients kept for the backward pass.</summary>
    public const long BytesPerFramePoint = 16 * sizeof(double);

    /// <summary>The total in bytes.</summary>
    public long Total => Sat(BaseBytes, Sat(Agents, Sat(Cells, Sat(DemandFrames, Sat(Edges, Sat(Dense, Sat(Levels, MatMulPacking)))))));

    /// <summary>
    /// Bytes of the packed B operand of the largest dense product of N agents and M grid points: the products of a dense
    /// I + Q ((I + Q)·w, G·wᵀ, (I + Q)·G) and the measures' similarity have B of N×M or M×N, which the matmul copies into
    /// one buffer of k × (m rounded up to its 8-column panels) doubles per call and keeps up to 32 MiB of it between
    /// calls (Tensors/MatMulKernel.cs, TakeSharedB).
    /// </summary>
    internal static long PackedOperandBytes(long n, long m)
        => Math.Max(Mul(Mul(n, PanelColumns(m)), sizeof(double)), Mul(Mul(m, PanelColumns(n)), sizeof(double)));

    private static long PanelColumns(long columns) => columns > long.MaxValue - 7 ? long.MaxValue : (columns + 7) / 8 * 8;

    /// <summary>The estimate of a config (flat or nested); nothing is allocated. Saturates at <see cref="long.MaxValue"/>.</summary>
    public static MemoryEstimate For(DpsConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        long n = c.Agents.Count, m = c.Space.Points; // grid points in all: M^d on T^d
        long edges = ConfigLoader.EdgeCount(c.Topology, n);
        long frames = c.Demand.Kind == DemandKind.Drifting ? c.Demand.Frames : 1;
        long cells = Mul(Mul(n, m), CellMatrices(c) * sizeof(double));
        long dense = DenseBytes(c.Topology, n, edges);
        long levels = 0;
        if (c.Levels is { } ls)
        {
            long members = n;
            foreach (var level in ls)
            {
                members /= Math.Max(1, level.Size);
                long groupEdges = Mul(members, ConfigLoader.EdgeCount(level.Topology, level.Size));
                // Composite agents: their production (N_l × M, with gradients), their similarity among them on the grid
                // (N_l², the measures), and every group's edges and local demand.
                levels = Sat(levels, Sat(Mul(Mul(members, m), 12 * sizeof(double)), Sat(Mul(Mul(members, members), 2 * sizeof(double)),
                    Sat(Mul(groupEdges, BytesPerEdge), Mul(members, BytesPerAgent)))));
                levels = Sat(levels, Mul(Mul(level.Size, level.Size), 2 * sizeof(double))); // one group's similarity at a time
                if (level.Demand is not null) levels = Sat(levels, Mul(Mul(members, m), BytesPerFramePoint));
                edges = Sat(edges, groupEdges);
            }
            // The leaves' own similarity (tier 0 of the nested measures is N×N, exact).
            dense = Sat(dense, Mul(Mul(n, n), sizeof(double)));
        }
        // A dense product runs where the N×N matrices of DenseBytes are built (dense I + Q, the exact similarity).
        long packing = dense > 0 ? PackedOperandBytes(n, m) : 0;
        return new MemoryEstimate(Mul(n, BytesPerAgent), cells, Mul(Mul(frames, m), BytesPerFramePoint),
            Mul(edges, BytesPerEdge), dense, levels, packing);
    }

    /// <summary>N×M matrices alive at once: the step's forward values and gradients, the measures' production, and the
    /// sub-system that robustness and resilience rebuild and re-optimise.</summary>
    private static long CellMatrices(DpsConfig c)
    {
        var t = c.Topology;
        // Measured (bench/README.md, "Memory"): about 5 live N×M matrices for the fused system objective, 28 for the
        // local objective with the "unmet" mismatch; these counts keep a margin above both.
        bool direct = t.Propagation == Propagation.Direct;
        long step = direct && c.Objective.Kind == ObjectiveKind.System ? 2 // W without the N×M production
            : direct && c.Objective.Kind == ObjectiveKind.Local && c.Objective.Mismatch == MismatchKind.Squared ? 6 // fused pooled error
            : c.Objective.Kind == ObjectiveKind.Fisher ? 64 // about 8 per image of the Fisher information, a few images
            : 16;
        if (t.Propagation == Propagation.Power) step += 3L * t.Hops;
        if (t.Propagation == Propagation.Communicability) step += 3L * CommunicabilityTerms(t);
        long measures = 4; // skills, w, p, and the sum, built once by the measures and once per robustness sub-system
        return 2 * Math.Max(step, measures) + measures; // a robustness sub-system beside the full one
    }

    /// <summary>Terms of the communicability series until (β d)^k / k! is below its tolerance, d a degree bound.</summary>
    private static long CommunicabilityTerms(TopologyConfig t)
    {
        double x = t.CommunicabilityBeta * Math.Max(1.0, 2.0 * t.K) * Math.Max(1.0, t.Weight), term = 1;
        for (int k = 1; k <= TopologyConfig.MaxCommunicabilityTerms; k++)
        {
            term *= x / k;
            if (term <= TopologyConfig.CommunicabilityTolerance) return k;
        }
        return TopologyConfig.MaxCommunicabilityTerms;
    }

    private static long DenseBytes(TopologyConfig t, long n, long edges)
    {
        long bytes = 0, square = Mul(n, n);
        if (InteractionKernels.PrefersDense(n, edges))
            bytes = Mul(square, 3 * sizeof(double)); // I + Q, its gradient, the product's scratch
        if (n <= SimilarityMatrixMaxN) bytes = Sat(bytes, Mul(square, sizeof(double))); // exact similarity matrix
        if (t.Embedding == EmbeddingKind.Hops) bytes = Sat(bytes, Mul(square, sizeof(int))); // all-pairs hop distances
        return bytes;
    }

    /// <summary>One line: the total and its largest parts, e.g. "about 1.2 GiB (N×M matrices 900 MiB, agents 200 MiB, ...)".</summary>
    public string Describe()
    {
        var parts = new (string Name, long Bytes)[]
        {
            ("agents", Agents), ("N×M matrices", Cells), ("demand frames", DemandFrames), ("edges", Edges),
            ("N×N matrices", Dense), ("nested levels", Levels), ("matmul packing", MatMulPacking),
        };
        var shown = parts.Where(p => p.Bytes > 0).OrderByDescending(p => p.Bytes).Select(p => $"{p.Name} {Bytes(p.Bytes)}");
        return $"about {Bytes(Total)} ({string.Join(", ", shown.DefaultIfEmpty("runtime only"))})";
    }

    /// <summary>Bytes in binary units with three significant digits ("512 MiB", "1.25 GiB").</summary>
    public static string Bytes(long bytes)
    {
        if (bytes == long.MaxValue) return "more than 8 EiB";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{(v >= 100 || u == 0 ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("G3", CultureInfo.InvariantCulture))} {units[u]}");
    }

    internal static long Mul(long a, long b)
    {
        if (a <= 0 || b <= 0) return 0;
        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    internal static long Sat(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}

/// <summary>The memory a run may use, and the check that refuses a config needing more.</summary>
public static class MemoryLimit
{
    /// <summary>Environment variable that replaces the detected memory (bytes, a positive integer): for tests, and to
    /// leave room for other work on a shared machine.</summary>
    public const string EnvironmentVariable = "DPS_MEMORY_LIMIT_BYTES";

    /// <summary>
    /// The bytes a run may use: <see cref="EnvironmentVariable"/> when set, else the memory the runtime sees
    /// (<see cref="GC.GetGCMemoryInfo()"/>.TotalAvailableMemoryBytes: physical memory, or the container's cgroup limit,
    /// or DOTNET_GCHeapHardLimit), and where it came from.
    /// </summary>
    public static (long Bytes, string Source) Available()
    {
        string? text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (text is not null)
        {
            if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long set) || set < 1)
                throw ConfigException.Invalid(EnvironmentVariable, text, "a positive whole number of bytes, e.g. 4000000000");
            return (set, EnvironmentVariable);
        }
        return (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, "the machine's memory as the runtime sees it");
    }

    /// <summary>
    /// Refuses (a <see cref="ConfigException"/> on key "memory", exit 2) when <paramref name="concurrent"/> runs of the
    /// config need more than <see cref="Available"/>; returns the estimate of one run otherwise.
    /// </summary>
    public static MemoryEstimate Check(DpsConfig c, int concurrent = 1) => Check(MemoryEstimate.For(c), concurrent);

    /// <summary>Refuses when <paramref name="concurrent"/> runs of the given estimate exceed <see cref="Available"/>.</summary>
    public static MemoryEstimate Check(MemoryEstimate estimate, int concurrent = 1)
    {
        var (available, source) = Available();
        return Check(estimate, concurrent, available, source);
    }

    /// <summary>The check against a given number of available bytes (tests pass small figures here).</summary>
    internal static MemoryEstimate Check(MemoryEstimate estimate, int concurrent, long available, string source)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        long need = MemoryEstimate.Mul(estimate.Total, Math.Max(1, concurrent));
        if (need > available)
        {
            string runs = concurrent > 1 ? $"{concurrent} concurrent runs need {MemoryEstimate.Bytes(need)}, each " : "this config needs ";
            throw new ConfigException("memory", $"{runs}{estimate.Describe()}, but {MemoryEstimate.Bytes(available)} are available ({source}); "
                + (concurrent > 1 ? "use fewer --jobs, " : "use ") + "fewer agents, a smaller space.m, fewer demand frames or a sparser topology.");
        }
        return estimate;
    }

    /// <summary>Bytes of memory per byte of JSON parsed into a node tree (JsonNode objects per number, measured ≈ 10).</summary>
    public const long JsonNodeBytesPerByte = 16;

    /// <summary>Refuses (key <paramref name="key"/>, exit 2) reading a JSON file whose node tree would not fit in memory.</summary>
    public static void CheckJsonFile(string key, long fileBytes)
    {
        long need = MemoryEstimate.Sat(MemoryEstimate.BaseBytes, MemoryEstimate.Mul(fileBytes, JsonNodeBytesPerByte));
        var (available, source) = Available();
        if (need > available)
            throw new ConfigException(key, $"reading this {MemoryEstimate.Bytes(fileBytes)} file needs about {MemoryEstimate.Bytes(need)}, but {MemoryEstimate.Bytes(available)} are available ({source}).");
    }
}
