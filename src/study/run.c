/* One run of a study: initialize, record the spline view, spectra at init, train by gradient flow, record the
 * end state and its spectra. Every rank of the run's communicator calls it; each buffers the pieces it owns
 * (its neuron range of ragged arrays; rank 0 of the run the columns and replicated arrays). */
#include "study_impl.h"
#include <time.h>

static PetscErrorCode SLPutIntCol(SLOutput out, PetscBool leader, SLSchemaId id, PetscInt run, PetscInt64 v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLSchemaPutInt(out, id, NULL, run, 0, 1, &v));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLPutRealCol(SLOutput out, PetscBool leader, SLSchemaId id, PetscInt run, PetscReal v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLSchemaPutReal(out, id, NULL, run, 0, 1, &v));
  PetscFunctionReturn(0);
}

/* A per-spectrum scalar: run-table column (row 0) or entry k of a per-snapshot ragged array. */
static PetscErrorCode SLPutIntAt(SLOutput out, PetscBool leader, SLSchemaId id, const SLSchemaKey *key, PetscInt run, PetscInt row, PetscInt64 v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLSchemaPutInt(out, id, key, run, row, 1, &v));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLPutRealAt(SLOutput out, PetscBool leader, SLSchemaId id, const SLSchemaKey *key, PetscInt run, PetscInt row, PetscReal v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLSchemaPutReal(out, id, key, run, row, 1, &v));
  PetscFunctionReturn(0);
}

/* The fields of the state at init (0) and at the end (1). */
typedef struct {
  SLSchemaId theta, beta, mu, s;
  SLSchemaId R_total, R_in, frac_in, max_kink, n_in, n_dead, n_flat, n_dirac;
} SLStateFields;

static const SLStateFields SLStateFieldsAt[2] = {
  {SL_F_NETWORK_THETA_INIT,  SL_F_NETWORK_BETA_INIT,  SL_F_NETWORK_MU_INIT,  SL_F_NETWORK_S_INIT,  SL_F_RUNS_INIT_R_TOTAL,  SL_F_RUNS_INIT_R_IN,  SL_F_RUNS_INIT_FRAC_IN,  SL_F_RUNS_INIT_MAX_KINK,  SL_F_RUNS_INIT_N_IN,  SL_F_RUNS_INIT_N_DEAD,  SL_F_RUNS_INIT_N_FLAT,  SL_F_RUNS_INIT_N_DIRAC },
  {SL_F_NETWORK_THETA_FINAL, SL_F_NETWORK_BETA_FINAL, SL_F_NETWORK_MU_FINAL, SL_F_NETWORK_S_FINAL, SL_F_RUNS_FINAL_R_TOTAL, SL_F_RUNS_FINAL_R_IN, SL_F_RUNS_FINAL_FRAC_IN, SL_F_RUNS_FINAL_MAX_KINK, SL_F_RUNS_FINAL_N_IN, SL_F_RUNS_FINAL_N_DEAD, SL_F_RUNS_FINAL_N_FLAT, SL_F_RUNS_FINAL_N_DIRAC}
};

