#!/usr/bin/env bash
# DpsTorch (C#) versus a PyTorch peer on the same cases, from the same initial state: by default the best peer
# (bench/peer/dps_torch_best.py), with PEER=naive the naive one (bench/peer/dps_torch.py, issue 7's).
#
#   bench/compare.sh [CASE ...]          # default: every bench/cases/*.json, smallest first
#
# For each case: the C# CLI's bench-step command trains S Adam steps and writes its initial model.json; the peer
# loads that file, rebuilds the model in torch (float64) and trains the same steps. Each side times every step; the
# first W steps are warm-up, and the statistic is the MEDIAN wall time of the S - W steps after them (steady state).
# Prints the median per-step times, their ratio (PyTorch / C#), both losses after the last step, their relative
# difference, parity (OK when <= 1e-6) and peak memory.
#
# Steps per case (S total, W warm-up; S - W timed): 120 and 20 (100 timed) for every case up to N = 1024; 50 and 10
# (40 timed) for n2048-m512-learned; 16 and 4 (12 timed) for n100k-sparse-ring-learned (the peer's step is ~3.6 s).
# STEPS and WARMUP, when set, replace them for every case (the losses still agree: 1e-14 at 300 steps on n16-local).
#
# Environment: STEPS, WARMUP (per case, above), THREADS (2), TOL (1e-6), PY (/usr/bin/python3), CS_TIMEOUT (1800 s), PY_TIMEOUT (1200 s),
# PY_MEM_MB (unset: no cap; else ulimit -v for the peer), OUT (bench/out), PY_ONLY=1 (skip C#; the peer builds its
# own initial state with --make-state, so no parity), NO_BUILD=1 (reuse the last Release build), PEER (best | naive).
# After the table, bench/report.py prints each case's step FLOPs and the fraction of the measured matmul peak.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
THREADS=${THREADS:-2}
TOL=${TOL:-1e-6}
PY=${PY:-/usr/bin/python3}
CS_TIMEOUT=${CS_TIMEOUT:-1800}
PY_TIMEOUT=${PY_TIMEOUT:-1200}
OUT=${OUT:-$ROOT/bench/out}
case ${PEER:-best} in
  best) PEER=$ROOT/bench/peer/dps_torch_best.py ;;
  naive) PEER=$ROOT/bench/peer/dps_torch.py ;;
  *) echo "compare.sh: error: PEER=$PEER: allowed is best or naive" >&2; exit 2 ;;
esac
mkdir -p "$OUT"

if [ $# -gt 0 ]; then
  CASES=("$@")
else
  CASES=(n16-system-fixed n16-local-learned n128-system-fixed n128-local-learned n1024-system-fixed
         n1024-local-learned n2048-m512-learned n100k-sparse-ring-learned)
fi

# --- which sides can run --------------------------------------------------------------------------------------------
HAVE_TORCH=1
if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
  HAVE_TORCH=0
  echo "PyTorch side skipped: '$PY -c \"import torch\"' failed (install the Debian python3-torch and libopenblas0-pthread)."
fi
HAVE_CS=1
if [ "${PY_ONLY:-0}" = 1 ]; then
  HAVE_CS=0
  echo "C# side skipped (PY_ONLY=1): the peer builds its own initial states; no parity check."
elif [ "${NO_BUILD:-0}" != 1 ]; then
  echo "Building src/DpsTorch.Cli (Release) ..."
  if ! dotnet build -c Release src/DpsTorch.Cli -nologo -v q >"$OUT/build.log" 2>&1; then
    HAVE_CS=0
    echo "C# side skipped: the Release build failed (see $OUT/build.log):"
    tail -5 "$OUT/build.log"
  fi
fi
# Plain python3 (no torch needed) parses the JSON lines and prints the table.
JSONPY=$PY
command -v "$JSONPY" >/dev/null 2>&1 || JSONPY=python3

RESULTS=$OUT/results.tsv
: >"$RESULTS"

last_json() { grep -E '^\{' "$1" | tail -1; }

# Total and warm-up steps of a case (STEPS / WARMUP override).
case_steps() {
  local s w
  case $1 in
    n2048*) s=50; w=10 ;;
    n100k*) s=16; w=4 ;;
    *) s=120; w=20 ;;
  esac
  echo "${STEPS:-$s} ${WARMUP:-$w}"
}

