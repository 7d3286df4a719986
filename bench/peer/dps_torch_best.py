#!/usr/bin/python3
"""The best PyTorch peer of DpsTorch (issue 18): the same model and Adam steps as dps_torch.py (the naive peer, kept
for reference), written the way a skilled PyTorch user would, with the same algebra as the C# engine:

- system objective: W = ((1 + Q·1) ⊙ a)ᵀ S, a matrix-vector product; no N×N×M product, no N×M p at all;
- local objective: p = (I + Q) w with (I + Q) dense (dense graphs) or CSR (sparse graphs, e.g. rings), its structure
  built once; for a learned topology only its values are refreshed from q each step (one gather);
- the wrapped normal as a torch.autograd.Function with a hand-written backward: image counts vectorised (one mask per
  image offset, no per-agent Python loop), the image sum's derivative sums kept from the forward, and the Fourier
  series as two [N, H] x [H, M] products against tabulated cos(h x), sin(h x) (backward: two [N, M] x [M, H]);
- the pooled (local) error as a torch.autograd.Function with a hand-written backward;
- torch.optim.Adam(foreach=True);
- threads tuned per case (--thread-policy auto, the default): torch's OpenMP pool and OpenBLAS's pthread pool are set
  separately at run time (torch.set_num_threads, openblas_set_num_threads) to whichever of (T, T), (1, 1), (1, T),
  (T, 1) trains fastest (T = --threads) on a few steps from the initial state, the parameters restored afterwards;
  idle pool threads sleep (OMP_WAIT_POLICY=PASSIVE, OPENBLAS_THREAD_TIMEOUT=4, set by dps_torch.py before torch
  loads). Without this, at N <= 128 two threads cost 2-10x one thread's step whenever anything else runs.

Same command line and JSON line as dps_torch.py ("impl": "pytorch-best"); parity.py compares it with the naive peer.
Run it with the Debian interpreter (/usr/bin/python3, python3-torch + libopenblas0-pthread).
"""
import ctypes
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dps_torch as naive  # noqa: E402  (sets the thread variables from --threads before torch loads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
TWO_PI = naive.TWO_PI
INV_SQRT_TWO_PI = naive.INV_SQRT_TWO_PI
DENSE_FILL = 0.125  # (I + Q) is dense when at least this fraction of its N² entries are edges


# ----------------------------------------------------------------------------------------------------------------------
# Wrapped normal (the fused rule of Tensor.WrappedNormalDensity: images for sigma < 0.5, Fourier above)
# ----------------------------------------------------------------------------------------------------------------------

def _image_counts(sigma):
    return torch.floor((naive.FUSED_Z * sigma / math.pi + 1.0) / 2.0).to(torch.int64)


def _harmonic_counts(sigma):
    return torch.clamp(torch.ceil(naive.TAIL_Z / sigma), min=1).to(torch.int64)


def _images_forward(mu, sigma, grid):
    """S, A1 = Σ_k φ_k u_k, A2 = Σ_k φ_k u_k² for agents on the image sum (u_k = x - μ + 2πk)."""
    counts = _image_counts(sigma)
    kmax = int(counts.max()) if counts.numel() else 0
    x = grid - TWO_PI * torch.floor(grid / TWO_PI)
    mr = mu - TWO_PI * torch.floor(mu / TWO_PI)
    v = x.unsqueeze(0) - mr.unsqueeze(1)
    d = torch.where(v >= math.pi, v - TWO_PI, torch.where(v < -math.pi, v + TWO_PI, v))
    neg_inv2s2 = (-0.5 / (sigma * sigma)).unsqueeze(1)
    norm = (INV_SQRT_TWO_PI / sigma).unsqueeze(1)
    s = a1 = a2 = None  # the sums start at the first image's terms (= 0 + term: the same bits as from zeros)
    for k in range(-kmax, kmax + 1):
        u = d + TWO_PI * k if k else d
        phi = torch.exp(torch.clamp(u * u * neg_inv2s2, min=naive.FUSED_MIN_EXPONENT)).mul_(norm)
        if k and bool((counts < abs(k)).any()):
            phi.mul_((counts >= abs(k)).to(phi.dtype).unsqueeze(1))
        if s is None:
            s = phi.clone()
            a1 = phi.mul_(u).clone()
            a2 = phi.mul_(u)
            continue
        s.add_(phi)
        phi.mul_(u)
        a1.add_(phi)
        a2.add_(phi.mul_(u))
    return s, a1, a2


