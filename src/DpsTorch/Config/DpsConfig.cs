// The experiment configuration as immutable records (MODEL.md sections 1-3). Every [choice] of MODEL.md is a field
// here with its default, closed choices as the enums of Choices.cs; ConfigLoader.cs reads and validates JSON into
// these records.
namespace DpsTorch.Config;

/// <summary>A whole experiment: the system, its objective, how to train it and what to measure.</summary>
public sealed record DpsConfig
{
    /// <summary>Free text naming the experiment.</summary>
    public string? Name { get; init; }
    /// <summary>One line on what the experiment shows.</summary>
    public string? Description { get; init; }
    /// <summary>The operation space (grid size M).</summary>
    public SpaceConfig Space { get; init; } = new();
    /// <summary>The agents: count, parametrisation and initialisation.</summary>
    public AgentsConfig Agents { get; init; } = new();
    /// <summary>The demand D(x) the system should cover.</summary>
    public DemandConfig Demand { get; init; } = new();
    /// <summary>The interaction graph Q.</summary>
    public TopologyConfig Topology { get; init; } = new();
    /// <summary>The coverage objective and its penalties.</summary>
    public ObjectiveConfig Objective { get; init; } = new();
    /// <summary>How to optimise.</summary>
    public TrainingConfig Training { get; init; } = new();
    /// <summary>What to measure on the trained system.</summary>
    public MeasuresConfig Measures { get; init; } = new();
    /// <summary>The levels of a nested system, bottom first (MODEL.md section 4); null for a flat system.</summary>
    public IReadOnlyList<LevelConfig>? Levels { get; init; }
    /// <summary>A case study run instead of one system (CaseConfig.cs); null for an ordinary config.</summary>
    public CaseConfig? Case { get; init; }
}

/// <summary>The operation space: M grid points on the circle, or M^d on the torus T^d.</summary>
public sealed record SpaceConfig
{
    /// <summary>Number of grid points per dimension (default 256).</summary>
    public int M { get; init; } = 256;

    /// <summary>Largest number of dimensions d of the torus T^d.</summary>
    public const int MaxDimensions = 3;

    /// <summary>
    /// Dimensions d of the operation space T^d (default 1, the circle): agents get a location and a breadth per
    /// dimension (product wrapped normals), the grid has M^d points. Written to JSON only when d &gt; 1, so that a
    /// circle's config reads and writes exactly as before the key existed.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Dimensions { get => DimensionsKey ?? 1; init => DimensionsKey = value == 1 ? null : value; }

    /// <summary>The JSON form of <see cref="Dimensions"/>: null for the circle (d = 1).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("dimensions")]
    public int? DimensionsKey { get; init; }

    /// <summary>Grid points in all, M^d.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long Points
    {
        get
        {
            long p = 1;
            for (int k = 0; k < Dimensions; k++) p *= M;
            return p;
        }
    }
}

/// <summary>The agent population and its parametrisation.</summary>
public sealed record AgentsConfig
{
    /// <summary>Number of agents N.</summary>
    public int Count { get; init; } = 12;
    /// <summary>"budget": a = R·softmax(α) (fixed total R); "soft": a = softplus(α) with a budget penalty λ_R (Σa − R)².</summary>
    public ResourceMode Resources { get; init; } = ResourceMode.Budget;
    /// <summary>Total resource R; null means R = N.</summary>
    public double? Budget { get; init; }
    /// <summary>Smallest breadth σ_min; null means one grid spacing 2π/M.</summary>
    public double? SigmaMin { get; init; }
    /// <summary>
    /// "auto" (default: restart 0 starts at the demand's modes, restart 1 spread, restart 2 homogeneous, later ones
    /// random; the best loss is kept), "modes" (clones at the demand's modes with its widths and masses, interleaved
    /// along the agents' order: Model/Search/StructuredStarts.cs; spread for a flat demand),
    /// "spread" (μ evenly spread plus jitter, narrow σ: finds multi-peak optima), "homogeneous" (all μ and σ equal plus
    /// tiny jitter: watch heterogeneity appear; finds single-peak optima), "random" (uniform μ).
    /// </summary>
    public InitKind Init { get; init; } = InitKind.Auto;
    /// <summary>Initial breadth σ; null means 2π/(4N) for "spread" (narrow), 1.0 for "homogeneous", 0.5 for "random".</summary>
    public double? InitSigma { get; init; }
    /// <summary>Size of the random jitter added at initialisation (radians for μ, relative for σ).</summary>
    public double Jitter { get; init; } = 0.01;
    /// <summary>
    /// Whether a "spread" start is the lattice turned by a seed-drawn fraction u of its spacing, μ_i = 2π(i + u)/N
    /// (default, so that seeds give genuinely different starts), or the fixed lattice μ_i = 2πi/N (seeds then differ
    /// by the jitter only).
    /// </summary>
    public bool SpreadTurn { get; init; } = true;
    /// <summary>
    /// A homogeneous fleet: one agent type (μ, σ) trained with the whole budget, then cloned into N identical agents
    /// with equal resources (the baseline of MODEL.md section 5, prediction 4).
    /// </summary>
    public bool Homogeneous { get; init; }

