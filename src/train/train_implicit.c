/* -sl_train_conservative: gradient flow by an implicit method with the Hessian Jacobian (docs/theory.md section 5.1,
 * claim 9). Two methods (-sl_train_implicit):
 *  - sdirk (the default): the L-stable 2-stage SDIRK of PETSc's TSARKIMEX L2 run fully implicit (gamma = 1 - 1/sqrt 2,
 *    order 2, embedded first-order error estimate). Every stage is a proximal step X = Z - h gamma grad l(X) solved by
 *    Newton with the Jacobian below; R(infinity) = 0, so stiff components are damped even when the step is far
 *    beyond 1/lambda_max. q is restored after every accepted step by the nearest-point projection
 *    (SLTrainProjectNeuron, one scalar Newton solve per neuron);
 *  - midpoint: the implicit midpoint rule (1-stage Gauss-Legendre collocation; TSTHETA with theta = 1/2, endpoint
 *    false). It conserves q by itself (below) but is only A-stable: R(infinity) = -1 reflects stiff components.
 *
 * Midpoint and q: q_i = v_i^2 - w_i^2 - b_i^2 is a quadratic invariant, theta^T A F(theta) = 0 for every theta (A = diag
 * (-1, -1, +1) per neuron, 0 on c), including at kinks where a breakpoint sits on a data point. Gauss collocation
 * conserves such invariants exactly whatever the step: with the stage X = X0 + (h/2) F(X) and X1 = 2 X - X0,
 * q(X1) - q(X0) = 4 (X - X0)^T A X = 2 h F(X)^T A X = 0. With an inexact stage solve, G(X) = (2/h)(X - X0) - F(X)
 * != 0, the drift is 2 h G^T A X: it is set by the nonlinear-solver tolerance, not by the step size, hence the
 * tight Newton defaults below (the stage update tolerance -sl_train_snes_stol 1e-14 relative to |X|).
 *
 * The stage equation is written as an implicit ODE G(U, U') = U' + grad l(U) = 0, so its Jacobian is
 * shift I + Hess(U) (docs/theory.md section 4, analytic Hessian): the operator A applies it matrix-free
 * (SLHessianCreateShellAt, made at every Newton iterate from the class evaluation's residuals and classes, O(P) to
 * create), and the Newton system is solved directly by the preconditioner (PCSHELL with KSPPREONLY):
 * SLHessianSolve, Woodbury on the class structure, O(P + N^2) per solve after an O(nc + N^3) setup, with the
 * pinned kinks below as bordering constraints. No Krylov iteration and no inner product over the ranks: the
 * Newton step, like every other number of the run, is bitwise independent of the rank count. (The former
 * GMRES with the block-diagonal part shift I + R as preconditioner needed up to N + 1 Hessian products per
 * Newton step.)
 *
 * Sliding kinks. grad l jumps by scale v_i r_n (x_n, 1, 0) in the (w_i, b_i, v_i) block when the breakpoint of
 * neuron i crosses x_n. Where the flow pushes the breakpoint onto x_n from both sides (Filippov sliding), the
 * stage equation has no root: Newton iterates flip sides forever and the step would collapse (as the explicit
 * controller's does). The stage is the stationarity condition of the proximal problem min l(X) + |X - X0|^2 / h,
 * whose minimiser then sits on the kink: 0 = (2/h)(X - X0) + g(X) + mu (x_n, 1, 0) with w_i x_n + b_i = 0 (mu:
 * a convex combination of the two one-sided gradients). A pair (i, n) whose activation flips at two Newton
 * iterates in a row, which the breakpoint can reach in the step and where the one-sided gradients both point into
 * the kink, is "pinned" for the step: the (w_i, b_i) rows of G become the residual across the jump direction,
 * (G_w - x_n G_b) / s, and the constraint shift (w_i x_n + b_i) / s (s = sqrt(1 + x_n^2)); the Jacobian rows
 * are transformed the same way, and the direct solve takes the pin as a constraint on the neuron's block. q is still conserved exactly: X^T A g(X) = 0 for the
 * one-sided gradient at every X, and X^T A (x_n, 1, 0)_i = -(w_i x_n + b_i) = 0 on the constraint. Pins are
 * released after every accepted step (the next stage re-detects them within two iterations).
 *
 * Time step: adaptive, TSAdapt slbasic (train_adapt.c: PETSc's basic controller with the error norm summed in a
 * fixed order) with -sl_train_rtol/-sl_train_atol: SDIRK from its embedded estimate;
 * TSTHETA from the last three solutions (backward differences, order 2), where the first step of every output
 * segment has no estimate (PETSc restarts the history) and is taken with the step the controller proposed
 * last. Pins belong to one step attempt: they are cleared when a new attempt starts (SLTrainImplicitPreStage). A failed Newton solve (or a non-finite loss in an iterate) shortens the step (unlimited retries), so the
 * stop logic of train_run.c sees only accepted steps. Every option stays overridable: -sl_train_ts_*,
 * -sl_train_snes_*, -sl_train_ksp_*, -sl_train_pc_*.
 */
