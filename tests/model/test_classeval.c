/* The activation-class evaluator (classeval.h) against the direct O(H N) kernels of network_eval.c on one rank:
 * random networks of several widths and data sizes with breakpoints exactly on data points (and one ulp off),
 * w = 0 neurons, dead and everywhere-active neurons, duplicated neurons; with and without output bias c; sum and
 * mean loss.
 *  - classes: the active set of every neuron's class is exactly the direct predicate's mask (w x_n + b > 0) at
 *    every point, and its size is SLNetworkActiveCounts'; SLNetworkDeadCount and SLNetworkBreakpointsOnData
 *    (binary search on the sorted points) count exactly what direct loops over every point count;
 *  - residual, loss, gradient (SLNetworkLossGradient) and residual blocks (SLNetworkResidualBlocks) agree to
 *    1e-13 relative to the scale of their rounding errors: sf_n = sum_i |v_i| (|w_i x_n| + |b_i|) + |c| for f_n
 *    (f itself may cancel far below it), and for the gradient the same sums with |r_n| + sf_n in place of r_n
 *    (e.g. scale |v_i| sum_n |x_n| (|r_n| + sf_n) for dl/dw_i);
 *  - incremental updates along random perturbations that move breakpoints across data points (and snap some
 *    back onto data points, flip signs of w, set w = 0) give bitwise the classes, residual and gradient of an
 *    evaluator built from scratch, and report exactly the number of neurons whose class changed. */
#include <string.h>
#include "test_classeval_util.h"

#define SAME(a, b, n) (memcmp((a), (b), (size_t)(n) * sizeof(*(a))) == 0)
#define RTOL          1e-13

static PetscReal RelErr(PetscReal a, PetscReal b, PetscReal scale)
{
  if (a == b) return 0.0;
  return scale > 0 ? PetscAbsReal(a - b) / scale : PETSC_INFINITY;
}

