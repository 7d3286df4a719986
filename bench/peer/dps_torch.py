#!/usr/bin/python3
"""THE NAIVE PEER (issue 7), kept for reference and as the parity anchor of dps_torch_best.py; benchmark ratios are
taken against dps_torch_best.py (the best peer, issue 18). This one does more work than the C# engine: the full
N×N×M product on the system objective, dense Q up to N = 2048, per-agent image counts in Python, a COO coalesce per
step and autograd through every N×M temporary.

The DPS model of DpsTorch (MODEL.md sections 1-2) rebuilt in PyTorch, float64, op for op, as a parity peer.

Reads a DpsTorch model.json (format "dpstorch-model": mu, rho, alpha, edges, weights or theta, config), rebuilds the
same model op for op (sigma = sigma_min + softplus(rho); a = R*softmax(alpha) or softplus(alpha); skills = wrapped
normal densities on x_m = m*2pi/M; w = a*s; p = w + Q w; system or local squared mismatch; penalties), runs the same
number of torch.optim.Adam steps (lr from the config, default 0.02; betas 0.9/0.999, eps 1e-8) and prints one JSON line:

    {"case":..., "n":..., "m":..., "steps":..., "ms_per_step":..., "loss_first":..., "loss_last":..., "peak_mb":..., ...}

ms_per_step is the mean wall time of steps W+1..S (the first W = --warmup steps, default 1, are warm-up), ms_median_step
their median; loss_first is the loss at the initial state,
loss_last the loss at the final parameters (after the last update, without grad); peak_mb the peak RSS of this process
(resource.getrusage: includes the torch import and the parsed model.json); peak_train_mb the
peak RSS from just after the model is built (parsed JSON freed) to the end (VmHWM after a reset through
/proc/self/clear_refs; null where the kernel refuses the reset).

Modes:
  --state FILE           benchmark from a model.json written by the C# side (parity run)
  --config CASE.json     build the initial state here (spread init, own RNG) and benchmark it
  --make-state           with --config and --state-out: only write that initial model.json
  --selftest             checks of the wrapped normal, the sparse/dense Q paths and gradients

Run it with the Debian interpreter (/usr/bin/python3, python3-torch + libopenblas0-pthread).
"""
import argparse
import gc
import json
import math
import os
import resource
import sys
import time

# Thread counts must be fixed before numpy / torch load their BLAS.
_THREADS = "2"
for _i, _a in enumerate(sys.argv):
    if _a == "--threads" and _i + 1 < len(sys.argv):
        _THREADS = sys.argv[_i + 1]
    elif _a.startswith("--threads="):
        _THREADS = _a.split("=", 1)[1]
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = _THREADS
# Idle pool threads sleep instead of spinning (issue 18). torch's OpenMP pool and OpenBLAS's pthread pool are two
# pools: with their default spin-waits (GOMP ~ms, OpenBLAS 2^28 cycles ~0.1 s after every call) a 2-thread run keeps
# 3 spinning threads on 2 cores, and a step costs 2-10x more whenever anything else runs (bench/README.md).
# Respected when already set.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_default_dtype(torch.float64)

TWO_PI = 2.0 * math.pi
INV_SQRT_TWO_PI = 1.0 / math.sqrt(TWO_PI)

# src/DpsTorch/Ops/WrappedNormal.cs (the scalar evaluator, also used for the demand).
TOLERANCE = 1e-12
TAIL_Z = math.sqrt(2.0 * math.log(1.0 / TOLERANCE))
SWITCH_SIGMA = math.sqrt(math.pi)

# src/DpsTorch/Ops/Tensor.Fused.cs (Tensor.WrappedNormalDensity, the op DpsModel.Skills() calls).
FUSED_Z = math.sqrt(2.0 * math.log(1e16))
FUSED_SWITCH_SIGMA = 0.5
FUSED_MIN_EXPONENT = -700.0

DENSE_MAX_N = 2048


# ----------------------------------------------------------------------------------------------------------------------
# Wrapped normal
# ----------------------------------------------------------------------------------------------------------------------

def image_count_scalar(sigma):
    """WrappedNormal.ImageCount: images on each side of k = 0, ceil((z sigma/pi + 1)/2), z = sqrt(2 ln 1e12)."""
    return int(math.ceil((TAIL_Z * sigma / math.pi + 1.0) / 2.0))


def image_count_fused(sigma):
    """Tensor.Fused Images(): floor((z16 sigma/pi + 1)/2), z16 = sqrt(2 ln 1e16)."""
    return int(math.floor((FUSED_Z * sigma / math.pi + 1.0) / 2.0))


def harmonic_count(sigma):
    """WrappedNormal.HarmonicCount: max(1, ceil(z/sigma))."""
    return max(1, int(math.ceil(TAIL_Z / sigma)))