class _Fourier:
    """cos(h x), sin(h x) tabulated once per grid and harmonic count."""
    cache = {}

    @staticmethod
    def tables(grid, hmax):
        key = (grid.shape[0], hmax)
        if key not in _Fourier.cache:
            h = torch.arange(1, hmax + 1, dtype=torch.float64).unsqueeze(1)
            _Fourier.cache[key] = (torch.cos(h * grid), torch.sin(h * grid), h.squeeze(1))
        return _Fourier.cache[key]


def _fourier_coeffs(mu, sigma, grid):
    hc = _harmonic_counts(sigma)
    hmax = int(hc.max())
    cx, sx, h = _Fourier.tables(grid, hmax)
    e = torch.exp(-0.5 * (h * h) * (sigma * sigma).unsqueeze(1)) / math.pi
    e = e * (h.unsqueeze(0) <= hc.unsqueeze(1)).to(e.dtype)
    hm = h.unsqueeze(0) * mu.unsqueeze(1)
    return e, torch.cos(hm), torch.sin(hm), cx, sx, h


class WrappedNormal(torch.autograd.Function):
    """Skill densities WN(x_m; μ_i, σ_i) [N, M] with a hand-written backward (dμ, dσ: [N])."""

    @staticmethod
    def forward(ctx, mu, sigma, grid):
        img = sigma < naive.FUSED_SWITCH_SIGMA
        ii = torch.nonzero(img).squeeze(1)
        fi = torch.nonzero(~img).squeeze(1)
        ctx.ii, ctx.fi = ii, fi
        ctx.all_images = ii.numel() == mu.shape[0]  # one series for every agent: no gathers, no scatters
        saved = [mu, sigma]
        if ctx.all_images:
            s, a1, a2 = _images_forward(mu, sigma, grid)
            ctx.img, ctx.four = (s, a1, a2), None
            ctx.save_for_backward(*saved)
            return s  # kept for the backward as well: the loss never writes into the densities in place
        out = torch.empty(mu.shape[0], grid.shape[0], dtype=torch.float64)
        if ii.numel():
            s, a1, a2 = _images_forward(mu[ii], sigma[ii], grid)
            out[ii] = s
            ctx.img = (s, a1, a2)
        else:
            ctx.img = None
        if fi.numel():
            e, cm, sm, cx, sx, h = _fourier_coeffs(mu[fi], sigma[fi], grid)
            out[fi] = torch.addmm(torch.addmm(torch.full((fi.numel(), grid.shape[0]), 1.0 / TWO_PI), e * cm, cx), e * sm, sx)
            ctx.four = (e, cm, sm, cx, sx, h)
        else:
            ctx.four = None
        ctx.save_for_backward(*saved)
        return out

    @staticmethod
    def backward(ctx, g):
        mu, sigma = ctx.saved_tensors
        if ctx.all_images:
            s, a1, a2 = ctx.img
            return (g * a1).sum(1) / (sigma * sigma), (g * a2).sum(1) / (sigma * sigma * sigma) - (g * s).sum(1) / sigma, None
        gmu = torch.zeros_like(mu)
        gsig = torch.zeros_like(sigma)
        if ctx.img is not None:
            s, a1, a2 = ctx.img
            gi = g[ctx.ii]
            sg = sigma[ctx.ii]
            gmu[ctx.ii] = (gi * a1).sum(1) / (sg * sg)
            gsig[ctx.ii] = (gi * a2).sum(1) / (sg * sg * sg) - (gi * s).sum(1) / sg
        if ctx.four is not None:
            e, cm, sm, cx, sx, h = ctx.four
            gf = g[ctx.fi]
            gc, gs = gf @ cx.t(), gf @ sx.t()  # [n, H]
            gmu[ctx.fi] = (e * h * (cm * gs - sm * gc)).sum(1)
            gsig[ctx.fi] = (-(h * h) * sigma[ctx.fi].unsqueeze(1) * e * (cm * gc + sm * gs)).sum(1)
        return gmu, gsig, None