for c in "${CASES[@]}"; do
  cfg=$ROOT/bench/cases/$c.json
  if [ ! -f "$cfg" ]; then echo "$c: no such case file $cfg"; continue; fi
  dir=$OUT/$c
  mkdir -p "$dir"
  rm -f "$dir/initial.json"
  read -r steps warmup < <(case_steps "$c")
  cs_json="" ; cs_note=""
  if [ $HAVE_CS = 1 ]; then
    echo "[$c] C#: bench-step --steps $steps --warmup $warmup --threads $THREADS"
    timeout -k 10 "$CS_TIMEOUT" dotnet src/DpsTorch.Cli/bin/Release/net10.0/dps.dll bench-step \
      --config "$cfg" --steps "$steps" --warmup "$warmup" --threads "$THREADS" --state-out "$dir/initial.json" --json \
      >"$dir/cs.out" 2>"$dir/cs.err"
    rc=$?
    cs_json=$(last_json "$dir/cs.out")
    if [ $rc -ne 0 ] || [ -z "$cs_json" ]; then
      case $rc in 124|137) cs_note="C# timed out (${CS_TIMEOUT}s)";; *) cs_note="C# failed (rc $rc): $(tail -1 "$dir/cs.err" | cut -c1-120)";; esac
      echo "  $cs_note"
      cs_json=""
    fi
  fi
  py_json="" ; py_note=""
  if [ $HAVE_TORCH = 1 ]; then
    if [ -f "$dir/initial.json" ] && [ -n "$cs_json" ]; then
      src=(--state "$dir/initial.json")
    else
      src=(--config "$cfg" --state-out "$dir/initial.py.json")
      [ $HAVE_CS = 1 ] && py_note="no C# initial state: own init, no parity; "
    fi
    echo "[$c] PyTorch: ${src[*]} --steps $steps --warmup $warmup --threads $THREADS"
    (
      [ -n "${PY_MEM_MB:-}" ] && ulimit -v $((PY_MEM_MB * 1024))
      exec timeout -k 10 "$PY_TIMEOUT" "$PY" "$PEER" "${src[@]}" --case "$c" --steps "$steps" --warmup "$warmup" --threads "$THREADS" --json
    ) >"$dir/py.out" 2>"$dir/py.err"
    rc=$?
    py_json=$(last_json "$dir/py.out")
    if [ $rc -ne 0 ] || [ -z "$py_json" ]; then
      if [ $rc = 124 ] || { [ $rc = 137 ] && ! grep -qi 'memory' "$dir/py.err"; }; then
        py_note+="PyTorch skipped: timed out after ${PY_TIMEOUT}s (or killed)"
      elif grep -qiE "can't allocate memory|MemoryError|out of memory|Cannot allocate" "$dir/py.err" || [ $rc = 137 ]; then
        py_note+="PyTorch skipped: out of memory ($(grep -oiE "tried to allocate [0-9]+ bytes" "$dir/py.err" | head -1))"
      else
        py_note+="PyTorch failed (rc $rc): $(tail -1 "$dir/py.err" | cut -c1-120)"
      fi
      echo "  $py_note"
      py_json=""
    fi
  else
    py_note="PyTorch skipped: python3-torch missing"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$c" "${cs_json:-null}" "${py_json:-null}" "$cs_note" "$py_note" >>"$RESULTS"
done

echo
if ! command -v "$JSONPY" >/dev/null 2>&1; then
  echo "No python3 to format the table; raw results in $RESULTS:"; cat "$RESULTS"; exit 0
fi
"$JSONPY" - "$RESULTS" "$TOL" "$THREADS" "$(basename "$PEER")" <<'EOF'
import json, sys
path, tol, threads, peer = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
rows, notes, fails = [], [], 0
def f(v, fmt):
    return format(v, fmt) if isinstance(v, (int, float)) else "-"
for line in open(path):
    case, cs, py, cs_note, py_note = (line.rstrip("\n").split("\t") + ["", ""])[:5]
    cs, py = json.loads(cs), json.loads(py)
    ratio = py["ms_median_step"] / cs["ms_median_step"] if cs and py and cs.get("ms_median_step") else None
    side = cs or py or {}
    steps = f'{side.get("steps", "?")}/{side.get("warmup", 1)}' 
    rel = rel0 = None
    parity = "n/a"
    if cs and py and "own init" not in py_note:
        denom = max(abs(cs["loss_last"]), 1e-300)
        rel = abs(py["loss_last"] - cs["loss_last"]) / denom
        rel0 = abs(py["loss_first"] - cs["loss_first"]) / max(abs(cs["loss_first"]), 1e-300)
        parity = "OK" if rel <= tol else "FAIL"
        fails += parity == "FAIL"
    pth = f'{py.get("threads_torch", py.get("threads"))}x{py.get("threads_blas", "?")}' if py else "-"
    rows.append([case, steps, f(cs and cs.get("ms_median_step"), ".3f"), f(py and py.get("ms_median_step"), ".3f"),
                 f(ratio, ".2f"), pth, f(cs and cs.get("loss_last"), ".10g"), f(py and py.get("loss_last"), ".10g"),
                 f(rel0, ".1e"), f(rel, ".1e"), parity, f(cs and cs.get("peak_mb"), ".0f"), f(py and py.get("peak_mb"), ".0f")])
    for n in (cs_note, py_note):
        if n: notes.append(f"{case}: {n}")
head = ["case", "steps/warm-up", "C# median ms", "PyTorch median ms", "ratio Py/C#", "peer threads", "C# loss@last",
        "PyTorch loss@last", "rel diff step0", "rel diff @last", f"parity({tol:g})", "C# peak MB", "Py peak MB"]
w = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
print(f"PyTorch peer: bench/peer/{peer}. Median wall ms per step over the steps after the warm-up (steps/warm-up: "
      f"total and untimed); C# on {threads} threads; the peer on at most {threads} (peer threads = torch x OpenBLAS, "
      "the fastest on its trial steps); float64; peak MB = peak RSS.")
for r in [head, ["-" * x for x in w]] + rows:
    print("  ".join(str(v).rjust(w[i]) if i else str(v).ljust(w[i]) for i, v in enumerate(r)))
for n in notes:
    print("note:", n)
sys.exit(1 if fails else 0)
EOF
status=$?
if [ $HAVE_TORCH = 1 ]; then
  echo
  "$PY" "$ROOT/bench/report.py" "$RESULTS" --threads "$THREADS" || status=1
fi
exit $status