#include <splinelens/hessian.h>
#include "train_impl.h"

typedef struct {
  SLTrainCtx *run;
  Mat         Hs;         /* Hessian operator at the last Jacobian state (NULL before the first) */
  PetscReal   shift;      /* d U'/d U of the current stage (2/h for the midpoint rule)           */
  Mat         A;          /* shift I + Hess with the pinned rows transformed (shell)                 */
  SLHessSolve hsolve;     /* direct solver of the Newton system (the preconditioner, PCSHELL)          */
  PetscBool   hsolve_ok;  /* its last setup found the system nonsingular                             */
  PetscInt   *pin_nrn;    /* the pinned local neurons and their constraint directions, for the setup */
  PetscInt    npin_local; /* how many (of this rank's neurons) the last setup took                   */
  PetscReal  *pin_dir, *pin_c, *rbuf;
  /* sliding kinks (see the header comment): pin[i] = data point whose breakpoint constraint replaces the
   * along-jump residual of local neuron i, -1 when free; side/flips: activation of (i, n) at the last Newton
   * iterate and how many iterates in a row it flipped, kept up to date only for neurons whose class changed:
   * pcls[i] the class of local neuron i at the last iterate (-1: none yet), anyflip[i] some flips[i, .] != 0 */
  PetscInt *pin, *pcls;
  char     *side, *flips, *anyflip;
  PetscInt *carry;   /* carry[i]: the data point local neuron i was pinned to at the end of the last accepted step, or -1 */
  PetscInt  npinned; /* Newton iterations and step attempts that placed pins in this run (diagnostics) */
  /* SDIRK: q_i(0) of the local neurons, the target of the projection after every step */
  PetscReal *q0;
  PetscReal  max_proj;              /* largest relative projection correction of the run (diagnostics) */
  PetscReal  attempt_t, attempt_dt; /* start time and step of the step attempt the pins belong to */
  PetscReal *u0;                    /* the state at the start of the step (local part)              */
  PetscInt   nqreject;              /* stages refused by SLTrainImplicitCheckStage (diagnostics)     */
} SLTrainImplicit;

PetscErrorCode SLTrainImplicitConfigure(SLTrainer tr, TS ts)
{
  TSAdapt adapt;
  SNES    snes;
  KSP     ksp;
  PC      pc;

  PetscFunctionBeginUser;
  if (tr->implicit == SL_TRAIN_IMPLICIT_SDIRK) {
    PetscCall(TSSetType(ts, TSARKIMEX));
    PetscCall(TSARKIMEXSetType(ts, TSARKIMEXL2));
    PetscCall(TSARKIMEXSetFullyImplicit(ts, PETSC_TRUE)); /* the whole gradient is the implicit part */
  } else {
    PetscCall(TSSetType(ts, TSTHETA));
    PetscCall(TSThetaSetTheta(ts, 0.5));
    PetscCall(TSThetaSetEndpoint(ts, PETSC_FALSE)); /* the midpoint rule, not the trapezoidal rule (not symplectic) */
  }
  /* a step whose stage solve fails or whose error is too large is retried shorter, many times if need be (a
   * kink crossing can take several halvings); the run's budget is -sl_train_max_steps accepted steps */
  PetscCall(TSSetMaxStepRejections(ts, 100));
  PetscCall(TSGetAdapt(ts, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTSLBASIC));
  /* a step grows at most 3x (PETSc's default 10x): while a breakpoint slides along a data point the 10x attempt
   * after an accepted step was rejected nearly every time (error estimates ~1e-10 then ~30), which doubled the
   * attempts; measured on the default study: 35 -> 21 s of CPU, its slowest run 23800 -> 4117 steps, the
   * benchmark's training runs mostly 10-30% faster (-sl_train_ts_adapt_clip restores any other) */
  PetscCall(TSAdaptSetClip(adapt, 0.1, 3.0));
  PetscCall(TSSetTimeStep(ts, tr->t0));
  PetscCall(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSSetMaxSNESFailures(ts, -1)); /* a failed stage solve shortens the step instead of ending the run */
  PetscCall(TSGetSNES(ts, &snes));
  PetscCall(SNESSetType(snes, SNESNEWTONLS));
  {
    SNESLineSearch ls; /* full Newton steps: pinning a kink mid-solve changes the residual, which a line search
                        * comparing residual norms across iterates would take for a failure */

    PetscCall(SNESGetLineSearch(snes, &ls));
    PetscCall(SNESLineSearchSetType(ls, SNESLINESEARCHBASIC));
  }
  /* abstol ~ 0: a small gradient is no reason to stop (the drift is relative to |X|). The midpoint rule's q drift
   * is set by the Newton tolerance (header comment): rtol 1e-12 on the residual or an update below 1e-14 |X|
   * (quadratic convergence: the residual left is ~ (1e-14 |X|)^2). SDIRK restores q by projection, so its stages
   * need only be solved well below the step's error tolerance: residual and update 1e-3 x -sl_train_rtol (at
   * least 1e-14). Measured on the training benchmark's H = 2048, alpha 0.1 run (rtol 1e-6): Newton iterations
   * 9313 -> 7581, the same number of steps, final loss 5.23e-9 -> 5.19e-9. */
  if (tr->implicit == SL_TRAIN_IMPLICIT_SDIRK) {
    const PetscReal tol = PetscMax(1e-3 * tr->rtol, 1e-14);

    PetscCall(SNESSetTolerances(snes, 1e-50, tol, tol, 50, PETSC_DEFAULT));
  } else PetscCall(SNESSetTolerances(snes, 1e-50, 1e-12, 1e-14, 50, PETSC_DEFAULT));
  /* no divergence test on the residual norm: pinning a kink mid-solve replaces two rows by the constraint
   * shift (w x_n + b), which for a short step (large shift) can exceed any multiple of the first residual although
   * the iteration converges; with the test on, every attempt that pins failed (DIVERGED_DTOL) and the steps shrank
   * to ~1e-5 for thousands of steps */
  PetscCall(SNESSetDivergenceTolerance(snes, -1.0));
  PetscCall(SNESGetKSP(snes, &ksp));
  /* the Newton system is solved directly (SLHessianSolve, the PCSHELL set per run in SLTrainImplicitSetUp): no
   * Krylov iterations and no inner products, so the step is bitwise independent of the rank count. A Krylov
   * method can still be chosen (-sl_train_ksp_type gmres: the exact preconditioner makes it converge in one
   * iteration) */
  PetscCall(KSPSetType(ksp, KSPPREONLY));
  PetscCall(KSPSetTolerances(ksp, 1e-12, 0.0, PETSC_DEFAULT, 100));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCSHELL));
  PetscFunctionReturn(0);
}

