/* SLTrainer: options, output schedule, TS configuration, view, cost estimate (THEORY.md section 5: gradient
 * flow d theta/dt = -grad l, gradient descent = its forward-Euler discretisation). The run itself is in
 * train_run.c.
 *
 * Output schedule (fixed by the options, so every run of a study has the same layout):
 *  - curve times: time[0] = 0, then M-1 log-spaced times from t0 to max_time,
 *      time[j] = t0 (max_time/t0)^((j-1)/(M-2)),  j = 1..M-1  (time[1] = t0 and time[M-1] = max_time exactly);
 *    with M = 2 the single positive time is max_time.
 *  - snapshots: K of the curve indices, idx[0] = 0 and K-1 indices evenly spaced in 1..M-1,
 *      idx[k] = 1 + round((k-1)(M-2)/(K-2)),  k = 1..K-1  (round half up; K = 2: idx[1] = M-1),
 *    so the snapshot times are themselves log-spaced from t0 to max_time. M >= K guarantees distinct indices;
 *    a forward pass idx[k] = max(idx[k], idx[k-1]+1) and a backward pass idx[k] = min(idx[k], idx[k+1]-1)
 *    (idx[K-1] = M-1) keep them strictly increasing whatever the rounding (deterministic deduplication).
 *  - gradient descent (-sl_train_gd): every time is rounded UP to a whole number of steps,
 *      steps[j] = max(1, ceil(time[j]/lr - 1e-9)), time[j] = steps[j] lr   (j >= 1),
 *    (the 1e-9 absorbs round-off in time/lr). Several curve times can round to the same step: the run then
 *    visits that step once and the repeated entries hold the same time and values (the layout K, M is kept).
 */
#include "train_impl.h"

const char *const SLStopReasons[] = {"none", "loss_tol", "max_time", "max_steps", "diverged", "nan", "ts_failed", "interrupted", "SLStopReason", "SL_STOP_", NULL};

PetscLogEvent    SL_EVENT_Train;
static PetscBool SLTrainRegistered = PETSC_FALSE;

