#!/bin/bash
# Scenario 1: jobs/study.sbatch runs a whole study in one allocation (srun --mpi=pmix over 2 tasks) into one
# HDF5 file; the job ends COMPLETED with exit 0 and every run is done. The file is kept as the reference
# ($WORK/ref.h5) for the other scenarios.
. "$(dirname "$0")/lib.sh"

submit -n 2 -o "s1-%j.out" jobs/study.sbatch
id=$JOBID
note "submitted job $id"
read -r state code restarts < <(wait_job "$id" 600)
note "job $id: $state, exit $code, restarts $restarts"
log=s1-$id.out
[ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || { show_log "$log"; fail "job $id ended $state (exit $code)"; }
grep -q "launcher srun" "$log" || { show_log "$log"; fail "the job did not use srun --mpi=pmix"; }
out=results/$NAME.h5
$CHECK complete "$out" slurm_job_id="$id" nranks=2 study_name="$NAME" || fail "bad result file"
nruns=$($CHECK nruns "$out")
[ "$(sessions "$log")" = "$nruns" ] || fail "one session should compute all $nruns runs: $(sessions "$log" | tr '\n' ' ')"
cp "$out" "$REF"
note "OK: single allocation, $nruns runs; reference saved as $REF"
