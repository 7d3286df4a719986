// Batched multi-start in Fourier space (issue 18): R starts of a small flat system whose squared mismatch is taken on
// Fourier coefficients instead of the grid (Parseval), with the starts side by side in SIMD lanes. A wrapped normal's
// coefficients are closed-form, e^{−h²σ²/2}·e^{ih(x₀−μ)}/2π, so a step costs O(N·H) harmonic recurrences per start
// (H ≈ 9.6/σ_min) plus, under the local objective, O(N²) closed-form overlaps, instead of O(N·M) exponentials.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DpsTorch.Ops;

public static partial class DpsKernels
{
    /// <summary>
    /// The coverage of R starts of N agents each on a uniform grid of M = 2^p points, computed in Fourier space, with
    /// its gradients (Model/FusedStep.cs uses it for <c>BatchedStarts</c>). Exactness: on the grid x_m = x₀ + 2πm/M,
    /// Σ_m f_m² = M·Σ_{k&lt;M} |f̂_k|² with f̂ the grid's DFT / M; an agent of breadth σ has coefficients
    /// c_h = e^{−h²σ²/2}e^{ih(x₀−μ)}/2π, and those beyond H = ⌈√(2 ln 10²⁰)/σ⌉ are below 1e-20 of c_0, so when H ≤ M/2 − 1
    /// (<see cref="Fits"/>: σ_min ≥ 9.6/(M/2 − 1), 0.076 at M = 256) no harmonic that reaches the grid is aliased and the
    /// grid sum equals the sum over |h| ≤ H to 1e-20 relative. The demand frames enter through their exact DFT (FFT).
    /// <list type="bullet">
    /// <item>System objective: coverage_r = (1/F)Σ_f Δ Σ_m (W_rm − d_fm)² = 2π[(C₀ − D̄₀)² + 2Σ_{k=1}^{H}|C_k − D̄_k|²
    /// + Σ_{H&lt;k&lt;M−H}|D̄_k|² + V] with C_k = Σ_j w_j c_jk, D̄ the frames' mean coefficients and V their variance
    /// (differences taken coefficient by coefficient: no cancellation beyond the grid path's).</item>
    /// <item>Local objective: coverage_r = (1/N)Σ_i (1/F)Σ_f Δ Σ_m (P_im − T_fm)², P_i = p_i/A_i, p_i = Σ_j S_ij a_j s_j,
    /// A_i = Σ_j S_ij a_j, T_f = d_f/(Δ Σ d_f); per row 2π[2 v_iᵀ G v_i / A_i² − 4 v_i·τ / A_i + E] with v_ij = S_ij a_j,
    /// G_jl = Re Σ_{k≥1} c_jk conj(c_lk) = (2π WN(μ_j − μ_l; 0, (σ_j² + σ_l²)^½) − 1)/8π² (closed form, image sum),
    /// τ_j = Re Σ_{k=1}^{H} c_jk conj(T̄_k) and E = (1/F)Σ_f Σ_{0&lt;k&lt;M}|T̂_fk|². This expands the square, so its absolute
    /// rounding is about 1e-16·(|P̂|² + |T̂|²) rather than 1e-16 of the loss itself (relative 1e-14 at the benchmark's
    /// losses; a loss near 0 is known to about 1e-16·E absolutely).</item>
    /// </list>
    /// Each start is computed in its own lane (no lane mixes with another), so a start's result does not depend on the
    /// others' values beyond the harmonic count of its lane group (terms below 1e-20). Calling thread only; buffers kept.
    /// </summary>
    internal sealed class SpectralStarts
    {
        private const double TwoPi = 2.0 * Math.PI;
        private const int Lanes = 4;
        private const int Kept = 7; // vectors kept per agent: z (re, im), ρ (re, im), q, σ, factor
        private const double Negligible = 1e-20; // ε of the harmonic cut (Cut)

        private readonly FourierMixture _fourier;
        private readonly int _starts, _agents, _groups, _m, _band;
        private readonly double _x0;
        private readonly double[] _transform;
        private readonly double[] _meanRe, _meanIm, _tail; // D̄ (or T̄) per bin; Σ_{H<k<M−H}|D̄_k|² per H
        private readonly double[] _weighted;                 // k·D̄_k, k²·D̄_k (re, im) per harmonic k
        private double _variance, _energy;                   // V (system) or E (local)
        private double[][] _frames = [];
        private bool _framesLocal;

        // Per lane group: the system's δ_k = C_k − D̄_k (k ≤ band) and δ₀, the harmonic counts per agent.
        private readonly Vector256<double>[] _dRe, _dIm, _d0, _d1;
        private readonly int[] _harmonics;
        private readonly Vector256<double>[] _start; // per agent of a lane group: z (re, im), ρ (re, im), q, σ, factor

        // Local objective: gradients computed with the forward (forward-mode through the closed forms).
        private readonly Vector256<double>[] _gm, _gmDelta, _gmS, _s /* 1/s per pair */, _sMatrix, _tau, _tauMu, _tauSigma, _gamma, _beta;
        private readonly Vector256<double>[] _v, _z, _gAcc, _gMuAcc, _gSigAcc; // N each, one lane group at a time
        private readonly double[] _gMuLocal, _gSigmaLocal, _gALocal;
        private readonly Vector256<double>[] _gS; // ∂/∂S_ij per lane group (local objective)

        // The starts' values in lanes (structure of arrays: element (g·stride + i)·Lanes + l is start g·Lanes + l's value
        // i), transposed once per call instead of gathered lane by lane: μ, σ, the per-agent factor, the per-agent
        // gradients (three, one after another) and, for the local objective, the edge weights and their gradients.
        private readonly double[] _laneMu, _laneSigma, _laneFactor, _laneGrad;
        private double[] _laneEdges = [], _laneEdgeGrad = [];

