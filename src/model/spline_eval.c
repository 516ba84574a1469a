/* BDSO-coordinate numerics (docs/theory.md section 4), orientations fixed:
 *   dF/dbeta_i = -s_i mu_i 1_ni,  dF/dmu_i = (s_i (x_n - beta_i))_+,  1_ni = [s_i (x_n - beta_i) > 0];
 *   flat neurons (s_i = 0): dF/dbeta_i = 0, dF/dmu_i = 1.
 * Hess = scale (J_s^T J_s + R_s), R_s one 2x2 block per neuron with off-diagonal -s_i sum_{A_i} r_n.
 * Residuals come from the spline's own evaluation; N-vectors use the deterministic block reduction. */
#include "model_impl.h"

static PetscErrorCode SLSplineDataCheck(SLSpline sp, SLData data)
{
  PetscFunctionBeginUser;
  PetscCheck(data && data->N >= 1 && data->x && data->y, sp->comm, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  PetscFunctionReturn(0);
}

static PetscErrorCode SLSplineResidual(SLSpline sp, SLData data, PetscReal r[])
{
  PetscFunctionBeginUser;
  PetscCall(SLSplineEvaluate(sp, data->N, data->x, r));
  for (PetscInt n = 0; n < data->N; n++) r[n] -= data->y[n];
  PetscFunctionReturn(0);
}

/* Per-neuron sums over the active set: sr = sum_{A_i} u_n, sz = sum_{A_i} u_n (s_i (x_n - beta_i)); for a flat
 * neuron every point counts and sz is unused. */
static inline void SLSplineNeuronSums(SLSpline sp, PetscInt i, PetscInt N, const PetscReal x[], const PetscReal u[], PetscReal *sr, PetscReal *sz)
{
  const PetscReal beta = sp->beta[i];
  const PetscInt  s    = sp->s[i];
  PetscReal       a = 0.0, b = 0.0;

  if (s == 0) {
    for (PetscInt n = 0; n < N; n++) a += u[n];
  } else {
    for (PetscInt n = 0; n < N; n++) {
      const PetscReal z = s * (x[n] - beta);
      if (z > 0) {
        a += u[n];
        b += u[n] * z;
      }
    }
  }
  *sr = a;
  *sz = b;
}

PetscErrorCode SLSplineLossGradient(SLSpline sp, SLData data, SLLossType type, PetscReal *loss, PetscReal g_local[], PetscReal r[])
{
  PetscReal *res = r, scale;
  PetscInt   N;

  PetscFunctionBeginUser;
  PetscCall(SLSplineDataCheck(sp, data));
  N     = data->N;
  scale = SLLossScale(type, N);
  if (!res) PetscCall(PetscMalloc1(N, &res));
  PetscCall(SLSplineResidual(sp, data, res));
  if (loss) PetscCall(SLLossFromResidual(type, N, res, loss));
  if (g_local) { /* g = scale J_s^T r, neuron by neuron */
    const PetscInt Plocal = 2 * sp->hlocal + (sp->owns_c ? 1 : 0);

    PetscCall(SLSplineJacobianTransposeApply(sp, data, res, g_local));
    for (PetscInt p = 0; p < Plocal; p++) g_local[p] *= scale;
  }
  if (!r) PetscCall(PetscFree(res));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineJacobian(SLSpline sp, SLData data, PetscReal J[])
{
  PetscInt Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLSplineDataCheck(sp, data));
  PetscCall(SLSplineGetSizes(sp, NULL, &Plocal));
  for (PetscInt n = 0; n < data->N; n++) {
    const PetscReal x   = data->x[n];
    PetscReal      *row = J + n * Plocal;

    for (PetscInt i = 0; i < sp->hlocal; i++) {
      const PetscInt s = sp->s[i];

      if (s == 0) {
        row[2 * i]     = 0.0;
        row[2 * i + 1] = 1.0;
      } else {
        const PetscReal z = s * (x - sp->beta[i]);

        if (z > 0) {
          row[2 * i]     = -s * sp->mu[i];
          row[2 * i + 1] = z;
        } else row[2 * i] = row[2 * i + 1] = 0.0;
      }
    }
    if (sp->owns_c) row[2 * sp->hlocal] = 1.0;
  }
  PetscFunctionReturn(0);
}

typedef struct {
  SLSpline         sp;
  const PetscReal *x, *z;
} SLSplineApplyCtx;

/* (J_s z)_n = sum_i 1_ni (-s_i mu_i z_beta + (s_i (x_n - beta_i)) z_mu); flat: z_mu. */
static void SLSplineApplyKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLSplineApplyCtx *ctx = (const SLSplineApplyCtx *)vctx;
  const SLSpline          sp  = ctx->sp;
  const PetscReal        *x   = ctx->x + k0;

  for (PetscInt i = i0; i < i1; i++) {
    const PetscInt  s  = sp->s[i];
    const PetscReal zb = ctx->z[2 * i], zm = ctx->z[2 * i + 1];

    if (s == 0) {
      for (PetscInt k = 0; k < m; k++) acc[k] += zm;
    } else {
      const PetscReal beta = sp->beta[i], db = -s * sp->mu[i] * zb;

      for (PetscInt k = 0; k < m; k++) {
        const PetscReal z = s * (x[k] - beta);
        if (z > 0) acc[k] += db + z * zm;
      }
    }
  }
}

