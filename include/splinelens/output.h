/* One parallel HDF5 file per study (MPI-IO), written collectively in rounds.
 *
 * Every dataset is declared once, identically on every rank (SLOutputDeclare...), before SLOutputOpen creates
 * the whole layout collectively. A field is either a run-table column (one value per run, dimension "run"
 * attached to the dimension scale /runs/run_id) or a ragged per-run array stored as values + offsets:
 * <path> (1-D values) and <path>_offset (R + 1 int64, run i is values[offset[i]:offset[i+1]]); each rank may
 * write any contiguous piece of a run's slice (distributed runs write their neuron ranges).
 *
 * Writes are buffered (SLOutputPut*) and committed by SLOutputFlush, a collective call: for every field in
 * declaration order, all ranks take part in one collective H5Dwrite (possibly selecting nothing); then the
 * file is flushed, then the status column (written last, so a run is "done" only once its data are on disk)
 * is written and the file flushed again. A crash therefore loses at most the runs of the round in flight, and
 * no metadata is modified after SLOutputOpen except the closing attributes.
 *
 * Resume: opening an existing file checks its study fingerprint (attribute "study_fingerprint") and refuses a
 * file from another study without modifying it; the status column tells which runs are already done.
 */
#pragma once
#include <splinelens/sys.h>

/* The file format SLOutput writes: root attributes format and format_version (resume and merge check them). */
#define SL_OUTPUT_FORMAT  "splinelens-study"
#define SL_OUTPUT_VERSION "1"

typedef enum {
  SL_FIELD_INT,   /* int64  */
  SL_FIELD_REAL,  /* double */
  SL_FIELD_STRING /* fixed-length, NUL-padded string of strlen bytes */
} SLFieldType;

/* Run status values (column runs/status, int8 on disk). */
typedef enum {
  SL_RUN_PENDING = 0,
  SL_RUN_DONE    = 1,
  SL_RUN_FAILED  = 2 /* finished with a failure reason: not recomputed on resume */
} SLRunStatus;

typedef struct _n_SLOutput *SLOutput;

/* nruns: length of the run table. */
PETSC_EXTERN PetscErrorCode SLOutputCreate(MPI_Comm comm, PetscInt nruns, SLOutput *out);
/* Column of the run table; path like "runs/final_loss" or "spectra/final/nn/full/n_neg". strlen only for strings. */
PETSC_EXTERN PetscErrorCode SLOutputDeclareColumn(SLOutput out, const char path[], SLFieldType type, PetscInt strlen, const char description[], const char units[]);
/* Ragged per-run array with count[i] values for run i (count has nruns entries, identical on all ranks). */
PETSC_EXTERN PetscErrorCode SLOutputDeclareRagged(SLOutput out, const char path[], SLFieldType type, const PetscInt count[], const char description[], const char units[]);
/* Small fixed datasets written once at creation (axes, data sets): 1-D arrays. */
PETSC_EXTERN PetscErrorCode SLOutputDeclareConstReal(SLOutput out, const char path[], PetscInt n, const PetscReal v[], const char description[], const char units[]);
PETSC_EXTERN PetscErrorCode SLOutputDeclareConstInt(SLOutput out, const char path[], PetscInt n, const PetscInt64 v[], const char description[], const char units[]);
PETSC_EXTERN PetscErrorCode SLOutputDeclareConstStrings(SLOutput out, const char path[], PetscInt n, const char *const v[], const char description[]);
/* String attribute on a group or dataset path ("/" for the root), written at creation. */
PETSC_EXTERN PetscErrorCode SLOutputDeclareAttribute(SLOutput out, const char path[], const char name[], const char value[]);

/* Create filename with the declared layout, or open it to resume. fingerprint identifies the study: an existing
 * file with another fingerprint (or not a splinelens file, or with a different layout) is refused with an error
 * naming the file, and left untouched. *resumed tells which happened. Collective. */
