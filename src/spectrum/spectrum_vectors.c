/* Eigenvectors of the Hessian extremes (-sl_eig_vectors, docs/theory.md section 4): the normalization every method
 * shares, and the eigenvectors of the exactly multiple eigenvalues of the class-reduced problem.
 *
 * Determinism: sums over neurons use the neuron-block reduction of the class object (SLHessClassReduce: per
 * SL_NEURON_BLOCK partials in neuron order, added in block order), the output bias entry (last rank) is
 * broadcast by an exact sum with zeros, and every decision is taken on replicated numbers. Given the same entries
 * per global index, the results are bitwise the same on any number of ranks. */
#include "spectrum_impl.h"
#include <splinelens/rng.h>

/* Counter-based stream of the extra start vectors of a multiplicity eigenspace (not one of SLStream's: this use
 * is private to this file; seed = candidate number, index = global neuron). */
#define SL_VEC_STREAM 0x5E01

typedef struct {
  SLHessClass      cl;
  const PetscReal *x; /* model-layout slice (Normalize) or hlocal coefficients (MultVectors) */
  PetscInt         stride;
  PetscInt         c, k; /* MultVectors: the class and eigen-index            */
  const PetscReal *E;    /* MultVectors: accepted vectors, hlocal each         */
  PetscInt         nacc;
} SLVecCtx;

/* acc[0] += sum of squares of the stride entries of each neuron */
static void SLSquareKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLVecCtx *ctx = (const SLVecCtx *)vctx;

  (void)k0;
  (void)m;
  for (PetscInt i = i0; i < i1; i++)
    for (PetscInt a = 0; a < ctx->stride; a++) acc[0] += ctx->x[ctx->stride * i + a] * ctx->x[ctx->stride * i + a];
}

PetscErrorCode SLSpectrumVectorNormalize(SLHessClass cl, PetscReal x[])
{
  const SLModelInfo *info = &cl->info;
  SLVecCtx           ctx  = {cl, x, info->npn, 0, 0, NULL, 0};
  PetscReal          ss, cv = 0.0, cvall, nrm, best[3] = {-1.0, -1.0, 0.0}, *all;
  PetscMPIInt        size;

  PetscFunctionBeginUser;
  PetscCall(SLHessClassReduce(cl, 1, SLSquareKernel, &ctx, &ss));
  if (info->has_c) {
    /* one rank contributes, the others add exact zeros: the same number everywhere */
    if (info->owns_c) cv = x[info->npn * info->hlocal];
    PetscCallMPI(MPI_Allreduce(&cv, &cvall, 1, MPIU_REAL, MPIU_SUM, info->comm));
    ss += cvall * cvall;
  }
  nrm = PetscSqrtReal(ss);
  if (!(nrm > 0) || PetscIsInfOrNanReal(nrm)) {
    for (PetscInt p = 0; p < info->Plocal; p++) x[p] = (PetscReal)NAN;
    PetscFunctionReturn(0);
  }
  for (PetscInt p = 0; p < info->Plocal; p++) x[p] /= nrm;
  /* sign rule on the normalized entries: (|value|, global index, value) of the local winner, then across ranks
   * in rank order (global indices increase with the rank) */
  for (PetscInt p = 0; p < info->Plocal; p++)
    if (PetscAbsReal(x[p]) > best[0]) {
      best[0] = PetscAbsReal(x[p]);
      best[1] = (PetscReal)(info->npn * info->hstart + p);
      best[2] = x[p];
    }
  PetscCallMPI(MPI_Comm_size(info->comm, &size));
  PetscCall(PetscMalloc1(3 * size, &all));
  PetscCallMPI(MPI_Allgather(best, 3, MPIU_REAL, all, 3, MPIU_REAL, info->comm));
  for (PetscMPIInt r = 0; r < size; r++)
    if (all[3 * r] > best[0] || (all[3 * r] == best[0] && all[3 * r + 1] < best[1])) {
      best[0] = all[3 * r];
      best[1] = all[3 * r + 1];
      best[2] = all[3 * r + 2];
    }
  PetscCall(PetscFree(all));
  if (best[2] < 0)
    for (PetscInt p = 0; p < info->Plocal; p++) x[p] = -x[p];
  PetscFunctionReturn(0);
}

/* y_ik = C_i^T q_ck of local neuron i */
static inline void SLItemY(SLHessClass cl, PetscInt i, const PetscReal q[], PetscReal y[2])
{
  PetscReal C[6];

  SLHessClassCoef(cl, i, C);
  y[0] = y[1] = 0.0;
  for (PetscInt j = 0; j < cl->info.npn; j++) {
    y[0] += q[j] * C[2 * j];
    y[1] += q[j] * C[2 * j + 1];
  }
}

