/* docs/theory.md section 2 / claims 1-3: the spline (BDSO) view of a network.
 *  - reconstruction: max |f_spline - f_nn| <= 1e-12 max |f| on a grid, flat neurons included;
 *  - rescaling invariance (w, b, v) -> (a w, a b, v / a): same beta, mu, s and f;
 *  - slope jump at beta_i equals mu_i for both orientations (one-neuron networks and a well-separated one);
 *  - inverse map round trips (spline -> network -> spline, network -> spline -> network with c_i = |w_i|);
 *  - parameter get/set, roughness measures and sorted breakpoints against direct computations. */
#include <stdio.h>
#include <string.h>
#include "test_core_util.h"

#define NG 2001

static PetscReal RelDiff(PetscReal a, PetscReal b)
{
  return PetscAbsReal(a - b) / PetscMax(1.0, PetscAbsReal(b));
}

/* The ASCII views name the width, the flat neurons and (detail format) every neuron and breakpoint. */
static PetscErrorCode Views(SLNetwork net, SLSpline sp, PetscInt *nfail)
{
  const char *fname = "core_bdso_view.txt";
  PetscViewer v;
  char        buf[65536], expect[128];
  size_t      len;
  FILE       *fp;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIOpen(PETSC_COMM_SELF, fname, &v));
  PetscCall(PetscViewerPushFormat(v, PETSC_VIEWER_ASCII_INFO_DETAIL));
  PetscCall(SLNetworkView(net, v));
  PetscCall(SLSplineView(sp, v));
  PetscCall(PetscViewerPopFormat(v));
  PetscCall(PetscViewerDestroy(&v));
  fp = fopen(fname, "r");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot reopen %s", fname);
  len      = fread(buf, 1, sizeof(buf) - 1, fp);
  buf[len] = 0;
  fclose(fp);
  PetscCall(PetscSNPrintf(expect, sizeof(expect), "SLNetwork: width H = %" PetscInt_FMT ", P = %" PetscInt_FMT, net->H, 3 * net->H + (net->has_c ? 1 : 0)));
  TCHECK(strstr(buf, expect), *nfail, "network view lacks '%s'", expect);
  PetscCall(PetscSNPrintf(expect, sizeof(expect), "neuron %" PetscInt_FMT ": w = ", net->H - 1));
  TCHECK(strstr(buf, expect), *nfail, "network detail view lacks '%s'", expect);
  PetscCall(PetscSNPrintf(expect, sizeof(expect), "SLSpline: %" PetscInt_FMT " neurons, %" PetscInt_FMT " breakpoints, %" PetscInt_FMT " flat", sp->H, sp->H - sp->nflat, sp->nflat));
  TCHECK(strstr(buf, expect), *nfail, "spline view lacks '%s'", expect);
  PetscFunctionReturn(0);
}