        // The harmonic cut (Cut): _need[h] = max over H < k ≤ band of 2 ln(2|D̄_k|/(εS))/k², S = max_k |D̄_k|, and for the
        // system objective ln(2 W/(2π ε S)) with W the largest Σ_j |w_j| of a start and the batch's narrowest σ.
        private readonly double[] _need;
        private double _scale, _lnCoverage, _floor;
        private bool _coverageBound;

        private SpectralStarts(FourierMixture fourier, double[] grid, int starts, int agents)
        {
            _fourier = fourier;
            (_starts, _agents, _m) = (starts, agents, grid.Length);
            _groups = (starts + Lanes - 1) / Lanes;
            _band = _m / 2 - 1;
            _x0 = grid[0];
            _transform = new double[2 * _m];
            (_meanRe, _meanIm, _tail) = (new double[_m], new double[_m], new double[_band + 2]);
            int bins = _groups * (_band + 1);
            (_dRe, _dIm, _d0, _d1) = (new Vector256<double>[bins], new Vector256<double>[bins], new Vector256<double>[_groups], new Vector256<double>[4 * bins]);
            _weighted = new double[4 * _m];
            _harmonics = new int[_groups * agents];
            _start = new Vector256<double>[Kept * _groups * agents];
            int pairs = _groups * agents * agents, rows = _groups * agents;
            (_gm, _gmDelta, _gmS, _s) = (new Vector256<double>[pairs], new Vector256<double>[pairs], new Vector256<double>[pairs], new Vector256<double>[pairs]);
            (_tau, _tauMu, _tauSigma) = (new Vector256<double>[rows], new Vector256<double>[rows], new Vector256<double>[rows]);
            (_gamma, _beta, _sMatrix) = (new Vector256<double>[agents * agents], new Vector256<double>[agents], new Vector256<double>[agents * agents]);
            (_v, _z) = (new Vector256<double>[agents], new Vector256<double>[agents]);
            (_gAcc, _gMuAcc, _gSigAcc) = (new Vector256<double>[agents], new Vector256<double>[agents], new Vector256<double>[agents]);
            (_gMuLocal, _gSigmaLocal, _gALocal) = (new double[starts * agents], new double[starts * agents], new double[starts * agents]);
            _gS = new Vector256<double>[pairs];
            (_laneMu, _laneSigma, _laneFactor, _laneGrad) = (new double[rows * Lanes], new double[rows * Lanes], new double[rows * Lanes], new double[3 * rows * Lanes]);
            _need = new double[_band + 1];
        }

        /// <summary>The kernel for <paramref name="starts"/> starts of <paramref name="agents"/> agents on <paramref name="grid"/>, or null when the grid is not uniform with 2^p ≥ 4 points.</summary>
        public static SpectralStarts? For(double[] grid, int starts, int agents)
        {
            ArgumentNullException.ThrowIfNull(grid);
            if (starts < 1 || agents < 1) throw new ArgumentException($"SpectralStarts: starts = {starts}, agents = {agents}; both must be at least 1.");
            var fourier = FourierMixture.For(grid);
            return fourier is null ? null : new SpectralStarts(fourier, grid, starts, agents);
        }

        /// <summary>Whether <paramref name="grid"/> is one the kernel runs on: uniform on [x₀, x₀ + 2π) with 2^p ≥ 4 points.</summary>
        public static bool GridFits(double[] grid) => FourierMixture.For(grid) is not null;

        /// <summary>Harmonics an agent of breadth <paramref name="sigma"/> needs at most (its coefficients beyond are below 1e-20 of c_0).</summary>
        public static int HarmonicsFor(double sigma) => FourierMixture.Harmonics(sigma);

        /// <summary>Whether the narrowest breadth <paramref name="sigmaMin"/> is within the band limit (H ≤ M/2 − 1), so that the coefficient sums equal the grid's.</summary>
        public bool Fits(double sigmaMin) => sigmaMin > 0 && double.IsFinite(sigmaMin) && FourierMixture.Harmonics(sigmaMin) <= _band;

        /// <summary>
        /// Harmonics kept for an agent of breadth <paramref name="sigma"/> at the last forward's frames (and, for the system
        /// objective, its weights and narrowest breadth). Harmonic k of agent j enters only through products with
        /// δ_k = C_k − D̄_k (system) or T̄_k (local), weighted by 1, k or k² in the gradients; it is left out where
        /// e^{−k²σ²/2}·(|C_k| + |D̄_k|) ≤ ε·S for every k beyond the cut, with ε = 1e-20, S = max_k |D̄_k| and
        /// |C_k| ≤ (W/2π)·e^{−k²σ_min²/2}: what it leaves out is at most what the 1e-20 cut on the agent's own
        /// coefficients (<see cref="HarmonicsFor"/>, never exceeded) leaves out in the worst case, but for a smooth demand
        /// it keeps fewer harmonics (the product of two decaying coefficients: 53 instead of 74 for the 12-agent
        /// benchmark's σ = 2π/48 against three peaks of width 0.15).
        /// </summary>
        internal int Cut(double sigma)
        {
            int h = FourierMixture.Harmonics(sigma);
            if (_scale > 0)
            {
                double s2 = sigma * sigma;
                int lo = 0, hi = _band; // the smallest d with _need[d] ≤ σ² (_need[band] = −∞)
                while (lo < hi)
                {
                    int mid = (lo + hi) >> 1;
                    if (_need[mid] <= s2) hi = mid;
                    else lo = mid + 1;
                }
                double bound = _coverageBound ? Math.Max(lo, Math.Ceiling(Math.Sqrt(2.0 * Math.Max(0.0, _lnCoverage) / (s2 + _floor * _floor)))) : lo;
                if (bound < h) h = Math.Max(1, (int)bound);
            }
            return Math.Min(h, _band);
        }

