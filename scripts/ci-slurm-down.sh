#!/usr/bin/env bash
# Stops the daemons scripts/ci-slurm-up.sh started (slurmd, slurmctld, munged), by the process ids it recorded under
# $DPS_SLURM_DIR (default /tmp/dps-slurm); a daemon this machine ran otherwise is left alone. Safe to run twice.
set -uo pipefail
dir=${DPS_SLURM_DIR:-/tmp/dps-slurm}
for d in slurmd slurmctld munged; do
  f="$dir/run/$d.pid"
  [ -s "$f" ] || continue
  pid=$(head -1 "$f")
  # Only a live process of that name: a recycled id is not killed.
  if [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$d" ]; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "ci-slurm: stopped $d ($pid)"
  fi
  rm -f "$f"
done
