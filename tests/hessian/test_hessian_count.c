/* Exact eigenvalue counts by Haynsworth inertia additivity (SLHessianCountBelow, docs/theory.md section 4) against
 * a dense LAPACK spectrum of the same Hessian part: at midpoints between consecutive distinct eigenvalues, at
 * random points at least 1e-6 (relative) from every eigenvalue, and outside the spectrum. NN and BDSO
 * coordinates, random non-critical points, slightly perturbed and exactly interpolating points, all three parts,
 * with/without output bias, sum and mean loss, widths up to 300. */
#include "test_hessian_util.h"

typedef struct {
  SLCoordinates coords;
  PetscInt      H, N;
  PetscBool     has_c;
  SLLossType    type;
  PetscInt      point; /* 0 random, 1 interpolating + 1e-4 perturbation, 2 exactly interpolating */
  PetscInt      flat_every;
} Case;

static PetscReal gap_rtol = 1e-8; /* -gap_rtol: how far apart "distinct" eigenvalues are (probe accuracy) */

static PetscErrorCode CheckPart(const Case *cs, SLModel model, SLData data, SLHessianPart part, PetscInt *nchecked, PetscInt *nskipped)
{
  PetscInt   P = 0, ndist = 0, *dist, checked = 0, skipped = 0;
  PetscReal *ev, scale, lmin, lmax;
  PetscReal  lams[64];
  PetscInt   nl = 0;

  PetscFunctionBeginUser;
  PetscCall(HDenseEig(model, data, cs->type, part, &P, &ev));
  lmin  = ev[0];
  lmax  = ev[P - 1];
  scale = PetscMax(PetscAbsReal(lmin), PetscAbsReal(lmax));
  HCHECK(scale > 0, "zero Hessian");
  /* midpoints of gaps between distinct eigenvalues, 24 spread over the spectrum */
  PetscCall(PetscMalloc1(P, &dist));
  for (PetscInt k = 0; k + 1 < P; k++)
    if (ev[k + 1] - ev[k] > gap_rtol * scale) dist[ndist++] = k;
  for (PetscInt t = 0; t < PetscMin(24, ndist); t++) {
    const PetscInt k = dist[(t * ndist) / PetscMin(24, ndist)];

    lams[nl++] = 0.5 * (ev[k] + ev[k + 1]);
  }
  if (ndist > 0) lams[nl++] = 0.5 * (ev[dist[ndist - 1]] + ev[dist[ndist - 1] + 1]); /* the topmost gap */
  /* random points away from every eigenvalue, and two outside the spectrum */
  for (PetscInt t = 0, tries = 0; t < 10 && tries < 1000; tries++) {
    const PetscReal l   = lmin - 0.05 * scale + (lmax - lmin + 0.1 * scale) * SLRandomUniform01(3, SL_STREAM_TEST + 9, (uint64_t)tries, (uint64_t)P);
    PetscBool       far = PETSC_TRUE;

    for (PetscInt k = 0; k < P && far; k++)
      if (PetscAbsReal(ev[k] - l) < 1e-6 * scale) far = PETSC_FALSE;
    if (far) {
      lams[nl++] = l;
      t++;
    }
  }
  lams[nl++] = lmin - 0.01 * scale;
  lams[nl++] = lmax + 0.01 * scale;
  for (PetscInt t = 0; t < nl; t++) {
    PetscInt  cnt, want = HCountBelow(P, ev, lams[t]);
    PetscBool ok;

    PetscCall(SLHessianCountBelow(model, data, cs->type, part, lams[t], &cnt, &ok));
    if (!ok) {
      skipped++;
      continue;
    }
    HCHECK(cnt == want, "count below %.17g: inertia %" PetscInt_FMT ", dense %" PetscInt_FMT " (coords %s H %" PetscInt_FMT " N %" PetscInt_FMT " c %d loss %s point %" PetscInt_FMT " part %s; lambda range [%g, %g])", (double)lams[t], cnt, want, SLCoordinateNames[cs->coords], cs->H, cs->N,
           (int)cs->has_c, SLLossTypes[cs->type], cs->point, SLHessianParts[part], (double)lmin, (double)lmax);
    checked++;
  }
  HCHECK(checked >= 25 || (checked >= 12 && ndist < 20), "only %" PetscInt_FMT " lambdas checked (%" PetscInt_FMT " skipped, %" PetscInt_FMT " distinct gaps)", checked, skipped, ndist);
  HCHECK(skipped <= 2, "%" PetscInt_FMT " lambdas hit an eigenvalue of R", skipped);
  *nchecked += checked;
  *nskipped += skipped;
  PetscCall(PetscFree(dist));
  PetscCall(PetscFree(ev));
  PetscFunctionReturn(0);
}

/* N^2 above the block reduction's output budget (2^20): S is reduced in several column chunks. Also: lambda on
 * an eigenvalue of R (0 in NN coordinates, +-rho_i) is reported as not ok. */
