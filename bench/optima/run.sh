#!/usr/bin/env bash
# Measures how far training ends from the reference optima (bench/optima/README.md).
# usage: bench/optima/run.sh DPS_DLL LABEL CASE SEEDS [--set key=value ...]
#   e.g. bench/optima/run.sh src/DpsTorch.Cli/bin/Release/net10.0/dps.dll polish five-peaks-n20 "0 1 2" --set training.polish=1000
# Prints one line per seed: label, case, seed, loss, heterogeneity, spatialScale, steps, stopReason, converged,
# gradientNorm, training seconds (summary.json "seconds").
set -euo pipefail
dll=$1; label=$2; case=$3; seeds=$4; shift 4
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for s in $seeds; do
  dotnet "$dll" run "$here/cases/$case.json" --out "$out/$s" --set training.seed=$s "$@" > /dev/null 2>&1
  python3 - "$out/$s/summary.json" "$label" "$case" "$s" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
g = lambda k: d.get(k)
print(f"{sys.argv[2]:<10} {sys.argv[3]:<16} seed {sys.argv[4]}: loss {g('loss'):.3g}  het {g('heterogeneity'):.3f}  scale {g('spatialScale')}  "
      f"steps {g('steps')}  {g('stopReason')}  converged {g('converged')}  grad {g('gradientNorm') if g('gradientNorm') is None else format(g('gradientNorm'), '.2g')}  {g('seconds'):.2f} s")
PY
done
