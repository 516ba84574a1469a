/* Running a study: open (or resume) the file, schedule, execute the runs, commit finished runs to the file by time
 * (-sl_output_flush_interval), report progress, stop cleanly on a signal.
 *
 * Commits. Results are buffered in memory (SLOutput) and written in one collective commit (SLOutputFlush: every
 * field, a file flush, then the status column and another flush) once per flush interval, so that a kill loses at
 * most the runs finished since the last commit; resume redoes exactly those (their status is still pending).
 * Runs on one rank each (phase 1) are executed without any synchronisation between ranks: rank 0 keeps the commit
 * clock and, at the first end of one of its runs after the interval has elapsed (or at once when it has no run
 * left or a stop was requested), announces a commit with a non-blocking broadcast; the other ranks test for it
 * after each of their runs and join. A rank without work left tells rank 0 so (one message), and waits for the
 * announcement sleeping between tests, so that an idle rank does not take the CPU from a busy one on a loaded
 * machine; rank 0, once idle itself, commits when the interval has elapsed or every rank is idle. The interval is
 * thus exceeded by at most one of rank 0's runs. Wide runs (phase 0, groups of ranks)
 * proceed in rounds as before, with the commit decision taken by rank 0's clock at the end of each round. With a
 * flush interval of 0 (and always with -sl_stop_after) every run (every round) is committed. */
#include <signal.h>
#include <time.h>
#include <sys/resource.h>
#include "study_impl.h"

static volatile sig_atomic_t SLInterrupt = 0;

/* SIGUSR1 (SLURM's warning before the time limit), SIGTERM (scancel) and SIGINT ask for a clean stop: the flag is
 * polled after every training step and at the end of every run. PETSc's own handler stack does not cover
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

/* -log_view: the runner's stages (setup: layout, file, schedule; runs) and events (one run, the wait of a commit
 * for the ranks still finishing a run, the commit itself). */
static PetscLogStage SLStageSetup = -1, SLStageRuns = -1;
static PetscLogEvent SLEventRun, SLEventCommitWait, SLEventCommit;

static PetscErrorCode SLRunnerLogRegister(void)
{
  PetscClassId cid;

  PetscFunctionBeginUser;
  if (SLStageSetup >= 0) PetscFunctionReturn(0);
  PetscCall(PetscClassIdRegister("splinelens runner", &cid));
  PetscCall(PetscLogStageRegister("SL setup", &SLStageSetup));
  PetscCall(PetscLogStageRegister("SL runs", &SLStageRuns));
  PetscCall(PetscLogEventRegister("SLRun", cid, &SLEventRun));
  PetscCall(PetscLogEventRegister("SLCommitWait", cid, &SLEventCommitWait));
  PetscCall(PetscLogEventRegister("SLCommit", cid, &SLEventCommit));
  PetscFunctionReturn(0);
}

/* Wait for a request, sleeping between tests (a blocking MPI wait spins, which on an oversubscribed node takes the
 * CPU from the ranks still computing). */
static PetscErrorCode SLWaitPolite(MPI_Request *req)
{
  int             done = 0;
  struct timespec ts   = {0, 100000}; /* 0.1 ms */

  PetscFunctionBeginUser;
  for (;;) {
    PetscCallMPI(MPI_Test(req, &done, MPI_STATUS_IGNORE));
    if (done) break;
    nanosleep(&ts, NULL);
  }
  PetscFunctionReturn(0);
}