static PetscErrorCode CheckChunkedAndSingular(PetscInt *nchecked)
{
  SLNetwork  net;
  SLData     data;
  SLModel    model;
  PetscInt   P = 0, cnt, H = 30, N = 1030;
  PetscReal *ev, *r, a[30], d[30], rho;
  PetscBool  ok;

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(N, 77, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, 78, 1.0, 0, &net));
  PetscCall(HModelCreate(SL_COORD_NN, net, &model));
  PetscCall(HDenseEig(model, data, SL_LOSS_SUM, SL_HESS_FULL, &P, &ev));
  for (PetscInt t = 1; t <= 6; t++) {
    const PetscInt  k = (t * (P - 1)) / 7;
    const PetscReal l = 0.5 * (ev[k] + ev[k + 1]);

    if (ev[k + 1] - ev[k] <= 1e-8 * ev[P - 1]) continue;
    PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_FULL, l, &cnt, &ok));
    HCHECK(ok && cnt == k + 1, "chunked S (N = %" PetscInt_FMT "): count below %g is %" PetscInt_FMT " (ok %d), dense %" PetscInt_FMT, N, (double)l, cnt, (int)ok, k + 1);
    (*nchecked)++;
  }
  PetscCall(PetscMalloc1(N, &r));
  PetscCall(SLNetworkResidual(net, data, r));
  PetscCall(SLNetworkResidualBlocks(net, data, SL_LOSS_SUM, r, a, d));
  rho = PetscSqrtReal(a[3] * a[3] + d[3] * d[3]);
  HCHECK(rho > 0, "neuron 3 has no residual block");
  PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_FULL, 0.0, &cnt, &ok));
  HCHECK(!ok && cnt == -1, "lambda = 0 is an eigenvalue of R (NN) but the count is %" PetscInt_FMT " ok %d", cnt, (int)ok);
  PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_RESIDUAL, rho, &cnt, &ok));
  HCHECK(!ok, "lambda = rho_3 is an eigenvalue of R but ok");
  PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_FULL, -rho, &cnt, &ok));
  HCHECK(!ok, "lambda = -rho_3 is an eigenvalue of R but ok");
  PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_GAUSS_NEWTON, 0.0, &cnt, &ok));
  HCHECK(!ok, "lambda = 0 with the Gauss-Newton part (R = 0) but ok");
  PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_GAUSS_NEWTON, -1e-300, &cnt, &ok));
  HCHECK(!ok, "lambda = -1e-300 is numerically 0 for the Gauss-Newton part, but ok");
  {
    PetscReal *evg, lg;
    PetscInt   want;

    /* the null space of J, counted just above 0 (dense: |lambda| < 2e-15 lambda_max; then 2e-11) */
    PetscCall(PetscFree(ev));
    PetscCall(HDenseEig(model, data, SL_LOSS_SUM, SL_HESS_GAUSS_NEWTON, &P, &evg));
    lg   = 1e-13 * evg[P - 1];
    want = HCountBelow(P, evg, lg);
    HCHECK(want == HCountBelow(P, evg, 1e-12 * evg[P - 1]) && want == HCountBelow(P, evg, 1e-14 * evg[P - 1]) && want > 0, "no clean null space in the test Gauss-Newton spectrum");
    PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_GAUSS_NEWTON, -lg, &cnt, &ok));
    HCHECK(ok && cnt == 0, "Gauss-Newton part: %" PetscInt_FMT " eigenvalues below -1e-13 lambda_max", cnt);
    PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_GAUSS_NEWTON, lg, &cnt, &ok));
    HCHECK(ok && cnt == want, "Gauss-Newton part: %" PetscInt_FMT " eigenvalues below 1e-13 lambda_max, dense %" PetscInt_FMT, cnt, want);
    ev = evg;
  }
  PetscCall(PetscFree(r));
  PetscCall(PetscFree(ev));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const Case cases[] = {
    {SL_COORD_NN,   300, 40, PETSC_FALSE, SL_LOSS_SUM,  0, 0},
    {SL_COORD_BDSO, 300, 40, PETSC_TRUE,  SL_LOSS_MEAN, 0, 0},
    {SL_COORD_NN,   100, 25, PETSC_TRUE,  SL_LOSS_SUM,  0, 7},
    {SL_COORD_BDSO, 100, 25, PETSC_FALSE, SL_LOSS_SUM,  0, 7},
    {SL_COORD_NN,   80,  30, PETSC_TRUE,  SL_LOSS_SUM,  1, 0},
    {SL_COORD_BDSO, 80,  30, PETSC_FALSE, SL_LOSS_MEAN, 1, 0},
    {SL_COORD_NN,   60,  50, PETSC_FALSE, SL_LOSS_MEAN, 2, 0},
    {SL_COORD_BDSO, 60,  50, PETSC_TRUE,  SL_LOSS_SUM,  2, 0},
  };
  PetscInt nchecked = 0, nskipped = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-gap_rtol", &gap_rtol, NULL));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    const Case *cs = &cases[c];
    SLNetwork   net;
    SLData      data;
    SLModel     model;

    PetscCall(HDataCreate(cs->N, 21 + (PetscInt)c, &data));
    PetscCall(HNetworkCreate(PETSC_COMM_SELF, cs->H, cs->has_c, 31 + (PetscInt)c, 1.0, cs->flat_every, &net));
    if (cs->point > 0) PetscCall(HDataInterpolate(net, cs->point == 1 ? 1e-4 : 0.0, data));
    PetscCall(HModelCreate(cs->coords, net, &model));
    for (PetscInt part = 0; part < 3; part++) {
      if (cs->point == 2 && part == SL_HESS_RESIDUAL) continue; /* R = 0 exactly: nothing to count */
      PetscCall(CheckPart(cs, model, data, (SLHessianPart)part, &nchecked, &nskipped));
    }
    PetscCall(HModelDestroy(&model));
    PetscCall(SLNetworkDestroy(&net));
    PetscCall(SLDataDestroy(&data));
  }
  PetscCall(CheckChunkedAndSingular(&nchecked));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hessian_count: %" PetscInt_FMT " inertia counts equal the dense counts (%" PetscInt_FMT " lambdas on an eigenvalue of R skipped)\n", nchecked, nskipped));
  PetscCall(PetscFinalize());
  return 0;
}
