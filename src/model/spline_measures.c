/* Roughness and breakpoint measures of the spline view (docs/theory.md section 3, "Roughness"): R_total = sum mu_i^2
 * over neurons with a breakpoint, R_in the same over breakpoints in [xmin, xmax]. The sums use the
 * deterministic block reduction, counts and maxima are exact reductions: results are rank-count independent. */
#include <stdlib.h>
#include "model_impl.h"

typedef struct {
  SLSpline  sp;
  PetscReal xmin, xmax;
} SLRoughCtx;

/* Output 0: sum mu^2 over non-flat neurons; output 1: the same over in-range breakpoints. */
static void SLRoughKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLRoughCtx *ctx = (const SLRoughCtx *)vctx;
  const SLSpline    sp  = ctx->sp;

  for (PetscInt i = i0; i < i1; i++) {
    const PetscReal mu2 = sp->mu[i] * sp->mu[i];

    if (sp->s[i] == 0) continue;
    for (PetscInt k = 0; k < m; k++) {
      if (k0 + k == 0) acc[k] += mu2;
      else if (sp->beta[i] >= ctx->xmin && sp->beta[i] <= ctx->xmax) acc[k] += mu2;
    }
  }
}

PetscErrorCode SLSplineRoughness(SLSpline sp, PetscReal xmin, PetscReal xmax, SLRoughness *rough)
{
  SLRoughCtx ctx = {sp, xmin, xmax};
  PetscReal  sums[2], kink = 0.0;
  PetscInt   cnt[2] = {0, 0}, gcnt[2]; /* in range, with a breakpoint */

  PetscFunctionBeginUser;
  PetscCheck(xmin <= xmax, sp->comm, PETSC_ERR_ARG_OUTOFRANGE, "Roughness range [%g, %g] is empty", (double)xmin, (double)xmax);
  PetscCall(SLBlockReduce(sp->comm, sp->H, sp->hstart, sp->hlocal, 2, SLRoughKernel, &ctx, sums));
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    if (sp->s[i] == 0) continue;
    cnt[1]++;
    if (sp->beta[i] >= xmin && sp->beta[i] <= xmax) {
      cnt[0]++;
      kink = PetscMax(kink, PetscAbsReal(sp->mu[i]));
    }
  }
  PetscCall(MPIU_Allreduce(cnt, gcnt, 2, MPIU_INT, MPI_SUM, sp->comm));
  PetscCall(MPIU_Allreduce(&kink, &rough->max_kink, 1, MPIU_REAL, MPI_MAX, sp->comm));
  rough->R_total = sums[0];
  rough->R_in    = sums[1];
  rough->n_in    = gcnt[0];
  rough->frac_in = gcnt[1] > 0 ? (PetscReal)gcnt[0] / (PetscReal)gcnt[1] : 0.0;
  PetscFunctionReturn(0);
}

typedef struct {
  PetscReal beta;
  PetscInt  index;
} SLBreak;

/* Total order (beta, then neuron index): the result does not depend on the sort algorithm. */
static int SLBreakCompare(const void *pa, const void *pb)
{
  const SLBreak *a = (const SLBreak *)pa, *b = (const SLBreak *)pb;

  if (a->beta < b->beta) return -1;
  if (a->beta > b->beta) return 1;
  return (a->index > b->index) - (a->index < b->index);
}

PetscErrorCode SLSplineSortedBreakpoints(SLSpline sp, PetscInt *nb, PetscReal beta_sorted[], PetscInt index[])
{
  PetscMPIInt size, mine, *counts, *displs;
  PetscInt    nloc = 0, ntot = 0;
  SLBreak    *br;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(sp->comm, &size));
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    if (sp->s[i] == 0) continue;
    beta_sorted[sp->hstart + nloc] = sp->beta[i]; /* staging area, overwritten by the gather below */
    index[sp->hstart + nloc]       = sp->hstart + i;
    nloc++;
  }
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  PetscCall(PetscMPIIntCast(nloc, &mine));
  PetscCallMPI(MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, sp->comm));
  for (PetscMPIInt r = 0; r < size; r++) {
    PetscCall(PetscMPIIntCast(ntot, &displs[r]));
    ntot += counts[r];
  }
  {
    PetscReal *gb;
    PetscInt  *gi;

    PetscCall(PetscMalloc2(PetscMax(ntot, 1), &gb, PetscMax(ntot, 1), &gi));
    PetscCallMPI(MPI_Allgatherv(beta_sorted + sp->hstart, mine, MPIU_REAL, gb, counts, displs, MPIU_REAL, sp->comm));
    PetscCallMPI(MPI_Allgatherv(index + sp->hstart, mine, MPIU_INT, gi, counts, displs, MPIU_INT, sp->comm));
    PetscCall(PetscMalloc1(PetscMax(ntot, 1), &br));
    for (PetscInt j = 0; j < ntot; j++) {
      br[j].beta  = gb[j];
      br[j].index = gi[j];
    }
    PetscCall(PetscFree2(gb, gi));
  }
  if (ntot > 1) qsort(br, (size_t)ntot, sizeof(SLBreak), SLBreakCompare);
  for (PetscInt j = 0; j < ntot; j++) {
    beta_sorted[j] = br[j].beta;
    index[j]       = br[j].index;
  }
  *nb = ntot;
  PetscCall(PetscFree(br));
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(0);
}
