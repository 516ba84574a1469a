/* The TS of a trainer and one training run (src/train/, between the trainer object of train.c and the
 * implicit method / evaluation below it).
 *
 * SLTrainerSetUp configures one TS per communicator the trainer runs on, once: the defaults of the method, then
 * the TS options under the trainer's prefix (TSSetFromOptions). Every run on that communicator reuses it: the
 * run sets its functions, state and initial step, and TSReset afterwards frees what depended on the run's size
 * (work vectors, the Jacobian matrices), so no run parses options or creates a TS.
 *
 * SLTrainerTrain: one training run, gradient flow d theta/dt = -grad l(theta) (docs/theory.md section 5) with a
 * PETSc TS whose state is the parameter vector (local size Plocal, global P, neuron-major order, c on the last
 * rank), and the outputs at the fixed schedule of train.c.
 *
 * - The TS is solved segment by segment: TSSetMaxTime(next output time) then TSSolve, continuing the same TS
 *   (its step counter and step size carry over). Adaptive runs clip the step to land on each output time
 *   (MATCHSTEP); after a clipped step the next segment restarts from the step size the controller wanted
 *   before the clip, so output times do not slow the run down. GD never shortens a step (output times are
 *   whole numbers of steps); its time is held at exactly steps * lr.
 * - Every state the TS looks at (stage values via the function-domain check, the state after each step in
 *   the post-step) is evaluated once: loss, gradient and finiteness are cached with a copy of the state and
 *   reused when the RHS is asked for the same state (bitwise). Gradient descent therefore costs one gradient
 *   per step, and the stop checks cost nothing extra.
 * - Stop checks after every accepted step, in this order: NaN/Inf (loss, parameters or gradient) -> NAN;
 *   loss > diverge * initial loss and > 1 -> DIVERGED; loss <= loss_tol -> LOSS_TOL (interpolating);
 *   ||grad l|| <= grad_rtol (||grad l(theta_0)|| + tiny) -> STATIONARY (a critical point that does not interpolate,
 *   docs/theory.md section 4.8; grad_rtol 0: never); interrupt flag -> INTERRUPTED.
 *   All are collective decisions (the loss is replicated; local flags are reduced with MPI MAX), so every
 *   rank stops at the same step. Adaptive runs reject a stage whose loss/gradient is not finite (the step is
 *   retried smaller, TSSetFunctionDomainError) instead of feeding NaN into the TS error norm, which would
 *   raise a PETSc error; a TS that gives up reports SL_STOP_TS_FAILED with its reason.
 * - A failed run returns normally with res->failed set; net always receives the last parameters.
 * - -sl_train_conservative (train_implicit.c) replaces the RHS by the implicit residual U' + grad l(U) with the
 *   Hessian Jacobian; the segments, post-step, stop checks and outputs above are the same code.
 */
#include <petscdm.h>
#include "train_impl.h"

/* F = -grad l(U). A non-finite gradient is flagged (the post-step stops the run with NAN) and replaced by 0
 * so no NaN reaches the TS. */