def ieee_wrap(d):
    """WrappedNormal.Wrap: Math.IEEERemainder(d, 2pi) mapped to [-pi, pi). fmod is exact and the +-2pi corrections are
    exact by Sterbenz's lemma, so this reproduces IEEERemainder bit for bit (ties at exactly +-pi aside)."""
    r = torch.fmod(d, TWO_PI)
    r = torch.where(r > math.pi, r - TWO_PI, torch.where(r < -math.pi, r + TWO_PI, r))
    return torch.where(r >= math.pi, r - TWO_PI, r)


def _images(mu, sigma, grid, rule):
    """Image sum for a batch of agents (mu, sigma: [n]); returns [n, M]."""
    n, m = mu.shape[0], grid.shape[0]
    sig = sigma.detach().tolist()
    if rule == "fused":
        counts = [image_count_fused(s) for s in sig]
        # Offsets(): grid reduced to [0, 2pi), mu reduced by floor, one +-2pi correction.
        x = grid - TWO_PI * torch.floor(grid / TWO_PI)
        mr = mu - TWO_PI * torch.floor(mu.detach() / TWO_PI)
        v = x.unsqueeze(0) - mr.unsqueeze(1)
        d = torch.where(v >= math.pi, v - TWO_PI, torch.where(v < -math.pi, v + TWO_PI, v))
    else:
        counts = [image_count_scalar(s) for s in sig]
        d = ieee_wrap(grid.unsqueeze(0) - mu.unsqueeze(1))
    kmax = max(counts)
    counts_t = torch.tensor(counts, dtype=torch.float64).unsqueeze(1)
    neg_inv2s2 = (-1.0 / (2.0 * sigma * sigma)).unsqueeze(1)
    norm = (INV_SQRT_TWO_PI / sigma).unsqueeze(1)
    row = torch.zeros(n, m, dtype=torch.float64)
    for k in range(-kmax, kmax + 1):
        u = d + TWO_PI * k if k != 0 else d
        if rule == "fused":
            e = torch.clamp(u * u * neg_inv2s2, min=FUSED_MIN_EXPONENT)
        else:
            e = -u * u * (-neg_inv2s2)  # C#: Math.Exp(-dk * dk * inv2s2)
        phi = torch.exp(e) * norm
        if kmax > min(counts):  # agents needing fewer images add an exact 0 for this k
            phi = phi * (counts_t >= abs(k)).to(torch.float64)
        row = phi + row if rule == "fused" else row + phi
    return row


def _fourier(mu, sigma, grid):
    """Fourier series for a batch of agents; returns [n, M]. Same order as Tensor.Fused: 1/2pi + sum_h e_h cos(h mu)
    cos(h x) + e_h sin(h mu) sin(h x), e_h = exp(-h^2 sigma^2/2)/pi."""
    n, m = mu.shape[0], grid.shape[0]
    counts = [harmonic_count(s) for s in sigma.detach().tolist()]
    hmax = max(counts)
    counts_t = torch.tensor(counts, dtype=torch.float64)
    row = torch.full((n, m), 1.0 / TWO_PI, dtype=torch.float64)
    for h in range(1, hmax + 1):
        en = torch.exp(-0.5 * h * h * sigma * sigma) / math.pi
        if hmax > min(counts):
            en = en * (counts_t >= h).to(torch.float64)
        cn, sn = torch.cos(h * mu), torch.sin(h * mu)
        ch, sh = torch.cos(h * grid), torch.sin(h * grid)
        row = ch.unsqueeze(0) * (en * cn).unsqueeze(1) + row
        row = sh.unsqueeze(0) * (en * sn).unsqueeze(1) + row
    return row


def wrapped_normal(mu, sigma, grid, rule="fused", method="auto"):
    """Skill densities WN(x_m; mu_i, sigma_i), [N, M], differentiable in mu and sigma.

    rule "fused" (default) follows Tensor.WrappedNormalDensity in src/DpsTorch/Ops/Tensor.Fused.cs, the op DpsModel
    calls: images for sigma < 0.5 with floor((z16 sigma/pi + 1)/2) images a side, Fourier above. rule "scalar" follows
    WrappedNormal.cs: images for sigma < sqrt(pi) with ceil((z sigma/pi + 1)/2), z = sqrt(2 ln 1e12). Both use
    max(1, ceil(z/sigma)) harmonics. method "images"/"fourier" forces one series for every agent."""
    switch = FUSED_SWITCH_SIGMA if rule == "fused" else SWITCH_SIGMA
    if method == "images":
        use_img = torch.ones(mu.shape[0], dtype=torch.bool)
    elif method == "fourier":
        use_img = torch.zeros(mu.shape[0], dtype=torch.bool)
    else:
        use_img = sigma.detach() < switch
    n_img = int(use_img.sum())
    if n_img == mu.shape[0]:
        return _images(mu, sigma, grid, rule)
    if n_img == 0:
        return _fourier(mu, sigma, grid)
    ii = torch.nonzero(use_img).squeeze(1)
    fi = torch.nonzero(~use_img).squeeze(1)
    out = torch.zeros(mu.shape[0], grid.shape[0], dtype=torch.float64)
    out = out.index_put((ii,), _images(mu[ii], sigma[ii], grid, rule))
    return out.index_put((fi,), _fourier(mu[fi], sigma[fi], grid))


