/* SLOutputOpen: create a study file with the whole declared layout, or check an existing one and resume it.
 *
 * The layout (groups, datasets, attributes, dimension scales) is created once, collectively, with identical
 * arguments on every rank: parallel HDF5 requires metadata changes to be collective, and doing all of them at
 * creation means no metadata changes while runs are written (only the closing attributes at SLOutputClose).
 * Datasets are contiguous and allocated early (parallel HDF5 needs early allocation), with fill values NaN for
 * reals, -1 for ints, empty strings (and 0 = pending for runs/status), so a value never written is recognisable.
 *
 * An existing file is first checked by rank 0 alone, read-only with the serial driver, so that a file of another
 * study (or not HDF5 at all) is refused without being modified; the verdict is broadcast. Before that, rank 0
 * creates the output directory if needed and takes the single-writer lock <file>.lock (output_lock.c).
 *
 * A new file is created atomically: laid out under a temporary name <file>.creating-XXXXXX in the same directory,
 * closed, then renamed to <file> by rank 0 and reopened; a kill at any moment leaves either no <file> or a
 * complete layout. Temporaries left by a killed creation are removed (under the lock) by the next open. */
#include "output_impl.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#define SLVERDICT(cond, ecode, ...) \
  do { \
    if (!(cond)) { \
      *code = (ecode); \
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, __VA_ARGS__)); \
      goto done; \
    } \
  } while (0)

static PetscBool SLIsReservedAttr(const char name[])
{
  return (PetscBool)(!strcmp(name, "description") || !strcmp(name, "units") || !strcmp(name, "offsets") || !strcmp(name, "CLASS") || !strcmp(name, "NAME") || !strcmp(name, "DIMENSION_LIST") || !strcmp(name, "REFERENCE_LIST"));
}

/* Layout errors HDF5 would only report halfway through the creation: a dataset used as a group by another
 * path, attributes clashing with the ones SLOutput writes itself. */
