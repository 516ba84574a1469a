/* Evaluation of a training run's state (the bottom of src/train/): loss, gradient, residuals and finiteness at a
 * state U, through a one-entry cache holding a copy of the last state, so the RHS, the stage check, the post-step
 * and the implicit residual/Jacobian (train_implicit.c) evaluate every state once (see train_run.c).
 *
 * The evaluation is the activation-class one (classeval.h, docs/theory.md section 4): O(H log N + N) per state
 * instead of the O(H N) of the direct kernels, the classes updated incrementally from the last evaluated state
 * (between nearby states few breakpoints cross data points). Its sums run in a fixed block order, so every number
 * is bitwise independent of the rank count; it agrees with the direct kernels to rounding. */
#include <string.h>
#include "train_impl.h"

/* Loss and gradient at the state U (collective), through the one-entry cache. */
PetscErrorCode SLTrainEvaluate(SLTrainCtx *ctx, Vec U)
{
  const PetscReal *u;
  int              hit;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(U, &u));
  hit = ctx->cache_valid && (ctx->Plocal == 0 || !memcmp(u, ctx->cache_theta, (size_t)ctx->Plocal * sizeof(PetscReal)));
  if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &hit, 1, MPI_INT, MPI_MIN, ctx->comm));
  if (!hit) {
    int bad = 0;

    PetscCall(SLClassEvalUpdate(ctx->ce, u, NULL)); /* sets u into ctx->scratch, re-classifies, class sums */
    PetscCall(SLClassEvalLossGradient(ctx->ce, ctx->tr->loss, &ctx->cache_loss, ctx->g, ctx->r));
    { /* finiteness of state and gradient in one pass: a NaN or Inf makes the sum of |.| non-finite (PETSc's
       * PetscIsInfOrNanReal is a library call per entry, 14% of a wide run) */
      PetscReal s = 0.0;

      for (PetscInt p = 0; p < ctx->Plocal; p++) s += PetscAbsReal(u[p]) + PetscAbsReal(ctx->g[p]);
      bad = !(s <= PETSC_MAX_REAL);
    }
    if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, ctx->comm));
    ctx->cache_bad = (bad || PetscIsInfOrNanReal(ctx->cache_loss)) ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscArraycpy(ctx->cache_theta, u, ctx->Plocal));
    ctx->cache_valid     = PETSC_TRUE;
    ctx->cache_has_gnorm = PETSC_FALSE;
  }
  PetscCall(VecRestoreArrayRead(U, &u));
  PetscFunctionReturn(0);
}

/* The stationarity measure (docs/theory.md section 4.8): the norm of the minimal-norm generalized
 * (Clarke) gradient of l at the cached state. l is smooth except where a breakpoint sits on a data point: there the
 * (w_i, b_i) block of grad l jumps by u = scale v_i r_n (x_n, 1) and the generalized gradient is the segment
 * {g0 + a u : a in [0, 1]} (g0: the gradient with x_n inactive for neuron i). A flow that slides along such a kink
 * (Filippov sliding, held exactly by the implicit midpoint rule, chattered across by explicit methods) ends at a
 * critical point where 0 lies in that segment while ||grad l|| itself stays O(|u|). For every local neuron the data
 * point nearest its breakpoint is taken as on the kink when |w x_n + b| <= SL_TRAIN_KINK_RTOL (|w x_n| + |b|) or
 * its activation differs from the previous accepted state (ctx->prev_theta, NULL at t = 0: the state crossed it
 * in the last step); the block's norm is then min over a in [0, 1] of ||g0 + a u||. Everywhere else it is ||g||. */
#define SL_TRAIN_KINK_RTOL 1e-8

/* sum of the per-neuron squared block norms sq[i] over the local neurons [i0, i1) */
static void SLTrainBlockSquares(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const PetscReal *sq = (const PetscReal *)vctx;

  (void)k0;
  (void)m;
  for (PetscInt i = i0; i < i1; i++) acc[0] += sq[i];
}

/* index of the data point nearest to the breakpoint of (w, b), w != 0 (x sorted) */
static PetscInt SLTrainNearestPoint(PetscReal w, PetscReal b, PetscInt N, const PetscReal x[])
{
  const PetscReal beta = -b / w;
  PetscInt        lo = 0, hi = N; /* first n with x_n >= beta */

  while (lo < hi) {
    const PetscInt mid = lo + (hi - lo) / 2;

    if (x[mid] >= beta) hi = mid;
    else lo = mid + 1;
  }
  if (lo == N) return N - 1;
  if (lo == 0) return 0;
  return (beta - x[lo - 1] <= x[lo] - beta) ? lo - 1 : lo;
}

PetscErrorCode SLTrainGradNorm(SLTrainCtx *ctx, PetscReal *gnorm)
{
  SLNetwork net = ctx->scratch;
  PetscReal sq, gc = 0.0;

  PetscFunctionBeginUser;
  if (!ctx->cache_has_gnorm) {
    const PetscInt   N = ctx->data->N, hl = net->hlocal;
    const PetscReal *x = ctx->data->x, *th = ctx->cache_theta, *g = ctx->g, *r = ctx->r;
    const PetscReal  scale = SLLossScale(ctx->tr->loss, N);

    for (PetscInt i = 0; i < hl; i++) {
      const PetscReal w = th[3 * i], b = th[3 * i + 1], v = th[3 * i + 2];
      PetscReal       g0w = g[3 * i], g0b = g[3 * i + 1];
      const PetscReal gv  = g[3 * i + 2];
      PetscReal       blk = g0w * g0w + g0b * g0b + gv * gv;

      if (w != 0) {
        const PetscInt  n      = SLTrainNearestPoint(w, b, N, x);
        const PetscReal z      = w * x[n] + b;
        const PetscBool act    = z > 0 ? PETSC_TRUE : PETSC_FALSE;
        PetscBool       onkink = PetscAbsReal(z) <= SL_TRAIN_KINK_RTOL * (PetscAbsReal(w * x[n]) + PetscAbsReal(b)) ? PETSC_TRUE : PETSC_FALSE;

        if (!onkink && ctx->prev_theta) {
          const PetscReal *p = ctx->prev_theta + 3 * i;

          onkink = ((p[0] * x[n] + p[1] > 0) != act) ? PETSC_TRUE : PETSC_FALSE;
        }
        if (onkink) {
          const PetscReal uw = scale * v * r[n] * x[n], ub = scale * v * r[n], uu = uw * uw + ub * ub;

          if (act) { /* g0: x_n inactive */
            g0w -= uw;
            g0b -= ub;
          }
          if (uu > 0) {
            const PetscReal a  = PetscMin(1.0, PetscMax(0.0, -(g0w * uw + g0b * ub) / uu));
            const PetscReal ew = g0w + a * uw, eb = g0b + a * ub;

            blk = PetscMin(blk, ew * ew + eb * eb + gv * gv);
          }
        }
      }
      ctx->gsq[i] = blk;
    }
    PetscCall(SLBlockReduce(ctx->comm, net->H, net->hstart, hl, 1, SLTrainBlockSquares, ctx->gsq, &sq));
    if (net->has_c) {
      if (net->owns_c) gc = g[3 * hl];
      PetscCall(SLBcastFromLast(ctx->comm, &gc));
    }
    ctx->cache_gnorm     = PetscSqrtReal(sq + gc * gc);
    ctx->cache_has_gnorm = PETSC_TRUE;
  }
  *gnorm = ctx->cache_gnorm;
  PetscFunctionReturn(0);
}
