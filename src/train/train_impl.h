/* Private to src/train/. The files call one way, each with one concern:
 *   train.c          the SLTrainer object: options, view, cost estimate, destroy        (top)
 *   train_run.c      the TS of a communicator (set up once) and one training run
 *   train_implicit.c the implicit midpoint method of -sl_train_conservative
 *   train_adapt.c    the step controller "slbasic" and the deterministic norms of state-shaped vectors
 *   train_eval.c     loss/gradient evaluation of a run through the one-entry cache      (bottom)
 *   train_schedule.c the output schedule                                                (bottom) */
#pragma once
#include <splinelens/train.h>
#include <splinelens/classeval.h>
#include <splinelens/private/packageimpl.h>

/* The "tiny" of the stationarity test ||grad l|| <= grad_rtol (||grad l(theta_0)|| + tiny): only keeps a network
 * whose initial gradient is exactly 0 (all neurons dead, a critical point already) from never being stationary. */
#define SL_TRAIN_GRAD_TINY 1e-300

/* The implicit methods of -sl_train_conservative (train_implicit.c). */
typedef enum {
  SL_TRAIN_IMPLICIT_SDIRK,   /* L-stable 2-stage SDIRK (TSARKIMEX L2, fully implicit) + projection onto q = q(0) */
  SL_TRAIN_IMPLICIT_MIDPOINT /* implicit midpoint rule (TSTHETA 1/2): conserves q itself, A- but not L-stable  */
} SLTrainImplicitType;
PETSC_INTERN const char *const SLTrainImplicitTypes[];

/* q = v^2 - w^2 - b^2 of one neuron's (w, b, v): conserved by the gradient flow (docs/theory.md 5.1) */
static inline PetscReal SLTrainNeuronQ(const PetscReal th[3])
{
  return th[2] * th[2] - th[0] * th[0] - th[1] * th[1];
}

/* Communicators a trainer keeps a configured TS for (the study's, PETSC_COMM_SELF, a wide-run group). */
#define SL_TRAIN_MAXTS 4

struct _n_SLTrainer {
  MPI_Comm               comm;
  PetscReal              max_time;     /* -sl_train_max_time                                             */
  PetscInt               max_steps;    /* -sl_train_max_steps: accepted steps (GD: gradient steps)        */
  PetscReal              loss_tol;     /* -sl_train_loss_tol: stop when loss <= loss_tol                  */
  PetscReal              grad_rtol;    /* -sl_train_grad_rtol: stationary when |g| <= grad_rtol (|g_0| + tiny) */
  PetscReal              diverge;      /* -sl_train_diverge: fail when loss > diverge * initial (and > 1) */
  PetscBool              gd;           /* -sl_train_gd: forward Euler with fixed step lr                   */
  PetscReal              lr;           /* -sl_train_lr                                                     */
  PetscInt               K, M;         /* -sl_train_snapshots, -sl_train_curve                             */
  PetscReal              t0;           /* -sl_train_t0: first positive output time                         */
  SLLossType             loss;         /* -sl_train_loss                                                   */
  PetscReal              rtol, atol;   /* -sl_train_rtol, -sl_train_atol (TSSetTolerances)                */
  PetscBool              conservative; /* -sl_train_conservative: implicit, q-conserving (train_implicit.c) */
  SLTrainImplicitType    implicit;     /* -sl_train_implicit: its method, L-stable SDIRK or midpoint      */
  volatile sig_atomic_t *interrupt;
  char                  *prefix;         /* options prefix of the trainer and its TS (SLTrainerSetOptionsPrefix) */
  PetscBool              setfromoptions; /* SLTrainerSetFromOptions was called                           */
  /* One TS per communicator, configured once (defaults, then TSSetFromOptions) by SLTrainerSetUp and reused by
   * every run on that communicator (TSReset after each run frees what depends on the run's size). */
  PetscInt  nts;
  TS        ts[SL_TRAIN_MAXTS];
  PetscReal dt0; /* initial step after the TS options (-<prefix>ts_dt; GD: lr)         */
};

/* The output schedule (see train.c): curve times (M), snapshot curve indices (K, strictly increasing, first 0,
 * last M-1) and, with GD, the step count of every curve time (steps[j] * lr == time[j]). */
typedef struct {
  PetscInt   M, K;
  PetscReal *time;  /* M */
  PetscInt  *steps; /* M, GD only (NULL otherwise) */
  PetscInt  *snap;  /* K */
} SLTrainSchedule;

/* train_schedule.c */
PETSC_INTERN PetscErrorCode SLTrainScheduleCreate(SLTrainer tr, SLTrainSchedule *s);
PETSC_INTERN PetscErrorCode SLTrainScheduleDestroy(SLTrainSchedule *s);
/* train_run.c: the TS of tr for runs on comm (SLTrainerSetUp first if there is none yet). */
PETSC_INTERN PetscErrorCode SLTrainerGetTS(SLTrainer tr, MPI_Comm comm, TS *ts);

