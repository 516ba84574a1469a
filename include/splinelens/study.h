/* A study: the Cartesian product of axes (widths x seeds x alphas x init schemes x data sets), with the shared
 * initialization, training and spectrum settings, the output file, and the cost model used to schedule runs.
 *
 * Options (all documented by -help):
 *   -sl_study_name NAME         name of the study (default "study"); output <output_dir>/<name>.h5
 *   -sl_output FILE             output file (overrides the default name)
 *   -sl_output_dir DIR          directory of the default output file (default "results")
 *   -sl_widths H1,H2,...        widths axis (default 16); axes have any length (lists parsed by src/sys/options.c)
 *   -sl_seeds S1,S2,...         seeds axis (default 0); integer ranges "a-b" mean a..b-1 (as PETSc's arrays)
 *   -sl_alphas A1,A2,...        initialization scales axis (default 1)
 *   -sl_schemes NAME,...        init schemes axis (default lecun_normal)
 *   -sl_datasets NAME,...       data sets axis (default sine); each configured by -sl_data_<name>_*
 *   -sl_output_bias             networks with an output bias c
 *   -sl_coords nn,bdso          coordinate systems of the Hessians (default nn,bdso)
 *   -sl_hess_parts full,...     Hessian parts: full, gauss_newton, residual (default full)
 *   -sl_hess_stages init,final,snapshots  when to compute Hessian spectra (default init,final; snapshots: at
 *                               every parameter snapshot of training)
 *   -sl_output_max_snapshot_params P  runs with more parameters store no parameter snapshots (default 200000)
 *   -sl_wide_threshold C        runs costlier than C run on groups of -sl_wide_ranks ranks (default 1e12)
 *   -sl_wide_ranks G            ranks per wide run (default: all ranks)
 *   -sl_slice_index i -sl_slice_count n   compute only slice i of n (job arrays)
 *   -sl_stop_after k            stop (exit 75, resumable) after k runs finished in this invocation
 *   -sl_view                    print the study before running it (default true)
 *   -sl_train                   train the networks (default true; false: initialization-only study)
 *   plus -sl_init_* (init.h), -sl_train_* (train.h), -sl_eig_* (spectrum.h), -sl_data_<name>_* (data.h).
 */
#pragma once
#include <splinelens/init.h>
#include <splinelens/train.h>
#include <splinelens/spectrum.h>

/* Exit status of splinelens (README "Exit status"; src/study/exit.c). */
#define SL_EXIT_OK          0  /* every run done */
#define SL_EXIT_INTERRUPTED 75 /* EX_TEMPFAIL: stopped by a stop request (signal, -sl_stop_after), resumable */
#define SL_EXIT_USAGE       64 /* EX_USAGE: bad or inconsistent options or arguments */
#define SL_EXIT_INPUT       65 /* EX_DATAERR: data file, config file, an existing output file not this study's */
#define SL_EXIT_INTERNAL    70 /* EX_SOFTWARE: internal error */
#define SL_EXIT_RESOURCE    71 /* EX_OSERR: out of memory, disk full, file too large */

/* The exit status of an error code reaching main (0 -> 0; never a PETSc error number). */
PETSC_EXTERN int SLExitCode(PetscErrorCode);
/* Print "splinelens: error: <innermost message>" (and a hint line) for an error code that reached main. */
PETSC_EXTERN void SLErrorReport(FILE *, PetscErrorCode);
/* -sl_debug: the full PETSc error traces are printed too. */
PETSC_EXTERN void      SLErrorsSetDebug(PetscBool);
PETSC_EXTERN PetscBool SLErrorsDebug(void);
/* Push (on) / pop (off) the run-phase error handler: report, then MPI_Abort every rank with the class's status. */
PETSC_EXTERN PetscErrorCode SLErrorsAbortOnError(PetscBool);

typedef struct _n_SLStudy *SLStudy;

PETSC_EXTERN PetscErrorCode SLStudyCreate(MPI_Comm comm, SLStudy *study);
PETSC_EXTERN PetscErrorCode SLStudySetFromOptions(SLStudy study);
/* Validates everything (data sets loaded, axes non-empty, sizes representable) before any file is touched. */
PETSC_EXTERN PetscErrorCode SLStudySetUp(SLStudy study);
/* Canonical text of the result-affecting options (every -sl_* option except output location, slicing,
 * stop/distribution knobs) and its FNV-1a 64 hash: what a resumed or merged file must match. */
PETSC_EXTERN PetscErrorCode SLStudyComputeFingerprint(SLStudy study);
PETSC_EXTERN PetscErrorCode SLStudyView(SLStudy study, PetscViewer viewer);
/* View on stdout when -sl_view is set (the default). */
PETSC_EXTERN PetscErrorCode SLStudyViewFromOptions(SLStudy study);
PETSC_EXTERN PetscErrorCode SLStudyDestroy(SLStudy *study);
/* Record the text of the option files named on the command line (provenance). */
PETSC_EXTERN PetscErrorCode SLStudySetConfigText(SLStudy study, int argc, char **argv);
/* Run the study: schedule, compute, write (collective). *interrupted: stopped early (exit 75). */
PETSC_EXTERN PetscErrorCode SLStudyRun(SLStudy study, PetscBool *interrupted);
/* SLStudyRun then only creates, resumes or grows the study file (grid columns written), computing no run (merge). */
PETSC_EXTERN PetscErrorCode SLStudySetLayoutOnly(SLStudy study, PetscBool on);
/* Print the study file's schema (every dataset and attribute: path, kind, type, size, description, units) as
 * JSON on stdout of rank 0 of comm: what `splinelens schema` prints. */
PETSC_EXTERN PetscErrorCode SLStudySchemaPrint(MPI_Comm comm);
/* splinelens merge: inputs of one grid are merged as slices (SLOutputMerge); inputs with the same settings
 * fingerprint but other axes into the union grid (union.c), laid out as the first input's options with the union
 * axes would lay it out, grid points done in no input left pending. Refusals (exit 65) before the output exists. */
PETSC_EXTERN PetscErrorCode SLStudyMerge(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], PetscBool allow_missing);
/* Catch SIGUSR1/SIGTERM/SIGINT as a clean-stop request for the rest of the process (idempotent; SLStudyRun calls it). */
PETSC_EXTERN PetscErrorCode SLStudyCatchSignals(void);