    /// <summary>
    /// The skill density's covariance on T^d, d &gt; 1: "diagonal" (default, product wrapped normals) or "full" (a
    /// wrapped multivariate normal of covariance L Lᵀ, L's diagonal σ_min + softplus(ρ), its off-diagonal entries
    /// trained from 0). Written to JSON only when "full", so a config without the key reads and writes as before.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public CovarianceKind Covariance { get => CovarianceKey ?? CovarianceKind.Diagonal; init => CovarianceKey = value == CovarianceKind.Diagonal ? null : value; }

    /// <summary>The JSON form of <see cref="Covariance"/>: null for "diagonal".</summary>
    [System.Text.Json.Serialization.JsonPropertyName("covariance")]
    public CovarianceKind? CovarianceKey { get; init; }
}

/// <summary>The demand D(x) on the circle.</summary>
public sealed record DemandConfig
{
    /// <summary>"peaks" (K equal, evenly spaced wrapped normals), "mixture" (explicit centers/widths/weights), "uniform", "dirac" (one peak one grid spacing wide), "histogram" (CSV file), "drifting" (peaks whose centres drift over time).</summary>
    public DemandKind Kind { get; init; } = DemandKind.Peaks;
    /// <summary>Number of peaks K for "peaks" and "drifting".</summary>
    public int Peaks { get; init; } = 3;
    /// <summary>Width σ of each peak for "peaks" and "drifting".</summary>
    public double Width { get; init; } = 0.15;
    /// <summary>Position of the first peak (radians).</summary>
    public double Phase { get; init; }
    /// <summary>Peak centres for "mixture": K numbers on the circle, K·d on T^d (peak by peak: x0, y0, x1, y1, ... for d = 2).</summary>
    public double[]? Centers { get; init; }
    /// <summary>Peak widths for "mixture": one per peak, or on T^d one per peak and dimension (K·d, peak by peak).</summary>
    public double[]? Widths { get; init; }
    /// <summary>Peak weights for "mixture" (normalised).</summary>
    public double[]? Weights { get; init; }
    /// <summary>Total mass ∫D; null means R.</summary>
    public double? Mass { get; init; }
    /// <summary>CSV file for "histogram" (relative to the config file).</summary>
    public string? Path { get; init; }
    /// <summary>Drift of every peak centre per frame (radians) for "drifting".</summary>
    public double Drift { get; init; } = 0.1;
    /// <summary>Number of frames for "drifting".</summary>
    public int Frames { get; init; } = 8;
}

