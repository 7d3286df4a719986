#!/usr/bin/env bash
# Time to the reference optimum, old against new defaults (issue 13; bench/optima/README.md).
# usage: bench/optima/time-to-optimum.sh DPS_DLL [SEEDS] [CASES]
#   old = the defaults before issue 13: agents.init spread (the old "auto" restart 0), training.restarts 1,
#         training.polish 0, no moves, no batching;   new = today's defaults (no --set at all).
# A run "reached" the reference when its final loss is at most 1e-8 (system-objective cases: the constructed optimum
# has loss < 1e-20) or 1e-6 (local-ring1-n24, issue 13's must-show bound). Times: user CPU of the whole process
# (/usr/bin/time %U: JIT and measures included, robust to other load) and summary.json "seconds" (training and
# search wall time, inflated by load). Prints the load average before and after.
set -euo pipefail
dll=$1; seeds=${2:-"0 1 2 3 4"}
cases=${3:-"five-peaks-n20 bimodal-n10 three-peaks-n24 local-ring1-n24 twelve-uneven-n12 sixteen-peaks-n16 unequal-n6"}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
old=(--set agents.init=spread --set training.restarts=1 --set training.polish=0 --set training.reseed=0 --set training.split=0 --set training.batched=false)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  nproc $(nproc)"
for c in $cases; do
  tol=1e-8; [ "$c" = local-ring1-n24 ] && tol=1e-6
  for label in old new; do
    for s in $seeds; do
      d="$out/$c-$label-$s"
      if [ $label = old ]; then extra=("${old[@]}"); else extra=(); fi
      /usr/bin/time -f "%U" -o "$d.time" dotnet "$dll" run "$here/cases/$c.json" --out "$d" --set training.seed=$s \
        --set 'measures.fractions=[0,1]' "${extra[@]}" > /dev/null 2>&1
      python3 - "$d/summary.json" "$d.time" "$label" "$c" "$s" "$tol" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); user = float(open(sys.argv[2]).read().split()[-1]); tol = float(sys.argv[6])
reached = d['loss'] <= tol
print(f"{sys.argv[3]:<4} {sys.argv[4]:<18} seed {sys.argv[5]}: loss {d['loss']:.3g}  reached {'yes' if reached else 'no '}  "
      f"het {d['heterogeneity']:.3f}  user {user:.2f} s  training {d['seconds']:.2f} s  best by {d.get('bestReachedBy')}")
PY
    done
  done
done | tee "$out/lines.txt"
python3 - "$out/lines.txt" <<'PY'
import sys, re, statistics, collections
g = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)\s+(\S+)\s+seed \d+: loss (\S+)\s+reached (\S+).*user (\S+) s\s+training (\S+) s", line)
    if m: g[(m[2], m[1])].append((m[4] == 'yes', float(m[5]), float(m[6])))
print("\ncase               defaults  reached  user s (median)  training s (median)")
for (c, label), rows in g.items():
    print(f"{c:<18} {label:<8}  {sum(r[0] for r in rows)} of {len(rows)}   {statistics.median(r[1] for r in rows):8.2f}        {statistics.median(r[2] for r in rows):8.2f}")
PY
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