/* Parameters, spline view and flatness measures of the current network at a stage. */
static PetscErrorCode SLRecordState(SLOutput out, PetscInt id, PetscBool leader, SLNetwork net, SLSpline sp, SLData data, PetscInt stage)
{
  const SLStateFields *F = &SLStateFieldsAt[stage];
  PetscInt             P, Plocal, ndead, ndirac;
  PetscInt64          *sv;
  SLRoughness          rough;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCall(SLSchemaPutReal(out, F->theta, NULL, id, 3 * net->hstart, Plocal, net->theta));
  PetscCall(SLSchemaPutReal(out, F->beta, NULL, id, sp->hstart, sp->hlocal, sp->beta));
  PetscCall(SLSchemaPutReal(out, F->mu, NULL, id, sp->hstart, sp->hlocal, sp->mu));
  PetscCall(PetscMalloc1(sp->hlocal, &sv));
  for (PetscInt i = 0; i < sp->hlocal; i++) sv[i] = sp->s[i];
  PetscCall(SLSchemaPutInt(out, F->s, NULL, id, sp->hstart, sp->hlocal, sv));

  PetscCall(SLSplineRoughness(sp, data->x[0], data->x[data->N - 1], &rough));
  PetscCall(SLNetworkDeadCount(net, data, &ndead));
  PetscCall(SLNetworkBreakpointsOnData(net, data, 1e-12, &ndirac));
  PetscCall(PetscFree(sv));
  PetscCall(SLPutRealCol(out, leader, F->R_total, id, rough.R_total));
  PetscCall(SLPutRealCol(out, leader, F->R_in, id, rough.R_in));
  PetscCall(SLPutRealCol(out, leader, F->frac_in, id, rough.frac_in));
  PetscCall(SLPutRealCol(out, leader, F->max_kink, id, rough.max_kink));
  PetscCall(SLPutIntCol(out, leader, F->n_in, id, rough.n_in));
  PetscCall(SLPutIntCol(out, leader, F->n_dead, id, ndead));
  PetscCall(SLPutIntCol(out, leader, F->n_flat, id, sp->nflat));
  PetscCall(SLPutIntCol(out, leader, F->n_dirac, id, ndirac));
  PetscFunctionReturn(0);
}

/* Every selected spectrum at a stage; *ok becomes false if a check fails. row: 0 at init and final, k at snapshot
 * k (each stored piece then starts at row k of the run's slice: k scalars, k x the per-spectrum length).
 * Eigenvectors (-sl_eig_vectors) are stored at init and final only. */
/* runs/reason holds the registry's string width less one: a longer failure message is cut, ending in "...", so
 * that a long library message marks the run failed instead of failing the write. */
static PetscErrorCode SLPutReason(SLOutput out, PetscInt id, const char msg[])
{
  const size_t width = (size_t)SLSchemaFields[SL_F_RUNS_REASON].strlen;
  char         buf[256];
  size_t       len;

  PetscFunctionBeginUser;
  PetscCheck(width >= 4 && width <= sizeof(buf), PETSC_COMM_SELF, PETSC_ERR_PLIB, "runs/reason width %zu out of range", width);
  PetscCall(PetscStrncpy(buf, msg, width));
  PetscCall(PetscStrlen(msg, &len));
  if (len >= width) PetscCall(PetscStrcpy(buf + width - 4, "..."));
  PetscCall(SLSchemaPutString(out, SL_F_RUNS_REASON, NULL, id, buf));
  PetscFunctionReturn(0);
}