/// <summary>The interaction graph Q: fixed or learned, with the agents' spatial embedding and the propagation rule.</summary>
public sealed record TopologyConfig
{
    /// <summary>"none", "complete", "ring", "lattice", "star", "small-world", "random", "modular", "core-periphery", "hierarchical", "file".</summary>
    public TopologyKind Kind { get; init; } = TopologyKind.None;
    /// <summary>Neighbours on each side for "ring" and "small-world".</summary>
    public int K { get; init; } = 2;
    /// <summary>Lattice rows (cols = N / rows); null means the squarest factorisation of N.</summary>
    public int? Rows { get; init; }
    /// <summary>Whether the lattice wraps around.</summary>
    public bool Periodic { get; init; } = true;
    /// <summary>Edge probability for "random"; rewiring probability for "small-world".</summary>
    public double P { get; init; } = 0.1;
    /// <summary>Number of modules for "modular" and groups per level for "hierarchical".</summary>
    public int Modules { get; init; } = 3;
    /// <summary>Within-module edge probability for "modular".</summary>
    public double PIn { get; init; } = 0.9;
    /// <summary>Between-module edge probability for "modular".</summary>
    public double POut { get; init; } = 0.05;
    /// <summary>Fraction of agents in the core for "core-periphery".</summary>
    public double CoreFraction { get; init; } = 0.25;
    /// <summary>Edge-list file for "file" (relative to the config file).</summary>
    public string? Path { get; init; }
    /// <summary>Seed of random generators.</summary>
    public int Seed { get; init; }
    /// <summary>Weight of every edge of a fixed topology.</summary>
    public double Weight { get; init; } = 1.0;
    /// <summary>Learn Q = S ⊙ sigmoid(θ) on the support S (the graph of Kind; "none" or "complete" both mean complete here).</summary>
    public bool Learned { get; init; }
    /// <summary>Initial sigmoid(θ) of learned edges, in (0, 1).</summary>
    public double InitWeight { get; init; } = 0.5;
    /// <summary>Spatial embedding for distances: "ring" (index distance on a ring), "grid", "hops" (graph distance), "index" (|i − j|), "coordinates" (Euclidean, from <see cref="Coordinates"/>).</summary>
    public EmbeddingKind Embedding { get; init; } = EmbeddingKind.Ring;
    /// <summary>Agents' given positions for embedding "coordinates": N·d numbers, agent by agent (x0, y0, x1, y1, ... for d = 2).</summary>
    public double[]? Coordinates { get; init; }
    /// <summary>Exponent γ of the communication cost Σ Q_ij d_ij^γ.</summary>
    public double Gamma { get; init; } = 1.0;
    /// <summary>"direct": (I + Q) w; "power": (I + Q)^hops w; "communicability": exp(βQ) w.</summary>
    public Propagation Propagation { get; init; } = Propagation.Direct;
    /// <summary>Number of hops h for "power".</summary>
    public int Hops { get; init; } = 2;
    /// <summary>β of "communicability".</summary>
    public double CommunicabilityBeta { get; init; } = 1.0;

    /// <summary>The series exp(βQ) w = Σ_k (βQ)^k w / k! of "communicability" stops once a term's largest entry is at
    /// most this times the largest entry of w.</summary>
    public const double CommunicabilityTolerance = 1e-13;

    /// <summary>Most terms of the communicability series.</summary>
    public const int MaxCommunicabilityTerms = 200;

    /// <summary>Groups per level of a "hierarchical" topology: <see cref="Modules"/>, at least 2.</summary>
    public int HierarchyBranching() => Math.Max(2, Modules);

    /// <summary>The depth L of a "hierarchical" topology on <paramref name="n"/> agents, n = <see cref="HierarchyBranching"/>()^L;
    /// null when <paramref name="n"/> is no such power.</summary>
    public int? HierarchyDepth(int n)
    {
        int b = HierarchyBranching();
        int levels = (int)Math.Round(Math.Log(n) / Math.Log(b));
        return Math.Pow(b, levels) == n ? levels : null;
    }
}

