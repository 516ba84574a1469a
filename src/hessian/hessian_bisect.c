/* Any single eigenvalue of a Hessian part by bisection on the exact eigenvalue count (docs/theory.md section 4):
 * the k-th smallest eigenvalue lambda_k is the point where #{eigenvalues < lambda} passes k. Each count is
 * O(N^3) after an O(P) set-up (hessian_class.c), so eigenvalues of million-neuron Hessians cost milliseconds. */
#include <splinelens/private/hessianimpl.h>

PetscErrorCode SLHessianEigenvalueBisect(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscInt k, PetscReal rtol, PetscReal *lambda)
{
  SLHessCount hc;
  SLHessClass cl;
  PetscReal   lo, hi, scale;
  PetscInt    P, it = 0;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountCreate(model, data, type, part, &hc));
  PetscCall(SLHessCountGetClass(hc, &cl));
  P = cl->info.P;
  PetscCheck(k >= 0 && k < P, cl->info.comm, PETSC_ERR_ARG_OUTOFRANGE, "Eigenvalue index %" PetscInt_FMT " outside [0, %" PetscInt_FMT ")", k, P);
  PetscCheck(rtol > 0, cl->info.comm, PETSC_ERR_ARG_OUTOFRANGE, "Bisection tolerance must be > 0, got %g", (double)rtol);
  PetscCall(SLHessCountGetBounds(hc, &lo, &hi));
  PetscCall(SLHessCountGetScale(hc, &scale));
  scale = PetscMax(scale, PetscMax(PetscAbsReal(lo), PetscAbsReal(hi)));
  if (scale == 0) { /* the zero operator */
    *lambda = 0;
    PetscCall(SLHessCountDestroy(&hc));
    PetscFunctionReturn(0);
  }
  /* Invariant: count(lo) <= k < count(hi), i.e. lo <= lambda_k < hi. Widen the rigorous bounds a little so
   * the invariant holds at the ends too. */
  lo -= 1e-12 * scale + PETSC_SMALL;
  hi += 1e-12 * scale + PETSC_SMALL;
  while (hi - lo > rtol * scale && it++ < 200) {
    PetscReal mid = 0.5 * (lo + hi), used;
    PetscInt  c;
    PetscCall(SLHessCountEvalNudged(hc, mid, 1, &c, &used));
    if (c > k) hi = used;
    else lo = used;
  }
  *lambda = 0.5 * (lo + hi);
  PetscCall(SLHessCountDestroy(&hc));
  PetscFunctionReturn(0);
}
