/* Scheduling runs over ranks (deterministic: every rank computes the same schedule).
 *
 * Runs are ordered by decreasing cost (ties by id). A slice of a study (job arrays) takes every
 * slice_count-th run of that order, so slices are balanced. Wide runs (cost above -sl_wide_threshold, too large
 * for a dense spectrum, more than one rank available) form phase 0 and run on groups of -sl_wide_ranks ranks;
 * the others form phase 1, one rank each. Within a phase runs are dealt largest first to the least-loaded
 * group (LPT), and executed in rounds: at round r every group runs its r-th run, then all ranks commit their
 * results in one collective flush of the study file.
 */
#pragma once
#include <splinelens/study.h>

typedef struct {
  PetscInt  nrounds;    /* rounds of this phase (same on every rank)               */
  PetscInt *run;        /* run[r]: the run this rank works on in round r, or -1    */
  PetscInt  group_size; /* ranks per run                                           */
  MPI_Comm  comm;       /* this rank's group (MPI_COMM_NULL when idle in the phase) */
  PetscInt  nruns;      /* runs of this phase (all groups)                          */
  PetscReal cost;       /* total cost of the phase                                   */
} SLPhase;

/* Is run id part of this invocation's slice? (slice_of has nruns entries: the slice of every run) */
PETSC_EXTERN PetscErrorCode SLScheduleSlices(SLStudy study, PetscInt slice_of[]);
/* Build both phases for the runs of this slice whose status is SL_RUN_PENDING. */
PETSC_EXTERN PetscErrorCode SLScheduleCreate(SLStudy study, const PetscInt status[], SLPhase phase[2]);
PETSC_EXTERN PetscErrorCode SLScheduleDestroy(SLPhase phase[2]);
