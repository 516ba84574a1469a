# shellcheck shell=bash
# Common part of jobs/study.sbatch, jobs/array.sbatch and jobs/merge.sbatch: SOURCED by them (not executed),
# because the time-limit warning (#SBATCH --signal=B:USR1@N) is delivered to the batch shell's own process only.
#
# sl_job_run <splinelens arguments...>
#   Launches one MPI step of splinelens over the job's tasks, in the background, and waits for it.
#   - The first USR1 (time-limit warning), TERM (scancel, preemption, the time limit itself) or INT received by
#     the batch shell is forwarded to the step as SIGUSR1 (later ones only update the reason): splinelens then abandons the runs in flight, flushes what is
#     finished, closes the HDF5 file and exits 75 (see notes/CLI.md). USR1 rather than TERM is forwarded because
#     Open MPI's mpirun turns a SIGTERM into killing its ranks, whereas it forwards SIGUSR1 untouched; srun
#     forwards both (and on scancel the ranks also get SIGTERM from slurmd directly, which is fine).
#   - exit 0: every run is done -> the job exits 0.
#   - exit 75 after USR1: the job requeues itself (SL_RESTART_MODE, bounded by SL_MAX_RESTARTS); the rerun
#     resumes from the file and skips the runs already done.
#   - exit 75 after TERM/INT (scancel): no restart (the user or the scheduler wants the job gone); the file is
#     valid and `sbatch` of the same script later resumes it.
#   - any other exit code: an error; the job exits with it and is not restarted. splinelens' classes (README
#     "Exit status"): 64 usage, 65 input, 70 internal, 71 resource (disk full...); 75 is never an error.
#
# Variables read (set by the sourcing script): SL_BIN, SL_LAUNCHER, SL_RANKS_PER_NODE, SL_MAX_RESTARTS,
# SL_RESTART_MODE; SL_RESTART_COUNT (set in resubmitted jobs), SL_SCRIPT (script to resubmit; default: this job's).

sl_log() { echo "[$(date '+%F %T')] ${SLURM_JOB_ID:+job $SLURM_JOB_ID: }$*"; }

# --- environment for Open MPI and parallel HDF5 (no `module load`: Debian packages are on the default paths;
#     on a centre, load the modules that provide MPI/PETSc/HDF5 before this point) ---
# OMPIO has hung collective HDF5 1.10 writes; ROMIO is the MPI-IO layer splinelens is tested with.
export OMPI_MCA_io=${OMPI_MCA_io:-romio321}
if [ "$(id -u)" -eq 0 ]; then
  # Open MPI refuses to run as root without these (containers, test machines; never needed on a real centre).
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# One rank per core and no hidden threads: threaded BLAS would oversubscribe the cores and, worse, OpenBLAS's dense
# eigensolvers give results that differ at round-off level with the number of threads, which depends on the CPU
# affinity the launcher sets (srun without binding: all cores of the node; mpirun: bound to one core). With one
# thread the numbers are the same whichever launcher, rank count or node runs them.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

# The restart count: SLURM sets SLURM_RESTART_COUNT in a requeued job; a resubmitted job gets SL_RESTART_COUNT.
SL_RESTARTS=${SLURM_RESTART_COUNT:-${SL_RESTART_COUNT:-0}}

sl_pick_launcher() {
  if [ "$SL_LAUNCHER" = auto ]; then
    # srun starts the ranks directly when SLURM has the PMIx plugin (`srun --mpi=list` names "pmix"; on Debian
    # it is mpi_pmix_v4.so from slurm-wlm-basic-plugins) and Open MPI was built with PMIx (Debian's is).
    # Otherwise mpirun inside the allocation, which reads the node list from SLURM and starts its daemons
    # with srun itself.
    if command -v srun >/dev/null && srun --mpi=list 2>&1 | grep -qw pmix; then
      SL_LAUNCHER=srun
    else
      SL_LAUNCHER=mpirun
    fi
  fi
  local nnodes=${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-1}}
  case "$SL_LAUNCHER" in
    srun)
      SL_LAUNCH=(srun --mpi=pmix)
      # -n/--ntasks-per-node only when asked: by default srun uses every task of the allocation.
      [ -n "$SL_RANKS_PER_NODE" ] &&
        SL_LAUNCH+=(--ntasks-per-node="$SL_RANKS_PER_NODE" -n "$((nnodes * SL_RANKS_PER_NODE))")
      ;;
    mpirun)
      local n=${SLURM_NTASKS:-1}
      [ -n "$SL_RANKS_PER_NODE" ] && n=$((nnodes * SL_RANKS_PER_NODE))
      # -x: mpirun passes only OMPI_* variables to remote nodes by itself
      SL_LAUNCH=(mpirun -n "$n" -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS)
      [ -n "$SL_RANKS_PER_NODE" ] && SL_LAUNCH+=(--map-by "ppr:$SL_RANKS_PER_NODE:node")
      ;;
    *) sl_log "ERROR: SL_LAUNCHER must be auto, srun or mpirun (got '$SL_LAUNCHER')"; exit 2 ;;
  esac
}

