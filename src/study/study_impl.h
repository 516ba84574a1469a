/* Private to src/study/ (study, fingerprint, provenance, layout, schedule, run, runner): the study object's
 * representation, the run specification, the file layout and the schedule. Included by no other folder. */
#pragma once
#include <signal.h>
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
PETSC_INTERN const char *const SLStageNames[]; /* "init", "final", "snapshots" */

typedef struct {
  PetscInt     id; /* position in the grid               */
  PetscInt     i_width, i_seed, i_alpha, i_scheme, i_data;
  PetscInt     width, seed;
  PetscReal    alpha;
  SLInitScheme scheme;
} SLRunSpec;

struct _n_SLStudy {
  MPI_Comm         comm;
  char             name[128];
  char             output[PETSC_MAX_PATH_LEN];
  PetscInt         nwidth, nseed, nalpha, nscheme, ndata, nruns;
  PetscInt        *widths, *seeds; /* the axes, of any length (allocated)   */
  PetscReal       *alphas;
  SLInitScheme    *schemes;
  SLData          *data;
  PetscBool        output_bias;
  PetscBool        coords[SL_NCOORDS]; /* indexed by SLCoordinates */
  PetscBool        parts[SL_NPARTS];   /* indexed by SLHessianPart */
  PetscBool        stages[SL_NSTAGES]; /* indexed by SLStage: init, final, snapshots */
  PetscInt         max_snapshot_params;
  PetscReal        wide_threshold;
  PetscInt         wide_ranks;
  PetscInt         slice_index, slice_count;
  PetscInt         stop_after;
  PetscBool        layout_only; /* SLStudySetLayoutOnly: create, resume or grow the file, compute nothing */
  PetscBool        view;        /* -sl_view: print the study first */
  PetscBool        train;       /* -sl_train: false for initialization-only studies */
  SLInitParams     init;        /* scheme, alpha and seed replaced per run */
  SLTrainer        trainer;
  SLSpectrumSolver eig;
  SLLossType       loss;
  char             fingerprint[17];
  char             settings_fingerprint[17];        /* every result-affecting option but the axes and the data sets */
  char             legacy_settings_fingerprint[17]; /* that of files without per-data-set fingerprints (growing) */
  char           **data_text;                       /* per data set: its lines of the canonical text (options, points)  */
  char           **data_fingerprint;                /* per data set: hex hash of data_text (/data/<name>@fingerprint) */
  char            *canonical;                       /* options the fingerprint is computed from */
  char            *config_text;                     /* text of the -options_file files given    */
  /* sweeps at scale (plan.c, runner.c): commit interval, resource caps, the dry run */
  PetscReal flush_interval; /* -sl_output_flush_interval: seconds between commits (0: every run)        */
  PetscReal max_file_size;  /* -sl_max_file_size: bytes (0: no cap beyond the free disk)                 */
  PetscReal max_memory;     /* -sl_max_memory: bytes per rank (0: no cap beyond MemAvailable)             */
  PetscBool dry_run;        /* -sl_dry_run: print the plan, touch nothing                                 */
  PetscReal plan_walltime;  /* -sl_plan_walltime: seconds per job (slice) the plan aims at (0: none)      */
  PetscInt  plan_ranks;     /* -sl_plan_ranks: ranks per slice the plan assumes (0: this run's ranks)     */
  PetscReal plan_calib[2];  /* -sl_plan_calibration a,b: rank-seconds per run = a x cost + b             */
};

/* The run specification of grid position id (study.c). */
PETSC_INTERN PetscErrorCode SLStudyGetRun(SLStudy study, PetscInt id, SLRunSpec *run);
/* Its cost-model estimate, arbitrary units (cost.c). */
PETSC_INTERN PetscErrorCode SLStudyRunCost(SLStudy study, const SLRunSpec *run, PetscReal *cost);

/* ---- the study file's schema (schema.c, schema_json.c) ---- */
/* One registry describes every dataset and attribute of the study file (analysis/FORMAT.md documents it for
 * readers, `splinelens schema` prints it as JSON): layout.c declares the layout by walking it, run.c and
 * provenance.c write through its field ids. Paths are templated where they repeat: {name} (data set),
 * {stage}, {coords}, {part} (spectra); attributes are "<object>@<name>", "@<name>" on the root. */