PetscErrorCode SLSplineJacobianApply(SLSpline sp, SLData data, const PetscReal z_local[], PetscReal u[])
{
  SLSplineApplyCtx ctx;

  PetscFunctionBeginUser;
  PetscCall(SLSplineDataCheck(sp, data));
  ctx.sp = sp;
  ctx.x  = data->x;
  ctx.z  = z_local;
  PetscCall(SLBlockReduce(sp->comm, sp->H, sp->hstart, sp->hlocal, data->N, SLSplineApplyKernel, &ctx, u));
  if (sp->has_c) {
    PetscReal zc = sp->owns_c ? z_local[2 * sp->hlocal] : 0.0;

    PetscCall(SLBcastFromLast(sp->comm, &zc));
    for (PetscInt n = 0; n < data->N; n++) u[n] += zc;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineJacobianTransposeApply(SLSpline sp, SLData data, const PetscReal u[], PetscReal z_local[])
{
  PetscFunctionBeginUser;
  PetscCall(SLSplineDataCheck(sp, data));
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    PetscReal sr, sz;

    SLSplineNeuronSums(sp, i, data->N, data->x, u, &sr, &sz);
    if (sp->s[i] == 0) {
      z_local[2 * i]     = 0.0;
      z_local[2 * i + 1] = sr;
    } else {
      z_local[2 * i]     = -sp->s[i] * sp->mu[i] * sr;
      z_local[2 * i + 1] = sz;
    }
  }
  if (sp->owns_c) {
    PetscReal s = 0.0;
    for (PetscInt n = 0; n < data->N; n++) s += u[n];
    z_local[2 * sp->hlocal] = s;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineResidualBlocks(SLSpline sp, SLData data, SLLossType type, const PetscReal r[], PetscReal e[])
{
  PetscReal scale;

  PetscFunctionBeginUser;
  PetscCall(SLSplineDataCheck(sp, data));
  scale = SLLossScale(type, data->N);
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    PetscReal sr, sz;

    if (sp->s[i] == 0) {
      e[i] = 0.0; /* a constant: no second derivative */
      continue;
    }
    SLSplineNeuronSums(sp, i, data->N, data->x, r, &sr, &sz);
    e[i] = -scale * sp->s[i] * sr;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineHessianDense(SLSpline sp, SLData data, SLLossType type, SLHessianPart part, Mat *Hmat)
{
  PetscMPIInt size;
  PetscInt    P, N, H, lda;
  PetscReal  *J, *r, *e, *A;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(sp->comm, &size));
  PetscCheck(size == 1, sp->comm, PETSC_ERR_SUP, "SLSplineHessianDense needs a sequential spline (comm size 1, got %d)", size);
  PetscCall(SLSplineDataCheck(sp, data));
  PetscCall(SLSplineGetSizes(sp, &P, NULL));
  N = data->N;
  H = sp->H;
  PetscCall(SLDenseCreate(P, Hmat));
  PetscCall(MatDenseGetLDA(*Hmat, &lda));
  PetscCall(MatDenseGetArray(*Hmat, &A));
  if (part != SL_HESS_RESIDUAL) {
    PetscCall(PetscMalloc1(N * P, &J));
    PetscCall(SLSplineJacobian(sp, data, J));
    PetscCall(SLDenseGramFill(P, N, J, SLLossScale(type, N), A, lda));
    PetscCall(PetscFree(J));
  }
  if (part != SL_HESS_GAUSS_NEWTON) {
    PetscCall(PetscMalloc2(N, &r, H, &e));
    PetscCall(SLSplineResidual(sp, data, r));
    PetscCall(SLSplineResidualBlocks(sp, data, type, r, e));
    for (PetscInt i = 0; i < H; i++) {
      A[2 * i + (2 * i + 1) * lda] += e[i];
      A[2 * i + 1 + 2 * i * lda] += e[i];
    }
    PetscCall(PetscFree2(r, e));
  }
  PetscCall(MatDenseRestoreArray(*Hmat, &A));
  PetscCall(MatAssemblyBegin(*Hmat, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*Hmat, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}