static PetscErrorCode Reconstruction(TLcg *g, PetscBool has_c, PetscInt *nfail)
{
  const PetscInt H = 60;
  SLNetwork      net, net2, net3;
  SLSpline       sp, sp2, sp3;
  PetscReal     *theta, *theta2, *scale, *xg, *fn, *fs, *f2, fmax = 0, err = 0, phi[2 * 60 + 1], phi2[2 * 60 + 1];
  PetscInt       nflat = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(3 * H + 1, &theta, 3 * H + 1, &theta2, H, &scale, NG, &xg, NG, &fn, NG, &fs));
  PetscCall(PetscMalloc1(NG, &f2));
  TRandomTheta(g, H, has_c, NULL, -2.5, 2.5, 0, 7, theta);
  for (PetscInt i = 0; i < H; i++) nflat += theta[3 * i] == 0;
  for (PetscInt k = 0; k < NG; k++) xg[k] = -3 + 6.0 * k / (NG - 1);
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &net));
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLSplineCreateFromNetwork(net, &sp));
  TCHECK(sp->nflat == nflat && nflat > 0, *nfail, "nflat %" PetscInt_FMT ", expected %" PetscInt_FMT, sp->nflat, nflat);
  for (PetscInt i = 0; i < H; i++) {
    const PetscReal w = theta[3 * i], b = theta[3 * i + 1], v = theta[3 * i + 2];
    if (w == 0) {
      TCHECK(sp->s[i] == 0 && PetscIsNanReal(sp->beta[i]) && sp->mu[i] == v * PetscMax(b, 0.0), *nfail, "flat neuron %" PetscInt_FMT " mapped to s %d beta %g mu %g", i, (int)sp->s[i], (double)sp->beta[i], (double)sp->mu[i]);
    } else {
      TCHECK(sp->s[i] == (w > 0 ? 1 : -1) && sp->beta[i] == -b / w && sp->mu[i] == v * PetscAbsReal(w), *nfail, "neuron %" PetscInt_FMT " mapped wrongly", i);
    }
  }
  PetscCall(SLNetworkEvaluate(net, NG, xg, fn));
  PetscCall(SLSplineEvaluate(sp, NG, xg, fs));
  for (PetscInt k = 0; k < NG; k++) {
    fmax = PetscMax(fmax, PetscAbsReal(fn[k]));
    err  = PetscMax(err, PetscAbsReal(fs[k] - fn[k]));
  }
  TCHECK(fmax > 0.1 && err <= 1e-12 * fmax, *nfail, "c=%d: reconstruction error %g, max|f| %g", (int)has_c, (double)err, (double)fmax);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "c=%d: BDSO reconstruction error %.2e relative\n", (int)has_c, (double)(err / fmax)));
  if (has_c) PetscCall(Views(net, sp, nfail));

  /* rescaling invariance */
  for (PetscInt i = 0; i < H; i++) {
    const PetscReal a = PetscPowReal(10.0, TUniform(g, -1, 1));
    theta2[3 * i]     = a * theta[3 * i];
    theta2[3 * i + 1] = a * theta[3 * i + 1];
    theta2[3 * i + 2] = theta[3 * i + 2] / a;
  }
  if (has_c) theta2[3 * H] = theta[3 * H];
  PetscCall(SLNetworkDuplicate(net, &net2));
  PetscCall(SLNetworkSetParameters(net2, theta2));
  PetscCall(SLSplineCreateFromNetwork(net2, &sp2));
  err = 0;
  for (PetscInt i = 0; i < H; i++) {
    TCHECK(sp2->s[i] == sp->s[i], *nfail, "rescaling changed orientation of neuron %" PetscInt_FMT, i);
    if (sp->s[i]) err = PetscMax(err, RelDiff(sp2->beta[i], sp->beta[i]));
    else TCHECK(PetscIsNanReal(sp2->beta[i]), *nfail, "rescaled flat neuron %" PetscInt_FMT " got a breakpoint", i);
    err = PetscMax(err, RelDiff(sp2->mu[i], sp->mu[i]));
  }
  TCHECK(err <= 1e-14, *nfail, "rescaling changed beta/mu by %g", (double)err);
  PetscCall(SLNetworkEvaluate(net2, NG, xg, f2));
  err = 0;
  for (PetscInt k = 0; k < NG; k++) err = PetscMax(err, PetscAbsReal(f2[k] - fn[k]));
  TCHECK(err <= 1e-12 * fmax, *nfail, "rescaling changed f by %g", (double)err);

  /* spline -> network with random hidden scales -> spline: same spline and f */
  for (PetscInt i = 0; i < H; i++) scale[i] = TUniform(g, 0.2, 5);
  PetscCall(SLNetworkDuplicate(net, &net3));
  PetscCall(SLSplineToNetwork(sp, scale, net3));
  PetscCall(SLSplineCreateFromNetwork(net3, &sp3));
  err = 0;
  for (PetscInt i = 0; i < H; i++) {
    TCHECK(sp3->s[i] == sp->s[i], *nfail, "inverse map changed orientation of neuron %" PetscInt_FMT, i);
    if (sp->s[i]) {
      err = PetscMax(err, RelDiff(sp3->beta[i], sp->beta[i]));
      TCHECK(PetscAbsReal(PetscAbsReal(net3->theta[3 * i]) - scale[i]) <= 1e-15 * scale[i], *nfail, "inverse map: |w| != c_i");
    } else TCHECK(net3->theta[3 * i] == 0 && net3->theta[3 * i + 1] == scale[i], *nfail, "inverse map of flat neuron %" PetscInt_FMT, i);
    err = PetscMax(err, RelDiff(sp3->mu[i], sp->mu[i]));
  }
  TCHECK(err <= 1e-14 && sp3->c == sp->c && net3->c == net->c, *nfail, "spline -> network -> spline error %g", (double)err);
  PetscCall(SLNetworkEvaluate(net3, NG, xg, f2));
  err = 0;
  for (PetscInt k = 0; k < NG; k++) err = PetscMax(err, PetscAbsReal(f2[k] - fn[k]));
  TCHECK(err <= 1e-12 * fmax, *nfail, "inverse map changed f by %g", (double)err);

  /* network -> spline -> network with c_i = |w_i| (flat: c_i = b_i when b_i > 0) recovers theta */
  for (PetscInt i = 0; i < H; i++) scale[i] = theta[3 * i] != 0 ? PetscAbsReal(theta[3 * i]) : (theta[3 * i + 1] > 0 ? theta[3 * i + 1] : 1.0);
  PetscCall(SLSplineToNetwork(sp, scale, net3));
  err = 0;
  for (PetscInt i = 0; i < H; i++) {
    if (theta[3 * i] == 0 && theta[3 * i + 1] <= 0) continue; /* mu = 0: (0, b<=0, v) is not recoverable */
    for (PetscInt j = 0; j < 3; j++) err = PetscMax(err, RelDiff(net3->theta[3 * i + j], theta[3 * i + j]));
  }
  TCHECK(err <= 1e-14, *nfail, "network -> spline -> network error %g", (double)err);

  /* NULL scale: unit hidden weights */
  PetscCall(SLSplineToNetwork(sp, NULL, net3));
  for (PetscInt i = 0; i < H; i++) TCHECK(net3->theta[3 * i] == (PetscReal)sp->s[i], *nfail, "NULL scale: w_%" PetscInt_FMT " = %g", i, (double)net3->theta[3 * i]);

  /* parameter round trip, and set/get keeps orientations and flat neurons */
  PetscCall(SLSplineGetParameters(sp, phi));
  for (PetscInt i = 0; i < H; i++) TCHECK((sp->s[i] == 0 ? PetscIsNanReal(phi[2 * i]) : phi[2 * i] == sp->beta[i]) && phi[2 * i + 1] == sp->mu[i], *nfail, "GetParameters neuron %" PetscInt_FMT, i);
  for (PetscInt i = 0; i < H; i++) phi[2 * i] = sp->s[i] ? phi[2 * i] + 0.25 : 1.0;
  if (has_c) {
    TCHECK(phi[2 * H] == sp->c, *nfail, "GetParameters c");
    phi[2 * H] += 1;
  }
  PetscCall(SLSplineSetParameters(sp2, phi));
  PetscCall(SLSplineGetParameters(sp2, phi2));
  for (PetscInt i = 0; i < H; i++) {
    TCHECK(sp2->s[i] == sp->s[i], *nfail, "SetParameters changed orientation");
    TCHECK(sp->s[i] == 0 ? PetscIsNanReal(phi2[2 * i]) : phi2[2 * i] == phi[2 * i], *nfail, "SetParameters beta neuron %" PetscInt_FMT, i);
  }
  if (has_c) TCHECK(sp2->c == phi[2 * H], *nfail, "SetParameters c");

  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLSplineDestroy(&sp2));
  PetscCall(SLSplineDestroy(&sp3));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLNetworkDestroy(&net2));
  PetscCall(SLNetworkDestroy(&net3));
  PetscCall(PetscFree6(theta, theta2, scale, xg, fn, fs));
  PetscCall(PetscFree(f2));
  PetscFunctionReturn(0);
}

