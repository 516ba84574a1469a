/* The former exact count of docs/theory.md section 4, kept as a test oracle for the class-aggregated one
 * (hessian_inertia.c): S = -I_N - U^T (R - lambda I)^{-1} U summed neuron by neuron, O(P N^2) per lambda.
 *
 * With the closed-form eigen-decomposition R_i = sum_k ev_k q_k q_k^T of each neuron's block,
 *     U_i^T (R_i - lambda I)^{-1} U_i = scale sum_k y_k y_k^T / (ev_k - lambda),   y_k = J_i q_k  (N-vector),
 * batched into BLAS gemm calls over the deterministic block reduction (network_impl.h); the inertia of S comes
 * from LAPACK dsyev on rank 0. Residual blocks are computed per neuron (SLModelResidualBlocks), independently
 * of the classes. */
#include "count_direct.h"
#include "model_impl.h"
#include <petscblaslapack.h>

/* Neurons per gemm batch inside a reduction block (divides SL_NEURON_BLOCK, so batches never depend on the
 * layout). */
#define SL_COUNT_BATCH 64

typedef struct {
  SLModel       model; /* referenced */
  SLModelInfo   info;
  SLData        data;
  SLHessianPart part;
  PetscReal     scale;
  PetscReal    *blk;    /* residual blocks, 2 per local neuron (zero for the Gauss-Newton part) */
  PetscReal     rnorm;  /* max over all blocks of the block spectral radius (global)           */
  PetscReal     hscale; /* a scale of the Hessian: max(rnorm, max diagonal of scale J^T J)      */
  PetscReal     gtrace; /* trace of the Gauss-Newton part scale J^T J (0 for the residual part)  */
  /* kernel state and work */
  PetscReal    lambda;
  PetscBLASInt bN;
  PetscReal   *Y, *Yw, *col, *C, *S, *w, *work;
  PetscBLASInt lwork;
} SLDirectCount_s, *SLDirectCount;