typedef enum {
  SL_SCHEMA_ROOT_ATTRIBUTE,  /* string attribute of the root group                                        */
  SL_SCHEMA_AXIS,            /* constant 1-D dataset under /axes                                          */
  SL_SCHEMA_DATA,            /* constant 1-D dataset of a data set, /data/{name}                          */
  SL_SCHEMA_DATA_ATTRIBUTE,  /* string attribute of the group /data/{name}                                */
  SL_SCHEMA_COLUMN,          /* run-table column: R values                                                */
  SL_SCHEMA_RAGGED,          /* ragged per-run array: <path> values and <path>_offset (R + 1)             */
  SL_SCHEMA_SPECTRUM_COLUMN, /* per-spectrum value constant along a run: a column at every stage          */
  SL_SCHEMA_SPECTRUM_SCALAR, /* per-spectrum value: a column at init and final, ragged (K per run) at snapshots */
  SL_SCHEMA_SPECTRUM_RAGGED, /* per-spectrum array: ragged, K rows per run at snapshots                   */
  SL_SCHEMA_SPECTRUM_VECTORS /* eigenvectors of the extremes (-sl_eig_vectors): ragged, init and final only */
} SLSchemaKind;

typedef enum {
  SL_SCHEMA_INT64,
  SL_SCHEMA_FLOAT64,
  SL_SCHEMA_STRING,
  SL_SCHEMA_INT8 /* the status column only */
} SLSchemaType;

/* How many values: per dataset (attributes, axes, data, columns) or per run (ragged arrays). */
typedef enum {
  SL_SIZE_ONE,    /* an attribute: one string                                       */
  SL_SIZE_FILES,  /* merged_from: one string per merged file                        */
  SL_SIZE_AXIS,   /* the axis length n_<axis>                                       */
  SL_SIZE_N,      /* the data set's points N                                        */
  SL_SIZE_R,      /* one per run                                                    */
  SL_SIZE_P,      /* P = 3H (+1) per run                                            */
  SL_SIZE_H,      /* H per run                                                      */
  SL_SIZE_M,      /* loss-curve points M per run (0 without training)               */
  SL_SIZE_K,      /* snapshots K per run (0 without training)                       */
  SL_SIZE_KP,     /* K x P per run, 0 above -sl_output_max_snapshot_params          */
  SL_SIZE_KH,     /* K x H per run, same rule                                       */
  SL_SIZE_SPEC,   /* one per run at init and final, K per run at snapshots          */
  SL_SIZE_NVALS,  /* stored eigenvalues nvals per run (x K at snapshots)            */
  SL_SIZE_NBINS1, /* nbins + 1 per run, 0 without histogram (x K at snapshots)      */
  SL_SIZE_NBINS,  /* nbins per run (x K at snapshots)                               */
  SL_SIZE_NGRAM,  /* N per run, 0 for the residual part (x K at snapshots)          */
  SL_SIZE_NVEC,   /* stored eigenvectors nvec per run                               */
  SL_SIZE_NVEC_P  /* nvec x P per run (P of the spectrum's coordinates)             */
} SLSchemaSize;

/* Who writes a field: the study (declared by SLStudyDeclareLayout), the output layer itself (format
 * attributes, runs/run_id, runs/status), or SLOutputMerge. */
typedef enum {
  SL_SCHEMA_BY_STUDY,
  SL_SCHEMA_BY_OUTPUT,
  SL_SCHEMA_BY_MERGE
} SLSchemaWriter;

typedef struct {
  const char    *path; /* templated path, see above                           */
  SLSchemaKind   kind;
  SLSchemaType   type;
  PetscInt       strlen; /* fixed-length string columns: bytes; 0 otherwise     */
  SLSchemaSize   size;
  const char    *description; /* the dataset's description attribute (at snapshots the walker adds the K rule) */
  const char    *units;
  SLSchemaWriter writer;
} SLSchemaField;