/* Slope of f left and right of x0 from one-sided differences at distance delta (f is linear there). */
static PetscErrorCode SlopeJump(SLSpline sp, PetscReal x0, PetscReal delta, PetscReal *jump)
{
  PetscReal x[4] = {x0 - 2 * delta, x0 - delta, x0 + delta, x0 + 2 * delta}, f[4];

  PetscFunctionBeginUser;
  PetscCall(SLSplineEvaluate(sp, 4, x, f));
  *jump = (f[3] - f[2]) / delta - (f[1] - f[0]) / delta;
  PetscFunctionReturn(0);
}

static PetscErrorCode SlopeJumps(TLcg *g, PetscInt *nfail)
{
  SLNetwork net;
  SLSpline  sp;
  PetscReal jump, jn;

  PetscFunctionBeginUser;
  /* one neuron, both orientations, both signs of v */
  for (PetscInt o = 0; o < 4; o++) {
    PetscReal theta[4] = {(o % 2) ? -0.7 : 0.7, 0.21, (o / 2) ? -1.3 : 1.3, 0.5};
    PetscReal x[4], f[4];

    PetscCall(SLNetworkCreate(PETSC_COMM_SELF, 1, PETSC_TRUE, &net));
    PetscCall(SLNetworkSetParameters(net, theta));
    PetscCall(SLSplineCreateFromNetwork(net, &sp));
    PetscCall(SlopeJump(sp, sp->beta[0], 1e-3, &jump));
    TCHECK(PetscAbsReal(jump - sp->mu[0]) <= 1e-9, *nfail, "one neuron w=%g v=%g: slope jump %.15g, mu %.15g", (double)theta[0], (double)theta[2], (double)jump, (double)sp->mu[0]);
    /* also measured on the network itself */
    for (PetscInt k = 0; k < 4; k++) x[k] = sp->beta[0] + 1e-3 * (k < 2 ? k - 2 : k - 1);
    PetscCall(SLNetworkEvaluate(net, 4, x, f));
    jn = (f[3] - f[2]) / 1e-3 - (f[1] - f[0]) / 1e-3;
    TCHECK(PetscAbsReal(jn - sp->mu[0]) <= 1e-9, *nfail, "one neuron NN slope jump %.15g, mu %.15g", (double)jn, (double)sp->mu[0]);
    PetscCall(SLSplineDestroy(&sp));
    PetscCall(SLNetworkDestroy(&net));
  }
  /* several neurons with breakpoints 0.5 apart: each jump is its own mu */
  {
    const PetscInt H = 8;
    PetscReal      theta[24];

    for (PetscInt i = 0; i < H; i++) {
      PetscReal w = TUniform(g, 0.3, 2) * (i % 3 == 0 ? -1 : 1), beta = -2 + 0.5 * i + TUniform(g, -0.1, 0.1);
      theta[3 * i]     = w;
      theta[3 * i + 1] = -w * beta;
      theta[3 * i + 2] = TUniform(g, -1, 1);
    }
    PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_FALSE, &net));
    PetscCall(SLNetworkSetParameters(net, theta));
    PetscCall(SLSplineCreateFromNetwork(net, &sp));
    for (PetscInt i = 0; i < H; i++) {
      PetscCall(SlopeJump(sp, sp->beta[i], 1e-3, &jump));
      TCHECK(PetscAbsReal(jump - sp->mu[i]) <= 1e-9, *nfail, "neuron %" PetscInt_FMT " (s=%d): slope jump %.15g, mu %.15g", i, (int)sp->s[i], (double)jump, (double)sp->mu[i]);
    }
    PetscCall(SLSplineDestroy(&sp));
    PetscCall(SLNetworkDestroy(&net));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Measures(TLcg *g, PetscInt *nfail)
{
  const PetscInt  H    = 200;
  const PetscReal xmin = -1, xmax = 2; /* powers of two: w * x is exact, so -b / w hits them exactly */
  SLNetwork       net;
  SLSpline        sp;
  SLRoughness     R;
  PetscReal      *theta, *bs, Rt = 0, Ri = 0, kink = 0, err;
  PetscInt       *idx, nb, nin = 0, nnf = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(3 * H, &theta, H, &bs, H, &idx));
  TRandomTheta(g, H, PETSC_FALSE, NULL, -4, 4, 0, 9, theta);
  theta[3 * 5 + 1] = -theta[3 * 5] * xmin; /* breakpoints exactly on both ends count as inside */
  theta[3 * 6 + 1] = -theta[3 * 6] * xmax;
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_FALSE, &net));
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLSplineCreateFromNetwork(net, &sp));
  TCHECK(sp->beta[5] == xmin && sp->beta[6] == xmax, *nfail, "end breakpoints not exact");
  for (PetscInt i = 0; i < H; i++) {
    if (sp->s[i] == 0) continue;
    nnf++;
    Rt += sp->mu[i] * sp->mu[i];
    if (sp->beta[i] >= xmin && sp->beta[i] <= xmax) {
      nin++;
      Ri += sp->mu[i] * sp->mu[i];
      kink = PetscMax(kink, PetscAbsReal(sp->mu[i]));
    }
  }
  PetscCall(SLSplineRoughness(sp, xmin, xmax, &R));
  err = PetscMax(RelDiff(R.R_total, Rt), RelDiff(R.R_in, Ri));
  TCHECK(err <= 1e-14 && R.n_in == nin && R.max_kink == kink && R.frac_in == (PetscReal)nin / nnf && nin > 0 && nin < nnf, *nfail, "roughness: R_total %g/%g R_in %g/%g n_in %" PetscInt_FMT "/%" PetscInt_FMT " frac %g max_kink %g/%g", (double)R.R_total, (double)Rt,
         (double)R.R_in, (double)Ri, R.n_in, nin, (double)R.frac_in, (double)R.max_kink, (double)kink);
  PetscCall(SLSplineSortedBreakpoints(sp, &nb, bs, idx));
  TCHECK(nb == nnf && nb == H - sp->nflat, *nfail, "sorted breakpoints: %" PetscInt_FMT " of %" PetscInt_FMT, nb, nnf);
  for (PetscInt j = 0; j < nb; j++) {
    TCHECK(idx[j] >= 0 && idx[j] < H && sp->s[idx[j]] != 0 && bs[j] == sp->beta[idx[j]], *nfail, "sorted breakpoint %" PetscInt_FMT " has wrong index", j);
    if (j > 0) TCHECK(bs[j] >= bs[j - 1], *nfail, "breakpoints not sorted at %" PetscInt_FMT, j);
  }
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(PetscFree3(theta, bs, idx));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  TLcg     g     = {77};
  PetscInt nfail = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(Reconstruction(&g, PETSC_FALSE, &nfail));
  PetscCall(Reconstruction(&g, PETSC_TRUE, &nfail));
  PetscCall(SlopeJumps(&g, &nfail));
  PetscCall(Measures(&g, &nfail));
  PetscCheck(nfail == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", nfail);
  PetscCall(PetscFinalize());
  return 0;
}
