/* The step controller of the adaptive integrators (TSAdapt "slbasic") and the deterministic norms of a run's
 * state-shaped vectors (src/train/, below train_run.c).
 *
 * PETSc's TSADAPTBASIC weighs the local error estimate by the tolerances and takes its RMS over the entries with
 * an MPI sum of the ranks' partial sums (TSErrorWeightedNorm2), whose rounding depends on how the state is split
 * over the ranks, and with it every accept/reject decision and step size. "slbasic" is basic's controller
 * unchanged (safety, reject_safety, clip, dt_min/dt_max, always_accept, max_ignore, the step-increase delay after a
 * failed solve, -ts_adapt_wnormtype: every -ts_adapt_* option basic honours), except that the 2-norm sums are the
 * fixed-order block reduction over neurons (SLBlockReduce: per SL_NEURON_BLOCK neurons in neuron order, blocks in
 * block order), with the output bias c added last: bitwise independent of the rank count. Up to SL_NEURON_BLOCK
 * neurons the order is basic's own (entries in state order from 0, c last), so the norm is bitwise basic's.
 * The infinity norm (a max) is exact already and is PETSc's.
 *
 * The implicit midpoint rule (TSTHETA) estimates its error not by an embedded solution but by a backward
 * difference through the states at the start of the step and of the step before (TSEvaluateWLTE); "slbasic" keeps
 * copies of those two states (SLTrainAdaptPreStep, the TS pre-step of the trainer, taken where TSTHETA takes its
 * own) and forms the same estimate with the same vector operations, then norms it deterministically. Any other
 * method with its own estimate keeps PETSc's norm, as basic does. */
#include <petsc/private/tsimpl.h>
#include <petscdm.h>
#include "train_impl.h"

/* What the per-entry sums are taken of: the weighted error of y against u (6 sums: error, absolute part,
 * relative part, and how many entries each counts, as in TSErrorWeightedNorm2). Plain 2-norms: SLTrainVecNorms. */
typedef struct {
  const PetscReal *u, *y;
  const PetscReal *vatol, *vrtol; /* per-entry tolerances, or NULL for the scalar ones            */
  PetscReal        atol, rtol;
  PetscReal        ignore; /* an entry with |u_p| or |y_p| below it is left out (-ts_adapt_max_ignore) */
} SLTrainNormSum;

#define SL_TRAIN_WNORM_SUMS 6

/* add entry p's terms to acc[] (SL_TRAIN_WNORM_SUMS sums) */
static inline void SLTrainNormEntry(const SLTrainNormSum *s, PetscInt p, PetscReal acc[])
{
  PetscReal diff, tola, tolr, tol;

  if (PetscAbsReal(s->y[p]) < s->ignore || PetscAbsReal(s->u[p]) < s->ignore) return;
  diff = PetscAbsReal(s->y[p] - s->u[p]);
  tola = s->vatol ? s->vatol[p] : s->atol;
  tolr = (s->vrtol ? s->vrtol[p] : s->rtol) * PetscMax(PetscAbsReal(s->u[p]), PetscAbsReal(s->y[p]));
  tol  = tola + tolr;
  if (tola > 0) {
    acc[1] += PetscSqr(diff / tola);
    acc[4] += 1;
  }
  if (tolr > 0) {
    acc[2] += PetscSqr(diff / tolr);
    acc[5] += 1;
  }
  if (tol > 0) {
    acc[0] += PetscSqr(diff / tol);
    acc[3] += 1;
  }
}

/* SLBlockKernel: the terms of the neurons [i0, i1), entries in state order, summed from 0 (acc arrives zeroed,
 * so accumulating in a local array and adding it once is bitwise the same), outputs k0..k0+m-1 */
static void SLTrainNormKernel(void *vs, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLTrainNormSum *s                        = (const SLTrainNormSum *)vs;
  PetscReal             sum[SL_TRAIN_WNORM_SUMS] = {0};

  for (PetscInt p = 3 * i0; p < 3 * i1; p++) SLTrainNormEntry(s, p, sum);
  for (PetscInt k = 0; k < m; k++) acc[k] += sum[k0 + k];
}

