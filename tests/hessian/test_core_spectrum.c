/* docs/theory.md section 4, spectral facts (claim 8), checked with LAPACK dsyev:
 *  - residual blocks: (a_i, d_i) and e_i equal direct sums; the dense RESIDUAL part is exactly these blocks;
 *    each 3x3 NN block has eigenvalues (-e, 0, +e), e = sqrt(a^2 + d^2); each 2x2 BDSO block +-|e_i|;
 *  - at random points #negative eigenvalues of the full Hessian <= #neurons with a nonzero block <= H;
 *  - at an interpolating point (y := f(x), r = 0) the nonzero spectrum of the Hessian is the spectrum of the
 *    N x N Gram matrix scale J J^T (1e-9 relative), and #zero eigenvalues >= P - min(N, 2H (+1)).
 * Both coordinate systems, with and without output bias, sum and mean loss. */
#include <stdlib.h>
#include "test_core_util.h"

static const PetscReal tol = 1e-9;

static int CmpDesc(const void *a, const void *b)
{
  const PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return (x < y) - (x > y);
}

/* Network + data with breakpoints away from the data. */
static PetscErrorCode Setup(TLcg *g, PetscInt H, PetscInt N, PetscBool has_c, SLData *data, SLNetwork *net, SLSpline *sp)
{
  PetscReal *theta;

  PetscFunctionBeginUser;
  PetscCall(TDataRandom(g, N, -1, 1, data));
  PetscCall(PetscMalloc1(3 * H + 1, &theta));
  TRandomTheta(g, H, has_c, *data, -0.9, 0.9, 0.01, 0, theta); /* kinks inside the data: rank bound attained */
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, net));
  PetscCall(SLNetworkSetParameters(*net, theta));
  PetscCall(SLSplineCreateFromNetwork(*net, sp));
  PetscCall(PetscFree(theta));
  PetscFunctionReturn(0);
}

