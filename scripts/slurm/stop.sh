#!/usr/bin/env bash
# Stops the one-node Slurm test cluster started by scripts/slurm/setup.sh
# (slurmd, slurmctld, munged). Idempotent: exits 0 if nothing is running.
#
#   scripts/slurm/stop.sh             # stop slurmd, slurmctld and munged
#   BGW_SLURM_KEEP_MUNGE=1 scripts/slurm/stop.sh   # leave munged running
#
# Job state in /var/spool/slurmctld survives; setup.sh brings it back.
set -euo pipefail
export PATH="/usr/sbin:/sbin:$PATH"

# shellcheck source=scripts/slurm/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
log() { printf '[slurm-stop] %s\n' "$*" >&2; }

# Pids of a daemon: from its pid file if that process still has the right
# name, plus any other process with exactly that command name.
pids_of() { # name pidfile
  local name="$1" pidfile="$2" pid
  {
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == "$name" ]]; then
      echo "$pid"
    fi
    pgrep -x "$name" 2>/dev/null || true
  } | sort -u | while read -r pid; do
    # pgrep also lists zombies (exited, not yet reaped by init): skip them.
    if alive "$pid"; then echo "$pid"; fi
  done
}

stop_daemon() { # name pidfile
  local name="$1" pidfile="$2" pids pid
  pids="$(pids_of "$name" "$pidfile")"
  if [[ -z "$pids" ]]; then
    log "$name not running"
    as_root rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $(echo $pids))"
  for pid in $pids; do as_root kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 75); do            # up to 15 s
    local any=0
    for pid in $pids; do alive "$pid" && any=1; done
    (( any )) || break
    sleep 0.2
  done
  for pid in $pids; do
    if alive "$pid"; then
      log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
      as_root kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  as_root rm -f "$pidfile"
}

stop_daemon slurmd /run/slurmd.pid
stop_daemon slurmctld /run/slurmctld.pid
if [[ "${BGW_SLURM_KEEP_MUNGE:-0}" != 1 ]]; then
  stop_daemon munged /run/munge/munged.pid
fi
echo "slurm stopped"