# ----------------------------------------------------------------------------------------------------------------------
# Pooled (local) error and (I + Q) products
# ----------------------------------------------------------------------------------------------------------------------

class PooledError(torch.autograd.Function):
    """(Δ/N) Σ_i Σ_m (p_im / (Δ Σ_m p_im) − t_m)², with a hand-written backward."""

    @staticmethod
    def forward(ctx, p, target, delta):
        r = p.sum(1, keepdim=True)
        pooled = p / (r * delta)
        e = pooled - target
        ctx.save_for_backward(pooled, e, r)
        ctx.delta = delta
        return (e * e).sum() * (delta / p.shape[0])

    @staticmethod
    def backward(ctx, g):
        pooled, e, r = ctx.saved_tensors
        gp = e * (2.0 * ctx.delta / e.shape[0]) * g  # dL/dP
        dot = (gp * pooled).sum(1, keepdim=True)
        return (gp / ctx.delta - dot) / r, None, None


class CsrApply(torch.autograd.Function):
    """y = A x for a symmetric CSR A = I + Q whose values are `vals` (structure fixed): backward dx = A g (A = Aᵀ),
    dvals[e] = g[row e] · x[col e] (chunked gathers)."""
    CHUNK = 1 << 15

    @staticmethod
    def forward(ctx, vals, x, crow, col, row):
        a = torch.sparse_csr_tensor(crow, col, vals, (x.shape[0], x.shape[0]))
        ctx.save_for_backward(x, row, col)
        ctx.a = a
        return a @ x

    @staticmethod
    def backward(ctx, g):
        x, row, col = ctx.saved_tensors
        gv = None
        if ctx.needs_input_grad[0]:
            gv = torch.empty(row.shape[0], dtype=torch.float64)
            for s in range(0, row.shape[0], CsrApply.CHUNK):
                e = slice(s, s + CsrApply.CHUNK)
                gv[e] = (g[row[e]] * x[col[e]]).sum(1)
        gx = ctx.a @ g if ctx.needs_input_grad[1] else None
        return gv, gx, None, None, None


# ----------------------------------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------------------------------