        /// <summary>
        /// Every start's system coverage (1/F)Σ_f Δ Σ_m (W_rm − d_fm)² with W_r = Σ_j w_rj WN(·; μ_rj, σ_rj) into
        /// <paramref name="coverage"/> (length R); keeps what <see cref="SystemBackward"/> needs. Agents are stacked per
        /// start (index r·N + j); every σ must <see cref="Fits"/>.
        /// </summary>
        public void SystemForward(ReadOnlySpan<double> mu, ReadOnlySpan<double> sigma, ReadOnlySpan<double> w, IReadOnlyList<double[]> frames, Span<double> coverage)
        {
            Prepare(frames, local: false);
            int band = _band, n = _agents;
            double widest = 0;
            for (int r = 0; r < _starts; r++)
            {
                double sum = 0;
                foreach (var x in w.Slice(r * n, n)) sum += Math.Abs(x);
                widest = Math.Max(widest, sum);
            }
            (_coverageBound, _floor) = (true, System.Numerics.Tensors.TensorPrimitives.Min(sigma));
            _lnCoverage = _scale > 0 ? Math.Log(2.0 * widest / (TwoPi * Negligible * _scale)) : double.PositiveInfinity;
            BeginAll(mu, sigma, w, 0.0);
            var inv2Pi = Vector256.Create(1.0 / TwoPi);
            for (int g = 0; g < _groups; g++)
            {
                var cRe = _dRe.AsSpan(g * (band + 1), band + 1);
                var cIm = _dIm.AsSpan(g * (band + 1), band + 1);
                var c0 = Vector256<double>.Zero;
                int top = 1;
                for (int j = 0; j < n; j++)
                {
                    top = Math.Max(top, _harmonics[g * n + j]);
                    c0 += _start[Kept * (g * n + j) + 6] * inv2Pi;
                }
                cRe[..(top + 1)].Clear();
                cIm[..(top + 1)].Clear();
                // Two agents per pass (independent recurrences: no latency stall); an odd last agent pairs with a zero one.
                for (int j = 0; j < n; j += 2)
                {
                    int j2 = Math.Min(j + 1, n - 1);
                    int h = Math.Max(_harmonics[g * n + j], _harmonics[g * n + j2]);
                    var st = _start.AsSpan();
                    int atA = Kept * (g * n + j), atB = Kept * (g * n + j2);
                    var tA = st[atA + 6] * inv2Pi;
                    var tB = st[atB + 6] * (j2 == j ? Vector256<double>.Zero : inv2Pi);
                    Vector256<double> zrA = st[atA] * tA, ziA = st[atA + 1] * tA, prA = st[atA + 2], piA = st[atA + 3], qA = st[atA + 4];
                    Vector256<double> zrB = st[atB] * tB, ziB = st[atB + 1] * tB, prB = st[atB + 2], piB = st[atB + 3], qB = st[atB + 4];
                    for (int k = 1; k <= h; k++)
                    {
                        cRe[k] += zrA + zrB;
                        cIm[k] += ziA + ziB;
                        (zrA, ziA) = (zrA * prA - ziA * piA, zrA * piA + ziA * prA);
                        (zrB, ziB) = (zrB * prB - ziB * piB, zrB * piB + ziB * prB);
                        prA *= qA; piA *= qA; prB *= qB; piB *= qB;
                    }
                }
                var d0 = c0 - Vector256.Create(_meanRe[0]);
                _d0[g] = d0;
                var sum = Vector256<double>.Zero;
                var d1 = _d1.AsSpan(g * 4 * (band + 1), 4 * (band + 1)); // k·δ_k and k²·δ_k (re, im) for the backward
                for (int k = 1; k <= top; k++)
                {
                    var dr = cRe[k] - Vector256.Create(_meanRe[k]);
                    var di = cIm[k] - Vector256.Create(_meanIm[k]);
                    (cRe[k], cIm[k]) = (dr, di);
                    sum += dr * dr + di * di;
                    var kv = Vector256.Create((double)k);
                    (d1[4 * k], d1[4 * k + 1]) = (kv * dr, kv * di);
                    (d1[4 * k + 2], d1[4 * k + 3]) = (kv * kv * dr, kv * kv * di);
                }
                var total = Vector256.Create(TwoPi) * (d0 * d0 + Vector256.Create(2.0) * sum + Vector256.Create(_tail[top] + _variance));
                for (int l = 0; l < Lanes && g * Lanes + l < _starts; l++) coverage[g * Lanes + l] = total.GetElement(l);
            }
        }

