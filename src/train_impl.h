/* Private to train.c (trainer object, options, output schedule) and train_run.c (the TS run). */
#pragma once
#include <splinelens/train.h>

struct _n_SLTrainer {
  MPI_Comm   comm;
  PetscReal  max_time;  /* -sl_train_max_time                                             */
  PetscInt   max_steps; /* -sl_train_max_steps: accepted steps (GD: gradient steps)        */
  PetscReal  loss_tol;  /* -sl_train_loss_tol: stop when loss <= loss_tol                  */
  PetscReal  diverge;   /* -sl_train_diverge: fail when loss > diverge * initial (and > 1) */
  PetscBool  gd;        /* -sl_train_gd: forward Euler with fixed step lr                   */
  PetscReal  lr;        /* -sl_train_lr                                                     */
  PetscInt   K, M;      /* -sl_train_snapshots, -sl_train_curve                             */
  PetscReal  t0;        /* -sl_train_t0: first positive output time                         */
  SLLossType loss;      /* -sl_train_loss                                                   */
  PetscReal  rtol, atol;/* -sl_train_rtol, -sl_train_atol (TSSetTolerances)                */
  volatile sig_atomic_t *interrupt;
};

/* The output schedule (see train.c): curve times (M), snapshot curve indices (K, strictly increasing, first 0,
 * last M-1) and, with GD, the step count of every curve time (steps[j] * lr == time[j]). */
typedef struct {
  PetscInt   M, K;
  PetscReal *time;  /* M */
  PetscInt  *steps; /* M, GD only (NULL otherwise) */
  PetscInt  *snap;  /* K */
} SLTrainSchedule;

PETSC_INTERN PetscErrorCode SLTrainScheduleCreate(SLTrainer tr, SLTrainSchedule *s);
PETSC_INTERN PetscErrorCode SLTrainScheduleDestroy(SLTrainSchedule *s);
/* A TS on comm configured for tr: the defaults, then the -sl_train_ts_* options (TSSetFromOptions). */
PETSC_INTERN PetscErrorCode SLTrainerCreateTS(SLTrainer tr, MPI_Comm comm, TS *ts);
PETSC_INTERN PetscLogEvent  SL_EVENT_Train;