static PetscErrorCode SLTrainRHS(TS ts, PetscReal t, Vec U, Vec F, void *vctx)
{
  SLTrainCtx *ctx = (SLTrainCtx *)vctx;
  PetscReal  *f;

  PetscFunctionBeginUser;
  (void)ts;
  (void)t;
  PetscCall(SLTrainEvaluate(ctx, U));
  if (ctx->cache_bad) {
    ctx->rhs_bad = PETSC_TRUE;
    PetscCall(VecSet(F, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetArrayWrite(F, &f));
  for (PetscInt p = 0; p < ctx->Plocal; p++) f[p] = -ctx->g[p];
  PetscCall(VecRestoreArrayWrite(F, &f));
  PetscFunctionReturn(0);
}

/* Stage check (adaptive runs): refuse a stage where loss or gradient is not finite, so the TS retries with a
 * smaller step. GD accepts everything: gradient descent is run as is and the post-step reports NaN. */
static PetscErrorCode SLTrainDomain(TS ts, PetscReal t, Vec Y, PetscBool *accept)
{
  SLTrainCtx *ctx;

  PetscFunctionBeginUser;
  (void)t;
  PetscCall(TSGetApplicationContext(ts, &ctx));
  PetscCall(SLTrainEvaluate(ctx, Y));
  *accept = (!ctx->cache_bad || ctx->tr->gd) ? PETSC_TRUE : PETSC_FALSE;
  if (*accept && ctx->tr->conservative) PetscCall(SLTrainImplicitCheckStage(ctx, Y, accept));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainCheckStop(SLTrainCtx *ctx)
{
  SLTrainer tr = ctx->tr;
  PetscReal gnorm, loss;

  PetscFunctionBeginUser;
  loss = ctx->cache_loss;
  /* the stationarity measure of this accepted state (collective), then it becomes the previous state */
  PetscCall(SLTrainGradNorm(ctx, &gnorm));
  PetscCall(PetscArraycpy(ctx->prev_store, ctx->cache_theta, ctx->Plocal));
  ctx->prev_theta = ctx->prev_store;
  if (ctx->cache_bad || ctx->rhs_bad) {
    ctx->stop = SL_STOP_NAN;
    PetscCall(PetscSNPrintf(ctx->message, sizeof(ctx->message), "loss, parameters or gradient not finite (loss %g)", (double)loss));
  } else if (loss > tr->diverge * ctx->init_loss && loss > 1.0) {
    ctx->stop = SL_STOP_DIVERGED;
    PetscCall(PetscSNPrintf(ctx->message, sizeof(ctx->message), "diverged: loss %g > %g x initial loss %g", (double)loss, (double)tr->diverge, (double)ctx->init_loss));
  } else if (loss <= tr->loss_tol) {
    ctx->stop = SL_STOP_LOSS_TOL;
    PetscCall(PetscSNPrintf(ctx->message, sizeof(ctx->message), "loss %g <= loss_tol %g", (double)loss, (double)tr->loss_tol));
  } else if (tr->grad_rtol > 0 && gnorm <= tr->grad_rtol * (ctx->init_gnorm + SL_TRAIN_GRAD_TINY)) {
    ctx->stop = SL_STOP_STATIONARY;
    PetscCall(PetscSNPrintf(ctx->message, sizeof(ctx->message), "stationary: |grad l| %g <= grad_rtol %g x initial %g (loss %g)", (double)gnorm, (double)tr->grad_rtol, (double)ctx->init_gnorm, (double)loss));
  } else {
    int flag = (tr->interrupt && *tr->interrupt) ? 1 : 0;

    if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &flag, 1, MPI_INT, MPI_MAX, ctx->comm));
    if (flag) {
      ctx->stop = SL_STOP_INTERRUPTED;
      PetscCall(PetscSNPrintf(ctx->message, sizeof(ctx->message), "interrupted by a signal"));
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainPostStep(TS ts)
{
  SLTrainCtx       *ctx;
  PetscReal         t;
  PetscInt          steps;
  TSConvergedReason reason;
  Vec               U;

  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &ctx));
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetStepNumber(ts, &steps));
  PetscCall(TSGetConvergedReason(ts, &reason));
  if (ctx->tr->gd) {
    /* time = steps * lr exactly (no accumulated round-off); the output step ends the segment */
    PetscCall(TSSetTime(ts, (PetscReal)steps * ctx->tr->lr));
    if (steps >= ctx->target_steps && reason == TS_CONVERGED_ITERATING) PetscCall(TSSetConvergedReason(ts, TS_CONVERGED_TIME));
  } else {
    const PetscReal T = ctx->target_time;

    /* the clipped step may land an ulp away from the output time: snap to it */
    if (t != T && PetscAbsReal(t - T) <= 64 * PETSC_MACHINE_EPSILON * T) {
      PetscCall(TSSetTime(ts, T));
      t = T;
      if (reason == TS_CONVERGED_ITERATING) PetscCall(TSSetConvergedReason(ts, TS_CONVERGED_TIME));
    }
    if (t < T) PetscCall(TSGetTimeStep(ts, &ctx->dt_keep)); /* an unclipped proposal */
  }
  PetscCall(TSGetSolution(ts, &U));
  if (ctx->tr->conservative) PetscCall(SLTrainImplicitPostStep(ctx, U));
  PetscCall(SLTrainEvaluate(ctx, U));
  PetscCall(SLTrainCheckStop(ctx));
  if (ctx->stop != SL_STOP_NONE) PetscCall(TSSetConvergedReason(ts, TS_CONVERGED_USER));
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerSetUp(SLTrainer tr, MPI_Comm comm)
{
  TSAdapt adapt;
  TS     *ts;

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < tr->nts; k++) {
    PetscMPIInt cmp;

    PetscCallMPI(MPI_Comm_compare(PetscObjectComm((PetscObject)tr->ts[k]), comm, &cmp));
    if (cmp == MPI_IDENT || cmp == MPI_CONGRUENT) PetscFunctionReturn(0); /* already set up */
  }
  PetscCheck(tr->nts < SL_TRAIN_MAXTS, comm, PETSC_ERR_SUP, "SLTrainerSetUp: a trainer runs on at most %d communicators", SL_TRAIN_MAXTS);
  PetscCall(SLTrainAdaptRegister()); /* the step controller of the adaptive integrators (train_adapt.c) */
  ts = &tr->ts[tr->nts];
  PetscCall(TSCreate(comm, ts));
  tr->nts++;
  PetscCall(TSSetOptionsPrefix(*ts, tr->prefix));
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
    PetscCall(TSRKSetType(*ts, TSRK3BS));             /* see train.h: robust on the piecewise-smooth flow */
    PetscCall(TSAdaptSetType(adapt, TSADAPTSLBASIC)); /* basic, its error norm independent of the rank count */
    PetscCall(TSSetTimeStep(*ts, tr->t0));
    PetscCall(TSSetExactFinalTime(*ts, TS_EXACTFINALTIME_MATCHSTEP));
  }
  PetscCall(TSSetTolerances(*ts, tr->atol, NULL, tr->rtol, NULL));
  PetscCall(TSSetMaxTime(*ts, tr->max_time));
  PetscCall(TSSetMaxSteps(*ts, tr->max_steps));
  /* a failing step must end the run as SL_STOP_TS_FAILED, not abort the program */
  PetscCall(TSSetErrorIfStepFails(*ts, PETSC_FALSE));
  PetscCall(TSSetFunctionDomainError(*ts, SLTrainDomain));
  PetscCall(TSSetPreStep(*ts, SLTrainAdaptPreStep)); /* the midpoint rule's error estimate (train_adapt.c) */
  PetscCall(TSSetPostStep(*ts, SLTrainPostStep));
  PetscCall(TSSetFromOptions(*ts));
  if (tr->gd) PetscCall(TSSetTimeStep(*ts, tr->lr)); /* the step IS the learning rate (-sl_train_ts_dt cannot change it) */
  PetscCall(TSGetTimeStep(*ts, &tr->dt0));           /* every run starts from it */
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerGetTS(SLTrainer tr, MPI_Comm comm, TS *ts)
{
  PetscFunctionBeginUser;
  PetscCall(SLTrainerSetUp(tr, comm));
  *ts = NULL;
  for (PetscInt k = 0; k < tr->nts && !*ts; k++) {
    PetscMPIInt cmp;

    PetscCallMPI(MPI_Comm_compare(PetscObjectComm((PetscObject)tr->ts[k]), comm, &cmp));
    if (cmp == MPI_IDENT || cmp == MPI_CONGRUENT) *ts = tr->ts[k];
  }
  PetscCheck(*ts, comm, PETSC_ERR_PLIB, "SLTrainer: no TS for the run's communicator");
  PetscFunctionReturn(0);
}

/* q_drift = max_i |q_i(T) - q_i(0)| / max(1, max_i |q_i(0)|), q_i = v_i^2 - w_i^2 - b_i^2 (docs/theory.md section 2);
 * NaN when the final state is not finite. A max reduction is exact: independent of the number of ranks. */
static PetscErrorCode SLTrainQDrift(MPI_Comm comm, PetscInt hlocal, const PetscReal th0[], const PetscReal th1[], PetscReal *drift)
{
  PetscReal loc[3] = {0.0, 0.0, 0.0}, glob[3];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < hlocal; i++) {
    const PetscReal *a = th0 + 3 * i, *b = th1 + 3 * i;
    const PetscReal  q0 = SLTrainNeuronQ(a);
    const PetscReal  q1 = SLTrainNeuronQ(b);
    const PetscReal  d  = PetscAbsReal(q1 - q0);

    if (PetscIsInfOrNanReal(d) || PetscIsInfOrNanReal(q0)) loc[2] = 1.0;
    else {
      loc[0] = PetscMax(loc[0], d);
      loc[1] = PetscMax(loc[1], PetscAbsReal(q0));
    }
  }
  PetscCall(MPIU_Allreduce(loc, glob, 3, MPIU_REAL, MPIU_MAX, comm));
  *drift = glob[2] > 0 ? (PetscReal)NAN : glob[0] / PetscMax(1.0, glob[1]);
  PetscFunctionReturn(0);
}