/* One computed spectrum into the file under key (rows of snapshots at row). */
static PetscErrorCode SLPutSpectrum(SLOutput out, PetscInt id, PetscBool leader, const SLSchemaKey *key, PetscInt row, PetscInt N, const SLSpectrum *spec, PetscInt nconv)
{
  PetscFunctionBeginUser;
  if (leader) {
    PetscInt64 *hc;
    PetscCall(SLSchemaPutReal(out, SL_F_SPEC_VALUES, key, id, row * spec->nvals, spec->nvals, spec->values));
    PetscCall(SLSchemaPutReal(out, SL_F_SPEC_RESIDUALS, key, id, row * spec->nvals, spec->nvals, spec->residuals));
    if (spec->nbins) {
      PetscCall(SLSchemaPutReal(out, SL_F_SPEC_HIST_EDGES, key, id, row * (spec->nbins + 1), spec->nbins + 1, spec->hist_edges));
      PetscCall(PetscMalloc1(spec->nbins, &hc));
      for (PetscInt k = 0; k < spec->nbins; k++) hc[k] = spec->hist_counts[k];
      PetscCall(SLSchemaPutInt(out, SL_F_SPEC_HIST_COUNTS, key, id, row * spec->nbins, spec->nbins, hc));
      PetscCall(PetscFree(hc));
    }
    if (spec->ngram) PetscCall(SLSchemaPutReal(out, SL_F_SPEC_GRAM_VALUES, key, id, row * N, spec->ngram, spec->gram_values));
    if (spec->nvec) PetscCall(SLSchemaPutReal(out, SL_F_SPEC_VECTOR_VALUES, key, id, 0, spec->nvec, spec->vector_values));
    if (row == 0) {
      PetscCall(SLSchemaPutString(out, SL_F_SPEC_METHOD, key, id, SLEigMethods[spec->method]));
      PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_SIZE, key, id, 0, spec->P));
    }
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_N_NEG, key, id, row, spec->n_neg));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_N_ZERO, key, id, row, spec->n_zero));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_N_POS, key, id, row, spec->n_pos));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_N_BOUND, key, id, row, spec->n_bound));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_CHECK_NEG, key, id, row, spec->check_neg));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_CHECK_ZERO, key, id, row, spec->check_zero));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_NCONV, key, id, row, nconv));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_NREDUCED, key, id, row, spec->nreduced));
    PetscCall(SLPutIntAt(out, leader, SL_F_SPEC_CHECK_COUNTS, key, id, row, spec->check_counts));
    PetscCall(SLPutRealAt(out, leader, SL_F_SPEC_LAMBDA_MIN, key, id, row, spec->lambda_min));
    PetscCall(SLPutRealAt(out, leader, SL_F_SPEC_LAMBDA_MAX, key, id, row, spec->lambda_max));
    PetscCall(SLPutRealAt(out, leader, SL_F_SPEC_ZERO_TOL, key, id, row, spec->zero_tol));
  }
  /* every rank writes its slice of the eigenvectors */
  for (PetscInt j = 0; j < spec->nvec; j++) PetscCall(SLSchemaPutReal(out, SL_F_SPEC_VECTORS, key, id, j * spec->P + spec->vstart, spec->vlocal, spec->vectors + j * spec->vlocal));
  PetscFunctionReturn(0);
}

/* The spectra of one state for every selected coordinate system and part. also: the state is also the final one (an
 * untrained run), so the same spectra are written under the final stage too instead of being computed again. */
static PetscErrorCode SLRecordSpectra(SLStudy s, SLOutput out, PetscInt id, PetscBool leader, SLSpectrumSolver eig, SLNetwork net, SLSpline sp, SLData data, SLStage stage, PetscInt row, PetscBool interpolating, PetscBool also, PetscBool *ok, char failure[], size_t flen)
{
  PetscBool vectors;

  PetscFunctionBeginUser;
  PetscCall(SLSpectrumSolverGetVectors(eig, &vectors));
  if (stage == SL_STAGE_SNAPSHOTS) vectors = PETSC_FALSE;
  for (PetscInt c = 0; c < SL_NCOORDS; c++)
    for (PetscInt p = 0; p < SL_NPARTS; p++) {
      SLModel           model    = {(SLCoordinates)c, net, sp};
      const SLSchemaKey key      = {NULL, stage, (SLCoordinates)c, (SLHessianPart)p};
      const SLSchemaKey also_key = {NULL, SL_STAGE_FINAL, (SLCoordinates)c, (SLHessianPart)p};
      SLSpectrum        spec;
      PetscInt          nconv = 0;
      if (!((s->stages[stage] || (also && s->stages[SL_STAGE_FINAL])) && s->coords[c] && s->parts[p])) continue;
      PetscErrorCode ierr;
      PetscCall(PetscMemzero(&spec, sizeof(spec)));
      /* A numerical failure (e.g. LAPACK on a degenerate end state) fails this run, not the study. */
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = SLSpectrumSolverCompute(eig, model, data, s->loss, (SLHessianPart)p, interpolating, vectors, &spec);
      PetscCall(PetscPopErrorHandler());
      if (ierr) {
        const char *text = NULL;
        PetscCall(PetscErrorMessage(ierr, &text, NULL));
        if (stage == SL_STAGE_SNAPSHOTS) PetscCall(PetscSNPrintf(failure, flen, "spectrum %s/%s/%s at snapshot %" PetscInt_FMT " failed: %s", SLStageNames[stage], SLCoordinateNames[c], SLHessianParts[p], row, text ? text : "error"));
        else PetscCall(PetscSNPrintf(failure, flen, "spectrum %s/%s/%s failed: %s", SLStageNames[stage], SLCoordinateNames[c], SLHessianParts[p], text ? text : "error"));
        *ok = PETSC_FALSE;
        continue;
      }
      for (PetscInt k = 0; k < spec.nvals; k++) nconv += !PetscIsNanReal(spec.values[k]);
      for (PetscInt k = 0; k < 2; k++) {
        const SLSchemaKey *kk = k ? &also_key : &key;
        if (k ? !(also && s->stages[SL_STAGE_FINAL]) : !s->stages[stage]) continue;
        PetscCall(SLPutSpectrum(out, id, leader, kk, row, data->N, &spec, nconv));
      }
      if (spec.check_neg != 1 || spec.check_zero == 0 || spec.check_counts == 0) *ok = PETSC_FALSE;
      PetscCall(SLSpectrumReset(&spec));
    }
  PetscFunctionReturn(0);
}