class DpsTorchBest:
    """Leaves μ, ρ, α (and θ for a learned topology), as dps_torch.DpsTorch; loss() returns the same value."""

    def __init__(self, state, q_mode="auto"):
        ref = naive.DpsTorch(state, "sparse")  # validation, demand, leaves (builds no matrix)
        self.r, self.n, self.m, self.delta, self.grid = ref.r, ref.n, ref.m, ref.delta, ref.grid
        self.demand, self.target_local = ref.demand, ref.target_local
        self.mu, self.rho, self.alpha, self.theta = ref.mu, ref.rho, ref.alpha, ref.theta
        self.fixed_q, self.n_edges, self.edge_cost = ref.fixed_q, ref.n_edges, ref.edge_cost
        ei, ej = ref.rows[:self.n_edges], ref.cols[:self.n_edges]
        self.ei, self.ej = ei, ej
        self._dense_at = (torch.cat([ei, ej]), torch.cat([ej, ei]))  # both directions of every edge, built once
        n, ne = self.n, self.n_edges
        if q_mode == "auto":
            q_mode = "dense" if 2 * ne + n >= DENSE_FILL * n * n else "csr"
        self.q_mode = q_mode
        self.local = self.r["objective"] == "local"
        if self.local and q_mode == "csr":
            # Entries of I + Q sorted by (row, col): diagonal first, then both directions of every edge.
            diag = torch.arange(n)
            rows = torch.cat([diag, ei, ej])
            cols = torch.cat([diag, ej, ei])
            order = torch.argsort(rows * n + cols)
            self.csr_row, self.csr_col = rows[order].contiguous(), cols[order].contiguous()
            self.crow = torch.zeros(n + 1, dtype=torch.int64)
            self.crow[1:] = torch.cumsum(torch.bincount(self.csr_row, minlength=n), 0)
            # vals = cat(1, q, q)[order]: gathered from the per-edge q each step.
            self.gather = torch.cat([torch.full((n,), -1), torch.arange(ne), torch.arange(ne)])[order]
            self.is_diag = self.gather < 0
            self.gather = torch.where(self.is_diag, torch.zeros_like(self.gather), self.gather)
            if self.theta is None:
                self.csr_vals = self._csr_values(self.fixed_q)
        if self.local and q_mode == "dense" and self.theta is None:
            self.a_dense = self._dense(self.fixed_q)
        if not self.local and self.theta is None:
            self.fixed_share = self._share(self.fixed_q)

    def parameters(self):
        ps = [self.mu, self.rho, self.alpha]
        return ps + [self.theta] if self.theta is not None else ps

    def weights(self):
        return torch.sigmoid(self.theta) if self.theta is not None else self.fixed_q

    def _csr_values(self, q):
        return torch.where(self.is_diag, torch.ones(()), q[self.gather])

    def _dense(self, q):
        a = torch.eye(self.n, dtype=torch.float64)
        return a.index_put(self._dense_at, torch.cat([q, q]))

    def _share(self, q):
        """1 + Q·1: how many times each agent's production counts in W."""
        one = torch.ones(self.n, dtype=torch.float64)
        if self.n_edges == 0:
            return one
        return one.index_add(0, self.ei, q).index_add(0, self.ej, q)

    def loss(self):
        r = self.r
        q = self.weights() if self.n_edges else None
        sigma = naive.softplus(self.rho) + r["sigma_min"]
        a = naive.softplus(self.alpha) if r["resources"] == "soft" else torch.softmax(self.alpha, 0) * r["budget"]
        s = WrappedNormal.apply(self.mu, sigma, self.grid)
        if not self.local:
            share = self._share(q) if self.theta is not None else self.fixed_share
            w_total = torch.mv(s.t(), share * a)
            total = (w_total - self.demand).pow(2).sum() * self.delta
        else:
            w = s * a.unsqueeze(1)
            if self.n_edges == 0:
                p = w
            elif self.q_mode == "dense":
                p = (self._dense(q) if self.theta is not None else self.a_dense) @ w
            else:
                vals = self._csr_values(q) if self.theta is not None else self.csr_vals
                p = CsrApply.apply(vals, w, self.crow, self.csr_col, self.csr_row)
            total = PooledError.apply(p, self.target_local, self.delta)
        if r["lambda_c"] > 0 and self.n_edges:
            total = total + (q * self.edge_cost).sum() * r["lambda_c"]
        if r["resources"] == "soft" and r["lambda_r"] > 0:
            total = total + (a.sum() - r["budget"]).pow(2.0) * r["lambda_r"]
        if r["lambda_sigma"] > 0:
            total = total + sigma.pow(2.0).sum() * r["lambda_sigma"]
        return total


# ----------------------------------------------------------------------------------------------------------------------
# Threads: torch's OpenMP pool and OpenBLAS's pool, tuned per case
# ----------------------------------------------------------------------------------------------------------------------

