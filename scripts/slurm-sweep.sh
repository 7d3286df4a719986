#!/usr/bin/env bash
# The cluster recipe (README, "Sweeps on a cluster"): runs a config's sweep as a Slurm array, one shard per task, and
# merges the shards in a job that starts when every task has succeeded.
#
#   scripts/slurm-sweep.sh [--shards N] [--jobs J] [--wait SECONDS] [--dps "COMMAND"] [-- SBATCH-OPTIONS...] CONFIG OUT
#
# Task K of the array runs   dps sweep CONFIG --out OUT/shard-K --shard K/N --jobs J
# and the merge job runs     dps sweep --merge OUT/shard-* --out OUT/all
# Slurm's logs go to OUT/slurm-*.log. OUT must be on a file system every node sees. A re-queued task resumes (finished
# runs are skipped), and running the script again on the same OUT resumes the sweep. Prints "array JOBID" and
# "merge JOBID". With --wait it polls squeue until both jobs have left the queue (at most SECONDS), then exits 0 only
# when both completed and OUT/all/results.csv exists. Options after "--" go to both sbatch calls (partition, account,
# time limit...). --dps is the dps command as a shell word list (default "dps"; e.g. "dotnet /opt/dps/dps.dll").
# Exit codes: 2 bad input, 1 a job failed or the wait ran out, 0 submitted (or, with --wait, finished).
set -euo pipefail

usage() { echo "usage: $0 [--shards N] [--jobs J] [--wait SECONDS] [--dps COMMAND] [-- SBATCH-OPTIONS...] CONFIG OUT" >&2; exit 2; }
fail() { echo "slurm-sweep: error: $*" >&2; exit 2; }
is_count() { [[ $1 =~ ^[1-9][0-9]{0,5}$ ]]; }

shards=8 jobs=1 wait_s="" dps="dps"
positional=() sbatch_extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --shards) [ $# -ge 2 ] || usage; shards=$2; shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
    --wait) [ $# -ge 2 ] || usage; wait_s=$2; shift 2 ;;
    --dps) [ $# -ge 2 ] || usage; dps=$2; shift 2 ;;
    --) shift; sbatch_extra=("$@"); break ;;
    -h|--help) usage ;;
    -*) fail "unknown option $1; allowed: --shards, --jobs, --wait, --dps, -- SBATCH-OPTIONS" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} = 2 ] || usage
is_count "$shards" || fail "--shards $shards: allowed is a whole number 1..999999"
is_count "$jobs" || fail "--jobs $jobs: allowed is a whole number 1..999999"
[ -z "$wait_s" ] || is_count "$wait_s" || fail "--wait $wait_s: allowed is a whole number of seconds >= 1"
config=$(realpath -e -- "${positional[0]}" 2>/dev/null) || fail "CONFIG ${positional[0]}: no such file"
[ -f "$config" ] || fail "CONFIG ${positional[0]}: not a regular file"
command -v sbatch >/dev/null || { echo "slurm-sweep: sbatch not found; is Slurm installed on this machine?" >&2; exit 1; }

mkdir -p -- "${positional[1]}"
out=$(realpath -e -- "${positional[1]}")

# The dps command and paths are quoted once here; the task's shard index is expanded by the job's own shell.
q() { printf '%q' "$1"; }
task="$dps sweep $(q "$config") --out $(q "$out")/shard-\${SLURM_ARRAY_TASK_ID} --shard \${SLURM_ARRAY_TASK_ID}/$shards --jobs $jobs"
merge="$dps sweep --merge $(q "$out")/shard-* --out $(q "$out")/all"

array=$(sbatch --parsable --job-name=dps-sweep --array=0-$((shards - 1)) --cpus-per-task="$jobs" \
  --chdir="$out" --output="$out/slurm-%A_%a.log" "${sbatch_extra[@]}" --wrap="$task")
array=${array%%;*}
merged=$(sbatch --parsable --job-name=dps-sweep-merge --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  --chdir="$out" --output="$out/slurm-merge-%j.log" "${sbatch_extra[@]}" --wrap="$merge")
merged=${merged%%;*}
echo "array $array"
echo "merge $merged"
[ -n "$wait_s" ] || exit 0

# Waits until neither job is pending or running, then reads their final states (scontrol keeps a finished job for
# MinJobAge, 300 s by default; sacct needs accounting, which a small cluster may not have).
deadline=$((SECONDS + wait_s))
while [ -n "$(squeue -h -j "$array,$merged" -o %i 2>/dev/null)" ]; do
  if [ $SECONDS -ge $deadline ]; then
    echo "slurm-sweep: jobs $array and $merged still queued after ${wait_s} s; left running (scancel $array $merged to stop them)" >&2
    exit 1
  fi
  sleep 1
done
states=$(scontrol -o show job "$array" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | sort | uniq -c | tr -s ' ' || true)
merge_state=$(scontrol -o show job "$merged" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' || true)
if [ "$merge_state" != JobState=COMPLETED ] || [ ! -f "$out/all/results.csv" ]; then
  echo "slurm-sweep: the sweep did not finish: array${states:+ $states}, merge ${merge_state:-unknown}; see $out/slurm-*.log" >&2
  exit 1
fi
echo "merged $out/all/results.csv"