/* G(U, U') = U' + grad l(U). A non-finite loss or gradient is a domain error: the Newton solve fails and the
 * TS retries with a shorter step (as the explicit path rejects such a stage). */
static PetscErrorCode SLTrainIFunction(TS ts, PetscReal t, Vec U, Vec Udot, Vec F, void *vctx)
{
  SLTrainImplicit *im  = (SLTrainImplicit *)vctx;
  SLTrainCtx      *ctx = im->run;
  const PetscReal *ud;
  PetscReal       *f;

  PetscFunctionBeginUser;
  (void)t;
  PetscCall(SLTrainEvaluate(ctx, U));
  if (ctx->cache_bad) {
    SNES snes;

    PetscCall(TSGetSNES(ts, &snes));
    PetscCall(SNESSetFunctionDomainError(snes));
    PetscCall(VecSet(F, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetArrayRead(Udot, &ud));
  PetscCall(VecGetArrayWrite(F, &f));
  for (PetscInt p = 0; p < ctx->Plocal; p++) f[p] = ud[p] + ctx->g[p];
  PetscCall(VecRestoreArrayRead(Udot, &ud));
  if (im->npinned) {
    const PetscReal *u;
    PetscCall(VecGetArrayRead(U, &u));
    for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) {
      if (im->pin[i] < 0) continue;
      {
        const PetscReal x = ctx->data->x[im->pin[i]], s = PetscSqrtReal(1 + x * x), fw = f[3 * i], fb = f[3 * i + 1];

        f[3 * i]     = (fw - x * fb) / s;                             /* residual across the jump direction   */
        f[3 * i + 1] = im->shift * (x * u[3 * i] + u[3 * i + 1]) / s; /* breakpoint stays on x: w x + b = 0 */
      }
    }
    PetscCall(VecRestoreArrayRead(U, &u));
  }
  PetscCall(VecRestoreArrayWrite(F, &f));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainJacobianMult(Mat A, Vec x, Vec y)
{
  SLTrainImplicit *im;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &im));
  PetscCall(MatMult(im->Hs, x, y));
  PetscCall(VecAXPY(y, im->shift, x));
  if (im->npinned) { /* the rows of the pinned neurons, transformed as in SLTrainIFunction */
    const PetscReal *xa;
    PetscReal       *ya;

    PetscCall(VecGetArrayRead(x, &xa));
    PetscCall(VecGetArray(y, &ya));
    for (PetscInt i = 0; i < im->run->scratch->hlocal; i++) {
      if (im->pin[i] < 0) continue;
      {
        const PetscReal xn = im->run->data->x[im->pin[i]], s = PetscSqrtReal(1 + xn * xn), yw = ya[3 * i], yb = ya[3 * i + 1];

        ya[3 * i]     = (yw - xn * yb) / s;
        ya[3 * i + 1] = im->shift * (xn * xa[3 * i] + xa[3 * i + 1]) / s;
      }
    }
    PetscCall(VecRestoreArray(y, &ya));
    PetscCall(VecRestoreArrayRead(x, &xa));
  }
  PetscFunctionReturn(0);
}