static PetscErrorCode Blocks(TLcg *g, PetscBool has_c, SLLossType type, PetscInt *nfail)
{
  const PetscInt H = 6, N = 15;
  SLData         data = NULL;
  SLNetwork      net;
  SLSpline       sp;
  Mat            R;
  PetscInt       P;
  PetscReal      r[15], rs[15], a[6], d[6], e[6], *A, scale = SLLossScale(type, N);

  PetscFunctionBeginUser;
  PetscCall(Setup(g, H, N, has_c, &data, &net, &sp));
  /* NN: 3x3 blocks */
  PetscCall(SLNetworkResidual(net, data, r));
  PetscCall(SLNetworkResidualBlocks(net, data, type, r, a, d));
  PetscCall(SLNetworkHessianDense(net, data, type, SL_HESS_RESIDUAL, &R));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc1(P * P, &A));
  PetscCall(TMatToArray(R, A));
  for (PetscInt i = 0; i < H; i++) {
    const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];
    PetscReal       sa = 0, sd = 0, blk[9], ev[3], ee;

    for (PetscInt n = 0; n < N; n++)
      if (w * data->x[n] + b > 0) {
        sa += r[n] * data->x[n];
        sd += r[n];
      }
    TCHECK(PetscAbsReal(a[i] - scale * sa) <= 1e-14 * PetscMax(1, PetscAbsReal(sa)) && PetscAbsReal(d[i] - scale * sd) <= 1e-14 * PetscMax(1, PetscAbsReal(sd)), *nfail, "NN block %" PetscInt_FMT ": a %g vs %g, d %g vs %g", i, (double)a[i], (double)(scale * sa), (double)d[i], (double)(scale * sd));
    for (PetscInt q = 0; q < 3; q++)
      for (PetscInt p = 0; p < 3; p++) blk[p + 3 * q] = A[(3 * i + p) + (3 * i + q) * P];
    TCHECK(blk[0] == 0 && blk[4] == 0 && blk[8] == 0 && blk[1] == 0 && blk[3] == 0 && blk[2] == a[i] && blk[6] == a[i] && blk[5] == d[i] && blk[7] == d[i], *nfail, "NN dense residual block %" PetscInt_FMT " is not [[0,0,a],[0,0,d],[a,d,0]]", i);
    PetscCall(TSymEig(3, blk, ev));
    ee = PetscSqrtReal(a[i] * a[i] + d[i] * d[i]);
    TCHECK(PetscAbsReal(ev[0] + ee) <= 1e-13 * ee && PetscAbsReal(ev[1]) <= 1e-13 * ee && PetscAbsReal(ev[2] - ee) <= 1e-13 * ee, /* dead neuron: all 0 */ *nfail, "NN block %" PetscInt_FMT " eigenvalues %g %g %g, expected -+%g, 0", i, (double)ev[0], (double)ev[1], (double)ev[2], (double)ee);
  }
  /* nothing outside the diagonal blocks */
  for (PetscInt q = 0; q < P; q++)
    for (PetscInt p = 0; p < P; p++)
      if (p / 3 != q / 3 || p == 3 * H || q == 3 * H) TCHECK(A[p + q * P] == 0, *nfail, "NN residual part nonzero at (%" PetscInt_FMT ",%" PetscInt_FMT ")", p, q);
  PetscCall(PetscFree(A));
  PetscCall(MatDestroy(&R));

  /* BDSO: 2x2 blocks, residuals of the spline itself */
  {
    PetscReal loss;
    PetscCall(SLSplineLossGradient(sp, data, type, &loss, NULL, rs));
  }
  PetscCall(SLSplineResidualBlocks(sp, data, type, rs, e));
  PetscCall(SLSplineHessianDense(sp, data, type, SL_HESS_RESIDUAL, &R));
  PetscCall(SLSplineGetSizes(sp, &P, NULL));
  PetscCall(PetscMalloc1(P * P, &A));
  PetscCall(TMatToArray(R, A));
  for (PetscInt i = 0; i < H; i++) {
    PetscReal sr = 0, blk[4], ev[2];

    for (PetscInt n = 0; n < N; n++)
      if (sp->s[i] * (data->x[n] - sp->beta[i]) > 0) sr += rs[n];
    TCHECK(PetscAbsReal(e[i] + scale * sp->s[i] * sr) <= 1e-14 * PetscMax(1, PetscAbsReal(sr)), *nfail, "BDSO block %" PetscInt_FMT ": e %g vs %g", i, (double)e[i], (double)(-scale * sp->s[i] * sr));
    blk[0] = A[2 * i + 2 * i * P];
    blk[1] = A[2 * i + 1 + 2 * i * P];
    blk[2] = A[2 * i + (2 * i + 1) * P];
    blk[3] = A[2 * i + 1 + (2 * i + 1) * P];
    TCHECK(blk[0] == 0 && blk[3] == 0 && blk[1] == e[i] && blk[2] == e[i], *nfail, "BDSO dense residual block %" PetscInt_FMT " is not [[0,e],[e,0]]", i);
    PetscCall(TSymEig(2, blk, ev));
    TCHECK(PetscAbsReal(ev[0] + PetscAbsReal(e[i])) <= 1e-14 * PetscAbsReal(e[i]) && PetscAbsReal(ev[1] - PetscAbsReal(e[i])) <= 1e-14 * PetscAbsReal(e[i]), *nfail, "BDSO block %" PetscInt_FMT " eigenvalues %g %g, e %g", i, (double)ev[0], (double)ev[1], (double)e[i]);
  }
  for (PetscInt q = 0; q < P; q++)
    for (PetscInt p = 0; p < P; p++)
      if (p / 2 != q / 2 || p == 2 * H || q == 2 * H) TCHECK(A[p + q * P] == 0, *nfail, "BDSO residual part nonzero at (%" PetscInt_FMT ",%" PetscInt_FMT ")", p, q);
  PetscCall(PetscFree(A));
  PetscCall(MatDestroy(&R));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscFunctionReturn(0);
}

