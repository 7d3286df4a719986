#!/usr/bin/env bash
# Managed engine vs TorchSharp vs TorchSharp + managed kernels (issue 17), on the bench cases, from the same initial
# state (restart 0 of each case), each backend in its own process so peak memory is its own.
#
#   bench/torchsharp.sh [CASE ...]     # default: the cases below
#
# Prints one JSON line per run (dps bench-step: ms_per_step, ms_median_step, loss_last, peak_mb) into
# $OUT/torchsharp.jsonl and a table of the median step time per backend (range over ROUNDS rounds, backends
# interleaved within a round so a loaded machine hurts them alike). Environment: STEPS (20), ROUNDS (3), THREADS (1),
# OUT (bench/out), NO_BUILD=1.
set -u
cd "$(dirname "$0")/.."
STEPS=${STEPS:-20}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
if [ $# -gt 0 ]; then CASES=("$@"); else
  CASES=(n16-system-fixed n16-local-learned n128-system-fixed n128-local-learned n1024-system-fixed n1024-local-learned)
fi
[ "${NO_BUILD:-0}" = 1 ] || dotnet build src/DpsTorch.Cli -c Release -v quiet -nologo >/dev/null || exit 1
DPS=src/DpsTorch.Cli/bin/Release/net10.0/dps.dll
LOG="$OUT/torchsharp.jsonl"
: > "$LOG"
for round in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    for b in managed torchsharp torchsharp-kernels; do
      timeout 900 dotnet "$DPS" bench-step --config "bench/cases/$c.json" --steps "$STEPS" --threads "$THREADS" \
        --backend "$b" --json >> "$LOG" || echo "{\"case\":\"$c\",\"impl\":\"$b\",\"failed\":true}" >> "$LOG"
    done
  done
done
python3 - "$LOG" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = collections.defaultdict(list)
for r in rows:
    if not r.get("failed"): by[(r["case"], "managed" if r["impl"] == "csharp" else r["impl"])].append(r)
cases = list(dict.fromkeys(r["case"] for r in rows))
impls = ["managed", "torchsharp", "torchsharp-kernels"]
print("| case | " + " | ".join(f"{i} ms/step (median, range)" for i in impls) + " | peak MB (m / t / t+k) | loss_last rel. diff t vs m |")
print("|---|" + "---|" * (len(impls) + 2))
for c in cases:
    cells, peaks = [], []
    for i in impls:
        rs = by.get((c, i), [])
        if not rs: cells.append("failed"); peaks.append("-"); continue
        med = sorted(r["ms_median_step"] for r in rs)
        cells.append(f"{med[len(med)//2]:.3g} ({med[0]:.3g}-{med[-1]:.3g})")
        peaks.append(f"{max(r['peak_mb'] for r in rs):.0f}")
    m, t = by.get((c, "managed")), by.get((c, "torchsharp"))
    diff = abs(t[0]["loss_last"] - m[0]["loss_last"]) / abs(m[0]["loss_last"]) if m and t else float("nan")
    print(f"| {c} | " + " | ".join(cells) + f" | {' / '.join(peaks)} | {diff:.1e} |")
PY
