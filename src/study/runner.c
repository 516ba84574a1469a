/* Running a study: open (or resume) the file, schedule, execute in rounds with a collective flush after each,
 * report progress, stop cleanly on a signal. */
#include <signal.h>
#include "study_impl.h"

static volatile sig_atomic_t SLInterrupt = 0;

/* SIGUSR1 (SLURM's warning before the time limit), SIGTERM (scancel) and SIGINT ask for a clean stop: the flag is
 * polled after every training step and at the end of every round. PETSc's own handler stack does not cover
 * SIGUSR1, so these three are installed with sigaction, once, for the rest of the process: a signal arriving
 * after the study loop (while the file is being closed, or a second copy forwarded by the batch shell or srun)
 * must be absorbed, never kill a process that is finishing cleanly. */
static const int SLStopSignals[]    = {SIGUSR1, SIGTERM, SIGINT};
static PetscBool SLSignalsInstalled = PETSC_FALSE;

static void SLSignalHandler(int sig)
{
  SLInterrupt = sig;
}

PetscErrorCode SLStudyCatchSignals(void)
{
  PetscFunctionBeginUser;
  if (SLSignalsInstalled) PetscFunctionReturn(0);
  for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(SLStopSignals); k++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SLSignalHandler;
    sigemptyset(&sa.sa_mask);
    PetscCheck(!sigaction(SLStopSignals[k], &sa, NULL), PETSC_COMM_SELF, PETSC_ERR_SYS, "sigaction(%d) failed", SLStopSignals[k]);
  }
  SLSignalsInstalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode SLProgress(SLStudy s, SLOutput out, const PetscInt slice_of[], PetscInt session, PetscReal cost_done, PetscReal cost_total, PetscLogDouble t0)
{
  const PetscInt *status;
  PetscInt        done = 0, failed = 0, total = 0;
  PetscLogDouble  el = MPI_Wtime() - t0, eta = cost_done > 0 ? PetscMax(0.0, el * (cost_total - cost_done) / cost_done) : 0;

  PetscFunctionBeginUser;
  PetscCall(SLOutputGetStatus(out, &status));
  for (PetscInt i = 0; i < s->nruns; i++) {
    if (slice_of[i] != s->slice_index) continue;
    total++;
    done += status[i] != SL_RUN_PENDING;
    failed += status[i] == SL_RUN_FAILED;
  }
  PetscCall(PetscPrintf(s->comm, "[splinelens] runs done %" PetscInt_FMT "/%" PetscInt_FMT " (this session %" PetscInt_FMT "), failed %" PetscInt_FMT ", elapsed %.1f s, remaining ~%.1f s\n", done, total, session, failed, el, eta));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyRun(SLStudy s, PetscBool *interrupted)
{
  SLOutput        out;
  SLPhase         phase[2];
  PetscBool       resumed, stop = PETSC_FALSE;
  const PetscInt *status;
  PetscInt       *slice_of, session = 0, complete = 1;
  PetscReal       cost_done = 0, cost_total;
  PetscLogDouble  t0        = MPI_Wtime();
  PetscMPIInt     rank;
  char            now[64];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(s->comm, &rank));
  PetscCall(SLOutputCreate(s->comm, s->nruns, &out));
  PetscCall(SLStudyDeclareLayout(s, out));
  PetscCall(SLOutputOpen(out, s->output, s->fingerprint, &resumed));
  PetscCall(SLErrorsAbortOnError(PETSC_TRUE)); /* from here an error may hit some ranks only: end them all */
  if (!resumed) {
    if (rank == 0) PetscCall(SLStudyPutGrid(s, out));
    PetscCall(SLOutputFlush(out));
  }
  PetscCall(SLOutputGetStatus(out, &status));
  PetscCall(PetscMalloc1(s->nruns, &slice_of));
  PetscCall(SLScheduleSlices(s, slice_of));
  PetscCall(SLScheduleCreate(s, status, phase));
  cost_total = phase[0].cost + phase[1].cost;
  PetscCall(PetscPrintf(s->comm, "[splinelens] %s %s: %" PetscInt_FMT " runs to do (%" PetscInt_FMT " on groups of %" PetscInt_FMT " ranks), %" PetscInt_FMT " rounds\n", resumed ? "resuming" : "writing", s->output, phase[0].nruns + phase[1].nruns,
                        phase[0].nruns, phase[0].group_size, phase[0].nrounds + phase[1].nrounds));

  PetscCall(SLStudyCatchSignals());
  for (PetscInt p = 0; p < 2 && !stop; p++) {
    /* the TS of this phase's communicator, configured once for all its runs */
    if (s->train && phase[p].nrounds > 0 && phase[p].comm != MPI_COMM_NULL) PetscCall(SLTrainerSetUp(s->trainer, phase[p].comm));
    for (PetscInt r = 0; r < phase[p].nrounds && !stop; r++) {
      PetscInt  id = phase[p].run[r], finished = 0;
      PetscReal dc   = 0; /* this rank's share of the cost finished this round */
      PetscBool intr = PETSC_FALSE;
      int       sig;
      if (id >= 0) {
        SLRunSpec spec;
        PetscReal cost;
        PetscCall(SLRunExecute(s, id, phase[p].comm, out, &SLInterrupt, &intr));
        PetscCall(SLStudyGetRun(s, id, &spec));
        PetscCall(SLStudyRunCost(s, &spec, &cost));
        if (!intr) {
          dc       = cost / phase[p].group_size;
          finished = 1;
        }
      }
      PetscCall(SLOutputFlush(out));
      /* Runs finished this round: count each once (the first rank of its group reports it). */
      {
        PetscMPIInt grank = 0;
        if (id >= 0) PetscCallMPI(MPI_Comm_rank(phase[p].comm, &grank));
        if (grank != 0) finished = 0;
      }
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &finished, 1, MPIU_INT, MPI_SUM, s->comm));
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &dc, 1, MPIU_REAL, MPI_SUM, s->comm));
      cost_done += dc;
      session += finished;
      sig = (int)SLInterrupt;
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &sig, 1, MPI_INT, MPI_MAX, s->comm));
      if (sig) {
        stop = PETSC_TRUE;
        PetscCall(PetscPrintf(s->comm, "[splinelens] signal %d received: stopping after flushing finished runs\n", sig));
      }
      if (s->stop_after >= 0 && session >= s->stop_after) {
        stop = PETSC_TRUE;
        PetscCall(PetscPrintf(s->comm, "[splinelens] -sl_stop_after %" PetscInt_FMT " reached\n", s->stop_after));
      }
      PetscCall(SLProgress(s, out, slice_of, session, cost_done, cost_total, t0));
    }
  }

  PetscCall(SLOutputGetStatus(out, &status));
  for (PetscInt i = 0; i < s->nruns; i++)
    if (status[i] == SL_RUN_PENDING && (slice_of[i] == s->slice_index || s->slice_count == 1)) complete = 0;
  {
    const char *names[2]  = {NULL, NULL};
    const char *values[2] = {now, complete ? "1" : "0"};
    char        obj[8];
    PetscCall(SLSchemaAttribute(SL_F_ATTR_END_TIME, NULL, obj, sizeof(obj), &names[0]));
    PetscCall(SLSchemaAttribute(SL_F_ATTR_COMPLETE, NULL, obj, sizeof(obj), &names[1]));
    PetscCall(SLStudyNow(now, sizeof(now)));
    PetscCallMPI(MPI_Bcast(now, sizeof(now), MPI_CHAR, 0, s->comm));
    PetscCall(SLOutputClose(out, 2, names, values));
  }
  PetscCall(SLErrorsAbortOnError(PETSC_FALSE));
  *interrupted = (PetscBool)!complete;
  PetscCall(SLScheduleDestroy(phase));
  PetscCall(PetscFree(slice_of));
  PetscCall(SLOutputDestroy(&out));
  PetscFunctionReturn(0);
}
