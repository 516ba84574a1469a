/* The study file's layout (analysis/FORMAT.md is its description for readers): declaration of every dataset,
 * and the paths the runner writes to. */
#pragma once
#include <splinelens/study.h>
#include <splinelens/output.h>

/* Spectrum stages: init and final (one spectrum per run: columns of length R), snapshots (one per parameter
 * snapshot: the per-spectrum values become ragged arrays of K entries per run, row k = snapshot k). */
typedef enum {
  SL_STAGE_INIT,
  SL_STAGE_FINAL,
  SL_STAGE_SNAPSHOTS
} SLStage;
#define SL_NSTAGES 3
PETSC_EXTERN const char *const SLStageNames[]; /* "init", "final", "snapshots" */

/* Declare axes, data sets, provenance attributes, run-table columns and ragged arrays (identical on all ranks). */
PETSC_EXTERN PetscErrorCode SLStudyDeclareLayout(SLStudy study, SLOutput out);
/* Buffer the grid columns (width, seed, alpha, scheme, data, i_*, n_params, n_points) of every run (rank 0). */
PETSC_EXTERN PetscErrorCode SLStudyPutGrid(SLStudy study, SLOutput out);
/* "spectra/<stage>/<coords>/<part>/<leaf>" */
PETSC_EXTERN PetscErrorCode SLSpectrumPath(char buf[], size_t len, PetscInt stage, SLCoordinates c, SLHessianPart p, const char leaf[]);
/* Provenance root attributes (versions, host, time, options, SLURM ids). */
PETSC_EXTERN PetscErrorCode SLStudyDeclareProvenance(SLStudy study, SLOutput out);
/* Current UTC time, ISO 8601. */
PETSC_EXTERN PetscErrorCode SLStudyNow(char buf[], size_t len);
/* Execute run id on comm (all ranks of comm call it) and buffer its results; *interrupted when a signal stopped it. */
PETSC_EXTERN PetscErrorCode SLRunExecute(SLStudy study, PetscInt id, MPI_Comm comm, SLOutput out, volatile sig_atomic_t *flag, PetscBool *interrupted);