/* Field ids: the registry's order is the order of declaration in the file. */
typedef enum {
  /* root attributes */
  SL_F_ATTR_FORMAT,
  SL_F_ATTR_FORMAT_VERSION,
  SL_F_ATTR_STUDY_FINGERPRINT,
  SL_F_ATTR_STUDY_NAME,
  SL_F_ATTR_STUDY_OPTIONS,
  SL_F_ATTR_SETTINGS_FINGERPRINT,
  SL_F_ATTR_OPTIONS,
  SL_F_ATTR_CONFIG_TEXT,
  SL_F_ATTR_SPLINELENS_VERSION,
  SL_F_ATTR_GIT_COMMIT,
  SL_F_ATTR_PETSC_VERSION,
  SL_F_ATTR_SLEPC_VERSION,
  SL_F_ATTR_HDF5_VERSION,
  SL_F_ATTR_MPI_VERSION,
  SL_F_ATTR_HOSTNAME,
  SL_F_ATTR_START_TIME,
  SL_F_ATTR_END_TIME,
  SL_F_ATTR_COMPLETE,
  SL_F_ATTR_NRANKS,
  SL_F_ATTR_SLURM_JOB_ID,
  SL_F_ATTR_SLURM_ARRAY_JOB_ID,
  SL_F_ATTR_SLURM_ARRAY_TASK_ID,
  SL_F_ATTR_RNG_SCHEME,
  SL_F_ATTR_LOSS,
  SL_F_ATTR_OUTPUT_BIAS,
  SL_F_ATTR_SLICE,
  SL_F_ATTR_MERGED_FROM,
  /* axes */
  SL_F_AXES_WIDTH,
  SL_F_AXES_SEED,
  SL_F_AXES_ALPHA,
  SL_F_AXES_SCHEME,
  SL_F_AXES_DATA,
  SL_F_AXES_COORDS,
  SL_F_AXES_PARTS,
  SL_F_AXES_STAGES,
  /* data sets */
  SL_F_DATA_X,
  SL_F_DATA_Y,
  SL_F_DATA_ATTR_TYPE,
  SL_F_DATA_ATTR_SAMPLING,
  SL_F_DATA_ATTR_FILE,
  SL_F_DATA_ATTR_N,
  SL_F_DATA_ATTR_XMIN,
  SL_F_DATA_ATTR_XMAX,
  SL_F_DATA_ATTR_NOISE,
  SL_F_DATA_ATTR_SEED,
  SL_F_DATA_ATTR_FINGERPRINT,
  SL_F_DATA_ATTR_OPTIONS,
  /* run table */
  SL_F_RUNS_RUN_ID,
  SL_F_RUNS_STATUS,
  SL_F_RUNS_WIDTH,
  SL_F_RUNS_SEED,
  SL_F_RUNS_ALPHA,
  SL_F_RUNS_SCHEME,
  SL_F_RUNS_DATA,
  SL_F_RUNS_I_WIDTH,
  SL_F_RUNS_I_SEED,
  SL_F_RUNS_I_ALPHA,
  SL_F_RUNS_I_SCHEME,
  SL_F_RUNS_I_DATA,
  SL_F_RUNS_N_PARAMS,
  SL_F_RUNS_N_POINTS,
  SL_F_RUNS_STOP_REASON,
  SL_F_RUNS_REASON,
  SL_F_RUNS_STEPS,
  SL_F_RUNS_FINAL_TIME,
  SL_F_RUNS_INIT_LOSS,
  SL_F_RUNS_FINAL_LOSS,
  SL_F_RUNS_Q_DRIFT,
  SL_F_RUNS_INTERPOLATING,
  SL_F_RUNS_INIT_GRAD_NORM,
  SL_F_RUNS_FINAL_GRAD_NORM,
  SL_F_RUNS_INIT_R_TOTAL,
  SL_F_RUNS_INIT_R_IN,
  SL_F_RUNS_INIT_FRAC_IN,
  SL_F_RUNS_INIT_MAX_KINK,
  SL_F_RUNS_INIT_N_IN,
  SL_F_RUNS_INIT_N_DEAD,
  SL_F_RUNS_INIT_N_FLAT,
  SL_F_RUNS_INIT_N_DIRAC,
  SL_F_RUNS_FINAL_R_TOTAL,
  SL_F_RUNS_FINAL_R_IN,
  SL_F_RUNS_FINAL_FRAC_IN,
  SL_F_RUNS_FINAL_MAX_KINK,
  SL_F_RUNS_FINAL_N_IN,
  SL_F_RUNS_FINAL_N_DEAD,
  SL_F_RUNS_FINAL_N_FLAT,
  SL_F_RUNS_FINAL_N_DIRAC,
  SL_F_RUNS_CHECKS_OK,
  SL_F_RUNINFO_WALL_TIME,
  SL_F_RUNINFO_CPU_TIME,
  SL_F_RUNINFO_RANK,
  SL_F_RUNINFO_GROUP_SIZE,
  /* ragged per-run arrays */
  SL_F_NETWORK_THETA_INIT,
  SL_F_NETWORK_THETA_FINAL,
  SL_F_NETWORK_BETA_INIT,
  SL_F_NETWORK_MU_INIT,
  SL_F_NETWORK_S_INIT,
  SL_F_NETWORK_BETA_FINAL,
  SL_F_NETWORK_MU_FINAL,
  SL_F_NETWORK_S_FINAL,
  SL_F_TRAIN_CURVE_TIME,
  SL_F_TRAIN_CURVE_LOSS,
  SL_F_TRAIN_SNAP_TIME,
  SL_F_TRAIN_SNAP_LOSS,
  SL_F_TRAIN_SNAP_THETA,
  SL_F_TRAIN_SNAP_BETA,
  SL_F_TRAIN_SNAP_MU,
  /* spectra/{stage}/{coords}/{part} */
  SL_F_SPEC_METHOD,
  SL_F_SPEC_SIZE,
  SL_F_SPEC_N_NEG,
  SL_F_SPEC_N_ZERO,
  SL_F_SPEC_N_POS,
  SL_F_SPEC_N_BOUND,
  SL_F_SPEC_CHECK_NEG,
  SL_F_SPEC_CHECK_ZERO,
  SL_F_SPEC_NCONV,
  SL_F_SPEC_NREDUCED,
  SL_F_SPEC_CHECK_COUNTS,
  SL_F_SPEC_LAMBDA_MIN,
  SL_F_SPEC_LAMBDA_MAX,
  SL_F_SPEC_ZERO_TOL,
  SL_F_SPEC_VALUES,
  SL_F_SPEC_RESIDUALS,
  SL_F_SPEC_HIST_EDGES,
  SL_F_SPEC_HIST_COUNTS,
  SL_F_SPEC_GRAM_VALUES,
  SL_F_SPEC_VECTOR_VALUES,
  SL_F_SPEC_VECTORS,
  SL_NFIELDS
} SLSchemaId;