/* dG/dU + shift dG/dU' = Hess(U) + shift I (the shell A), and the direct solver of that system with the pinned
 * rows (PCSHELL, SLTrainPCApply): set up here, where the state, the shift and the pins of the Newton iteration
 * are known. */
static PetscErrorCode SLTrainIJacobian(TS ts, PetscReal t, Vec U, Vec Udot, PetscReal shift, Mat A, Mat B, void *vctx)
{
  SLTrainImplicit *im  = (SLTrainImplicit *)vctx;
  SLTrainCtx      *ctx = im->run;
  SLNetwork        net = ctx->scratch;
  PetscInt         k   = 0;

  PetscFunctionBeginUser;
  (void)ts;
  (void)t;
  (void)Udot;
  /* residuals ctx->r and classes at U (normally a cache hit); the evaluation leaves U's parameters in the scratch
   * network the operator copies (SLClassEvalUpdate sets them on a miss, and a hit means they are still there) */
  PetscCall(SLTrainEvaluate(ctx, U));
  PetscCall(MatDestroy(&im->Hs));
  {
    SLModel model = {SL_COORD_NN, net, NULL};

    const PetscInt *cls;

    /* the class evaluation's residuals and classes at U: no O(H N) pass and no binary searches, and the same r
     * as the gradient in the stage residual */
    PetscCall(SLClassEvalGetClasses(ctx->ce, NULL, &cls));
    PetscCall(SLHessianCreateShellAt(model, ctx->data, ctx->tr->loss, SL_HESS_FULL, ctx->cache_bad ? NULL : ctx->r, cls, &im->Hs));
  }
  im->shift = shift;
  for (PetscInt i = 0; i < net->hlocal; i++) {
    if (im->pin[i] < 0) continue;
    {
      const PetscReal x = ctx->data->x[im->pin[i]], s = PetscSqrtReal(1 + x * x);

      im->pin_nrn[k]         = i;
      im->pin_dir[3 * k]     = x / s; /* the jump direction (x_n, 1, 0) / s of the pinned breakpoint */
      im->pin_dir[3 * k + 1] = 1.0 / s;
      im->pin_dir[3 * k + 2] = 0.0;
      k++;
    }
  }
  im->npin_local = k;
  if (ctx->cache_bad) im->hsolve_ok = PETSC_FALSE; /* the Newton solve is failing anyway (domain error) */
  else PetscCall(SLHessianSolveSetUp(im->hsolve, im->Hs, shift, k, im->pin_nrn, im->pin_dir, &im->hsolve_ok));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  if (A != B) {
    PetscCall(MatAssemblyBegin(B, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(B, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(0);
}

/* The Newton step: y = (Jacobian with pinned rows)^{-1} x exactly. A pinned neuron's rows (as in SLTrainIFunction)
 * are the residual across the jump, u^T (grad)_wb with u = (1, -x_n)/s, and the constraint shift e^T (w, b, v),
 * e = (x_n, 1, 0)/s: the bordered system (shift I + Hess) y + e lambda = r, e^T y = c with r_wb = x_w u,
 * r_v = x_v, c = x_b / shift (u^T e = 0, |u| = 1). When the setup found the system singular, the preconditioner
 * fails and the Newton solve with it (the TS retries with a shorter step, i.e. another shift). */
static PetscErrorCode SLTrainPCApply(PC pc, Vec xv, Vec yv)
{
  SLTrainImplicit *im;
  SLTrainCtx      *ctx;
  const PetscReal *x;
  PetscReal       *y;
  PetscInt         k = 0;

  PetscFunctionBeginUser;
  PetscCall(PCShellGetContext(pc, &im));
  ctx = im->run;
  if (!im->hsolve_ok) {
    PetscCall(PCSetFailedReason(pc, PC_SUBPC_ERROR));
    PetscCall(VecSet(yv, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(PCSetFailedReason(pc, PC_NOERROR)); /* a failure of an earlier setup stays with the PC otherwise */
  PetscCall(VecGetArrayRead(xv, &x));
  PetscCall(VecGetArrayWrite(yv, &y));
  if (!im->npin_local) { /* nothing to transform: solve with x itself */
    PetscCall(SLHessianSolveApply(im->hsolve, x, NULL, y));
    PetscCall(VecRestoreArrayRead(xv, &x));
    PetscCall(VecRestoreArrayWrite(yv, &y));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscArraycpy(im->rbuf, x, ctx->Plocal));
  for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) {
    if (im->pin[i] < 0) continue;
    {
      const PetscReal xn = ctx->data->x[im->pin[i]], s = PetscSqrtReal(1 + xn * xn), xw = x[3 * i];

      im->rbuf[3 * i]     = xw / s;
      im->rbuf[3 * i + 1] = -xn * xw / s;
      im->pin_c[k++]      = x[3 * i + 1] / im->shift;
    }
  }
  PetscCall(SLHessianSolveApply(im->hsolve, im->rbuf, im->pin_c, y));
  PetscCall(VecRestoreArrayRead(xv, &x));
  PetscCall(VecRestoreArrayWrite(yv, &y));
  PetscFunctionReturn(0);
}

/* Sliding kink test (docs/theory.md section 5.1) of local neuron i at data point n, at the state u whose gradient
 * and residuals the run's cache holds (ctx->g, ctx->r: call SLTrainEvaluate(ctx, u) first; the side of x_n the evaluation took is the sign of w x_n + b): with the one-sided
 * gradients g_I (x_n inactive) and g_A = g_I + scale v r_n (x_n, 1) (active) in the (w, b) block, the breakpoint
 * is pushed onto x_n from both sides when dz/dt = -(x_n g_w + g_b), z = w x_n + b, is > 0 on the inactive side
 * and < 0 on the active side. */
static PetscBool SLTrainSliding(const SLTrainCtx *ctx, const PetscReal *u, PetscInt i, PetscInt n)
{
  const PetscReal x = ctx->data->x[n], scale = SLLossScale(ctx->tr->loss, ctx->data->N);
  const PetscReal jump = scale * u[3 * i + 2] * ctx->r[n] * (1 + x * x); /* e . (g_A - g_I), e = (x_n, 1) */
  const PetscReal eg   = x * ctx->g[3 * i] + ctx->g[3 * i + 1];          /* e . g on the side of u          */
  const PetscBool side = (u[3 * i] * x + u[3 * i + 1] > 0) ? PETSC_TRUE : PETSC_FALSE;
  const PetscReal egI = side ? eg - jump : eg, egA = side ? eg : eg + jump;

  return (egI < 0 && egA > 0) ? PETSC_TRUE : PETSC_FALSE;
}

/* |w x_n + b| of local neuron i at u is zero up to rounding: the breakpoint sits on x_n */
static PetscBool SLTrainOnKink(const SLTrainCtx *ctx, const PetscReal *u, PetscInt i, PetscInt n)
{
  const PetscReal x = ctx->data->x[n];

  return PetscAbsReal(u[3 * i] * x + u[3 * i + 1]) <= 1e-10 * (PetscAbsReal(u[3 * i] * x) + PetscAbsReal(u[3 * i + 1])) ? PETSC_TRUE : PETSC_FALSE;
}

/* SNES convergence test: the default one, plus kink detection. A (neuron, point) pair whose activation flips
 * at two Newton iterates in a row has no solution on either side (a sliding kink): pin it (one pin per neuron),
 * which turns the stage equation into the Filippov one, and keep iterating. */
static PetscErrorCode SLTrainSNESConverged(SNES snes, PetscInt it, PetscReal xnorm, PetscReal snorm, PetscReal fnorm, SNESConvergedReason *reason, void *vctx)
{
  SLTrainImplicit *im    = (SLTrainImplicit *)vctx;
  SLTrainCtx      *ctx   = im->run;
  const PetscInt   N     = ctx->data->N;
  const PetscReal  scale = SLLossScale(ctx->tr->loss, N);
  const PetscReal *u;
  const PetscInt  *cls;
  Vec              X;
  int              added = 0;

  PetscFunctionBeginUser;
  { /* the default test on norms by the fixed-order reduction (SLTrainVecNorm) instead of PETSc's MPI sums, so the
     * number of Newton iterations, like the iterates, does not depend on the rank count */
    Vec       v[3];
    PetscReal nrm[3] = {0, 0, 0};

    (void)xnorm;
    (void)snorm;
    (void)fnorm;
    PetscCall(SNESGetFunction(snes, &v[0], NULL, NULL));
    PetscCall(SNESGetSolution(snes, &v[1]));
    if (it > 0) PetscCall(SNESGetSolutionUpdate(snes, &v[2]));
    PetscCall(SLTrainVecNorms(ctx, it > 0 ? 3 : 2, v, nrm)); /* one pass: each bitwise its SLTrainVecNorm */
    PetscCall(SNESConvergedDefault(snes, it, nrm[1], nrm[2], nrm[0], reason, NULL));
  }
  PetscCall(SNESGetSolution(snes, &X));
  PetscCall(SLTrainEvaluate(ctx, X));                    /* gradient and residuals of the iterate (a cache hit: F was just computed) */
  PetscCall(SLClassEvalGetClasses(ctx->ce, NULL, &cls)); /* the activation classes of the iterate */
  PetscCall(VecGetArrayRead(X, &u));
  for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) {
    char *fl = im->flips + i * N, *sd = im->side + i * N;

    if (cls[i] == im->pcls[i]) { /* no activation changed at this iterate: every flip count restarts at 0 */
      if (im->anyflip[i]) {
        PetscCall(PetscArrayzero(fl, N));
        im->anyflip[i] = 0;
      }
      continue;
    }
    im->pcls[i]    = cls[i];
    im->anyflip[i] = 0;
    for (PetscInt n = 0; n < N; n++) {
      const char side = (u[3 * i] * ctx->data->x[n] + u[3 * i + 1] > 0) ? 1 : 0;

      fl[n] = (it > 0 && side != sd[n]) ? (char)PetscMin(fl[n] + 1, 100) : 0;
      sd[n] = side;
      if (fl[n]) im->anyflip[i] = 1;
      if (fl[n] >= 2 && im->pin[i] < 0 && *reason == SNES_CONVERGED_ITERATING) {
        /* only a kink the breakpoint can reach in this step: |w x_n + b| at the start of the step within a few
         * times h |dz/dt|, z = w x_n + b, whose rate is at most |x_n g_w + g_b| plus the jump of the gradient at
         * the kink. A flip of far-off iterates (an overshooting Newton step) must not pin: the pinned stage would
         * jump onto the kink, an O(1) move the error estimate of two equally pinned stages does not see. */
        const PetscReal x = ctx->data->x[n], z0 = im->u0[3 * i] * x + im->u0[3 * i + 1];
        const PetscReal rate = PetscAbsReal(x * ctx->g[3 * i] + ctx->g[3 * i + 1]) + scale * PetscAbsReal(u[3 * i + 2] * ctx->r[n]) * (1 + x * x);
        /* A breakpoint that starts the step on the kink (held there by the last step) is held again only where the
         * flow slides (SLTrainSliding at the iterate). Else it must be free to leave: seen in the default study,
         * five breakpoints held on one data point for 10^5 steps while the flow on their side led away from it. (Pins of breakpoints arriving at a kink are not tested so:
         * they also steady the Newton iteration of a crossing, and testing them tripled the Newton iterations of
         * rich-regime runs.) */
        const PetscBool onkink = SLTrainOnKink(ctx, im->u0, i, n);

        if (PetscAbsReal(z0) <= 4 * im->attempt_dt * rate && (!onkink || SLTrainSliding(ctx, u, i, n))) {
          im->pin[i] = n;
          added      = 1;
        }
      }
    }
  }
  PetscCall(VecRestoreArrayRead(X, &u));
  if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &added, 1, MPI_INT, MPI_MAX, ctx->comm));
  if (added) im->npinned++; /* > 0: the residual and Jacobian look at the pins from now on */
  PetscFunctionReturn(0);
}

/* Projection of one neuron (w, b, v) onto q = v^2 - w^2 - b^2 = q0, the nearest point in the Euclidean norm: the
 * Lagrange conditions give v = v~ / (1 - lambda), (w, b) = (w~, b~) / (1 + lambda) with the scalar lambda a root
 * of phi(lambda) = v~^2 / (1 - lambda)^2 - (w~^2 + b~^2) / (1 + lambda)^2 - q0, increasing near 0 and phi(0) = the
 * drift of the step (tiny): Newton from 0 converges in one or two iterations. Returns |lambda|. */
static PetscReal SLTrainProjectNeuron(PetscReal th[3], PetscReal q0)
{
  const PetscReal A = th[2] * th[2], B = th[0] * th[0] + th[1] * th[1];
  PetscReal       lambda = 0.0;

  if (!(A + B > 0)) return 0.0; /* the zero neuron: q = 0 = q0 */
  for (int it = 0; it < 8; it++) {
    const PetscReal um = 1.0 - lambda, up = 1.0 + lambda;
    const PetscReal phi  = A / (um * um) - B / (up * up) - q0;
    const PetscReal dphi = 2.0 * A / (um * um * um) + 2.0 * B / (up * up * up);

    if (PetscAbsReal(phi) <= 4 * PETSC_MACHINE_EPSILON * (A + B) || !(dphi > 0)) break;
    lambda -= phi / dphi;
  }
  if (!(PetscAbsReal(lambda) < 0.5)) return 0.0; /* not a small correction (a non-finite state): leave it to the stop checks */
  th[0] /= 1.0 + lambda;
  th[1] /= 1.0 + lambda;
  th[2] /= 1.0 - lambda;
  return PetscAbsReal(lambda);
}

/* Stage check of the SDIRK method (called by the TS's stage check, SLTrainDomain): the exact flow keeps every q_i,
 * and a stage value differs from the flow by the local error, so a stage that moved some q_i by more than 1e-3 of
 * the neuron's squared norm is not an approximation of the flow (seen: a stage with (w_i, b_i) = 0 for a few
 * neurons after a pinned Newton solve); refusing it makes the TS retry the step shorter. Collective. */
PetscErrorCode SLTrainImplicitCheckStage(SLTrainCtx *ctx, Vec Y, PetscBool *ok)
{
  SLTrainImplicit *im = (SLTrainImplicit *)ctx->implicit;
  const PetscReal *u;
  int              bad = 0;

  PetscFunctionBeginUser;
  *ok = PETSC_TRUE;
  if (!im || !im->q0) PetscFunctionReturn(0);
  PetscCall(VecGetArrayRead(Y, &u));
  for (PetscInt i = 0; i < ctx->scratch->hlocal && !bad; i++) {
    const PetscReal w = u[3 * i], b = u[3 * i + 1], v = u[3 * i + 2], n2 = v * v + w * w + b * b;

    bad = PetscAbsReal(SLTrainNeuronQ(u + 3 * i) - im->q0[i]) > 1e-3 * PetscMax(n2, PetscAbsReal(im->q0[i]));
  }
  PetscCall(VecRestoreArrayRead(Y, &u));
  if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, ctx->comm));
  if (bad) {
    im->nqreject++;
    *ok = PETSC_FALSE;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainImplicitPostStep(SLTrainCtx *ctx, Vec U)
{
  SLTrainImplicit *im = (SLTrainImplicit *)ctx->implicit;

  PetscFunctionBeginUser;
  if (!im) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) { /* every attempt decides afresh (SLTrainImplicitPreStage) */
    im->carry[i] = im->pin[i];
    im->pin[i]   = -1;
  }
  if (im->q0) {
    PetscReal *u;

    PetscCall(VecGetArray(U, &u));
    for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) im->max_proj = PetscMax(im->max_proj, SLTrainProjectNeuron(u + 3 * i, im->q0[i]));
    PetscCall(VecRestoreArray(U, &u));
  }
  PetscFunctionReturn(0);
}

/* A breakpoint held on its data point at the end of the last accepted step that still slides there at the start
 * of the new attempt is pinned from its first Newton iterate. Without this, every stage of a step during which a
 * breakpoint slides spent two Newton iterations rediscovering the pin (the flip test below needs two flips in a
 * row): measured on a rich-regime run (H = 2048, alpha 0.1) most stage solves took 5 iterations, 2 of them
 * flipping. Collective (the evaluation at the step's start, normally a cache hit of the post-step's). */
static PetscErrorCode SLTrainImplicitCarryPins(SLTrainCtx *ctx, SLTrainImplicit *im, Vec U)
{
  const PetscReal *u;
  int              added = 0;

  PetscFunctionBeginUser;
  PetscCall(SLTrainEvaluate(ctx, U));
  if (!ctx->cache_bad) {
    PetscCall(VecGetArrayRead(U, &u));
    for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) {
      const PetscInt n = im->carry[i];

      if (n < 0 || !SLTrainOnKink(ctx, u, i, n) || !SLTrainSliding(ctx, u, i, n)) continue;
      im->pin[i] = n;
      added      = 1;
    }
    PetscCall(VecRestoreArrayRead(U, &u));
  }
  if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &added, 1, MPI_INT, MPI_MAX, ctx->comm));
  if (added) im->npinned++;
  PetscFunctionReturn(0);
}