/* Spectra at every snapshot reached with a finite loss (rows of snapshots not reached keep their fill values). The
 * network is a scratch copy set to each snapshot's parameters; a snapshot is an interpolating point when its loss
 * is <= -sl_train_loss_tol. */
static PetscErrorCode SLRecordSnapshotSpectra(SLStudy s, SLOutput out, PetscInt id, PetscBool leader, SLSpectrumSolver eig, SLTrainer tr, SLNetwork net, SLData data, const SLTrainResult *res, PetscBool *ok, char failure[], size_t flen)
{
  SLNetwork scratch;
  SLSpline  ssp;
  PetscInt  P, Plocal;
  PetscReal loss_tol;

  PetscFunctionBeginUser;
  PetscCall(SLTrainerGetLossTol(tr, &loss_tol));
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCall(SLNetworkDuplicate(net, &scratch));
  PetscCall(SLSplineCreateFromNetwork(scratch, &ssp));
  for (PetscInt k = 0; k < res->nsnap; k++) {
    if (!PetscIsNormalReal(res->snap_loss[k]) && res->snap_loss[k] != 0) continue; /* NaN/Inf: nothing to analyse */
    PetscCall(SLNetworkSetParameters(scratch, res->snap_theta + k * Plocal));
    PetscCall(SLSplineUpdateFromNetwork(ssp, scratch));
    PetscCall(SLRecordSpectra(s, out, id, leader, eig, scratch, ssp, data, SL_STAGE_SNAPSHOTS, k, (PetscBool)(res->snap_loss[k] <= loss_tol), PETSC_FALSE, ok, failure, flen));
  }
  PetscCall(SLSplineDestroy(&ssp));
  PetscCall(SLNetworkDestroy(&scratch));
  PetscFunctionReturn(0);
}

/* An initialization-only run: no steps, loss at t = 0, empty curve and snapshots. (Only the loss: the gradient,
 * another O(H N) pass, would not be stored; SLNetworkLossGradient takes its loss from the same residuals.) */
static PetscErrorCode SLRunUntrained(SLNetwork net, SLData data, SLLossType type, SLTrainResult *res)
{
  PetscReal *r;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(data->N, &r));
  PetscCall(SLNetworkResidual(net, data, r));
  PetscCall(SLLossFromResidual(type, data->N, r, &res->init_loss));
  PetscCall(PetscFree(r));
  res->reason         = SL_STOP_NONE;
  res->final_loss     = res->init_loss;
  res->init_grad_norm = res->final_grad_norm = (PetscReal)NAN; /* not trained: no gradient norms recorded */
  PetscFunctionReturn(0);
}

