#!/usr/bin/env bash
# One-node Slurm cluster for integration tests of the slurm executor.
#
# Debian 12 (slurm-wlm 22.05 + munge), runs without systemd: the daemons are
# started in the background with setsid/nohup. Idempotent: running it again
# while the cluster is up changes nothing and exits 0.
#
# Usage:  scripts/slurm/setup.sh          # install (if needed), configure, start, wait for idle
#         scripts/slurm/stop.sh           # stop the daemons again
#
# Environment overrides (all optional):
#   BGW_SLURM_CLUSTER   cluster name              (default: bgw)
#   BGW_SLURM_WAIT      seconds to wait for idle   (default: 60)
#   BGW_SLURM_CPUS      CPUs advertised for the node (default: nproc; a
#                       different value adds SlurmdParameters=config_overrides)
#   BGW_SLURM_CRED_EXPIRE  AuthInfo=cred_expire seconds (default: 10; a
#                       requeued job waits cred_expire+1 s before it may restart)
# A changed slurm.conf (e.g. other overrides) restarts slurmctld and slurmd;
# running jobs survive that, their state is kept in /var/spool/slurmctld.
set -euo pipefail

CLUSTER="${BGW_SLURM_CLUSTER:-bgw}"
WAIT_S="${BGW_SLURM_WAIT:-60}"
CONF=/etc/slurm/slurm.conf   # the path Debian's slurm binaries read by default
CONF_DIR="$(dirname "$CONF")"

LOG_DIR=/var/log/slurm
CTLD_SPOOL=/var/spool/slurmctld
SLURMD_SPOOL=/var/spool/slurmd
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
CTLD_LOG="$LOG_DIR/slurmctld.log"
SLURMD_LOG="$LOG_DIR/slurmd.log"
MUNGE_KEY=/etc/munge/munge.key
MUNGE_LOG=/var/log/munge/munged.stdout   # munged -F logs to stderr
MUNGE_PID=/run/munge/munged.pid

log() { printf '[slurm-setup] %s\n' "$*" >&2; }

# Prints a message plus the tail of a log file (if given) and exits 1.
die() {
  local msg="$1" logfile="${2:-}"
  printf '[slurm-setup] ERROR: %s\n' "$msg" >&2
  if [[ -n "$logfile" ]]; then
    if [[ -r "$logfile" ]]; then
      printf '[slurm-setup] --- last 30 lines of %s ---\n' "$logfile" >&2
      tail -n 30 "$logfile" >&2 || true
      printf '[slurm-setup] --- end of %s ---\n' "$logfile" >&2
    else
      printf '[slurm-setup] (log %s not readable / not present)\n' "$logfile" >&2
    fi
  fi
  exit 1
}

# shellcheck source=scripts/slurm/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Pid of a daemon: from its pid file if that process has the right command
# name, else the first process with exactly that name; empty if none.
daemon_pid() { # name pidfile
  local name="$1" pidfile="$2" pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" \
     && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == "$name" ]]; then
    echo "$pid"; return 0
  fi
  # pgrep also lists zombies (exited daemons not yet reaped), so filter.
  for pid in $(pgrep -x "$name" 2>/dev/null || true); do
    if alive "$pid"; then echo "$pid"; return 0; fi
  done
}
running() { [[ -n "$(daemon_pid "$1" "$2")" ]]; }

# ---------------------------------------------------------------- 1. install
if ! command -v slurmctld >/dev/null 2>&1 && [[ ! -x /usr/sbin/slurmctld ]]; then
  log "slurmctld not found; installing slurm-wlm and munge with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    slurm-wlm munge >/dev/null \
    || die "apt-get install slurm-wlm munge failed"
fi
export PATH="/usr/sbin:/sbin:$PATH"
for bin in slurmctld slurmd munged sinfo scontrol sbatch; do
  command -v "$bin" >/dev/null 2>&1 || die "$bin not found after installation"
done

# ------------------------------------------------------- 2. directories, key
as_root mkdir -p "$CONF_DIR" "$LOG_DIR" "$CTLD_SPOOL" "$SLURMD_SPOOL" \
  /etc/munge /var/log/munge /var/lib/munge /run/munge
as_root chmod 755 "$CTLD_SPOOL" "$SLURMD_SPOOL" "$LOG_DIR"

