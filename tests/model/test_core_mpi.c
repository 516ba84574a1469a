/* Rank-count independence (sys.h, network.h): a network distributed over PETSC_COMM_WORLD gives BITWISE the
 * same Evaluate, Residual, LossGradient (gathered), JacobianApply, JacobianTransposeApply, ActiveCounts,
 * BreakpointsOnData and, in BDSO coordinates, the same Evaluate, LossGradient, JacobianApply, Roughness and
 * sorted breakpoints as the same network on PETSC_COMM_SELF (memcmp). The sequential results are themselves
 * checked bitwise against a hand-written block-ordered sum. Widths: not multiples of SL_NEURON_BLOCK, and one
 * smaller than a block so that some ranks hold no neuron (and the owner of c may hold none). Run on 2 and 3
 * ranks. Also checks the layout: block-aligned, contiguous, covering, as even as possible. */
#include <string.h>
#include "test_core_util.h"

#define SAME(a, b, n) (memcmp((a), (b), (size_t)(n) * sizeof(*(a))) == 0)

static PetscErrorCode CheckLayout(PetscInt H, PetscMPIInt size, PetscInt *nfail)
{
  PetscInt next = 0, nblocks = (H + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK, bmin = PETSC_MAX_INT, bmax = 0;

  PetscFunctionBeginUser;
  for (PetscMPIInt r = 0; r < size; r++) {
    PetscInt hs, hl, nb;

    PetscCall(SLNetworkLayout(H, size, r, &hs, &hl));
    TCHECK(hs == next || hl == 0, *nfail, "layout H=%" PetscInt_FMT " rank %d: start %" PetscInt_FMT ", expected %" PetscInt_FMT, H, r, hs, next);
    TCHECK(hl == 0 || hs % SL_NEURON_BLOCK == 0, *nfail, "layout H=%" PetscInt_FMT " rank %d: start %" PetscInt_FMT " not block aligned", H, r, hs);
    TCHECK(hs + hl == H || hl % SL_NEURON_BLOCK == 0, *nfail, "layout H=%" PetscInt_FMT " rank %d: partial block not at the end", H, r);
    nb   = (hl + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
    bmin = PetscMin(bmin, nb);
    bmax = PetscMax(bmax, nb);
    next += hl;
  }
  TCHECK(next == H, *nfail, "layout H=%" PetscInt_FMT ": ranges cover %" PetscInt_FMT " neurons", H, next);
  TCHECK(bmax - bmin <= 1 && bmax == (nblocks + size - 1) / size, *nfail, "layout H=%" PetscInt_FMT ": blocks per rank between %" PetscInt_FMT " and %" PetscInt_FMT, H, bmin, bmax);
  PetscFunctionReturn(0);
}

static PetscErrorCode Compare(PetscInt H, PetscBool has_c, PetscInt flat_every, PetscInt *nfail)
{
  const PetscInt  N = 257, NG = 3001;
  const PetscReal xmin = -2, xmax = 2;
  PetscMPIInt     rank, size;
  TLcg            g    = {(uint64_t)(1000 + H)};
  SLData          data = NULL;
  SLNetwork       dn, sn;
  SLSpline        dsp, ssp;
  SLRoughness     dR, sR;
  PetscInt        P, Pl, Psl, hs, nbd, nbs, cd, cs, *actd, *acts, *idxd, *idxs;
  PetscReal      *theta, *th, *xg, *fd, *fs, *fref, *gd, *gs, *z, *ud, *us, *rd, *rs, *zd, *zs, *bd, *bs, ld, ls;
  char            what[64];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(what, sizeof(what), "H=%" PetscInt_FMT " c=%d np=%d", H, (int)has_c, size));
  PetscCall(CheckLayout(H, size, nfail));
  PetscCall(TDataRandom(&g, N, xmin, xmax, &data));
  for (PetscInt n = 0; n < N; n++) data->y[n] = PetscSinReal(3 * data->x[n]);

  /* identical global parameters on every rank (same LCG sequence) */
  P = 3 * H + (has_c ? 1 : 0);
  PetscCall(PetscMalloc6(P, &theta, P, &th, NG, &xg, NG, &fd, NG, &fs, NG, &fref));
  PetscCall(PetscMalloc6(P, &gd, P, &gs, P, &z, N, &ud, N, &us, N, &rd));
  PetscCall(PetscMalloc4(N, &rs, P, &zd, P, &zs, H, &bd));
  PetscCall(PetscMalloc5(H, &bs, H, &actd, H, &acts, H, &idxd, H, &idxs));
  TRandomTheta(&g, H, has_c, NULL, -3, 3, 0, flat_every, theta);
  for (PetscInt p = 0; p < P; p++) z[p] = TUniform(&g, -1, 1);
  for (PetscInt k = 0; k < NG; k++) xg[k] = -3 + 6.0 * k / (NG - 1);
  /* one exact breakpoint-on-data pair so the count is nonzero */
  theta[1] = -theta[0] * data->x[N / 2];

  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &sn));
  PetscCall(SLNetworkSetParameters(sn, theta));
  PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, H, has_c, &dn));
  hs = dn->hstart;
  PetscCall(SLNetworkGetSizes(dn, NULL, &Pl));
  TCHECK(dn->owns_c == (has_c && rank == size - 1) && (Pl == 0 || 3 * hs + Pl <= P), *nfail, "%s: local slice", what);
  PetscCall(SLNetworkSetParameters(dn, theta + 3 * hs));
  TCHECK(dn->c == sn->c, *nfail, "%s: c not broadcast", what);
  PetscCall(SLNetworkGatherParameters(dn, th));
  TCHECK(SAME(th, theta, P), *nfail, "%s: GatherParameters", what);

  /* sequential evaluation against an explicit block-ordered sum */
  for (PetscInt k = 0; k < NG; k++) {
    PetscReal tot = 0;
    for (PetscInt b0 = 0; b0 < H; b0 += SL_NEURON_BLOCK) {
      PetscReal part = 0;
      for (PetscInt i = b0; i < PetscMin(H, b0 + SL_NEURON_BLOCK); i++) {
        const PetscReal zz = theta[3 * i] * xg[k] + theta[3 * i + 1];
        if (zz > 0) part += theta[3 * i + 2] * zz;
      }
      tot += part;
    }
    fref[k] = has_c ? tot + theta[3 * H] : tot;
  }
  PetscCall(SLNetworkEvaluate(sn, NG, xg, fs));
  TCHECK(SAME(fs, fref, NG), *nfail, "%s: sequential Evaluate is not the block-ordered sum", what);

  PetscCall(SLNetworkEvaluate(dn, NG, xg, fd));
  TCHECK(SAME(fd, fs, NG), *nfail, "%s: Evaluate differs", what);
  PetscCall(SLNetworkLossGradient(sn, data, SL_LOSS_MEAN, &ls, gs, rs));
  PetscCall(SLNetworkLossGradient(dn, data, SL_LOSS_MEAN, &ld, gd, rd));
  TCHECK(SAME(&ld, &ls, 1) && SAME(rd, rs, N), *nfail, "%s: loss or residual differs", what);
  TCHECK(SAME(gd, gs + 3 * hs, Pl), *nfail, "%s: local gradient differs", what);
  PetscCall(SLNetworkJacobianApply(sn, data, z, us));
  PetscCall(SLNetworkJacobianApply(dn, data, z + 3 * hs, ud));
  TCHECK(SAME(ud, us, N), *nfail, "%s: JacobianApply differs", what);
  PetscCall(SLNetworkJacobianTransposeApply(sn, data, us, zs));
  PetscCall(SLNetworkJacobianTransposeApply(dn, data, us, zd));
  TCHECK(SAME(zd, zs + 3 * hs, Pl), *nfail, "%s: JacobianTransposeApply differs", what);
  PetscCall(SLNetworkActiveCounts(sn, data, acts));
  PetscCall(SLNetworkActiveCounts(dn, data, actd));
  TCHECK(SAME(actd, acts + hs, dn->hlocal), *nfail, "%s: ActiveCounts differ", what);
  PetscCall(SLNetworkBreakpointsOnData(sn, data, 1e-14, &cs));
  PetscCall(SLNetworkBreakpointsOnData(dn, data, 1e-14, &cd));
  TCHECK(cd == cs && cs >= 1, *nfail, "%s: BreakpointsOnData %" PetscInt_FMT " vs %" PetscInt_FMT, what, cd, cs);

  /* BDSO */
  PetscCall(SLSplineCreateFromNetwork(sn, &ssp));
  PetscCall(SLSplineCreateFromNetwork(dn, &dsp));
  TCHECK(dsp->nflat == ssp->nflat && (flat_every == 0 || ssp->nflat > 0), *nfail, "%s: nflat %" PetscInt_FMT " vs %" PetscInt_FMT, what, dsp->nflat, ssp->nflat);
  PetscCall(SLSplineGetSizes(dsp, NULL, &Psl));
  PetscCall(SLSplineEvaluate(ssp, NG, xg, fs));
  PetscCall(SLSplineEvaluate(dsp, NG, xg, fd));
  TCHECK(SAME(fd, fs, NG), *nfail, "%s: SplineEvaluate differs", what);
  PetscCall(SLSplineLossGradient(ssp, data, SL_LOSS_SUM, &ls, gs, rs));
  PetscCall(SLSplineLossGradient(dsp, data, SL_LOSS_SUM, &ld, gd, rd));
  TCHECK(SAME(&ld, &ls, 1) && SAME(rd, rs, N) && SAME(gd, gs + 2 * hs, Psl), *nfail, "%s: spline loss/residual/gradient differ", what);
  PetscCall(SLSplineJacobianApply(ssp, data, z, us));
  PetscCall(SLSplineJacobianApply(dsp, data, z + 2 * hs, ud));
  TCHECK(SAME(ud, us, N), *nfail, "%s: SplineJacobianApply differs", what);
  PetscCall(SLSplineJacobianTransposeApply(ssp, data, us, zs));
  PetscCall(SLSplineJacobianTransposeApply(dsp, data, us, zd));
  TCHECK(SAME(zd, zs + 2 * hs, Psl), *nfail, "%s: SplineJacobianTransposeApply differs", what);
  PetscCall(SLSplineRoughness(ssp, -1, 1.5, &sR));
  PetscCall(SLSplineRoughness(dsp, -1, 1.5, &dR));
  TCHECK(SAME(&dR.R_total, &sR.R_total, 1) && SAME(&dR.R_in, &sR.R_in, 1) && SAME(&dR.frac_in, &sR.frac_in, 1) && SAME(&dR.max_kink, &sR.max_kink, 1) && dR.n_in == sR.n_in, *nfail, "%s: Roughness differs", what);
  PetscCall(SLSplineSortedBreakpoints(ssp, &nbs, bs, idxs));
  PetscCall(SLSplineSortedBreakpoints(dsp, &nbd, bd, idxd));
  TCHECK(nbd == nbs && SAME(bd, bs, nbs) && SAME(idxd, idxs, nbs), *nfail, "%s: sorted breakpoints differ", what);

  /* round trip through the inverse map on the distributed layout */
  PetscCall(SLSplineToNetwork(dsp, NULL, dn));
  PetscCall(SLNetworkEvaluate(dn, NG, xg, fd));
  PetscCall(SLSplineToNetwork(ssp, NULL, sn));
  PetscCall(SLNetworkEvaluate(sn, NG, xg, fs));
  TCHECK(SAME(fd, fs, NG), *nfail, "%s: Evaluate after SplineToNetwork differs", what);

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: checked (rank %d holds neurons [%" PetscInt_FMT ", %" PetscInt_FMT "))\n", what, rank, hs, hs + dn->hlocal));
  PetscCall(SLSplineDestroy(&ssp));
  PetscCall(SLSplineDestroy(&dsp));
  PetscCall(SLNetworkDestroy(&sn));
  PetscCall(SLNetworkDestroy(&dn));
  PetscCall(TDataDestroy(&data));
  PetscCall(PetscFree6(theta, th, xg, fd, fs, fref));
  PetscCall(PetscFree6(gd, gs, z, ud, us, rd));
  PetscCall(PetscFree4(rs, zd, zs, bd));
  PetscCall(PetscFree5(bs, actd, acts, idxd, idxs));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt nfail = 0, total;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(Compare(2500, PETSC_TRUE, 11, &nfail));
  PetscCall(Compare(2500, PETSC_FALSE, 0, &nfail));
  PetscCall(Compare(700, PETSC_TRUE, 13, &nfail)); /* one block: trailing ranks (and c's owner) hold no neuron */
  PetscCall(Compare(4097, PETSC_TRUE, 0, &nfail)); /* a 1-neuron partial block */
  PetscCall(MPIU_Allreduce(&nfail, &total, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCheck(total == 0, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", total);
  PetscCall(PetscFinalize());
  return 0;
}