/* The state of one run (train_run.c), shared with the implicit integrator (train_implicit.c). */
typedef struct {
  SLTrainer   tr;
  SLData      data;
  SLNetwork   scratch; /* evaluation copy of the network: the TS state is set into it */
  SLClassEval ce;      /* activation-class evaluator on scratch and data (train_eval.c)  */
  MPI_Comm    comm;
  PetscMPIInt size;
  PetscInt    Plocal;
  /* one-entry evaluation cache */
  PetscBool  cache_valid, cache_bad, cache_has_gnorm;
  PetscReal  cache_loss, cache_gnorm; /* cache_gnorm: ||g|| once SLTrainGradNorm computed it for the state */
  PetscReal *cache_theta, *g, *r;
  PetscReal *gsq;        /* per local neuron: squared block norm of the stationarity measure */
  PetscReal *prev_theta; /* the previous accepted state (NULL before the first step)          */
  PetscReal *prev_store; /* its storage                                                        */
  /* run state */
  PetscReal    init_loss, init_gnorm;
  PetscReal    target_time;  /* current output time (adaptive)                  */
  PetscInt     target_steps; /* current output step (GD)                        */
  PetscReal    dt_keep;      /* step size the controller proposed before a clip */
  PetscBool    rhs_bad;      /* the RHS met a non-finite gradient                */
  SLStopReason stop;
  char         message[128];
  void        *implicit; /* train_implicit.c work space (conservative runs)  */
} SLTrainCtx;

/* train_eval.c: loss, gradient (ctx->g), residuals (ctx->r) and finiteness (ctx->cache_bad) at U, through the
 * one-entry cache (collective). */
PETSC_INTERN PetscErrorCode SLTrainEvaluate(SLTrainCtx *ctx, Vec U);
/* ||grad l|| of the cached state (after SLTrainEvaluate; collective): per-neuron squares summed by the fixed-order
 * block reduction, so bitwise independent of the rank count; computed once per state. */
PETSC_INTERN PetscErrorCode SLTrainGradNorm(SLTrainCtx *ctx, PetscReal *gnorm);
/* (the minimal-norm generalized gradient where a breakpoint sits on, or crossed in the last step, a data point;
 * see train_eval.c; ||grad l|| everywhere else) */
/* train_adapt.c: TSAdapt "slbasic", PETSc's basic controller with its weighted RMS error norm summed by the fixed-order
 * block reduction over neurons (then c), so bitwise independent of the rank count; the adapt type of every adaptive
 * integrator of the trainer (-sl_train_ts_adapt_type basic: PETSc's own). Registered by SLTrainerSetUp; the TS's
 * application context must be the run's SLTrainCtx (any other TS gets basic's norm). */
#define TSADAPTSLBASIC "slbasic"
PETSC_INTERN PetscErrorCode SLTrainAdaptRegister(void);
/* the TS pre-step of the trainer: keeps the states the implicit midpoint rule's (TSTHETA) error estimate uses */
PETSC_INTERN PetscErrorCode SLTrainAdaptPreStep(TS ts);
/* ||v||_2 of a state-shaped vector v (local size Plocal; collective): the same reduction, so bitwise independent of
 * the rank count */
PETSC_INTERN PetscErrorCode SLTrainVecNorm(SLTrainCtx *ctx, Vec v, PetscReal *nrm);
/* nrm[k] = ||v[k]||_2 for up to 3 state-shaped vectors in one pass, each bitwise its SLTrainVecNorm (collective) */
PETSC_INTERN PetscErrorCode SLTrainVecNorms(SLTrainCtx *ctx, PetscInt nv, Vec v[], PetscReal nrm[]);
/* train_implicit.c, -sl_train_conservative: the TS type and solver defaults (before TSSetFromOptions) ... */
PETSC_INTERN PetscErrorCode SLTrainImplicitConfigure(SLTrainer tr, TS ts);
/* ... and, per run, the implicit residual and the Hessian Jacobian on ts (U: the state vector). */
PETSC_INTERN PetscErrorCode SLTrainImplicitSetUp(SLTrainCtx *ctx, TS ts, Vec U);
PETSC_INTERN PetscErrorCode SLTrainImplicitDestroy(SLTrainCtx *ctx);
/* stage check (train_run.c, SLTrainDomain): SDIRK stages must keep every q_i to 1e-3 of the neuron's squared norm */
PETSC_INTERN PetscErrorCode SLTrainImplicitCheckStage(SLTrainCtx *ctx, Vec Y, PetscBool *ok);
/* after every accepted step (train_run.c post-step, before the state is evaluated): release the kinks pinned for
 * that step and, with the SDIRK method, project the state U back onto q_i = q_i(0) */
PETSC_INTERN PetscErrorCode SLTrainImplicitPostStep(SLTrainCtx *ctx, Vec U);