def wn_scalar_numpy(x, mu, sigma):
    """WrappedNormal.Density (Auto) at an array of points x, in numpy: used for the demand, as Demand.Mixture does."""
    x = np.asarray(x, dtype=np.float64)
    if sigma < SWITCH_SIGMA:
        d = ieee_wrap(torch.from_numpy(x - mu)).numpy()
        kk = image_count_scalar(sigma)
        inv2s2 = 1.0 / (2.0 * sigma * sigma)
        norm = INV_SQRT_TWO_PI / sigma
        s = np.zeros_like(x)
        for k in range(-kk, kk + 1):
            dk = d + TWO_PI * k
            s += norm * np.exp(-dk * dk * inv2s2)
        return s
    d = x - mu
    s = np.zeros_like(x)
    for n in range(1, harmonic_count(sigma) + 1):
        s += math.exp(-0.5 * n * n * sigma * sigma) * np.cos(n * d)
    return (1.0 / TWO_PI) * (1.0 + 2.0 * s)


# ----------------------------------------------------------------------------------------------------------------------
# Config, demand, topology
# ----------------------------------------------------------------------------------------------------------------------

def section(cfg, name):
    return cfg.get(name) or {}


def resolved(cfg):
    """The config values the model needs, with DpsConfig.cs defaults."""
    sp, ag, de = section(cfg, "space"), section(cfg, "agents"), section(cfg, "demand")
    to, ob, tr = section(cfg, "topology"), section(cfg, "objective"), section(cfg, "training")
    m = int(sp.get("m", 256))
    n = int(ag.get("count", 12))
    budget = ag.get("budget")
    budget = float(n) if budget is None else float(budget)
    sigma_min = ag.get("sigmaMin")
    sigma_min = TWO_PI / m if sigma_min is None else float(sigma_min)
    r = dict(
        m=m, n=n, budget=budget, sigma_min=sigma_min,
        resources=ag.get("resources", "budget"), init=ag.get("init", "auto"), init_sigma=ag.get("initSigma"),
        jitter=float(ag.get("jitter", 0.01)),
        demand_kind=de.get("kind", "peaks"), peaks=int(de.get("peaks", 3)), width=float(de.get("width", 0.15)),
        phase=float(de.get("phase", 0.0)), mass=de.get("mass"),
        topology=to.get("kind", "none"), k=int(to.get("k", 2)), p=float(to.get("p", 0.1)),
        seed=int(to.get("seed", 0)), weight=float(to.get("weight", 1.0)), learned=bool(to.get("learned", False)),
        init_weight=float(to.get("initWeight", 0.5)), embedding=to.get("embedding", "ring"),
        gamma=float(to.get("gamma", 1.0)), propagation=to.get("propagation", "direct"),
        objective=ob.get("kind", "system"), mismatch=ob.get("mismatch", "squared"),
        lambda_c=float(ob.get("lambdaC", 0.0)), lambda_r=float(ob.get("lambdaR", 0.0)),
        lambda_sigma=float(ob.get("lambdaSigma", 0.0)),
        optimizer=tr.get("optimizer", "adam"), lr=float(tr.get("lr", 0.02)), train_seed=int(tr.get("seed", 0)),
        continuation=float(tr.get("continuation", 0.0)),
    )
    r["mass"] = budget if r["mass"] is None else float(r["mass"])
    unsupported = []
    if r["resources"] not in ("budget", "soft"):
        unsupported.append(f"agents.resources {r['resources']!r}")
    if r["demand_kind"] not in ("peaks", "uniform"):
        unsupported.append(f"demand.kind {r['demand_kind']!r} (peaks and uniform only)")
    if r["propagation"] != "direct":
        unsupported.append(f"topology.propagation {r['propagation']!r} (direct only)")
    if r["mismatch"] != "squared":
        unsupported.append(f"objective.mismatch {r['mismatch']!r} (squared only)")
    if r["objective"] not in ("system", "local"):
        unsupported.append(f"objective.kind {r['objective']!r}")
    if r["optimizer"] != "adam":
        unsupported.append(f"training.optimizer {r['optimizer']!r} (adam only)")
    if r["continuation"] > 0:
        unsupported.append("training.continuation > 0")
    if r["lambda_c"] > 0 and r["embedding"] not in ("ring", "index"):
        unsupported.append(f"topology.embedding {r['embedding']!r} with lambdaC > 0 (ring and index only)")
    if unsupported:
        raise SystemExit("dps_torch.py: unsupported config: " + "; ".join(unsupported))
    return r