/* Progress bookkeeping, global (identical on every rank after each commit). */
typedef struct {
  PetscInt        nslice;     /* runs of this slice                                               */
  PetscInt        done0;      /* runs of the slice done (or failed) before this session            */
  PetscInt        todo;       /* runs to do in this session                                        */
  PetscInt        session;    /* runs finished in this session                                     */
  PetscInt        failed;     /* runs of the slice failed (whole file)                             */
  PetscReal       cost_total; /* cost of the runs to do                                            */
  PetscReal       cost_done;  /* cost of the runs finished in this session                         */
  PetscReal       fit[5];     /* sums over finished runs: n, c, t, c^2, c t (t in rank-seconds)    */
  PetscLogDouble  t0, last_print;
  PetscInt        ncommits;
  const PetscInt *slice_of; /* the slice of every run */
  const SLPhase  *phase1;   /* the single-rank phase (its runs remain while phase 0 runs) */
  PetscReal       eta;      /* seconds, -1 if unknown */
} SLProgressState;

/* Failure reasons of this rank's runs since the last commit, tallied by class (the text before the first ':'). */
#define SL_MAX_REASONS 8
typedef struct {
  char     name[SL_MAX_REASONS][48];
  PetscInt count[SL_MAX_REASONS];
  PetscInt n;
} SLReasonTally;

static void SLReasonAdd(SLReasonTally *t, const char reason[], PetscInt count)
{
  char   cls[48];
  size_t l = 0;

  while (reason[l] && reason[l] != ':' && l < sizeof(cls) - 1) {
    cls[l] = reason[l];
    l++;
  }
  while (l > 0 && cls[l - 1] == ' ') l--;
  cls[l] = 0;
  if (!cls[0]) strcpy(cls, "unknown");
  for (PetscInt i = 0; i < t->n; i++)
    if (!strcmp(t->name[i], cls)) {
      t->count[i] += count;
      return;
    }
  if (t->n == SL_MAX_REASONS) { /* the last slot collects the rest */
    strcpy(t->name[SL_MAX_REASONS - 1], "other");
    t->count[SL_MAX_REASONS - 1] += count;
    return;
  }
  strcpy(t->name[t->n], cls);
  t->count[t->n++] = count;
}

/* The calibration of the cost model on the runs finished in this session: a least-squares fit t = a c + b (c their
 * cost-model estimate, t their measured rank-seconds), so that a per-run overhead the model does not know about is
 * learnt too; proportional (b = 0) while the fit is not determined. False before the first finished run. */
static PetscBool SLProgressFit(const SLProgressState *p, PetscReal *a, PetscReal *b)
{
  const PetscReal n = p->fit[0], sc = p->fit[1], st = p->fit[2], scc = p->fit[3], sct = p->fit[4];
  PetscReal       det = n * scc - sc * sc;

  *a = *b = 0;
  if (n <= 0) return PETSC_FALSE;
  if (n >= 2 && det > 1e-12 * n * scc) {
    *a = (n * sct - sc * st) / det;
    *b = (st - *a * sc) / n;
  }
  if (!(*a > 0 && *b >= 0)) { /* undetermined or unphysical: mean time per unit of cost, or per run */
    *a = sc > 0 ? st / sc : 0;
    *b = sc > 0 ? 0 : st / n;
  }
  return PETSC_TRUE;
}

static PetscErrorCode SLProgressPrint(SLStudy s, const SLProgressState *p, const SLReasonTally *tally)
{
  char           when[32], eta[64] = "", fails[512] = "";
  time_t         now = time(NULL);
  struct tm      tmv;
  PetscMPIInt    size;
  PetscLogDouble el  = MPI_Wtime() - p->t0;
  PetscReal      rem = p->eta;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(s->comm, &size));
  gmtime_r(&now, &tmv);
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tmv);
  if (p->session < p->todo && rem >= 0) {
    time_t    at = now + (time_t)(rem + 0.5);
    struct tm tma;
    char      atb[16];
    gmtime_r(&at, &tma);
    strftime(atb, sizeof(atb), "%H:%M:%S", &tma);
    PetscCall(PetscSNPrintf(eta, sizeof(eta), ", ETA %.0f s (%s)", (double)rem, atb));
  }
  if (tally->n) {
    size_t l = 0;
    l += (size_t)snprintf(fails + l, sizeof(fails) - l, " (");
    for (PetscInt i = 0; i < tally->n && l < sizeof(fails); i++) l += (size_t)snprintf(fails + l, sizeof(fails) - l, "%s%s %" PetscInt_FMT, i ? ", " : "", tally->name[i], tally->count[i]);
    if (l < sizeof(fails)) snprintf(fails + l, sizeof(fails) - l, ")");
  }
  PetscCall(PetscPrintf(s->comm, "[splinelens] runs done %" PetscInt_FMT "/%" PetscInt_FMT " (this session %" PetscInt_FMT "), %.1f%%, failed %" PetscInt_FMT "%s, elapsed %.1f s%s | %s\n", p->done0 + p->session, p->nslice, p->session,
                        p->nslice ? 100.0 * (double)(p->done0 + p->session) / (double)p->nslice : 100.0, p->failed, fails, el, eta, when));
  PetscFunctionReturn(0);
}

