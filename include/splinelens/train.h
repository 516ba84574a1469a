/* Training by gradient flow d theta/dt = -grad l(theta) (docs/theory.md section 5) with PETSc TS.
 *
 * Default (-sl_train_conservative, true unless -sl_train_gd is given alone; -sl_train_implicit sdirk): an L-stable
 * 2-stage SDIRK method (TSARKIMEX L2, fully implicit, adaptive) with the analytic Hessian as Jacobian, followed
 * after every step by the nearest-point projection onto q_i = q_i(0), q_i = v_i^2 - w_i^2 - b_i^2 (docs/theory.md
 * section 5.1, claim 9: conserved to rounding); -sl_train_implicit midpoint: the implicit midpoint rule (TSTHETA
 * 1/2), which conserves q by itself but is only A-stable. Both hold breakpoints that slide on data points
 * (src/train/train_implicit.c).
 * -sl_train_conservative 0: adaptive explicit Runge-Kutta (TSRK 3bs, Bogacki-Shampine 3(2); the flow is only
 * piecewise smooth and very stiff at large alpha, where the higher-order pairs 5dp, 5f were seen to accept unstable
 * steps), or any TS type under the trainer's options prefix (SLTrainerSetOptionsPrefix; the study uses
 * "sl_train_": -sl_train_ts_type, -sl_train_ts_adapt_type, ...; the option names below are the study's).
 * -sl_train_gd runs plain gradient descent: forward Euler with fixed step = -sl_train_lr. Every method evaluates
 * loss and gradient by activation classes (classeval.h). A run stops at loss <= -sl_train_loss_tol
 * (interpolating), at a critical point that does not interpolate, ||grad l|| <= -sl_train_grad_rtol *
 * (||grad l(theta_0)|| + tiny) with the smallest generalized gradient on kinks (stationary; docs/theory.md 4.8),
 * at time -sl_train_max_time, or after -sl_train_max_steps steps (budget); it fails (not aborts) when the loss
 * becomes NaN/Inf or grows beyond -sl_train_diverge times its initial value.
 *
 * Outputs at fixed, log-spaced times (so every run of a study has the same layout): M loss-curve points and
 * K of them (including t = 0 and the last) with full parameter snapshots. Entries after an early stop are NaN.
 */
#pragma once
#include <signal.h>
#include <petscts.h>
#include <splinelens/network.h>

typedef enum {
  SL_STOP_NONE,       /* not trained                                  */
  SL_STOP_LOSS_TOL,   /* loss <= loss_tol                             */
  SL_STOP_STATIONARY, /* ||grad l|| <= grad_rtol ||grad l(theta_0)||  */
  SL_STOP_MAX_TIME,   /* reached max_time                             */
  SL_STOP_MAX_STEPS,  /* step budget used                             */
  SL_STOP_DIVERGED,   /* loss > diverge * initial loss (failed)       */
  SL_STOP_NAN,        /* loss or parameters not finite (failed)       */
  SL_STOP_TS_FAILED,  /* TS reported a failure (failed)               */
  SL_STOP_INTERRUPTED /* a signal asked the program to stop (not done)*/
} SLStopReason;
PETSC_EXTERN const char *const SLStopReasons[];

typedef struct {
  SLStopReason reason;
  PetscBool    failed;       /* DIVERGED, NAN, TS_FAILED                                   */
  char         message[128]; /* human-readable reason                                       */
  PetscInt     steps;        /* accepted TS steps                                           */
  PetscReal    final_time, init_loss, final_loss;
  PetscInt     K, M;          /* snapshot and loss-curve lengths (fixed by options)           */
  PetscInt     nsnap, ncurve; /* how many were reached                                        */
  PetscReal   *snap_time;     /* K                                                             */
  PetscReal   *snap_loss;     /* K                                                             */
  PetscReal   *snap_theta;    /* K x Plocal, row k = local parameter slice at snap_time[k]      */
  PetscReal   *curve_time;    /* M                                                             */
  PetscReal   *curve_loss;    /* M                                                             */
  PetscReal    q_drift;       /* max_i |q_i(T) - q_i(0)| / max(1, max_i |q_i(0)|), q = v^2 - w^2 - b^2 */

  /* ||grad l|| (2-norm, fixed-order sum) at t = 0 and at the end of the run */
  PetscReal init_grad_norm, final_grad_norm;
} SLTrainResult;

typedef struct _n_SLTrainer *SLTrainer;

PETSC_EXTERN PetscErrorCode SLTrainerCreate(MPI_Comm comm, SLTrainer *tr);
/* Prefix of the trainer's options and of its TS's (none by default; the study sets "sl_train_"). Before
 * SLTrainerSetFromOptions. */
PETSC_EXTERN PetscErrorCode SLTrainerSetOptionsPrefix(SLTrainer tr, const char prefix[]);
/* Options (with the prefix "sl_train_"): -sl_train_max_time, -sl_train_max_steps, -sl_train_loss_tol, -sl_train_grad_rtol, -sl_train_diverge, -sl_train_gd, -sl_train_conservative, -sl_train_implicit,
 * -sl_train_lr, -sl_train_snapshots K, -sl_train_curve M, -sl_train_t0 (first log-spaced time > 0), -sl_train_loss
 * sum|mean, -sl_train_rtol, -sl_train_atol, and the TS options under -sl_train_. Called once: it also sets up
 * the TS for runs on the trainer's communicator (SLTrainerSetUp). */
PETSC_EXTERN PetscErrorCode SLTrainerSetFromOptions(SLTrainer tr);
/* Configure the TS that runs on comm use (collective on comm): the method's defaults, then the TS options under
 * the prefix, once per communicator; every later run on comm reuses it without parsing options. SLTrainerTrain
 * calls it for a communicator it meets first; a study calls it for its run communicators before the runs. */
PETSC_EXTERN PetscErrorCode SLTrainerSetUp(SLTrainer tr, MPI_Comm comm);
PETSC_EXTERN PetscErrorCode SLTrainerGetLossType(SLTrainer tr, SLLossType *type);
PETSC_EXTERN PetscErrorCode SLTrainerGetOutputSizes(SLTrainer tr, PetscInt *K, PetscInt *M);
/* -sl_train_loss_tol: a state with loss <= it counts as interpolating. */
PETSC_EXTERN PetscErrorCode SLTrainerGetLossTol(SLTrainer tr, PetscReal *tol);
/* Estimated number of gradient evaluations of one run (for the cost model). */
PETSC_EXTERN PetscErrorCode SLTrainerGetCostEstimate(SLTrainer tr, PetscReal *evals);
/* Flag polled after every step; when it becomes nonzero the run stops with SL_STOP_INTERRUPTED. */
PETSC_EXTERN PetscErrorCode SLTrainerSetInterruptFlag(SLTrainer tr, volatile sig_atomic_t *flag);
/* Train net in place (collective on net->comm); res is allocated by the call, free with SLTrainResultReset. */
PETSC_EXTERN PetscErrorCode SLTrainerTrain(SLTrainer tr, SLNetwork net, SLData data, SLTrainResult *res);
PETSC_EXTERN PetscErrorCode SLTrainResultReset(SLTrainResult *res);
PETSC_EXTERN PetscErrorCode SLTrainerView(SLTrainer tr, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode SLTrainerDestroy(SLTrainer *tr);