/* What fills a path's placeholders: the data set name ({name}) and the spectrum ({stage}, {coords}, {part}). */
typedef struct {
  const char   *name;
  PetscInt      stage; /* SLStage */
  SLCoordinates coords;
  SLHessianPart part;
} SLSchemaKey;

PETSC_INTERN const SLSchemaField SLSchemaFields[SL_NFIELDS];
PETSC_INTERN const char *const   SLSchemaKindNames[];
PETSC_INTERN const char *const   SLSchemaTypeNames[];
PETSC_INTERN const char *const   SLSchemaSizeNames[];
/* The field's path with its placeholders filled from key (NULL: none may occur); for an attribute the object
 * ("/" for the root) and, if name is not NULL, the attribute name. */
PETSC_INTERN PetscErrorCode SLSchemaPath(SLSchemaId id, const SLSchemaKey *key, char buf[], size_t len);
PETSC_INTERN PetscErrorCode SLSchemaAttribute(SLSchemaId id, const SLSchemaKey *key, char object[], size_t len, const char **name);
PETSC_INTERN PetscErrorCode SLSchemaOutputType(SLSchemaId id, SLFieldType *type);
/* Typed writes through field ids (buffered, SLOutputPut*): the field's type and kind are checked. */
PETSC_INTERN PetscErrorCode SLSchemaPutInt(SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt run, PetscInt start, PetscInt n, const PetscInt64 v[]);
PETSC_INTERN PetscErrorCode SLSchemaPutReal(SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt run, PetscInt start, PetscInt n, const PetscReal v[]);
PETSC_INTERN PetscErrorCode SLSchemaPutString(SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt run, const char v[]);

