/* Hessian spectra (SLSpectrumSolver, docs/theory.md section 4) on one rank:
 *  - the dense method returns every eigenvalue (ascending, small residuals) equal to an independent LAPACK
 *    spectrum; Krylov-Schur (k = 5, H = 200) returns the 5 smallest and 5 largest to 1e-8 relative;
 *  - counts of negative / zero / positive eigenvalues: dense, inertia (Krylov) and a direct count agree;
 *  - the exact histogram sums to P and equals the dense spectrum binned with the same edges (dense and Krylov);
 *  - checks: n_neg <= n_bound at random points (and n_neg > 0, so the bound is exercised), n_zero >= P - rank
 *    bound at interpolating points (N < 2H), Gauss-Newton part without negative eigenvalues;
 *  - the layout rule (dense iff P <= dense_max on one rank). */
#include <slepcsys.h>
#include "test_hessian_util.h"

static PetscErrorCode Spectrum(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscBool interp, PetscInt dense_max, PetscInt nev, PetscInt bins, SLSpectrum *spec)
{
  SLSpectrumSolver s;
  char             buf[32];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT, dense_max));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", buf));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT, nev));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", buf));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT, bins));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", buf));
  PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  PetscCall(SLSpectrumSolverCompute(s, model, data, type, part, interp, PETSC_FALSE, spec));
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscFunctionReturn(0);
}

/* Histogram of spec against the reference eigenvalues ev (P of them, ascending) binned with spec's edges. */
static PetscErrorCode CheckHistogram(const SLSpectrum *spec, PetscInt P, const PetscReal ev[])
{
  PetscInt sum = 0;

  PetscFunctionBeginUser;
  HCHECK(spec->nbins > 0 && spec->hist_edges && spec->hist_counts, "no histogram");
  HCHECK(spec->hist_edges[0] < ev[0] && spec->hist_edges[spec->nbins] > ev[P - 1], "histogram [%g, %g] does not cover [%g, %g]", (double)spec->hist_edges[0], (double)spec->hist_edges[spec->nbins], (double)ev[0], (double)ev[P - 1]);
  for (PetscInt j = 0; j < spec->nbins; j++) {
    const PetscInt want = HCountBelow(P, ev, spec->hist_edges[j + 1]) - HCountBelow(P, ev, spec->hist_edges[j]);

    HCHECK(spec->hist_edges[j + 1] > spec->hist_edges[j], "edges not increasing at %" PetscInt_FMT, j);
    HCHECK(spec->hist_counts[j] == want, "bin %" PetscInt_FMT " [%.17g, %.17g): exact %" PetscInt_FMT ", dense %" PetscInt_FMT, j, (double)spec->hist_edges[j], (double)spec->hist_edges[j + 1], spec->hist_counts[j], want);
    sum += spec->hist_counts[j];
  }
  HCHECK(sum == P, "histogram sums to %" PetscInt_FMT ", P = %" PetscInt_FMT, sum, P);
  PetscFunctionReturn(0);
}

/* Counts of ev against spec's zero tolerance. */
static PetscErrorCode CheckCounts(const SLSpectrum *spec, PetscInt P, const PetscReal ev[])
{
  const PetscReal zt   = spec->zero_tol;
  const PetscInt  nneg = HCountBelow(P, ev, -zt), nle = HCountBelow(P, ev, zt);

  PetscFunctionBeginUser;
  HCHECK(zt > 0, "zero_tol %g", (double)zt);
  HCHECK(spec->n_neg == nneg && spec->n_zero == nle - nneg && spec->n_pos == P - nle, "%s counts (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") vs reference (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", SLEigMethods[spec->method],
         spec->n_neg, spec->n_zero, spec->n_pos, nneg, nle - nneg, P - nle);
  PetscFunctionReturn(0);
}