static PetscErrorCode SLDirectCountCreate(SLModel model, SLData data, SLLossType type, SLHessianPart part, SLDirectCount *hcp)
{
  SLDirectCount hc;
  PetscInt      N, hl;
  PetscReal     loc[2], glob[2], tloc = 0.0;

  PetscFunctionBeginUser;
  PetscCall(SLInitializePackage());
  PetscCheck(data && data->N >= 1 && data->x && data->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  PetscCheck(part >= SL_HESS_FULL && part <= SL_HESS_RESIDUAL, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unknown SLHessianPart %d", (int)part);
  PetscCall(PetscNew(&hc));
  hc->model = model;
  hc->data  = data;
  hc->part  = part;
  PetscCall(SLModelGetInfo(model, &hc->info));
  N         = data->N;
  hl        = hc->info.hlocal;
  hc->scale = SLLossScale(type, N);
  PetscCall(PetscBLASIntCast(N, &hc->bN));
  PetscCall(PetscCalloc1(2 * PetscMax(hl, 1), &hc->blk));
  PetscCall(PetscMalloc4(N * 3 * SL_COUNT_BATCH, &hc->Y, N * 3 * SL_COUNT_BATCH, &hc->Yw, 3 * N, &hc->col, N * N, &hc->C));
  PetscCall(PetscMalloc2(N * N, &hc->S, N, &hc->w));
  hc->lwork = PetscMax(1, 3 * hc->bN);
  PetscCall(PetscMalloc1(hc->lwork, &hc->work));
  if (part != SL_HESS_GAUSS_NEWTON) {
    PetscReal *r;

    PetscCall(PetscMalloc1(N, &r));
    PetscCall(SLModelResidual(model, data, r));
    PetscCall(SLModelResidualBlocks(model, data, type, r, hc->blk));
    PetscCall(PetscFree(r));
  }
  loc[0] = loc[1] = 0.0;
  for (PetscInt i = 0; i < hl; i++) {
    PetscReal ev[3], q[9];

    SLModelBlockEigen(hc->info.coords, hc->blk + 2 * i, ev, q);
    for (PetscInt k = 0; k < hc->info.npn; k++) loc[0] = PetscMax(loc[0], PetscAbsReal(ev[k]));
    if (part != SL_HESS_RESIDUAL) {
      SLModelNeuronColumns(model, data, i, hc->col, N);
      for (PetscInt k = 0; k < hc->info.npn; k++) {
        PetscReal s = 0.0;

        for (PetscInt n = 0; n < N; n++) s += hc->col[k * N + n] * hc->col[k * N + n];
        loc[1] = PetscMax(loc[1], hc->scale * s);
        tloc += hc->scale * s;
      }
    }
  }
  if (hc->info.owns_c && part != SL_HESS_RESIDUAL) {
    loc[1] = PetscMax(loc[1], hc->scale * (PetscReal)N);
    tloc += hc->scale * (PetscReal)N;
  }
  PetscCall(MPIU_Allreduce(&tloc, &hc->gtrace, 1, MPIU_REAL, MPIU_SUM, hc->info.comm));
  PetscCall(MPIU_Allreduce(loc, glob, 2, MPIU_REAL, MPIU_MAX, hc->info.comm));
  hc->rnorm  = glob[0];
  hc->hscale = PetscMax(glob[0], glob[1]);
  *hcp       = hc;
  PetscFunctionReturn(0);
}

static PetscErrorCode SLDirectCountDestroy(SLDirectCount *hc)
{
  PetscFunctionBeginUser;
  if (!*hc) PetscFunctionReturn(0);
  PetscCall(PetscFree((*hc)->blk));
  PetscCall(PetscFree4((*hc)->Y, (*hc)->Yw, (*hc)->col, (*hc)->C));
  PetscCall(PetscFree2((*hc)->S, (*hc)->w));
  PetscCall(PetscFree((*hc)->work));
  PetscCall(PetscFree(*hc));
  PetscFunctionReturn(0);
}

/* acc[k - k0] += sum over local neurons [i0, i1) of (sum_k y_k y_k^T / (ev_k - lambda)) at the column-major
 * position k of the N x N matrix, for k in [k0, k0 + m). Columns c0..c1 covering the range are computed with
 * one gemm per batch of neurons. */
static void SLCountKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  SLDirectCount   hc = (SLDirectCount)vctx;
  const PetscInt  N = hc->data->N, npn = hc->info.npn;
  const PetscInt  c0 = k0 / N, c1 = (k0 + m - 1) / N;
  const PetscReal one = 1.0, zero = 0.0;
  PetscBLASInt    bnc = (PetscBLASInt)(c1 - c0 + 1);

  for (PetscInt j0 = i0; j0 < i1; j0 += SL_COUNT_BATCH) {
    const PetscInt j1 = PetscMin(j0 + SL_COUNT_BATCH, i1);
    PetscBLASInt   T  = 0;

    for (PetscInt i = j0; i < j1; i++) {
      PetscReal ev[3], q[9];

      SLModelNeuronColumns(hc->model, hc->data, i, hc->col, N);
      SLModelBlockEigen(hc->info.coords, hc->blk + 2 * i, ev, q);
      for (PetscInt k = 0; k < npn; k++) {
        const PetscReal wt = 1.0 / (ev[k] - hc->lambda);
        PetscReal      *y = hc->Y + (PetscInt)T * N, *yw = hc->Yw + (PetscInt)T * N;

        for (PetscInt n = 0; n < N; n++) {
          PetscReal s = 0.0;

          for (PetscInt j = 0; j < npn; j++) s += q[k * npn + j] * hc->col[j * N + n];
          y[n]  = s;
          yw[n] = wt * s;
        }
        T++;
      }
    }
    /* C (N x nc) = Y (N x T) * Yw(c0:c1, :)^T */
    BLASgemm_("N", "T", &hc->bN, &bnc, &T, &one, hc->Y, &hc->bN, hc->Yw + c0, &hc->bN, &zero, hc->C, &hc->bN);
    for (PetscInt k = k0; k < k0 + m; k++) acc[k - k0] += hc->C[k - c0 * N];
  }
}

/* nu_-(R - lambda I) of the local blocks (and c) and whether lambda is clear of every eigenvalue of R.
 * "Clear" is relative to the scales of the Hessian and of lambda, |ev - lambda| > 1e-14 max(|lambda|, hscale),
 * so the count is invariant under scaling of the problem and the weights 1/(ev - lambda) of S stay below
 * 1e14 / hscale (no overflow, no loss of the -I_N term to rounding). */
static void SLCountBlocks(SLDirectCount hc, PetscReal lambda, PetscInt *nneg, PetscBool *ok)
{
  const PetscReal tol = 1e-14 * PetscMax(PetscAbsReal(lambda), hc->hscale);

  *nneg = 0;
  *ok   = PETSC_TRUE;
  for (PetscInt i = 0; i < hc->info.hlocal; i++) {
    PetscReal ev[3], q[9];

    SLModelBlockEigen(hc->info.coords, hc->blk + 2 * i, ev, q);
    for (PetscInt k = 0; k < hc->info.npn; k++) {
      const PetscReal t = ev[k] - lambda;

      if (PetscAbsReal(t) <= tol) *ok = PETSC_FALSE;
      if (t < 0) (*nneg)++;
    }
  }
  if (hc->info.owns_c) {
    if (PetscAbsReal(lambda) <= tol) *ok = PETSC_FALSE;
    if (-lambda < 0) (*nneg)++;
  }
}

static PetscErrorCode SLDirectCountEval(SLDirectCount hc, PetscReal lambda, PetscInt *count, PetscBool *ok)
{
  const PetscInt N = hc->data->N;
  PetscInt       loc[2], glob[2], nnegS = 0;
  PetscBool      lok;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(SL_EVENT_HessCount, 0, 0, 0, 0));
  PetscCheck(!PetscIsNanReal(lambda), hc->info.comm, PETSC_ERR_ARG_OUTOFRANGE, "SLHessianCountBelow: lambda is NaN");
  SLCountBlocks(hc, lambda, &loc[0], &lok);
  loc[1] = lok ? 0 : 1;
  PetscCall(MPIU_Allreduce(loc, glob, 2, MPIU_INT, MPI_SUM, hc->info.comm));
  *ok    = glob[1] == 0 ? PETSC_TRUE : PETSC_FALSE;
  *count = -1;
  if (!*ok) {
    PetscCall(PetscLogEventEnd(SL_EVENT_HessCount, 0, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  if (hc->part == SL_HESS_RESIDUAL) { /* U = 0: the count is the inertia of R - lambda I */
    *count = glob[0];
    PetscCall(PetscLogEventEnd(SL_EVENT_HessCount, 0, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  hc->lambda = lambda;
  PetscCall(SLBlockReduce(hc->info.comm, hc->info.H, hc->info.hstart, hc->info.hlocal, N * N, SLCountKernel, hc, hc->S));
  {
    const PetscReal cterm = hc->info.has_c ? -1.0 / lambda : 0.0; /* c: y = ones, weight 1/(0 - lambda) */

    for (PetscInt q = 0; q < N; q++)
      for (PetscInt p = 0; p < N; p++) hc->S[p + q * N] = (p == q ? -1.0 : 0.0) - hc->scale * (hc->S[p + q * N] + cterm);
  }
  PetscCall(PetscLogFlops(2.0 * hc->info.P * N * N));
  PetscCallMPI(MPI_Comm_rank(hc->info.comm, &rank));
  if (rank == 0) {
    PetscBLASInt info;

    PetscCallBLAS("LAPACKsyev", LAPACKsyev_("N", "U", &hc->bN, hc->S, &hc->bN, hc->w, hc->work, &hc->lwork, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyev failed on the %" PetscInt_FMT " x %" PetscInt_FMT " Schur complement (info %d)", N, N, (int)info);
    for (PetscInt n = 0; n < N; n++)
      if (hc->w[n] < 0) nnegS++;
  }
  PetscCallMPI(MPI_Bcast(&nnegS, 1, MPIU_INT, 0, hc->info.comm));
  *count = glob[0] + nnegS - N;
  PetscCheck(*count >= 0 && *count <= hc->info.P, hc->info.comm, PETSC_ERR_PLIB, "Inertia count %" PetscInt_FMT " at lambda = %g outside [0, P = %" PetscInt_FMT "]", *count, (double)lambda, hc->info.P);
  PetscCall(PetscLogEventEnd(SL_EVENT_HessCount, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianCountBelowDirect(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal lambda, PetscInt *count, PetscBool *ok)
{
  SLDirectCount hc;

  PetscFunctionBeginUser;
  PetscCall(SLDirectCountCreate(model, data, type, part, &hc));
  PetscCall(SLDirectCountEval(hc, lambda, count, ok));
  PetscCall(SLDirectCountDestroy(&hc));
  PetscFunctionReturn(0);
}