/* Loss curve, snapshots (with their spline view) and the training columns. */
static PetscErrorCode SLRecordTraining(SLStudy s, SLOutput out, PetscInt id, PetscBool leader, SLNetwork net, SLSpline sp, const SLTrainResult *res)
{
  PetscInt P, Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  if (leader && res->M) {
    PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_CURVE_TIME, NULL, id, 0, res->M, res->curve_time));
    PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_CURVE_LOSS, NULL, id, 0, res->M, res->curve_loss));
    PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_SNAP_TIME, NULL, id, 0, res->K, res->snap_time));
    PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_SNAP_LOSS, NULL, id, 0, res->K, res->snap_loss));
  }
  if (leader) {
    PetscCall(SLSchemaPutString(out, SL_F_RUNS_STOP_REASON, NULL, id, SLStopReasons[res->reason]));
    PetscCall(SLPutReason(out, id, res->failed ? res->message : ""));
  }
  PetscCall(SLPutIntCol(out, leader, SL_F_RUNS_STEPS, id, res->steps));
  PetscCall(SLPutRealCol(out, leader, SL_F_RUNS_FINAL_TIME, id, res->final_time));
  PetscCall(SLPutRealCol(out, leader, SL_F_RUNS_INIT_LOSS, id, res->init_loss));
  PetscCall(SLPutRealCol(out, leader, SL_F_RUNS_FINAL_LOSS, id, res->final_loss));
  PetscCall(SLPutRealCol(out, leader, SL_F_RUNS_Q_DRIFT, id, res->q_drift));
  PetscCall(SLPutIntCol(out, leader, SL_F_RUNS_INTERPOLATING, id, res->reason == SL_STOP_LOSS_TOL));
  PetscCall(SLPutRealCol(out, leader, SL_F_RUNS_INIT_GRAD_NORM, id, res->init_grad_norm));
  PetscCall(SLPutRealCol(out, leader, SL_F_RUNS_FINAL_GRAD_NORM, id, res->final_grad_norm));
  if (P <= s->max_snapshot_params && res->K) {
    SLNetwork scratch;
    SLSpline  ssp;
    PetscCall(SLNetworkDuplicate(net, &scratch));
    PetscCall(SLSplineCreateFromNetwork(scratch, &ssp));
    for (PetscInt k = 0; k < res->K; k++) {
      const PetscReal *th = res->snap_theta + k * Plocal;
      PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_SNAP_THETA, NULL, id, k * P + 3 * net->hstart, Plocal, th));
      if (k >= res->nsnap) continue; /* not reached: NaN fill values stay */
      PetscCall(SLNetworkSetParameters(scratch, th));
      PetscCall(SLSplineUpdateFromNetwork(ssp, scratch));
      PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_SNAP_BETA, NULL, id, k * sp->H + sp->hstart, sp->hlocal, ssp->beta));
      PetscCall(SLSchemaPutReal(out, SL_F_TRAIN_SNAP_MU, NULL, id, k * sp->H + sp->hstart, sp->hlocal, ssp->mu));
    }
    PetscCall(SLSplineDestroy(&ssp));
    PetscCall(SLNetworkDestroy(&scratch));
  }
  PetscFunctionReturn(0);
}

/* CPU seconds of this process, user and system, to the nanosecond clock (PetscGetCPUTime counts user time only, in
 * 10 ms ticks, and on Debian's PETSc 3.18 divides the ticks by CLOCKS_PER_SEC: 1e-4 of the seconds) */
static PetscErrorCode SLRunCPUTime(PetscLogDouble *t)
{
  struct timespec ts;

  PetscFunctionBeginUser;
  PetscCheck(!clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), PETSC_COMM_SELF, PETSC_ERR_SYS, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
  *t = (PetscLogDouble)ts.tv_sec + 1e-9 * (PetscLogDouble)ts.tv_nsec;
  PetscFunctionReturn(0);
}