def grid_of(m):
    """Space.Grid: x_m = (2pi/M)*m."""
    delta = TWO_PI / m
    return delta, torch.arange(m, dtype=torch.float64) * delta


def demand(r):
    """SystemBuilder.DemandFrames for "peaks" (Demand.EvenPeaks -> Mixture, every component and the sum normalised
    on the grid) and "uniform"; total mass demand.mass or R."""
    delta, grid = grid_of(r["m"])
    x = grid.numpy()
    if r["demand_kind"] == "uniform":
        return np.full(r["m"], r["mass"] / TWO_PI)
    k = r["peaks"]
    values = np.zeros(r["m"])
    for j in range(k):
        comp = wn_scalar_numpy(x, r["phase"] + TWO_PI * j / k, r["width"])
        c = delta * comp.sum()
        values += (1.0 / (k * c)) * comp
    return values * (r["mass"] / (delta * values.sum()))


def make_edges(r, rng):
    """Edges (i < j) of the topology; for a learned topology "none" means complete."""
    n, kind = r["n"], r["topology"]
    if r["learned"] and kind == "none":
        kind = "complete"
    if kind == "none":
        return np.zeros((0, 2), dtype=np.int64)
    if kind == "complete":
        i, j = np.triu_indices(n, 1)
        return np.stack([i, j], 1).astype(np.int64)
    if kind in ("ring", "small-world"):
        k = r["k"]
        if 2 * k >= n:
            raise SystemExit(f"topology.k = {k}: need 2k < agents.count ({n})")
        edges = [(i, (i + j) % n) for i in range(n) for j in range(1, k + 1)]
        if kind == "small-world":
            # Watts-Strogatz rewiring (the NetworkX scheme) with numpy's RNG: NOT the C# generator's edges.
            present = set((min(a, b), max(a, b)) for a, b in edges)
            adj = [set() for _ in range(n)]
            for a, b in present:
                adj[a].add(b)
                adj[b].add(a)
            for j in range(1, k + 1):
                for u in range(n):
                    if rng.random() >= r["p"]:
                        continue
                    v = (u + j) % n
                    if (min(u, v), max(u, v)) not in present or len(adj[u]) >= n - 1:
                        continue
                    w = int(rng.integers(n))
                    while w == u or w in adj[u]:
                        w = int(rng.integers(n))
                    present.discard((min(u, v), max(u, v)))
                    adj[u].discard(v)
                    adj[v].discard(u)
                    present.add((min(u, w), max(u, w)))
                    adj[u].add(w)
                    adj[w].add(u)
            edges = sorted(present)
        e = np.array([(min(a, b), max(a, b)) for a, b in edges], dtype=np.int64)
        return e
    raise SystemExit(f"dps_torch.py --make-state: topology.kind {kind!r} not supported (none, complete, ring, small-world)")


def softplus_inverse(y):
    """Initialization.SoftplusInverse."""
    return y + math.log(-math.expm1(-y)) if y > 30 else math.log(math.expm1(y))


def make_state(cfg, seed=None):
    """An initial model.json dict: Initialization.Create "spread" (mu_i = 2pi i/N + jitter, sigma = max(2pi/(4N),
    2 sigma_min)), own RNG (numpy), topology edges with theta = logit(initWeight) or fixed weights."""
    r = resolved(cfg)
    n = r["n"]
    kind = r["init"] if r["init"] != "auto" else "spread"
    if kind != "spread":
        raise SystemExit(f"dps_torch.py --make-state: agents.init {kind!r}: only spread (or auto) is implemented")
    rng = np.random.default_rng(r["train_seed"] if seed is None else seed)
    sigma = r["init_sigma"] if r["init_sigma"] is not None else max(TWO_PI / (4.0 * n), 2.0 * r["sigma_min"])
    jit = r["jitter"]
    z = rng.standard_normal((3, n))
    mu = TWO_PI * np.arange(n) / n + jit * z[0]
    s = np.maximum(sigma * (1.0 + jit * z[1]), r["sigma_min"] * 1.0001)
    rho = np.array([softplus_inverse(v - r["sigma_min"]) for v in s])
    alpha = jit * z[2]
    edges = make_edges(r, rng)
    ne = edges.shape[0]
    state = {
        "format": "dpstorch-model", "version": 1, "n": n, "m": r["m"],
        "mu": mu.tolist(), "rho": rho.tolist(), "alpha": alpha.tolist(),
        "sigma": (r["sigma_min"] + np.logaddexp(0.0, rho)).tolist(),
        "resources": (r["budget"] * np.exp(alpha - alpha.max()) / np.exp(alpha - alpha.max()).sum()).tolist()
        if r["resources"] == "budget" else np.logaddexp(0.0, alpha).tolist(),
        "edges": edges.tolist(),
        "config": cfg,
    }
    if r["learned"]:
        logit = math.log(r["init_weight"] / (1.0 - r["init_weight"]))
        state["weights"] = [r["init_weight"]] * ne
        state["theta"] = [logit] * ne
    else:
        state["weights"] = [r["weight"]] * ne
    return state


