// The AI-compute fleet of the computing case study (issue 16 part 2), as a DPS: device types are the agents, their
// resource the share of the budget they take, their skill the throughput profile over the job types (a roofline:
// min(peak FLOP/s, memory bandwidth × arithmetic intensity), slowed by the job's communication at each link class:
// the device's scale-up link (NVLink, or PCIe where it has none), the rack network and the datacentre spine); the
// demand is the job mix. A fleet buys n_t devices of each type and routes work to them in every frame of a day (the
// inference load swings between day and night, training is deferrable), so a type that is good at few jobs idles when
// their load is low: specialisation costs utilisation. Serving a request's prefill and decode on different types moves
// its KV cache over case.kvLink and costs the prefill device that time: heterogeneity costs communication.
// The design that maximises throughput (a multiple θ of the job mix, met in every frame) under the budget is a linear
// program over the counts and the routing, solved exactly (Optim/LinearProgram.cs); the baselines are the same program
// with the device types restricted (k types, one type: a homogeneous fleet with routing) or the budget shares fixed
// (equal shares: a flat heterogeneous fleet; the mix designed for the mean load).
//
// Units: work on job type j is counted in reference-device-seconds (what the reference device, the catalogue's first,
// does in a second), so the mean mix needs share_j of a reference device per unit of θ; a device of type t needs
// h_tj = r_ref,j / r_tj device-seconds per unit of work on j. The budget is one fully busy reference device's, so θ is
// the throughput per unit of budget relative to a reference-device fleet without idle time.
using DpsTorch.Config;
using DpsTorch.Optim;

namespace DpsTorch.Model;

/// <summary>An accelerator of the catalogue, with the published figures the fleet case uses.</summary>
/// <param name="Kind">Which device.</param>
/// <param name="Name">Its product name.</param>
/// <param name="PeakFlops">Dense BF16 tensor throughput, FLOP/s (without structured sparsity).</param>
/// <param name="MemoryBandwidth">HBM or GDDR bandwidth, bytes/s.</param>
/// <param name="Memory">Device memory, bytes.</param>
/// <param name="ScaleUpBandwidth">Per-direction bandwidth of the link between devices of a server (NVLink or Infinity Fabric; PCIe Gen4 ×16 where there is none), bytes/s.</param>
/// <param name="Power">Maximum board power (TDP), W.</param>
/// <param name="Price">Approximate purchase price in US dollars (press reports and resellers, not a vendor list price: no vendor publishes one).</param>
/// <param name="Source">Where the figures are from.</param>
public sealed record FleetDevice(FleetDeviceKind Kind, string Name, double PeakFlops, double MemoryBandwidth, double Memory, double ScaleUpBandwidth,
    double Power, double Price, string Source);

/// <summary>The job types of the fleet's demand.</summary>
public enum FleetJob
{
    /// <summary>Pre-training of a large model (compute-bound, heavy tensor- and data-parallel traffic; deferrable).</summary>
    Pretrain,
    /// <summary>Fine-tuning (smaller micro-batches, lighter traffic; deferrable).</summary>
    Finetune,
    /// <summary>Inference prefill: the prompt in one forward pass (compute-bound).</summary>
    Prefill,
    /// <summary>Inference decode: one token per step per sequence (memory-bound).</summary>
    Decode,
}

/// <summary>A job type's roofline intensity, its memory footprint and its communication per FLOP at each link class.</summary>
/// <param name="Intensity">Arithmetic intensity, FLOP per byte of device memory traffic.</param>
/// <param name="Footprint">Bytes one model replica must hold (weights, and gradients, activations or KV caches); it sets the tensor-parallel degree t on each device.</param>
/// <param name="TensorBytes">Bytes per FLOP over the tensor-parallel link for each rank beyond the first: the traffic is (t − 1)·TensorBytes.</param>
/// <param name="RackBytes">Bytes per FLOP over the rack network (data parallelism).</param>
/// <param name="DatacentreBytes">Bytes per FLOP across racks.</param>
public sealed record FleetJobProfile(double Intensity, double Footprint, double TensorBytes, double RackBytes, double DatacentreBytes);