static PetscErrorCode SLOutputValidateLayout(SLOutput out)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < out->nfields; i++) {
    const char *p = out->fields[i].path;
    size_t      l = strlen(p);

    for (PetscInt j = 0; j < out->nfields; j++) {
      const char *q = out->fields[j].path;

      PetscCheck(!(strncmp(p, q, l) == 0 && q[l] == '/'), out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: dataset /%s is also used as a group by /%s", p, q);
    }
    for (PetscInt j = 0; j < out->nattrs; j++) {
      const char *q = out->attrs[j].path;

      PetscCheck(!(strncmp(p, q, l) == 0 && q[l] == '/'), out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: attribute %s on /%s: /%s is a dataset", out->attrs[j].name, q, p);
      PetscCheck(!(strcmp(p, q) == 0 && SLIsReservedAttr(out->attrs[j].name)), out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: attribute %s on dataset /%s is reserved", out->attrs[j].name, p);
    }
  }
  for (PetscInt j = 0; j < out->nattrs; j++) {
    const char *n = out->attrs[j].name;

    PetscCheck(out->attrs[j].path[0] || (strcmp(n, "format") && strcmp(n, "format_version") && strcmp(n, "study_fingerprint")), out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: root attribute %s is reserved", n);
  }
  PetscFunctionReturn(0);
}

/* Rank 0, serial driver, read-only: may fname be resumed by this study? *code = 0 if so, else an error code and
 * msg. HDF5 failures here are answers (printing is silenced by the caller). */
static PetscErrorCode SLOutputCheckExisting(SLOutput out, const char fname[], const char fingerprint[], PetscErrorCode *code, char msg[], PetscBool *grow)
{
  hid_t     fid = -1, d = -1, space = -1, type = -1, ftype = -1, mtype = -1;
  htri_t    ishdf5;
  PetscBool has;
  char     *val = NULL;

  PetscFunctionBeginUser;
  *code  = 0;
  *grow  = PETSC_FALSE;
  ishdf5 = H5Fis_hdf5(fname);
  SLVERDICT(ishdf5 > 0, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: file %s exists but is not an HDF5 file; refusing to use or overwrite it", fname);
  fid = H5Fopen(fname, H5F_ACC_RDONLY, H5P_DEFAULT);
  SLVERDICT(fid >= 0, PETSC_ERR_FILE_OPEN, "SLOutput: cannot open the existing file %s read-only", fname);
  SLVERDICT(!SLH5ReadStringAttr(fid, "format", &has, &val), PETSC_ERR_FILE_UNEXPECTED, "SLOutput: cannot read attribute format of %s", fname);
  SLVERDICT(has && !strcmp(val, SL_OUTPUT_FORMAT), PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s is not a splinelens study file (root attribute format is %s%s%s, expected \"" SL_OUTPUT_FORMAT "\"); refusing to use it", fname, has ? "\"" : "", has ? val : "missing", has ? "\"" : "");
  PetscCall(PetscFree(val));
  SLVERDICT(!SLH5ReadStringAttr(fid, "format_version", &has, &val) && has && !strcmp(val, SL_OUTPUT_VERSION), PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has format_version %s, this program writes " SL_OUTPUT_VERSION, fname, val ? val : "(missing)");
  PetscCall(PetscFree(val));
  SLVERDICT(!SLH5ReadStringAttr(fid, "study_fingerprint", &has, &val) && has, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has no study_fingerprint attribute", fname);
  if (strcmp(val, fingerprint)) { /* name the first differing option (or data set) from the canonical texts */
    char *theirs = NULL, diff[800] = "";

    PetscCall(SLOutputGrowProbe_Private(out, fid, fname, code, msg, grow)); /* same settings, grown axes? */
    if (*code || *grow) goto done;
    if (!SLH5ReadStringAttr(fid, "study_options", &has, &theirs) && has)
      for (PetscInt j = 0; j < out->nattrs; j++)
        if (!out->attrs[j].path[0] && !strcmp(out->attrs[j].name, "study_options")) SLCanonicalDiff(theirs, out->attrs[j].value, diff, sizeof(diff));
    PetscCall(PetscFree(theirs));
    SLVERDICT(PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s belongs to another study: its study_fingerprint is \"%s\", this study's is \"%s\"%s; refusing to resume it (use another output file)", fname, val, fingerprint, diff);
  }
  for (PetscInt i = 0; i < out->nfields; i++) {
    SLField *f = &out->fields[i];

    for (int part = 0; part < (f->kind == SL_KIND_RAGGED ? 2 : 1); part++) {
      char        path[PETSC_MAX_PATH_LEN];
      hsize_t     dims[1], len = part ? (hsize_t)out->nruns + 1 : f->len;
      H5O_info_t  info;
      H5T_class_t cls;

      PetscCall(PetscSNPrintf(path, sizeof(path), "/%s%s", f->path, part ? "_offset" : ""));
      SLVERDICT(!SLH5PathExists(fid, path, &has) && has, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has a different layout: dataset %s is missing", fname, path);
      SLVERDICT(H5Oget_info_by_name(fid, path, &info, H5P_DEFAULT) >= 0 && info.type == H5O_TYPE_DATASET, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has a different layout: %s is not a dataset", fname, path);
      d     = H5Dopen2(fid, path, H5P_DEFAULT);
      space = d >= 0 ? H5Dget_space(d) : -1;
      type  = d >= 0 ? H5Dget_type(d) : -1;
      SLVERDICT(space >= 0 && type >= 0 && H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_dims(space, dims, NULL) == 1 && dims[0] == len, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has a different layout: dataset %s is not 1-D of length %llu", fname, path, (unsigned long long)len);
      if (part) {
        ftype = H5Tcopy(H5T_STD_I64LE);
        mtype = H5Tcopy(H5T_NATIVE_INT64);
      } else PetscCall(SLOutputFieldTypes_Private(f, &ftype, &mtype));
      cls = H5Tget_class(ftype);
      SLVERDICT(H5Tget_class(type) == cls && H5Tget_size(type) == H5Tget_size(ftype) && (cls == H5T_STRING || H5Tequal(type, ftype) > 0), PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has a different layout: dataset %s has another element type", fname, path);
      if (part) { /* the ragged counts must be those of this study */
        PetscInt64 *off;
        PetscBool   same;

        PetscCall(PetscMalloc1(len, &off));
        same = (PetscBool)(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, off) >= 0);
        for (hsize_t k = 0; same && k < len; k++) same = (PetscBool)(off[k] == f->offset[k]);
        PetscCall(PetscFree(off));
        SLVERDICT(same, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: %s has a different layout: the per-run counts in %s differ", fname, path);
      }
      H5Tclose(ftype);
      H5Tclose(mtype);
      H5Tclose(type);
      H5Sclose(space);
      H5Dclose(d);
      ftype = mtype = type = space = d = -1;
    }
  }
done:
  PetscCall(PetscFree(val));
  if (ftype >= 0) H5Tclose(ftype);
  if (mtype >= 0) H5Tclose(mtype);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (d >= 0) H5Dclose(d);
  if (fid >= 0) H5Fclose(fid);
  PetscFunctionReturn(0);
}

/* Write of a constant dataset by the one process that creates the layout (SLOutputOpen). */
static PetscErrorCode SLOutputWriteWhole(hid_t dset, hid_t mtype, hsize_t len, const void *data)
{
  PetscFunctionBeginUser;
  if (!len) PetscFunctionReturn(0); /* an empty dataset has no storage to write to */
  SLH5Call(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
  PetscFunctionReturn(0);
}

/* Create one 1-D dataset with its fill value, early allocation, and the description / units attributes. */
static PetscErrorCode SLOutputCreateDataset(hid_t file, hid_t lcpl, const char path[], hid_t ftype, hid_t mtype, hsize_t len, const void *fill, const char description[], const char units[], hid_t *dset)
{
  hid_t space, dcpl;

  PetscFunctionBeginUser;
  SLH5Call(space = H5Screate_simple(1, &len, NULL));
  SLH5Call(dcpl = H5Pcreate(H5P_DATASET_CREATE));
  SLH5Call(H5Pset_layout(dcpl, H5D_CONTIGUOUS));
  SLH5Call(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY));
  SLH5Call(H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET));
  SLH5Call(H5Pset_fill_value(dcpl, mtype, fill));
  *dset = H5Dcreate2(file, path, ftype, space, lcpl, dcpl, H5P_DEFAULT);
  PetscCheck(*dset >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "HDF5 could not create dataset %s%s", path, SLH5NoSpace_Private() ? ": no space left on device (or file too large)" : "");
  PetscCall(SLH5WriteStringAttr(*dset, "description", description));
  PetscCall(SLH5WriteStringAttr(*dset, "units", units));
  SLH5Call(H5Pclose(dcpl));
  SLH5Call(H5Sclose(space));
  PetscFunctionReturn(0);
}

/* Create the whole layout in out->file (one process, serial driver); leaves it open. */
static PetscErrorCode SLOutputCreateLayout(SLOutput out, const char fingerprint[])
{
  const char *fname = out->filename;
  hid_t       lcpl;

  PetscFunctionBeginUser;
  SLH5Call(lcpl = H5Pcreate(H5P_LINK_CREATE));
  SLH5Call(H5Pset_create_intermediate_group(lcpl, 1));
  PetscCall(SLH5WriteStringAttr(out->file, "format", SL_OUTPUT_FORMAT));
  PetscCall(SLH5WriteStringAttr(out->file, "format_version", SL_OUTPUT_VERSION));
  PetscCall(SLH5WriteStringAttr(out->file, "study_fingerprint", fingerprint));
  for (PetscInt i = 0; i < out->nfields; i++) {
    SLField   *f = &out->fields[i];
    hid_t      ftype, mtype;
    char       path[PETSC_MAX_PATH_LEN], *fill;
    PetscInt64 ifill = -1;
    PetscReal  rfill = (PetscReal)NAN;

    PetscCall(PetscCalloc1(f->esize, &fill)); /* strings: empty; status: pending */
    if (f->kind != SL_KIND_STATUS && f->type == SL_FIELD_INT) PetscCall(PetscMemcpy(fill, &ifill, sizeof(ifill)));
    if (f->kind != SL_KIND_STATUS && f->type == SL_FIELD_REAL) PetscCall(PetscMemcpy(fill, &rfill, sizeof(rfill)));
    PetscCall(SLOutputFieldTypes_Private(f, &ftype, &mtype));
    PetscCall(PetscSNPrintf(path, sizeof(path), "/%s", f->path));
    PetscCall(SLOutputCreateDataset(out->file, lcpl, path, ftype, mtype, f->len, fill, f->description, f->units, &f->dset));
    PetscCall(PetscFree(fill));
    if (f->kind == SL_KIND_RAGGED) {
      char desc[PETSC_MAX_PATH_LEN + 64];

      PetscCall(PetscSNPrintf(path, sizeof(path), "/%s_offset", f->path));
      PetscCall(PetscSNPrintf(desc, sizeof(desc), "offsets into /%s: run i has values [offset[i], offset[i+1])", f->path));
      PetscCall(SLOutputCreateDataset(out->file, lcpl, path, H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)out->nruns + 1, &ifill, desc, "", &f->doff));
      PetscCall(SLH5WriteStringAttr(f->dset, "offsets", path));
    }
    SLH5Call(H5Tclose(ftype));
    SLH5Call(H5Tclose(mtype));
  }
  /* the dimension scale "run", attached to dim 0 of every run-table column */
  out->runid = out->fields[1].dset;
  SLH5Call(H5DSset_scale(out->runid, "run"));
  for (PetscInt i = 0; i < out->nfields; i++)
    if (out->fields[i].kind == SL_KIND_COLUMN || out->fields[i].kind == SL_KIND_STATUS) SLH5CallFile(fname, H5DSattach_scale(out->fields[i].dset, out->runid, 0));
  for (PetscInt j = 0; j < out->nattrs; j++) {
    SLAttr   *a = &out->attrs[j];
    PetscBool has;
    hid_t     obj;

    has = PETSC_TRUE; /* the root */
    if (a->path[0]) PetscCall(SLH5PathExists(out->file, a->path, &has));
    if (!has) {
      SLH5CallFile(fname, obj = H5Gcreate2(out->file, a->path, lcpl, H5P_DEFAULT, H5P_DEFAULT));
    } else SLH5CallFile(fname, obj = H5Oopen(out->file, a->path[0] ? a->path : "/", H5P_DEFAULT));
    PetscCall(SLH5WriteStringAttr(obj, a->name, a->value));
    SLH5Call(H5Oclose(obj));
  }
  for (PetscInt i = 0; i < out->nfields; i++) {
    SLField *f = &out->fields[i];
    hid_t    ftype, mtype;

    if (f->kind == SL_KIND_CONST) {
      PetscCall(SLOutputFieldTypes_Private(f, &ftype, &mtype));
      PetscCall(SLOutputWriteWhole(f->dset, mtype, f->len, f->cdata));
      SLH5Call(H5Tclose(ftype));
      SLH5Call(H5Tclose(mtype));
    } else if (f->kind == SL_KIND_RAGGED) PetscCall(SLOutputWriteWhole(f->doff, H5T_NATIVE_INT64, (hsize_t)out->nruns + 1, f->offset));
  }
  SLH5Call(H5Pclose(lcpl));
  SLH5CallFile(fname, H5Fflush(out->file, H5F_SCOPE_GLOBAL));
  PetscFunctionReturn(0);
}

/* Collectively open an existing (checked) file read-write and read the status column on every rank. */
static PetscErrorCode SLOutputReopen(SLOutput out, hid_t fapl)
{
  const char  *fname = out->filename;
  signed char *st;
  hid_t        dxpl;

  PetscFunctionBeginUser;
  out->file = H5Fopen(fname, H5F_ACC_RDWR, fapl);
  PetscCheck(out->file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "SLOutput: cannot reopen %s read-write to resume it (is it writable?)", fname);
  for (PetscInt i = 0; i < out->nfields; i++) {
    SLField *f = &out->fields[i];
    char     path[PETSC_MAX_PATH_LEN];

    PetscCall(PetscSNPrintf(path, sizeof(path), "/%s", f->path));
    SLH5CallFile(fname, f->dset = H5Dopen2(out->file, path, H5P_DEFAULT));
    if (f->kind == SL_KIND_RAGGED) {
      PetscCall(PetscSNPrintf(path, sizeof(path), "/%s_offset", f->path));
      SLH5CallFile(fname, f->doff = H5Dopen2(out->file, path, H5P_DEFAULT));
    }
  }
  out->runid = out->fields[1].dset;
  PetscCall(PetscMalloc1(out->nruns, &st));
  SLH5Call(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SLH5Call(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  SLH5CallFile(fname, H5Dread(out->fields[0].dset, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, dxpl, st));
  SLH5Call(H5Pclose(dxpl));
  for (PetscInt r = 0; r < out->nruns; r++) out->status[r] = st[r];
  PetscCall(PetscFree(st));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputOpen(SLOutput out, const char filename[], const char fingerprint[], PetscBool *resumed)
{
  PetscMPIInt    rank;
  PetscErrorCode code = 0, ierr;
  char           msg[SL_OUTPUT_MSGLEN], tmp[PETSC_MAX_PATH_LEN];
  int            exists = 0, growing = 0;
  PetscBool      grow = PETSC_FALSE;
  PetscInt       kept = 0;
  hid_t          fapl;

  PetscFunctionBeginUser;
  PetscCheck(!out->opened, out->comm, PETSC_ERR_ORDER, "SLOutput: SLOutputOpen called twice");
  PetscCheck(filename && filename[0], out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: empty output file name");
  PetscCall(SLOutputValidateLayout(out));
  PetscCall(PetscStrallocpy(filename, &out->filename));
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  msg[0] = 0;
  if (rank == 0) {
    PetscBool   ex, isdir;
    H5E_auto2_t efunc;
    void       *edata;

    PetscCall(SLFileProbe(filename, &ex, &isdir));
    exists = ex;
    if (!ex && !isdir) { /* the directory must exist for the lock file */
      char why[SL_OUTPUT_MSGLEN];

      PetscCall(SLMakeParentDirs(filename, why, sizeof(why)));
      if (why[0]) {
        code = PETSC_ERR_FILE_OPEN;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: %s", why));
      }
    }
    if (!code && !isdir) PetscCall(SLOutputLock(out, &code, msg));
    if (!code && !isdir) PetscCall(SLRemoveTemporaries(filename, ".creating-"));
    if (code) {
    } else if (isdir) {
      code = PETSC_ERR_FILE_OPEN;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: output file %s is a directory", filename));
    } else if (ex) {
      PetscCall(SLH5QuietBegin(&efunc, &edata));
      SLOutputTry(ierr, SLOutputCheckExisting(out, filename, fingerprint, &code, msg, &grow));
      PetscCall(SLH5QuietEnd(efunc, edata));
      growing = !ierr && !code && grow;
      if (ierr) {
        code = PETSC_ERR_FILE_UNEXPECTED;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: could not check the existing file %s: %s", filename, SLErrorText(ierr)));
      }
    } else {
      char why[SL_OUTPUT_MSGLEN];

      PetscCall(SLMakeParentDirs(filename, why, sizeof(why)));
      if (!why[0]) PetscCall(SLDirectoryCheck(filename, why, sizeof(why)));
      if (why[0]) {
        code = PETSC_ERR_FILE_OPEN;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: %s", why));
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, out->comm));
  PetscCallMPI(MPI_Bcast(&growing, 1, MPI_INT, 0, out->comm));
  PetscCall(SLVerdictBcast(out->comm, &code, msg));
  if (code) PetscCall(SLOutputUnlock(out));
  PetscCheck(!code, out->comm, code, "%s", msg);

  SLH5Call(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SLH5Call(H5Pset_fapl_mpio(fapl, out->comm, MPI_INFO_NULL));
  out->opened = PETSC_TRUE;
  if (exists && !growing) {
    PetscCall(SLOutputReopen(out, fapl));
    SLH5Call(H5Pclose(fapl));
    if (resumed) *resumed = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  /* The layout is created by rank 0 alone, with the serial driver, then reopened by every rank: a failure
   * (disk full) then cannot leave the other ranks waiting inside a collective HDF5 call (H5Dcreate's fill).
   * Growing an existing file (output_grow.c): its done runs are copied into the new layout before the rename. */
  if (rank == 0) {
    int fd;

    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.creating-XXXXXX", filename));
    fd = mkstemp(tmp);
    if (fd < 0) {
      code = errno == ENOSPC ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: cannot create a temporary file %s next to %s: %s", tmp, filename, errno == ENOSPC ? "no space left on device" : strerror(errno)));
    } else {
      (void)close(fd);
      out->file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      if (out->file < 0) {
        code = SLH5NoSpace_Private() ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: cannot create %s%s", tmp, SLH5NoSpace_Private() ? ": no space left on device (or file too large)" : ""));
      } else {
        SLOutputTry(ierr, SLOutputCreateLayout(out, fingerprint));
        if (!ierr && growing) SLOutputTry(ierr, SLOutputGrowCopy_Private(out, filename, &kept));
        if (!ierr) SLOutputTry(ierr, SLOutputCloseHandles_Private(out, PETSC_TRUE));
        if (ierr) {
          code = PETSC_ERR_FILE_WRITE;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: %s %s failed (%s); the partial file was removed%s", growing ? "growing" : "creating the layout of", filename, SLErrorText(ierr), growing ? ", the existing file is unchanged" : ""));
        }
      }
      if (code) { /* never leave a half-created file */
        H5E_auto2_t efunc;
        void       *edata;

        if (truncate(tmp, 0)) { /* frees the space, so that HDF5 can flush and close what it holds */
        }
        PetscCall(SLH5QuietBegin(&efunc, &edata));
        PetscCall(SLOutputCloseHandles_Private(out, PETSC_FALSE));
        PetscCall(SLH5QuietEnd(efunc, edata));
        (void)unlink(tmp);
      }
    }
  }
  PetscCall(SLVerdictBcast(out->comm, &code, msg));
  if (code) {
    SLH5Call(H5Pclose(fapl));
    PetscCall(SLOutputUnlock(out));
  }
  PetscCheck(!code, out->comm, code, "%s", msg);
  /* The complete layout gets its name: rank 0, once every rank has closed the file. */
  PetscCallMPI(MPI_Barrier(out->comm));
  if (rank == 0 && rename(tmp, filename) != 0) {
    code = PETSC_ERR_FILE_WRITE;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutput: cannot rename %s to %s: %s", tmp, filename, strerror(errno)));
    (void)unlink(tmp);
  }
  PetscCall(SLVerdictBcast(out->comm, &code, msg));
  if (code) PetscCall(SLOutputUnlock(out));
  PetscCheck(!code, out->comm, code, "%s", msg);
  PetscCall(SLOutputReopen(out, fapl));
  SLH5Call(H5Pclose(fapl));
  if (growing) {
    PetscInt n[2] = {kept, out->grow_nold};
    PetscCallMPI(MPI_Bcast(n, 2, MPIU_INT, 0, out->comm));
    PetscCall(PetscPrintf(out->comm, "[splinelens] growing study: %" PetscInt_FMT " runs kept, %" PetscInt_FMT " new (grid of %" PetscInt_FMT " runs grown to %" PetscInt_FMT ")\n", n[0], out->nruns - n[1], n[1], out->nruns));
    PetscCall(SLOutputGrowReset_Private(out));
  }
  if (resumed) *resumed = PETSC_FALSE;
  PetscFunctionReturn(0);
}