/* #negative eigenvalues <= #neurons with a nonzero residual block <= H; returns the NN and BDSO counts. */
static PetscErrorCode NegativeCount(TLcg *g, PetscBool has_c, SLLossType type, PetscInt *nneg_total, PetscInt *nfail)
{
  const PetscInt H = 10, N = 25;
  SLData         data = NULL;
  SLNetwork      net;
  SLSpline       sp;
  Mat            Hm;
  PetscInt       P, nneg, nact;
  PetscReal      r[25], a[10], d[10], e[10], ev[31];

  PetscFunctionBeginUser;
  PetscCall(Setup(g, H, N, has_c, &data, &net, &sp));
  PetscCall(SLNetworkHessianDense(net, data, type, SL_HESS_FULL, &Hm));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(TMatEig(Hm, ev));
  PetscCall(SLNetworkResidual(net, data, r));
  PetscCall(SLNetworkResidualBlocks(net, data, type, r, a, d));
  nneg = nact = 0;
  for (PetscInt p = 0; p < P; p++) nneg += ev[p] < -tol * ev[P - 1];
  for (PetscInt i = 0; i < H; i++) nact += (a[i] != 0 || d[i] != 0);
  TCHECK(nneg <= nact && nact <= H, *nfail, "NN: %" PetscInt_FMT " negative eigenvalues, %" PetscInt_FMT " nonzero blocks, H %" PetscInt_FMT, nneg, nact, H);
  *nneg_total += nneg;
  PetscCall(MatDestroy(&Hm));

  PetscCall(SLSplineHessianDense(sp, data, type, SL_HESS_FULL, &Hm));
  PetscCall(SLSplineGetSizes(sp, &P, NULL));
  PetscCall(TMatEig(Hm, ev));
  {
    PetscReal loss;
    PetscCall(SLSplineLossGradient(sp, data, type, &loss, NULL, r));
  }
  PetscCall(SLSplineResidualBlocks(sp, data, type, r, e));
  nneg = nact = 0;
  for (PetscInt p = 0; p < P; p++) nneg += ev[p] < -tol * ev[P - 1];
  for (PetscInt i = 0; i < H; i++) nact += e[i] != 0;
  TCHECK(nneg <= nact && nact <= H, *nfail, "BDSO: %" PetscInt_FMT " negative eigenvalues, %" PetscInt_FMT " nonzero blocks, H %" PetscInt_FMT, nneg, nact, H);
  *nneg_total += nneg;
  PetscCall(MatDestroy(&Hm));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscFunctionReturn(0);
}

/* Compare the Hessian spectrum at r = 0 with the Gram spectrum; count zero eigenvalues. */
static PetscErrorCode CompareGram(const char *what, Mat Hm, PetscInt P, PetscInt N, const PetscReal J[], PetscReal scale, PetscInt rank_bound, PetscInt *nfail)
{
  PetscReal *ev, *G, *evg, lmax, err = 0;
  PetscInt   nzero = 0, m = PetscMin(N, P);

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(P, &ev, N * N, &G, N, &evg));
  PetscCall(TMatEig(Hm, ev));
  for (PetscInt n = 0; n < N; n++)
    for (PetscInt k = 0; k < N; k++) {
      PetscReal s = 0;
      for (PetscInt p = 0; p < P; p++) s += J[n * P + p] * J[k * P + p];
      G[n + k * N] = scale * s;
    }
  PetscCall(TSymEig(N, G, evg));
  qsort(ev, (size_t)P, sizeof(PetscReal), CmpDesc);
  qsort(evg, (size_t)N, sizeof(PetscReal), CmpDesc);
  lmax = ev[0];
  for (PetscInt k = 0; k < m; k++) err = PetscMax(err, PetscAbsReal(ev[k] - evg[k]));
  for (PetscInt k = m; k < P; k++) err = PetscMax(err, PetscAbsReal(ev[k]));
  for (PetscInt k = m; k < N; k++) err = PetscMax(err, PetscAbsReal(evg[k]));
  for (PetscInt k = 0; k < P; k++) nzero += PetscAbsReal(ev[k]) <= tol * lmax;
  TCHECK(lmax > 0 && err <= tol * lmax, *nfail, "%s: Hessian vs Gram spectrum differ by %g (lambda_max %g)", what, (double)err, (double)lmax);
  TCHECK(nzero >= P - PetscMin(N, rank_bound), *nfail, "%s: %" PetscInt_FMT " zero eigenvalues, expected >= %" PetscInt_FMT, what, nzero, P - PetscMin(N, rank_bound));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: P %" PetscInt_FMT " N %" PetscInt_FMT ": %" PetscInt_FMT " zero eigenvalues (bound %" PetscInt_FMT "), spectrum error %.2e relative\n", what, P, N, nzero, P - PetscMin(N, rank_bound), (double)(err / lmax)));
  PetscCall(PetscFree3(ev, G, evg));
  PetscFunctionReturn(0);
}

