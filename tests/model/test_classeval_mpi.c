/* Rank-count independence of the activation-class evaluator (classeval.h): a network distributed over
 * PETSC_COMM_WORLD gives BITWISE (memcmp) the classes, residual, loss, local gradient slice and residual blocks of
 * the same network on PETSC_COMM_SELF, at creation and after each of several incremental updates (with the same
 * global number of changed classes). Widths: several blocks, one block (trailing ranks and the owner of c hold
 * no neuron), a 1-neuron partial block; with and without c. Run on 1, 2 and 3 ranks. */
#include <string.h>
#include "test_classeval_util.h"

#define SAME(a, b, n) (memcmp((a), (b), (size_t)(n) * sizeof(*(a))) == 0)

static PetscErrorCode CompareNow(SLClassEval cd, SLClassEval cs, SLNetwork dn, PetscInt N, SLLossType type, const char what[], PetscInt *nfail)
{
  const PetscInt  hs = dn->hstart, hl = dn->hlocal, Pl = 3 * hl + (dn->owns_c ? 1 : 0);
  const PetscInt *kd, *ks;
  PetscInt        P = 3 * dn->H + (dn->has_c ? 1 : 0);
  PetscReal      *rd, *rs, *gd, *gs, *ad, *as, *dd, *ds, ld, ls;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(N, &rd, N, &rs, P, &gd, P, &gs));
  PetscCall(PetscMalloc4(dn->H, &ad, dn->H, &as, dn->H, &dd, dn->H, &ds));
  PetscCall(SLClassEvalGetClasses(cd, NULL, &kd));
  PetscCall(SLClassEvalGetClasses(cs, NULL, &ks));
  TCHECK(SAME(kd, ks + hs, hl), *nfail, "%s: classes differ", what);
  PetscCall(SLClassEvalLossGradient(cd, type, &ld, gd, rd));
  PetscCall(SLClassEvalLossGradient(cs, type, &ls, gs, rs));
  TCHECK(SAME(&ld, &ls, 1) && SAME(rd, rs, N), *nfail, "%s: loss or residual differs", what);
  TCHECK(SAME(gd, gs + 3 * hs, Pl), *nfail, "%s: local gradient differs", what);
  PetscCall(SLClassEvalResidualBlocks(cd, type, rs, ad, dd));
  PetscCall(SLClassEvalResidualBlocks(cs, type, rs, as, ds));
  TCHECK(SAME(ad, as + hs, hl) && SAME(dd, ds + hs, hl), *nfail, "%s: residual blocks differ", what);
  PetscCall(PetscFree4(rd, rs, gd, gs));
  PetscCall(PetscFree4(ad, as, dd, ds));
  PetscFunctionReturn(0);
}

static PetscErrorCode Compare(PetscInt H, PetscInt N, PetscBool has_c, SLLossType type, PetscInt *nfail)
{
  TLcg        g = {(uint64_t)(104729 + 13 * H + N)};
  SLData      data;
  SLNetwork   dn, sn;
  SLClassEval cd, cs;
  PetscReal  *theta;
  PetscInt    P, nd, ns;
  PetscMPIInt size;
  char        what[96];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(TDataRandom(&g, N, -2, 2, &data));
  P = 3 * H + (has_c ? 1 : 0);
  PetscCall(PetscMalloc1(P, &theta));
  TClassTheta(&g, H, has_c, data, theta);
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &sn));
  PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, H, has_c, &dn));
  PetscCall(SLNetworkSetParameters(sn, theta));
  PetscCall(SLNetworkSetParameters(dn, theta + 3 * dn->hstart));
  PetscCall(SLClassEvalCreate(sn, data, &cs));
  PetscCall(SLClassEvalCreate(dn, data, &cd));
  PetscCall(PetscSNPrintf(what, sizeof(what), "H=%" PetscInt_FMT " N=%" PetscInt_FMT " c=%d np=%d", H, N, (int)has_c, size));
  PetscCall(CompareNow(cd, cs, dn, N, type, what, nfail));
  for (PetscInt s = 0; s < 4; s++) {
    TPerturb(&g, H, has_c, data, s % 2 ? 0.3 : 3e-3, s, theta);
    PetscCall(SLClassEvalUpdate(cs, theta, &ns));
    PetscCall(SLClassEvalUpdate(cd, theta + 3 * dn->hstart, &nd));
    TCHECK(nd == ns && (s % 2 == 0 || ns > 0), *nfail, "%s step %" PetscInt_FMT ": %" PetscInt_FMT " vs %" PetscInt_FMT " changed classes", what, s, nd, ns);
    PetscCall(CompareNow(cd, cs, dn, N, type, what, nfail));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: checked\n", what));
  PetscCall(SLClassEvalDestroy(&cd));
  PetscCall(SLClassEvalDestroy(&cs));
  PetscCall(SLNetworkDestroy(&dn));
  PetscCall(SLNetworkDestroy(&sn));
  PetscCall(TDataDestroy(&data));
  PetscCall(PetscFree(theta));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt nfail = 0, total;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(Compare(2500, 257, PETSC_TRUE, SL_LOSS_MEAN, &nfail));
  PetscCall(Compare(2500, 64, PETSC_FALSE, SL_LOSS_SUM, &nfail));
  PetscCall(Compare(700, 33, PETSC_TRUE, SL_LOSS_SUM, &nfail));    /* one block: trailing ranks hold no neuron */
  PetscCall(Compare(4097, 128, PETSC_TRUE, SL_LOSS_MEAN, &nfail)); /* a 1-neuron partial block */
  PetscCall(Compare(10000, 1, PETSC_FALSE, SL_LOSS_MEAN, &nfail));
  PetscCall(MPIU_Allreduce(&nfail, &total, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCheck(total == 0, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", total);
  PetscCall(PetscFinalize());
  return 0;
}
