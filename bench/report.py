#!/usr/bin/python3
"""Per-case report against the physical limit (issue 18): reads the results.tsv that bench/compare.sh writes and
prints, per case, our (C#) time per step, the PyTorch peer's time, their ratio, the step's matmul FLOPs and the
fraction of the machine's measured matmul peak each side reaches.

    bench/report.py [RESULTS.tsv] [--threads 2] [--peak-gflops G]      # default bench/out/results.tsv

The peak is measured here, unless --peak-gflops gives it: the best of 5 float64 torch.mm of 2048 x 2048 by
2048 x 2048 (OpenBLAS) on --threads threads, 2·2048³ FLOP each. Step FLOPs count the products with (I + Q), which
carry the large-N cost (MODEL.md §2, the engine's DpsModel): with Q dense, the forward p = (I + Q) w and the backward
(I + Q) G are 2N²M each, and a learned Q adds dQ = G wᵀ (2N²M): 6N²M learned (1.61 GFLOP at N = 1024, M = 256),
4N²M fixed; with Q sparse, 2·nnz·M per product (nnz = N + 2E); the system objective uses W = ((1 + Q·1) ⊙ a)ᵀ S,
2NM forward and 2NM backward. The wrapped normal, softmax, the pooled error and Adam are O(NM) or O(E) and not
counted, so the fraction is a lower bound of how busy the machine is, and a case dominated by those parts (small N,
the system objective, sparse rings) is far from the matmul limit by construction.

Times are each side's MEDIAN wall time per step over the steps after its warm-up (ms_median_step; the steps column
gives timed steps and warm-up); "drift ours/peer" is each side's median of the second half of its timed steps over
the first half's (1.00 on a steady step; far above 1: the step gets dearer as the run goes on). "ours/limit" is our median over the matmul limit (step FLOPs at the measured peak).
The last column checks issue 18's targets: ratio >= 10 at n16 (both objectives), >= 4 at n128-local, >= 1.5 at
n1024-local-learned and n2048-m512-learned, n1024-local-learned within 1.3x of the matmul limit, n100k under 400 ms
per step and 1.5 GB (C# peak RSS).
Timings are only meaningful on a quiet machine (bench/README.md).
"""
import argparse
import json
import os
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)))
DENSE_FILL = 0.125  # as dps_torch_best.py: (I + Q) dense when at least this fraction of its entries are edges


