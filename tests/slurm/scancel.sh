#!/bin/bash
# Scenario 4: scancel of a running job. SLURM sends SIGTERM to the steps and the batch shell; splinelens exits 75
# after flushing, the file stays valid (some runs done, the others pending) and the job is not restarted. A new
# sbatch of the same script resumes the file (this time through the mpirun launcher, the fallback of
# jobs/study.sbatch) and completes it, computing only the missing runs; the result equals the reference.
. "$(dirname "$0")/lib.sh"
[ -r "$REF" ] || fail "no reference $REF (the scenario 'study' runs first)"

submit -n 2 -o "s4-%j.out" jobs/study.sbatch
id=$JOBID
log=s4-$id.out
note "submitted job $id"
for _ in $(seq 600); do
  grep -q "runs done [1-9]" "$log" 2>/dev/null && break
  st=$(job_field "$id" JobState)
  case "$st" in PENDING|RUNNING|CONFIGURING|"") ;; *) break ;; esac
  sleep 0.5
done
grep -q "runs done [1-9]" "$log" || { show_log "$log"; fail "no progress line from job $id"; }
scancel "$id"
note "cancelled job $id after its first progress line"
read -r state code restarts < <(wait_job "$id" 120)
note "job $id: $state, exit $code"
[ "$state" = CANCELLED ] || { show_log "$log"; fail "job $id ended $state, expected CANCELLED"; }
grep -q "interrupted by SIGTERM" "$log" || { show_log "$log"; fail "the batch shell did not see splinelens stop with exit 75 after SIGTERM"; }
grep -q "requeueing" "$log" && { show_log "$log"; fail "a cancelled job must not requeue itself"; }
out=results/$NAME.h5
$CHECK partial "$out" || fail "the file of the cancelled job is not a valid interrupted study"

export SL_LAUNCHER=mpirun
submit -n 2 -o "s4-%j.out" jobs/study.sbatch
id2=$JOBID
log2=s4-$id2.out
note "resubmitted as job $id2 (launcher mpirun)"
read -r state code restarts < <(wait_job "$id2" 600)
note "job $id2: $state, exit $code"
[ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || { show_log "$log2"; fail "job $id2 ended $state (exit $code)"; }
grep -q "launcher mpirun" "$log2" || fail "job $id2 did not use mpirun"
$CHECK complete "$out" slurm_job_id="$id" || fail "bad result file"
nruns=$($CHECK nruns "$out")
per=$(sessions "$log" "$log2" | tr '\n' ' ')
sum=$(sessions "$log" "$log2" | awk '{ s += $1 } END { print s }')
[ "$sum" = "$nruns" ] || { show_log "$log"; show_log "$log2"; fail "sessions computed $per= $sum runs, the study has $nruns"; }
same_numbers "$REF" "$out"
note "OK: cancelled, resumed by a new job; runs per session: $per; identical to the reference"