# ----------------------------------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------------------------------

def softplus(x):
    """The engine's stable softplus (beta 1, threshold 20): x > 20 ? x : log1p(exp(-|x|)) + max(x, 0)."""
    return torch.where(x > 20.0, x, torch.log1p(torch.exp(-torch.abs(x))) + torch.clamp(x, min=0.0))


class DpsTorch:
    """DpsModel.cs in torch: leaves mu, rho, alpha (and theta for a learned topology)."""

    def __init__(self, state, q_mode="auto", wn_rule="fused"):
        cfg = state["config"]
        r = resolved(cfg)
        n = len(state["mu"])
        if n != r["n"]:
            raise SystemExit(f"model.json: {n} agents in mu but config.agents.count = {r['n']}")
        if state.get("m", r["m"]) != r["m"]:
            raise SystemExit(f"model.json: m = {state['m']} but config.space.m = {r['m']}")
        self.r, self.n, self.m = r, n, r["m"]
        self.delta, self.grid = grid_of(self.m)
        self.wn_rule = wn_rule
        self.demand = torch.from_numpy(demand(r))
        self.target_local = self.demand / (self.delta * float(np.sum(self.demand.numpy())))
        self.mu = torch.tensor(state["mu"], dtype=torch.float64, requires_grad=True)
        self.rho = torch.tensor(state["rho"], dtype=torch.float64, requires_grad=True)
        self.alpha = torch.tensor(state["alpha"], dtype=torch.float64, requires_grad=True)
        edges = torch.tensor(state["edges"], dtype=torch.int64).reshape(-1, 2)
        self.n_edges = edges.shape[0]
        if self.n_edges and (bool((edges[:, 0] >= edges[:, 1]).any()) or int(edges.max()) >= n or int(edges.min()) < 0):
            raise SystemExit("model.json: edges must be pairs [i, j] with 0 <= i < j < n")
        self.rows = torch.cat([edges[:, 0], edges[:, 1]])
        self.cols = torch.cat([edges[:, 1], edges[:, 0]])
        if r["learned"]:
            if state.get("theta") is None:
                raise SystemExit("model.json: config.topology.learned is true but there is no theta")
            self.theta = torch.tensor(state["theta"], dtype=torch.float64, requires_grad=True)
            self.fixed_q = None
        else:
            self.theta = None
            self.fixed_q = torch.tensor(state["weights"], dtype=torch.float64)
        if len(self.theta if self.theta is not None else self.fixed_q) != self.n_edges:
            raise SystemExit("model.json: one weight / theta per edge expected")
        self.q_mode = ("dense" if n <= DENSE_MAX_N else "sparse") if q_mode == "auto" else q_mode
        self.edge_cost = None
        if r["lambda_c"] > 0 and self.n_edges:
            dist = (edges[:, 1] - edges[:, 0]).to(torch.float64)
            if r["embedding"] == "ring":
                dist = torch.minimum(dist, n - dist)
            self.edge_cost = dist ** r["gamma"]
        self._fixed_matrix = None

    def parameters(self):
        ps = [self.mu, self.rho, self.alpha]
        return ps + [self.theta] if self.theta is not None else ps

    def weights(self):
        return torch.sigmoid(self.theta) if self.theta is not None else self.fixed_q

    def sigma(self):
        return softplus(self.rho) + self.r["sigma_min"]

    def resources(self):
        if self.r["resources"] == "soft":
            return softplus(self.alpha)
        return torch.softmax(self.alpha, 0) * self.r["budget"]

    def _matrix(self, q):
        vals = torch.cat([q, q])
        if self.q_mode == "dense":
            z = torch.zeros(self.n, self.n, dtype=torch.float64)
            return z.index_put((self.rows, self.cols), vals)
        idx = torch.stack([self.rows, self.cols])
        return torch.sparse_coo_tensor(idx, vals, (self.n, self.n))

    def apply_q(self, q, x):
        """Q x for x of shape [N, M]."""
        if self.n_edges == 0:
            return torch.zeros_like(x)
        if self.q_mode == "sparse":
            return _SpMM.apply(torch.cat([q, q]), x, self.rows, self.cols, self.n)
        if self.theta is None:
            if self._fixed_matrix is None:
                self._fixed_matrix = self._matrix(q).coalesce() if self.q_mode == "sparse-autograd" else self._matrix(q)
            qm = self._fixed_matrix
        else:
            qm = self._matrix(q)
        if self.q_mode == "dense":
            return qm @ x
        return torch.sparse.mm(qm, x)

    def loss(self):
        q = self.weights() if self.n_edges else None
        sigma = self.sigma()
        skills = wrapped_normal(self.mu, sigma, self.grid, self.wn_rule)
        w = self.resources().unsqueeze(1) * skills
        p = w + self.apply_q(q, w)
        if self.r["objective"] == "system":
            W = p.sum(0)
            coverage = (W - self.demand).pow(2.0).sum() * self.delta
        else:
            pooled = p / (p.sum(1, keepdim=True) * self.delta)
            coverage = (pooled - self.target_local).pow(2.0).sum() * self.delta / self.n
        total = coverage
        if self.r["lambda_c"] > 0 and self.n_edges:
            total = total + (q * self.edge_cost).sum() * self.r["lambda_c"]
        if self.r["resources"] == "soft" and self.r["lambda_r"] > 0:
            total = total + (self.resources().sum() - self.r["budget"]).pow(2.0) * self.r["lambda_r"]
        if self.r["lambda_sigma"] > 0:
            total = total + sigma.pow(2.0).sum() * self.r["lambda_sigma"]
        return total


