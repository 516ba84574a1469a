/* SLTrainer: the object, its options, view, cost estimate (docs/theory.md section 5: gradient flow
 * d theta/dt = -grad l, gradient descent = its forward-Euler discretisation). The top of src/train/: the TS set-up
 * and the run are in train_run.c, the output schedule in train_schedule.c (see train_impl.h).
 */
#include "train_impl.h"

const char *const SLTrainImplicitTypes[] = {"sdirk", "midpoint", "SLTrainImplicitType", "SL_TRAIN_IMPLICIT_", NULL};
const char *const SLStopReasons[]        = {"none", "loss_tol", "stationary", "max_time", "max_steps", "diverged", "nan", "ts_failed", "interrupted", "SLStopReason", "SL_STOP_", NULL};

PetscErrorCode SLTrainerCreate(MPI_Comm comm, SLTrainer *tr)
{
  SLTrainer t;

  PetscFunctionBeginUser;
  PetscCall(SLInitializePackage());
  PetscCall(PetscNew(&t));
  t->comm         = comm;
  t->max_time     = 100.0;
  t->max_steps    = 100000;
  t->loss_tol     = 1e-12;
  t->grad_rtol    = 1e-9;
  t->diverge      = 1e6;
  t->gd           = PETSC_FALSE;
  t->lr           = 1e-2;
  t->K            = 8;
  t->M            = 64;
  t->t0           = 1e-3;
  t->loss         = SL_LOSS_SUM;
  t->rtol         = 1e-8;
  t->atol         = 1e-8;
  t->conservative = PETSC_TRUE; /* the default integrator: implicit, L-stable SDIRK + projection (README "Integrators") */
  t->implicit     = SL_TRAIN_IMPLICIT_SDIRK;
  t->interrupt    = NULL;
  *tr             = t;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerSetOptionsPrefix(SLTrainer tr, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCheck(tr->nts == 0, tr->comm, PETSC_ERR_ORDER, "SLTrainerSetOptionsPrefix: call it before SLTrainerSetFromOptions (the TS is configured there)");
  PetscCall(PetscFree(tr->prefix));
  if (prefix && prefix[0]) PetscCall(PetscStrallocpy(prefix, &tr->prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerSetFromOptions(SLTrainer tr)
{
  PetscBool cset = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCheck(tr->nts == 0, tr->comm, PETSC_ERR_ORDER, "SLTrainerSetFromOptions: the trainer is configured once, before its first run");
  PetscCall(SLOptionsCheckEnum(tr->prefix, "-loss", SLLossTypes));
  PetscCall(SLOptionsCheckEnum(tr->prefix, "-implicit", SLTrainImplicitTypes));
  PetscOptionsBegin(tr->comm, tr->prefix, "Gradient-flow training", NULL);
  PetscCall(PetscOptionsReal("-max_time", "Training time horizon T (gradient flow time; GD: steps x lr)", "SLTrainerSetFromOptions", tr->max_time, &tr->max_time, NULL));
  PetscCall(SLOptionsBoundedInt("-max_steps", "Maximum number of accepted time steps (GD: gradient steps)", "SLTrainerSetFromOptions", tr->max_steps, &tr->max_steps, NULL, 1, PETSC_MAX_INT));
  PetscCall(PetscOptionsReal("-loss_tol", "Stop when the loss is <= this", "SLTrainerSetFromOptions", tr->loss_tol, &tr->loss_tol, NULL));
  PetscCall(PetscOptionsReal("-grad_rtol", "Stop as stationary (a critical point that does not interpolate) when ||grad l|| <= this times (||grad l(theta_0)|| + tiny); 0: never", "SLTrainerSetFromOptions", tr->grad_rtol, &tr->grad_rtol, NULL));
  PetscCall(PetscOptionsReal("-diverge", "Fail when the loss exceeds this factor times the initial loss (and 1)", "SLTrainerSetFromOptions", tr->diverge, &tr->diverge, NULL));
  PetscCall(PetscOptionsBool("-gd", "Plain gradient descent: forward Euler with fixed step -sl_train_lr", "SLTrainerSetFromOptions", tr->gd, &tr->gd, NULL));
  PetscCall(PetscOptionsBool("-conservative", "Implicit, structure-preserving gradient flow (the default; method: -sl_train_implicit) with the Hessian Jacobian, conserving q = v^2-w^2-b^2; false: explicit adaptive TSRK 3bs (or -sl_train_ts_type)", "SLTrainerSetFromOptions", tr->conservative, &tr->conservative, &cset));
  PetscCall(PetscOptionsEnum("-implicit", "Method of -sl_train_conservative: sdirk = L-stable 2-stage SDIRK (TSARKIMEX L2) with q restored by projection after every step; midpoint = implicit midpoint rule (TSTHETA 0.5), q conserved by the method, A- but not L-stable", "SLTrainerSetFromOptions", SLTrainImplicitTypes,
                             (PetscEnum)tr->implicit, (PetscEnum *)&tr->implicit, NULL));
  if (tr->gd && !cset) tr->conservative = PETSC_FALSE; /* -sl_train_gd alone selects gradient descent */
  if (!cset && !tr->gd) {                              /* -sl_train_ts_type alone: that TS on the explicit form */
    PetscBool ts_type;

    PetscCall(PetscOptionsHasName(NULL, tr->prefix, "-ts_type", &ts_type));
    if (ts_type) tr->conservative = PETSC_FALSE;
  }
  PetscCall(PetscOptionsReal("-lr", "Gradient-descent learning rate (Euler step)", "SLTrainerSetFromOptions", tr->lr, &tr->lr, NULL));
  PetscCall(SLOptionsBoundedInt("-snapshots", "Number K of parameter snapshots (t = 0, then log-spaced up to max_time)", "SLTrainerSetFromOptions", tr->K, &tr->K, NULL, 2, PETSC_MAX_INT));
  PetscCall(SLOptionsBoundedInt("-curve", "Number M of loss-curve points (t = 0, then log-spaced from t0 to max_time)", "SLTrainerSetFromOptions", tr->M, &tr->M, NULL, 2, PETSC_MAX_INT));
  PetscCall(PetscOptionsReal("-t0", "First positive output time", "SLTrainerSetFromOptions", tr->t0, &tr->t0, NULL));
  PetscCall(PetscOptionsEnum("-loss", "Loss normalisation", "SLTrainerSetFromOptions", SLLossTypes, (PetscEnum)tr->loss, (PetscEnum *)&tr->loss, NULL));
  PetscCall(PetscOptionsReal("-rtol", "Relative tolerance of the adaptive time stepper (TSSetTolerances)", "SLTrainerSetFromOptions", tr->rtol, &tr->rtol, NULL));
  PetscCall(PetscOptionsReal("-atol", "Absolute tolerance of the adaptive time stepper (TSSetTolerances)", "SLTrainerSetFromOptions", tr->atol, &tr->atol, NULL));
  PetscOptionsEnd();

  PetscCheck(tr->max_time > 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_max_time %g must be > 0", (double)tr->max_time);
  PetscCheck(tr->max_steps >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_max_steps %" PetscInt_FMT " must be >= 1", tr->max_steps);
  PetscCheck(tr->loss_tol >= 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_loss_tol %g must be >= 0", (double)tr->loss_tol);
  PetscCheck(tr->grad_rtol >= 0 && tr->grad_rtol < 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_grad_rtol %g must be in [0, 1)", (double)tr->grad_rtol);
  PetscCheck(tr->diverge > 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_diverge %g must be > 1", (double)tr->diverge);
  PetscCheck(!(tr->gd && tr->conservative), tr->comm, PETSC_ERR_ARG_INCOMP, "-sl_train_gd and -sl_train_conservative exclude each other (gradient descent is forward Euler)");
  PetscCheck(tr->lr > 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_lr %g must be > 0", (double)tr->lr);
  PetscCheck(tr->K >= 2, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_snapshots %" PetscInt_FMT " must be >= 2 (t = 0 and the final time)", tr->K);
  PetscCheck(tr->M >= tr->K, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_curve %" PetscInt_FMT " must be >= -sl_train_snapshots %" PetscInt_FMT, tr->M, tr->K);
  PetscCheck(tr->t0 > 0 && tr->t0 < tr->max_time, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_t0 %g must be in (0, -sl_train_max_time %g)", (double)tr->t0, (double)tr->max_time);
  PetscCheck(tr->rtol > 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_rtol %g must be > 0", (double)tr->rtol);
  PetscCheck(tr->atol > 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_atol %g must be > 0", (double)tr->atol);
  {
    SLTrainSchedule s; /* refuses a curve too dense for the time range, now rather than at the first run */

    PetscCall(SLTrainScheduleCreate(tr, &s));
    PetscCall(SLTrainScheduleDestroy(&s));
  }
  tr->setfromoptions = PETSC_TRUE;
  /* The TS of runs on the trainer's communicator, configured now: its options (-<prefix>ts_*, and -snes_*,
   * -ksp_*, -pc_* when conservative) are documented under -help and validated before any run. */
  PetscCall(SLTrainerSetUp(tr, tr->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerGetLossType(SLTrainer tr, SLLossType *type)
{
  PetscFunctionBeginUser;
  *type = tr->loss;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerGetLossTol(SLTrainer tr, PetscReal *tol)
{
  PetscFunctionBeginUser;
  *tol = tr->loss_tol;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerGetOutputSizes(SLTrainer tr, PetscInt *K, PetscInt *M)
{
  PetscFunctionBeginUser;
  if (K) *K = tr->K;
  if (M) *M = tr->M;
  PetscFunctionReturn(0);
}

/* A rough count of gradient evaluations (for the cost model, not a promise):
 *  GD: one per step, min(max_steps, ceil(max_time/lr)), plus the initial evaluation;
 *  conservative (implicit SDIRK or midpoint): about 10x the gradients of RK 3bs per step;
 *  RK 3bs: 3 new stages per step (first-same-as-last) and a step count guessed as 200 per decade of time
 *  between t0 and max_time plus 2 per output time (the clipped steps that land on them). */
PetscErrorCode SLTrainerGetCostEstimate(SLTrainer tr, PetscReal *evals)
{
  PetscFunctionBeginUser;
  if (tr->gd) {
    *evals = PetscMin((PetscReal)tr->max_steps, PetscCeilReal(tr->max_time / tr->lr)) + 1.0;
  } else if (tr->conservative) {
    PetscReal steps = 200.0 * PetscLog10Real(tr->max_time / tr->t0) + 2.0 * (PetscReal)tr->M;

    /* ~3 Newton iterations per step, each a gradient, a Hessian setup and ~N+1 Hessian products: ~10 gradients */
    *evals = 30.0 * PetscMin((PetscReal)tr->max_steps, steps) + 1.0;
  } else {
    PetscReal steps = 200.0 * PetscLog10Real(tr->max_time / tr->t0) + 2.0 * (PetscReal)tr->M;

    *evals = 3.0 * PetscMin((PetscReal)tr->max_steps, steps) + 1.0;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerSetInterruptFlag(SLTrainer tr, volatile sig_atomic_t *flag)
{
  PetscFunctionBeginUser;
  tr->interrupt = flag;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerView(SLTrainer tr, PetscViewer viewer)
{
  PetscBool iascii;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(tr->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "SLTrainer: %s, loss %s\n", tr->gd ? "gradient descent (forward Euler, fixed step)" : (tr->conservative ? (tr->implicit == SL_TRAIN_IMPLICIT_SDIRK ? "gradient flow, conservative (the default, -sl_train_conservative; -sl_train_implicit sdirk: L-stable SDIRK TSARKIMEX L2, q restored by projection, Hessian Jacobian, Newton with direct Woodbury solves)" : "gradient flow, conservative (-sl_train_implicit midpoint: implicit midpoint TSTHETA 0.5, Hessian Jacobian, Newton with direct Woodbury solves)") : "gradient flow (-sl_train_conservative 0: adaptive TS, default TSRK 3bs)"), SLLossTypes[tr->loss]));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (tr->gd) PetscCall(PetscViewerASCIIPrintf(viewer, "learning rate (step) %g\n", (double)tr->lr));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "rtol %g, atol %g\n", (double)tr->rtol, (double)tr->atol));
  PetscCall(PetscViewerASCIIPrintf(viewer, "max time %g, max steps %" PetscInt_FMT ", loss tol %g, grad rtol %g, diverge factor %g\n", (double)tr->max_time, tr->max_steps, (double)tr->loss_tol, (double)tr->grad_rtol, (double)tr->diverge));
  PetscCall(PetscViewerASCIIPrintf(viewer, "outputs: %" PetscInt_FMT " snapshots, %" PetscInt_FMT " loss-curve points, log-spaced from t0 = %g\n", tr->K, tr->M, (double)tr->t0));
  if (tr->conservative && tr->implicit == SL_TRAIN_IMPLICIT_SDIRK)
    PetscCall(PetscViewerASCIIPrintf(viewer, "q = v^2-w^2-b^2 restored after every step by the nearest-point projection (per neuron, to rounding); stages solved to 1e-3 x rtol (-sl_train_snes_rtol, -sl_train_snes_stol)\n"));
  else if (tr->conservative) PetscCall(PetscViewerASCIIPrintf(viewer, "q = v^2-w^2-b^2 conserved to the Newton tolerance (-sl_train_snes_rtol 1e-12, -sl_train_snes_stol 1e-14 by default)\n"));
  {
    const char *pre = tr->prefix ? tr->prefix : "";

    if (tr->conservative) PetscCall(PetscViewerASCIIPrintf(viewer, "TS options prefix: -%s (e.g. -%sts_type, -%sts_adapt_type, -%ssnes_*, -%sksp_*, -%spc_*)\n", pre, pre, pre, pre, pre, pre));
    else PetscCall(PetscViewerASCIIPrintf(viewer, "TS options prefix: -%s (e.g. -%sts_type, -%sts_adapt_type)\n", pre, pre, pre));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerDestroy(SLTrainer *tr)
{
  PetscFunctionBeginUser;
  if (!tr || !*tr) PetscFunctionReturn(0);
  for (PetscInt k = 0; k < (*tr)->nts; k++) PetscCall(TSDestroy(&(*tr)->ts[k]));
  PetscCall(PetscFree((*tr)->prefix));
  PetscCall(PetscFree(*tr));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainResultReset(SLTrainResult *res)
{
  PetscFunctionBeginUser;
  if (!res) PetscFunctionReturn(0);
  PetscCall(PetscFree(res->snap_time));
  PetscCall(PetscFree(res->snap_loss));
  PetscCall(PetscFree(res->snap_theta));
  PetscCall(PetscFree(res->curve_time));
  PetscCall(PetscFree(res->curve_loss));
  PetscCall(PetscMemzero(res, sizeof(*res)));
  PetscFunctionReturn(0);
}
