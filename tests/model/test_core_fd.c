/* docs/theory.md section 4 / claim 7: gradient and dense Hessian in NN and BDSO coordinates against central finite
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

/* The model under test: a network (NN coordinates) or its spline view (BDSO coordinates). */
typedef struct {
  SLNetwork net; /* NN when sp is NULL */
  SLSpline  sp;
} TModel;

static PetscErrorCode TSet(TModel m, const PetscReal p[])
{
  PetscFunctionBeginUser;
  if (m.sp) PetscCall(SLSplineSetParameters(m.sp, p));
  else PetscCall(SLNetworkSetParameters(m.net, p));
  PetscFunctionReturn(0);
}

static PetscErrorCode TLossGradient(TModel m, SLData data, SLLossType type, PetscReal *loss, PetscReal g[])
{
  PetscFunctionBeginUser;
  if (m.sp) PetscCall(SLSplineLossGradient(m.sp, data, type, loss, g, NULL));
  else PetscCall(SLNetworkLossGradient(m.net, data, type, loss, g, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode TEvaluate(TModel m, SLData data, PetscReal f[])
{
  PetscFunctionBeginUser;
  if (m.sp) PetscCall(SLSplineEvaluate(m.sp, data->N, data->x, f));
  else PetscCall(SLNetworkEvaluate(m.net, data->N, data->x, f));
  PetscFunctionReturn(0);
}

/* Central differences at p0 (restored at the end): of the loss against grad, of the analytic gradient against
 * the dense Hessian Hd (P x P, column-major), of f against the Jacobian J (N x P, row-major). */
static PetscErrorCode TCheckFD(TModel m, SLData data, SLLossType type, PetscInt P, const PetscReal p0[], const PetscReal grad[], const PetscReal Hd[], const PetscReal J[], const char what[], PetscInt *nfail)
{
  const PetscInt N = data->N;
  PetscReal     *tp, *gp, *gm, *fp, *fm, lp, lm, eg = 0, eh = 0, ej = 0, ref;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(P, &tp, P, &gp, P, &gm, N, &fp, N, &fm));
  for (PetscInt p = 0; p < P; p++) {
    PetscCall(PetscArraycpy(tp, p0, P));
    tp[p] = p0[p] + h;
    PetscCall(TSet(m, tp));
    PetscCall(TLossGradient(m, data, type, &lp, gp));
    PetscCall(TEvaluate(m, data, fp));
    tp[p] = p0[p] - h;
    PetscCall(TSet(m, tp));
    PetscCall(TLossGradient(m, data, type, &lm, gm));
    PetscCall(TEvaluate(m, data, fm));
    eg = PetscMax(eg, PetscAbsReal((lp - lm) / (2 * h) - grad[p]));
    for (PetscInt q = 0; q < P; q++) eh = PetscMax(eh, PetscAbsReal((gp[q] - gm[q]) / (2 * h) - Hd[q + p * P]));
    for (PetscInt n = 0; n < N; n++) ej = PetscMax(ej, PetscAbsReal((fp[n] - fm[n]) / (2 * h) - J[n * P + p]));
  }
  PetscCall(TSet(m, p0));
  ref = MaxAbs(P, grad);
  TCHECK(ref > 0 && eg <= tol * ref, *nfail, "%s: gradient FD error %g (max |g| %g)", what, (double)eg, (double)ref);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: gradient FD rel. error %.2e\n", what, (double)(eg / ref)));
  ref = MaxAbs(P * P, Hd);
  TCHECK(ref > 0 && eh <= tol * ref, *nfail, "%s: Hessian FD error %g (max |H| %g)", what, (double)eh, (double)ref);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: Hessian FD rel. error %.2e\n", what, (double)(eh / ref)));
  ref = MaxAbs(N * P, J);
  TCHECK(ej <= tol * ref, *nfail, "%s: Jacobian FD error %g (max |J| %g)", what, (double)ej, (double)ref);
  PetscCall(PetscFree5(tp, gp, gm, fp, fm));
  PetscFunctionReturn(0);
}

/* Dense Hessian parts and Jacobian of the model at its current parameters, then every FD check. */
static PetscErrorCode TCheckModel(TModel m, SLData data, SLLossType type, PetscInt P, const PetscReal p0[], const char what[], PetscInt *nfail)
{
  const PetscInt N = data->N;
  PetscReal     *grad, *Hd, *J;
  Mat            Hf, Hg, Hr;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(P, &grad, P * P, &Hd, N * P, &J));
  PetscCall(TSet(m, p0));
  PetscCall(TLossGradient(m, data, type, NULL, grad));
  if (m.sp) {
    PetscCall(SLSplineHessianDense(m.sp, data, type, SL_HESS_FULL, &Hf));
    PetscCall(SLSplineHessianDense(m.sp, data, type, SL_HESS_GAUSS_NEWTON, &Hg));
    PetscCall(SLSplineHessianDense(m.sp, data, type, SL_HESS_RESIDUAL, &Hr));
    PetscCall(SLSplineJacobian(m.sp, data, J));
  } else {
    PetscCall(SLNetworkHessianDense(m.net, data, type, SL_HESS_FULL, &Hf));
    PetscCall(SLNetworkHessianDense(m.net, data, type, SL_HESS_GAUSS_NEWTON, &Hg));
    PetscCall(SLNetworkHessianDense(m.net, data, type, SL_HESS_RESIDUAL, &Hr));
    PetscCall(SLNetworkJacobian(m.net, data, J));
  }
  PetscCall(TMatToArray(Hf, Hd));
  PetscCall(TCheckFD(m, data, type, P, p0, grad, Hd, J, what, nfail));
  PetscCall(CheckParts(Hf, Hg, Hr, P, what, nfail));
  PetscCall(MatDestroy(&Hf));
  PetscCall(MatDestroy(&Hg));
  PetscCall(MatDestroy(&Hr));
  PetscCall(PetscFree3(grad, Hd, J));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestNN(TLcg *g, PetscBool has_c, SLLossType type, PetscInt *nfail)
{
  const PetscInt H = 7, N = 10;
  SLData         data = NULL;
  SLNetwork      net;
  PetscInt       P;
  PetscReal     *theta, loss, naive = 0;
  char           what[64];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "NN c=%d loss=%s", (int)has_c, SLLossTypes[type]));
  PetscCall(TDataRandom(g, N, -1, 1, &data));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, has_c, &net));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc1(P, &theta));
  TRandomTheta(g, H, has_c, data, -1.3, 1.3, 0.03, 4, theta);
  PetscCall(SLNetworkSetParameters(net, theta));
  PetscCall(SLNetworkLossGradient(net, data, type, &loss, NULL, NULL));

  /* loss against a naive evaluation */
  for (PetscInt n = 0; n < N; n++) {
    PetscReal fx = has_c ? theta[3 * H] : 0.0;
    for (PetscInt i = 0; i < H; i++) fx += theta[3 * i + 2] * PetscMax(0.0, theta[3 * i] * data->x[n] + theta[3 * i + 1]);
    naive += (fx - data->y[n]) * (fx - data->y[n]);
  }
  naive *= 0.5 * SLLossScale(type, N);
  TCHECK(PetscAbsReal(loss - naive) <= 1e-13 * naive, *nfail, "%s: loss %.17g, naive %.17g", what, (double)loss, (double)naive);

  PetscCall(TCheckModel((TModel){net, NULL}, data, type, P, theta, what, nfail));
  PetscCall(PetscFree(theta));
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
  PetscReal     *theta, *phi, loss, lnn;
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
  PetscCall(PetscMalloc1(P, &phi));
  PetscCall(SLSplineGetParameters(sp, phi));
  PetscCall(SLSplineLossGradient(sp, data, type, &loss, NULL, NULL));
  PetscCall(SLNetworkLossGradient(net, data, type, &lnn, NULL, NULL));
  TCHECK(PetscAbsReal(loss - lnn) <= 1e-12 * lnn, *nfail, "%s: BDSO loss %.17g vs NN loss %.17g", what, (double)loss, (double)lnn);

  PetscCall(TCheckModel((TModel){NULL, sp}, data, type, P, phi, what, nfail));
  PetscCall(PetscFree(phi));
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
