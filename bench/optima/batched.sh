#!/usr/bin/env bash
# Batched restarts against one at a time (training.batched true / false), today's defaults otherwise
# (bench/optima/README.md, "Batched restarts").
# usage: bench/optima/batched.sh DPS_DLL [SEEDS] [CASES]
# One line per run: user CPU of the process (/usr/bin/time %U), summary.json "seconds", and whether every restart's
# final loss equals the other path's to a relative 1e-9 (and bestReachedBy).
set -euo pipefail
dll=$1; seeds=${2:-"0 1 2"}; cases=${3:-"five-peaks-n20 bimodal-n10 three-peaks-n24 twelve-uneven-n12"}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  nproc $(nproc)"
for c in $cases; do
  for s in $seeds; do
    for b in true false; do
      /usr/bin/time -f "%U" -o "$out/$b.time" dotnet "$dll" run "$here/cases/$c.json" --out "$out/$b" --set training.seed=$s \
        --set training.batched=$b --set 'measures.fractions=[0,1]' > /dev/null 2>&1
    done
    python3 - "$out" "$c" "$s" <<'PY'
import json, sys
o, c, s = sys.argv[1:]
d = {b: json.load(open(f"{o}/{b}/summary.json")) for b in ("true", "false")}
u = {b: float(open(f"{o}/{b}.time").read().split()[-1]) for b in ("true", "false")}
same = all(abs(x - y) <= 1e-9 * max(abs(x), abs(y)) for x, y in zip(d["true"]["restartLosses"], d["false"]["restartLosses"]))
print(f"{c:<18} seed {s}: batched user {u['true']:.2f} s (training {d['true']['seconds']:.2f} s), one at a time user {u['false']:.2f} s "
      f"(training {d['false']['seconds']:.2f} s); restart losses equal {same}; best by {d['true']['bestReachedBy']} / {d['false']['bestReachedBy']}")
PY
    rm -rf "$out/true" "$out/false"
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