if [[ ! -s "$MUNGE_KEY" ]]; then
  log "creating munge key $MUNGE_KEY"
  if command -v mungekey >/dev/null 2>&1; then
    as_root mungekey --create --keyfile="$MUNGE_KEY" --force
  else
    as_root dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none
  fi
fi
if id munge >/dev/null 2>&1; then
  as_root chown munge:munge "$MUNGE_KEY" /etc/munge /var/log/munge /var/lib/munge /run/munge
fi
as_root chmod 0400 "$MUNGE_KEY"
as_root chmod 0700 /etc/munge /var/log/munge /var/lib/munge
as_root chmod 0755 /run/munge

# --------------------------------------------------------- 3. slurm.conf
NODE="$(hostname -s)"
NPROC="$(nproc)"
CPUS="${BGW_SLURM_CPUS:-$NPROC}"
[[ "$CPUS" =~ ^[1-9][0-9]*$ ]] || die "BGW_SLURM_CPUS must be a positive integer (got '$CPUS')"
OVERRIDES=""
if (( CPUS != NPROC )); then
  # Advertise more (or fewer) CPUs than the machine has, e.g. so that a
  # 3-task array runs at once on a 2-CPU box. slurmd would otherwise drain
  # the node for a CPU count mismatch.
  OVERRIDES=$'SlurmdParameters=config_overrides\n'
fi
CRED_EXPIRE="${BGW_SLURM_CRED_EXPIRE:-10}"
MEM_TOTAL_MB=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
# 90% of MemTotal (slurmd drains the node if RealMemory exceeds what it sees).
REAL_MEM=$(( MEM_TOTAL_MB * 9 / 10 ))
(( REAL_MEM >= 1 )) || REAL_MEM=1
# Use the loopback address unless the hostname resolves (one-node cluster).
NODE_ADDR="$(getent hosts "$NODE" | awk 'NR==1 {print $1}')"
[[ -n "$NODE_ADDR" ]] || NODE_ADDR=127.0.0.1

NEW_CONF="$(cat <<EOF
# Generated by scripts/slurm/setup.sh (Boltzmann Generator Workbench).
# One-node test cluster; re-running setup.sh rewrites this file.
ClusterName=${CLUSTER}
SlurmctldHost=${NODE}(${NODE_ADDR})
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=${CTLD_SPOOL}
SlurmdSpoolDir=${SLURMD_SPOOL}
SlurmctldPidFile=${CTLD_PID}
SlurmdPidFile=${SLURMD_PID}
SlurmctldLogFile=${CTLD_LOG}
SlurmdLogFile=${SLURMD_LOG}
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
SlurmctldPort=6817
SlurmdPort=6818
# Finished jobs stay visible to 'scontrol show job' / squeue for an hour.
MinJobAge=3600
MaxJobCount=100000
ReturnToService=2
JobRequeue=1
SlurmctldTimeout=60
SlurmdTimeout=120
InactiveLimit=0
KillWait=5
Waittime=0
# Test-cluster tuning: schedule right at submit, re-check pending jobs (begin
# times, requeued jobs) every 5 s instead of 60/30 s.
SchedulerParameters=batch_sched_delay=0,sched_interval=5,bf_interval=5
# A requeued job may start again only after cred_expire+1 s (default 120).
AuthInfo=cred_expire=${CRED_EXPIRE}
${OVERRIDES}NodeName=${NODE} NodeAddr=${NODE_ADDR} CPUs=${CPUS} RealMemory=${REAL_MEM} State=UNKNOWN
PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
PartitionName=short Nodes=${NODE} Default=NO MaxTime=00:30:00 State=UP
EOF
)"

CONF_CHANGED=0
if [[ ! -f "$CONF" ]] || [[ "$(cat "$CONF")" != "$NEW_CONF" ]]; then
  log "writing $CONF (node=$NODE cpus=$CPUS realmemory=${REAL_MEM}MB)"
  printf '%s\n' "$NEW_CONF" | as_root tee "$CONF" >/dev/null
  as_root chmod 644 "$CONF"
  CONF_CHANGED=1
fi