/* Class evaluator vs direct kernels at the network's current parameters; worst relative error in *worst. */
static PetscErrorCode CompareDirect(SLNetwork net, SLData data, SLClassEval ce, SLLossType type, const char what[], PetscInt *nfail, PetscReal *worst)
{
  const PetscInt   N = data->N, H = net->H;
  const PetscReal *x = data->x, *th = net->theta, sc = SLLossScale(type, N);
  const PetscInt  *cls;
  PetscInt         P, nc, *cnt, nbad = 0;
  PetscReal       *rd, *rc, *gd, *gc, *ad, *dd, *ac, *dc, *sf, ld, lc, lc2, e, er = 0, eg = 0, eb = 0, sum_rf = 0, sum_xrf = 0;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc6(N, &rd, N, &rc, P, &gd, P, &gc, H, &ad, H, &dd));
  PetscCall(PetscMalloc4(H, &ac, H, &dc, N, &sf, H, &cnt));
  PetscCall(SLNetworkLossGradient(net, data, type, &ld, gd, rd));
  PetscCall(SLClassEvalLossGradient(ce, type, &lc, gc, rc));
  PetscCall(SLClassEvalLoss(ce, type, &lc2));
  TCHECK(SAME(&lc, &lc2, 1), *nfail, "%s: SLClassEvalLoss differs from SLClassEvalLossGradient's loss", what);

  /* classes are the direct masks */
  PetscCall(SLClassEvalGetClasses(ce, &nc, &cls));
  TCHECK(nc == 2 * N + 2, *nfail, "%s: nc = %" PetscInt_FMT, what, nc);
  PetscCall(SLNetworkActiveCounts(net, data, cnt));
  for (PetscInt i = 0; i < H; i++) {
    PetscInt m = 0;

    TCHECK(cls[i] >= 0 && cls[i] < nc, *nfail, "%s: neuron %" PetscInt_FMT " class %" PetscInt_FMT, what, i, cls[i]);
    for (PetscInt n = 0; n < N; n++) {
      const PetscBool act = th[3 * i] * x[n] + th[3 * i + 1] > 0 ? PETSC_TRUE : PETSC_FALSE;

      if (act != TInClass(cls[i], N, n)) nbad++;
      m += TInClass(cls[i], N, n) ? 1 : 0;
    }
    if (m != cnt[i]) nbad++;
  }
  TCHECK(nbad == 0, *nfail, "%s: %" PetscInt_FMT " class memberships differ from the direct masks", what, nbad);
  { /* the O(1) / O(log N) per neuron counts of the run table against direct loops over every point */
    const PetscReal tols[] = {0.0, 1e-14, 1e-12, 1e-8, 0.5};
    PetscInt        nd     = 0, ndf;

    for (PetscInt i = 0; i < H; i++) nd += cnt[i] == 0;
    PetscCall(SLNetworkDeadCount(net, data, &ndf));
    TCHECK(ndf == nd, *nfail, "%s: SLNetworkDeadCount %" PetscInt_FMT ", direct %" PetscInt_FMT, what, ndf, nd);
    for (size_t k = 0; k < sizeof(tols) / sizeof(tols[0]); k++) {
      PetscInt nb = 0, nbf;

      for (PetscInt i = 0; i < H; i++)
        for (PetscInt n = 0; n < N; n++) {
          const PetscReal wx = th[3 * i] * x[n], b = th[3 * i + 1];

          nb += PetscAbsReal(wx + b) <= tols[k] * (PetscAbsReal(wx) + PetscAbsReal(b));
        }
      PetscCall(SLNetworkBreakpointsOnData(net, data, tols[k], &nbf));
      TCHECK(nbf == nb, *nfail, "%s: SLNetworkBreakpointsOnData(tol %g) %" PetscInt_FMT ", direct %" PetscInt_FMT, what, tols[k], nbf, nb);
    }
  }

  /* residual */
  for (PetscInt n = 0; n < N; n++) {
    sf[n] = net->has_c ? PetscAbsReal(net->c) : 0.0;
    for (PetscInt i = 0; i < H; i++) sf[n] += PetscAbsReal(th[3 * i + 2]) * (PetscAbsReal(th[3 * i] * x[n]) + PetscAbsReal(th[3 * i + 1]));
    er = PetscMax(er, RelErr(rc[n], rd[n], sf[n]));
    sum_rf += PetscAbsReal(rd[n]) + sf[n];
    sum_xrf += PetscAbsReal(x[n]) * (PetscAbsReal(rd[n]) + sf[n]);
  }
  TCHECK(er <= RTOL, *nfail, "%s: residual relative error %g", what, (double)er);
  e = RelErr(lc, ld, sc * sum_rf * (sum_rf / N + 1e-300)); /* |d l| <= sc sum |r| |dr| */
  TCHECK(e <= RTOL, *nfail, "%s: loss %.17g vs %.17g (relative error %g)", what, (double)lc, (double)ld, (double)e);
  er = PetscMax(er, e);

  /* gradient and blocks */
  PetscCall(SLNetworkResidualBlocks(net, data, type, rd, ad, dd));
  PetscCall(SLClassEvalResidualBlocks(ce, type, rd, ac, dc));
  for (PetscInt i = 0; i < H; i++) {
    const PetscReal aw = PetscAbsReal(th[3 * i]), ab = PetscAbsReal(th[3 * i + 1]), av = PetscAbsReal(th[3 * i + 2]);

    eg = PetscMax(eg, RelErr(gc[3 * i], gd[3 * i], sc * av * sum_xrf));
    eg = PetscMax(eg, RelErr(gc[3 * i + 1], gd[3 * i + 1], sc * av * sum_rf));
    eg = PetscMax(eg, RelErr(gc[3 * i + 2], gd[3 * i + 2], sc * (aw * sum_xrf + ab * sum_rf)));
    eb = PetscMax(eb, RelErr(ac[i], ad[i], sc * sum_xrf));
    eb = PetscMax(eb, RelErr(dc[i], dd[i], sc * sum_rf));
    if (cnt[i] == 0) TCHECK(gc[3 * i] == 0 && gc[3 * i + 1] == 0 && gc[3 * i + 2] == 0, *nfail, "%s: dead neuron %" PetscInt_FMT " has a nonzero gradient", what, i);
  }
  if (net->has_c) eg = PetscMax(eg, RelErr(gc[3 * H], gd[3 * H], sc * sum_rf));
  TCHECK(eg <= RTOL, *nfail, "%s: gradient relative error %g", what, (double)eg);
  TCHECK(eb <= RTOL, *nfail, "%s: residual blocks relative error %g", what, (double)eb);
  *worst = PetscMax(*worst, PetscMax(er, PetscMax(eg, eb)));
  PetscCall(PetscFree6(rd, rc, gd, gc, ad, dd));
  PetscCall(PetscFree4(ac, dc, sf, cnt));
  PetscFunctionReturn(0);
}

/* The evaluator after updates vs one built from scratch: bitwise. */
static PetscErrorCode CompareFresh(SLNetwork net, SLData data, SLClassEval ce, SLLossType type, const char what[], PetscInt *nfail)
{
  SLClassEval     fresh;
  const PetscInt *c1, *c2;
  const PetscInt  N = data->N;
  PetscInt        P;
  PetscReal      *r1, *r2, *g1, *g2, l1, l2;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc4(N, &r1, N, &r2, P, &g1, P, &g2));
  PetscCall(SLClassEvalCreate(net, data, &fresh));
  PetscCall(SLClassEvalGetClasses(ce, NULL, &c1));
  PetscCall(SLClassEvalGetClasses(fresh, NULL, &c2));
  TCHECK(SAME(c1, c2, net->hlocal), *nfail, "%s: incremental classes differ from a fresh build", what);
  PetscCall(SLClassEvalLossGradient(ce, type, &l1, g1, r1));
  PetscCall(SLClassEvalLossGradient(fresh, type, &l2, g2, r2));
  TCHECK(SAME(&l1, &l2, 1) && SAME(r1, r2, N) && SAME(g1, g2, P), *nfail, "%s: incremental loss/residual/gradient differ from a fresh build", what);
  PetscCall(SLClassEvalDestroy(&fresh));
  PetscCall(PetscFree4(r1, r2, g1, g2));
  PetscFunctionReturn(0);
}