/* One line per finished (or stopped) slice of a job array. */
static PetscErrorCode SLProgressSliceLine(SLStudy s, const SLProgressState *p)
{
  char      when[32];
  time_t    now = time(NULL);
  struct tm tmv;

  PetscFunctionBeginUser;
  if (s->slice_count <= 1) PetscFunctionReturn(0);
  gmtime_r(&now, &tmv);
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tmv);
  PetscCall(PetscPrintf(s->comm, "[splinelens] slice %" PetscInt_FMT " of %" PetscInt_FMT " %s: %" PetscInt_FMT "/%" PetscInt_FMT " runs done, %" PetscInt_FMT " failed, %.1f s | %s\n", s->slice_index, s->slice_count, p->done0 + p->session == p->nslice ? "finished" : "stopped", p->done0 + p->session, p->nslice, p->failed, MPI_Wtime() - p->t0, when));
  PetscFunctionReturn(0);
}

/* What a rank did since the last commit. */
typedef struct {
  PetscInt  finished; /* runs finished (counted by the first rank of their group) */
  PetscReal cost;     /* their cost, this rank's share                            */
  PetscReal fit[5];   /* their calibration sums                                   */
  PetscInt  remaining;
  PetscReal rem_c, rem_n; /* cost and count of this rank's runs still to do, each weighted by 1 / its group size */
} SLLocalWork;

/* Add the runs ph->run[from .. upto) (skipping -1) to this rank's remaining work. */
static PetscErrorCode SLMineRemaining(SLStudy s, const SLPhase *ph, PetscInt from, PetscInt upto, SLLocalWork *w)
{
  PetscFunctionBeginUser;
  for (PetscInt r = from; r < upto; r++) {
    SLRunSpec spec;
    PetscReal c;
    if (ph->run[r] < 0) continue;
    PetscCall(SLStudyGetRun(s, ph->run[r], &spec));
    PetscCall(SLStudyRunCost(s, &spec, &c));
    w->rem_c += c / ph->group_size;
    w->rem_n += 1.0 / ph->group_size;
  }
  PetscFunctionReturn(0);
}

/* One collective commit of everything buffered, with the global bookkeeping; *stop when a stop request reached
 * any rank or -sl_stop_after is reached, *alldone when no rank has runs left. */