/// <summary>The coverage objective and penalties (MODEL.md section 2).</summary>
public sealed record ObjectiveConfig
{
    /// <summary>"system": compare W = 1ᵀ(I+Q)w with D; "local": each agent's pooled density P_i with D/∫D.</summary>
    public ObjectiveKind Kind { get; init; } = ObjectiveKind.System;
    /// <summary>"squared" (default), "unmet" (softplus_β(D − W) + over-production weight), or "both".</summary>
    public MismatchKind Mismatch { get; init; } = MismatchKind.Squared;
    /// <summary>Sharpness β of the smooth unmet demand.</summary>
    public double UnmetBeta { get; init; } = 20.0;
    /// <summary>Weight of over-production in the "unmet" mismatch.</summary>
    public double OverWeight { get; init; } = 0.1;
    /// <summary>λ_C: weight of the communication cost.</summary>
    public double LambdaC { get; init; }
    /// <summary>λ_R: weight of the soft budget penalty (Σa − R)².</summary>
    public double LambdaR { get; init; }
    /// <summary>λ_σ: weight of the breadth cost Σσ².</summary>
    public double LambdaSigma { get; init; }
}

/// <summary>How to optimise (MODEL.md section 2, "Optimisation").</summary>
public sealed record TrainingConfig
{
    /// <summary>"adam", "sgd" or "lbfgs".</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Learning rate.</summary>
    public double Lr { get; init; } = 0.02;
    /// <summary>
    /// Learning-rate schedule: "cosine" (default: decays from lr to lr·minLrFraction over the steps, so Adam settles
    /// instead of oscillating around the optimum), "constant", or "step" (×0.5 every steps/4).
    /// </summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    /// <summary>Final learning rate of the cosine schedule, as a fraction of lr.</summary>
    public double MinLrFraction { get; init; } = 0.01;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Maximum number of steps.</summary>
    public int Steps { get; init; } = 1500;
    /// <summary>Seed of the initialisation and every random choice in training.</summary>
    public int Seed { get; init; }
    /// <summary>Record the loss and every measure every this many steps.</summary>
    public int LogEvery { get; init; } = 25;
    /// <summary>Independent starts (seeds hashed from (seed, restart), Model/Seeds.cs); the best final loss is kept. Four by default, so that
    /// agents.init "auto" tries a start at the demand's modes, a spread, a homogeneous and a random one.</summary>
    public int Restarts { get; init; } = 4;
    /// <summary>Fraction of the steps during which the demand is smoothed and sharpened back (0 turns continuation off).</summary>
    public double Continuation { get; init; }
    /// <summary>Width of the smoothing kernel at the start of continuation (radians).</summary>
    public double ContinuationWidth { get; init; } = 0.5;
    /// <summary>Stop when the relative loss change over Patience steps is below this.</summary>
    public double Tolerance { get; init; } = 1e-9;
    /// <summary>Window (steps) of the convergence test.</summary>
    public int Patience { get; init; } = 100;
    /// <summary>
    /// A run has converged when the RMS gradient ‖g‖₂/√P of its full loss is at most this (training stops as soon as
    /// it is, and summary.json's "converged" reports the test at the final parameters).
    /// </summary>
    public double GradTolerance { get; init; } = 1e-6;
    /// <summary>
    /// Most L-BFGS iterations of the polish after the first-order phase (Model/Search/Polish.cs), which stops early
    /// once the gradient passes <see cref="GradTolerance"/>; 0 turns it off; null (default) allows as many as
    /// <see cref="Steps"/> (Search.Polish.Iterations).
    /// </summary>
    public int? Polish { get; init; }
    /// <summary>
    /// Most damped Newton iterations (finite-difference Hessian, Optim/Newton.cs) after each polish's L-BFGS, toward the
    /// polish's gradient target; null (default) is 20 for objective.kind "fisher" and 0 (off) otherwise
    /// (Search.Polish.NewtonIterations); a system of more than Optim.Newton.MaxParameters trainable numbers skips it.
    /// </summary>
    public int? Newton { get; init; }
    /// <summary>
    /// Most passes of greedy pairwise agent swaps between graph nodes after training (Model/Search/Swaps.cs), followed by
    /// the polish again when a swap was kept; 0 turns them off. Only systems with edges are affected.
    /// </summary>
    public int Swaps { get; init; }
    /// <summary>
    /// Most re-seed moves after training (Model/Search/Reseed.cs): a starved agent, or one of a group of near-clones,
    /// moved to the peak of the unmet demand D − W, then the polish; each kept only when it lowers the loss, and the
    /// moves stop at the first that does not; 0 turns them off; null (default) is Search.Refinement.DefaultReseed, for
    /// flat and nested systems alike (a nested system re-seeds starved composites first, then leaves level by level).
    /// </summary>
    public int? Reseed { get; init; }
    /// <summary>
    /// Most split trials after training (Model/Search/Split.cs): an agent and a donor (starved or a near-clone) placed
    /// at μ ∓ σ/2, then the polish; each kept only when it lowers the loss; 0 turns them off; null (default) is
    /// Search.Refinement.DefaultSplit (a nested system splits leaves).
    /// </summary>
    public int? Split { get; init; }
    /// <summary>
    /// Basin hops after training (Model/Search/BasinHopping.cs): the best state perturbed, polished, and kept only when
    /// the loss drops; 0 turns them off.
    /// </summary>
    public int Hops { get; init; }
    /// <summary>
    /// Whether the restarts' first-order phase may run as one batched computation (Model/Search/BatchedTraining.cs:
    /// flat systems under the system objective, at most 64 agents, managed backend, Adam or SGD, no back-off, and no
    /// checkpoint folder: runs that checkpoint train one restart at a time); the per-start results are the
    /// one-at-a-time path's to rounding. Default true.
    /// </summary>
    public bool Batched { get; init; } = true;
    /// <summary>
    /// Learning-rate back-off on a non-finite loss or gradient: 0 (default) stops with an error naming the step and
    /// parameter; a factor in (0, 1) restores the last finite state, multiplies the learning rate by it and goes on
    /// (at most <see cref="MaxBackoffs"/> times).
    /// </summary>
    public double Backoff { get; init; }
    /// <summary>Largest number of back-offs before giving up.</summary>
    public int MaxBackoffs { get; init; } = 10;
    /// <summary>Write a checkpoint every this many steps (when the run has an output folder).</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>Which library computes the loss and gradients: "managed" (the engine) or "torchsharp" (the DpsTorch.TorchSharp
    /// add-on, libtorch autograd); the optimizer, checkpoints, guard and measures are the project's own either way.</summary>
    public TrainingBackend Backend { get; init; } = TrainingBackend.Managed;
    /// <summary>Where the torchsharp backend computes: "cpu", "cuda" or "cuda:N" (the managed backend runs on the CPU only).</summary>
    public string Device { get; init; } = "cpu";
}