static PetscErrorCode SLTrainResultAlloc(SLTrainResult *res, const SLTrainSchedule *s, PetscInt Plocal)
{
  const PetscReal nan = (PetscReal)NAN;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(res, sizeof(*res)));
  res->reason = SL_STOP_NONE;
  res->K      = s->K;
  res->M      = s->M;
  PetscCall(PetscMalloc1(s->K, &res->snap_time));
  PetscCall(PetscMalloc1(s->K, &res->snap_loss));
  PetscCall(PetscMalloc1(PetscMax(1, s->K * Plocal), &res->snap_theta));
  PetscCall(PetscMalloc1(s->M, &res->curve_time));
  PetscCall(PetscMalloc1(s->M, &res->curve_loss));
  for (PetscInt j = 0; j < s->M; j++) {
    res->curve_time[j] = s->time[j];
    res->curve_loss[j] = nan;
  }
  for (PetscInt k = 0; k < s->K; k++) {
    res->snap_time[k] = s->time[s->snap[k]];
    res->snap_loss[k] = nan;
  }
  for (PetscInt p = 0; p < s->K * Plocal; p++) res->snap_theta[p] = nan;
  res->final_time = res->init_loss = res->final_loss = res->q_drift = nan;
  res->init_grad_norm = res->final_grad_norm = nan;
  PetscFunctionReturn(0);
}