static PetscErrorCode Interpolating(TLcg *g, PetscInt H, PetscInt N, PetscBool has_c, SLLossType type, PetscInt *nfail)
{
  SLData     data = NULL;
  SLNetwork  net;
  SLSpline   sp;
  Mat        Hm;
  PetscInt   P, ib = has_c ? 1 : 0;
  PetscReal *J, *r, scale = SLLossScale(type, N), loss;
  char       what[96];

  PetscFunctionBeginUser;
  PetscCall(Setup(g, H, N, has_c, &data, &net, &sp));
  PetscCall(PetscMalloc2(N * (3 * H + 1), &J, N, &r));

  /* NN: y := f(x), so r = 0 exactly */
  PetscCall(SLNetworkEvaluate(net, N, data->x, data->y));
  PetscCall(SLNetworkLossGradient(net, data, type, &loss, NULL, r));
  TCHECK(loss == 0, *nfail, "NN interpolating loss %g", (double)loss);
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(SLNetworkJacobian(net, data, J));
  PetscCall(SLNetworkHessianDense(net, data, type, SL_HESS_FULL, &Hm));
  PetscCall(PetscSNPrintf(what, sizeof(what), "NN H=%" PetscInt_FMT " c=%d %s", H, (int)has_c, SLLossTypes[type]));
  PetscCall(CompareGram(what, Hm, P, N, J, scale, 2 * H + ib, nfail));
  PetscCall(MatDestroy(&Hm));

  /* BDSO: y := f_spline(x) */
  PetscCall(SLSplineEvaluate(sp, N, data->x, data->y));
  PetscCall(SLSplineLossGradient(sp, data, type, &loss, NULL, r));
  TCHECK(loss == 0, *nfail, "BDSO interpolating loss %g", (double)loss);
  PetscCall(SLSplineGetSizes(sp, &P, NULL));
  PetscCall(SLSplineJacobian(sp, data, J));
  PetscCall(SLSplineHessianDense(sp, data, type, SL_HESS_FULL, &Hm));
  PetscCall(PetscSNPrintf(what, sizeof(what), "BDSO H=%" PetscInt_FMT " c=%d %s", H, (int)has_c, SLLossTypes[type]));
  PetscCall(CompareGram(what, Hm, P, N, J, scale, 2 * H + ib, nfail));
  PetscCall(MatDestroy(&Hm));

  PetscCall(PetscFree2(J, r));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  TLcg     g     = {4242};
  PetscInt nfail = 0, nneg = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (PetscInt c = 0; c < 2; c++)
    for (PetscInt t = 0; t < 2; t++) {
      const PetscBool has_c = c ? PETSC_TRUE : PETSC_FALSE;

      PetscCall(Blocks(&g, has_c, (SLLossType)t, &nfail));
      for (PetscInt rep = 0; rep < 4; rep++) PetscCall(NegativeCount(&g, has_c, (SLLossType)t, &nneg, &nfail));
      PetscCall(Interpolating(&g, 6, 30, has_c, (SLLossType)t, &nfail)); /* N > 2H: rank bound 2H (+1) */
      PetscCall(Interpolating(&g, 6, 8, has_c, (SLLossType)t, &nfail));  /* N < P: rank bound N      */
    }
  /* the bound must have been exercised: random points are saddles */
  TCHECK(nneg > 0, nfail, "no negative eigenvalue at any random point: the bound was not exercised");
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "negative eigenvalues seen at random points: %" PetscInt_FMT "\n", nneg));
  PetscCheck(nfail == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", nfail);
  PetscCall(PetscFinalize());
  return 0;
}
