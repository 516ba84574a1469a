#!/usr/bin/env bash
# Bring up a real one-node SLURM cluster on this machine (Debian 12, run as root, no systemd needed).
#
#   bash tests/slurm/setup-slurm.sh          install what is missing, configure, start, wait for the node
#   bash tests/slurm/setup-slurm.sh --check  also run the smoke checks: sbatch, srun, an MPI hello through
#                                            srun --mpi=pmix and through mpirun inside an allocation (~5 s)
#   bash tests/slurm/setup-slurm.sh --check-all   the same plus --signal=B:USR1@N reaching the batch shell
#                                            (up to 30 s more: slurmctld checks time limits every 30 s)
#   bash tests/slurm/setup-slurm.sh --stop   stop the daemons started here (by their pid files)
#
# Idempotent: packages are installed only if missing, the munge key is created only if missing,
# slurm.conf is rewritten only if its content changes (and the daemons are then restarted), and daemons
# already running are left alone. Exit 0 once `sinfo` shows the node idle.
#
# What it sets up (Debian 12 "bookworm" packages):
#   slurm-wlm 22.05 (slurmctld + slurmd + client), munge; srun --mpi=pmix comes from the plugin
#   mpi_pmix_v4.so in slurm-wlm-basic-plugins, which needs libpmix2 (Open MPI's own dependency).
#   One node = this machine (NodeName=$(hostname -s), CPUs and RealMemory from `slurmd -C`), partition
#   "debug" (default, no time limit), proctrack/linuxproc + task/none (no cgroups, works in containers),
#   select/cons_tres, no accounting database: the final state of every job is appended to
#   /var/log/slurm/jobcomp.log (jobcomp/filetxt), which the scenario tests read once a job has left the queue.
#
# Timers are shortened so tests are fast (see comments in the generated slurm.conf), in particular
# AuthInfo=cred_expire: a requeued job cannot start again before the job credential expired (default 120 s).
set -euo pipefail

ACTION=${1:-start}
HOST=$(hostname -s)
CONF=/etc/slurm/slurm.conf
LOGDIR=/var/log/slurm
SPOOL=/var/spool/slurm
PIDDIR=/run/slurm

log() { echo "setup-slurm: $*"; }
die() { echo "setup-slurm: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts system daemons)"

pid_alive() { # pidfile -> 0 if the process it names is running
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_daemon() { # pidfile name
  if pid_alive "$1"; then
    local pid; pid=$(cat "$1")
    log "stopping $2 (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

if [ "$ACTION" = "--stop" ]; then
  stop_daemon $PIDDIR/slurmd.pid slurmd
  stop_daemon $PIDDIR/slurmctld.pid slurmctld
  stop_daemon /run/munge/munged.pid munged
  exit 0
fi

# ---- 1. packages ----------------------------------------------------------------------------------------
PACKAGES=(slurm-wlm slurmctld slurmd slurm-client slurm-wlm-basic-plugins munge libpmix2 openmpi-bin libopenmpi-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  # policy-rc.d in containers refuses to start services at install time: we start them below ourselves.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
PLUGDIR=/usr/lib/x86_64-linux-gnu/slurm-wlm
[ -e $PLUGDIR/mpi_pmix.so ] || log "WARNING: $PLUGDIR/mpi_pmix.so missing: srun --mpi=pmix will not work"

# ---- 2. munge ---------------------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  if command -v mungekey >/dev/null; then
    mungekey --create --force --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
fi
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0755 /run/munge
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! pid_alive /run/munge/munged.pid; then
  log "starting munged (as user munge)"
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null || die "munge does not work (munge -n | unmunge)"

# ---- 3. slurm.conf ----------------------------------------------------------------------------------------
# CPUs and memory as slurmd sees them; keep a little memory for the system.
read -r CPUS MEM < <(slurmd -C | awk '{for(i=1;i<=NF;i++){split($i,a,"="); if(a[1]=="CPUs")c=a[2]; if(a[1]=="RealMemory")m=a[2]}} END{print c, m}')
[ -n "$CPUS" ] || CPUS=$(nproc)
[ -n "$MEM" ] || MEM=$(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo)
MEM=$(( MEM > 1024 ? MEM - 512 : MEM ))
# The brief's target machine has 2 CPUs; never declare more than the machine has.
[ "$CPUS" -gt 2 ] 2>/dev/null && log "note: this machine has $CPUS CPUs (declared as such)"

NEWCONF=$(mktemp)
cat >"$NEWCONF" <<EOF
# One-node SLURM cluster for splinelens tests; written by tests/slurm/setup-slurm.sh (do not edit).
ClusterName=splinelens
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: lifetime of a job step credential; also how long a requeued job waits before it may start
# again (default 120 s). 5 s is plenty on one local node and keeps the requeue scenario fast.
AuthInfo=cred_expire=5
StateSaveLocation=${SPOOL}/ctld
SlurmdSpoolDir=${SPOOL}/d
SlurmctldPidFile=${PIDDIR}/slurmctld.pid
SlurmdPidFile=${PIDDIR}/slurmd.pid
SlurmctldLogFile=${LOGDIR}/slurmctld.log
SlurmdLogFile=${LOGDIR}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: plain process tracking works in containers and VMs without a delegated cgroup tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Short scheduler intervals: pending jobs (dependencies, requeued jobs) start within seconds.
SchedulerParameters=sched_interval=5,bf_interval=5,batch_sched_delay=1,sched_min_interval=100000
MpiDefault=none
ReturnToService=2
# Jobs may be requeued (scontrol requeue, or automatically on node failure when submitted with --requeue).
JobRequeue=1
# No accounting database: finished jobs stay visible to scontrol for MinJobAge seconds, and every job end
# (including a requeue) is appended to the job completion log.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=${LOGDIR}/jobcomp.log
MinJobAge=30
# Timers: SIGTERM -> SIGKILL after 5 s; a time limit is a hard limit.
KillWait=5
OverTimeLimit=0
InactiveLimit=0
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=60
MessageTimeout=10
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

install -d -m 0755 /etc/slurm
restart=0
if ! cmp -s "$NEWCONF" "$CONF"; then
  log "writing $CONF"
  install -m 0644 "$NEWCONF" "$CONF"
  restart=1
fi
rm -f "$NEWCONF"

install -d -o slurm -g slurm -m 0755 $LOGDIR $SPOOL $SPOOL/ctld $PIDDIR
install -d -o root -g root -m 0755 $SPOOL/d

# ---- 4. daemons ---------------------------------------------------------------------------------------------
if [ $restart = 1 ]; then
  stop_daemon $PIDDIR/slurmd.pid slurmd
  stop_daemon $PIDDIR/slurmctld.pid slurmctld
fi
if ! pid_alive $PIDDIR/slurmctld.pid; then
  # -c: start from a clean state. Jobs saved by an earlier incarnation of this test cluster (a machine stopped
  # with jobs queued) would otherwise be recovered and run again; job ids restart at 1, so the completion log of
  # the earlier incarnation is set aside too.
  log "starting slurmctld (clean state)"
  [ -s $LOGDIR/jobcomp.log ] && mv -f $LOGDIR/jobcomp.log $LOGDIR/jobcomp.log.old
  install -o slurm -g slurm -m 0644 /dev/null $LOGDIR/jobcomp.log
  /usr/sbin/slurmctld -c
fi
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
scontrol ping | grep -q 'is UP' || die "slurmctld did not come up; see $LOGDIR/slurmctld.log: $(tail -5 $LOGDIR/slurmctld.log)"
if ! pid_alive $PIDDIR/slurmd.pid; then
  log "starting slurmd"
  /usr/sbin/slurmd
fi

# ---- 5. wait for the node to be idle ----------------------------------------------------------------------------
state=""
for i in $(seq 120); do
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null | head -1)
  case "$state" in
    idle|mix|alloc) break ;;
    down*|drain*|drng*|fail*)
      # A node that was down at the last slurmctld run (or unknown to it) is resumed once slurmd registers.
      [ $((i % 5)) = 1 ] && scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle|mix|alloc) log "node $HOST is $state (CPUs=$CPUS RealMemory=$MEM)" ;;
  *) sinfo -N -l >&2 || true; tail -20 $LOGDIR/slurmd.log >&2 || true
     die "node $HOST is '$state', not idle" ;;
