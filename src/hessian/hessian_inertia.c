/* Exact eigenvalue counts of Hess = R + U U^T without forming it (docs/theory.md section 4): for lambda not an
 * eigenvalue of R,
 *     #{eig(Hess) < lambda} = nu_-(R - lambda I) + nu_-(S) - N,   S = -I_N - U^T (R - lambda I)^{-1} U,
 * (Haynsworth inertia additivity on [[R - lambda I, U], [U^T, -I]]), U = sqrt(scale) J^T.
 *
 * Class aggregation (hessian_class.c): with the eigen-decomposition B_c = sum_k ev_ck q_ck q_ck^T of the residual
 * block shared by the neurons of activation class c and y_ik = C_i^T q_ck,
 *     U^T (R - lambda I)^{-1} U = scale sum_c [x (.) m_c, m_c] G_c [x (.) m_c, m_c]^T,
 *     G_c = sum_k Q_ck / (ev_ck - lambda),  Q_ck = sum_{i in c} y_ik y_ik^T  (2 x 2, summed once at creation),
 * and nu_-(R - lambda I) = sum_c |c| #{k : ev_ck < lambda}. A count costs O(nc) for the G_c, O(N^2) to assemble S
 * and N^3/3 for its LDL^T factorization (LAPACK dsytrf, Bunch-Kaufman): the inertia of S is that of the block
 * diagonal D (Sylvester). Nothing depends on the width H after creation. The aggregates are bitwise independent
 * of the number of ranks and S is factored on rank 0, so the count is the same integer on every rank and for
 * every layout. The output bias is a 1x1 block with R entry 0 and Jacobian column of ones. */
#include <splinelens/private/hessianimpl.h>
#include <petscblaslapack.h>

struct _n_SLHessCount {
  SLHessClass   cl;
  PetscBLASInt  bN, lwork;
  PetscBLASInt *ipiv;
  PetscReal    *G, *S, *work;
};

