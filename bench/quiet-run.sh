#!/usr/bin/env bash
# Issue 18's figures in one run, for a QUIET machine (load average below 1: nothing else building or testing):
#
#   bench/quiet-run.sh                    # writes bench/results/<UTC date>.txt (and prints it)
#
# 1. compare.sh against the best PyTorch peer (bench/peer/dps_torch_best.py), then bench/report.py (our ms, peer ms,
#    ratio, step matmul FLOPs, fraction of the measured matmul peak); PEER=naive is the naive peer (dps_torch.py).
# 2. parity.py: the best peer's loss and gradients against the naive peer's (which matches the C# engine).
# 3. Batched multi-start: dps bench-step --starts 32 on the 12-agent cases, 1 thread (batched_over_one_start and
#    batched_cpu_over_one_start: 32 starts' median step over one start's), on the search's path (the Fourier-space
#    batch, --batched-mixture spectral, the default) and then on the grid path (--batched-mixture images).
# 4. n100k-sparse-ring-learned three times with --state-out: ms per step, peak RSS (/usr/bin/time -v), gen-2 per step.
# 5. Matmul 1024x1024x256, 1024^3, 2048^3 on 2 threads: ours on the native SIMD path, DOTNET_EnableAVX512=0 (AVX2)
#    and DOTNET_EnableAVX2=0, against OpenBLAS (numpy, OPENBLAS_NUM_THREADS=2).
# Environment: STEPS (compare.sh, 20), PY (/usr/bin/python3), SKIP_COMPARE=1 (parts 2-5 only).
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
      "${DPS[@]}" bench-step --config bench/cases/$c.json --steps 300 --starts 32 --threads 1 --batched-mixture $mix --json
    done
  done

  echo; echo "## 4. n100k-sparse-ring-learned, 3 runs (bench-step --steps 12 --state-out, 2 threads)"
  for r in 1 2 3; do
    /usr/bin/time -v "${DPS[@]}" bench-step --config bench/cases/n100k-sparse-ring-learned.json --steps 12 --threads 2 \
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
  echo; echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$OUTFILE"
echo "written: $OUTFILE"