PetscErrorCode SLRunExecute(SLStudy s, PetscInt id, MPI_Comm comm, SLOutput out, volatile sig_atomic_t *flag, PetscBool *interrupted)
{
  SLRunSpec        r;
  SLInitParams     ip = s->init;
  SLData           data;
  SLNetwork        net;
  SLSpline         sp;
  SLTrainer        tr  = s->trainer; /* configured once for the study (SLStudySetFromOptions) */
  SLSpectrumSolver eig = s->eig;
  SLTrainResult    res;
  PetscMPIInt      rank, wrank, size;
  PetscBool        leader, ok = PETSC_TRUE;
  char             failure[256] = "";
  PetscLogDouble   t0           = MPI_Wtime(), c0, c1;

  PetscFunctionBeginUser;
  PetscCall(SLRunCPUTime(&c0));
  *interrupted = PETSC_FALSE;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(s->comm, &wrank));
  leader = (PetscBool)(rank == 0);
  PetscCall(SLStudyGetRun(s, id, &r));
  data      = s->data[r.i_data];
  ip.scheme = r.scheme;
  ip.alpha  = r.alpha;
  ip.seed   = r.seed;

  PetscCall(SLNetworkCreate(comm, r.width, s->output_bias, &net));
  PetscCall(SLNetworkInitialize(net, &ip));
  PetscCall(SLSplineCreateFromNetwork(net, &sp));
  PetscCall(SLTrainerSetInterruptFlag(tr, flag));
  PetscCall(PetscMemzero(&res, sizeof(res)));

  /* Initialization */
  PetscCall(SLRecordState(out, id, leader, net, sp, data, 0));
  PetscCall(SLRecordSpectra(s, out, id, leader, eig, net, sp, data, SL_STAGE_INIT, 0, PETSC_FALSE, (PetscBool)!s->train, &ok, failure, sizeof(failure)));

  /* Gradient flow (or none: the final state is the initial one) */
  if (s->train) PetscCall(SLTrainerTrain(tr, net, data, &res));
  else PetscCall(SLRunUntrained(net, data, s->loss, &res));
  if (res.reason == SL_STOP_INTERRUPTED) {
    *interrupted = PETSC_TRUE; /* status stays pending: the run is redone on resume */
  } else {
    PetscCall(SLSplineUpdateFromNetwork(sp, net));
    PetscCall(SLRecordTraining(s, out, id, leader, net, sp, &res));
    PetscCall(SLRecordState(out, id, leader, net, sp, data, 1));
    /* A failed run's end state is no critical point: its spectra would say nothing. */
    if (!res.failed && s->train) PetscCall(SLRecordSpectra(s, out, id, leader, eig, net, sp, data, SL_STAGE_FINAL, 0, (PetscBool)(res.reason == SL_STOP_LOSS_TOL), PETSC_FALSE, &ok, failure, sizeof(failure)));
    if (s->stages[SL_STAGE_SNAPSHOTS]) PetscCall(SLRecordSnapshotSpectra(s, out, id, leader, eig, tr, net, data, &res, &ok, failure, sizeof(failure)));
    if (failure[0] && leader) PetscCall(SLPutReason(out, id, failure)); /* replaces the "" written above */
    PetscCall(SLPutIntCol(out, leader, SL_F_RUNS_CHECKS_OK, id, ok));
    PetscCall(SLPutRealCol(out, leader, SL_F_RUNINFO_WALL_TIME, id, MPI_Wtime() - t0));
    PetscCall(SLRunCPUTime(&c1));
    c1 -= c0; /* the group's CPU seconds: what an allocation is charged for the run */
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &c1, 1, MPI_DOUBLE, MPI_SUM, comm));
    PetscCall(SLPutRealCol(out, leader, SL_F_RUNINFO_CPU_TIME, id, c1));
    PetscCall(SLPutIntCol(out, leader, SL_F_RUNINFO_RANK, id, wrank));
    PetscCall(SLPutIntCol(out, leader, SL_F_RUNINFO_GROUP_SIZE, id, size));
    if (leader) PetscCall(SLOutputSetStatus(out, id, res.failed || failure[0] ? SL_RUN_FAILED : SL_RUN_DONE));
  }
  PetscCall(SLTrainResultReset(&res));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscFunctionReturn(0);
}