def case_shape(case):
    with open(os.path.join(ROOT, "cases", case + ".json")) as fh:
        cfg = json.load(fh)
    n = int(cfg.get("agents", {}).get("count", 12))
    m = int(cfg.get("space", {}).get("m", 256))
    to = cfg.get("topology", {})
    kind, learned = to.get("kind", "none"), bool(to.get("learned", False))
    if learned and kind == "none":
        kind = "complete"
    edges = {"none": 0, "complete": n * (n - 1) // 2}.get(kind, n * int(to.get("k", 2)))
    objective = cfg.get("objective", {}).get("kind", "system")
    return n, m, edges, learned, objective


def step_flops(n, m, edges, learned, objective):
    if objective == "system" or edges == 0:
        return 4.0 * n * m
    if 2 * edges + n >= DENSE_FILL * n * n:
        return (6.0 if learned else 4.0) * n * n * m
    nnz = n + 2 * edges
    return (2.0 * nnz * m) * 2 + (4.0 * edges * m if learned else 0.0)


# case -> (minimum ratio peer/ours, maximum ours/limit, maximum C# ms per step, maximum C# peak MB); None: no target
TARGETS = {
    "n16-system-fixed": (10.0, None, None, None),
    "n16-local-learned": (10.0, None, None, None),
    "n128-local-learned": (4.0, None, None, None),
    "n1024-local-learned": (1.5, 1.3, None, None),
    "n2048-m512-learned": (1.5, None, None, None),
    "n100k-sparse-ring-learned": (None, None, 400.0, 1536.0),
}


def verdict(case, ratio, over_limit, cms, cs_peak):
    t = TARGETS.get(case)
    if not t:
        return "-"
    parts = []
    for need, got, fmt in ((t[0], ratio, ">= {:g}x"), (t[1], over_limit, "<= {:g}x limit"), (t[2], cms, "< {:g} ms"),
                           (t[3], cs_peak, "< {:g} MB")):
        if need is None:
            continue
        if got is None:
            parts.append(fmt.format(need) + " ?")
        else:
            ok = got >= need if fmt.startswith(">=") else got <= need
            parts.append(fmt.format(need) + (" ok" if ok else " MISSED"))
    return ", ".join(parts)


def measure_peak(threads):
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    import torch
    torch.set_num_threads(threads)
    k = 2048
    a = torch.rand(k, k, dtype=torch.float64)
    b = torch.rand(k, k, dtype=torch.float64)
    c = torch.empty(k, k, dtype=torch.float64)
    torch.mm(a, b, out=c)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * k ** 3 / best / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="?", default=os.path.join(ROOT, "out", "results.tsv"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--peak-gflops", type=float, default=None)
    a = ap.parse_args()
    if not os.path.isfile(a.results):
        print(f"report.py: error: {a.results}: no such file; run bench/compare.sh first", file=sys.stderr)
        return 2
    peak = a.peak_gflops or measure_peak(a.threads)
    how = "given" if a.peak_gflops else f"measured: best of 5 float64 torch.mm 2048³, {a.threads} threads"
    rows = []
    peer_names = set()
    for line in open(a.results):
        case, cs, py = (line.rstrip("\n").split("\t") + ["null", "null"])[:3]
        cs, py = json.loads(cs), json.loads(py)
        if py:
            peer_names.add(py.get("impl", "pytorch"))
        flops = step_flops(*case_shape(case))
        cms = cs.get("ms_median_step") if cs else None
        pms = py.get("ms_median_step") if py else None
        side = cs or py or {}
        timed = side.get("timed_steps", max(0, side.get("steps", 1) - 1))
        steps = f'{timed} after {side.get("warmup", 1)}' if side else "-"
        limit_ms = flops / (peak * 1e9) * 1e3
        over = cms / limit_ms if cms and limit_ms > 0 else None
        ratio = pms / cms if cms and pms else None

        def drift(d):
            a, b = (d or {}).get("ms_median_first_half"), (d or {}).get("ms_median_second_half")
            return f"{b / a:.2f}" if a and b else "-"

        def frac(ms):
            return f"{100.0 * flops / (ms * 1e-3) / (peak * 1e9):.1f}%" if ms else "-"
        rows.append([case, steps, f"{cms:.3f}" if cms else "-", f"{pms:.3f}" if pms else "-",
                     f"{ratio:.2f}" if ratio else "-", f"{flops / 1e9:.4g}", frac(cms), frac(pms),
                     f"{over:.2f}" if over else "-", f"{drift(cs)}/{drift(py)}", verdict(case, ratio, over, cms, cs.get("peak_mb") if cs else None)])
    peer = ", ".join(sorted(peer_names)) or "none"
    head = ["case", "timed steps", "ours median ms", "peer median ms", "ratio peer/ours", "step GFLOP (matmul)",
            "ours % of peak", "peer % of peak", "ours/limit", "drift ours/peer", "issue 18 target"]
    w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    print(f"matmul peak {peak:.1f} GFLOP/s ({how}); peer: {peer}; statistic: median wall ms per step after warm-up; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for r in [head, ["-" * x for x in w]] + rows:
        print("  ".join(v.rjust(w[i]) if i else v.ljust(w[i]) for i, v in enumerate(r)))
    for line in open(a.results):
        case, _, py = (line.rstrip("\n").split("\t") + ["null", "null"])[:3]
        py = json.loads(py)
        if py and py.get("thread_trials_ms"):
            trials = ", ".join(f"{k} {v:.3f}" for k, v in py["thread_trials_ms"].items())
            print(f"peer threads {case}: torch x OpenBLAS {py.get('threads_torch')}x{py.get('threads_blas')} "
                  f"(trial medians, ms: {trials})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