/* Dense and Krylov spectra at one point, compared with an independent LAPACK spectrum. */
static PetscErrorCode CheckPoint(SLCoordinates coords, PetscInt H, PetscInt N, PetscBool has_c, SLLossType type, SLHessianPart part, PetscInt point, PetscInt seed)
{
  SLNetwork   net;
  SLData      data;
  SLModel     model;
  SLSpectrum  sd, sk;
  PetscInt    P;
  PetscReal  *ev, scale;
  PetscBool   interp = point > 0 ? PETSC_TRUE : PETSC_FALSE;
  const char *what   = point == 0 ? "random" : "interpolating";

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(N, seed, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, has_c, seed + 100, 1.0, 0, &net));
  if (point > 0) PetscCall(HDataInterpolate(net, point == 1 ? 1e-9 : 0.0, data));
  PetscCall(HModelCreate(coords, net, &model));
  PetscCall(HDenseEig(model, data, type, part, &P, &ev));
  scale = PetscMax(PetscAbsReal(ev[0]), PetscAbsReal(ev[P - 1]));

  /* dense */
  PetscCall(Spectrum(model, data, type, part, interp, 2000, 5, 40, &sd));
  HCHECK(sd.method == SL_EIG_DENSE && sd.P == P && sd.nvals == P && sd.nconv == P, "dense layout");
  for (PetscInt i = 0; i < P; i++) {
    HCHECK(PetscAbsReal(sd.values[i] - ev[i]) <= 1e-12 * scale, "dense value %" PetscInt_FMT ": %.17g vs LAPACK %.17g", i, (double)sd.values[i], (double)ev[i]);
    HCHECK(sd.residuals[i] <= 1e-11 * scale, "dense residual %" PetscInt_FMT ": %g (scale %g)", i, (double)sd.residuals[i], (double)scale);
  }
  HCHECK(sd.lambda_min == sd.values[0] && sd.lambda_max == sd.values[P - 1], "dense extremes");
  HCHECK(PetscAbsReal(sd.zero_tol - 1e-9 * scale) <= 1e-12 * scale, "dense zero_tol %g", (double)sd.zero_tol);
  HCHECK(sd.check_counts == 1, "dense vs inertia counts/histogram disagree");
  PetscCall(CheckCounts(&sd, P, ev));
  PetscCall(CheckHistogram(&sd, P, ev));

  /* Krylov-Schur, k = 5 */
  PetscCall(Spectrum(model, data, type, part, interp, 0, 5, 40, &sk));
  HCHECK(sk.method == SL_EIG_KRYLOV && sk.nvals == 10 && sk.check_counts == -1, "krylov layout");
  if (point == 0) {
    HCHECK(sk.nconv == 10, "Krylov converged %" PetscInt_FMT " of 10", sk.nconv);
    for (PetscInt j = 0; j < 10; j++) {
      const PetscReal ref = j < 5 ? ev[j] : ev[P - 10 + j];

      /* relative to |lambda|; numerically zero eigenvalues (Gauss-Newton part) to 1e-14 of the spectral radius */
      HCHECK(PetscAbsReal(sk.values[j] - ref) <= 1e-8 * PetscMax(PetscAbsReal(ref), 1e-6 * scale), "Krylov value %" PetscInt_FMT ": %.17g vs dense %.17g (rel %g)", j, (double)sk.values[j], (double)ref, (double)(PetscAbsReal(sk.values[j] - ref) / PetscAbsReal(ref)));
      HCHECK(sk.residuals[j] <= 1e-8 * scale, "Krylov residual %" PetscInt_FMT ": %g", j, (double)sk.residuals[j]);
      if (j > 0) HCHECK(sk.values[j] >= sk.values[j - 1], "Krylov values not ascending");
    }
  }
  HCHECK(PetscAbsReal(sk.lambda_max - ev[P - 1]) <= 1e-8 * scale, "Krylov lambda_max %.17g vs %.17g", (double)sk.lambda_max, (double)ev[P - 1]);
  PetscCall(CheckCounts(&sk, P, ev));
  PetscCall(CheckHistogram(&sk, P, ev));
  HCHECK(sk.n_neg == sd.n_neg && sk.n_zero == sd.n_zero && sk.n_pos == sd.n_pos && sk.n_bound == sd.n_bound, "Krylov and dense counts differ");

  /* docs/theory.md section 4 checks, both methods */
  for (PetscInt m = 0; m < 2; m++) {
    const SLSpectrum *sp = m == 0 ? &sd : &sk;

    HCHECK(sp->check_neg == 1 && sp->n_neg <= sp->n_bound && sp->n_bound <= H, "%s: check_neg %" PetscInt_FMT " (n_neg %" PetscInt_FMT ", n_bound %" PetscInt_FMT ")", SLEigMethods[sp->method], sp->check_neg, sp->n_neg, sp->n_bound);
    if (part == SL_HESS_GAUSS_NEWTON) HCHECK(sp->n_neg == 0 && sp->n_bound == 0, "Gauss-Newton part has %" PetscInt_FMT " negative eigenvalues", sp->n_neg);
    if (part == SL_HESS_FULL && point == 0) HCHECK(sp->n_neg > 0, "expected negative eigenvalues at a random point");
    if (interp) {
      HCHECK(sp->check_zero == 1 && sp->n_zero >= P - N, "%s: check_zero %" PetscInt_FMT " at an interpolating point (n_zero %" PetscInt_FMT ", P %" PetscInt_FMT ", N %" PetscInt_FMT ")", SLEigMethods[sp->method], sp->check_zero, sp->n_zero, P, N);
    } else HCHECK(sp->check_zero == -1, "check_zero %" PetscInt_FMT " away from interpolation", sp->check_zero);
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s H=%" PetscInt_FMT " N=%" PetscInt_FMT " %s part %s: lambda in [%.6g, %.6g], neg/zero/pos %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT ", bound %" PetscInt_FMT "\n", SLCoordinateNames[coords], H, N, what, SLHessianParts[part],
                        (double)sd.lambda_min, (double)sd.lambda_max, sd.n_neg, sd.n_zero, sd.n_pos, sd.n_bound));
  PetscCall(SLSpectrumReset(&sd));
  PetscCall(SLSpectrumReset(&sk));
  HCHECK(sd.values == NULL && sd.nvals == 0, "reset");
  PetscCall(PetscFree(ev));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckLayout(void)
{
  SLSpectrumSolver s;
  SLEigMethod      m;
  PetscInt         nv, nb;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", "600"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", "5"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "7"));
  PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  PetscCall(SLSpectrumSolverGetLayout(s, 600, 1, &m, &nv, &nb));
  HCHECK(m == SL_EIG_DENSE && nv == 600 && nb == 7, "layout 600/1");
  PetscCall(SLSpectrumSolverGetLayout(s, 601, 1, &m, &nv, &nb));
  HCHECK(m == SL_EIG_KRYLOV && nv == 10, "layout 601/1");
  PetscCall(SLSpectrumSolverGetLayout(s, 30, 2, &m, &nv, &nb));
  HCHECK(m == SL_EIG_KRYLOV && nv == 10, "layout 30/2");
  PetscCall(SLSpectrumSolverGetLayout(s, 7, 3, &m, &nv, &nb));
  HCHECK(m == SL_EIG_KRYLOV && nv == 7, "layout 7/3");
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscFunctionReturn(0);
}