        /// <summary>The gradients of Σ_r coverage_r at the last <see cref="SystemForward"/> (same μ, σ, w) into gMu, gSigma, gW (set, not added).</summary>
        public void SystemBackward(ReadOnlySpan<double> mu, ReadOnlySpan<double> sigma, ReadOnlySpan<double> w, Span<double> gMu, Span<double> gSigma, Span<double> gW)
        {
            int band = _band, n = _agents, rows = _groups * n;
            var grads = Vectors(_laneGrad);
            var laneW = grads[..rows];
            var laneMu = grads.Slice(rows, rows);
            var laneSigma = grads.Slice(2 * rows, rows);
            var (two, four) = (Vector256.Create(2.0), Vector256.Create(4.0));
            for (int g = 0; g < _groups; g++)
            {
                var dRe = _dRe.AsSpan(g * (band + 1), band + 1);
                var dIm = _dIm.AsSpan(g * (band + 1), band + 1);
                var d1 = _d1.AsSpan(g * 4 * (band + 1), 4 * (band + 1));
                for (int j = 0; j < n; j += 2)
                {
                    int j2 = Math.Min(j + 1, n - 1);
                    int h = Math.Max(_harmonics[g * n + j], _harmonics[g * n + j2]);
                    var st = _start.AsSpan();
                    int atA = Kept * (g * n + j), atB = Kept * (g * n + j2);
                    Vector256<double> zrA = st[atA], ziA = st[atA + 1], prA = st[atA + 2], piA = st[atA + 3], qA = st[atA + 4];
                    Vector256<double> zrB = st[atB], ziB = st[atB + 1], prB = st[atB + 2], piB = st[atB + 3], qB = st[atB + 4];
                    var (sigA, weightA) = (_start[Kept * (g * n + j) + 5], _start[Kept * (g * n + j) + 6]);
                    var (sigB, weightB) = (_start[Kept * (g * n + j2) + 5], _start[Kept * (g * n + j2) + 6]);
                    Vector256<double> wA = default, muA = default, sA = default, wB = default, muB = default, sB = default;
                    for (int k = 1; k <= h; k++)
                    {
                        var (dr, di) = (dRe[k], dIm[k]);
                        var (d1r, d1i, d2r, d2i) = (d1[4 * k], d1[4 * k + 1], d1[4 * k + 2], d1[4 * k + 3]);
                        wA += zrA * dr + ziA * di;
                        wB += zrB * dr + ziB * di;
                        muA += ziA * d1r - zrA * d1i;
                        muB += ziB * d1r - zrB * d1i;
                        sA += zrA * d2r + ziA * d2i;
                        sB += zrB * d2r + ziB * d2i;
                        (zrA, ziA) = (zrA * prA - ziA * piA, zrA * piA + ziA * prA);
                        (zrB, ziB) = (zrB * prB - ziB * piB, zrB * piB + ziB * prB);
                        prA *= qA; piA *= qA; prB *= qB; piB *= qB;
                    }
                    int a = g * n + j, b = g * n + j2;
                    (laneW[a], laneMu[a], laneSigma[a]) = (two * _d0[g] + four * wA, four * weightA * muA, -four * weightA * sigA * sA);
                    if (j2 == j) continue;
                    (laneW[b], laneMu[b], laneSigma[b]) = (two * _d0[g] + four * wB, four * weightB * muB, -four * weightB * sigB * sB);
                }
            }
            FromLanes(laneW, n, gW);
            FromLanes(laneMu, n, gMu);
            FromLanes(laneSigma, n, gSigma);
        }

        /// <summary>
        /// Every start's local coverage (1/N)Σ_i (1/F)Σ_f Δ Σ_m (P_im − T_fm)² with p = S·(a ⊙ s), S = I + Q per start
        /// (Q symmetric with weight <paramref name="q"/>[r·E + e] on each of the E local edges), into
        /// <paramref name="coverage"/>; also computes the gradients that <see cref="LocalBackward"/> returns.
        /// </summary>
        public void LocalForward(ReadOnlySpan<double> mu, ReadOnlySpan<double> sigma, ReadOnlySpan<double> a, ReadOnlySpan<(int I, int J)> edges,
            ReadOnlySpan<double> q, IReadOnlyList<double[]> frames, Span<double> coverage)
        {
            Prepare(frames, local: true);
            int n = _agents, nn = n * n, e = edges.Length, rows = _groups * n;
            _coverageBound = false;
            BeginAll(mu, sigma, a, 1.0);
            if (_laneEdges.Length != _groups * e * Lanes) (_laneEdges, _laneEdgeGrad) = (new double[_groups * e * Lanes], new double[_groups * e * Lanes]);
            ToLanes(q, e, 0.0, _laneEdges);
            var laneQ = Vectors(_laneEdges);
            var laneA = Vectors(_laneFactor);
            var laneSigma = Vectors(_laneSigma);
            var grads = Vectors(_laneGrad);
            var outMu = grads[..rows];
            var outSigma = grads.Slice(rows, rows);
            var outA = grads.Slice(2 * rows, rows);
            var inv2Pi = Vector256.Create(1.0 / TwoPi);
            var twoPi = Vector256.Create(TwoPi);
            var energy = Vector256.Create(_energy);
            var two = Vector256.Create(2.0);
            double invN = 1.0 / n;
            for (int g = 0; g < _groups; g++)
            {
                // τ_j, ∂τ_j/∂μ_j, ∂τ_j/∂σ_j: one harmonic pass per agent against the mean target T̄.
                var tau = _tau.AsSpan(g * n, n);
                var tauMu = _tauMu.AsSpan(g * n, n);
                var tauSigma = _tauSigma.AsSpan(g * n, n);
                for (int j = 0; j < n; j += 2)
                {
                    int j2 = Math.Min(j + 1, n - 1);
                    int h = Math.Max(_harmonics[g * n + j], _harmonics[g * n + j2]);
                    var st = _start.AsSpan();
                    int atA = Kept * (g * n + j), atB = Kept * (g * n + j2);
                    Vector256<double> zrA = st[atA], ziA = st[atA + 1], prA = st[atA + 2], piA = st[atA + 3], qA = st[atA + 4];
                    Vector256<double> zrB = st[atB], ziB = st[atB + 1], prB = st[atB + 2], piB = st[atB + 3], qB = st[atB + 4];
                    var (sigA, sigB) = (_start[Kept * (g * n + j) + 5], _start[Kept * (g * n + j2) + 5]);
                    Vector256<double> t0A = default, t1A = default, t2A = default, t0B = default, t1B = default, t2B = default;
                    var wt = _weighted; // T̄_k, k·T̄_k, k²·T̄_k (re, im) interleaved by harmonic
                    for (int k = 1; k <= h; k++)
                    {
                        var (tr, ti) = (Vector256.Create(_meanRe[k]), Vector256.Create(_meanIm[k]));
                        var (t1r, t1i) = (Vector256.Create(wt[4 * k]), Vector256.Create(wt[4 * k + 1]));
                        var (t2r, t2i) = (Vector256.Create(wt[4 * k + 2]), Vector256.Create(wt[4 * k + 3]));
                        t0A += zrA * tr + ziA * ti;
                        t0B += zrB * tr + ziB * ti;
                        t1A += ziA * t1r - zrA * t1i;
                        t1B += ziB * t1r - zrB * t1i;
                        t2A += zrA * t2r + ziA * t2i;
                        t2B += zrB * t2r + ziB * t2i;
                        (zrA, ziA) = (zrA * prA - ziA * piA, zrA * piA + ziA * prA);
                        (zrB, ziB) = (zrB * prB - ziB * piB, zrB * piB + ziB * prB);
                        prA *= qA; piA *= qA; prB *= qB; piB *= qB;
                    }
                    (tau[j], tauMu[j], tauSigma[j]) = (t0A * inv2Pi, t1A * inv2Pi, -(sigA * t2A) * inv2Pi);
                    if (j2 != j) (tau[j2], tauMu[j2], tauSigma[j2]) = (t0B * inv2Pi, t1B * inv2Pi, -(sigB * t2B) * inv2Pi);
                }
                Overlaps(g);

                // S = I + Q per lane, v_i = S_i ⊙ a, and the rows' losses with their gradients.
                var gm = _gm.AsSpan(g * nn, nn);
                var s = _sMatrix.AsSpan(0, nn);
                s.Clear();
                for (int i = 0; i < n; i++) s[i * n + i] = Vector256<double>.One;
                for (int k = 0; k < e; k++)
                {
                    var qk = laneQ[g * e + k];
                    s[edges[k].I * n + edges[k].J] = qk;
                    s[edges[k].J * n + edges[k].I] = qk;
                }
                var gamma = _gamma.AsSpan(0, nn); // upper triangle only (γ is symmetric)
                gamma.Clear();
                var beta = _beta.AsSpan(0, n);
                beta.Clear();
                var sig = laneSigma.Slice(g * n, n);
                var gAcc = _gAcc.AsSpan(0, n);
                gAcc.Clear();
                var cov = Rows(g, Vector256.Create(TwoPi * invN));
                cov *= Vector256.Create(invN);
                for (int l = 0; l < Lanes && g * Lanes + l < _starts; l++) coverage[g * Lanes + l] = cov.GetElement(l);

                // ∂/∂μ, ∂/∂σ through the overlaps G (pairs j < l and the diagonal) and through τ.
                var gMu = _gMuAcc.AsSpan(0, n);
                var gSig = _gSigAcc.AsSpan(0, n);
                for (int j = 0; j < n; j++) (gMu[j], gSig[j]) = (beta[j] * tauMu[j], beta[j] * tauSigma[j]);
                for (int j = 0; j < n; j++)
                {
                    int d = j * n + j;
                    gSig[j] += gamma[d] * _gmS[g * nn + d] * two * sig[j] * _s[g * nn + d];
                    for (int l = j + 1; l < n; l++)
                    {
                        int p = g * nn + j * n + l;
                        var wgt = two * gamma[j * n + l];
                        var dd = wgt * _gmDelta[p];
                        gMu[j] += dd;
                        gMu[l] -= dd;
                        var ds = wgt * _gmS[p] * _s[p];
                        gSig[j] += ds * sig[j];
                        gSig[l] += ds * sig[l];
                    }
                }
                gMu.CopyTo(outMu.Slice(g * n, n));
                gSig.CopyTo(outSigma.Slice(g * n, n));
                gAcc.CopyTo(outA.Slice(g * n, n));
            }
            FromLanes(outMu, n, _gMuLocal);
            FromLanes(outSigma, n, _gSigmaLocal);
            FromLanes(outA, n, _gALocal);
        }

