#!/usr/bin/env bash
# Submit a study as a job array of n slices plus the merge job that waits for all of them:
#
#   jobs/submit-array.sh <n> [extra sbatch options for the array tasks...]
#   SL_STUDY=configs/big.yaml jobs/submit-array.sh 8 -t 02:00:00 --ntasks-per-node=16
#
# Knobs are the environment variables of jobs/array.sbatch and jobs/merge.sbatch (SL_STUDY, SL_NAME,
# SL_OUTPUT_DIR, SL_BIN, SL_EXTRA_OPTS, ...); SL_MERGE_SBATCH_OPTS adds sbatch options for the merge job.
# Run from the repository root. Prints "<array job id> <merge job id>".
set -euo pipefail
n=${1:?usage: jobs/submit-array.sh <number of slices> [sbatch options for the array...]}
shift
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit-array.sh: the number of slices must be a positive integer" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
export SL_SLICE_COUNT=$n
array=$(sbatch --parsable --array="0-$((n - 1))" "$@" "$here/array.sbatch")
array=${array%%;*} # --parsable prints "id[;cluster]"
# afterok: the merge starts only when every task of the array has exited 0 (requeued tasks are waited for).
# kill-on-invalid-dep: if a slice fails, the merge is cancelled instead of pending forever.
# shellcheck disable=SC2086
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes ${SL_MERGE_SBATCH_OPTS:-} \
  "$here/merge.sbatch")
merge=${merge%%;*}
echo "$array $merge"