static PetscErrorCode SLCommit(SLStudy s, MPI_Comm ctl, SLOutput out, SLLocalWork *w, SLProgressState *p, SLReasonTally *tally, PetscBool *stop, PetscBool *alldone)
{
  MPI_Request req;
  PetscReal   v[8];
  PetscInt    iv[1];
  int         sig = (int)SLInterrupt;
  PetscBool   print;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(SLEventCommitWait, 0, 0, 0, 0));
  PetscCallMPI(MPI_Ibarrier(ctl, &req));
  PetscCall(SLWaitPolite(&req));
  PetscCall(PetscLogEventEnd(SLEventCommitWait, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(SLEventCommit, 0, 0, 0, 0));
  v[0] = (PetscReal)w->finished;
  v[1] = w->cost;
  for (int k = 0; k < 5; k++) v[2 + k] = w->fit[k];
  v[7] = (PetscReal)w->remaining;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 8, MPIU_REAL, MPI_SUM, ctl));
  iv[0] = sig;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, iv, 1, MPIU_INT, MPI_MAX, ctl));
  PetscCall(SLOutputFlush(out));
  PetscCall(PetscLogEventEnd(SLEventCommit, 0, 0, 0, 0));
  p->session += (PetscInt)v[0];
  p->cost_done += v[1];
  for (int k = 0; k < 5; k++) p->fit[k] += v[2 + k];
  p->ncommits++;
  { /* ETA: the slowest rank's own remaining runs at the calibrated speed (a rank's runs are fixed by the
     * schedule), at least the remaining total over all ranks */
    PetscReal   a, b, eta[2] = {-1, -1};
    PetscMPIInt size;
    PetscCallMPI(MPI_Comm_size(ctl, &size));
    if (SLProgressFit(p, &a, &b)) {
      eta[0] = a * w->rem_c + b * w->rem_n;
      eta[1] = (a * PetscMax(0.0, p->cost_total - p->cost_done) + b * (PetscReal)(p->todo - p->session)) / size;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, eta, 2, MPIU_REAL, MPI_MAX, ctl));
    p->eta = eta[1] < 0 ? -1 : PetscMax(eta[0], eta[1]);
  }
  w->rem_c = w->rem_n = 0;
  PetscCall(PetscMemzero(w->fit, sizeof(w->fit)));
  w->finished = 0;
  w->cost     = 0;
  /* failures: counted over the slice (the replicated status); by reason over this session (every rank's tally
   * gathered at rank 0, which prints it) */
  {
    const PetscInt *status;
    PetscInt        failed = 0;
    PetscCall(SLOutputGetStatus(out, &status));
    for (PetscInt i = 0; i < s->nruns; i++) failed += status[i] == SL_RUN_FAILED && p->slice_of[i] == s->slice_index;
    p->failed = failed;
  }
  {
    PetscMPIInt size, rank;
    PetscCallMPI(MPI_Comm_size(ctl, &size));
    PetscCallMPI(MPI_Comm_rank(ctl, &rank));
    if (size > 1) {
      SLReasonTally *all = NULL;
      if (rank == 0) PetscCall(PetscMalloc1(size, &all));
      PetscCallMPI(MPI_Gather(tally, (int)sizeof(SLReasonTally), MPI_BYTE, all, (int)sizeof(SLReasonTally), MPI_BYTE, 0, ctl));
      if (rank == 0) {
        for (PetscMPIInt r = 1; r < size; r++)
          for (PetscInt i = 0; i < all[r].n; i++) SLReasonAdd(&all[0], all[r].name[i], all[r].count[i]);
        *tally = all[0];
        PetscCall(PetscFree(all));
      } else PetscCall(PetscMemzero(tally, sizeof(*tally))); /* rank 0 keeps the total */
    }
  }
  *stop    = PETSC_FALSE;
  *alldone = (PetscBool)(v[7] == 0);
  if (iv[0]) {
    *stop = PETSC_TRUE;
    PetscCall(PetscPrintf(s->comm, "[splinelens] signal %d received: stopping after committing finished runs\n", (int)iv[0]));
  }
  if (s->stop_after >= 0 && p->session >= s->stop_after && !*alldone) {
    *stop = PETSC_TRUE;
    PetscCall(PetscPrintf(s->comm, "[splinelens] -sl_stop_after %" PetscInt_FMT " reached\n", s->stop_after));
  }
  print = (PetscBool)(*stop || *alldone || s->flush_interval <= 0 || MPI_Wtime() - p->last_print >= PetscMax(s->flush_interval, 1.0));
  PetscCallMPI(MPI_Bcast(&print, 1, MPIU_BOOL, 0, ctl)); /* rank 0's clock decides */
  if (print) {
    PetscCall(SLProgressPrint(s, p, tally));
    p->last_print = MPI_Wtime();
  }
  PetscFunctionReturn(0);
}