        /// <summary>
        /// The gradients of Σ_r coverage_r at the last <see cref="LocalForward"/>: ∂/∂μ, ∂/∂σ, ∂/∂a per agent and ∂/∂q per
        /// edge (gq[r·E + e], set, not added; q_e sits at S_IJ and S_JI).
        /// </summary>
        public void LocalBackward(ReadOnlySpan<(int I, int J)> edges, Span<double> gMu, Span<double> gSigma, Span<double> gA, Span<double> gq)
        {
            int n = _agents, nn = n * n, e = edges.Length;
            _gMuLocal.AsSpan(0, _starts * n).CopyTo(gMu);
            _gSigmaLocal.AsSpan(0, _starts * n).CopyTo(gSigma);
            _gALocal.AsSpan(0, _starts * n).CopyTo(gA);
            if (e == 0) return;
            var laneGq = Vectors(_laneEdgeGrad);
            for (int g = 0; g < _groups; g++)
                for (int k = 0; k < e; k++)
                    laneGq[g * e + k] = _gS[g * nn + edges[k].I * n + edges[k].J] + _gS[g * nn + edges[k].J * n + edges[k].I];
            FromLanes(laneGq, e, gq);
        }

        /// <summary>
        /// The row pass of lane group g (local objective): for each row i, v_i = S_i ⊙ a, A_i = Σ_j v_ij, z = G·v_i, the row's
        /// loss 2π[2 v_iᵀz/A_i² − 4 v_i·τ/A_i + E], ∂ℓ_i/∂S_ij into _gS, and the sums over rows that the gradients through a
        /// (_gAcc), τ (_beta) and G (_gamma, upper triangle) need. Returns Σ_i ℓ_i. Pointers: the JIT kept bounds checks and
        /// span slices in these short loops (N ≤ 64).
        /// </summary>
        private unsafe Vector256<double> Rows(int g, Vector256<double> scaleN)
        {
            int n = _agents, nn = n * n;
            var (twoPi, two, four, energy) = (Vector256.Create(TwoPi), Vector256.Create(2.0), Vector256.Create(4.0), Vector256.Create(_energy));
            var fourN = four * scaleN;
            var cov = Vector256<double>.Zero;
            fixed (Vector256<double>* s = _sMatrix, gm0 = _gm, v = _v, z = _z, tau0 = _tau, gamma = _gamma, beta = _beta, gAcc = _gAcc, gS0 = _gS)
            fixed (double* factors = _laneFactor)
            {
                Vector256<double>* gm = gm0 + g * nn, tau = tau0 + g * n, gS = gS0 + g * nn, a = (Vector256<double>*)factors + g * n;
                for (int i = 0; i < n; i++)
                {
                    var si = s + i * n;
                    var A = Vector256<double>.Zero;
                    for (int j = 0; j < n; j++)
                    {
                        var vj = si[j] * a[j];
                        v[j] = vj;
                        A += vj;
                    }
                    // z = G·v, four rows of G at a time (independent accumulation chains).
                    int j0 = 0;
                    for (; j0 + 4 <= n; j0 += 4)
                    {
                        Vector256<double> z0 = default, z1 = default, z2 = default, z3 = default;
                        Vector256<double>* g0 = gm + j0 * n, g1 = g0 + n, g2 = g1 + n, g3 = g2 + n;
                        for (int l = 0; l < n; l++)
                        {
                            var vl = v[l];
                            z0 += g0[l] * vl;
                            z1 += g1[l] * vl;
                            z2 += g2[l] * vl;
                            z3 += g3[l] * vl;
                        }
                        (z[j0], z[j0 + 1], z[j0 + 2], z[j0 + 3]) = (z0, z1, z2, z3);
                    }
                    for (; j0 < n; j0++)
                    {
                        var zj = Vector256<double>.Zero;
                        var gj = gm + j0 * n;
                        for (int l = 0; l < n; l++) zj += gj[l] * v[l];
                        z[j0] = zj;
                    }
                    Vector256<double> quad = default, lin = default;
                    for (int j = 0; j < n; j++)
                    {
                        quad += v[j] * z[j];
                        lin += v[j] * tau[j];
                    }
                    var invA = Vector256<double>.One / A;
                    var invA2 = invA * invA;
                    cov += twoPi * (two * quad * invA2 - four * lin * invA + energy);
                    // ∂ℓ_i/∂v_ij·(1/N) = (2π/N)·4·[z_j/A² − Q/A³ − τ_j/A + L/A²]
                    var common = quad * invA2 * invA - lin * invA2;
                    var (fourInvA, twoInvA2) = (fourN * invA, two * scaleN * invA2);
                    var gSi = gS + i * n;
                    for (int j = 0; j < n; j++)
                    {
                        var vj = v[j];
                        var gv = fourN * (z[j] * invA2 - tau[j] * invA - common);
                        gSi[j] = gv * a[j];
                        gAcc[j] += gv * si[j];
                        beta[j] -= fourInvA * vj;
                        var gj = twoInvA2 * vj;
                        var row = gamma + j * n;
                        for (int l = j; l < n; l++) row[l] += gj * v[l];
                    }
                }
            }
            return cov;
        }

