/* One run of a study: initialize, record the spline view, spectra at init, train by gradient flow, record the
 * end state and its spectra. Every rank of the run's communicator calls it; each buffers the pieces it owns
 * (its neuron range of ragged arrays; rank 0 of the run the columns and replicated arrays). */
#include "study_impl.h"

static PetscErrorCode SLPutIntCol(SLOutput out, PetscBool leader, const char path[], PetscInt run, PetscInt64 v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLOutputPutInt(out, path, run, 0, 1, &v));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLPutRealCol(SLOutput out, PetscBool leader, const char path[], PetscInt run, PetscReal v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLOutputPutReal(out, path, run, 0, 1, &v));
  PetscFunctionReturn(0);
}

/* A per-spectrum scalar: run-table column (row 0) or entry k of a per-snapshot ragged array. */
static PetscErrorCode SLPutIntAt(SLOutput out, PetscBool leader, const char path[], PetscInt run, PetscInt row, PetscInt64 v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLOutputPutInt(out, path, run, row, 1, &v));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLPutRealAt(SLOutput out, PetscBool leader, const char path[], PetscInt run, PetscInt row, PetscReal v)
{
  PetscFunctionBeginUser;
  if (leader) PetscCall(SLOutputPutReal(out, path, run, row, 1, &v));
  PetscFunctionReturn(0);
}

/* Parameters, spline view and flatness measures of the current network at a stage. */
static PetscErrorCode SLRecordState(SLOutput out, PetscInt id, PetscBool leader, SLNetwork net, SLSpline sp, SLData data, PetscInt stage)
{
  const char *st = SLStageNames[stage];
  char        path[256];
  PetscInt    P, Plocal, ndead = 0, ndirac, *count;
  PetscInt64 *sv;
  SLRoughness rough;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCall(PetscSNPrintf(path, sizeof(path), "network/theta_%s", st));
  PetscCall(SLOutputPutReal(out, path, id, 3 * net->hstart, Plocal, net->theta));
  PetscCall(PetscSNPrintf(path, sizeof(path), "network/beta_%s", st));
  PetscCall(SLOutputPutReal(out, path, id, sp->hstart, sp->hlocal, sp->beta));
  PetscCall(PetscSNPrintf(path, sizeof(path), "network/mu_%s", st));
  PetscCall(SLOutputPutReal(out, path, id, sp->hstart, sp->hlocal, sp->mu));
  PetscCall(PetscMalloc2(sp->hlocal, &sv, net->hlocal, &count));
  for (PetscInt i = 0; i < sp->hlocal; i++) sv[i] = sp->s[i];
  PetscCall(PetscSNPrintf(path, sizeof(path), "network/s_%s", st));
  PetscCall(SLOutputPutInt(out, path, id, sp->hstart, sp->hlocal, sv));

  PetscCall(SLSplineRoughness(sp, data->x[0], data->x[data->N - 1], &rough));
  PetscCall(SLNetworkActiveCounts(net, data, count));
  for (PetscInt i = 0; i < net->hlocal; i++) ndead += (count[i] == 0);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ndead, 1, MPIU_INT, MPI_SUM, net->comm));
  PetscCall(SLNetworkBreakpointsOnData(net, data, 1e-12, &ndirac));
  PetscCall(PetscFree2(sv, count));
#define SL_COL(kind, name, val) \
  do { \
    PetscCall(PetscSNPrintf(path, sizeof(path), "runs/%s_" name, st)); \
    PetscCall(kind(out, leader, path, id, val)); \
  } while (0)
  SL_COL(SLPutRealCol, "R_total", rough.R_total);
  SL_COL(SLPutRealCol, "R_in", rough.R_in);
  SL_COL(SLPutRealCol, "frac_in", rough.frac_in);
  SL_COL(SLPutRealCol, "max_kink", rough.max_kink);
  SL_COL(SLPutIntCol, "n_in", rough.n_in);
  SL_COL(SLPutIntCol, "n_dead", ndead);
  SL_COL(SLPutIntCol, "n_flat", sp->nflat);
  SL_COL(SLPutIntCol, "n_dirac", ndirac);
#undef SL_COL
  PetscFunctionReturn(0);
}

/* Every selected spectrum at a stage; *ok becomes false if a check fails. row: 0 at init and final, k at snapshot
 * k (each stored piece then starts at row k of the run's slice: k scalars, k x the per-spectrum length).
 * Eigenvectors (-sl_eig_vectors) are stored at init and final only. */