PETSC_EXTERN PetscErrorCode SLOutputOpen(SLOutput out, const char filename[], const char fingerprint[], PetscBool *resumed);
/* Growing a study (output_grow.c). With SLOutputSetGrow called before SLOutputOpen, an existing file whose
 * study_fingerprint differs but whose root attribute attr equals this layout's is not refused but grown: every
 * axis (constant dataset under axes/) of the file must hold a subset of this layout's values in the same relative
 * order (else the open is refused naming the axis, the file untouched); map (called on rank 0 only, where
 * SLOutputGrowAxis answers) gives the row of this layout of every run of the file; the new layout is created under
 * a temporary name as for a new file, every done or failed run is copied into its row, and the result renamed
 * over the file (the old file is gone only once the rename succeeded). SLOutputOpen then reports *resumed false. */
typedef PetscErrorCode (*SLOutputGrowMapFn)(SLOutput out, void *ctx, PetscInt nold, PetscInt old2new[]);
PETSC_EXTERN PetscErrorCode SLOutputSetGrow(SLOutput out, const char attr[], SLOutputGrowMapFn map, void *ctx);
/* A keyed axis of a growing study (the data sets): each value v of the constant string dataset axis ("axes/data")
 * carries the attribute attr (a fingerprint of what v means) and text (what attr hashes, one name=value per line)
 * on the group group/v ("data/v"), declared in the layout. An existing file is then grown only if every value it
 * shares with this layout has the same attr, else the open is refused (PETSC_ERR_FILE_UNEXPECTED) naming the value
 * and the first differing line of text: values may be added to a keyed axis, never changed. A file without attr
 * on its groups (written before keyed axes) is grown if its grow attribute equals legacy, with the keyed axis
 * unchanged; a change of its keyed axis is refused saying so. Before SLOutputOpen, after SLOutputSetGrow. */
PETSC_EXTERN PetscErrorCode SLOutputSetGrowKeys(SLOutput out, const char axis[], const char group[], const char attr[], const char text[], const char legacy[]);
/* Inside the map: the existing file's length of axis path ("axes/width") and the index of each of its values in
 * this layout's axis. */
PETSC_EXTERN PetscErrorCode SLOutputGrowAxis(SLOutput out, const char path[], PetscInt *nold, const PetscInt **old2new);
/* Status of every run (nruns entries, replicated): SL_RUN_* values read at open plus those flushed since. */
PETSC_EXTERN PetscErrorCode SLOutputGetStatus(SLOutput out, const PetscInt **status);

/* Buffer a write (not collective). Column: one value for run. Ragged: values [start, start+n) of run's slice. */
PETSC_EXTERN PetscErrorCode SLOutputPutInt(SLOutput out, const char path[], PetscInt run, PetscInt start, PetscInt n, const PetscInt64 v[]);
PETSC_EXTERN PetscErrorCode SLOutputPutReal(SLOutput out, const char path[], PetscInt run, PetscInt start, PetscInt n, const PetscReal v[]);
PETSC_EXTERN PetscErrorCode SLOutputPutString(SLOutput out, const char path[], PetscInt run, const char v[]);
/* Mark a run's status (written after its data in the next flush); one rank per run should call it. */
PETSC_EXTERN PetscErrorCode SLOutputSetStatus(SLOutput out, PetscInt run, SLRunStatus status);
/* The buffered (not yet committed) status of run and string value of a column for run, if any (*found false
 * otherwise): what the runner reports between commits (failures by reason). Not collective. */
PETSC_EXTERN PetscErrorCode SLOutputPeekStatus(SLOutput out, PetscInt run, SLRunStatus *status, PetscBool *found);
PETSC_EXTERN PetscErrorCode SLOutputPeekString(SLOutput out, const char path[], PetscInt run, char buf[], size_t len, PetscBool *found);
/* Bytes the declared layout occupies on disk (data of every dataset, whether written or not, plus an estimate of
 * the HDF5 metadata: headers, attributes, descriptions), and bytes buffered on this rank now. Not collective. */
PETSC_EXTERN PetscErrorCode SLOutputGetLayoutSize(SLOutput out, PetscReal *bytes, PetscInt *ndatasets);
PETSC_EXTERN PetscErrorCode SLOutputGetBufferedSize(SLOutput out, PetscReal *bytes);
/* Declared field i of n (path, bytes of its data in the file, bytes of run's share); path NULL when i >= n. */
PETSC_EXTERN PetscErrorCode SLOutputGetFieldSize(SLOutput out, PetscInt i, PetscInt run, const char **path, PetscReal *bytes, PetscReal *run_bytes);
/* Collective: commit every buffered write and status as described above. */
PETSC_EXTERN PetscErrorCode SLOutputFlush(SLOutput out);
/* Collective: write closing attributes (e.g. "end_time", "complete") on the root and close. */
PETSC_EXTERN PetscErrorCode SLOutputClose(SLOutput out, PetscInt nattr, const char *const names[], const char *const values[]);
PETSC_EXTERN PetscErrorCode SLOutputDestroy(SLOutput *out);