        /// <summary>
        /// G_jl = (2π WN(Δ; 0, s) − 1)/8π² and its derivatives in Δ = μ_j − μ_l (wrapped to [−π, π)) and s = (σ_j² + σ_l²)^½
        /// for every pair of lane group g, by the image sum with the images that reach within √(2 ln 10¹⁶)·s.
        /// </summary>
        private void Overlaps(int g)
        {
            int n = _agents, nn = n * n;
            var invSqrt2Pi = Vector256.Create(1.0 / Math.Sqrt(TwoPi));
            var inv4Pi = Vector256.Create(1.0 / (4.0 * Math.PI));
            var inv8Pi2 = Vector256.Create(1.0 / (8.0 * Math.PI * Math.PI));
            var pi = Vector256.Create(Math.PI);
            var twoPi = Vector256.Create(TwoPi);
            var muL = Vectors(_laneMu).Slice(g * n, n);
            var sigL = Vectors(_laneSigma).Slice(g * n, n);
            var invTwoPi = Vector256.Create(1.0 / TwoPi);
            // Every pair's s ≤ √2·(the group's widest σ): where that needs no image beyond k = 0, no pair does.
            var widestSigma = sigL[0];
            for (int j = 1; j < n; j++) widestSigma = Vector256.Max(widestSigma, sigL[j]);
            bool oneImage = Images(Math.Sqrt(2.0) * Math.Max(Math.Max(widestSigma.GetElement(0), widestSigma.GetElement(1)), Math.Max(widestSigma.GetElement(2), widestSigma.GetElement(3)))) == 0;
            for (int j = 0; j < n; j++)
            {
                var muJ = muL[j];
                var sJ = sigL[j];
                for (int l = j; l < n; l++)
                {
                    var delta = muJ - muL[l];
                    delta -= twoPi * Vector256.Floor((delta + pi) * invTwoPi);
                    var sL = sigL[l];
                    var s2 = sJ * sJ + sL * sL;
                    var sv = Vector256.Sqrt(s2);
                    int images = oneImage ? 0 : Images(Math.Max(Math.Max(sv.GetElement(0), sv.GetElement(1)), Math.Max(sv.GetElement(2), sv.GetElement(3))));
                    var invS = Vector256<double>.One / sv;
                    var invS2 = invS * invS;
                    var negInv2s2 = Vector256.Create(-0.5) * invS2;
                    Vector256<double> p0 = default, p1 = default, p2 = default;
                    for (int k = -images; k <= images; k++)
                    {
                        var u = delta + Vector256.Create(TwoPi * k);
                        var phi = Exp(u * u * negInv2s2);
                        var pu = phi * u;
                        p0 += phi; p1 += pu; p2 += pu * u;
                    }
                    var norm = invSqrt2Pi * invS;
                    var wn = norm * p0;
                    var wnDelta = -(norm * p1) * invS2;
                    var wnS = norm * invS * (p2 * invS2 - p0);
                    var gmv = (twoPi * wn - Vector256<double>.One) * inv8Pi2;
                    int a = g * nn + j * n + l, b = g * nn + l * n + j;
                    (_gm[a], _gmDelta[a], _gmS[a], _s[a]) = (gmv, wnDelta * inv4Pi, wnS * inv4Pi, invS);
                    (_gm[b], _gmDelta[b], _gmS[b], _s[b]) = (gmv, -(wnDelta * inv4Pi), wnS * inv4Pi, invS);
                }
            }
        }