static PetscErrorCode SLRecordSpectra(SLStudy s, SLOutput out, PetscInt id, PetscBool leader, SLSpectrumSolver eig, SLNetwork net, SLSpline sp, SLData data, SLStage stage, PetscInt row, PetscBool interpolating, PetscBool *ok, char failure[], size_t flen)
{
  char      path[256];
  PetscBool vectors;

  PetscFunctionBeginUser;
  PetscCall(SLSpectrumSolverGetVectors(eig, &vectors));
  if (stage == SL_STAGE_SNAPSHOTS) vectors = PETSC_FALSE;
  for (PetscInt c = 0; c < 2; c++)
    for (PetscInt p = 0; p < 3; p++) {
      SLModel    model = {(SLCoordinates)c, net, sp};
      SLSpectrum spec;
      PetscInt   nconv = 0;
      if (!(s->stages[stage] && s->coords[c] && s->parts[p])) continue;
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
      if (leader) {
        PetscInt64 *hc;
        PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "values"));
        PetscCall(SLOutputPutReal(out, path, id, row * spec.nvals, spec.nvals, spec.values));
        PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "residuals"));
        PetscCall(SLOutputPutReal(out, path, id, row * spec.nvals, spec.nvals, spec.residuals));
        if (spec.nbins) {
          PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "hist_edges"));
          PetscCall(SLOutputPutReal(out, path, id, row * (spec.nbins + 1), spec.nbins + 1, spec.hist_edges));
          PetscCall(PetscMalloc1(spec.nbins, &hc));
          for (PetscInt k = 0; k < spec.nbins; k++) hc[k] = spec.hist_counts[k];
          PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "hist_counts"));
          PetscCall(SLOutputPutInt(out, path, id, row * spec.nbins, spec.nbins, hc));
          PetscCall(PetscFree(hc));
        }
        if (spec.ngram) {
          PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "gram_values"));
          PetscCall(SLOutputPutReal(out, path, id, row * data->N, spec.ngram, spec.gram_values));
        }
        if (spec.nvec) {
          PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "vector_values"));
          PetscCall(SLOutputPutReal(out, path, id, 0, spec.nvec, spec.vector_values));
        }
        if (row == 0) {
          PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "method"));
          PetscCall(SLOutputPutString(out, path, id, SLEigMethods[spec.method]));
          PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "size"));
          PetscCall(SLPutIntCol(out, leader, path, id, spec.P));
        }
#define SL_SPEC(kind, leaf, val) \
  do { \
    PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, leaf)); \
    PetscCall(kind(out, leader, path, id, row, val)); \
  } while (0)
        SL_SPEC(SLPutIntAt, "n_neg", spec.n_neg);
        SL_SPEC(SLPutIntAt, "n_zero", spec.n_zero);
        SL_SPEC(SLPutIntAt, "n_pos", spec.n_pos);
        SL_SPEC(SLPutIntAt, "n_bound", spec.n_bound);
        SL_SPEC(SLPutIntAt, "check_neg", spec.check_neg);
        SL_SPEC(SLPutIntAt, "check_zero", spec.check_zero);
        SL_SPEC(SLPutIntAt, "nconv", nconv);
        SL_SPEC(SLPutIntAt, "nreduced", spec.nreduced);
        SL_SPEC(SLPutIntAt, "check_counts", spec.check_counts);
        SL_SPEC(SLPutRealAt, "lambda_min", spec.lambda_min);
        SL_SPEC(SLPutRealAt, "lambda_max", spec.lambda_max);
        SL_SPEC(SLPutRealAt, "zero_tol", spec.zero_tol);
#undef SL_SPEC
      }
      /* every rank writes its slice of the eigenvectors */
      if (spec.nvec) {
        PetscCall(SLSpectrumPath(path, sizeof(path), stage, (SLCoordinates)c, (SLHessianPart)p, "vectors"));
        for (PetscInt j = 0; j < spec.nvec; j++) PetscCall(SLOutputPutReal(out, path, id, j * spec.P + spec.vstart, spec.vlocal, spec.vectors + j * spec.vlocal));
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
    PetscCall(SLRecordSpectra(s, out, id, leader, eig, scratch, ssp, data, SL_STAGE_SNAPSHOTS, k, (PetscBool)(res->snap_loss[k] <= loss_tol), ok, failure, flen));
  }
  PetscCall(SLSplineDestroy(&ssp));
  PetscCall(SLNetworkDestroy(&scratch));
  PetscFunctionReturn(0);
}

/* An initialization-only run: no steps, loss at t = 0, empty curve and snapshots. */
static PetscErrorCode SLRunUntrained(SLNetwork net, SLData data, SLLossType type, SLTrainResult *res)
{
  PetscInt   P, Plocal;
  PetscReal *g;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCall(PetscMalloc1(Plocal + 1, &g));
  PetscCall(SLNetworkLossGradient(net, data, type, &res->init_loss, g, NULL));
  PetscCall(PetscFree(g));
  res->reason     = SL_STOP_NONE;
  res->final_loss = res->init_loss;
  PetscFunctionReturn(0);
}