def _openblas():
    """The loaded OpenBLAS (torch's BLAS on Debian), or None where there is none to tune."""
    for name in ("libopenblas.so.0", "libopenblas.so", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
            lib.openblas_get_num_threads.restype = ctypes.c_int
            return lib
        except (OSError, AttributeError):
            continue
    return None


OPENBLAS = _openblas()
CALIBRATE_MAX_STEP_S = 0.2  # above this a step is big enough for both pools to use every thread: no calibration


def set_threads(intra, blas):
    torch.set_num_threads(intra)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(blas)


def blas_threads():
    return OPENBLAS.openblas_get_num_threads() if OPENBLAS is not None else None


def calibrate(model, lr, threads, policy):
    """Picks the (torch, OpenBLAS) thread counts that train this model fastest, as a skilled user tunes them: each
    candidate trains a few Adam steps from the initial state (two or, for steps under 10 ms, three interleaved
    rounds, the median of each, the lowest round kept), then the parameters are put back bit for bit. Returns the JSON fields."""
    cands = [(threads, threads)]
    if policy == "auto" and threads > 1:
        cands += [(1, 1), (1, threads), (threads, 1)]
    params = model.parameters()
    saved = [p.detach().clone() for p in params]
    timings = {}

    def trial(intra, blas, steps):
        set_threads(intra, blas)
        opt = torch.optim.Adam(params, lr=lr, foreach=True)
        ts = []
        for _ in range(steps + 1):  # the first is warm-up
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            model.loss().backward()
            opt.step()
            ts.append(time.perf_counter() - t0)
        with torch.no_grad():
            for p, v in zip(params, saved):
                p.copy_(v)
                p.grad = None
        return naive.median(ts[1:])

    if len(cands) > 1:
        first = trial(*cands[0], 1)  # one timed step after one warm-up: enough to tell a big case
        if first > CALIBRATE_MAX_STEP_S:
            cands = cands[:1]
            timings[f"{threads}x{threads}"] = round(1000 * first, 3)
        else:
            steps = int(min(30, max(5, 0.15 / max(first, 1e-6))))
            for _ in range(3 if first < 0.01 else 2):
                for c in cands:
                    key = f"{c[0]}x{c[1]}"
                    t = trial(*c, steps)
                    timings[key] = min(timings.get(key, math.inf), round(1000 * t, 3))
    best_c = min(cands, key=lambda c: timings.get(f"{c[0]}x{c[1]}", 0.0))
    set_threads(*best_c)
    return {"thread_policy": policy if len(cands) > 1 else "fixed", "threads_requested": threads,
            "threads_torch": torch.get_num_threads(), "threads_blas": blas_threads(),
            "thread_trials_ms": timings or None}


def bench(state, steps, q_mode, case, warmup=1, threads=2, thread_policy="auto"):
    return naive.bench(state, steps, q_mode, "fused", case, make_model=lambda st: DpsTorchBest(st, q_mode),
                       impl="pytorch-best", foreach=True, warmup=warmup,
                       prepare=lambda model: calibrate(model, model.r["lr"], threads, thread_policy))


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", help="initial model.json (from the C# side)")
    ap.add_argument("--config", help="case config JSON: build the initial state here (dps_torch.make_state)")
    ap.add_argument("--state-out", help="where --config writes the initial model.json")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1, help="steps trained but not timed (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="at most this many threads in each pool (default 2)")
    ap.add_argument("--thread-policy", choices=("auto", "fixed"), default="auto",
                    help="auto (default): the fastest of (T,T), (1,1), (1,T), (T,1) torch x OpenBLAS threads on a few "
                         "trial steps; fixed: T and T")
    ap.add_argument("--case", default=None)
    ap.add_argument("--q", choices=("auto", "dense", "csr"), default="auto",
                    help=f"(I + Q) dense or CSR; auto: dense when at least {DENSE_FILL} of its entries are non-zero")
    ap.add_argument("--json", action="store_true", help="print only the JSON line (the default prints it too)")
    a = ap.parse_args()
    if a.steps < 1 or a.warmup < 0 or a.threads < 1:
        ap.error(f"--steps must be >= 1 (got {a.steps}), --warmup >= 0 (got {a.warmup}), --threads >= 1 (got {a.threads})")
    set_threads(a.threads, a.threads)
    if bool(a.state) == bool(a.config):
        ap.error("give --state FILE or --config CASE.json")
    state, case = naive.load_state(a)
    print(json.dumps(bench(state, a.steps, a.q, case, a.warmup, a.threads, a.thread_policy)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