        /// <summary>
        /// e^x for x ≤ 0 (arguments below −700 give e^{−700} ≈ 1e-304, as the grid kernels clamp them), inlined: x = n·ln 2 + r
        /// with |r| ≤ ln 2 / 2 (Cody–Waite: ln 2 in two parts), e^r by its Taylor polynomial to degree 13 (Estrin's scheme; truncation below
        /// 4e-18 relative), times 2^n written into the exponent bits (n rounded by adding 1.5·2^52). Within a few ulp of Math.Exp.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        internal static Vector256<double> Exp(Vector256<double> x)
        {
            x = Vector256.Max(x, Vector256.Create(-700.0));
            var magic = Vector256.Create(6755399441055744.0); // 1.5·2^52: adding it rounds to an integer held in the low bits
            var t = x * Vector256.Create(1.4426950408889634) + magic; // x / ln 2
            var n = t - magic;
            var r = x - n * Vector256.Create(6.93147180369123816490e-01) - n * Vector256.Create(1.90821492927058770002e-10);
            // Estrin's scheme (a short dependency chain): pairs c_i + c_{i+1}·r, then by r², r⁴, r⁸.
            var r2 = r * r;
            var r4 = r2 * r2;
            var r8 = r4 * r4;
            var q0 = Fma(r, Vector256<double>.One, Vector256<double>.One);
            var q1 = Fma(r, Vector256.Create(1.0 / 6.0), Vector256.Create(0.5));
            var q2 = Fma(r, Vector256.Create(1.0 / 120.0), Vector256.Create(1.0 / 24.0));
            var q3 = Fma(r, Vector256.Create(1.0 / 5040.0), Vector256.Create(1.0 / 720.0));
            var q4 = Fma(r, Vector256.Create(1.0 / 362880.0), Vector256.Create(1.0 / 40320.0));
            var q5 = Fma(r, Vector256.Create(1.0 / 39916800.0), Vector256.Create(1.0 / 3628800.0));
            var q6 = Fma(r, Vector256.Create(1.0 / 6227020800.0), Vector256.Create(1.0 / 479001600.0));
            var p = Fma(r8, Fma(r4, q6, Fma(r2, q5, q4)), Fma(r4, Fma(r2, q3, q2), Fma(r2, q1, q0)));
            var scale = (t.AsInt64() - magic.AsInt64() + Vector256.Create(1023L)) << 52;
            return p * scale.AsDouble();
        }

        /// <summary>a·b + c, fused where the machine has FMA.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.MultiplyAddEstimate(a, b, c);

        /// <summary>Images on each side of k = 0 of a wrapped normal of breadth s that reach within <see cref="NegligibleZ"/>·s of [−π, π).</summary>
        private static int Images(double s) => (int)Math.Floor((NegligibleZ * s / Math.PI + 1.0) / 2.0);

        /// <summary>
        /// Every agent of every lane group: μ, σ and the per-agent factor into lanes (<paramref name="pad"/> as the empty
        /// lanes' factor, σ = 1 there), the recurrence's start (<see cref="Start"/> with scale 1, from θ = x₀ − μ wrapped
        /// to [−π, π)), σ and factor kept in <c>_start</c> (<see cref="Kept"/> vectors per agent) and the harmonics
        /// (<see cref="Cut"/> of the group's narrowest lane).
        /// </summary>
        private void BeginAll(ReadOnlySpan<double> mu, ReadOnlySpan<double> sigma, ReadOnlySpan<double> factor, double pad)
        {
            int n = _agents;
            ToLanes(mu, n, 0.0, _laneMu);
            ToLanes(sigma, n, 1.0, _laneSigma);
            ToLanes(factor, n, pad, _laneFactor);
            var muV = Vectors(_laneMu);
            var sigV = Vectors(_laneSigma);
            var facV = Vectors(_laneFactor);
            var (x0, pi, twoPi, invTwoPi) = (Vector256.Create(_x0), Vector256.Create(Math.PI), Vector256.Create(TwoPi), Vector256.Create(1.0 / TwoPi));
            for (int idx = 0; idx < _groups * n; idx++)
            {
                var theta = x0 - muV[idx];
                theta -= twoPi * Vector256.Floor((theta + pi) * invTwoPi);
                var sig = sigV[idx];
                Start(theta, sig, Vector256<double>.One, out var zr, out var zi, out var pr, out var pim, out var q);
                int at = Kept * idx;
                (_start[at], _start[at + 1], _start[at + 2], _start[at + 3], _start[at + 4], _start[at + 5], _start[at + 6]) = (zr, zi, pr, pim, q, sig, facV[idx]);
                _harmonics[idx] = Cut(Math.Min(Math.Min(sig.GetElement(0), sig.GetElement(1)), Math.Min(sig.GetElement(2), sig.GetElement(3))));
            }
        }

        /// <summary>
        /// The recurrence's start at harmonic 1: z = scale·e^{−σ²/2}·e^{iθ} (then z_{k+1} = z_k·ρ_k), ρ = e^{−3σ²/2}·e^{iθ}
        /// (then ρ_{k+1} = ρ_k·q) and q = e^{−σ²}, so that z_k = scale·e^{−k²σ²/2}·e^{ikθ}.
        /// </summary>
        private static void Start(Vector256<double> theta, Vector256<double> sigma, Vector256<double> scale, out Vector256<double> zr, out Vector256<double> zi,
            out Vector256<double> pr, out Vector256<double> pi, out Vector256<double> q)
        {
            var e = Exp(Vector256.Create(-0.5) * sigma * sigma);
            q = e * e;
            var r = e * q;
            var (s1, c1) = Vector256.SinCos(theta);
            var t = scale * e;
            (zr, zi, pr, pi) = (t * c1, t * s1, r * c1, r * s1);
        }

