#!/usr/bin/python3
"""Parity of the best PyTorch peer (dps_torch_best.py) with the naive one (dps_torch.py), which matches the C# engine
(bench/compare.sh): for each bench case, from the same initial state (dps_torch.make_state), the loss and the
gradients of mu, rho, alpha (and theta) at the initial state, and the loss after STEPS Adam steps of each.

    /usr/bin/python3 bench/peer/parity.py [--steps 3] [--tol 1e-12] [--threads 2] [--extra-only] [CASE ...]

Default: every bench case, then built-in extra cases (see EXTRA).

Prints one line per case (loss and gradient relative differences, OK/FAIL) and exits 1 when a case differs by more
than --tol. Relative differences: |a - b| / |b| for losses, max |ga - gb| / max |gb| per gradient.
"""
import argparse
import gc
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dps_torch as naive  # noqa: E402
import dps_torch_best as best  # noqa: E402
import torch  # noqa: E402


def run(model, adam, steps):
    loss = model.loss()
    loss.backward()
    first = (loss.item(), [p.grad.detach().clone() for p in model.parameters()])
    opt = adam(model.parameters())
    opt.step()
    for _ in range(steps - 1):
        opt.zero_grad()
        model.loss().backward()
        opt.step()
    with torch.no_grad():
        return first, model.loss().item()


def spread_sigma(cfg, low, high):
    """A state whose agents' σ span [low, high] (both wrapped-normal series, images and Fourier, in one model)."""
    state = naive.make_state(cfg, seed=7)
    smin = naive.resolved(cfg)["sigma_min"]
    n = len(state["rho"])
    state["rho"] = [naive.softplus_inverse(low + (high - low) * i / (n - 1) - smin) for i in range(n)]
    if "theta" in state:
        state["theta"] = [0.3 * math.sin(1.7 * e) for e in range(len(state["theta"]))]
    return cfg, state


# Beyond the bench cases (whose initial σ all take the image sum): σ from 0.15 to 2.5 (image sum and Fourier series
# in one model), fixed and learned, dense and CSR (I + Q), both objectives, with λ_σ, λ_C and soft resources.
EXTRA = [
    ("extra-sigma-dense-local", lambda: spread_sigma(
        {"space": {"m": 64}, "agents": {"count": 24}, "topology": {"kind": "complete", "learned": True},
         "objective": {"kind": "local", "lambdaSigma": 0.01}}, 0.15, 2.5)),
    ("extra-sigma-ring-csr-local", lambda: spread_sigma(
        {"space": {"m": 64}, "agents": {"count": 64}, "topology": {"kind": "ring", "k": 2, "learned": True},
         "objective": {"kind": "local", "lambdaC": 0.01}}, 0.15, 2.5)),
    ("extra-sigma-ring-fixed-local", lambda: spread_sigma(
        {"space": {"m": 64}, "agents": {"count": 64, "resources": "soft"}, "topology": {"kind": "ring", "k": 3},
         "objective": {"kind": "local", "lambdaR": 0.1}}, 0.15, 2.5)),
    ("extra-sigma-ring-learned-system", lambda: spread_sigma(
        {"space": {"m": 64}, "agents": {"count": 64}, "topology": {"kind": "ring", "k": 2, "learned": True},
         "objective": {"kind": "system", "lambdaC": 0.01}}, 0.15, 2.5)),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tol", type=float, default=1e-12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--extra-only", action="store_true", help="only the built-in extra cases (no bench case)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cases")
    names = a.cases or sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(root, "*.json")))
    failed = 0
    cases = ([] if a.extra_only else [(name, None) for name in names]) + ([] if a.cases else EXTRA)
    for name, extra in cases:
        if extra is None:
            with open(os.path.join(root, name + ".json")) as fh:
                cfg = json.load(fh)
            state = naive.make_state(cfg)
        else:
            cfg, state = extra()
        lr = naive.resolved(cfg)["lr"]
        nv = naive.DpsTorch(state)
        (l0n, gn), ln = run(nv, lambda ps: torch.optim.Adam(ps, lr=lr), a.steps)
        del nv
        gc.collect()
        bm = best.DpsTorchBest(state)
        (l0b, gb), lb = run(bm, lambda ps: torch.optim.Adam(ps, lr=lr, foreach=True), a.steps)
        mode = bm.q_mode if bm.local and bm.n_edges else "W algebra" if bm.n_edges else "no Q"
        del bm
        gc.collect()
        d0 = abs(l0b - l0n) / abs(l0n)
        dl = abs(lb - ln) / abs(ln)
        dg = [((x - y).abs().max() / y.abs().max().clamp(min=1e-300)).item() for x, y in zip(gb, gn)]
        worst = max([d0, dl] + dg)
        ok = worst <= a.tol
        failed += not ok
        print(f"{name} ({mode}): loss@0 {l0n:.17g} rel {d0:.1e}; grads (mu, rho, alpha{', theta' if len(dg) > 3 else ''}) rel "
              + ", ".join(f"{x:.1e}" for x in dg) + f"; loss@{a.steps} rel {dl:.1e}: {'OK' if ok else 'FAIL'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