/* The residual part at an exactly interpolating point is the zero operator: every eigenvalue is zero. */
static PetscErrorCode CheckZeroOperator(void)
{
  SLNetwork net;
  SLData    data;
  SLModel   model;

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(20, 9, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, 30, PETSC_TRUE, 109, 1.0, 0, &net));
  PetscCall(HDataInterpolate(net, 0.0, data));
  PetscCall(HModelCreate(SL_COORD_NN, net, &model));
  for (PetscInt m = 0; m < 2; m++) {
    SLSpectrum sp;
    PetscInt   sum = 0;

    /* the residual part has no rank bound: check_zero is not applicable (-1) even at an interpolating point */
    PetscCall(Spectrum(model, data, SL_LOSS_SUM, SL_HESS_RESIDUAL, PETSC_TRUE, m == 0 ? 2000 : 0, 5, 10, &sp));
    HCHECK(sp.lambda_min == 0 && sp.lambda_max == 0 && sp.n_zero == 91 && sp.n_neg == 0 && sp.n_pos == 0 && sp.check_zero == -1 && sp.check_neg == 1, "%s: zero operator: [%g, %g] counts %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT, SLEigMethods[sp.method],
           (double)sp.lambda_min, (double)sp.lambda_max, sp.n_neg, sp.n_zero, sp.n_pos);
    for (PetscInt j = 0; j < sp.nbins; j++) sum += sp.hist_counts[j];
    HCHECK(sum == 91, "zero operator histogram sums to %" PetscInt_FMT, sum);
    PetscCall(SLSpectrumReset(&sp));
  }
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(CheckLayout());
  /* random non-critical points: Krylov extremes vs dense (k = 5, H = 200) */
  PetscCall(CheckPoint(SL_COORD_NN, 200, 40, PETSC_FALSE, SL_LOSS_SUM, SL_HESS_FULL, 0, 1));
  PetscCall(CheckPoint(SL_COORD_BDSO, 200, 40, PETSC_TRUE, SL_LOSS_MEAN, SL_HESS_FULL, 0, 2));
  PetscCall(CheckPoint(SL_COORD_NN, 120, 30, PETSC_TRUE, SL_LOSS_MEAN, SL_HESS_GAUSS_NEWTON, 0, 3));
  PetscCall(CheckPoint(SL_COORD_BDSO, 120, 30, PETSC_FALSE, SL_LOSS_SUM, SL_HESS_RESIDUAL, 0, 4));
  /* interpolating points, N < 2H: exactly (r = 0) and up to 1e-9 */
  PetscCall(CheckPoint(SL_COORD_NN, 100, 40, PETSC_FALSE, SL_LOSS_SUM, SL_HESS_FULL, 2, 5));
  PetscCall(CheckPoint(SL_COORD_BDSO, 100, 40, PETSC_TRUE, SL_LOSS_SUM, SL_HESS_FULL, 2, 6));
  PetscCall(CheckPoint(SL_COORD_NN, 100, 40, PETSC_TRUE, SL_LOSS_MEAN, SL_HESS_FULL, 1, 7));
  PetscCall(CheckPoint(SL_COORD_BDSO, 100, 40, PETSC_FALSE, SL_LOSS_SUM, SL_HESS_FULL, 1, 8));
  PetscCall(CheckZeroOperator());
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "spectrum: dense, Krylov, counts, histograms and checks agree with LAPACK\n"));
  PetscCall(SlepcFinalize());
  return 0;
}