        private static Span<Vector256<double>> Vectors(double[] lanes) => MemoryMarshal.Cast<double, Vector256<double>>(lanes.AsSpan());

        /// <summary>x[r·stride + i] (start r, its value i) into lanes[(g·stride + i)·Lanes + l], r = g·Lanes + l; <paramref name="pad"/> in the empty lanes.</summary>
        private void ToLanes(ReadOnlySpan<double> x, int stride, double pad, double[] lanes)
        {
            for (int r = 0; r < _groups * Lanes; r++)
            {
                int at = r / Lanes * stride * Lanes + r % Lanes;
                if (r >= _starts)
                {
                    for (int i = 0; i < stride; i++) lanes[at + i * Lanes] = pad;
                    continue;
                }
                var row = x.Slice(r * stride, stride);
                for (int i = 0; i < stride; i++) lanes[at + i * Lanes] = row[i];
            }
        }

        /// <summary>The inverse of <see cref="ToLanes"/> for the starts' lanes (the empty lanes are dropped).</summary>
        private void FromLanes(ReadOnlySpan<Vector256<double>> lanes, int stride, Span<double> x)
        {
            var values = MemoryMarshal.Cast<Vector256<double>, double>(lanes);
            for (int r = 0; r < _starts; r++)
            {
                int at = r / Lanes * stride * Lanes + r % Lanes;
                var row = x.Slice(r * stride, stride);
                for (int i = 0; i < stride; i++) row[i] = values[at + i * Lanes];
            }
        }

        /// <summary>
        /// The frames' mean coefficients D̄ (of d_f, or of T_f = d_f/(Δ Σ d_f) for the local objective), the out-of-band
        /// energies Σ_{H&lt;k&lt;M−H}|D̄_k|² per H, and V (the frames' variance, system) or E (local); recomputed only when
        /// the frames change.
        /// </summary>
        private void Prepare(IReadOnlyList<double[]> frames, bool local)
        {
            if (local == _framesLocal && SameFrames(frames)) return;
            int m = _m, count = frames.Count;
            var copies = new double[count][];
            var all = new double[count * 2 * m];
            Array.Clear(_meanRe);
            Array.Clear(_meanIm);
            double delta = TwoPi / m;
            for (int f = 0; f < count; f++)
            {
                var frame = frames[f];
                if (frame.Length != m) throw new ArgumentException($"SpectralStarts: frame {f} has {frame.Length} points; the grid has {m}.");
                copies[f] = (double[])frame.Clone();
                var values = frame;
                if (local)
                {
                    double mass = delta * frame.Sum();
                    values = new double[m];
                    for (int k = 0; k < m; k++) values[k] = frame[k] / mass;
                }
                var t = all.AsSpan(f * 2 * m, 2 * m);
                _fourier.Analyze(values, t);
                for (int k = 0; k < 2 * m; k++) t[k] /= m;
                for (int k = 0; k < m; k++) { _meanRe[k] += t[k]; _meanIm[k] += t[m + k]; }
            }
            for (int k = 0; k < m; k++) { _meanRe[k] /= count; _meanIm[k] /= count; }
            double spread = 0, energy = 0;
            for (int f = 0; f < count; f++)
                for (int k = 0; k < m; k++)
                {
                    double re = all[f * 2 * m + k], im = all[f * 2 * m + m + k];
                    double dr = re - _meanRe[k], di = im - _meanIm[k];
                    spread += dr * dr + di * di;
                    if (k > 0) energy += re * re + im * im;
                }
            (_variance, _energy) = (spread / count, energy / count);
            // Σ_{H<k<M−H}|D̄_k|², summed from the Nyquist bin outward (small terms first).
            int half = m / 2;
            _tail[_band + 1] = 0;
            _tail[_band] = _meanRe[half] * _meanRe[half] + _meanIm[half] * _meanIm[half];
            for (int h = _band; h >= 1; h--)
            {
                int mh = m - h;
                _tail[h - 1] = _tail[h] + _meanRe[h] * _meanRe[h] + _meanIm[h] * _meanIm[h] + _meanRe[mh] * _meanRe[mh] + _meanIm[mh] * _meanIm[mh];
            }
            for (int k = 0; k < m; k++)
            {
                double kk = k;
                (_weighted[4 * k], _weighted[4 * k + 1]) = (kk * _meanRe[k], kk * _meanIm[k]);
                (_weighted[4 * k + 2], _weighted[4 * k + 3]) = (kk * kk * _meanRe[k], kk * kk * _meanIm[k]);
            }
            // The cut's table (Cut): S = max_k |D̄_k| and _need[h] = max_{h<k≤band} 2 ln(2|D̄_k|/(εS))/k² (−∞ where D̄_k = 0).
            _scale = 0;
            for (int k = 0; k < m; k++) _scale = Math.Max(_scale, Math.Sqrt(_meanRe[k] * _meanRe[k] + _meanIm[k] * _meanIm[k]));
            _need[_band] = double.NegativeInfinity;
            for (int k = _band; k >= 1; k--)
            {
                double size = Math.Sqrt(_meanRe[k] * _meanRe[k] + _meanIm[k] * _meanIm[k]);
                double need = size > 0 && _scale > 0 ? 2.0 * Math.Log(2.0 * size / (Negligible * _scale)) / ((double)k * k) : double.NegativeInfinity;
                _need[k - 1] = Math.Max(_need[k], need);
            }
            _frames = copies;
            _framesLocal = local;
        }

        private bool SameFrames(IReadOnlyList<double[]> frames)
        {
            if (frames.Count != _frames.Length) return false;
            for (int f = 0; f < frames.Count; f++)
                if (!frames[f].AsSpan().SequenceEqual(_frames[f])) return false;
            return true;
        }
    }
}