SL_SIGNAL=""
SL_STEP_PID=""
SL_FORWARDED=""
sl_on_signal() {
  [ -z "$SL_SIGNAL" ] || [ "$SL_SIGNAL" = USR1 ] && SL_SIGNAL=$1 # TERM (cancel) overrides an earlier USR1
  # Forward once: the ranks have their stop request after the first USR1, and Open MPI's mpirun dies of a
  # USR1 that arrives while it is tearing the job down (exit 138 instead of the ranks' 75).
  if [ -n "$SL_STEP_PID" ] && [ -z "$SL_FORWARDED" ]; then
    sl_log "batch shell got SIG$1, forwarding SIGUSR1 to the step (pid $SL_STEP_PID)"
    SL_FORWARDED=1
    kill -USR1 "$SL_STEP_PID" 2>/dev/null
  else
    sl_log "batch shell got SIG$1${SL_FORWARDED:+ (the step already has its stop request)}"
  fi
  return 0
}

sl_restart() {
  if [ "$SL_RESTARTS" -ge "$SL_MAX_RESTARTS" ]; then
    sl_log "interrupted, but $SL_RESTARTS restarts already (SL_MAX_RESTARTS=$SL_MAX_RESTARTS): not restarting;" \
      "sbatch the script again to resume"
    exit 75
  fi
  case "$SL_RESTART_MODE" in
    requeue)
      # Same job id, same options and environment, same log (--open-mode=append); SLURM_RESTART_COUNT + 1.
      # The job is pending again at once and may start after the credential lifetime (cred_expire, 120 s by
      # default). scontrol kills this batch shell while requeueing it, so this is the last thing we do.
      sl_log "interrupted before the time limit: requeueing (restart $((SL_RESTARTS + 1)) of at most $SL_MAX_RESTARTS)"
      trap - USR1 TERM INT # let the requeue's SIGTERM end this shell at once
      # An array task must be named <array job>_<task>: its SLURM_JOB_ID may equal the array's id, and
      # `scontrol requeue <array id>` would requeue (and kill) every task of the array.
      local target=$SLURM_JOB_ID
      [ -n "${SLURM_ARRAY_JOB_ID:-}" ] && target=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}
      if scontrol requeue "$target"; then
        sleep 30 # the requeue kills the shell meanwhile
        exit 0
      fi
      sl_log "scontrol requeue failed (job not requeueable here?)"
      [ -z "${SLURM_ARRAY_JOB_ID:-}" ] || exit 75
      sl_log "falling back to resubmitting"
      sl_resubmit
      ;;
    resubmit)
      if [ -n "${SLURM_ARRAY_JOB_ID:-}" ]; then
        # A resubmitted task would be outside the array, so the merge job's afterok dependency could not see it.
        sl_log "array task interrupted: resubmission is not possible for array tasks (use requeue); resubmit" \
          "this slice by hand with sbatch --array=$SLURM_ARRAY_TASK_ID ... to resume it"
        exit 75
      fi
      sl_resubmit ;;
    none) sl_log "interrupted; SL_RESTART_MODE=none: sbatch the script again to resume"; exit 75 ;;
    *) sl_log "ERROR: SL_RESTART_MODE must be requeue, resubmit or none"; exit 2 ;;
  esac
}

