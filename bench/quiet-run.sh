#!/usr/bin/env bash
# Issue 18's figures in one run, for a QUIET machine (load average below 1: nothing else building or testing):
#
#   bench/quiet-run.sh                    # writes bench/results/<UTC date>.txt (and prints it)
#
# 1. compare.sh against the best PyTorch peer (bench/peer/dps_torch_best.py), then bench/report.py (our ms, peer ms,
#    ratio, step matmul FLOPs, fraction of the measured matmul peak, drift, issue 18's targets); PEER=naive is the
#    naive peer (dps_torch.py). Statistic: the median wall time per step over the steps after a warm-up, same initial
#    state, 2 threads (the peer: at most 2, torch x OpenBLAS threads tuned per case): 100 steps after 20 up to
#    N = 1024, 40 after 10 at n2048-m512-learned, 12 after 4 at n100k-sparse-ring-learned (compare.sh).
# 2. parity.py: the best peer's loss and gradients against the naive peer's (which matches the C# engine).
# 3. Batched multi-start: dps bench-step --starts 32 on the 12-agent cases, 1 thread (batched_over_one_start and
#    batched_cpu_over_one_start: 32 starts' median step over one start's), on the search's path (the Fourier-space
#    batch, --batched-mixture spectral, the default) and then on the grid path (--batched-mixture images).
# 4. n100k-sparse-ring-learned three times with --state-out: ms per step, peak RSS (/usr/bin/time -v), gen-2 per step.
# 5. Matmul 1024x1024x256, 1024^3, 2048^3 on 2 threads: ours on the native SIMD path, DOTNET_EnableAVX512=0 (AVX2)
#    and DOTNET_EnableAVX2=0, against OpenBLAS (numpy, OPENBLAS_NUM_THREADS=2).
# 6. The small cases' C# step on 1 and on 2 threads, interleaved (is the second thread worth it at N <= 128?).
# About 8-10 minutes on 2 quiet cores.
# Environment: STEPS / WARMUP (compare.sh: replace the per-case counts), PY (/usr/bin/python3), SKIP_COMPARE=1
# (parts 2-6 only).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-/usr/bin/python3}
mkdir -p bench/results
OUTFILE=bench/results/$(date -u +%Y-%m-%d-%H%M).txt
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DPS=(dotnet src/DpsTorch.Cli/bin/Release/net10.0/dps.dll)
{
  echo "# bench/quiet-run.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Building (Release) ..."
  dotnet build -c Release src/DpsTorch.Cli -nologo -v q >"$WORK/build.log" 2>&1 || { tail -5 "$WORK/build.log"; exit 1; }
  dotnet build -c Release bench/DpsTorch.Bench -nologo -v q >>"$WORK/build.log" 2>&1 || { tail -5 "$WORK/build.log"; exit 1; }

  if [ "${SKIP_COMPARE:-0}" != 1 ]; then
    echo; echo "## 1. against the best PyTorch peer (bench/peer/dps_torch_best.py)"
    NO_BUILD=1 OUT=$WORK/cmp PY=$PY bash bench/compare.sh
  fi

  echo; echo "## 2. parity: best peer vs naive peer (loss, gradients)"
  "$PY" bench/peer/parity.py --steps 2

  echo; echo "## 3. batched multi-start, 32 starts vs one start, 1 thread"
  for c in n12-system-fixed n12-local-learned; do
    for mix in spectral images; do
      "${DPS[@]}" bench-step --config bench/cases/$c.json --steps 300 --warmup 20 --starts 32 --threads 1 --batched-mixture $mix --json
    done
  done

  echo; echo "## 4. n100k-sparse-ring-learned, 3 runs (bench-step --steps 12 --warmup 2 --state-out, 2 threads: median of 10)"
  for r in 1 2 3; do
    /usr/bin/time -v "${DPS[@]}" bench-step --config bench/cases/n100k-sparse-ring-learned.json --steps 12 --warmup 2 --threads 2 \
      --state-out "$WORK/n100k.json" --json >"$WORK/n100k.out" 2>"$WORK/n100k.time"
    echo "run $r: $(grep -E '^\{' "$WORK/n100k.out" | tail -1)"
    echo "run $r: $(grep -E 'Maximum resident' "$WORK/n100k.time" | sed 's/^[[:space:]]*//')"
  done

  echo; echo "## 5. matmul, 2 threads: ours (three SIMD paths) and OpenBLAS"
  BENCH=bench/DpsTorch.Bench/bin/Release/net10.0/DpsTorch.Bench.dll
  dotnet "$BENCH" --matmul --threads 2
  DOTNET_EnableAVX512=0 dotnet "$BENCH" --matmul --threads 2
  DOTNET_EnableAVX2=0 dotnet "$BENCH" --matmul --threads 2
  OPENBLAS_NUM_THREADS=2 "$PY" bench/peer/blas_matmul.py

  echo; echo "## 6. C# step on 1 and 2 threads, 3 interleaved rounds (120 steps, median of the 100 after 20)"
  for round in 1 2 3; do
    for c in n16-system-fixed n16-local-learned n128-system-fixed n128-local-learned; do
      for t in 1 2; do
        "${DPS[@]}" bench-step --config bench/cases/$c.json --steps 120 --warmup 20 --threads $t --json | "$PY" -c \
          'import json, sys; d = json.loads(sys.stdin.read()); print("round", sys.argv[1], d["case"].ljust(20), "threads", d["threads"], "median %.4f ms, thread CPU %.4f ms" % (d["ms_median_step"], d.get("cpu_ms_median_step", float("nan"))))' "$round"
      done
    done
  done
  echo; echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$OUTFILE"
echo "written: $OUTFILE"
