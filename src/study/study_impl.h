/* Private to src/study/ (study, fingerprint, provenance, layout, schedule, run, runner): the study object's
 * representation, the run specification, the file layout and the schedule. Included by no other folder. */
#pragma once
#include <signal.h>
#include <splinelens/study.h>
#include <splinelens/output.h>

#define SL_MAX_AXIS 256

/* Spectrum stages: init and final (one spectrum per run: columns of length R), snapshots (one per parameter
 * snapshot: the per-spectrum values become ragged arrays of K entries per run, row k = snapshot k). */
typedef enum {
  SL_STAGE_INIT,
  SL_STAGE_FINAL,
  SL_STAGE_SNAPSHOTS
} SLStage;
#define SL_NSTAGES 3
PETSC_INTERN const char *const SLStageNames[]; /* "init", "final", "snapshots" */

typedef struct {
  PetscInt  id;                                   /* position in the grid               */
  PetscInt  i_width, i_seed, i_alpha, i_scheme, i_data;
  PetscInt  width, seed;
  PetscReal alpha;
  SLInitScheme scheme;
} SLRunSpec;

struct _n_SLStudy {
  MPI_Comm         comm;
  char             name[128];
  char             output[PETSC_MAX_PATH_LEN];
  PetscInt         nwidth, nseed, nalpha, nscheme, ndata, nruns;
  PetscInt         widths[SL_MAX_AXIS], seeds[SL_MAX_AXIS];
  PetscReal        alphas[SL_MAX_AXIS];
  SLInitScheme     schemes[SL_MAX_AXIS];
  SLData           data[SL_MAX_AXIS];
  PetscBool        output_bias;
  PetscBool        coords[SL_NCOORDS];            /* indexed by SLCoordinates */
  PetscBool        parts[SL_NPARTS];              /* indexed by SLHessianPart */
  PetscBool        stages[SL_NSTAGES];            /* indexed by SLStage: init, final, snapshots */
  PetscInt         max_snapshot_params;
  PetscReal        wide_threshold;
  PetscInt         wide_ranks;
  PetscInt         slice_index, slice_count;
  PetscInt         stop_after;
  PetscBool        view;                          /* -sl_view: print the study first */
  PetscBool        train;                         /* -sl_train: false for initialization-only studies */
  SLInitParams     init;                          /* scheme, alpha and seed replaced per run */
  SLTrainer        trainer;
  SLSpectrumSolver eig;
  SLLossType       loss;
  char             fingerprint[17];
  char            *canonical;                     /* options the fingerprint is computed from */
  char            *config_text;                   /* text of the -options_file files given    */
};

/* The run specification of grid position id (study.c). */
PETSC_INTERN PetscErrorCode SLStudyGetRun(SLStudy study, PetscInt id, SLRunSpec *run);
/* Its cost-model estimate, arbitrary units (cost.c). */
PETSC_INTERN PetscErrorCode SLStudyRunCost(SLStudy study, const SLRunSpec *run, PetscReal *cost);

/* ---- file layout (layout.c, provenance.c) ---- */
/* The study file's layout (analysis/FORMAT.md is its description for readers): declaration of every dataset,
 * and the paths the runner writes to. */


/* Declare axes, data sets, provenance attributes, run-table columns and ragged arrays (identical on all ranks). */
PETSC_INTERN PetscErrorCode SLStudyDeclareLayout(SLStudy study, SLOutput out);
/* Buffer the grid columns (width, seed, alpha, scheme, data, i_*, n_params, n_points) of every run (rank 0). */
PETSC_INTERN PetscErrorCode SLStudyPutGrid(SLStudy study, SLOutput out);
/* "spectra/<stage>/<coords>/<part>/<leaf>" */
PETSC_INTERN PetscErrorCode SLSpectrumPath(char buf[], size_t len, PetscInt stage, SLCoordinates c, SLHessianPart p, const char leaf[]);
/* Provenance root attributes (versions, host, time, options, SLURM ids). */
PETSC_INTERN PetscErrorCode SLStudyDeclareProvenance(SLStudy study, SLOutput out);
/* Current UTC time, ISO 8601. */
PETSC_INTERN PetscErrorCode SLStudyNow(char buf[], size_t len);
/* Execute run id on comm (all ranks of comm call it) and buffer its results; *interrupted when a signal stopped it. */
PETSC_INTERN PetscErrorCode SLRunExecute(SLStudy study, PetscInt id, MPI_Comm comm, SLOutput out, volatile sig_atomic_t *flag, PetscBool *interrupted);

/* ---- schedule (schedule.c) ---- */
/* Scheduling runs over ranks (deterministic: every rank computes the same schedule).
 *
 * Runs are ordered by decreasing cost (ties by id). A slice of a study (job arrays) takes every
 * slice_count-th run of that order, so slices are balanced. Wide runs (cost above -sl_wide_threshold, too large
 * for a dense spectrum, more than one rank available) form phase 0 and run on groups of -sl_wide_ranks ranks;
 * the others form phase 1, one rank each. Within a phase runs are dealt largest first to the least-loaded
 * group (LPT), and executed in rounds: at round r every group runs its r-th run, then all ranks commit their
 * results in one collective flush of the study file.
 */

typedef struct {
  PetscInt  nrounds;    /* rounds of this phase (same on every rank)               */
  PetscInt *run;        /* run[r]: the run this rank works on in round r, or -1    */
  PetscInt  group_size; /* ranks per run                                           */
  MPI_Comm  comm;       /* this rank's group (MPI_COMM_NULL when idle in the phase) */
  PetscInt  nruns;      /* runs of this phase (all groups)                          */
  PetscReal cost;       /* total cost of the phase                                   */
} SLPhase;

/* Is run id part of this invocation's slice? (slice_of has nruns entries: the slice of every run) */
PETSC_INTERN PetscErrorCode SLScheduleSlices(SLStudy study, PetscInt slice_of[]);
/* Build both phases for the runs of this slice whose status is SL_RUN_PENDING. */
PETSC_INTERN PetscErrorCode SLScheduleCreate(SLStudy study, const PetscInt status[], SLPhase phase[2]);
PETSC_INTERN PetscErrorCode SLScheduleDestroy(SLPhase phase[2]);