/// <summary>The device catalogue and the job profiles of the fleet case, with their sources.</summary>
public static class FleetCatalogue
{
    /// <summary>Per-direction bandwidth of PCIe Gen4 ×16 (PCI-SIG: 16 GT/s × 16 lanes, 128b/130b): 31.5 GB/s.</summary>
    public const double PcieGen4 = 31.5e9;
    /// <summary>Rack network per device: one 400 Gb/s NIC (InfiniBand NDR / ConnectX-7) = 50 GB/s per direction.</summary>
    public const double RackBandwidth = 50e9;
    /// <summary>Across racks: the rack bandwidth through a 4:1 oversubscribed spine (an assumption, typical of non-blocking-at-the-rack designs).</summary>
    public const double DatacentreBandwidth = RackBandwidth / 4;
    /// <summary>Parameters of the served and trained model (a dense 70B transformer, Llama-2-70B-like).</summary>
    public const double ModelParameters = 70e9;
    /// <summary>KV-cache bytes per token of that model: 2 (K, V) × 80 layers × 8 KV heads × 128 dims × 2 bytes (BF16, grouped-query attention).</summary>
    public const double KvBytesPerToken = 2.0 * 80 * 8 * 128 * 2;

    /// <summary>The device's figures (datasheet values; prices approximate, see <see cref="FleetDevice.Price"/>).</summary>
    public static FleetDevice Device(FleetDeviceKind kind) => kind switch
    {
        FleetDeviceKind.H100 => new(kind, "NVIDIA H100 SXM5", 989.4e12, 3.35e12, 80e9, 450e9, 700, 30_000,
            "NVIDIA H100 Tensor Core GPU datasheet (BF16 1979 TFLOPS with sparsity, 80 GB HBM3 at 3.35 TB/s, NVLink 900 GB/s, up to 700 W)"),
        FleetDeviceKind.H200 => new(kind, "NVIDIA H200 SXM", 989.4e12, 4.8e12, 141e9, 450e9, 700, 35_000,
            "NVIDIA H200 Tensor Core GPU datasheet (BF16 1979 TFLOPS with sparsity, 141 GB HBM3e at 4.8 TB/s, NVLink 900 GB/s, up to 700 W)"),
        FleetDeviceKind.A100 => new(kind, "NVIDIA A100 SXM4 80GB", 312e12, 2.039e12, 80e9, 300e9, 400, 15_000,
            "NVIDIA A100 Tensor Core GPU datasheet (BF16 312 TFLOPS, 80 GB HBM2e at 2,039 GB/s, NVLink 600 GB/s, 400 W)"),
        FleetDeviceKind.L40s => new(kind, "NVIDIA L40S", 362.05e12, 0.864e12, 48e9, PcieGen4, 350, 8_000,
            "NVIDIA L40S datasheet (BF16 733 TFLOPS with sparsity, 48 GB GDDR6 at 864 GB/s, PCIe Gen4 x16, 350 W)"),
        FleetDeviceKind.L4 => new(kind, "NVIDIA L4", 121e12, 0.3e12, 24e9, PcieGen4, 72, 2_500,
            "NVIDIA L4 Tensor Core GPU datasheet (BF16 242 TFLOPS with sparsity, 24 GB GDDR6 at 300 GB/s, PCIe Gen4 x16, 72 W)"),
        FleetDeviceKind.Mi300x => new(kind, "AMD Instinct MI300X", 1307.4e12, 5.3e12, 192e9, 448e9, 750, 15_000,
            "AMD Instinct MI300X data sheet (BF16 1307.4 TFLOPS dense, 192 GB HBM3 at 5.3 TB/s, Infinity Fabric 896 GB/s, 750 W)"),
        _ => throw Choices.Unknown("case.devices", kind),
    };

    /// <summary>Devices per server: tensor parallelism beyond it crosses the rack network.</summary>
    public const int ServerSize = 8;