/* ---- file layout (layout.c, provenance.c) ---- */
/* The study file's layout (analysis/FORMAT.md is its description for readers): declaration of every dataset,
 * and the paths the runner writes to. */

/* Declare axes, data sets, provenance attributes, run-table columns and ragged arrays (identical on all ranks). */
PETSC_INTERN PetscErrorCode SLStudyDeclareLayout(SLStudy study, SLOutput out);
/* Buffer the grid columns (width, seed, alpha, scheme, data, i_*, n_params, n_points) of every run (rank 0). */
PETSC_INTERN PetscErrorCode SLStudyPutGrid(SLStudy study, SLOutput out);
/* Value of a provenance root attribute (versions, host, time, options, SLURM ids), allocated (PetscFree);
 * collective (rank 0's host, time and environment are broadcast). */
PETSC_INTERN PetscErrorCode SLStudyProvenanceValue(SLStudy study, SLSchemaId id, char **value);
/* Current UTC time, ISO 8601. */
PETSC_INTERN PetscErrorCode SLStudyNow(char buf[], size_t len);
/* Execute run id on comm (all ranks of comm call it) and buffer its results; *interrupted when a signal stopped it. */
PETSC_INTERN PetscErrorCode SLRunExecute(SLStudy study, PetscInt id, MPI_Comm comm, SLOutput out, volatile sig_atomic_t *flag, PetscBool *interrupted);

/* Growing (grow.c): the row of this study of every run of an existing study file with the same settings
 * (SLOutputGrowMapFn; its axes are a subset of this study's, SLOutputGrowAxis). */
PETSC_INTERN PetscErrorCode SLStudyGrowMap(SLOutput out, void *ctx, PetscInt nold, PetscInt old2new[]);
/* The data sets axis is keyed (SLOutputSetGrowKeys): data sets may be added, never changed (grow.c). */
PETSC_INTERN PetscErrorCode SLStudySetGrowKeys(SLStudy s, SLOutput out);

/* ---- plan (plan.c): options, resource estimates, preflight, dry run ---- */
/* The options of this block, read inside SLStudySetFromOptions' options block. */
PETSC_INTERN PetscErrorCode SLStudySetFromOptions_Plan(SLStudy study, PetscOptionItems *PetscOptionsObject);
/* Estimated peak memory (bytes) of run id on one rank: its working set (Hessians, training state) and results. */
PETSC_INTERN PetscErrorCode SLStudyRunMemory(SLStudy study, SLOutput out, PetscInt id, PetscReal *bytes);
/* Refuse (exit 71, naming the option at fault) a study whose file does not fit on the disk or under
 * -sl_max_file_size, or whose runs do not fit in memory or under -sl_max_memory; collective, before the file is
 * touched (out: the declared layout). */
PETSC_INTERN PetscErrorCode SLStudyPreflight(SLStudy study, SLOutput out);
/* -sl_dry_run: print the plan (runs, cost, memory, file size, slices and ranks for -sl_plan_walltime). */
PETSC_INTERN PetscErrorCode SLStudyPlanView(SLStudy study, SLOutput out);
/* After a session: print the calibration (a, b) measured on its runs, for -sl_plan_calibration. */
PETSC_INTERN PetscErrorCode SLStudyPlanCalibration(SLStudy study, const PetscReal fit[5]);

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
/* Is a run of the given cost wide on an invocation of size ranks (cost above -sl_wide_threshold, spectrum not
 * dense, more than one rank), and how many ranks run it: the -sl_wide_ranks (default all) of a group when wide,
 * else 1. The rule of SLScheduleCreate, shared with the plan's per-rank memory estimate. */
PETSC_INTERN PetscErrorCode SLScheduleGroupSize(SLStudy study, const SLRunSpec *run, PetscReal cost, PetscMPIInt size, PetscBool *wide, PetscInt *G);
