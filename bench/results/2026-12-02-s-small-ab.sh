#!/usr/bin/env bash
# s-small A/B driver (copied from /tmp/s-small/ab3.sh; old/new1 = binary copies under /tmp/s-small). Interleaved A/B/C: SIDES (dirs holding dps.dll; "cur" = the worktree's Release build), n128-local-learned.
cd /work/wt/s-small
ROUNDS=${ROUNDS:-3}; CASE=${CASE:-n128-local-learned}; T=${T:-2}; SIDES=${SIDES:-"old cur"}
for r in $(seq 1 $ROUNDS); do
  for side in $SIDES; do
    if [ $side = cur ]; then DLL=src/DpsTorch.Cli/bin/Release/net10.0/dps.dll; else DLL=/tmp/s-small/$side/dps.dll; fi
    line=$(dotnet $DLL bench-step --config bench/cases/$CASE.json --steps 120 --warmup 20 --threads $T --json 2>/dev/null | tail -1)
    echo "$line" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('round $r %-5s T=$T load $(cut -d' ' -f1 /proc/loadavg) median %.4f ms  main-thread cpu %.4f ms  halves %.4f %.4f' % ('$side', d['ms_median_step'], d['cpu_ms_median_step'], d['ms_median_first_half'], d['ms_median_second_half']))"
  done
done