    /// <summary>
    /// The job profiles (assumptions of this case, for a dense 70B model P in BF16 with hidden size h = 8192).
    /// Pre-training: micro-batches large enough to be compute-bound everywhere (1000 FLOP/B); a replica holds weights
    /// and gradients in BF16 with optimizer states sharded over the data-parallel ranks, plus activations: 4P·1.2 bytes;
    /// tensor parallelism moves 4 ring all-reduces of 2h bytes per layer and token (2 forward, 2 backward), about
    /// 2·4·2h·(t − 1)/(72h²) = (t − 1)·2.7e-5 B/FLOP; data parallelism (4 bytes of gradient per parameter per 6 FLOP per
    /// parameter and token, 65k tokens per replica) 1e-5 B/FLOP, half of it across racks. Fine-tuning (LoRA on frozen
    /// weights): 250 FLOP/B, footprint 2P·1.15, the same tensor traffic per FLOP, 5e-6 B/FLOP in the rack. Prefill:
    /// intensity = prompt tokens (a prompt's tokens share one read of the weights); decode: <see cref="DecodeIntensity"/>;
    /// both hold the weights and the batch's KV caches, 2P + B·kv·(prompt + output), and move 2 all-reduces per layer
    /// and token, (t − 1)/(3h) = (t − 1)·4.1e-5 B/FLOP.
    /// </summary>
    public static FleetJobProfile Profile(FleetJob job, CaseConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        const double h = 8192, p = ModelParameters;
        double inference = 2 * p + c.DecodeBatch * KvBytesPerToken * (c.PromptTokens + c.OutputTokens);
        return job switch
        {
            FleetJob.Pretrain => new(1000, 4 * p * 1.2, 2 * 4 * 2 * h / (72 * h * h), 5e-6, 5e-6),
            FleetJob.Finetune => new(250, 2 * p * 1.15, 2 * 4 * 2 * h / (72 * h * h), 5e-6, 0),
            FleetJob.Prefill => new(c.PromptTokens, inference, 1 / (3 * h), 0, 0),
            FleetJob.Decode => new(DecodeIntensity(c), inference, 1 / (3 * h), 0, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(job), job, "a FleetJob"),
        };
    }

    /// <summary>The tensor-parallel degree of a job on a device: the smallest power of two t with t × memory ≥ footprint.</summary>
    public static int TensorParallel(FleetDevice d, FleetJobProfile job)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(job);
        int t = 1;
        while (t * d.Memory < job.Footprint) t *= 2;
        return t;
    }

    /// <summary>Decode's arithmetic intensity: 2·P·B FLOP per step over 2P bytes of weights plus B KV caches of (prompt + output/2) tokens.</summary>
    public static double DecodeIntensity(CaseConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        double b = c.DecodeBatch;
        return 2 * ModelParameters * b / (2 * ModelParameters + b * KvBytesPerToken * (c.PromptTokens + c.OutputTokens / 2.0));
    }

    /// <summary>
    /// Achieved throughput (FLOP/s) of <paramref name="d"/> on a job: the roofline min(peak, bandwidth × intensity), with
    /// the communication not overlapped: 1/r = 1/roofline + (t − 1)·tensor bytes / tensor link + rack bytes / rack
    /// bandwidth + datacentre bytes / spine bandwidth, where t is <see cref="TensorParallel"/> and the tensor link is
    /// the device's scale-up link inside a server (t ≤ 8) and the slower of it and the rack network beyond.
    /// </summary>
    public static double Throughput(FleetDevice d, FleetJobProfile job)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(job);
        double roof = Math.Min(d.PeakFlops, d.MemoryBandwidth * job.Intensity);
        int t = TensorParallel(d, job);
        double tensorLink = t <= ServerSize ? d.ScaleUpBandwidth : Math.Min(d.ScaleUpBandwidth, RackBandwidth);
        return 1 / (1 / roof + (t - 1) * job.TensorBytes / tensorLink + job.RackBytes / RackBandwidth + job.DatacentreBytes / DatacentreBandwidth);
    }
}

