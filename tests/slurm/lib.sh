# shellcheck shell=bash
# Shared part of the SLURM scenario tests; sourced by tests/slurm/<scenario>.sh as
#   . lib.sh <splinelens binary> <source tree> <work directory shared by the scenarios>
# Skips (exit 77) unless SL_TEST_SLURM=1. Brings the one-node cluster up (tests/slurm/setup-slurm.sh, idempotent),
# makes a fresh directory $WORK/<scenario> with a link jobs -> <source>/jobs and cds into it, so that the jobs are
# submitted exactly as the user guide says: `sbatch jobs/study.sbatch` from a directory holding jobs/.
set -u
SCENARIO=$(basename "$0" .sh)
if [ "${SL_TEST_SLURM:-0}" != 1 ]; then
  echo "SKIP $SCENARIO: set SL_TEST_SLURM=1 to run the SLURM tests (they install and start a one-node SLURM as root)"
  exit 77
fi
[ $# -ge 3 ] || { echo "usage: $0 <splinelens binary> <source tree> <work directory>" >&2; exit 2; }
BIN=$(realpath "$1") SRC=$(realpath "$2") WORKROOT=$(realpath -m "$3")
PY=/usr/bin/python3
CHECK="$PY $SRC/tests/slurm/check_h5.py"
STUDY=$SRC/tests/slurm/slurm-study.yaml # ~60 s on 2 ranks: long enough to be signalled, short enough for CI
NAME=slurm-study
REF=$WORKROOT/ref.h5 # written by the scenario "study", compared with by the others
T0=$(date +%s)

fail() { echo "FAIL $SCENARIO: $*" >&2; exit 1; }
note() { echo "[$SCENARIO +$(($(date +%s) - T0))s] $*"; }

[ "$(id -u)" -eq 0 ] || fail "the SLURM tests need root (they install and start the daemons)"
[ -x "$BIN" ] || fail "splinelens binary $BIN not found"
bash "$SRC/tests/slurm/setup-slurm.sh" >/dev/null || fail "setup-slurm.sh failed: run it by hand to see why"

mkdir -p "$WORKROOT"
WORK=$WORKROOT/$SCENARIO
rm -rf "$WORK"
mkdir -p "$WORK"
ln -s "$SRC/jobs" "$WORK/jobs"
cd "$WORK" || fail "cannot cd to $WORK"
export SL_STUDY=$STUDY SL_BIN=$BIN
unset SL_OUTPUT SL_NAME SL_EXTRA_OPTS SL_LAUNCHER SL_RANKS_PER_NODE SL_MAX_RESTARTS SL_RESTART_MODE SL_JOB_LIB

# Jobs submitted here are cancelled when the scenario ends, so that a failure leaves no job behind to disturb the
# next scenario.
SUBMITTED=()
cleanup() {
  local id
  for id in "${SUBMITTED[@]}"; do
    if squeue -h -j "$id" 2>/dev/null | grep -q .; then
      echo "cleanup: cancelling job $id"
      scancel "$id" 2>/dev/null
    fi
  done
  return 0
}
trap cleanup EXIT

# submit <sbatch arguments...>: sets JOBID (not in a $(...) subshell, so that the cleanup knows the job)
JOBID=""
submit() {
  JOBID=$(sbatch --parsable "$@") || fail "sbatch $* failed"
  JOBID=${JOBID%%;*}
  SUBMITTED+=("$JOBID")
}

# job_field <id> <Field>: a field of `scontrol show job` (first record), empty once the job is purged
job_field() {
  scontrol show job -o "$1" 2>/dev/null | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait_job <id> <timeout s>: waits until the job is finished (terminal state, not requeued) and prints
# "<state> <exit code> <restarts>". Reads scontrol (jobs stay MinJobAge=30 s) or else the job completion log.
wait_job() {
  local id=$1 timeout=$2 st="" t=0
  while [ "$t" -lt "$timeout" ]; do
    st=$(job_field "$id" JobState)
    case "$st" in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE)
        echo "$st $(job_field "$id" ExitCode) $(job_field "$id" Restarts)"; return 0 ;;
      "")
        # purged already: the last completion record of the job
        local rec
        rec=$(grep "^JobId=$id " /var/log/slurm/jobcomp.log | tail -1)
        if [ -n "$rec" ]; then
          local n
          n=$(grep -c "^JobId=$id .*JobState=PENDING" /var/log/slurm/jobcomp.log)
          echo "$(sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p' <<<"$rec") $(sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' <<<"$rec") $n"
          return 0
        fi ;;
    esac
    sleep 1
    t=$((t + 1))
  done
  echo "TIMEOUT-WAITING $(job_field "$id" ExitCode) $(job_field "$id" Restarts)"
}

# sessions <log...>: the number of runs each splinelens invocation computed, from its last progress line
# "runs done d/total (this session s)" (0 for an invocation interrupted before its first round), one per line.
sessions() {
  awk '/ running: / { if (n++) print s; s = 0 }
       match($0, /\(this session [0-9]+\)/) { s = substr($0, RSTART + 14, RLENGTH - 15) + 0 }
       END { if (n) print s }' "$@"
}

# same_numbers <a.h5> <b.h5>: numeric content equal (datasets only: not /runinfo, not the root attributes of
# provenance, not the dimension-scale back references, which hold file addresses)
same_numbers() {
  h5diff --exclude-path /runinfo --exclude-attribute / --exclude-attribute /runs/run_id "$1" "$2" ||
    fail "$2 differs from $1: $(h5diff -r --exclude-path /runinfo --exclude-attribute / \
      --exclude-attribute /runs/run_id "$1" "$2" | grep -v '^0 differences' | head -20)"
}

show_log() { echo "---- $1"; grep -v '^\[splinelens\] runs done' "$1" | tail -40; echo "----"; }