class _SpMM(torch.autograd.Function):
    """Q x for a sparse Q given by (rows, cols, values): forward torch.sparse.mm on a coalesced COO matrix, backward
    dx = Q^T g (sparse) and dvalues[e] = g[rows[e]] . x[cols[e]] in chunks, the same work as the engine's
    SparseMatMul. Plain autograd through torch.sparse.mm would return a dense N×N gradient for the values' matrix
    (80 GB at N = 100,000 in torch 1.13)."""
    CHUNK = 1 << 14

    @staticmethod
    def forward(ctx, vals, x, rows, cols, n):
        q = torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, x.shape[0])).coalesce()
        ctx.save_for_backward(vals, x, rows, cols)
        ctx.n = n
        return torch.sparse.mm(q, x)

    @staticmethod
    def backward(ctx, g):
        vals, x, rows, cols = ctx.saved_tensors
        gv = gx = None
        if ctx.needs_input_grad[0]:
            gv = torch.empty_like(vals)
            for s in range(0, vals.shape[0], _SpMM.CHUNK):
                e = slice(s, s + _SpMM.CHUNK)
                gv[e] = (g[rows[e]] * x[cols[e]]).sum(1)
        if ctx.needs_input_grad[1]:
            qt = torch.sparse_coo_tensor(torch.stack([cols, rows]), vals, (x.shape[0], ctx.n)).coalesce()
            gx = torch.sparse.mm(qt, g)
        return gv, gx, None, None, None


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def reset_hwm():
    """Resets the kernel's peak-RSS mark (VmHWM) of this process (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def vm_hwm_mb():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def median(values):
    v = sorted(values)
    if not v:
        return None
    return v[len(v) // 2] if len(v) % 2 == 1 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])


def bench(state, steps, q_mode, wn_rule, case, make_model=None, impl="pytorch", foreach=None, warmup=1, prepare=None):
    """Trains `steps` Adam steps and returns the JSON line's fields. make_model(state) builds another peer's model
    (dps_torch_best.py), impl names it, foreach is passed to torch.optim.Adam. The first `warmup` steps are trained
    but not in ms_per_step / ms_median_step. prepare(model), when given, runs after the model is built and before
    the timed steps (the best peer's thread calibration) and returns a dict merged into the JSON line; it must leave
    the parameters as it found them."""
    rss_before = peak_mb()
    model = make_model(state) if make_model else DpsTorch(state, q_mode, wn_rule)
    r = model.r
    state.clear()  # the parsed JSON (large for N = 2048 complete) is not part of the model
    gc.collect()
    extra = prepare(model) if prepare else {}
    hwm_reset = reset_hwm()
    opt = torch.optim.Adam(model.parameters(), lr=r["lr"], foreach=foreach)
    times = []
    loss_first = None
    for step in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model.loss()
        value = loss.item()
        if not math.isfinite(value):
            raise SystemExit(f"{impl}: training step {step}: the loss is {value}")
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        if step == 0:
            loss_first = value
    with torch.no_grad():
        loss_last = model.loss().item()
    if loss_first is None:
        loss_first = loss_last
    warm = min(max(warmup, 0), len(times) - 1) if len(times) > 1 else 0
    timed = times[warm:]
    out = {
        "case": case, "impl": impl, "n": model.n, "m": model.m, "steps": steps, "warmup": warm, "timed_steps": len(timed),
        "ms_per_step": 1000.0 * sum(timed) / len(timed) if timed else None,
        "ms_first_step": 1000.0 * times[0] if times else None,
        "ms_median_step": 1000.0 * median(timed) if timed else None,
        # Drift check: the medians of the first and the second half of the timed steps (equal on a steady step).
        "ms_median_first_half": 1000.0 * median(timed[:len(timed) // 2]) if len(timed) > 1 else None,
        "ms_median_second_half": 1000.0 * median(timed[len(timed) // 2:]) if len(timed) > 1 else None,
        "loss_first": loss_first, "loss_last": loss_last, "peak_mb": round(peak_mb(), 1),
        "peak_train_mb": round(vm_hwm_mb(), 1) if hwm_reset and vm_hwm_mb() else None,
        "rss_before_model_mb": round(rss_before, 1), "q": model.q_mode, "edges": model.n_edges,
        "learned": model.theta is not None, "objective": r["objective"], "wn_rule": wn_rule,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
    }
    out.update(extra)
    return out


# ----------------------------------------------------------------------------------------------------------------------
# Self-test
# ----------------------------------------------------------------------------------------------------------------------

def selftest():
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    m = 256
    delta, grid = grid_of(m)
    gen = torch.Generator().manual_seed(1)
    mu = (torch.rand(40, generator=gen) * 14.0 - 4.0)  # some outside [0, 2pi)
    sig = torch.cat([torch.linspace(0.06, 1.2, 20), torch.linspace(1.25, 4.0, 20)])
    for rule in ("fused", "scalar"):
        for method in ("auto", "images", "fourier"):
            s = wrapped_normal(mu, sig, grid, rule, method)
            integ = (s.sum(1) * delta - 1.0).abs().max().item()
            check(integ < 1e-10, f"wrapped normal integrates to 1 ({rule}/{method}): max |Δ Σ s - 1| = {integ:.2e}")
        a = wrapped_normal(mu, sig, grid, rule, "images")
        b = wrapped_normal(mu, sig, grid, rule, "fourier")
        diff = ((a - b).abs().max() / b.abs().max()).item()
        check(diff < 1e-10, f"images and Fourier agree ({rule}): max rel diff {diff:.2e}")
    # Fourier needs sigma not too small to be cheap; images for sigma up to 4 are exact too: compare with a brute sum.
    x = grid.unsqueeze(0) - mu.unsqueeze(1)
    brute = sum(torch.exp(-(x + TWO_PI * k) ** 2 / (2 * sig.unsqueeze(1) ** 2)) for k in range(-12, 13)) \
        * (INV_SQRT_TWO_PI / sig).unsqueeze(1)
    for rule in ("fused", "scalar"):
        d = ((wrapped_normal(mu, sig, grid, rule) - brute).abs().max() / brute.abs().max()).item()
        check(d < 1e-12, f"auto ({rule}) matches a 25-image brute-force sum: {d:.2e}")
    a = wrapped_normal(mu, sig, grid, "fused")
    b = wrapped_normal(mu, sig, grid, "scalar")
    d = ((a - b).abs().max() / b.abs().max()).item()
    check(d < 1e-12, f"fused and scalar rules agree: {d:.2e}")
    dn = wn_scalar_numpy(grid.numpy(), 1.3, 0.15)
    d = np.abs(dn - brute_one(grid, 1.3, 0.15)).max() / dn.max()
    check(d < 1e-13, f"numpy scalar density (demand) matches brute force: {d:.2e}")

    # Gradients of the wrapped normal (finite differences in float64).
    mu_g = torch.tensor([0.3, 2.0, 5.9, -1.0], requires_grad=True)
    sg_g = torch.tensor([0.1, 0.45, 0.7, 2.5], requires_grad=True)
    for rule in ("fused", "scalar"):
        ok = torch.autograd.gradcheck(lambda a_, b_: wrapped_normal(a_, b_, grid[::16], rule), (mu_g, sg_g),
                                      eps=1e-6, atol=1e-7, rtol=1e-6)
        check(ok, f"wrapped normal gradcheck ({rule})")

    # Dense and sparse Q give the same loss and gradients (learned ring and learned complete).
    for topo, obj in (("ring", "local"), ("complete", "system")):
        cfg = {"space": {"m": 64}, "agents": {"count": 20},
               "topology": {"kind": topo, "k": 2, "learned": True}, "objective": {"kind": obj}}
        st = make_state(cfg, seed=3)
        st["theta"] = (np.random.default_rng(4).standard_normal(len(st["edges"]))).tolist()
        res = []
        for qm in ("dense", "sparse", "sparse-autograd"):
            md = DpsTorch(st, qm)
            lv = md.loss()
            lv.backward()
            res.append((lv.item(), [p.grad.clone() for p in md.parameters()]))
        for other, name in ((res[1], "sparse"), (res[2], "sparse-autograd")):
            dl = abs(res[0][0] - other[0]) / abs(res[0][0])
            dg = max(((g0 - g1).abs().max() / g0.abs().max()).item() for g0, g1 in zip(res[0][1], other[1]))
            check(dl < 1e-13 and dg < 1e-12, f"dense and {name} Q agree ({topo}, {obj}): loss {dl:.1e}, grads {dg:.1e}")

    # The loss's gradient through the whole model (small case, learned ring, local objective).
    cfg = {"space": {"m": 32}, "agents": {"count": 8}, "topology": {"kind": "ring", "k": 1, "learned": True},
           "objective": {"kind": "local", "lambdaSigma": 0.01}, "demand": {"peaks": 2, "width": 0.4}}
    st = make_state(cfg, seed=5)
    md = DpsTorch(st, "sparse")
    names = ["mu", "rho", "alpha", "theta"]
    base = [p.detach().clone() for p in md.parameters()]

    def f(*ps):
        md.mu, md.rho, md.alpha, md.theta = ps
        return md.loss()
    ok = torch.autograd.gradcheck(f, tuple(b.clone().requires_grad_(True) for b in base), eps=1e-6, atol=1e-6, rtol=1e-5)
    check(ok, "model loss gradcheck (" + ", ".join(names) + "; sparse learned ring, local objective)")

    # Demand: peaks have the requested mass.
    r = resolved({"agents": {"count": 16}, "demand": {"kind": "peaks", "peaks": 3, "width": 0.15}})
    dm = demand(r)
    check(abs(dm.sum() * (TWO_PI / 256) - 16.0) < 1e-12, f"peaks demand has mass R = N = 16: {dm.sum() * TWO_PI / 256!r}")
    print("selftest:", "FAILED (" + str(len(failures)) + ")" if failures else "all passed")
    return 1 if failures else 0


def brute_one(grid, mu, sigma):
    x = grid.numpy() - mu
    return sum(np.exp(-(x + TWO_PI * k) ** 2 / (2 * sigma ** 2)) for k in range(-12, 13)) * INV_SQRT_TWO_PI / sigma


# ----------------------------------------------------------------------------------------------------------------------

def load_state(a):
    """The initial state and case name of --state FILE (a C# model.json) or --config CASE.json (built here with
    make_state, written to --state-out when given)."""
    if a.state:
        with open(a.state) as fh:
            state = json.load(fh)
        if state.get("format") != "dpstorch-model" or state.get("version") != 1:
            raise SystemExit(f"{a.state}: not a dpstorch-model version 1 file")
        return state, a.case or os.path.basename(os.path.dirname(os.path.abspath(a.state)))
    with open(a.config) as fh:
        cfg = json.load(fh)
    state = make_state(cfg, a.seed)
    if a.state_out:
        os.makedirs(os.path.dirname(os.path.abspath(a.state_out)), exist_ok=True)
        with open(a.state_out, "w") as fh:
            json.dump(state, fh)
    return state, a.case or os.path.splitext(os.path.basename(a.config))[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", help="initial model.json (from the C# side)")
    ap.add_argument("--config", help="case config JSON: build the initial state here")
    ap.add_argument("--make-state", action="store_true", help="only write the initial state (--config, --state-out)")
    ap.add_argument("--state-out", help="where --make-state (or --config) writes the initial model.json")
    ap.add_argument("--seed", type=int, default=None, help="RNG seed of --make-state (default training.seed)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1, help="steps trained but not timed (default 1)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--case", default=None, help="case name for the JSON line (default: the file name)")
    ap.add_argument("--q", choices=("auto", "dense", "sparse", "sparse-autograd"), default="auto",
                    help=f"Q x as a dense N×N matmul, a sparse COO matmul with a hand-written backward (sparse), or "
                         f"plain autograd through torch.sparse.mm (sparse-autograd: dense N×N gradient). "
                         f"auto: dense for N <= {DENSE_MAX_N}, else sparse")
    ap.add_argument("--wn-rule", choices=("fused", "scalar"), default="fused",
                    help="which C# wrapped-normal evaluator to mirror (default fused = Tensor.WrappedNormalDensity)")
    ap.add_argument("--json", action="store_true", help="print only the JSON line (the default prints it too)")
    ap.add_argument("--selftest", action="store_true")
    a = ap.parse_args()
    if a.steps < 1 or a.warmup < 0 or a.threads < 1:
        ap.error(f"--steps must be >= 1 (got {a.steps}), --warmup >= 0 (got {a.warmup}), --threads >= 1 (got {a.threads})")
    torch.set_num_threads(a.threads)
    if a.selftest:
        return selftest()
    if a.state and a.config:
        ap.error("give --state or --config, not both")
    if a.state or a.config:
        state, case = load_state(a)
        if a.config and a.make_state:
            if not a.state_out:
                ap.error("--make-state needs --state-out")
            print(json.dumps({"state_out": a.state_out, "n": state["n"], "m": state["m"], "edges": len(state["edges"])}))
            return 0
    else:
        ap.error("give --state FILE, --config CASE.json or --selftest")
    result = bench(state, a.steps, a.q, a.wn_rule, case, warmup=a.warmup)
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