/* Execute run id of phase ph on this rank (and its group); account for it in w (and the failure tally). */
static PetscErrorCode SLRunOne(SLStudy s, const SLPhase *ph, PetscInt id, SLOutput out, SLLocalWork *w, SLReasonTally *tally, PetscBool *interrupted)
{
  SLRunSpec      spec;
  PetscReal      cost;
  PetscLogDouble t = MPI_Wtime();
  PetscMPIInt    grank;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(SLEventRun, 0, 0, 0, 0));
  PetscCall(SLRunExecute(s, id, ph->comm, out, &SLInterrupt, interrupted));
  PetscCall(PetscLogEventEnd(SLEventRun, 0, 0, 0, 0));
  t = (MPI_Wtime() - t) * ph->group_size;
  if (*interrupted) PetscFunctionReturn(0);
  PetscCall(SLStudyGetRun(s, id, &spec));
  PetscCall(SLStudyRunCost(s, &spec, &cost));
  PetscCallMPI(MPI_Comm_rank(ph->comm, &grank));
  w->cost += cost / ph->group_size;
  if (grank == 0) { /* the first rank of the group counts the run once */
    PetscBool   found;
    SLRunStatus st;
    w->finished++;
    w->fit[0] += 1;
    w->fit[1] += cost;
    w->fit[2] += t;
    w->fit[3] += cost * cost;
    w->fit[4] += cost * t;
    PetscCall(SLOutputPeekStatus(out, id, &st, &found));
    if (found && st == SL_RUN_FAILED) {
      char reason[256], path[PETSC_MAX_PATH_LEN];
      PetscCall(SLSchemaPath(SL_F_RUNS_REASON, NULL, path, sizeof(path)));
      PetscCall(SLOutputPeekString(out, path, id, reason, sizeof(reason), &found));
      SLReasonAdd(tally, found ? reason : "", 1);
    }
  }
  PetscFunctionReturn(0);
}

/* Phase 0: runs on groups of ranks, in rounds; commit when rank 0's interval has elapsed. */
static PetscErrorCode SLRunRounds(SLStudy s, MPI_Comm ctl, const SLPhase *ph, SLOutput out, SLLocalWork *w, SLProgressState *p, SLReasonTally *tally, PetscLogDouble *last, PetscBool *stop)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(ctl, &rank));
  for (PetscInt r = 0; r < ph->nrounds && !*stop; r++) {
    PetscInt  id   = ph->run[r];
    PetscBool intr = PETSC_FALSE, alldone;
    int       want[2];
    w->remaining = 0;
    for (PetscInt q = r + 1; q < ph->nrounds; q++) w->remaining += ph->run[q] >= 0;
    if (id >= 0) PetscCall(SLRunOne(s, ph, id, out, w, tally, &intr));
    want[0] = (rank == 0 && (s->flush_interval <= 0 || s->stop_after >= 0 || MPI_Wtime() - *last >= s->flush_interval)) || r == ph->nrounds - 1;
    want[1] = (int)SLInterrupt;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, want, 2, MPI_INT, MPI_MAX, ctl));
    if (want[0] || want[1]) {
      w->remaining = ph->nrounds - 1 - r; /* the phase goes on while any round is left */
      PetscCall(SLMineRemaining(s, ph, r + 1, ph->nrounds, w));
      if (p->phase1) PetscCall(SLMineRemaining(s, p->phase1, 0, p->phase1->nrounds, w));
      PetscCall(SLCommit(s, ctl, out, w, p, tally, stop, &alldone));
      *last = MPI_Wtime();
    }
  }
  PetscFunctionReturn(0);
}