PetscErrorCode SLTrainerCreate(MPI_Comm comm, SLTrainer *tr)
{
  SLTrainer t;

  PetscFunctionBeginUser;
  if (!SLTrainRegistered) {
    PetscClassId cid;

    PetscCall(PetscClassIdRegister("splinelens", &cid));
    PetscCall(PetscLogEventRegister("SLTrain", cid, &SL_EVENT_Train));
    SLTrainRegistered = PETSC_TRUE;
  }
  PetscCall(PetscNew(&t));
  t->comm      = comm;
  t->max_time  = 100.0;
  t->max_steps = 100000;
  t->loss_tol  = 1e-12;
  t->diverge   = 1e6;
  t->gd        = PETSC_FALSE;
  t->lr        = 1e-2;
  t->K         = 8;
  t->M         = 64;
  t->t0        = 1e-3;
  t->loss      = SL_LOSS_SUM;
  t->rtol      = 1e-8;
  t->atol      = 1e-8;
  t->conservative = PETSC_FALSE;
  t->interrupt = NULL;
  *tr          = t;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerSetFromOptions(SLTrainer tr)
{
  TS ts;

  PetscFunctionBeginUser;
  PetscCall(SLOptionsCheckEnum("sl_train_", "-loss", SLLossTypes));
  PetscOptionsBegin(tr->comm, "sl_train_", "Gradient-flow training", NULL);
  PetscCall(PetscOptionsReal("-max_time", "Training time horizon T (gradient flow time; GD: steps x lr)", "SLTrainerSetFromOptions", tr->max_time, &tr->max_time, NULL));
  PetscCall(PetscOptionsInt("-max_steps", "Maximum number of accepted time steps (GD: gradient steps)", "SLTrainerSetFromOptions", tr->max_steps, &tr->max_steps, NULL));
  PetscCall(PetscOptionsReal("-loss_tol", "Stop when the loss is <= this", "SLTrainerSetFromOptions", tr->loss_tol, &tr->loss_tol, NULL));
  PetscCall(PetscOptionsReal("-diverge", "Fail when the loss exceeds this factor times the initial loss (and 1)", "SLTrainerSetFromOptions", tr->diverge, &tr->diverge, NULL));
  PetscCall(PetscOptionsBool("-gd", "Plain gradient descent: forward Euler with fixed step -sl_train_lr", "SLTrainerSetFromOptions", tr->gd, &tr->gd, NULL));
  PetscCall(PetscOptionsBool("-conservative", "Structure-preserving gradient flow: implicit midpoint (Gauss, TSTHETA 0.5) with the Hessian Jacobian; conserves q = v^2-w^2-b^2 to the Newton tolerance", "SLTrainerSetFromOptions", tr->conservative, &tr->conservative, NULL));
  PetscCall(PetscOptionsReal("-lr", "Gradient-descent learning rate (Euler step)", "SLTrainerSetFromOptions", tr->lr, &tr->lr, NULL));
  PetscCall(PetscOptionsInt("-snapshots", "Number K of parameter snapshots (t = 0, then log-spaced up to max_time)", "SLTrainerSetFromOptions", tr->K, &tr->K, NULL));
  PetscCall(PetscOptionsInt("-curve", "Number M of loss-curve points (t = 0, then log-spaced from t0 to max_time)", "SLTrainerSetFromOptions", tr->M, &tr->M, NULL));
  PetscCall(PetscOptionsReal("-t0", "First positive output time", "SLTrainerSetFromOptions", tr->t0, &tr->t0, NULL));
  PetscCall(PetscOptionsEnum("-loss", "Loss normalisation", "SLTrainerSetFromOptions", SLLossTypes, (PetscEnum)tr->loss, (PetscEnum *)&tr->loss, NULL));
  PetscCall(PetscOptionsReal("-rtol", "Relative tolerance of the adaptive time stepper (TSSetTolerances)", "SLTrainerSetFromOptions", tr->rtol, &tr->rtol, NULL));
  PetscCall(PetscOptionsReal("-atol", "Absolute tolerance of the adaptive time stepper (TSSetTolerances)", "SLTrainerSetFromOptions", tr->atol, &tr->atol, NULL));
  PetscOptionsEnd();

  PetscCheck(tr->max_time > 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_max_time %g must be > 0", (double)tr->max_time);
  PetscCheck(tr->max_steps >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_max_steps %" PetscInt_FMT " must be >= 1", tr->max_steps);
  PetscCheck(tr->loss_tol >= 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_loss_tol %g must be >= 0", (double)tr->loss_tol);
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
  /* A throw-away TS: documents the -sl_train_ts_* options under -help and validates them before any run. */
  PetscCall(SLTrainerCreateTS(tr, tr->comm, &ts));
  PetscCall(TSDestroy(&ts));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerCreateTS(SLTrainer tr, MPI_Comm comm, TS *ts)
{
  TSAdapt adapt;

  PetscFunctionBeginUser;
  PetscCall(TSCreate(comm, ts));
  PetscCall(TSSetOptionsPrefix(*ts, "sl_train_"));
  PetscCall(TSSetProblemType(*ts, TS_NONLINEAR));
  PetscCall(TSGetAdapt(*ts, &adapt));
  if (tr->gd) {
    /* gradient descent: theta <- theta - lr grad l, never shortened (STEPOVER; output times are whole steps) */
    PetscCall(TSSetType(*ts, TSEULER));
    PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
    PetscCall(TSSetTimeStep(*ts, tr->lr));
    PetscCall(TSSetExactFinalTime(*ts, TS_EXACTFINALTIME_STEPOVER));
  } else if (tr->conservative) {
    /* implicit midpoint, adaptive, MATCHSTEP (train_implicit.c) */
    PetscCall(SLTrainImplicitConfigure(tr, *ts));
  } else {
    /* adaptive Bogacki-Shampine 3(2); output times are hit exactly by clipping the step (MATCHSTEP) */
    PetscCall(TSSetType(*ts, TSRK));
    PetscCall(TSRKSetType(*ts, TSRK3BS)); /* see train.h: robust on the piecewise-smooth flow */
    PetscCall(TSAdaptSetType(adapt, TSADAPTBASIC));
    PetscCall(TSSetTimeStep(*ts, tr->t0));
    PetscCall(TSSetExactFinalTime(*ts, TS_EXACTFINALTIME_MATCHSTEP));
  }
  PetscCall(TSSetTolerances(*ts, tr->atol, NULL, tr->rtol, NULL));
  PetscCall(TSSetMaxTime(*ts, tr->max_time));
  PetscCall(TSSetMaxSteps(*ts, tr->max_steps));
  /* a failing step must end the run as SL_STOP_TS_FAILED, not abort the program */
  PetscCall(TSSetErrorIfStepFails(*ts, PETSC_FALSE));
  PetscCall(TSSetFromOptions(*ts));
  if (tr->gd) PetscCall(TSSetTimeStep(*ts, tr->lr)); /* the step IS the learning rate (-sl_train_ts_dt cannot change it) */
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainScheduleCreate(SLTrainer tr, SLTrainSchedule *s)
{
  const PetscInt M = tr->M, K = tr->K;

  PetscFunctionBeginUser;
  PetscCheck(K >= 2 && M >= K, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_snapshots %" PetscInt_FMT " / -sl_train_curve %" PetscInt_FMT ": need 2 <= K <= M", K, M);
  s->M     = M;
  s->K     = K;
  s->steps = NULL;
  PetscCall(PetscMalloc1(M, &s->time));
  PetscCall(PetscMalloc1(K, &s->snap));
  s->time[0] = 0.0;
  if (M == 2) s->time[1] = tr->max_time;
  else {
    const PetscReal ratio = tr->max_time / tr->t0;

    for (PetscInt j = 1; j < M; j++) s->time[j] = tr->t0 * PetscPowReal(ratio, (PetscReal)(j - 1) / (PetscReal)(M - 2));
    s->time[1]     = tr->t0;
    s->time[M - 1] = tr->max_time;
  }
  for (PetscInt j = 1; j < M; j++)
    PetscCheck(s->time[j] > s->time[j - 1], PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_curve %" PetscInt_FMT " is too large for the range -sl_train_t0 %g .. -sl_train_max_time %g: output times %" PetscInt_FMT " and %" PetscInt_FMT " coincide", M, (double)tr->t0, (double)tr->max_time, j - 1, j);
  if (tr->gd) {
    PetscCall(PetscMalloc1(M, &s->steps));
    s->steps[0] = 0;
    for (PetscInt j = 1; j < M; j++) {
      const PetscReal n = PetscCeilReal(s->time[j] / tr->lr - 1e-9);

      PetscCheck(n < (PetscReal)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_max_time %g / -sl_train_lr %g: too many steps", (double)tr->max_time, (double)tr->lr);
      s->steps[j] = PetscMax(1, (PetscInt)n);
      s->time[j]  = (PetscReal)s->steps[j] * tr->lr;
    }
  }
  /* snapshot indices: 0, then K-1 evenly spaced curve indices 1..M-1 (log-spaced times), deduplicated */
  s->snap[0] = 0;
  for (PetscInt k = 1; k < K; k++) {
    PetscInt idx = (K == 2) ? M - 1 : 1 + (PetscInt)PetscFloorReal((PetscReal)(k - 1) * (PetscReal)(M - 2) / (PetscReal)(K - 2) + 0.5);

    s->snap[k] = PetscMax(idx, s->snap[k - 1] + 1);
  }
  s->snap[K - 1] = M - 1;
  for (PetscInt k = K - 2; k >= 1; k--) s->snap[k] = PetscMin(s->snap[k], s->snap[k + 1] - 1);
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainScheduleDestroy(SLTrainSchedule *s)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(s->time));
  PetscCall(PetscFree(s->steps));
  PetscCall(PetscFree(s->snap));
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
 *  conservative (implicit midpoint): about 10x the gradients of RK 3bs per step;
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
  PetscCall(PetscViewerASCIIPrintf(viewer, "SLTrainer: %s, loss %s\n", tr->gd ? "gradient descent (forward Euler, fixed step)" : (tr->conservative ? "gradient flow, conservative (-sl_train_conservative: implicit midpoint TSTHETA 0.5, Hessian Jacobian, Newton-GMRES)" : "gradient flow (adaptive TS, default TSRK 3bs)"), SLLossTypes[tr->loss]));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (tr->gd) PetscCall(PetscViewerASCIIPrintf(viewer, "learning rate (step) %g\n", (double)tr->lr));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "rtol %g, atol %g\n", (double)tr->rtol, (double)tr->atol));
  PetscCall(PetscViewerASCIIPrintf(viewer, "max time %g, max steps %" PetscInt_FMT ", loss tol %g, diverge factor %g\n", (double)tr->max_time, tr->max_steps, (double)tr->loss_tol, (double)tr->diverge));
  PetscCall(PetscViewerASCIIPrintf(viewer, "outputs: %" PetscInt_FMT " snapshots, %" PetscInt_FMT " loss-curve points, log-spaced from t0 = %g\n", tr->K, tr->M, (double)tr->t0));
  if (tr->conservative) PetscCall(PetscViewerASCIIPrintf(viewer, "q = v^2-w^2-b^2 conserved to the Newton tolerance (-sl_train_snes_rtol 1e-12, -sl_train_snes_stol 1e-14 by default)\n"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "TS options prefix: -sl_train_ (e.g. -sl_train_ts_type, -sl_train_ts_adapt_type%s)\n", tr->conservative ? ", -sl_train_snes_*, -sl_train_ksp_*, -sl_train_pc_*" : ""));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerDestroy(SLTrainer *tr)
{
  PetscFunctionBeginUser;
  if (!tr || !*tr) PetscFunctionReturn(0);
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