esac

case "$ACTION" in --check|--check-all) ;; *) exit 0 ;; esac

# ---- 6. smoke checks ---------------------------------------------------------------------------------------------
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_io=romio321
WORK=$(mktemp -d /tmp/slurm-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
fail=0
check() { # description, command...
  local d=$1; shift
  if "$@" >"$WORK/out" 2>&1; then log "OK   $d"; else log "FAIL $d"; sed 's/^/    /' "$WORK/out"; fail=1; fi
}
wait_job() { # jobid -> prints final state from jobcomp log
  local id=$1
  for _ in $(seq 240); do
    squeue -h -j "$id" 2>/dev/null | grep -q . || break
    sleep 0.5
  done
  sleep 0.5
  grep "JobId=$id " $LOGDIR/jobcomp.log | tail -1 | sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p'
}

check "srun --mpi=list offers pmix" sh -c 'srun --mpi=list 2>&1 | tee /dev/stderr | grep -q pmix'
check "srun hostname" sh -c "srun -N1 -n1 hostname | grep -qx '$(hostname)'"
id=$(sbatch --parsable -o "$WORK/triv.%j.out" --wrap 'echo trivial-ok; exit 0')
st=$(wait_job "$id")
check "sbatch trivial job (state $st)" sh -c "[ '$st' = COMPLETED ] && grep -q trivial-ok $WORK/triv.$id.out"

cat >hello.c <<'EOF'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv)
{
  int rank, size, sum, len;
  char name[MPI_MAX_PROCESSOR_NAME];
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(name, &len);
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  printf("hello rank %d of %d on %s sum %d\n", rank, size, name, sum);
  MPI_Finalize();
  return 0;
}
EOF
mpicc -o hello hello.c
check "srun --mpi=pmix -n 2 MPI hello" sh -c './hello >/dev/null; srun --mpi=pmix -n 2 ./hello | tee /dev/stderr | grep -c "of 2 on .* sum 1" | grep -qx 2'
check "mpirun -n 2 inside salloc" sh -c 'salloc -n 2 mpirun -n 2 ./hello | tee /dev/stderr | grep -c "of 2 on .* sum 1" | grep -qx 2'

[ "$ACTION" = --check-all ] || exit $fail
cat >sig.sh <<'EOF'
#!/bin/bash
#SBATCH -t 1
#SBATCH --signal=B:USR1@50
trap 'echo "got USR1 after $SECONDS s"; exit 0' USR1
echo started
for i in $(seq 120); do sleep 1; done
echo "no signal"
EOF
id=$(sbatch --parsable -o "$WORK/sig.%j.out" sig.sh)
st=$(wait_job "$id")
check "--signal=B:USR1@50 reaches the batch shell (state $st)" sh -c "grep -q 'got USR1' $WORK/sig.$id.out && cat $WORK/sig.$id.out"
exit $fail