/* Phase 1 messages to rank 0: a rank has no run left (0) or was stopped by a signal (1); each rank sends one. */
#define SL_TAG_IDLE 7501

static PetscErrorCode SLPollIdle(MPI_Comm ctl, PetscInt *nidle, PetscBool *remote_stop)
{
  PetscFunctionBeginUser;
  for (;;) {
    int        flag, msg;
    MPI_Status st;
    PetscCallMPI(MPI_Iprobe(MPI_ANY_SOURCE, SL_TAG_IDLE, ctl, &flag, &st));
    if (!flag) break;
    PetscCallMPI(MPI_Recv(&msg, 1, MPI_INT, st.MPI_SOURCE, SL_TAG_IDLE, ctl, MPI_STATUS_IGNORE));
    (*nidle)++;
    if (msg) *remote_stop = PETSC_TRUE;
  }
  PetscFunctionReturn(0);
}

/* Phase 1: runs on one rank each, no synchronisation between commits (see the top of the file). Rank 0 commits
 * when the interval has elapsed at the end of one of its runs; once it has no run left, when the interval has
 * elapsed or every other rank has told it that it has none left either (or was stopped). */
static PetscErrorCode SLRunFree(SLStudy s, MPI_Comm ctl, const SLPhase *ph, SLOutput out, SLLocalWork *w, SLProgressState *p, SLReasonTally *tally, PetscLogDouble *last, PetscBool *stop)
{
  PetscMPIInt     rank, size;
  PetscInt        next = 0, nmine = 0, nidle = 0; /* this rank's runs: run[0 .. nmine) (the rest of the rounds are -1) */
  PetscBool       lockstep = (PetscBool)(s->flush_interval <= 0 || s->stop_after >= 0), alldone = PETSC_FALSE, halted = PETSC_FALSE, sent = PETSC_FALSE, remote_stop = PETSC_FALSE;
  struct timespec ts = {0, 500000}; /* 0.5 ms */

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(ctl, &rank));
  PetscCallMPI(MPI_Comm_size(ctl, &size));
  while (nmine < ph->nrounds && ph->run[nmine] >= 0) nmine++;
  while (!*stop && !alldone) {
    MPI_Request req   = MPI_REQUEST_NULL;
    int         token = 0, arrived = 0;
    PetscInt    ran = 0;
    if (rank == 0) {
      /* run until the interval has elapsed (lockstep: one run), then announce the commit */
      while (next < nmine && !halted) {
        if (ran > 0 && (lockstep || MPI_Wtime() - *last >= s->flush_interval)) break;
        PetscCall(SLRunOne(s, ph, ph->run[next], out, w, tally, &halted));
        if (!halted) next++;
        ran++;
        if (SLInterrupt) halted = PETSC_TRUE;
        PetscCall(SLPollIdle(ctl, &nidle, &remote_stop));
        if (remote_stop) halted = PETSC_TRUE;
      }
      if (!lockstep && !halted && next >= nmine) { /* idle: wait for the interval or for the others to finish */
        while (nidle < size - 1 && !remote_stop && !SLInterrupt && MPI_Wtime() - *last < s->flush_interval) {
          PetscCall(SLPollIdle(ctl, &nidle, &remote_stop));
          nanosleep(&ts, NULL);
        }
      }
      token = 1;
      PetscCallMPI(MPI_Ibcast(&token, 1, MPI_INT, 0, ctl, &req));
      PetscCall(SLWaitPolite(&req));
    } else {
      PetscCallMPI(MPI_Ibcast(&token, 1, MPI_INT, 0, ctl, &req));
      for (;;) {
        PetscCallMPI(MPI_Test(&req, &arrived, MPI_STATUS_IGNORE));
        if (arrived) break;
        if (next >= nmine || halted || (lockstep && ran > 0)) {
          if ((next >= nmine || halted) && !sent) {
            int msg = halted ? 1 : 0;
            PetscCallMPI(MPI_Send(&msg, 1, MPI_INT, 0, SL_TAG_IDLE, ctl));
            sent = PETSC_TRUE;
          }
          PetscCall(SLWaitPolite(&req));
          break;
        }
        PetscCall(SLRunOne(s, ph, ph->run[next], out, w, tally, &halted));
        if (!halted) next++;
        ran++;
        if (SLInterrupt) halted = PETSC_TRUE;
      }
    }
    w->remaining = halted ? 0 : nmine - next;
    if (!halted) PetscCall(SLMineRemaining(s, ph, next, nmine, w));
    PetscCall(SLCommit(s, ctl, out, w, p, tally, stop, &alldone));
    *last = MPI_Wtime();
  }
  /* every rank other than 0 sends exactly one message in the phase: match them all */
  if (rank > 0 && !sent) {
    int msg = 1;
    PetscCallMPI(MPI_Send(&msg, 1, MPI_INT, 0, SL_TAG_IDLE, ctl));
  }
  if (rank == 0)
    for (; nidle < size - 1; nidle++) {
      int msg;
      PetscCallMPI(MPI_Recv(&msg, 1, MPI_INT, MPI_ANY_SOURCE, SL_TAG_IDLE, ctl, MPI_STATUS_IGNORE));
    }
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudySetLayoutOnly(SLStudy s, PetscBool on)
{
  PetscFunctionBeginUser;
  s->layout_only = on;
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyRun(SLStudy s, PetscBool *interrupted)
{
  SLOutput        out;
  SLPhase         phase[2];
  PetscBool       resumed, stop = PETSC_FALSE;
  const PetscInt *status;
  PetscInt       *slice_of, complete = 1;
  PetscLogDouble  last;
  PetscMPIInt     rank;
  MPI_Comm        ctl;
  SLProgressState prog;
  SLLocalWork     work;
  SLReasonTally   tally;
  char            now[64];

  PetscFunctionBeginUser;
  PetscCall(SLRunnerLogRegister());
  PetscCall(PetscMemzero(&prog, sizeof(prog)));
  PetscCall(PetscMemzero(&work, sizeof(work)));
  PetscCall(PetscMemzero(&tally, sizeof(tally)));
  prog.t0 = prog.last_print = MPI_Wtime();
  PetscCallMPI(MPI_Comm_rank(s->comm, &rank));
  PetscCall(PetscLogStagePush(SLStageSetup));
  PetscCall(SLOutputCreate(s->comm, s->nruns, &out));
  PetscCall(SLStudyDeclareLayout(s, out));
  PetscCall(SLStudyPreflight(s, out)); /* resources, before the file is touched */
  if (s->dry_run) {
    PetscCall(SLStudyPlanView(s, out));
    PetscCall(SLOutputDestroy(&out));
    PetscCall(PetscLogStagePop());
    *interrupted = PETSC_FALSE;
    PetscFunctionReturn(0);
  }
  { /* an existing file with the same settings and fewer axis values is grown (grow.c, output_grow.c) */
    char        obj[8];
    const char *name;
    PetscCall(SLSchemaAttribute(SL_F_ATTR_SETTINGS_FINGERPRINT, NULL, obj, sizeof(obj), &name));
    PetscCall(SLOutputSetGrow(out, name, SLStudyGrowMap, s));
    PetscCall(SLStudySetGrowKeys(s, out));
  }
  PetscCall(SLOutputOpen(out, s->output, s->fingerprint, &resumed));
  PetscCall(SLErrorsAbortOnError(PETSC_TRUE)); /* from here an error may hit some ranks only: end them all */
  /* The grid columns, also on resume (the same values): a kill between the creation (or growth) of the file and
   * this first commit must not leave rows without their grid values. */
  if (rank == 0) PetscCall(SLStudyPutGrid(s, out));
  PetscCall(SLOutputFlush(out));
  PetscCall(SLOutputGetStatus(out, &status));
  PetscCall(PetscMalloc1(s->nruns, &slice_of));
  PetscCall(SLScheduleSlices(s, slice_of));
  PetscCall(SLScheduleCreate(s, status, phase));
  prog.slice_of = slice_of;
  prog.phase1   = &phase[1];
  prog.eta      = -1;
  for (PetscInt i = 0; i < s->nruns; i++) {
    if (slice_of[i] != s->slice_index) continue;
    prog.nslice++;
    prog.done0 += status[i] != SL_RUN_PENDING;
    prog.failed += status[i] == SL_RUN_FAILED;
  }
  prog.todo       = phase[0].nruns + phase[1].nruns;
  prog.cost_total = phase[0].cost + phase[1].cost;
  PetscCallMPI(MPI_Comm_dup(s->comm, &ctl));
  if (s->layout_only) PetscCall(PetscPrintf(s->comm, "[splinelens] laid out %s: %" PetscInt_FMT " runs pending, none computed (layout only)\n", s->output, prog.todo));
  else
    PetscCall(PetscPrintf(s->comm, "[splinelens] %s %s: %" PetscInt_FMT " runs to do (%" PetscInt_FMT " on groups of %" PetscInt_FMT " ranks), %" PetscInt_FMT " rounds, committed every %.4g s\n", resumed ? "resuming" : "writing", s->output, prog.todo,
                          phase[0].nruns, phase[0].group_size, phase[0].nrounds + phase[1].nrounds, (double)s->flush_interval));
  PetscCall(PetscLogStagePop());

  PetscCall(PetscLogStagePush(SLStageRuns));
  PetscCall(SLStudyCatchSignals());
  last = MPI_Wtime();
  stop = s->layout_only; /* the file laid out (created, resumed or grown): nothing computed */
  for (PetscInt p = 0; p < 2 && !stop; p++) {
    if (phase[p].nrounds == 0) continue;
    /* the TS of this phase's communicator, configured once for all its runs */
    if (s->train && phase[p].comm != MPI_COMM_NULL) PetscCall(SLTrainerSetUp(s->trainer, phase[p].comm));
    if (p == 0) PetscCall(SLRunRounds(s, ctl, &phase[p], out, &work, &prog, &tally, &last, &stop));
    else PetscCall(SLRunFree(s, ctl, &phase[p], out, &work, &prog, &tally, &last, &stop));
  }
  PetscCall(PetscLogStagePop());

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
  if (prog.ncommits == 0) PetscCall(SLProgressPrint(s, &prog, &tally)); /* nothing was left to do */
  PetscCall(SLProgressSliceLine(s, &prog));
  if (prog.fit[0] > 0) PetscCall(SLStudyPlanCalibration(s, prog.fit));
  { /* the measured peak, to hold against the plan's estimate (-sl_dry_run) */
    struct rusage ru;
    PetscReal     peak;
    PetscCheck(!getrusage(RUSAGE_SELF, &ru), PETSC_COMM_SELF, PETSC_ERR_SYS, "getrusage failed");
    peak = (PetscReal)ru.ru_maxrss * 1024.0;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &peak, 1, MPIU_REAL, MPI_MAX, s->comm));
    PetscCall(PetscPrintf(s->comm, "[splinelens] peak memory per rank: %.4g bytes (getrusage maximum resident set, largest rank)\n", (double)peak));
  }
  PetscCall(SLErrorsAbortOnError(PETSC_FALSE));
  *interrupted = (PetscBool)!complete;
  PetscCallMPI(MPI_Comm_free(&ctl));
  PetscCall(SLScheduleDestroy(phase));
  PetscCall(PetscFree(slice_of));
  PetscCall(SLOutputDestroy(&out));
  PetscFunctionReturn(0);
}