/// <summary>
/// One fleet-design problem in reference-device units (see the file header): device times per unit of work, the mean
/// mix, the inference request shape, the frames and the budget's prices.
/// </summary>
/// <param name="Devices">The catalogue (the first is the reference).</param>
/// <param name="Hours">h[t, j]: device-seconds of type t per reference-device-second of work on job j, row-major T × 4 (order of <see cref="FleetJob"/>).</param>
/// <param name="Pretrain">Pre-training demand per unit θ (reference-device-seconds per second, over the day).</param>
/// <param name="Finetune">Fine-tuning demand per unit θ.</param>
/// <param name="Inference">Mean inference demand per unit θ (reference-device-seconds per second).</param>
/// <param name="PrefillFraction">φ: the reference device's share of a request's time spent in prefill (decode: 1 − φ).</param>
/// <param name="Transfer">Device-seconds (per reference-device-second of inference) the prefill device spends sending the KV cache when the decode runs on another type.</param>
/// <param name="Swing">Inference is (1 + s)× the mean by day and (1 − s)× by night, each half of the day.</param>
/// <param name="Fixed">k_t: budget per device held (power: its TDP plus the host power; cost: price per hour of life plus the idle and host electricity), relative to the budget unit.</param>
/// <param name="Busy">e_t: extra budget per busy device (cost: the electricity above idle; power: 0), relative to the budget unit.</param>
/// <param name="IdlePower">Fraction of its TDP an idle device draws.</param>
/// <param name="HostPower">Power per device beyond the accelerator (host share, NIC, switch port), W, drawn whenever held.</param>
/// <param name="HourlyPrice">Purchase price (accelerator and host share) per hour of life of each type, dollars.</param>
/// <param name="ElectricityPrice">Dollars per kWh.</param>
public sealed record FleetProblem(IReadOnlyList<FleetDevice> Devices, double[] Hours, double Pretrain, double Finetune, double Inference,
    double PrefillFraction, double Transfer, double Swing, double[] Fixed, double[] Busy, double IdlePower, double HostPower, double[] HourlyPrice, double ElectricityPrice)
{
    /// <summary>Job types.</summary>
    public const int Jobs = 4;

    /// <summary>Device types.</summary>
    public int Types => Devices.Count;

    /// <summary>h[t, j].</summary>
    public double H(int t, FleetJob j) => Hours[t * Jobs + (int)j];

    /// <summary>
    /// The problem of <paramref name="c"/>'s catalogue and mix, with every throughput multiplied by
    /// <paramref name="efficiency"/>[t, j] (null: 1, the roofline) and the shares replaced by <paramref name="shares"/> (null: c.Shares).
    /// </summary>
    public static FleetProblem Of(CaseConfig c, double[]? efficiency = null, IReadOnlyList<double>? shares = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        var devices = c.Devices.Select(FleetCatalogue.Device).ToArray();
        int types = devices.Length;
        if (efficiency is not null && efficiency.Length != types * Jobs)
            throw new ArgumentException($"efficiency has {efficiency.Length} entries, expected devices × jobs = {types} × {Jobs}.", nameof(efficiency));
        var r = new double[types * Jobs];
        for (int t = 0; t < types; t++)
            for (int j = 0; j < Jobs; j++)
                r[t * Jobs + j] = FleetCatalogue.Throughput(devices[t], FleetCatalogue.Profile((FleetJob)j, c)) * (efficiency?[t * Jobs + j] ?? 1);
        var hours = new double[types * Jobs];
        for (int t = 0; t < types; t++)
            for (int j = 0; j < Jobs; j++) hours[t * Jobs + j] = r[j] / r[t * Jobs + j];

        var s = shares ?? c.Shares;
        double total = s[0] + s[1] + s[2];
        double prefillFlops = 2 * FleetCatalogue.ModelParameters * c.PromptTokens, decodeFlops = 2 * FleetCatalogue.ModelParameters * c.OutputTokens;
        double prefillSeconds = prefillFlops / r[(int)FleetJob.Prefill], decodeSeconds = decodeFlops / r[(int)FleetJob.Decode];
        double request = prefillSeconds + decodeSeconds;
        double kvBytes = FleetCatalogue.KvBytesPerToken * c.PromptTokens;
        double link = c.KvLink == FleetLink.Rack ? FleetCatalogue.RackBandwidth : FleetCatalogue.DatacentreBandwidth;

        double hoursPerYear = 365.25 * 24;
        var hourly = devices.Select(d => (d.Price + c.HostPrice) / (c.LifetimeYears * hoursPerYear)).ToArray();
        double[] fixedCost = new double[types], busyCost = new double[types];
        for (int t = 0; t < types; t++)
        {
            var d = devices[t];
            if (c.Budget == FleetBudget.Power) { fixedCost[t] = d.Power + c.HostPower; busyCost[t] = 0; }
            else
            {
                double kwhPrice = c.ElectricityPrice / 1000;
                fixedCost[t] = hourly[t] + (c.IdlePower * d.Power + c.HostPower) * kwhPrice;
                busyCost[t] = (1 - c.IdlePower) * d.Power * kwhPrice;
            }
        }
        double unit = fixedCost[0] + busyCost[0];
        for (int t = 0; t < types; t++) { fixedCost[t] /= unit; busyCost[t] /= unit; }
        return new FleetProblem(devices, hours, s[0] / total, s[1] / total, s[2] / total, prefillSeconds / request,
            kvBytes / link / request, c.Swing, fixedCost, busyCost, c.IdlePower, c.HostPower, hourly, c.ElectricityPrice);
    }
}

