#!/bin/bash
# Scenario 2: time-limit safety. The study needs about the one-minute time limit on idle cores; with
# --signal=B:USR1@50 slurmctld warns the batch shell at its first 30 s tick after 10 s (so 10-40 s in), the
# script forwards SIGUSR1 to splinelens, which exits 75 with the file closed, and the job requeues itself
# (scontrol requeue, same job id, log appended). Each rerun resumes the file. Checks: the job was warned and requeued at least once and ends
# COMPLETED; every run is done; no run was computed twice (the runs each session computed add up to the
# study); the numbers equal the single-allocation reference.
. "$(dirname "$0")/lib.sh"
[ -r "$REF" ] || fail "no reference $REF (the scenario 'study' runs first)"

export SL_MAX_RESTARTS=20
submit -n 2 -t 1 --signal=B:USR1@50 -o "s2-%j.out" jobs/study.sbatch
id=$JOBID
note "submitted job $id (time limit 1 min, USR1 50 s before)"
read -r state code restarts < <(wait_job "$id" 900)
log=s2-$id.out
note "job $id: $state, exit $code, restarts $restarts"
[ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || { show_log "$log"; fail "job $id ended $state (exit $code)"; }
nwarn=$(grep -c "batch shell got SIGUSR1" "$log")
nreq=$(grep -c "requeueing (restart" "$log")
nrun=$(grep -c " running: " "$log")
[ "$nwarn" -ge 1 ] && [ "$nreq" -ge 1 ] || { show_log "$log"; fail "the job was never warned/requeued (warnings $nwarn, requeues $nreq)"; }
[ "$nrun" = $((nreq + 1)) ] || { show_log "$log"; fail "$nrun invocations for $nreq requeues"; }
[ "$restarts" = "$nreq" ] || note "note: SLURM counts $restarts restarts, the log $nreq requeues"
grep -q "restart $nreq, launcher" "$log" || { show_log "$log"; fail "SLURM_RESTART_COUNT did not reach $nreq"; }
if grep -q "DUE TO TIME LIMIT" "$log"; then show_log "$log"; fail "a session was killed by the time limit"; fi
out=results/$NAME.h5
$CHECK complete "$out" slurm_job_id="$id" || fail "bad result file"
nruns=$($CHECK nruns "$out")
per=$(sessions "$log" | tr '\n' ' ')
sum=$(sessions "$log" | awk '{ s += $1 } END { print s }')
[ "$sum" = "$nruns" ] || { show_log "$log"; fail "sessions computed $per= $sum runs, the study has $nruns: some run was recomputed or lost"; }
same_numbers "$REF" "$out"
note "OK: $nreq requeues, runs per session: $per(total $sum = $nruns), identical to the reference"