PetscErrorCode SLHessCountCreate(SLModel model, SLData data, SLLossType type, SLHessianPart part, SLHessCount *hcp)
{
  SLHessCount hc;
  PetscInt    N;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&hc));
  PetscCall(SLHessClassCreate(model, data, type, part, PETSC_FALSE, NULL, NULL, &hc->cl));
  N = hc->cl->N;
  PetscCall(PetscBLASIntCast(N, &hc->bN));
  PetscCall(PetscMalloc3(3 * hc->cl->nc, &hc->G, N * N, &hc->S, N, &hc->ipiv));
  {
    PetscBLASInt info, lq = -1;
    PetscReal    wq;

    LAPACKsytrf_("L", &hc->bN, hc->S, &hc->bN, hc->ipiv, &wq, &lq, &info); /* workspace query */
    hc->lwork = PetscMax(hc->bN, (PetscBLASInt)wq);
  }
  PetscCall(PetscMalloc1(hc->lwork, &hc->work));
  *hcp = hc;
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessCountGetClass(SLHessCount hc, SLHessClass *cl)
{
  PetscFunctionBeginUser;
  *cl = hc->cl;
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessCountDestroy(SLHessCount *hc)
{
  PetscFunctionBeginUser;
  if (!*hc) PetscFunctionReturn(0);
  PetscCall(SLHessClassDestroy(&(*hc)->cl));
  PetscCall(PetscFree3((*hc)->G, (*hc)->S, (*hc)->ipiv));
  PetscCall(PetscFree((*hc)->work));
  PetscCall(PetscFree(*hc));
  PetscFunctionReturn(0);
}

/* nu_-(R - lambda I) and whether lambda is clear of every eigenvalue of R. "Clear" is relative to the scales of
 * the Hessian and of lambda, |ev - lambda| > 1e-14 max(|lambda|, hscale), so the count is invariant under scaling
 * of the problem and the weights 1/(ev - lambda) stay below 1e14 / hscale. */
static void SLCountBlocks(SLHessClass cl, PetscReal lambda, PetscInt *nneg, PetscBool *ok)
{
  const PetscReal tol = 1e-14 * PetscMax(PetscAbsReal(lambda), cl->hscale);

  *nneg = 0;
  *ok   = PETSC_TRUE;
  for (PetscInt c = 0; c < cl->nc; c++) {
    if (cl->count[c] == 0) continue;
    for (PetscInt k = 0; k < cl->info.npn; k++) {
      const PetscReal t = cl->ev[3 * c + k] - lambda;

      if (PetscAbsReal(t) <= tol) *ok = PETSC_FALSE;
      if (t < 0) *nneg += cl->count[c];
    }
  }
  if (cl->info.has_c) {
    if (PetscAbsReal(lambda) <= tol) *ok = PETSC_FALSE;
    if (-lambda < 0) (*nneg)++;
  }
}

/* Number of negative eigenvalues of the block diagonal D of a Bunch-Kaufman factorization (dsytrf, "L"). */
static PetscInt SLInertiaLDL(PetscInt N, const PetscReal A[], const PetscBLASInt ipiv[])
{
  PetscInt neg = 0;

  for (PetscInt k = 0; k < N;) {
    if (ipiv[k] > 0 || k == N - 1) {
      if (A[k + N * k] < 0) neg++;
      k++;
    } else { /* 2x2 block [[a, b], [b, c]]: det < 0 one negative, det > 0 both of the sign of a + c */
      const PetscReal a = A[k + N * k], b = A[k + 1 + N * k], c = A[k + 1 + N * (k + 1)];

      if (b == 0) neg += (a < 0 ? 1 : 0) + (c < 0 ? 1 : 0);
      else {
        const PetscReal det = (a / PetscAbsReal(b)) * c - PetscAbsReal(b); /* det / |b| */

        if (det < 0) neg++;
        else if (a + c < 0) neg += det > 0 ? 2 : 1;
      }
      k += 2;
    }
  }
  return neg;
}

PetscErrorCode SLHessCountEval(SLHessCount hc, PetscReal lambda, PetscInt *count, PetscBool *ok)
{
  SLHessClass  cl = hc->cl;
  PetscInt     N = cl->N, nneg, nnegS = 0;
  PetscMPIInt  rank;
  PetscBLASInt info = 0; /* LAPACK's, on rank 0 */

  PetscFunctionBeginUser;
  PetscCheck(!PetscIsNanReal(lambda), cl->info.comm, PETSC_ERR_ARG_OUTOFRANGE, "SLHessianCountBelow: lambda is NaN");
  PetscCall(PetscLogEventBegin(SL_EVENT_HessCount, 0, 0, 0, 0));
  SLCountBlocks(cl, lambda, &nneg, ok);
  *count = -1;
  if (!*ok) {
    PetscCall(PetscLogEventEnd(SL_EVENT_HessCount, 0, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  if (cl->part == SL_HESS_RESIDUAL) { /* U = 0: the count is the inertia of R - lambda I */
    *count = nneg;
    PetscCall(PetscLogEventEnd(SL_EVENT_HessCount, 0, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  SLHessClassShiftedAggregates(cl, lambda, hc->G);
  SLHessClassAssemble(cl, hc->G, cl->info.has_c ? -1.0 / lambda : 0.0, hc->S); /* c: weight 1/(0 - lambda) */
  for (PetscInt m = 0; m < N; m++)
    for (PetscInt n = 0; n < N; n++) hc->S[n + m * N] = (n == m ? -1.0 : 0.0) - cl->scale * hc->S[n + m * N];
  PetscCall(PetscLogFlops(3.0 * N * N + N * N * N / 3.0));
  PetscCallMPI(MPI_Comm_rank(cl->info.comm, &rank));
  if (rank == 0) {
    PetscCallBLAS("LAPACKsytrf", LAPACKsytrf_("L", &hc->bN, hc->S, &hc->bN, hc->ipiv, hc->work, &hc->lwork, &info));
    if (info >= 0) nnegS = SLInertiaLDL(N, hc->S, hc->ipiv); /* info > 0: an exactly zero pivot, counted as not negative */
  }
  PetscCallMPI(MPI_Bcast(&nnegS, 1, MPIU_INT, 0, cl->info.comm));
  *count = nneg + nnegS - N;
  PetscCall(PetscLogEventEnd(SL_EVENT_HessCount, 0, 0, 0, 0)); /* before the checks: balanced on every path */
  PetscCheck(info >= 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsytrf failed on the %" PetscInt_FMT " x %" PetscInt_FMT " Schur complement (info %d)", N, N, (int)info);
  PetscCheck(*count >= 0 && *count <= cl->info.P, cl->info.comm, PETSC_ERR_PLIB, "Inertia count %" PetscInt_FMT " at lambda = %g outside [0, P = %" PetscInt_FMT "]", *count, (double)lambda, cl->info.P);
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessCountEvalNudged(SLHessCount hc, PetscReal lambda, PetscInt dir, PetscInt *count, PetscReal *used)
{
  PetscBool ok;
  PetscReal l = lambda, delta = 1e-12 * PetscMax(PetscAbsReal(lambda), hc->cl->hscale);

  PetscFunctionBeginUser;
  if (delta == 0) delta = PETSC_SMALL;
  if (dir < 0) delta = -delta;
  for (PetscInt attempt = 0; attempt < 8; attempt++) {
    PetscCall(SLHessCountEval(hc, l, count, &ok));
    if (ok) break;
    l = lambda + delta;
    delta *= 10.0;
  }
  PetscCheck(ok, hc->cl->info.comm, PETSC_ERR_CONV_FAILED, "Inertia count: lambda = %g stays on an eigenvalue of the residual term R after 8 nudges", (double)lambda);
  if (used) *used = l;
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessCountGetBounds(SLHessCount hc, PetscReal *lo, PetscReal *hi)
{
  PetscFunctionBeginUser;
  /* J^T J is PSD with largest eigenvalue <= its trace, and every eigenvalue of R lies in [-rnorm, rnorm] */
  *lo = -hc->cl->rnorm;
  *hi = hc->cl->gtrace + hc->cl->rnorm;
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessCountGetScale(SLHessCount hc, PetscReal *hscale)
{
  PetscFunctionBeginUser;
  *hscale = hc->cl->hscale;
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessCountBound(SLHessCount hc, PetscReal thr, PetscInt *nbound)
{
  SLHessClass cl = hc->cl;

  PetscFunctionBeginUser;
  *nbound = 0;
  for (PetscInt c = 0; c < cl->nc; c++) /* ev = (0, rho, -rho) NN, (|e|, -|e|) BDSO */
    if (cl->count[c] > 0 && PetscAbsReal(cl->ev[3 * c + cl->info.npn - 2]) > thr) *nbound += cl->count[c];
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianCountBelow(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal lambda, PetscInt *count, PetscBool *ok)
{
  SLHessCount hc;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountCreate(model, data, type, part, &hc));
  PetscCall(SLHessCountEval(hc, lambda, count, ok));
  PetscCall(SLHessCountDestroy(&hc));
  PetscFunctionReturn(0);
}