/// <summary>A solved fleet: counts, routing and the numbers a practitioner reads.</summary>
/// <param name="Theta">Throughput: the multiple of the job mix served in every frame, per unit of budget (a reference-device fleet without idle time: 1).</param>
/// <param name="Counts">n_t: devices of each type (per unit of budget).</param>
/// <param name="BusyDevices">Devices of each type busy, averaged over the day.</param>
/// <param name="Work">Work done per job type and device type, averaged over the day (reference-device-seconds per second), row-major T × 4.</param>
/// <param name="Split">Share of the inference requests whose prefill and decode run on different device types.</param>
/// <param name="Status">How the linear program ended. A design of the DPS trainer (<paramref name="Training"/> not null) solves no program and carries Optimal by convention: read its <see cref="FleetTraining.Converged"/>.</param>
/// <param name="Training">Null for the linear program; for the DPS trainer (case.solver "dps", Model/FleetDps.cs) its verdict and starts.</param>
public sealed record FleetDesign(double Theta, double[] Counts, double[] BusyDevices, double[] Work, double Split, LinearProgramStatus Status,
    FleetTraining? Training = null);

/// <summary>Builds and solves the fleet's linear program.</summary>
public static class FleetSolver
{
    /// <summary>Weight of the tie-break that, among designs of the same throughput, takes the one that draws least energy (relative to θ's weight 1).</summary>
    public const double EnergyTieBreak = 1e-7;