static PetscErrorCode Check(PetscInt H, PetscInt N, PetscBool has_c, SLLossType type, PetscInt *nfail, PetscReal *worst, PetscInt *moved)
{
  static const PetscReal steps[] = {1e-4, 3e-2, 0.3, 3e-3, 1.0};
  TLcg                   g       = {(uint64_t)(7919 * H + 31 * N + (has_c ? 1 : 0) + 2 * (PetscInt)type)};
  SLData                 data;
  SLNetwork              net;
  SLClassEval            ce;
  PetscInt               P, *old, nch, ndiff, ncl, ndead;
  PetscReal             *theta;
  const PetscInt        *cls;
  char                   what[96];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "H=%" PetscInt_FMT " N=%" PetscInt_FMT " c=%d %s", H, N, (int)has_c, SLLossTypes[type]));
  PetscCall(TDataRandom(&g, N, -2, 2, &data));
  P = 3 * H + (has_c ? 1 : 0);
  PetscCall(PetscMalloc2(P, &theta, H, &old));
  TClassTheta(&g, H, has_c, data, theta);
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &net));
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLClassEvalCreate(net, data, &ce));
  PetscCall(CompareDirect(net, data, ce, type, what, nfail, worst));
  PetscCall(SLClassEvalGetClassCounts(ce, &ncl, &ndead));
  TCHECK(ncl <= 2 * N && ncl + (ndead > 0 ? 1 : 0) >= 1 && (H < 10 || ndead >= 1), *nfail, "%s: %" PetscInt_FMT " classes, %" PetscInt_FMT " dead", what, ncl, ndead);

  for (PetscInt s = 0; s < (PetscInt)(sizeof(steps) / sizeof(steps[0])); s++) {
    char w2[128];

    PetscCall(PetscSNPrintf(w2, sizeof(w2), "%s step %g", what, (double)steps[s]));
    PetscCall(SLClassEvalGetClasses(ce, NULL, &cls));
    PetscCall(PetscArraycpy(old, cls, H));
    TPerturb(&g, H, has_c, data, steps[s], s, theta);
    PetscCall(SLClassEvalUpdate(ce, theta, &nch));
    PetscCall(SLClassEvalGetClasses(ce, NULL, &cls));
    ndiff = 0;
    for (PetscInt i = 0; i < H; i++) ndiff += cls[i] != old[i] ? 1 : 0;
    TCHECK(nch == ndiff, *nfail, "%s: Update reported %" PetscInt_FMT " changed classes, %" PetscInt_FMT " changed", w2, nch, ndiff);
    *moved += nch;
    PetscCall(CompareFresh(net, data, ce, type, w2, nfail));
    PetscCall(CompareDirect(net, data, ce, type, w2, nfail, worst));
  }
  /* Update with the network already current (theta_local = NULL) changes nothing */
  PetscCall(SLClassEvalUpdate(ce, NULL, &nch));
  TCHECK(nch == 0, *nfail, "%s: a second Update changed %" PetscInt_FMT " classes", what, nch);
  PetscCall(SLClassEvalRebuild(ce));
  PetscCall(CompareFresh(net, data, ce, type, what, nfail));

  PetscCall(SLClassEvalDestroy(&ce));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscCall(PetscFree2(theta, old));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  static const PetscInt Hs[] = {1, 10, 1500, 5000}, Ns[] = {1, 2, 17, 300};
  PetscInt              nfail = 0, moved = 0, ncase = 0;
  PetscReal             worst = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (size_t h = 0; h < sizeof(Hs) / sizeof(Hs[0]); h++)
    for (size_t n = 0; n < sizeof(Ns) / sizeof(Ns[0]); n++)
      for (int c = 0; c < 2; c++)
        for (int t = 0; t < 2; t++) {
          PetscCall(Check(Hs[h], Ns[n], c ? PETSC_TRUE : PETSC_FALSE, t ? SL_LOSS_MEAN : SL_LOSS_SUM, &nfail, &worst, &moved));
          ncase++;
        }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " cases, worst relative error %.3g (tolerance %g), %" PetscInt_FMT " class changes along the perturbations\n", ncase, (double)worst, RTOL, moved));
  TCHECK(moved > 1000, nfail, "the perturbations moved only %" PetscInt_FMT " neurons across data points", moved);
  PetscCheck(nfail == 0, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", nfail);
  PetscCall(PetscFinalize());
  return 0;
}