/* Loss curve, snapshots (with their spline view) and the training columns. */
static PetscErrorCode SLRecordTraining(SLStudy s, SLOutput out, PetscInt id, PetscBool leader, SLNetwork net, SLSpline sp, const SLTrainResult *res)
{
  PetscInt P, Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  if (leader && res->M) {
    PetscCall(SLOutputPutReal(out, "train/curve_time", id, 0, res->M, res->curve_time));
    PetscCall(SLOutputPutReal(out, "train/curve_loss", id, 0, res->M, res->curve_loss));
    PetscCall(SLOutputPutReal(out, "train/snap_time", id, 0, res->K, res->snap_time));
    PetscCall(SLOutputPutReal(out, "train/snap_loss", id, 0, res->K, res->snap_loss));
  }
  if (leader) {
    PetscCall(SLOutputPutString(out, "runs/stop_reason", id, SLStopReasons[res->reason]));
    PetscCall(SLOutputPutString(out, "runs/reason", id, res->failed ? res->message : ""));
  }
  PetscCall(SLPutIntCol(out, leader, "runs/steps", id, res->steps));
  PetscCall(SLPutRealCol(out, leader, "runs/final_time", id, res->final_time));
  PetscCall(SLPutRealCol(out, leader, "runs/init_loss", id, res->init_loss));
  PetscCall(SLPutRealCol(out, leader, "runs/final_loss", id, res->final_loss));
  PetscCall(SLPutRealCol(out, leader, "runs/q_drift", id, res->q_drift));
  PetscCall(SLPutIntCol(out, leader, "runs/interpolating", id, res->reason == SL_STOP_LOSS_TOL));
  if (P <= s->max_snapshot_params && res->K) {
    SLNetwork scratch;
    SLSpline  ssp;
    PetscCall(SLNetworkDuplicate(net, &scratch));
    PetscCall(SLSplineCreateFromNetwork(scratch, &ssp));
    for (PetscInt k = 0; k < res->K; k++) {
      const PetscReal *th = res->snap_theta + k * Plocal;
      PetscCall(SLOutputPutReal(out, "train/snap_theta", id, k * P + 3 * net->hstart, Plocal, th));
      if (k >= res->nsnap) continue; /* not reached: NaN fill values stay */
      PetscCall(SLNetworkSetParameters(scratch, th));
      PetscCall(SLSplineUpdateFromNetwork(ssp, scratch));
      PetscCall(SLOutputPutReal(out, "train/snap_beta", id, k * sp->H + sp->hstart, sp->hlocal, ssp->beta));
      PetscCall(SLOutputPutReal(out, "train/snap_mu", id, k * sp->H + sp->hstart, sp->hlocal, ssp->mu));
    }
    PetscCall(SLSplineDestroy(&ssp));
    PetscCall(SLNetworkDestroy(&scratch));
  }
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
  PetscLogDouble   t0 = MPI_Wtime();

  PetscFunctionBeginUser;
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
  PetscCall(SLRecordSpectra(s, out, id, leader, eig, net, sp, data, SL_STAGE_INIT, 0, PETSC_FALSE, &ok, failure, sizeof(failure)));

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
    if (!res.failed) PetscCall(SLRecordSpectra(s, out, id, leader, eig, net, sp, data, SL_STAGE_FINAL, 0, (PetscBool)(res.reason == SL_STOP_LOSS_TOL), &ok, failure, sizeof(failure)));
    if (s->stages[SL_STAGE_SNAPSHOTS]) PetscCall(SLRecordSnapshotSpectra(s, out, id, leader, eig, tr, net, data, &res, &ok, failure, sizeof(failure)));
    if (failure[0] && leader) PetscCall(SLOutputPutString(out, "runs/reason", id, failure)); /* replaces the "" written above */
    PetscCall(SLPutIntCol(out, leader, "runs/checks_ok", id, ok));
    PetscCall(SLPutRealCol(out, leader, "runinfo/wall_time", id, MPI_Wtime() - t0));
    PetscCall(SLPutIntCol(out, leader, "runinfo/rank", id, wrank));
    PetscCall(SLPutIntCol(out, leader, "runinfo/group_size", id, size));
    if (leader) PetscCall(SLOutputSetStatus(out, id, res.failed || failure[0] ? SL_RUN_FAILED : SL_RUN_DONE));
  }
  PetscCall(SLTrainResultReset(&res));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscFunctionReturn(0);
}
