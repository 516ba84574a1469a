/* Activation classes (src/hessian_class.c, docs/theory.md section 4) on one rank:
 *  - the class of every neuron (binary search) gives exactly the active set of direct evaluation, NN and BDSO,
 *    including breakpoints exactly on data points, flat (w = 0) and dead neurons, breakpoints far outside;
 *  - class-aggregated J z, J^T u equal the streaming products of network.h / spline.h (1e-13 relative);
 *  - SLHessianCountBelow (class aggregates, O(nc + N^3)) equals the former O(P N^2) count (the oracle kept in
 *    hessian_inertia_direct.c) and the dense LAPACK count at midpoints of spectral gaps, random points and outside
 *    the spectrum: NN and BDSO, all three parts, with / without output bias, sum / mean loss, flat and dead neurons;
 *  - the class-reduced eigenproblem reproduces the whole dense spectrum, multiplicities included (1e-10 of the
 *    spectral radius), and the Krylov-method extremes (k = 6) equal the dense ones with small residuals;
 *  - at an interpolating point the Gram spectrum (spec.gram_values, scale J J^T) equals the nonzero dense
 *    spectrum to 1e-10 relative (eigenvalues above 1e-4 lambda_max; below, to 1e-14 lambda_max), also when
 *    rank J < N. */
#include <slepcsys.h>
#include "test_hessian_util.h"
#include "count_direct.h"
#include "spectrum/spectrum_impl.h" /* white-box: the reduced problem */

