/* Private part of SLOutput (include/splinelens/output.h): the declared layout, the write buffers and the
 * HDF5 helpers shared by output.c (declarations, buffering), output_layout.c (create / resume),
 * output_write.c (flush, close) and output_merge.c (merge of slice files). */
#pragma once
#include <splinelens/output.h>
#include <hdf5.h>
#include <hdf5_hl.h>

/* Every HDF5 call returns a negative value on failure: turn it into a PETSc error naming the call. A failure
 * whose cause is a full disk (or a file-size limit) becomes PETSC_ERR_FILE_WRITE "no space left on device". HDF5
 * prints its own error stack first when its automatic printing is on (SLOutputSetErrorPrinting). */
#define SLH5Call(...) \
  do { \
    if ((__VA_ARGS__) < 0) { \
      PetscCheck(!SLH5NoSpace_Private(), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "no space left on device (or file too large) writing the study file: HDF5 call %s failed", #__VA_ARGS__); \
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 call failed: %s", #__VA_ARGS__); \
    } \
  } while (0)
/* Same, for calls whose failure is best explained by the file they act on. */
#define SLH5CallFile(fname, ...) \
  do { \
    if ((__VA_ARGS__) < 0) { \
      PetscCheck(!SLH5NoSpace_Private(), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "no space left on device (or file too large) writing %s", fname); \
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "HDF5 call failed on file %s: %s", fname, #__VA_ARGS__); \
    } \
  } while (0)

/* Run a step whose failure is handled by the caller (cleanup, broadcast of a verdict) with PETSc's error printing
 * off: PETSc 3.18 prints only the first error of a chain, so the caller's own error, which names the file and
 * quotes this step's message (SLErrorText), would otherwise be lost. */
#define SLOutputTry(ierr, ...) \
  do { \
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    ierr = (__VA_ARGS__); \
    PetscCall(PetscPopErrorHandler()); \
  } while (0)

/* Reserved names: the status column and the run index (dimension scale "run") every study file has. */
#define SL_OUTPUT_STATUS "runs/status"
#define SL_OUTPUT_RUNID  "runs/run_id"
#define SL_OUTPUT_MSGLEN 4096

typedef enum {
  SL_KIND_COLUMN, /* one value per run, dimension scale /runs/run_id attached */
  SL_KIND_RAGGED, /* values + <path>_offset */
  SL_KIND_CONST,  /* written once at creation */
  SL_KIND_STATUS  /* the int8 status column (a column with its own type) */
} SLFieldKind;

/* One buffered write: n elements at file element offset foff, bytes at boff of the field's buffer. seq orders
 * repeated writes of the same element (the last one wins). */
typedef struct {
  hsize_t foff, n;
  size_t  boff;
  size_t  seq;
} SLPiece;

typedef struct {
  char       *path; /* without leading '/' */
  SLFieldKind kind;
  SLFieldType type;  /* unused for SL_KIND_STATUS */
  size_t      esize; /* bytes per element in memory and on disk */
  char       *description, *units;
  PetscInt64 *offset; /* ragged: nruns + 1 offsets */
  hsize_t     len;    /* dataset length (elements) */
  void       *cdata;  /* const: the values (esize * len bytes) */
  hid_t       dset;   /* open dataset while the file is open, else -1 */
  hid_t       doff;   /* ragged: open offset dataset */
  SLPiece    *pieces;
  size_t      npieces, maxpieces;
  char       *buf;
  size_t      buflen, bufmax;
} SLField;

typedef struct {
  char *path, *name, *value;
} SLAttr;

struct _n_SLOutput {
  MPI_Comm  comm;
  PetscInt  nruns;
  SLField  *fields; /* declared fields in declaration order; fields[0] is the status column */
  PetscInt  nfields, maxfields;
  SLAttr   *attrs;
  PetscInt  nattrs, maxattrs;
  PetscInt *status; /* replicated SL_RUN_* of every run */
  char     *filename;
  hid_t     file;   /* -1 when not open */
  hid_t     runid;  /* the dimension scale dataset */
  PetscBool opened; /* SLOutputOpen was called: the layout is frozen */
  size_t    seq;    /* counter for SLPiece.seq */
  int       lockfd; /* rank 0: the open, fcntl-locked <filename>.lock (single writer), else -1 */
  char     *lockpath;
  /* growing (output_grow.c): the root attribute an existing file must share to be grown, the caller's map from
   * its run ids to this layout's, and (rank 0, while probing) the map of every axis */
  char             *growattr; /* NULL: an existing file with another fingerprint is refused */
  SLOutputGrowMapFn growmap;
  void             *growctx;
  PetscInt          ngrowaxes;
  char            **growaxis;     /* paths of the axes (constant datasets under axes/) */
  PetscInt         *growaxis_n;   /* their lengths in the existing file */
  PetscInt        **growaxis_map; /* index of each existing value in this layout's axis */
  PetscInt          grow_nold;    /* runs of the existing file */
  PetscInt         *grow_old2new;
  /* keyed axis (SLOutputSetGrowKeys): each value v of axis keyaxis has attributes keyattr and keytext on the group
   * keygroup/v; keylegacy: the grow attribute of files written without them */
  char *keyaxis, *keygroup, *keyattr, *keytext, *keylegacy;
};

/* output.c */
PETSC_INTERN PetscErrorCode SLOutputFindField_Private(SLOutput, const char[], SLField **);
PETSC_INTERN PetscErrorCode SLOutputFieldTypes_Private(const SLField *, hid_t *, hid_t *);
PETSC_INTERN PetscErrorCode SLOutputCloseHandles_Private(SLOutput, PetscBool);
/* output_h5.c */
PETSC_INTERN PetscErrorCode SLH5StringType(size_t, hid_t *);
PETSC_INTERN PetscErrorCode SLH5WriteStringAttr(hid_t, const char[], const char[]);
PETSC_INTERN PetscErrorCode SLH5ReadStringAttr(hid_t, const char[], PetscBool *, char **);
PETSC_INTERN PetscErrorCode SLH5PathExists(hid_t, const char[], PetscBool *);
PETSC_INTERN PetscErrorCode SLH5SelectRanges(hid_t, size_t, const hsize_t[], const hsize_t[], hsize_t *);
PETSC_INTERN PetscErrorCode SLH5QuietBegin(H5E_auto2_t *, void **);
PETSC_INTERN PetscErrorCode SLH5QuietEnd(H5E_auto2_t, void *);
PETSC_INTERN PetscErrorCode SLFileProbe(const char[], PetscBool *, PetscBool *);
PETSC_INTERN PetscErrorCode SLDirectoryCheck(const char[], char[], size_t);
PETSC_INTERN PetscErrorCode SLVerdictBcast(MPI_Comm, PetscErrorCode *, char[]);
PETSC_INTERN const char    *SLErrorText(PetscErrorCode);
PETSC_INTERN PetscBool      SLH5NoSpace_Private(void);
PETSC_INTERN void           SLCanonicalDiff(const char[], const char[], char[], size_t);
/* output_grow.c: rank 0, serial driver. Probe: may the open file fid (another study_fingerprint) be grown into
 * this layout? *grow, or *code and msg for a refusal. Copy: every done or failed run of oldname into the open,
 * freshly created layout (out->file), at its row of this layout; *kept runs copied. Free: the probe's maps. */
PETSC_INTERN PetscErrorCode SLOutputGrowProbe_Private(SLOutput, hid_t, const char[], PetscErrorCode *, char[], PetscBool *);
PETSC_INTERN PetscErrorCode SLOutputGrowCopy_Private(SLOutput, const char[], PetscInt *);
PETSC_INTERN PetscErrorCode SLOutputGrowReset_Private(SLOutput);
/* output_lock.c */
PETSC_INTERN PetscErrorCode SLMakeParentDirs(const char[], char[], size_t);
PETSC_INTERN PetscErrorCode SLOutputLock(SLOutput, PetscErrorCode *, char[]);
PETSC_INTERN PetscErrorCode SLOutputUnlock(SLOutput);
PETSC_INTERN PetscErrorCode SLRemoveTemporaries(const char[], const char[]);