/* out[0..nsum) = the sums over every entry of the run's state (collective, replicated): the neurons by the block
 * reduction, then the c entry (its owner is the last rank) */
static PetscErrorCode SLTrainNormReduce(SLTrainCtx *ctx, const SLTrainNormSum *s, PetscInt nsum, PetscReal out[])
{
  SLNetwork net = ctx->scratch;

  PetscFunctionBeginUser;
  PetscCall(SLBlockReduce(ctx->comm, net->H, net->hstart, net->hlocal, nsum, SLTrainNormKernel, (void *)s, out));
  if (net->has_c) {
    PetscReal c[SL_TRAIN_WNORM_SUMS] = {0};

    if (net->owns_c) SLTrainNormEntry(s, 3 * net->hlocal, c);
    if (ctx->size > 1) PetscCallMPI(MPI_Bcast(c, (PetscMPIInt)nsum, MPIU_REAL, ctx->size - 1, ctx->comm));
    for (PetscInt k = 0; k < nsum; k++) out[k] += c[k];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainCheckVec(SLTrainCtx *ctx, Vec v)
{
  PetscInt n;

  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(v, &n));
  PetscCheck(n == ctx->Plocal, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Vector of local size %" PetscInt_FMT " is not state-shaped (%" PetscInt_FMT ")", n, ctx->Plocal);
  PetscFunctionReturn(0);
}

/* The plain 2-norms: up to 3 vectors' sums of squares in one pass, each in state order from 0 within a block, c
 * last (so up to one block the in-order sum, PETSc's order on one rank); the independent sums only overlap in time,
 * so each norm is bitwise the norm of its vector alone (SLTrainVecNorm). */
typedef struct {
  const PetscReal *v[3];
  PetscInt         nv;
} SLTrainNormsSum;

static void SLTrainNormsKernel(void *vs, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLTrainNormsSum *s      = (const SLTrainNormsSum *)vs;
  PetscReal              sum[3] = {0, 0, 0};

  if (s->nv == 3) {
    const PetscReal *a = s->v[0], *b = s->v[1], *c = s->v[2];

    for (PetscInt p = 3 * i0; p < 3 * i1; p++) {
      sum[0] += a[p] * a[p];
      sum[1] += b[p] * b[p];
      sum[2] += c[p] * c[p];
    }
  } else {
    for (PetscInt k = 0; k < s->nv; k++)
      for (PetscInt p = 3 * i0; p < 3 * i1; p++) sum[k] += s->v[k][p] * s->v[k][p];
  }
  for (PetscInt k = 0; k < m; k++) acc[k] += sum[k0 + k];
}

PetscErrorCode SLTrainVecNorms(SLTrainCtx *ctx, PetscInt nv, Vec v[], PetscReal nrm[])
{
  SLNetwork       net = ctx->scratch;
  SLTrainNormsSum s;
  PetscReal       sq[3];

  PetscFunctionBeginUser;
  PetscCheck(nv >= 1 && nv <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLTrainVecNorms: %" PetscInt_FMT " vectors (1 to 3)", nv);
  s.nv = nv;
  for (PetscInt k = 0; k < nv; k++) {
    PetscCall(SLTrainCheckVec(ctx, v[k]));
    PetscCall(VecGetArrayRead(v[k], &s.v[k]));
  }
  PetscCall(SLBlockReduce(ctx->comm, net->H, net->hstart, net->hlocal, nv, SLTrainNormsKernel, (void *)&s, sq));
  if (net->has_c) { /* the c entry last, as in SLTrainNormReduce */
    PetscReal c[3] = {0, 0, 0};

    if (net->owns_c)
      for (PetscInt k = 0; k < nv; k++) c[k] = s.v[k][3 * net->hlocal] * s.v[k][3 * net->hlocal];
    if (ctx->size > 1) PetscCallMPI(MPI_Bcast(c, (PetscMPIInt)nv, MPIU_REAL, ctx->size - 1, ctx->comm));
    for (PetscInt k = 0; k < nv; k++) sq[k] += c[k];
  }
  for (PetscInt k = 0; k < nv; k++) {
    PetscCall(VecRestoreArrayRead(v[k], &s.v[k]));
    nrm[k] = PetscSqrtReal(sq[k]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainVecNorm(SLTrainCtx *ctx, Vec v, PetscReal *nrm)
{
  PetscFunctionBeginUser;
  PetscCall(SLTrainVecNorms(ctx, 1, &v, nrm));
  PetscFunctionReturn(0);
}

/* TSErrorWeightedNorm2 of Y against U with the deterministic sums (same weights, same entries left out, same
 * error for a non-finite result) */
static PetscErrorCode SLTrainErrorWeightedNorm2(SLTrainCtx *ctx, TS ts, Vec U, Vec Y, PetscReal *norm, PetscReal *norma, PetscReal *normr)
{
  SLTrainNormSum s;
  PetscReal      sum[SL_TRAIN_WNORM_SUMS];

  PetscFunctionBeginUser;
  PetscCall(SLTrainCheckVec(ctx, U));
  PetscCall(SLTrainCheckVec(ctx, Y));
  s.vatol = s.vrtol = NULL;
  s.atol            = ts->atol;
  s.rtol            = ts->rtol;
  s.ignore          = ts->adapt->ignore_max;
  PetscCall(VecGetArrayRead(U, &s.u));
  PetscCall(VecGetArrayRead(Y, &s.y));
  if (ts->vatol) PetscCall(VecGetArrayRead(ts->vatol, &s.vatol));
  if (ts->vrtol) PetscCall(VecGetArrayRead(ts->vrtol, &s.vrtol));
  PetscCall(SLTrainNormReduce(ctx, &s, SL_TRAIN_WNORM_SUMS, sum));
  if (ts->vrtol) PetscCall(VecRestoreArrayRead(ts->vrtol, &s.vrtol));
  if (ts->vatol) PetscCall(VecRestoreArrayRead(ts->vatol, &s.vatol));
  PetscCall(VecRestoreArrayRead(Y, &s.y));
  PetscCall(VecRestoreArrayRead(U, &s.u));
  *norm  = sum[3] > 0 ? PetscSqrtReal(sum[0] / sum[3]) : 0.0;
  *norma = sum[4] > 0 ? PetscSqrtReal(sum[1] / sum[4]) : 0.0;
  *normr = sum[5] > 0 ? PetscSqrtReal(sum[2] / sum[5]) : 0.0;
  PetscCheck(!PetscIsInfOrNanReal(*norm), PetscObjectComm((PetscObject)ts), PETSC_ERR_FP, "Infinite or not-a-number generated in norm");
  PetscCheck(!PetscIsInfOrNanReal(*norma), PetscObjectComm((PetscObject)ts), PETSC_ERR_FP, "Infinite or not-a-number generated in norma");
  PetscCheck(!PetscIsInfOrNanReal(*normr), PetscObjectComm((PetscObject)ts), PETSC_ERR_FP, "Infinite or not-a-number generated in normr");
  PetscFunctionReturn(0);
}

/* The two states a TSTHETA error estimate uses: x0 at the start of the current step, xprev at the start of the
 * previous one (run-sized: freed by TSReset through the adapt's reset) */
typedef struct {
  Vec x0, xprev;
} SLTrainAdapt;

static PetscErrorCode SLTrainAdaptIsTheta(TSAdapt adapt, TS ts, PetscBool *yes)
{
  PetscBool sl;

  PetscFunctionBeginUser;
  PetscCall(PetscObjectTypeCompare((PetscObject)adapt, TSADAPTSLBASIC, &sl));
  *yes = PETSC_FALSE;
  if (sl) PetscCall(PetscObjectTypeCompare((PetscObject)ts, TSTHETA, yes));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainAdaptPreStep(TS ts)
{
  TSAdapt       adapt;
  SLTrainAdapt *a;
  PetscBool     theta;

  PetscFunctionBeginUser;
  PetscCall(TSGetAdapt(ts, &adapt));
  PetscCall(SLTrainAdaptIsTheta(adapt, ts, &theta));
  if (!theta) PetscFunctionReturn(0);
  a = (SLTrainAdapt *)adapt->data;
  if (!a->x0) {
    PetscCall(VecDuplicate(ts->vec_sol, &a->x0));
    PetscCall(VecDuplicate(ts->vec_sol, &a->xprev));
    PetscCall(VecSet(a->x0, 0.0));
  }
  /* the rotation TSTHETA does at the start of every step that is not a rollback (TSSolve calls the pre-step
   * exactly then) */
  PetscCall(VecCopy(a->x0, a->xprev));
  PetscCall(VecCopy(ts->vec_sol, a->x0));
  PetscFunctionReturn(0);
}

/* TSTHETA's estimate (order 2): Y - X = the second backward difference of X, x0 and xprev over the steps h (this
 * one) and h_prev, scaled to the local error; none on the first step of a run. */
static PetscErrorCode SLTrainAdaptThetaError(SLTrainCtx *ctx, TSAdapt adapt, TS ts, PetscInt *order, PetscReal *enorm)
{
  SLTrainAdapt   *a = (SLTrainAdapt *)adapt->data;
  const PetscReal h = ts->time_step, hprev = ts->ptime - ts->ptime_prev, r = 1 + hprev / h;
  PetscScalar     scal[3];
  Vec             vecs[3], Y;
  PetscReal       na, nr;
  DM              dm;

  PetscFunctionBeginUser;
  if (ts->steprestart) PetscFunctionReturn(0); /* *enorm stays -1 */
  PetscCheck(a->x0, PetscObjectComm((PetscObject)adapt), PETSC_ERR_ORDER, "slbasic: the TS pre-step must be SLTrainAdaptPreStep for a TSTHETA error estimate");
  scal[0] = 1 / r;
  scal[1] = -1 / (r - 1);
  scal[2] = 1 / (r * (r - 1));
  vecs[0] = ts->vec_sol;
  vecs[1] = a->x0;
  vecs[2] = a->xprev;
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(DMGetGlobalVector(dm, &Y));
  PetscCall(VecCopy(ts->vec_sol, Y));
  PetscCall(VecMAXPY(Y, 3, scal, vecs));
  PetscCall(SLTrainErrorWeightedNorm2(ctx, ts, ts->vec_sol, Y, enorm, &na, &nr));
  PetscCall(DMRestoreGlobalVector(dm, &Y));
  *order = 2;
  PetscFunctionReturn(0);
}

/* The weighted error of the step just taken: basic's estimate (the embedded solution of order - 1 against the
 * solution), normed deterministically when the TS belongs to a training run. enorm < 0: no estimate. */
static PetscErrorCode SLTrainAdaptError(TSAdapt adapt, TS ts, PetscInt *order, PetscReal *enorm)
{
  SLTrainCtx *ctx;
  PetscReal   na, nr;
  DM          dm;
  Vec         Y;

  PetscFunctionBeginUser;
  *order = PETSC_DECIDE;
  *enorm = -1;
  PetscCall(TSGetApplicationContext(ts, &ctx));
  if (ts->ops->evaluatewlte) { /* the method's own estimate */
    PetscBool theta;

    PetscCall(SLTrainAdaptIsTheta(adapt, ts, &theta));
    if (ctx && theta && adapt->wnormtype == NORM_2) PetscCall(SLTrainAdaptThetaError(ctx, adapt, ts, order, enorm));
    else PetscCall(TSEvaluateWLTE(ts, adapt->wnormtype, order, enorm));
    PetscCheck(*enorm < 0 || *order >= 1, PetscObjectComm((PetscObject)adapt), PETSC_ERR_ARG_OUTOFRANGE, "Computed error order %" PetscInt_FMT " must be positive", *order);
    PetscFunctionReturn(0);
  }
  if (!ts->ops->evaluatestep) PetscFunctionReturn(0);
  PetscCheck(adapt->candidates.n >= 1, PetscObjectComm((PetscObject)adapt), PETSC_ERR_ARG_WRONGSTATE, "No candidate has been registered");
  PetscCheck(adapt->candidates.inuse_set, PetscObjectComm((PetscObject)adapt), PETSC_ERR_ARG_WRONGSTATE, "The current in-use scheme is not among the %" PetscInt_FMT " candidates", adapt->candidates.n);
  *order = adapt->candidates.order[0];
  PetscCall(TSGetDM(ts, &dm));
  PetscCall(DMGetGlobalVector(dm, &Y));
  PetscCall(TSEvaluateStep(ts, *order - 1, Y, NULL));
  if (ctx && adapt->wnormtype == NORM_2) PetscCall(SLTrainErrorWeightedNorm2(ctx, ts, ts->vec_sol, Y, enorm, &na, &nr));
  else PetscCall(TSErrorWeightedNorm(ts, ts->vec_sol, Y, adapt->wnormtype, enorm, &na, &nr)); /* a max: exact */
  PetscCall(DMRestoreGlobalVector(dm, &Y));
  PetscFunctionReturn(0);
}

/* basic's decision and next step from the weighted error */
static PetscErrorCode SLTrainAdaptChoose(TSAdapt adapt, TS ts, PetscReal h, PetscInt *next_sc, PetscReal *next_h, PetscBool *accept, PetscReal *wlte, PetscReal *wltea, PetscReal *wlter)
{
  PetscInt  order;
  PetscReal enorm, fac, safety = adapt->safety;

  PetscFunctionBeginUser;
  *next_sc = 0;  /* one scheme */
  *wltea   = -1; /* the absolute and relative parts are not reported */
  *wlter   = -1;
  PetscCall(SLTrainAdaptError(adapt, ts, &order, &enorm));
  if (enorm < 0) { /* no estimate: accept, same step */
    *accept = PETSC_TRUE;
    *next_h = h;
    *wlte   = -1;
    PetscFunctionReturn(0);
  }
  if (enorm > 1) {
    if (!*accept) safety *= adapt->reject_safety; /* the previous attempt failed too: shorten more */
    if (h < (1 + PETSC_SQRT_MACHINE_EPSILON) * adapt->dt_min) {
      PetscCall(PetscInfo(adapt, "Estimated scaled local truncation error %g, accepting because step size %g is at minimum\n", (double)enorm, (double)h));
      *accept = PETSC_TRUE;
    } else if (adapt->always_accept) {
      PetscCall(PetscInfo(adapt, "Estimated scaled local truncation error %g, accepting step of size %g because always_accept is set\n", (double)enorm, (double)h));
      *accept = PETSC_TRUE;
    } else {
      PetscCall(PetscInfo(adapt, "Estimated scaled local truncation error %g, rejecting step of size %g\n", (double)enorm, (double)h));
      *accept = PETSC_FALSE;
    }
  } else {
    PetscCall(PetscInfo(adapt, "Estimated scaled local truncation error %g, accepting step of size %g\n", (double)enorm, (double)h));
    *accept = PETSC_TRUE;
  }
  /* the step that would have met the tolerance, safety-scaled, within the clip factors and step limits */
  fac = enorm > 0 ? safety * PetscPowReal(enorm, ((PetscReal)-1) / order) : safety * PETSC_INFINITY;
  if (adapt->timestepjustdecreased) { /* no increase for a while after a failed solve */
    fac = PetscMin(fac, 1.0);
    adapt->timestepjustdecreased--;
  }
  *next_h = PetscClipInterval(h * PetscClipInterval(fac, adapt->clip[0], adapt->clip[1]), adapt->dt_min, adapt->dt_max);
  *wlte   = enorm;
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainAdaptReset(TSAdapt adapt)
{
  SLTrainAdapt *a = (SLTrainAdapt *)adapt->data;

  PetscFunctionBeginUser;
  PetscCall(VecDestroy(&a->x0));
  PetscCall(VecDestroy(&a->xprev));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainAdaptDestroy(TSAdapt adapt)
{
  PetscFunctionBeginUser;
  PetscCall(SLTrainAdaptReset(adapt));
  PetscCall(PetscFree(adapt->data));
  PetscFunctionReturn(0);
}

static PetscErrorCode TSAdaptCreate_SLTrain(TSAdapt adapt)
{
  SLTrainAdapt *a;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&a));
  adapt->data         = (void *)a;
  adapt->ops->choose  = SLTrainAdaptChoose;
  adapt->ops->reset   = SLTrainAdaptReset;
  adapt->ops->destroy = SLTrainAdaptDestroy;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainAdaptRegister(void)
{
  PetscFunctionBeginUser;
  PetscCall(TSAdaptRegister(TSADAPTSLBASIC, TSAdaptCreate_SLTrain));
  PetscFunctionReturn(0);
}
