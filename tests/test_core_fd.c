/* THEORY.md section 4 / claim 7: gradient and dense Hessian in NN and BDSO coordinates against central finite
 * differences (relative 1e-6), with and without output bias, sum and mean loss, on random networks whose
 * breakpoints stay far (>= 0.03) from every data point so no FD step crosses a kink. Also: the loss equals a
 * naive evaluation, FULL = GAUSS_NEWTON + RESIDUAL, the dense Hessians are exactly symmetric, and the Jacobian
 * columns match finite differences of f. */
#include "test_core_util.h"

static const PetscReal h = 1e-5, tol = 1e-6;

static PetscReal MaxAbs(PetscInt n, const PetscReal a[])
{
  PetscReal m = 0;
  for (PetscInt i = 0; i < n; i++) m = PetscMax(m, PetscAbsReal(a[i]));
  return m;
}

/* Checks shared by both coordinate systems on the dense parts: exact symmetry, FULL = GN + RES. */
static PetscErrorCode CheckParts(Mat Hf, Mat Hg, Mat Hr, PetscInt P, const char *what, PetscInt *nfail)
{
  PetscReal *f, *gn, *r, scale, err = 0;
  PetscBool  sym = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(P * P, &f, P * P, &gn, P * P, &r));
  PetscCall(TMatToArray(Hf, f));
  PetscCall(TMatToArray(Hg, gn));
  PetscCall(TMatToArray(Hr, r));
  scale = MaxAbs(P * P, f);
  for (PetscInt i = 0; i < P; i++)
    for (PetscInt j = 0; j < P; j++) {
      if (f[i + j * P] != f[j + i * P] || gn[i + j * P] != gn[j + i * P] || r[i + j * P] != r[j + i * P]) sym = PETSC_FALSE;
      err = PetscMax(err, PetscAbsReal(f[i + j * P] - gn[i + j * P] - r[i + j * P]));
    }
  TCHECK(sym, *nfail, "%s: dense Hessian parts not exactly symmetric", what);
  TCHECK(err <= 1e-14 * scale, *nfail, "%s: FULL - GN - RES = %g (scale %g)", what, (double)err, (double)scale);
  PetscCall(PetscFree3(f, gn, r));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestNN(TLcg *g, PetscBool has_c, SLLossType type, PetscInt *nfail)
{
  const PetscInt H = 7, N = 10;
  SLData         data = NULL;
  SLNetwork      net;
  PetscInt       P;
  PetscReal     *theta, *tp, *grad, *gp, *gm, *Hd, *f, *fp, *fm, *J, loss, lp, lm, err, ref, naive = 0;
  Mat            Hf, Hg, Hr;
  char           what[64];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "NN c=%d loss=%s", (int)has_c, SLLossTypes[type]));
  PetscCall(TDataRandom(g, N, -1, 1, &data));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &net));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc5(P, &theta, P, &tp, P, &grad, P, &gp, P, &gm));
  PetscCall(PetscMalloc5(P * P, &Hd, N, &f, N, &fp, N, &fm, N * P, &J));
  TRandomTheta(g, H, has_c, data, -1.3, 1.3, 0.03, 4, theta);
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLNetworkLossGradient(net, data, type, &loss, grad, NULL));

  /* loss against a naive evaluation */
  for (PetscInt n = 0; n < N; n++) {
    PetscReal fx = has_c ? theta[3 * H] : 0.0;
    for (PetscInt i = 0; i < H; i++) fx += theta[3 * i + 2] * PetscMax(0.0, theta[3 * i] * data->x[n] + theta[3 * i + 1]);
    naive += (fx - data->y[n]) * (fx - data->y[n]);
  }
  naive *= 0.5 * SLLossScale(type, N);
  TCHECK(PetscAbsReal(loss - naive) <= 1e-13 * naive, *nfail, "%s: loss %.17g, naive %.17g", what, (double)loss, (double)naive);

  /* gradient */
  err = 0;
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, theta, P));
    tp[p] = theta[p] + h;
    PetscCall(SLNetworkSetParameters(net, tp));
    PetscCall(SLNetworkLossGradient(net, data, type, &lp, NULL, NULL));
    tp[p] = theta[p] - h;
    PetscCall(SLNetworkSetParameters(net, tp));
    PetscCall(SLNetworkLossGradient(net, data, type, &lm, NULL, NULL));
    err = PetscMax(err, PetscAbsReal((lp - lm) / (2 * h) - grad[p]));
  }
  ref = MaxAbs(P, grad);
  TCHECK(ref > 0 && err <= tol * ref, *nfail, "%s: gradient FD error %g (max |g| %g)", what, (double)err, (double)ref);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: gradient FD rel. error %.2e\n", what, (double)(err / ref)));

  /* Hessian: columns by central differences of the analytic gradient */
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLNetworkHessianDense(net, data, type, SL_HESS_FULL, &Hf));
  PetscCall(SLNetworkHessianDense(net, data, type, SL_HESS_GAUSS_NEWTON, &Hg));
  PetscCall(SLNetworkHessianDense(net, data, type, SL_HESS_RESIDUAL, &Hr));
  PetscCall(TMatToArray(Hf, Hd));
  err = 0;
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, theta, P));
    tp[p] = theta[p] + h;
    PetscCall(SLNetworkSetParameters(net, tp));
    PetscCall(SLNetworkLossGradient(net, data, type, NULL, gp, NULL));
    tp[p] = theta[p] - h;
    PetscCall(SLNetworkSetParameters(net, tp));
    PetscCall(SLNetworkLossGradient(net, data, type, NULL, gm, NULL));
    for (PetscInt q = 0; q < P; q++) err = PetscMax(err, PetscAbsReal((gp[q] - gm[q]) / (2 * h) - Hd[q + p * P]));
  }
  ref = MaxAbs(P * P, Hd);
  TCHECK(ref > 0 && err <= tol * ref, *nfail, "%s: Hessian FD error %g (max |H| %g)", what, (double)err, (double)ref);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: Hessian FD rel. error %.2e\n", what, (double)(err / ref)));
  PetscCall(CheckParts(Hf, Hg, Hr, P, what, nfail));

  /* Jacobian columns against FD of f */
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLNetworkJacobian(net, data, J));
  err = 0;
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, theta, P));
    tp[p] = theta[p] + h;
    PetscCall(SLNetworkSetParameters(net, tp));
    PetscCall(SLNetworkEvaluate(net, N, data->x, fp));
    tp[p] = theta[p] - h;
    PetscCall(SLNetworkSetParameters(net, tp));
    PetscCall(SLNetworkEvaluate(net, N, data->x, fm));
    for (PetscInt n = 0; n < N; n++) err = PetscMax(err, PetscAbsReal((fp[n] - fm[n]) / (2 * h) - J[n * P + p]));
  }
  ref = MaxAbs(N * P, J);
  TCHECK(err <= tol * ref, *nfail, "%s: Jacobian FD error %g (max |J| %g)", what, (double)err, (double)ref);

  PetscCall(MatDestroy(&Hf));
  PetscCall(MatDestroy(&Hg));
  PetscCall(MatDestroy(&Hr));
  PetscCall(PetscFree5(theta, tp, grad, gp, gm));
  PetscCall(PetscFree5(Hd, f, fp, fm, J));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestBDSO(TLcg *g, PetscBool has_c, SLLossType type, PetscInt *nfail)
{
  const PetscInt H = 7, N = 10;
  SLData         data = NULL;
  SLNetwork      net;
  SLSpline       sp;
  PetscInt       P;
  PetscReal     *theta, *phi, *tp, *grad, *gp, *gm, *Hd, *fp, *fm, *J, loss, lp, lm, err, ref;
  Mat            Hf, Hg, Hr;
  char           what[64];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "BDSO c=%d loss=%s", (int)has_c, SLLossTypes[type]));
  PetscCall(TDataRandom(g, N, -1, 1, &data));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &net));
  PetscCall(PetscMalloc1(3 * H + 1, &theta));
  TRandomTheta(g, H, has_c, data, -1.3, 1.3, 0.03, 4, theta);
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLSplineCreateFromNetwork(net, &sp));
  TCHECK(sp->nflat == 1, *nfail, "%s: nflat %" PetscInt_FMT ", expected 1", what, sp->nflat);
  PetscCall(SLSplineGetSizes(sp, &P, NULL));
  TCHECK(P == 2 * H + (has_c ? 1 : 0), *nfail, "%s: P = %" PetscInt_FMT, what, P);
  PetscCall(PetscMalloc5(P, &phi, P, &tp, P, &grad, P, &gp, P, &gm));
  PetscCall(PetscMalloc4(P * P, &Hd, N, &fp, N, &fm, N * P, &J));
  PetscCall(SLSplineGetParameters(sp, phi));
  PetscCall(SLSplineLossGradient(sp, data, type, &loss, grad, NULL));
  {
    PetscReal lnn;
    PetscCall(SLNetworkLossGradient(net, data, type, &lnn, NULL, NULL));
    TCHECK(PetscAbsReal(loss - lnn) <= 1e-12 * lnn, *nfail, "%s: BDSO loss %.17g vs NN loss %.17g", what, (double)loss, (double)lnn);
  }

  err = 0;
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, phi, P));
    tp[p] = phi[p] + h;
    PetscCall(SLSplineSetParameters(sp, tp));
    PetscCall(SLSplineLossGradient(sp, data, type, &lp, NULL, NULL));
    tp[p] = phi[p] - h;
    PetscCall(SLSplineSetParameters(sp, tp));
    PetscCall(SLSplineLossGradient(sp, data, type, &lm, NULL, NULL));
    err = PetscMax(err, PetscAbsReal((lp - lm) / (2 * h) - grad[p]));
  }
  ref = MaxAbs(P, grad);
  TCHECK(ref > 0 && err <= tol * ref, *nfail, "%s: gradient FD error %g (max |g| %g)", what, (double)err, (double)ref);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: gradient FD rel. error %.2e\n", what, (double)(err / ref)));

  PetscCall(SLSplineSetParameters(sp, phi));
  PetscCall(SLSplineHessianDense(sp, data, type, SL_HESS_FULL, &Hf));
  PetscCall(SLSplineHessianDense(sp, data, type, SL_HESS_GAUSS_NEWTON, &Hg));
  PetscCall(SLSplineHessianDense(sp, data, type, SL_HESS_RESIDUAL, &Hr));
  PetscCall(TMatToArray(Hf, Hd));
  err = 0;
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, phi, P));
    tp[p] = phi[p] + h;
    PetscCall(SLSplineSetParameters(sp, tp));
    PetscCall(SLSplineLossGradient(sp, data, type, NULL, gp, NULL));
    tp[p] = phi[p] - h;
    PetscCall(SLSplineSetParameters(sp, tp));
    PetscCall(SLSplineLossGradient(sp, data, type, NULL, gm, NULL));
    for (PetscInt q = 0; q < P; q++) err = PetscMax(err, PetscAbsReal((gp[q] - gm[q]) / (2 * h) - Hd[q + p * P]));
  }
  ref = MaxAbs(P * P, Hd);
  TCHECK(ref > 0 && err <= tol * ref, *nfail, "%s: Hessian FD error %g (max |H| %g)", what, (double)err, (double)ref);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: Hessian FD rel. error %.2e\n", what, (double)(err / ref)));
  PetscCall(CheckParts(Hf, Hg, Hr, P, what, nfail));

  PetscCall(SLSplineSetParameters(sp, phi));
  PetscCall(SLSplineJacobian(sp, data, J));
  err = 0;
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, phi, P));
    tp[p] = phi[p] + h;
    PetscCall(SLSplineSetParameters(sp, tp));
    PetscCall(SLSplineEvaluate(sp, N, data->x, fp));
    tp[p] = phi[p] - h;
    PetscCall(SLSplineSetParameters(sp, tp));
    PetscCall(SLSplineEvaluate(sp, N, data->x, fm));
    for (PetscInt n = 0; n < N; n++) err = PetscMax(err, PetscAbsReal((fp[n] - fm[n]) / (2 * h) - J[n * P + p]));
  }
  ref = MaxAbs(N * P, J);
  TCHECK(err <= tol * ref, *nfail, "%s: Jacobian FD error %g (max |J| %g)", what, (double)err, (double)ref);

  PetscCall(MatDestroy(&Hf));
  PetscCall(MatDestroy(&Hg));
  PetscCall(MatDestroy(&Hr));
  PetscCall(PetscFree5(phi, tp, grad, gp, gm));
  PetscCall(PetscFree4(Hd, fp, fm, J));
  PetscCall(PetscFree(theta));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  TLcg     g     = {20240611};
  PetscInt nfail = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (PetscInt rep = 0; rep < 2; rep++)
    for (PetscInt c = 0; c < 2; c++)
      for (PetscInt t = 0; t < 2; t++) {
        PetscCall(TestNN(&g, c ? PETSC_TRUE : PETSC_FALSE, (SLLossType)t, &nfail));
        PetscCall(TestBDSO(&g, c ? PETSC_TRUE : PETSC_FALSE, (SLLossType)t, &nfail));
      }
  PetscCheck(nfail == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", nfail);
  PetscCall(PetscFinalize());
  return 0;
}
