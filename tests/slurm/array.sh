#!/bin/bash
# Scenario 3: jobs/submit-array.sh 3: a job array of 3 slices (each its own file results/<name>.slice<i>.h5)
# and a merge job with --dependency=afterok on the array. Checks: every task and the merge COMPLETED; the
# slices partition the runs (slice attribute i/3, array task id i); the merged file equals the reference.
. "$(dirname "$0")/lib.sh"
[ -r "$REF" ] || fail "no reference $REF (the scenario 'study' runs first)"

export SL_MERGE_SBATCH_OPTS="-o s3-merge-%j.out"
read -r aid mid < <(jobs/submit-array.sh 3 -n 2 -o "s3-%A_%a.out") || fail "submit-array.sh failed"
[ -n "$mid" ] || fail "submit-array.sh printed no job ids"
SUBMITTED+=("$aid" "$mid")
note "submitted array $aid (3 tasks) and merge $mid"
dep=$(job_field "$mid" Dependency)
case "$dep" in afterok:"$aid"*) ;; *) fail "merge job dependency is '$dep', expected afterok:$aid" ;; esac
read -r state code restarts < <(wait_job "$mid" 900)
note "merge job $mid: $state, exit $code"
for i in 0 1 2; do
  l=s3-${aid}_$i.out
  grep -q "done (exit 0)" "$l" || { show_log "$l"; fail "array task $i did not finish with exit 0"; }
done
[ "$state" = COMPLETED ] && [ "$code" = 0:0 ] || { show_log "s3-merge-$mid.out"; fail "merge job ended $state (exit $code)"; }
$CHECK slices 3 results/"$NAME".slice0.h5 results/"$NAME".slice1.h5 results/"$NAME".slice2.h5 || fail "bad slices"
$CHECK complete results/"$NAME".h5 || fail "bad merged file"
same_numbers "$REF" results/"$NAME".h5
note "OK: 3 slices merged after the array, identical to the reference"