# ------------------------------------------------------------- 4. daemons
BG_PID=""
start_bg() { # name logfile cmd...
  local name="$1" out="$2"; shift 2
  log "starting $name"
  # A plain command (not a function) in the background: bash forks once and
  # execs, so no helper shell lingers holding the caller's stdout/stderr open.
  # setsid puts the daemon in its own session (immune to the caller's
  # process-group kills / SIGHUP); the redirection happens inside the root
  # shell so it also works via sudo.
  "${SUDO[@]}" bash -c 'exec setsid nohup "$@" </dev/null >>"$0" 2>&1' "$out" "$@" \
    </dev/null >/dev/null 2>&1 &
  BG_PID=$!
}

# Running, or just started and still exec'ing its way to the daemon binary.
up_or_starting() { # name pidfile bgpid
  running "$1" "$2" || { [[ -n "${3:-}" ]] && alive "$3"; }
}

stop_pid() { # name pidfile
  local name="$1" pidfile="$2" pid
  pid="$(daemon_pid "$name" "$pidfile")"
  [[ -z "$pid" ]] && return 0
  log "stopping $name (pid $pid) to apply the new configuration"
  as_root kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 75); do alive "$pid" || return 0; sleep 0.2; done
  as_root kill -9 "$pid" 2>/dev/null || true
  sleep 0.5
}

# munged
if ! running munged "$MUNGE_PID"; then
  if id munge >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
    # Normal setup: munged runs as the munge user, which owns key and dirs.
    start_bg munged "$MUNGE_LOG" setpriv --reuid=munge --regid=munge --init-groups munged -F
  else
    start_bg munged "$MUNGE_LOG" munged --force -F
  fi
fi
for _ in $(seq 1 50); do
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then break; fi
  sleep 0.2
done
munge -n 2>/dev/null | unmunge >/dev/null 2>&1 \
  || die "munged is not working (munge -n | unmunge failed)" "$MUNGE_LOG"

# A changed slurm.conf needs the daemons restarted (node definition changes).
if (( CONF_CHANGED )); then
  if running slurmd "$SLURMD_PID"; then stop_pid slurmd "$SLURMD_PID"; fi
  if running slurmctld "$CTLD_PID"; then stop_pid slurmctld "$CTLD_PID"; fi
fi

CTLD_BG=""
if ! running slurmctld "$CTLD_PID"; then
  start_bg slurmctld "$LOG_DIR/slurmctld.stdout" slurmctld -D
  CTLD_BG="$BG_PID"
fi
ok=0
deadline=$(( SECONDS + WAIT_S ))
while (( SECONDS < deadline )); do
  if scontrol ping 2>/dev/null | grep -q 'is UP'; then ok=1; break; fi
  up_or_starting slurmctld "$CTLD_PID" "$CTLD_BG" || break
  sleep 0.5
done
(( ok )) || die "slurmctld did not come up" "$CTLD_LOG"

SLURMD_BG=""
if ! running slurmd "$SLURMD_PID"; then
  start_bg slurmd "$LOG_DIR/slurmd.stdout" slurmd -D
  SLURMD_BG="$BG_PID"
fi

# ------------------------------------------------------ 5. wait for node
deadline=$(( SECONDS + WAIT_S ))
state=""
resumed=0
while (( SECONDS < deadline )); do
  state="$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1 || true)"
  # sinfo appends flags such as '*' (not responding) or '~' (powered off).
  state="${state%%[*~#!%\$@^-]*}"
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    down|drained|draining|drain|fail|failing)
      if (( ! resumed )); then
        log "node $NODE is '$state'; resuming it"
        scontrol update nodename="$NODE" state=resume 2>/dev/null || true
        resumed=1
      fi ;;
  esac
  up_or_starting slurmd "$SLURMD_PID" "$SLURMD_BG" || die "slurmd exited" "$SLURMD_LOG"
  running slurmctld "$CTLD_PID" || die "slurmctld exited" "$CTLD_LOG"
  sleep 1
done
case "$state" in
  idle|mixed|allocated|completing) ;;
  *)
    scontrol show node "$NODE" >&2 2>/dev/null || true
    die "node $NODE not idle after ${WAIT_S}s (state: '${state:-none}')" "$SLURMD_LOG" ;;
esac

echo "slurm up: cluster=$CLUSTER node=$NODE state=$state cpus=$CPUS mem=${REAL_MEM}MB partitions=debug(default),short conf=$CONF"