/* Pins belong to one step attempt: a step rejected with pins (error too large, Newton failure) is retried with a
 * shorter step from which the pinned breakpoint may not reach its data point at all; pinning it anyway would make
 * the stage jump onto the kink at any step size (an O(1) error estimate, rejected down to the minimal step).
 * So every new attempt, recognised by its (start time, step) at its first stage, starts without pins. */
static PetscErrorCode SLTrainImplicitPreStage(TS ts, PetscReal stagetime)
{
  SLTrainCtx      *ctx;
  SLTrainImplicit *im;
  PetscReal        t, dt;

  PetscFunctionBeginUser;
  (void)stagetime;
  PetscCall(TSGetApplicationContext(ts, &ctx));
  im = ctx ? (SLTrainImplicit *)ctx->implicit : NULL;
  if (!im) PetscFunctionReturn(0);
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetTimeStep(ts, &dt));
  if (t != im->attempt_t || dt != im->attempt_dt) {
    Vec              U;
    const PetscReal *u;

    for (PetscInt i = 0; i < ctx->scratch->hlocal; i++) im->pin[i] = -1;
    im->attempt_t  = t;
    im->attempt_dt = dt;
    PetscCall(TSGetSolution(ts, &U));
    PetscCall(VecGetArrayRead(U, &u));
    PetscCall(PetscArraycpy(im->u0, u, ctx->Plocal));
    PetscCall(VecRestoreArrayRead(U, &u));
    PetscCall(SLTrainImplicitCarryPins(ctx, im, U));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainImplicitSetUp(SLTrainCtx *ctx, TS ts, Vec U)
{
  SLTrainImplicit *im;
  SLNetwork        net = ctx->scratch;
  PetscInt         P, Plocal;

  PetscFunctionBeginUser;
  PetscCall(VecGetSize(U, &P));
  PetscCall(VecGetLocalSize(U, &Plocal));
  PetscCall(PetscNew(&im));
  im->run       = ctx;
  ctx->implicit = im;
  PetscCall(PetscMalloc5(PetscMax(1, net->hlocal), &im->pin, PetscMax(1, net->hlocal), &im->pcls, PetscMax(1, net->hlocal * ctx->data->N), &im->side, PetscMax(1, net->hlocal * ctx->data->N), &im->flips, PetscMax(1, net->hlocal), &im->anyflip));
  for (PetscInt i = 0; i < net->hlocal; i++) {
    im->pin[i]     = -1;
    im->pcls[i]    = -1;
    im->anyflip[i] = 0;
  }
  for (PetscInt i = 0; i < net->hlocal * ctx->data->N; i++) im->side[i] = im->flips[i] = 0;
  PetscCall(PetscMalloc4(PetscMax(1, net->hlocal), &im->pin_nrn, 3 * PetscMax(1, net->hlocal), &im->pin_dir, PetscMax(1, net->hlocal), &im->pin_c, PetscMax(1, Plocal), &im->rbuf));
  PetscCall(SLHessianSolveCreate(&im->hsolve));
  im->shift = 1.0 / ctx->tr->dt0; /* until the first Jacobian: only scales the rows of pinned kinks */
  if (ctx->tr->implicit == SL_TRAIN_IMPLICIT_SDIRK) {
    const PetscReal *u;

    PetscCall(PetscMalloc1(PetscMax(1, net->hlocal), &im->q0));
    PetscCall(VecGetArrayRead(U, &u));
    for (PetscInt i = 0; i < net->hlocal; i++) im->q0[i] = SLTrainNeuronQ(u + 3 * i);
    PetscCall(VecRestoreArrayRead(U, &u));
  }

  PetscCall(MatCreateShell(ctx->comm, Plocal, Plocal, P, P, im, &im->A));
  PetscCall(MatShellSetOperation(im->A, MATOP_MULT, (void (*)(void))SLTrainJacobianMult));

  im->attempt_t  = -1.0;
  im->attempt_dt = 0.0;
  PetscCall(PetscMalloc1(PetscMax(1, Plocal), &im->u0));
  PetscCall(PetscMalloc1(PetscMax(1, net->hlocal), &im->carry));
  for (PetscInt i = 0; i < net->hlocal; i++) im->carry[i] = -1;
  PetscCall(TSSetPreStage(ts, SLTrainImplicitPreStage));
  PetscCall(TSSetIFunction(ts, NULL, SLTrainIFunction, im));
  PetscCall(TSSetIJacobian(ts, im->A, im->A, SLTrainIJacobian, im));
  {
    SNES      snes;
    KSP       ksp;
    PC        pc;
    PetscBool shell;

    PetscCall(TSGetSNES(ts, &snes));
    PetscCall(SNESSetConvergenceTest(snes, SLTrainSNESConverged, im, NULL));
    PetscCall(SNESGetKSP(snes, &ksp));
    PetscCall(KSPGetPC(ksp, &pc));
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCSHELL, &shell));
    if (shell) { /* the default: the direct solve (another -sl_train_pc_type sees only the operator A) */
      PetscCall(PCShellSetContext(pc, im));
      PetscCall(PCShellSetApply(pc, SLTrainPCApply));
      PetscCall(PCShellSetName(pc, "splinelens: direct solve of shift I + Hess with pinned kinks (Woodbury on activation classes)"));
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainImplicitDestroy(SLTrainCtx *ctx)
{
  SLTrainImplicit *im = (SLTrainImplicit *)ctx->implicit;

  PetscFunctionBeginUser;
  if (!im) PetscFunctionReturn(0);
  PetscCall(PetscInfo(NULL, "conservative run: %" PetscInt_FMT " Newton iterations or step attempts pinned sliding kinks; largest projection correction %g; %" PetscInt_FMT " stages refused for their q\n", im->npinned, (double)im->max_proj, im->nqreject));
  PetscCall(PetscFree(im->q0));
  PetscCall(PetscFree(im->u0));
  PetscCall(PetscFree(im->carry));
  PetscCall(MatDestroy(&im->Hs));
  PetscCall(MatDestroy(&im->A));
  PetscCall(SLHessianSolveDestroy(&im->hsolve));
  PetscCall(PetscFree4(im->pin_nrn, im->pin_dir, im->pin_c, im->rbuf));
  PetscCall(PetscFree5(im->pin, im->pcls, im->side, im->flips, im->anyflip));
  PetscCall(PetscFree(im));
  ctx->implicit = NULL;
  PetscFunctionReturn(0);
}