/* Record curve point j (and every later point with the same time: GD rounding) and their snapshots. */
static PetscErrorCode SLTrainRecord(SLTrainResult *res, const SLTrainSchedule *s, PetscInt j, PetscReal loss, const PetscReal u[], PetscInt Plocal, PetscInt *jlast)
{
  PetscInt jj = j;

  PetscFunctionBeginUser;
  while (PETSC_TRUE) {
    res->curve_loss[jj] = loss;
    res->ncurve         = jj + 1;
    for (PetscInt k = 0; k < s->K; k++) {
      if (s->snap[k] != jj) continue;
      res->snap_loss[k] = loss;
      PetscCall(PetscArraycpy(res->snap_theta + k * Plocal, u, Plocal));
      res->nsnap = k + 1;
    }
    if (jj + 1 < s->M && s->time[jj + 1] == s->time[j]) jj++;
    else break;
  }
  *jlast = jj;
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainerTrain(SLTrainer tr, SLNetwork net, SLData data, SLTrainResult *res)
{
  SLTrainCtx      ctx;
  SLTrainSchedule sched;
  TS              ts;
  Vec             U;
  PetscInt        P, Plocal, steps = 0;
  PetscReal      *theta0, t = 0.0;
  PetscReal      *u;

  PetscFunctionBeginUser;
  PetscCheck(data && data->N >= 1 && data->x && data->y, net->comm, PETSC_ERR_ARG_WRONGSTATE, "SLTrainerTrain: data set is empty or not set up");
  PetscCall(PetscLogEventBegin(SL_EVENT_Train, 0, 0, 0, 0));
  PetscCall(SLTrainScheduleCreate(tr, &sched));
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCall(SLTrainResultAlloc(res, &sched, Plocal));

  PetscCall(PetscMemzero(&ctx, sizeof(ctx)));
  ctx.tr     = tr;
  ctx.data   = data;
  ctx.comm   = net->comm;
  ctx.Plocal = Plocal;
  ctx.stop   = SL_STOP_NONE;
  PetscCallMPI(MPI_Comm_size(ctx.comm, &ctx.size));
  PetscCall(SLNetworkDuplicate(net, &ctx.scratch));
  PetscCall(SLClassEvalCreate(ctx.scratch, data, &ctx.ce));
  PetscCall(PetscMalloc3(PetscMax(1, Plocal), &ctx.cache_theta, PetscMax(1, Plocal), &ctx.g, data->N, &ctx.r));
  PetscCall(PetscMalloc2(PetscMax(1, net->hlocal), &ctx.gsq, PetscMax(1, Plocal), &ctx.prev_store));
  PetscCall(PetscMalloc1(PetscMax(1, Plocal), &theta0));
  PetscCall(SLNetworkGetParameters(net, theta0));

  PetscCall(VecCreateMPI(ctx.comm, Plocal, P, &U));
  PetscCall(VecGetArrayWrite(U, &u));
  PetscCall(PetscArraycpy(u, theta0, Plocal));
  PetscCall(VecRestoreArrayWrite(U, &u));

  PetscCall(SLTrainerGetTS(tr, ctx.comm, &ts)); /* configured once (SLTrainerSetUp), reset after every run */
  PetscCall(TSSetApplicationContext(ts, &ctx));
  if (tr->conservative) PetscCall(SLTrainImplicitSetUp(&ctx, ts, U)); /* G(U, U') = U' + grad l(U) = 0 */
  else PetscCall(TSSetRHSFunction(ts, NULL, SLTrainRHS, &ctx));
  PetscCall(TSSetTime(ts, 0.0));
  PetscCall(TSSetStepNumber(ts, 0));
  PetscCall(TSSetTimeStep(ts, tr->dt0));
  PetscCall(TSSetMaxSteps(ts, tr->max_steps));
  PetscCall(TSSetSolution(ts, U));

  /* t = 0 */
  PetscCall(SLTrainEvaluate(&ctx, U));
  PetscCall(SLTrainGradNorm(&ctx, &ctx.init_gnorm));
  ctx.init_loss       = ctx.cache_loss;
  res->init_loss      = ctx.cache_loss;
  res->init_grad_norm = ctx.init_gnorm;
  if (ctx.cache_bad) {
    ctx.stop = SL_STOP_NAN;
    PetscCall(PetscSNPrintf(ctx.message, sizeof(ctx.message), "initial loss, parameters or gradient not finite"));
  } else {
    PetscInt jl;

    PetscCall(SLTrainRecord(res, &sched, 0, ctx.cache_loss, theta0, Plocal, &jl));
    PetscCall(SLTrainCheckStop(&ctx));
  }

  for (PetscInt j = 1; j < sched.M && ctx.stop == SL_STOP_NONE; j++) {
    TSConvergedReason reason;
    PetscBool         reached;

    ctx.target_time = sched.time[j];
    if (tr->gd) {
      ctx.target_steps = sched.steps[j];
      /* the post-step ends the segment at the output step; max time only bounds it */
      PetscCall(TSSetMaxTime(ts, ((PetscReal)sched.steps[j] + 0.5) * tr->lr));
    } else {
      PetscReal dt;

      PetscCall(TSSetMaxTime(ts, sched.time[j]));
      PetscCall(TSGetTimeStep(ts, &dt));
      if (ctx.dt_keep > dt) PetscCall(TSSetTimeStep(ts, ctx.dt_keep));
    }
    PetscCall(TSSolve(ts, U));
    PetscCall(TSGetConvergedReason(ts, &reason));
    PetscCall(TSGetTime(ts, &t));
    PetscCall(TSGetStepNumber(ts, &steps));
    reached = tr->gd ? (steps >= sched.steps[j]) : (t >= sched.time[j]);
    if (!reached && ctx.stop == SL_STOP_NONE) {
      if (reason == TS_CONVERGED_ITS) {
        ctx.stop = SL_STOP_MAX_STEPS;
        PetscCall(PetscSNPrintf(ctx.message, sizeof(ctx.message), "step budget %" PetscInt_FMT " used at t = %g", tr->max_steps, (double)t));
      } else {
        ctx.stop = SL_STOP_TS_FAILED;
        PetscCall(PetscSNPrintf(ctx.message, sizeof(ctx.message), "TS stopped with %s at t = %g before output time %g", TSConvergedReasons[reason], (double)t, (double)sched.time[j]));
      }
    }
    if (reached && ctx.stop != SL_STOP_NAN) {
      const PetscReal *ur;
      PetscInt         jl;

      PetscCall(SLTrainEvaluate(&ctx, U)); /* a cache hit: the post-step evaluated this state */
      PetscCall(VecGetArrayRead(U, &ur));
      PetscCall(SLTrainRecord(res, &sched, j, ctx.cache_loss, ur, Plocal, &jl));
      PetscCall(VecRestoreArrayRead(U, &ur));
      j = jl;
      if (ctx.stop == SL_STOP_NONE && steps >= tr->max_steps && j < sched.M - 1) {
        ctx.stop = SL_STOP_MAX_STEPS;
        PetscCall(PetscSNPrintf(ctx.message, sizeof(ctx.message), "step budget %" PetscInt_FMT " used at t = %g", tr->max_steps, (double)t));
      }
    }
  }
  if (ctx.stop == SL_STOP_NONE) {
    ctx.stop = SL_STOP_MAX_TIME;
    PetscCall(PetscSNPrintf(ctx.message, sizeof(ctx.message), "reached max_time %g", (double)tr->max_time));
  }

  /* final state into net, result summary */
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetStepNumber(ts, &steps));
  PetscCall(SLTrainEvaluate(&ctx, U));
  PetscCall(SLTrainGradNorm(&ctx, &res->final_grad_norm));
  {
    const PetscReal *uf;

    PetscCall(VecGetArrayRead(U, &uf));
    PetscCall(SLNetworkSetParameters(net, uf));
    PetscCall(SLTrainQDrift(ctx.comm, net->hlocal, theta0, uf, &res->q_drift));
    PetscCall(VecRestoreArrayRead(U, &uf));
  }
  res->reason     = ctx.stop;
  res->failed     = (ctx.stop == SL_STOP_DIVERGED || ctx.stop == SL_STOP_NAN || ctx.stop == SL_STOP_TS_FAILED) ? PETSC_TRUE : PETSC_FALSE;
  res->steps      = steps;
  res->final_time = t;
  res->final_loss = ctx.cache_loss;
  PetscCall(PetscStrncpy(res->message, ctx.message, sizeof(res->message)));

  /* free the run-sized work space, the configuration stays for the next run: TSReset (which resets the SNES) keeps
   * the vectors its DM has cached (the adaptor's error estimate takes one), which have the run's size */
  PetscCall(TSReset(ts));
  {
    DM dm;

    PetscCall(TSGetDM(ts, &dm));
    PetscCall(DMClearGlobalVectors(dm));
    PetscCall(DMClearLocalVectors(dm));
  }
  PetscCall(TSSetApplicationContext(ts, NULL));
  PetscCall(SLTrainImplicitDestroy(&ctx));
  PetscCall(VecDestroy(&U));
  PetscCall(PetscFree(theta0));
  PetscCall(PetscFree3(ctx.cache_theta, ctx.g, ctx.r));
  PetscCall(PetscFree2(ctx.gsq, ctx.prev_store));
  PetscCall(SLClassEvalDestroy(&ctx.ce));
  PetscCall(SLNetworkDestroy(&ctx.scratch));
  PetscCall(SLTrainScheduleDestroy(&sched));
  PetscCall(PetscLogEventEnd(SL_EVENT_Train, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}