    /// <summary>
    /// The design of most throughput: the counts free over <paramref name="allowed"/> (null: every type), or, when
    /// <paramref name="proportions"/> is given, the counts fixed to s·π_t with only the scale s free (a fleet whose mix
    /// is decided beforehand; π_t = 0 leaves the type out). The routing is optimal in every case.
    /// </summary>
    public static FleetDesign Solve(FleetProblem p, IReadOnlyList<int>? allowed = null, IReadOnlyList<double>? proportions = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        int types = p.Types;
        var use = new bool[types];
        if (proportions is not null)
        {
            if (proportions.Count != types) throw new ArgumentException($"proportions has {proportions.Count} entries, expected {types} device types.", nameof(proportions));
            for (int t = 0; t < types; t++) use[t] = proportions[t] > 0;
        }
        else if (allowed is null) Array.Fill(use, true);
        else foreach (int t in allowed) use[t] = true;
        var on = Enumerable.Range(0, types).Where(t => use[t]).ToArray();
        if (on.Length == 0) throw new ArgumentException("No device type is allowed.", nameof(allowed));

        // Variables: θ; counts (one per allowed type, or the one scale s); per frame f and allowed t: pre-training and
        // fine-tuning work x; per frame and allowed pair (t, u): inference with prefill on t and decode on u, y.
        var v = new Layout(on, proportions is not null);
        int frames = 2, rows = 1 + on.Length * frames + 2 + frames;
        var a = new double[rows * v.Count];
        var b = new double[rows];
        var c = new double[v.Count];
        double[] tau = [0.5, 0.5], load = [1 + p.Swing, 1 - p.Swing];
        c[v.Theta] = 1;

        // Budget row 0: Σ k_t n_t + Σ τ_f e_t (device-seconds busy) ≤ 1.
        b[0] = 1;
        for (int k = 0; k < on.Length; k++)
        {
            int t = on[k];
            if (v.Scaled) a[v.Count0] += p.Fixed[t] * proportions![t];
            else a[v.CountOf(k)] = p.Fixed[t];
        }
        for (int f = 0; f < frames; f++)
        {
            for (int k = 0; k < on.Length; k++)
            {
                int t = on[k];
                // Device-time rows 1 + f·T' + k: busy device-seconds of type t in frame f − n_t ≤ 0.
                int row = 1 + f * on.Length + k;
                if (v.Scaled) a[row * v.Count + v.Count0] = -proportions![t];
                else a[row * v.Count + v.CountOf(k)] = -1;
                foreach (var (job, x) in new[] { (FleetJob.Pretrain, v.Train(f, k, 0)), (FleetJob.Finetune, v.Train(f, k, 1)) })
                {
                    double h = p.H(t, job);
                    a[row * v.Count + x] += h;
                    Busy(a, c, p, x, t, tau[f] * h);
                }
                for (int l = 0; l < on.Length; l++)
                {
                    int u = on[l];
                    // Prefill on t (and the transfer when u ≠ t), decode on u.
                    int y = v.Infer(f, k, l);
                    double pre = p.PrefillFraction * p.H(t, FleetJob.Prefill) + (u == t ? 0 : p.Transfer);
                    a[row * v.Count + y] += pre;
                    Busy(a, c, p, y, t, tau[f] * pre);
                    int rowU = 1 + f * on.Length + l;
                    double dec = (1 - p.PrefillFraction) * p.H(u, FleetJob.Decode);
                    a[rowU * v.Count + y] += dec;
                    Busy(a, c, p, y, u, tau[f] * dec);
                }
            }
        }
        // Deferrable training: θ·D_j − Σ_f τ_f Σ_t x ≤ 0.
        int train0 = 1 + on.Length * frames;
        a[train0 * v.Count + v.Theta] = p.Pretrain;
        a[(train0 + 1) * v.Count + v.Theta] = p.Finetune;
        for (int f = 0; f < frames; f++)
            for (int k = 0; k < on.Length; k++)
            {
                a[train0 * v.Count + v.Train(f, k, 0)] = -tau[f];
                a[(train0 + 1) * v.Count + v.Train(f, k, 1)] = -tau[f];
            }
        // Inference in every frame: θ·λ_f − Σ y ≤ 0.
        for (int f = 0; f < frames; f++)
        {
            int row = train0 + 2 + f;
            a[row * v.Count + v.Theta] = p.Inference * load[f];
            for (int k = 0; k < on.Length; k++)
                for (int l = 0; l < on.Length; l++) a[row * v.Count + v.Infer(f, k, l)] = -1;
        }

        var lp = LinearProgram.Maximize(c, a, b);
        return Read(p, on, v, lp, proportions, tau);
    }

    /// <summary>Adds the budget's busy cost and the energy tie-break of <paramref name="deviceSeconds"/> on type t to variable x.</summary>
    private static void Busy(double[] a, double[] c, FleetProblem p, int x, int t, double deviceSeconds)
    {
        a[x] += p.Busy[t] * deviceSeconds;
        c[x] -= EnergyTieBreak * p.Devices[t].Power / p.Devices[0].Power * deviceSeconds;
    }

