#!/usr/bin/env bash
# Starts a single-node Slurm on this machine for the Slurm sweep test (tests/DpsTorch.Cli.Tests/SlurmSweepTests.cs):
# installs Debian's slurm-wlm and munge when missing, creates the munge key when missing, writes a minimal
# /etc/slurm/slurm.conf for this host (its real name, CPUs and memory from `slurmd -C`), starts munged, slurmctld and
# slurmd in the background and waits until `sinfo` shows the node idle. Run as root (CI). Safe to run twice: when the
# node already answers idle it does nothing; daemons it started earlier are stopped before they are started again.
# State, spool, logs and pid files live under $DPS_SLURM_DIR (default /tmp/dps-slurm); scripts/ci-slurm-down.sh stops
# what this started. An existing /etc/slurm/slurm.conf that this script did not write is left alone (and used).
# Exits 0 when the node is idle, 1 otherwise (with the last lines of the daemons' logs).
set -uo pipefail
dir=${DPS_SLURM_DIR:-/tmp/dps-slurm}
conf=/etc/slurm/slurm.conf
mark="# written by dps scripts/ci-slurm-up.sh"

idle() { sinfo -h -o %t 2>/dev/null | grep -qx 'idle'; }
say() { echo "ci-slurm: $*"; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
if command -v sinfo >/dev/null && idle; then say "node already idle"; exit 0; fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null) || { say "could not install slurm-wlm and munge"; exit 1; }
fi

"$(dirname "$0")/ci-slurm-down.sh" >/dev/null 2>&1 || true
mkdir -p "$dir"/{state,spool,log,run}

# munge: a key readable only by its daemon's user.
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key --force
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none; fi
fi
mu=munge; id -u munge >/dev/null 2>&1 || mu=root
chown "$mu:$mu" /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown "$mu:$mu" /run/munge /var/log/munge /var/lib/munge
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ "$mu" = munge ]; then runuser -u munge -- /usr/sbin/munged --force; else /usr/sbin/munged --force; fi \
    || { say "munged did not start"; exit 1; }
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  # Recorded once the daemon answers (its starting process has exited by then), for ci-slurm-down.sh.
  cat /run/munge/munged.pid > "$dir/run/munged.pid" 2>/dev/null || pgrep -u "$mu" -x munged > "$dir/run/munged.pid" || true
fi

host=$(hostname -s)
node=$(slurmd -C 2>/dev/null | head -1)
[[ $node == NodeName=* ]] || { say "slurmd -C did not describe this node: $node"; exit 1; }
# Leaves a little memory to the system, as Slurm checks RealMemory against what the node reports.
mem=$(grep -oE 'RealMemory=[0-9]+' <<<"$node" | cut -d= -f2)
node=$(sed -E "s/RealMemory=[0-9]+/RealMemory=$((mem * 9 / 10))/; s/ UpTime=.*//" <<<"$node")
if [ ! -f "$conf" ] || head -1 "$conf" | grep -qxF "$mark"; then
  mkdir -p /etc/slurm
  cat > "$conf.tmp" <<EOF
$mark
ClusterName=dps
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$conf.tmp" "$conf"
else
  say "using the existing $conf (not written by this script)"
fi

# -i: ignore state saved by an earlier run of this script (jobs, node states).
slurmctld -i || { say "slurmctld did not start"; tail -5 "$dir/log/slurmctld.log" 2>/dev/null; exit 1; }
slurmd || { say "slurmd did not start"; tail -5 "$dir/log/slurmd.log" 2>/dev/null; exit 1; }
for _ in $(seq 60); do
  if idle; then say "node $host idle"; sinfo; exit 0; fi
  sleep 1
done
say "node not idle after 60 s"; sinfo 2>&1; tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" 2>/dev/null
exit 1
