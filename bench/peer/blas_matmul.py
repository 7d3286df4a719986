#!/usr/bin/python3
"""OpenBLAS float64 matmul at the shapes `dotnet run -c Release --project bench/DpsTorch.Bench -- --matmul` times
(issue 18): 1024x1024 . 1024x256, 1024^3 and 2048^3, best and median of 11 products after two warm-ups, each shape
twice like the C# bench: into a preallocated output (np.matmul(a, b, out=c), to compare with our "preallocated" line)
and into a fresh one (np.matmul(a, b), to compare with our "fresh" line).
Threads: OPENBLAS_NUM_THREADS (set it before starting, e.g. OPENBLAS_NUM_THREADS=2 /usr/bin/python3 ...).
Prints one JSON line per shape (--json) or a readable line."""
import json, os, sys, time
import numpy as np

def main():
    as_json = "--json" in sys.argv
    rng = np.random.default_rng(1)
    for n, k, m in [(1024, 1024, 256), (1024, 1024, 1024), (2048, 2048, 2048)]:
        a = rng.uniform(-1, 1, (n, k))
        b = rng.uniform(-1, 1, (k, m))
        c = np.empty((n, m))
        for output in ("preallocated", "fresh"):
            run = (lambda: np.matmul(a, b, out=c)) if output == "preallocated" else (lambda: np.matmul(a, b))
            run(); run()
            t = []
            for _ in range(11):
                t0 = time.perf_counter(); run(); t.append(time.perf_counter() - t0)
            t.sort()
            best, median = t[0], t[len(t) // 2]
            flops = 2.0 * n * k * m
            row = {"impl": "openblas", "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
                   "shape": f"{n}x{k}x{m}", "output": output,
                   "best_ms": round(best * 1e3, 3), "median_ms": round(median * 1e3, 3),
                   "best_gflops": round(flops / best / 1e9, 1), "median_gflops": round(flops / median / 1e9, 1)}
            print(json.dumps(row) if as_json else
                  f"matmul {row['shape']} (OpenBLAS, {row['threads']} threads, {output} output): best {row['best_ms']:.2f} ms "
                  f"({row['best_gflops']} GFLOP/s), median {row['median_ms']:.2f} ms ({row['median_gflops']} GFLOP/s)")

if __name__ == "__main__":
    main()