/* acc = (Y^T a, E^T a) over class c: 2 + nacc numbers */
static void SLDotKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLVecCtx  *ctx = (const SLVecCtx *)vctx;
  SLHessClass      cl  = ctx->cl;
  const PetscReal *q   = cl->q + 9 * ctx->c + cl->info.npn * ctx->k;
  const PetscInt   hl  = cl->info.hlocal;

  (void)k0;
  (void)m;
  for (PetscInt i = i0; i < i1; i++) {
    PetscReal y[2];

    if (cl->cls[i] != ctx->c) continue;
    SLItemY(cl, i, q, y);
    acc[0] += y[0] * ctx->x[i];
    acc[1] += y[1] * ctx->x[i];
    for (PetscInt v = 0; v < ctx->nacc; v++) acc[2 + v] += ctx->E[v * hl + i] * ctx->x[i];
  }
}

/* The start coefficients of candidate r at global neuron g: r = 0 is SLStartWeight (the vector the residual of
 * spectrum_reduced.c is computed on), then zero-mean counter-based draws (well conditioned against each other). */
static inline PetscReal SLCandidateWeight(PetscInt r, PetscInt g)
{
  if (r == 0) return SLStartWeight(g);
  return SLRandomUniform01((uint64_t)r, SL_VEC_STREAM, (uint64_t)g, 0) - 0.5;
}

PetscErrorCode SLSpectrumMultVectors(SLHessClass cl, PetscInt c, PetscInt k, PetscInt nkept, const PetscReal kept[], const PetscReal sig[], PetscInt n, PetscReal alpha[])
{
  const PetscInt   hl = cl->info.hlocal, maxcand = 8 * n + 32;
  const PetscReal *q = cl->q + 9 * c + cl->info.npn * k;
  PetscReal       *cur, *dots;
  SLVecCtx         ctx;
  PetscInt         nacc = 0, r = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(PetscMax(hl, 1), &cur, n + 2, &dots));
  ctx.cl     = cl;
  ctx.x      = cur;
  ctx.stride = 1;
  ctx.c      = c;
  ctx.k      = k;
  ctx.E      = alpha;
  for (; nacc < n; r++) {
    PetscReal n0, n1;

    PetscCheck(r < maxcand, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Reduced spectrum: no %" PetscInt_FMT "-th multiplicity eigenvector of class %" PetscInt_FMT " after %" PetscInt_FMT " start vectors", nacc, c, maxcand);
    for (PetscInt i = 0; i < hl; i++) cur[i] = cl->cls[i] == c ? SLCandidateWeight(r, cl->info.hstart + i) : 0.0;
    PetscCall(SLHessClassReduce(cl, 1, SLSquareKernel, &ctx, &n0));
    /* classical Gram-Schmidt twice against the kept directions b_j = Y v_j / s_j and the accepted vectors:
     * a -= sum_j b_j (b_j . a) + sum_v e_v (e_v . a), b_j . a = v_j . (Y^T a) / s_j */
    ctx.nacc = nacc;
    for (PetscInt pass = 0; pass < 2; pass++) {
      PetscReal cf[2] = {0.0, 0.0};

      PetscCall(SLHessClassReduce(cl, 2 + nacc, SLDotKernel, &ctx, dots));
      for (PetscInt j = 0; j < nkept; j++) {
        const PetscReal *vj = kept + 2 * j, d = (vj[0] * dots[0] + vj[1] * dots[1]) / (sig[j] * sig[j]);

        cf[0] += d * vj[0];
        cf[1] += d * vj[1];
      }
      for (PetscInt i = 0; i < hl; i++) {
        PetscReal y[2], a;

        if (cl->cls[i] != c) continue;
        SLItemY(cl, i, q, y);
        a = cur[i] - (y[0] * cf[0] + y[1] * cf[1]);
        for (PetscInt v = 0; v < nacc; v++) a -= dots[2 + v] * alpha[v * hl + i];
        cur[i] = a;
      }
    }
    PetscCall(SLHessClassReduce(cl, 1, SLSquareKernel, &ctx, &n1));
    /* a candidate (almost) inside the span already found is dropped: the next one is independent */
    if (!(n1 > 1e-6 * n0) || !(n1 > 0)) continue;
    n1 = PetscSqrtReal(n1);
    for (PetscInt i = 0; i < hl; i++) alpha[nacc * hl + i] = cur[i] / n1;
    nacc++;
  }
  PetscCall(PetscFree2(cur, dots));
  PetscFunctionReturn(0);
}