    private static FleetDesign Read(FleetProblem p, int[] on, Layout v, LinearProgramResult lp, IReadOnlyList<double>? proportions, double[] tau)
    {
        int types = p.Types, frames = tau.Length;
        var x = lp.X;
        var counts = new double[types];
        for (int k = 0; k < on.Length; k++) counts[on[k]] = v.Scaled ? x[v.Count0] * proportions![on[k]] : x[v.CountOf(k)];
        var busy = new double[types];
        var work = new double[types * FleetProblem.Jobs];
        double split = 0, inference = 0;
        for (int f = 0; f < frames; f++)
            for (int k = 0; k < on.Length; k++)
            {
                int t = on[k];
                double pt = x[v.Train(f, k, 0)], ft = x[v.Train(f, k, 1)];
                busy[t] += tau[f] * (pt * p.H(t, FleetJob.Pretrain) + ft * p.H(t, FleetJob.Finetune));
                work[t * FleetProblem.Jobs + (int)FleetJob.Pretrain] += tau[f] * pt;
                work[t * FleetProblem.Jobs + (int)FleetJob.Finetune] += tau[f] * ft;
                for (int l = 0; l < on.Length; l++)
                {
                    int u = on[l];
                    double y = x[v.Infer(f, k, l)];
                    busy[t] += tau[f] * y * (p.PrefillFraction * p.H(t, FleetJob.Prefill) + (u == t ? 0 : p.Transfer));
                    busy[u] += tau[f] * y * (1 - p.PrefillFraction) * p.H(u, FleetJob.Decode);
                    work[t * FleetProblem.Jobs + (int)FleetJob.Prefill] += tau[f] * y * p.PrefillFraction;
                    work[u * FleetProblem.Jobs + (int)FleetJob.Decode] += tau[f] * y * (1 - p.PrefillFraction);
                    inference += tau[f] * y;
                    if (u != t) split += tau[f] * y;
                }
            }
        return new FleetDesign(x[v.Theta], counts, busy, work, inference > 0 ? split / inference : 0, lp.Status);
    }

    /// <summary>Where each variable of the program sits.</summary>
    private sealed class Layout(int[] on, bool scaled)
    {
        private readonly int _t = on.Length;
        public bool Scaled { get; } = scaled;
        public int Theta => 0;
        public int Count0 => 1;
        public int CountOf(int k) => 1 + k;
        private int Counts => Scaled ? 1 : _t;
        private int PerFrame => 2 * _t + _t * _t;
        public int Train(int f, int k, int job) => 1 + Counts + f * PerFrame + 2 * k + job;
        public int Infer(int f, int k, int l) => 1 + Counts + f * PerFrame + 2 * _t + k * _t + l;
        public int Count => 1 + Counts + 2 * PerFrame;
    }
}

/// <summary>Closed-form optima of special cases of the fleet program, computed without it (the case's reference results).</summary>
public static class FleetReference
{
    /// <summary>
    /// The homogeneous fleet of type t with optimal routing: with g = φ h_pre + (1 − φ) h_dec the device-seconds per
    /// unit of inference (prefill and decode on the same type, no transfer) and A = λ̄ g + D_pre h_pre-train + D_ft h_ft
    /// the mean busy time per unit θ, the day needs n ≥ θ (1 + s) λ̄ g and the whole day n ≥ θ A (training fills the
    /// night); the budget k n + e θ A = 1 then gives θ = 1 / (k·max((1 + s) λ̄ g, A) + e·A).
    /// </summary>
    public static double Homogeneous(FleetProblem p, int t)
    {
        ArgumentNullException.ThrowIfNull(p);
        double g = p.PrefillFraction * p.H(t, FleetJob.Prefill) + (1 - p.PrefillFraction) * p.H(t, FleetJob.Decode);
        double mean = p.Inference * g + p.Pretrain * p.H(t, FleetJob.Pretrain) + p.Finetune * p.H(t, FleetJob.Finetune);
        double peak = (1 + p.Swing) * p.Inference * g;
        return 1 / (p.Fixed[t] * Math.Max(peak, mean) + p.Busy[t] * mean);
    }

    /// <summary>
    /// A mix of deferrable jobs only (no inference): nothing need idle, so every unit of work on job j goes to the type
    /// with the least budget per unit, min_t (k_t + e_t) h_tj, and θ = 1 / Σ_j D_j min_t (k_t + e_t) h_tj.
    /// </summary>
    public static double TrainingOnly(FleetProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Inference != 0) throw new ArgumentException($"TrainingOnly needs a mix without inference; this one has inference share {p.Inference}.", nameof(p));
        double sum = 0;
        foreach (var (job, demand) in new[] { (FleetJob.Pretrain, p.Pretrain), (FleetJob.Finetune, p.Finetune) })
        {
            double best = double.PositiveInfinity;
            for (int t = 0; t < p.Types; t++) best = Math.Min(best, (p.Fixed[t] + p.Busy[t]) * p.H(t, job));
            sum += demand * best;
        }
        return 1 / sum;
    }
}