/* Overwrite some neurons of a sequential network with special cases (data x sorted, N >= 8). */
static PetscErrorCode SpecialNeurons(SLNetwork net, SLData data)
{
  const PetscReal *x = data->x;
  const PetscInt   N = data->N, H = net->H;
  PetscReal        sp[][3] = {
           {1.0,    -x[3],           0.7 }, /* breakpoint exactly on x_3, w > 0 */
           {-1.0,   x[5],            -0.4}, /* exactly on x_5, w < 0 */
           {0.3,    -0.3 * x[N / 2], 1.1 }, /* on x_{N/2} up to rounding */
           {-2.5,   2.5 * x[N - 2],  0.9 }, /* near the last points, w < 0 */
           {0.0,    0.5,             0.8 }, /* flat, active everywhere (NN) */
           {0.0,    -0.5,            1.2 }, /* flat, dead (NN) */
           {0.0,    0.0,             -0.6}, /* flat, w x + b = 0: dead (NN) */
           {1.0,    50.0,            0.01}, /* breakpoint far left: active everywhere */
           {-1.0,   50.0,            0.02}, /* w < 0, far right: active everywhere */
           {1.0,    -50.0,           0.5 }, /* dead */
           {-1.0,   -50.0,           0.5 }, /* dead */
           {1e-300, 0.0,             0.3 }, /* tiny w, breakpoint at 0 */
           {-0.0,   1.0,             0.4 }, /* negative zero w: flat, active */
           {2.0,    -2.0 * x[0],     0.3 }, /* breakpoint on the first point */
           {-2.0,   2.0 * x[N - 1],  0.3 }, /* on the last point, w < 0 */
  };
  const PetscInt ns = (PetscInt)(sizeof(sp) / sizeof(sp[0]));

  PetscFunctionBeginUser;
  HCHECK(H >= 2 * ns, "network too narrow for the special neurons");
  for (PetscInt t = 0; t < ns; t++)
    for (PetscInt j = 0; j < 3; j++) net->theta[3 * (2 * t + 1) + j] = sp[t][j]; /* odd neurons */
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckMasks(SLModel model, SLData data, PetscInt *nchecked)
{
  SLHessClass cl;
  PetscReal  *col;
  PetscInt    N = data->N;

  PetscFunctionBeginUser;
  PetscCall(SLHessClassCreate(model, data, SL_LOSS_SUM, SL_HESS_FULL, PETSC_FALSE, NULL, NULL, &cl));
  PetscCall(PetscMalloc1(3 * N, &col));
  for (PetscInt i = 0; i < cl->info.hlocal; i++) {
    const PetscInt c = cl->cls[i];

    HCHECK(c >= 0 && c < cl->nc, "class %" PetscInt_FMT " out of range", c);
    for (PetscInt n = 0; n < N; n++) {
      PetscBool act, in = (n >= cl->lo[c] && n < cl->hi[c]) ? PETSC_TRUE : PETSC_FALSE;

      if (model.coords == SL_COORD_NN) {
        const PetscReal w = model.net->theta[3 * i], b = model.net->theta[3 * i + 1];

        act = w * data->x[n] + b > 0 ? PETSC_TRUE : PETSC_FALSE;
      } else {
        const PetscInt s = model.sp->s[i];

        act = s == 0 ? PETSC_TRUE : (s * (data->x[n] - model.sp->beta[i]) > 0 ? PETSC_TRUE : PETSC_FALSE);
      }
      HCHECK(act == in, "%s neuron %" PetscInt_FMT " point %" PetscInt_FMT ": active %d, class %" PetscInt_FMT " [%" PetscInt_FMT ", %" PetscInt_FMT ") says %d", SLCoordinateNames[model.coords], i, n, (int)act, c, cl->lo[c], cl->hi[c], (int)in);
    }
    /* the Jacobian columns are C_i [x m, m]^T */
    {
      PetscReal C[6];

      SLModelNeuronColumns(model, data, i, col, N);
      SLHessClassCoef(cl, i, C);
      for (PetscInt k = 0; k < cl->info.npn; k++)
        for (PetscInt n = 0; n < N; n++) {
          const PetscBool in = (n >= cl->lo[c] && n < cl->hi[c]) ? PETSC_TRUE : PETSC_FALSE;
          const PetscReal v  = in ? C[2 * k] * data->x[n] + C[2 * k + 1] : 0.0;

          HCHECK(PetscAbsReal(v - col[k * N + n]) <= 1e-14 * (PetscAbsReal(col[k * N + n]) + PetscAbsReal(C[2 * k]) + PetscAbsReal(C[2 * k + 1])), "%s neuron %" PetscInt_FMT " column %" PetscInt_FMT " point %" PetscInt_FMT ": C gives %g, direct %g",
                 SLCoordinateNames[model.coords], i, k, n, (double)v, (double)col[k * N + n]);
        }
    }
    (*nchecked)++;
  }
  PetscCall(PetscFree(col));
  PetscCall(SLHessClassDestroy(&cl));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckProducts(SLModel model, SLData data)
{
  SLHessClass cl;
  PetscInt    N = data->N, P;
  PetscReal  *z, *u1, *u2, *z1, *z2, nu = 0, eu = 0, nz = 0, ez = 0;

  PetscFunctionBeginUser;
  PetscCall(SLHessClassCreate(model, data, SL_LOSS_SUM, SL_HESS_FULL, PETSC_FALSE, NULL, NULL, &cl));
  P = cl->info.Plocal;
  PetscCall(PetscMalloc5(P, &z, N, &u1, N, &u2, P, &z1, P, &z2));
  for (PetscInt p = 0; p < P; p++) z[p] = PetscCosReal(0.3 * p + 0.1);
  PetscCall(SLHessClassJacobianApply(cl, z, u1));
  PetscCall(SLModelJacobianApply(model, data, z, u2));
  for (PetscInt n = 0; n < N; n++) {
    nu = PetscMax(nu, PetscAbsReal(u2[n]));
    eu = PetscMax(eu, PetscAbsReal(u1[n] - u2[n]));
  }
  PetscCall(SLHessClassJacobianTransposeApply(cl, u2, z1));
  PetscCall(SLModelJacobianTransposeApply(model, data, u2, z2));
  for (PetscInt p = 0; p < P; p++) {
    nz = PetscMax(nz, PetscAbsReal(z2[p]));
    ez = PetscMax(ez, PetscAbsReal(z1[p] - z2[p]));
  }
  HCHECK(nu > 0 && eu <= 1e-13 * nu && nz > 0 && ez <= 1e-13 * nz, "%s class products: J z %g, J^T u %g relative", SLCoordinateNames[model.coords], (double)(eu / nu), (double)(ez / nz));
  PetscCall(PetscFree5(z, u1, u2, z1, z2));
  PetscCall(SLHessClassDestroy(&cl));
  PetscFunctionReturn(0);
}

typedef struct {
  SLCoordinates coords;
  PetscInt      H, N;
  PetscBool     has_c;
  SLLossType    type;
  PetscInt      point; /* 0 random, 1 interpolating + 1e-4, 2 exactly interpolating */
  PetscInt      flat_every;
  PetscBool     special; /* special neurons (on-data breakpoints, flat, dead) */
} Case;

/* Counts (class, direct, dense), the reduced full spectrum and the Krylov-method extremes for one part. */
static PetscErrorCode CheckPart(const Case *cs, SLModel model, SLData data, SLHessianPart part, PetscInt *ncounts)
{
  PetscInt    P, nl = 0, ndist = 0, *dist;
  PetscReal  *ev, *red, scale, lams[48], err = 0;
  SLHessCount hc;

  PetscFunctionBeginUser;
  PetscCall(HDenseEig(model, data, cs->type, part, &P, &ev));
  scale = PetscMax(PetscAbsReal(ev[0]), PetscAbsReal(ev[P - 1]));
  HCHECK(scale > 0, "zero Hessian");
  PetscCall(PetscMalloc2(P, &dist, P, &red));
  for (PetscInt k = 0; k + 1 < P; k++)
    if (ev[k + 1] - ev[k] > 1e-8 * scale) dist[ndist++] = k;
  for (PetscInt t = 0; t < PetscMin(30, ndist); t++) {
    const PetscInt k = dist[(t * ndist) / PetscMin(30, ndist)];

    lams[nl++] = 0.5 * (ev[k] + ev[k + 1]);
  }
  for (PetscInt t = 0, tries = 0; t < 10 && tries < 1000; tries++) {
    const PetscReal l   = ev[0] - 0.05 * scale + (ev[P - 1] - ev[0] + 0.1 * scale) * SLRandomUniform01(5, SL_STREAM_TEST + 9, (uint64_t)tries, (uint64_t)P);
    PetscBool       far = PETSC_TRUE;

    for (PetscInt k = 0; k < P && far; k++)
      if (PetscAbsReal(ev[k] - l) < 1e-6 * scale) far = PETSC_FALSE;
    if (far) {
      lams[nl++] = l;
      t++;
    }
  }
  lams[nl++] = ev[0] - 0.01 * scale;
  lams[nl++] = ev[P - 1] + 0.01 * scale;
  for (PetscInt t = 0; t < nl; t++) {
    PetscInt  cc, cd, want = HCountBelow(P, ev, lams[t]);
    PetscBool okc, okd;

    PetscCall(SLHessianCountBelow(model, data, cs->type, part, lams[t], &cc, &okc));
    PetscCall(SLHessianCountBelowDirect(model, data, cs->type, part, lams[t], &cd, &okd));
    HCHECK(okc == okd, "lambda %.17g: class ok %d, direct ok %d", (double)lams[t], (int)okc, (int)okd);
    if (!okc) continue;
    HCHECK(cc == cd && cc == want, "count below %.17g: class %" PetscInt_FMT ", direct %" PetscInt_FMT ", dense %" PetscInt_FMT " (%s H %" PetscInt_FMT " N %" PetscInt_FMT " c %d %s point %" PetscInt_FMT " part %s)", (double)lams[t], cc, cd, want, SLCoordinateNames[cs->coords], cs->H, cs->N,
           (int)cs->has_c, SLLossTypes[cs->type], cs->point, SLHessianParts[part]);
    (*ncounts)++;
  }
  /* the whole spectrum from the class-reduced problem */
  PetscCall(SLHessCountCreate(model, data, cs->type, part, &hc));
  PetscCall(SLSpectrumReducedAll(hc, red));
  for (PetscInt k = 0; k < P; k++) err = PetscMax(err, PetscAbsReal(red[k] - ev[k]));
  HCHECK(err <= 1e-10 * scale, "reduced spectrum vs dense: %g of the spectral radius (%s part %s)", (double)(err / scale), SLCoordinateNames[cs->coords], SLHessianParts[part]);
  PetscCall(SLHessCountDestroy(&hc));
  /* Krylov-method extremes (reduced problem) */
  {
    SLSpectrumSolver s;
    SLSpectrum       sp;
    const PetscInt   k = 6;

    PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", "0"));
    PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", "6"));
    PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "0"));
    PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
    PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
    PetscCall(SLSpectrumSolverSetFromOptions(s));
    PetscCall(SLSpectrumSolverCompute(s, model, data, cs->type, part, cs->point > 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_FALSE, &sp));
    HCHECK(sp.method == SL_EIG_KRYLOV && sp.nreduced >= 0 && sp.nreduced <= P && sp.nconv == 2 * k, "reduced extremes: method %s, nreduced %" PetscInt_FMT ", nconv %" PetscInt_FMT, SLEigMethods[sp.method], sp.nreduced, sp.nconv);
    for (PetscInt j = 0; j < 2 * k; j++) {
      const PetscReal ref = j < k ? ev[j] : ev[P - 2 * k + j];

      HCHECK(PetscAbsReal(sp.values[j] - ref) <= 1e-10 * scale, "extreme %" PetscInt_FMT ": %.17g vs dense %.17g", j, (double)sp.values[j], (double)ref);
      HCHECK(sp.residuals[j] <= 1e-10 * scale, "extreme %" PetscInt_FMT ": residual %g (scale %g)", j, (double)sp.residuals[j], (double)scale);
    }
    PetscCall(SLSpectrumReset(&sp));
    PetscCall(SLSpectrumSolverDestroy(&s));
  }
  PetscCall(PetscFree2(dist, red));
  PetscCall(PetscFree(ev));
  PetscFunctionReturn(0);
}

