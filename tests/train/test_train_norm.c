/* SLTrainVecNorm (src/train/train_adapt.c), the deterministic 2-norm of a state-shaped vector, the reduction the
 * step controller "slbasic" sums its weighted error with. Run on 1, 2 and 3 ranks: for widths of several
 * 1024-neuron blocks, with and without the output bias c, the norm is the same on every rank and bitwise that of
 * the same vector on one rank (PETSC_COMM_SELF, rank 0); it agrees with VecNorm to rounding; up to one block
 * (H <= 1024) it is bitwise the plain sum of squares in state order, c last (the order of PETSc's own norms on one
 * rank, so a one-rank run's controller is bitwise PETSc's basic). SLTrainVecNorms, the fused pass over up to 3
 * vectors, gives each bitwise its SLTrainVecNorm (the last entry, c, included). */
#include "test_train_common.h"
#include "train/train_impl.h"

/* the vector: entry p of the global state is TTHash(seed, p, 0) x 10^(entry-dependent exponent in [-4, 4]) */
static PetscReal TNEntry(PetscInt p)
{
  return TTHash(7, (uint64_t)p, 0) * PetscPowReal(10.0, (PetscReal)(p % 9) - 4.0);
}

static PetscErrorCode TNNorm(SLNetwork net, PetscReal *nrm, PetscReal *vecnorm)
{
  SLTrainCtx ctx;
  PetscInt   P, Plocal;
  Vec        v;
  PetscReal *a;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&ctx, sizeof(ctx)));
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  ctx.comm    = net->comm;
  ctx.scratch = net;
  ctx.Plocal  = Plocal;
  PetscCallMPI(MPI_Comm_size(ctx.comm, &ctx.size));
  PetscCall(VecCreateMPI(ctx.comm, Plocal, P, &v));
  PetscCall(VecGetArrayWrite(v, &a));
  for (PetscInt p = 0; p < 3 * net->hlocal; p++) a[p] = TNEntry(3 * net->hstart + p);
  if (net->owns_c) a[3 * net->hlocal] = TNEntry(3 * net->H);
  PetscCall(VecRestoreArrayWrite(v, &a));
  PetscCall(SLTrainVecNorm(&ctx, v, nrm));
  PetscCall(VecNorm(v, NORM_2, vecnorm));
  { /* SLTrainVecNorms (the Newton test's fused pass): each of 3 and of 2 vectors bitwise its SLTrainVecNorm */
    Vec       w[3];
    PetscReal one[3], three[3], two[2];

    w[0] = v;
    for (PetscInt k = 1; k < 3; k++) {
      PetscCall(VecDuplicate(v, &w[k]));
      PetscCall(VecGetArrayWrite(w[k], &a));
      for (PetscInt p = 0; p < Plocal; p++) a[p] = TTHash(7 + (uint64_t)k, (uint64_t)(3 * net->hstart + p), 0) * PetscPowReal(10.0, (PetscReal)k - 1.0);
      PetscCall(VecRestoreArrayWrite(w[k], &a));
    }
    for (PetscInt k = 0; k < 3; k++) PetscCall(SLTrainVecNorm(&ctx, w[k], &one[k]));
    PetscCall(SLTrainVecNorms(&ctx, 3, w, three));
    PetscCall(SLTrainVecNorms(&ctx, 2, w + 1, two));
    for (PetscInt k = 0; k < 3; k++) TCHECK(three[k] == one[k], "H %" PetscInt_FMT ": SLTrainVecNorms[%" PetscInt_FMT "] of 3 %.17g != SLTrainVecNorm %.17g", net->H, k, (double)three[k], (double)one[k]);
    for (PetscInt k = 0; k < 2; k++) TCHECK(two[k] == one[k + 1], "H %" PetscInt_FMT ": SLTrainVecNorms[%" PetscInt_FMT "] of 2 %.17g != SLTrainVecNorm %.17g", net->H, k, (double)two[k], (double)one[k + 1]);
    for (PetscInt k = 1; k < 3; k++) PetscCall(VecDestroy(&w[k]));
  }
  PetscCall(VecDestroy(&v));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const PetscInt  widths[] = {3000, 2500, 1000, 1024};
  const PetscBool hasc[]   = {PETSC_TRUE, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE};
  PetscMPIInt     size, rank;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  for (int k = 0; k < 4; k++) {
    const PetscInt H = widths[k];
    SLNetwork      net;
    PetscReal      nrm, vn, mm[2];

    PetscCall(TTNetwork(PETSC_COMM_WORLD, H, hasc[k], 3, 1.0, 1.0, &net));
    PetscCall(TNNorm(net, &nrm, &vn));
    PetscCall(SLNetworkDestroy(&net));
    mm[0] = nrm;
    mm[1] = -nrm;
    PetscCall(MPIU_Allreduce(MPI_IN_PLACE, mm, 2, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD));
    TCHECK(mm[0] == nrm && -mm[1] == nrm, "H %" PetscInt_FMT ": the norm differs between the ranks", H);
    TCHECK(PetscAbsReal(nrm - vn) <= 1e-14 * vn, "H %" PetscInt_FMT ": SLTrainVecNorm %.17g vs VecNorm %.17g", H, (double)nrm, (double)vn);
    if (!rank) {
      SLNetwork seq;
      PetscReal nrm1, vn1, sq = 0.0;

      PetscCall(TTNetwork(PETSC_COMM_SELF, H, hasc[k], 3, 1.0, 1.0, &seq));
      PetscCall(TNNorm(seq, &nrm1, &vn1));
      PetscCall(SLNetworkDestroy(&seq));
      for (PetscInt p = 0; p < 3 * H + (hasc[k] ? 1 : 0); p++) sq += TNEntry(p) * TNEntry(p);
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "H %" PetscInt_FMT "%s: %d ranks %.17g, 1 rank %.17g, VecNorm %.17g, in-order sum %.17g\n", H, hasc[k] ? " + c" : "", size, (double)nrm, (double)nrm1, (double)vn, (double)PetscSqrtReal(sq)));
      TCHECK(nrm == nrm1, "H %" PetscInt_FMT ": %d ranks %.17g != 1 rank %.17g", H, size, (double)nrm, (double)nrm1);
      if (H <= SL_NEURON_BLOCK) TCHECK(nrm == PetscSqrtReal(sq), "H %" PetscInt_FMT " (one block): %.17g is not the in-order sum %.17g", H, (double)nrm, (double)PetscSqrtReal(sq));
    }
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "SLTrainVecNorm on %d ranks: bitwise that of 1 rank\n", size));
  PetscCall(PetscFinalize());
  return 0;
}