/// <summary>What to measure on the trained system (MODEL.md section 3).</summary>
public sealed record MeasuresConfig
{
    /// <summary>Fractions f of agents removed for the robustness curve: ascending, from 0 to 1.</summary>
    public double[] Fractions { get; init; } = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    /// <summary>"random" (averaged over seeds), "resource" (highest resource first) or "degree" (highest degree first).</summary>
    public RemovalKind Removal { get; init; } = RemovalKind.Random;
    /// <summary>Random removal orders averaged.</summary>
    public int Seeds { get; init; } = 5;
    /// <summary>Re-optimisation steps for resilience (0 skips it).</summary>
    public int ResilienceSteps { get; init; } = 30;
    /// <summary>Largest hop radius for local heterogeneity.</summary>
    public int MaxRadius { get; init; } = 12;
    /// <summary>The summary measure the experiment is about: shown first on the run report's summary card and leading
    /// the sweep report (one of <see cref="HeadlineChoices"/>).</summary>
    public string Headline { get; init; } = "coverage";

    /// <summary>The summary.json measures <see cref="Headline"/> may name.</summary>
    public static readonly string[] HeadlineChoices =
    [
        "loss", "heterogeneity", "heterogeneityQ0", "heterogeneityQ2", "heterogeneityQInf", "types", "specialisation", "productivity",
        "totalProduction", "coverage", "efficiency", "communicationCost", "robustness", "resilience", "spatialScale",
        "resourceEfficiency", "amplification", "utilisation", "communicationEfficiency", "shapeCoverage",
    ];
}
