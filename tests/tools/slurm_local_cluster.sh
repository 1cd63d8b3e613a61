#!/bin/bash
# A one-node Slurm cluster on this machine, for tests: munged, slurmctld and
# slurmd run as root in the foreground of background jobs, with every file
# (config, key, state, spool, logs, sockets) in one temporary folder.
#
#   source slurm_local_cluster.sh
#   slurm_cluster_start DIR     # exports SLURM_CONF; fails with the reason
#   slurm_cluster_stop          # stops exactly the daemons it started (by pid)
#
# Choices this sandbox needs (no systemd, no cgroup delegation): proctrack/linuxproc,
# task/none, no cgroup plugins, no accounting (sacct then reports it disabled;
# `sweep status` falls back to the shards), SlurmUser and SlurmdUser root,
# free TCP ports picked at start, and the node named explicitly (slurmd -N).

SLURM_CLUSTER_PIDS=()
SLURM_CLUSTER_NAMES=()

slurm_cluster_fail() {
  echo "slurm cluster: $*" >&2
  return 1
}

slurm_cluster_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

slurm_cluster_log_tail() {
  local f
  for f in "$SLURM_CLUSTER_DIR"/*.log "$SLURM_CLUSTER_DIR"/*.out; do
    [ -s "$f" ] && { echo "--- $f (last lines)"; tail -n 15 "$f"; }
  done >&2
}

slurm_cluster_start() {
  local dir=$1
  SLURM_CLUSTER_DIR=$dir
  [ "$(id -u)" = 0 ] || { slurm_cluster_fail "must run as root (slurmd starts jobs as any user)"; return 1; }
  local tool
  for tool in munged slurmctld slurmd sbatch squeue sinfo scancel; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin
    command -v "$tool" >/dev/null ||
      { slurm_cluster_fail "$tool not found: install slurm-wlm and munge (packaging/setup.sh)"; return 1; }
  done
  mkdir -p "$dir"/{state,spool,munge} && chmod 700 "$dir" "$dir/munge" || return 1

  # munge: a fresh key, its own socket; --force accepts the world-writable /tmp above us.
  head -c 1024 /dev/urandom >"$dir/munge/munge.key" && chmod 400 "$dir/munge/munge.key"
  munged --foreground --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
    --log-file="$dir/munged.log" >"$dir/munged.out" 2>&1 &
  SLURM_CLUSTER_PIDS+=($!)
  SLURM_CLUSTER_NAMES+=(munged)
  local i
  for i in $(seq 50); do [ -S "$dir/munge/munge.sock" ] && break; sleep 0.1; done
  [ -S "$dir/munge/munge.sock" ] || { slurm_cluster_log_tail; slurm_cluster_fail "munged did not start"; return 1; }

  local host ctl_port node_port cpus
  host=$(hostname -s)
  ctl_port=$(slurm_cluster_free_port)
  node_port=$(slurm_cluster_free_port)
  cpus=$(nproc)
  cat >"$dir/slurm.conf" <<EOF
ClusterName=kvrtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=kvrnode NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=kvrtest Nodes=kvrnode Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -D -i -f "$SLURM_CONF" >"$dir/slurmctld.out" 2>&1 &
  SLURM_CLUSTER_PIDS+=($!)
  SLURM_CLUSTER_NAMES+=(slurmctld)
  slurmd -D -N kvrnode -f "$SLURM_CONF" >"$dir/slurmd.out" 2>&1 &
  SLURM_CLUSTER_PIDS+=($!)
  SLURM_CLUSTER_NAMES+=(slurmd)

  # Up when the node is idle; bounded.
  local state=""
  for i in $(seq 60); do
    state=$(sinfo -h -N -n kvrnode -o %T 2>/dev/null)
    [ "$state" = idle ] && return 0
    local k
    for k in "${!SLURM_CLUSTER_PIDS[@]}"; do
      kill -0 "${SLURM_CLUSTER_PIDS[$k]}" 2>/dev/null || {
        slurm_cluster_log_tail
        slurm_cluster_fail "${SLURM_CLUSTER_NAMES[$k]} exited (pid ${SLURM_CLUSTER_PIDS[$k]}); its log is above"
        return 1
      }
    done
    sleep 0.5
  done
  slurm_cluster_log_tail
  slurm_cluster_fail "node not idle after 30 s (state: '${state:-no answer from slurmctld}')"
}

slurm_cluster_stop() {
  local pid i
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1
  # Reverse start order: slurmd, slurmctld, then munged.
  for ((i = ${#SLURM_CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SLURM_CLUSTER_PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  SLURM_CLUSTER_PIDS=()
  SLURM_CLUSTER_NAMES=()
}