/* Merge slice files of one study (each holds the full layout, with a disjoint subset of runs done) into
 * outfile: checks that all inputs carry the same study fingerprint and layout, that no run is done in two
 * inputs and (unless allow_missing) that every run is done in one; refuses with an error naming the files at
 * fault, before outfile is created. The result has the numeric content of a one-job run. Collective (rank 0 does
 * the I/O). */
PETSC_EXTERN PetscErrorCode SLOutputMerge(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], PetscBool allow_missing);
/* The same, reading files[k] but naming infiles[k] in messages and in @merged_from. isunion: the files are the
 * inputs of a union laid out on the union grid (SLStudyMergeUnion): grid points done in none stay pending, and a
 * run done in several must have bitwise the same results (outside /runinfo) in each, else the merge is refused
 * naming the run. */
PETSC_EXTERN PetscErrorCode SLOutputMergeFiles(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const files[], const char *const infiles[], PetscBool allow_missing, PetscBool isunion);
/* Before a merge (collective, rank 0 reads): refuses (exit 65/71 class) a missing, non-study or existing output
 * file, and inputs of another settings fingerprint naming the first differing option; *same says whether all
 * inputs have the same study fingerprint (same grid). options[k]: the @study_options of input k on rank 0 (NULL
 * elsewhere; PetscFree them). */
PETSC_EXTERN PetscErrorCode SLOutputMergeProbe(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], PetscBool *same, char *options[]);
/* The single-writer lock <outfile>.lock of a merge (collective; rank 0 holds it in *lockfd, -1 elsewhere): refused
 * (PETSC_ERR_FILE_OPEN) naming the holder while another splinelens writes or merges into outfile. With the lock
 * held, the temporaries a killed merge into outfile left (regular files <outfile>.merging-XXXXXX,
 * <outfile>.union-XXXXXX and their .lock and .creating-XXXXXX) are removed, with a warning. Released (and the
 * lock file removed) by SLOutputMergeUnlock. */
PETSC_EXTERN PetscErrorCode SLOutputMergeLock(MPI_Comm comm, const char outfile[], int *lockfd);
PETSC_EXTERN PetscErrorCode SLOutputMergeUnlock(const char outfile[], int *lockfd);
/* The values of the 1-D dataset path of file (an axis) as comma-separated text: integers, reals in their shortest
 * exact form, strings. *csv is PetscMalloc'ed. Not collective. */
PETSC_EXTERN PetscErrorCode SLOutputReadAxisText(const char file[], const char path[], char **csv);
/* The string attribute name of the object path of file (*value NULL if the object or the attribute is absent).
 * *value is PetscMalloc'ed. Not collective. */
PETSC_EXTERN PetscErrorCode SLOutputReadAttrText(const char file[], const char path[], const char name[], char **value);
/* The first line where two option texts (one name=value per line, as @study_options) differ, as the text
 * "; first difference: the file has "...", this one has "..."" (empty if none). Not collective. */
PETSC_EXTERN void SLOutputOptionsDiff(const char a[], const char b[], char diff[], size_t len);
/* Byte copy of src into the existing file dst (which is not followed if a link). Not collective. */
PETSC_EXTERN PetscErrorCode SLOutputCopyFile(const char src[], const char dst[]);
/* HDF5's own error-stack printing (default on): splinelens turns it off unless -sl_debug, since every failure
 * is reported as one PETSc error naming the file (and "no space left on device" when that is the cause). */
PETSC_EXTERN PetscErrorCode SLOutputSetErrorPrinting(PetscBool on);
/* True when HDF5 still holds a file this process could not close (a write failed: disk full). HDF5 would close
 * it again when the library terminates (MPI_Finalize, exit) and crash: the caller ends with _exit instead. */
PETSC_EXTERN PetscBool SLOutputHDF5Stuck(void);