/* Gram spectrum at an exactly interpolating point against the dense nonzero spectrum. */
static PetscErrorCode CheckGram(SLCoordinates coords, PetscInt H, PetscInt N, PetscBool has_c, SLLossType type, SLHessianPart part)
{
  SLNetwork        net;
  SLData           data;
  SLModel          model;
  SLSpectrumSolver s;
  SLSpectrum       sp;
  PetscInt         P, top;
  PetscReal       *ev, lmax;

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(N, 61, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, has_c, 62, 1.0, 5, &net));
  PetscCall(HDataInterpolate(net, 0.0, data));
  PetscCall(HModelCreate(coords, net, &model));
  PetscCall(HDenseEig(model, data, type, part, &P, &ev));
  lmax = ev[P - 1];
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", "100000"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "10"));
  PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  PetscCall(SLSpectrumSolverCompute(s, model, data, type, part, PETSC_TRUE, PETSC_FALSE, &sp));
  HCHECK(sp.ngram == N && sp.gram_values, "ngram %" PetscInt_FMT ", N %" PetscInt_FMT, sp.ngram, N);
  top = PetscMin(N, P);
  for (PetscInt j = 0; j < N; j++) {
    const PetscReal g = sp.gram_values[j];

    HCHECK(j == 0 || g >= sp.gram_values[j - 1], "Gram values not ascending");
    if (j < N - top) HCHECK(PetscAbsReal(g) <= 1e-12 * lmax, "Gram value %" PetscInt_FMT " = %g should be 0 (P = %" PetscInt_FMT " < N)", j, (double)g, P);
    else {
      const PetscReal d = ev[P - N + j];

      HCHECK(PetscAbsReal(g - d) <= 1e-10 * PetscMax(PetscAbsReal(d), 1e-4 * lmax), "%s %s H %" PetscInt_FMT " N %" PetscInt_FMT ": Gram value %" PetscInt_FMT " %.17g, dense %.17g", SLCoordinateNames[coords], SLHessianParts[part], H, N, j, (double)g, (double)d);
    }
  }
  /* the Gram values below 1e-12 lambda_max are the zero eigenvalues beyond the rank bound */
  {
    PetscInt gz = 0, rb = PetscMin(N, 2 * H + (has_c ? 1 : 0));

    for (PetscInt j = 0; j < N; j++)
      if (sp.gram_values[j] <= 1e-12 * lmax) gz++;
    HCHECK(N - gz <= rb, "Gram rank %" PetscInt_FMT " above the bound %" PetscInt_FMT, N - gz, rb);
  }
  PetscCall(SLSpectrumReset(&sp));
  HCHECK(sp.gram_values == NULL && sp.ngram == 0, "reset");
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscCall(PetscFree(ev));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const Case cases[] = {
    {SL_COORD_NN,   240, 36, PETSC_FALSE, SL_LOSS_SUM,  0, 0, PETSC_TRUE },
    {SL_COORD_BDSO, 240, 36, PETSC_TRUE,  SL_LOSS_MEAN, 0, 0, PETSC_TRUE },
    {SL_COORD_NN,   150, 20, PETSC_TRUE,  SL_LOSS_SUM,  0, 6, PETSC_FALSE},
    {SL_COORD_BDSO, 150, 20, PETSC_FALSE, SL_LOSS_SUM,  0, 6, PETSC_FALSE},
    {SL_COORD_NN,   90,  30, PETSC_TRUE,  SL_LOSS_MEAN, 1, 4, PETSC_TRUE },
    {SL_COORD_BDSO, 90,  30, PETSC_FALSE, SL_LOSS_SUM,  1, 4, PETSC_TRUE },
    {SL_COORD_NN,   60,  44, PETSC_FALSE, SL_LOSS_SUM,  2, 0, PETSC_TRUE },
    {SL_COORD_BDSO, 60,  44, PETSC_TRUE,  SL_LOSS_SUM,  2, 0, PETSC_TRUE },
    {SL_COORD_NN,   12,  40, PETSC_TRUE,  SL_LOSS_SUM,  0, 0, PETSC_FALSE}, /* N > 2H: more classes than neurons */
  };
  PetscInt nmask = 0, ncounts = 0;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    const Case *cs = &cases[c];
    SLNetwork   net;
    SLData      data;
    SLModel     model;

    PetscCall(HDataCreate(cs->N, 121 + (PetscInt)c, &data));
    PetscCall(HNetworkCreate(PETSC_COMM_SELF, cs->H, cs->has_c, 131 + (PetscInt)c, 1.0, cs->flat_every, &net));
    if (cs->special) PetscCall(SpecialNeurons(net, data));
    if (cs->point > 0) PetscCall(HDataInterpolate(net, cs->point == 1 ? 1e-4 : 0.0, data));
    PetscCall(HModelCreate(cs->coords, net, &model));
    PetscCall(CheckMasks(model, data, &nmask));
    PetscCall(CheckProducts(model, data));
    for (PetscInt part = 0; part < 3; part++) {
      if (cs->point == 2 && part == SL_HESS_RESIDUAL) continue; /* R = 0 exactly */
      PetscCall(CheckPart(cs, model, data, (SLHessianPart)part, &ncounts));
    }
    PetscCall(HModelDestroy(&model));
    PetscCall(SLNetworkDestroy(&net));
    PetscCall(SLDataDestroy(&data));
  }
  PetscCall(CheckGram(SL_COORD_NN, 100, 40, PETSC_FALSE, SL_LOSS_SUM, SL_HESS_FULL));
  PetscCall(CheckGram(SL_COORD_BDSO, 100, 40, PETSC_TRUE, SL_LOSS_MEAN, SL_HESS_GAUSS_NEWTON));
  PetscCall(CheckGram(SL_COORD_NN, 12, 40, PETSC_TRUE, SL_LOSS_SUM, SL_HESS_GAUSS_NEWTON)); /* rank J < N */
  PetscCall(CheckGram(SL_COORD_BDSO, 12, 40, PETSC_FALSE, SL_LOSS_SUM, SL_HESS_FULL));
  HCHECK(ncounts > 500, "only %" PetscInt_FMT " counts compared", ncounts);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hessian_class: %" PetscInt_FMT " neuron classes, %" PetscInt_FMT " class counts = direct counts = dense counts, reduced spectra, extremes and Gram spectra match LAPACK\n", nmask, ncounts));
  PetscCall(SlepcFinalize());
  return 0;
}
