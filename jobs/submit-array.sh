#!/usr/bin/env bash
# Submit a study as a job array of n slices plus the merge job that waits for all of them:
#
#   jobs/submit-array.sh <n|auto> [extra sbatch options for the array tasks...]
#   SL_STUDY=configs/sweep.yaml jobs/submit-array.sh auto -t 00:30:00 --ntasks-per-node=16
#   SL_STUDY=configs/sweep.yaml jobs/submit-array.sh 8 -t 02:00:00 --ntasks-per-node=16
#
# auto: the slice count comes from the plan of splinelens' dry run (-sl_dry_run, nothing is written): the runs'
# cost in rank-seconds (calibration: SL_PLAN_CALIBRATION="a,b" as printed at the end of a study on this machine,
# else the built-in one) divided by what one slice delivers, i.e. its ranks (SL_PLAN_RANKS, else the ranks the
# sbatch options ask for: -n/--ntasks, or -N/--nodes x --ntasks-per-node) times its wall time (SL_WALLTIME in
# seconds, else the -t/--time limit less the 360 s of the time-limit warning) at 80% efficiency.
# SL_PLAN_ONLY=1 prints the plan and the sbatch commands without submitting anything.
#
# Knobs are the environment variables of jobs/array.sbatch and jobs/merge.sbatch (SL_STUDY, SL_NAME,
# SL_OUTPUT_DIR, SL_BIN, SL_EXTRA_OPTS, ...); SL_MERGE_SBATCH_OPTS adds sbatch options for the merge job.
# Run from the repository root. Prints "<array job id> <merge job id>".
set -euo pipefail
n=${1:?usage: jobs/submit-array.sh <number of slices|auto> [sbatch options for the array...]}
shift
here=$(cd "$(dirname "$0")" && pwd)

# SLURM time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S -> seconds
sl_seconds() {
  local t=$1 d=0 h=0 m=0 s=0
  if [[ $t == *-* ]]; then
    d=${t%%-*} t=${t#*-}
    IFS=: read -r h m s <<<"$t"
  else
    case $(tr -cd : <<<"$t" | wc -c) in
      0) m=$t ;;
      1) IFS=: read -r m s <<<"$t" ;;
      *) IFS=: read -r h m s <<<"$t" ;;
    esac
  fi
  echo $(((10#${d:-0} * 24 + 10#${h:-0}) * 3600 + 10#${m:-0} * 60 + 10#${s:-0}))
}

if [ "$n" = auto ]; then
  limit="" ntasks="" nodes=1 pernode=""
  args=("$@")
  for ((k = 0; k < ${#args[@]}; k++)); do
    a=${args[k]} v=${args[k + 1]:-}
    case $a in
      -t | --time) limit=$v ;;
      --time=*) limit=${a#*=} ;;
      -n | --ntasks) ntasks=$v ;;
      --ntasks=*) ntasks=${a#*=} ;;
      -N | --nodes) nodes=$v ;;
      --nodes=*) nodes=${a#*=} ;;
      --ntasks-per-node=*) pernode=${a#*=} ;;
    esac
  done
  walltime=${SL_WALLTIME:-}
  if [ -z "$walltime" ]; then
    [ -n "$limit" ] || { echo "submit-array.sh auto: give the time limit (-t) or SL_WALLTIME" >&2; exit 2; }
    walltime=$(($(sl_seconds "$limit") - 360))
    [ "$walltime" -gt 0 ] || { echo "submit-array.sh auto: time limit $limit is shorter than the 360 s warning margin" >&2; exit 2; }
  fi
  ranks=${SL_PLAN_RANKS:-${ntasks:-}}
  [ -n "$ranks" ] || { [ -n "$pernode" ] && ranks=$((nodes * pernode)); }
  [ -n "$ranks" ] || { echo "submit-array.sh auto: give the ranks per slice (-n, or -N and --ntasks-per-node, or SL_PLAN_RANKS)" >&2; exit 2; }
  plan=()
  [ -n "${SL_PLAN_CALIBRATION:-}" ] && plan=(-sl_plan_calibration "$SL_PLAN_CALIBRATION")
  # shellcheck disable=SC2086
  out=$("${SL_BIN:-build/splinelens}" -options_file "${SL_STUDY:-configs/default.yaml}" ${SL_EXTRA_OPTS:-} -sl_view 0 \
    -sl_dry_run -sl_plan_walltime "$walltime" -sl_plan_ranks "$ranks" "${plan[@]}") ||
    { echo "submit-array.sh auto: the dry run failed:" >&2; echo "$out" >&2; exit 2; }
  echo "$out" | grep '^plan' >&2
  n=$(echo "$out" | sed -n 's/^plan slices: //p')
fi
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit-array.sh: the number of slices must be a positive integer or auto" >&2; exit 2; }
export SL_SLICE_COUNT=$n
if [ -n "${SL_PLAN_ONLY:-}" ]; then
  echo "sbatch --array=0-$((n - 1)) $* $here/array.sbatch"
  echo "sbatch --dependency=afterok:<array> --kill-on-invalid-dep=yes ${SL_MERGE_SBATCH_OPTS:-}$here/merge.sbatch"
  exit 0
fi
array=$(sbatch --parsable --array="0-$((n - 1))" "$@" "$here/array.sbatch")
array=${array%%;*} # --parsable prints "id[;cluster]"
# afterok: the merge starts only when every task of the array has exited 0 (requeued tasks are waited for).
# kill-on-invalid-dep: if a slice fails, the merge is cancelled instead of pending forever.
# shellcheck disable=SC2086
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes ${SL_MERGE_SBATCH_OPTS:-} \
  "$here/merge.sbatch")
merge=${merge%%;*}
echo "$array $merge"