sl_resubmit() {
  # A new job that starts once this one has ended (whatever its state), with this job's resources, time
  # limit, partition, account, QOS and log file; the environment carries the knobs and the restart count.
  # Other sbatch command-line options of the first submission are not known here: put them in #SBATCH lines.
  local script=${SL_SCRIPT:-}
  local info out tl
  info=$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null)
  [ -n "$script" ] || script=$(sed -n 's/^ *Command=\(.*\)$/\1/p' <<<"$info")
  out=$(sed -n 's/^ *StdOut=\(.*\)$/\1/p' <<<"$info")
  tl=$(squeue -h -j "$SLURM_JOB_ID" -o %l)
  if [ -z "$script" ] || [ ! -r "$script" ]; then
    sl_log "ERROR: cannot resubmit: batch script '$script' not readable (set SL_SCRIPT)"; exit 75
  fi
  local args=(--parsable --dependency="afterany:$SLURM_JOB_ID" --kill-on-invalid-dep=yes
              --job-name="${SLURM_JOB_NAME:-splinelens}" --nodes="${SLURM_JOB_NUM_NODES:-1}"
              --ntasks="${SLURM_NTASKS:-1}" --open-mode=append
              --export="ALL,SL_RESTART_COUNT=$((SL_RESTARTS + 1))")
  [ -n "$tl" ] && args+=(--time="$tl")
  [ -n "$out" ] && args+=(--output="$out")
  [ -n "${SLURM_JOB_PARTITION:-}" ] && args+=(--partition="$SLURM_JOB_PARTITION")
  [ -n "${SLURM_NTASKS_PER_NODE:-}" ] && args+=(--ntasks-per-node="$SLURM_NTASKS_PER_NODE")
  [ -n "${SLURM_CPUS_PER_TASK:-}" ] && args+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
  [ -n "${SLURM_MEM_PER_CPU:-}" ] && args+=(--mem-per-cpu="$SLURM_MEM_PER_CPU")
  [ -n "${SLURM_MEM_PER_NODE:-}" ] && args+=(--mem="$SLURM_MEM_PER_NODE")
  [ -n "${SLURM_JOB_ACCOUNT:-}" ] && args+=(--account="$SLURM_JOB_ACCOUNT")
  [ -n "${SLURM_JOB_QOS:-}" ] && args+=(--qos="$SLURM_JOB_QOS")
  local id
  if id=$(sbatch "${args[@]}" "$script"); then
    sl_log "resubmitted as job $id (restart $((SL_RESTARTS + 1)) of at most $SL_MAX_RESTARTS)"
    exit 75
  fi
  sl_log "ERROR: resubmission failed: sbatch the script again to resume"
  exit 75
}

sl_job_run() {
  sl_pick_launcher
  trap 'sl_on_signal USR1' USR1
  trap 'sl_on_signal TERM' TERM
  trap 'sl_on_signal INT' INT
  sl_log "host $(hostname -s), ${SLURM_JOB_NUM_NODES:-1} node(s), ${SLURM_NTASKS:-?} task(s), restart $SL_RESTARTS," \
    "launcher $SL_LAUNCHER"
  sl_log "running: ${SL_LAUNCH[*]} $SL_BIN $*"
  local rc
  if [ -n "$SL_SIGNAL" ]; then
    rc=75 # signalled before the step started
  else
    "${SL_LAUNCH[@]}" "$SL_BIN" "$@" &
    SL_STEP_PID=$!
    # `wait` returns early (status > 128) whenever a trapped signal arrives: wait again until the step is gone.
    while :; do
      wait "$SL_STEP_PID"
      rc=$?
      if [ "$rc" -gt 128 ] && kill -0 "$SL_STEP_PID" 2>/dev/null; then continue; fi
      break
    done
    SL_STEP_PID=""
  fi
  case "$rc" in
    0) sl_log "done (exit 0)"; exit 0 ;;
    75)
      case "$SL_SIGNAL" in
        USR1) sl_restart ;;
        TERM|INT) sl_log "interrupted by SIG$SL_SIGNAL (cancelled): the file is valid; sbatch again to resume"; exit 75 ;;
        *) sl_log "splinelens stopped early (exit 75) without a signal from the batch shell; not restarting"; exit 75 ;;
      esac
      ;;
    *)
      local what
      case "$rc" in
        64) what="usage error: bad options" ;; 65) what="input error: data, config or output file" ;;
        70) what="internal error" ;; 71) what="resource error: memory or disk full" ;; *) what="failed" ;;
      esac
      sl_log "ERROR: splinelens $what (exit $rc)${SL_SIGNAL:+ after SIG$SL_SIGNAL}; not restarting"; exit "$rc" ;;
  esac
}
