/* SLOutputMerge: combine slice files of one study (each with the full layout and a disjoint subset of runs done)
 * into one file with the numeric content of a one-job run.
 *
 * Rank 0 does all the I/O with the serial driver. Every check (same format, fingerprint and set of datasets
 * with the same shapes and element types; no run done twice; every run done unless allow_missing) happens
 * before any file is written. The result starts as a byte copy of the first input, which preserves the whole
 * structure including the dimension scales and their references (an H5Ocopy per root child would not keep
 * the references from columns outside /runs to /runs/run_id), written to a temporary name; then every run done
 * in another input gets its column entries and ragged slices from there (the ragged offsets depend only on the
 * study, so they are the same in every input, which is checked); finally the temporary file is renamed. */
#include "output_impl.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLVERDICT(cond, ecode, ...) \
  do { \
    if (!(cond)) { \
      *code = (ecode); \
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, __VA_ARGS__)); \
      goto done; \
    } \
  } while (0)

typedef struct {
  char          *name; /* relative to the root */
  unsigned char *enc;  /* H5Tencode of the element type */
  size_t         enclen;
  int            ndims;
  hsize_t        npoints;
} SLMergeDset;

typedef struct {
  SLMergeDset *d;
  size_t       n, max;
} SLMergeList;

/* Runs done in two inputs of a union (run, the input that owns it, the other input). */
typedef struct {
  PetscInt *run, *a, *b;
  PetscInt  n, max;
} SLMergeOverlap;

/* H5Ovisit callback: record every dataset's name, element type and shape. */
static herr_t SLMergeVisit(hid_t loc, const char *name, const H5O_info_t *info, void *ctx)
{
  SLMergeList *l = (SLMergeList *)ctx;
  SLMergeDset *e;
  hid_t        d, t, s;
  herr_t       ok = 0;

  if (info->type != H5O_TYPE_DATASET) return 0;
  if (l->n == l->max) {
    l->max = 2 * l->max + 16;
    if (PetscRealloc(sizeof(SLMergeDset) * l->max, &l->d)) return -1;
  }
  e = &l->d[l->n];
  memset(e, 0, sizeof(*e));
  if ((d = H5Dopen2(loc, name, H5P_DEFAULT)) < 0) return -1;
  t = H5Dget_type(d);
  s = H5Dget_space(d);
  if (t < 0 || s < 0) ok = -1;
  if (!ok) {
    e->ndims   = H5Sget_simple_extent_ndims(s);
    e->npoints = (hsize_t)H5Sget_simple_extent_npoints(s);
    if (H5Tencode(t, NULL, &e->enclen) < 0 || PetscMalloc(e->enclen, &e->enc) || H5Tencode(t, e->enc, &e->enclen) < 0) ok = -1;
  }
  if (!ok && PetscStrallocpy(name, &e->name)) ok = -1;
  if (s >= 0) H5Sclose(s);
  if (t >= 0) H5Tclose(t);
  H5Dclose(d);
  if (!ok) l->n++;
  return ok;
}

static int SLMergeDsetCompare(const void *a, const void *b)
{
  return strcmp(((const SLMergeDset *)a)->name, ((const SLMergeDset *)b)->name);
}

static PetscErrorCode SLMergeListFree(SLMergeList *l)
{
  PetscFunctionBeginUser;
  for (size_t i = 0; i < l->n; i++) {
    PetscCall(PetscFree(l->d[i].name));
    PetscCall(PetscFree(l->d[i].enc));
  }
  PetscCall(PetscFree(l->d));
  l->n = l->max = 0;
  PetscFunctionReturn(0);
}

/* First difference between two sorted dataset lists, as text (empty if none). */
static PetscErrorCode SLMergeListDiff(const SLMergeList *a, const SLMergeList *b, char diff[], size_t len)
{
  size_t i = 0, j = 0;

  PetscFunctionBeginUser;
  diff[0] = 0;
  while (i < a->n || j < b->n) {
    int c = i == a->n ? 1 : (j == b->n ? -1 : strcmp(a->d[i].name, b->d[j].name));

    if (c < 0) {
      PetscCall(PetscSNPrintf(diff, len, "dataset /%s is missing", a->d[i].name));
      break;
    }
    if (c > 0) {
      PetscCall(PetscSNPrintf(diff, len, "it has an extra dataset /%s", b->d[j].name));
      break;
    }
    if (a->d[i].ndims != b->d[j].ndims || a->d[i].npoints != b->d[j].npoints) {
      PetscCall(PetscSNPrintf(diff, len, "dataset /%s has another shape", a->d[i].name));
      break;
    }
    if (a->d[i].enclen != b->d[j].enclen || memcmp(a->d[i].enc, b->d[j].enc, a->d[i].enclen)) {
      PetscCall(PetscSNPrintf(diff, len, "dataset /%s has another element type", a->d[i].name));
      break;
    }
    i++;
    j++;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputCopyFile(const char src[], const char dst[])
{
  FILE  *in, *out;
  char  *buf;
  size_t n;

  PetscFunctionBeginUser;
  in = fopen(src, "rb");
  PetscCheck(in, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "SLOutputMerge: cannot read %s: %s", src, strerror(errno));
  { /* dst was created exclusively by mkstemp: never follow a link planted there since */
    int fd = open(dst, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);

    out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out && fd >= 0) (void)close(fd);
  }
  PetscCheck(out, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "SLOutputMerge: cannot open %s: %s", dst, strerror(errno));
  PetscCall(PetscMalloc1(1 << 20, &buf));
  while ((n = fread(buf, 1, 1 << 20, in)) > 0) PetscCheck(fwrite(buf, 1, n, out) == n, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "SLOutputMerge: writing %s failed: %s", dst, errno == ENOSPC ? "no space left on device" : strerror(errno));
  PetscCheck(!ferror(in), PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "SLOutputMerge: reading %s failed", src);
  PetscCall(PetscFree(buf));
  PetscCheck(fclose(out) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "SLOutputMerge: writing %s failed: %s", dst, errno == ENOSPC ? "no space left on device" : strerror(errno));
  (void)fclose(in);
  PetscFunctionReturn(0);
}

/* Read the int64 offsets dataset path of file fid (which must have n values). */
static PetscErrorCode SLMergeReadOffsets(hid_t fid, const char path[], hsize_t n, PetscInt64 off[])
{
  hid_t    d, s;
  hssize_t np;

  PetscFunctionBeginUser;
  SLH5Call(d = H5Dopen2(fid, path, H5P_DEFAULT));
  SLH5Call(s = H5Dget_space(d));
  SLH5Call(np = H5Sget_simple_extent_npoints(s));
  SLH5Call(H5Sclose(s));
  PetscCheck((hsize_t)np == n, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: offsets dataset %s has %lld entries, expected %llu", path, (long long)np, (unsigned long long)n);
  SLH5Call(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off));
  SLH5Call(H5Dclose(d));
  PetscFunctionReturn(0);
}

/* Copy the elements of the runs owned by input k of dataset name (column: off == NULL; ragged: off) from
 * fin to fout, as one hyperslab union. */
static PetscErrorCode SLMergeCopyRuns(hid_t fin, hid_t fout, const char name[], PetscInt nruns, const PetscInt owner[], PetscInt k, const PetscInt64 off[])
{
  hsize_t *start, *count, total, one = 1;
  size_t   nr = 0;
  hid_t    din, dout, type, fsin, fsout, ms;
  char    *buf;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(nruns, &start, nruns, &count));
  for (PetscInt r = 0; r < nruns; r++) {
    hsize_t a = off ? (hsize_t)off[r] : (hsize_t)r, b = off ? (hsize_t)off[r + 1] : (hsize_t)r + 1;

    if (owner[r] != k || a == b) continue;
    if (nr && start[nr - 1] + count[nr - 1] == a) count[nr - 1] += b - a;
    else {
      start[nr] = a;
      count[nr] = b - a;
      nr++;
    }
  }
  if (nr) {
    SLH5Call(din = H5Dopen2(fin, name, H5P_DEFAULT));
    SLH5Call(dout = H5Dopen2(fout, name, H5P_DEFAULT));
    SLH5Call(type = H5Dget_type(din));
    SLH5Call(fsin = H5Dget_space(din));
    SLH5Call(fsout = H5Dget_space(dout));
    PetscCall(SLH5SelectRanges(fsin, nr, start, count, &total));
    PetscCall(SLH5SelectRanges(fsout, nr, start, count, &total));
    SLH5Call(ms = H5Screate_simple(1, total ? &total : &one, NULL));
    PetscCall(PetscMalloc(H5Tget_size(type) * (size_t)total, &buf));
    SLH5Call(H5Dread(din, type, ms, fsin, H5P_DEFAULT, buf));
    SLH5Call(H5Dwrite(dout, type, ms, fsout, H5P_DEFAULT, buf));
    PetscCall(PetscFree(buf));
    SLH5Call(H5Sclose(ms));
    SLH5Call(H5Sclose(fsout));
    SLH5Call(H5Sclose(fsin));
    SLH5Call(H5Tclose(type));
    SLH5Call(H5Dclose(dout));
    SLH5Call(H5Dclose(din));
  }
  PetscCall(PetscFree2(start, count));
  PetscFunctionReturn(0);
}

/* Root attribute merged_from: the input file names, a 1-D array of fixed-length strings. */
static PetscErrorCode SLMergeWriteInputs(hid_t fid, PetscInt nin, const char *const infiles[])
{
  size_t  w = 1, l;
  char   *names;
  hid_t   type, space, attr;
  hsize_t n = (hsize_t)nin;
  htri_t  has;

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < nin; k++) w = PetscMax(w, strlen(infiles[k]));
  PetscCall(PetscCalloc1(w * (size_t)nin, &names));
  for (PetscInt k = 0; k < nin; k++) {
    l = strlen(infiles[k]);
    PetscCall(PetscMemcpy(names + w * (size_t)k, infiles[k], l));
  }
  SLH5Call(has = H5Aexists(fid, "merged_from"));
  if (has) SLH5Call(H5Adelete(fid, "merged_from"));
  PetscCall(SLH5StringType(w, &type));
  SLH5Call(space = H5Screate_simple(1, &n, NULL));
  SLH5Call(attr = H5Acreate2(fid, "merged_from", type, space, H5P_DEFAULT, H5P_DEFAULT));
  SLH5Call(H5Awrite(attr, type, names));
  SLH5Call(H5Aclose(attr));
  SLH5Call(H5Sclose(space));
  SLH5Call(H5Tclose(type));
  PetscCall(PetscFree(names));
  PetscFunctionReturn(0);
}

/* The grid values of run r of file fid as text (messages): width, seed, alpha, scheme, data set. */
static void SLMergeRunText(hid_t fid, PetscInt r, char buf[], size_t len)
{
  const char *const cols[5] = {"width", "seed", "alpha", "scheme", "data"};
  size_t            l       = 0;

  (void)PetscSNPrintf(buf, len, "run %" PetscInt_FMT " (", r);
  for (int c = 0; c < 5; c++) {
    char    path[64], val[128] = "?";
    hid_t   d, t, fs, ms;
    hsize_t at = (hsize_t)r, one = 1;

    (void)PetscSNPrintf(path, sizeof(path), "/runs/%s", cols[c]);
    if ((d = H5Dopen2(fid, path, H5P_DEFAULT)) >= 0) {
      t  = H5Dget_type(d);
      fs = H5Dget_space(d);
      ms = H5Screate_simple(1, &one, NULL);
      if (t >= 0 && fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &one, NULL) >= 0) {
        if (H5Tget_class(t) == H5T_STRING) {
          char s[sizeof(val)] = "";
          if (H5Tget_size(t) < sizeof(s) && H5Dread(d, t, ms, fs, H5P_DEFAULT, s) >= 0) (void)PetscSNPrintf(val, sizeof(val), "%s", s);
        } else if (H5Tget_class(t) == H5T_INTEGER) {
          long long v;
          if (H5Dread(d, H5T_NATIVE_LLONG, ms, fs, H5P_DEFAULT, &v) >= 0) (void)PetscSNPrintf(val, sizeof(val), "%lld", v);
        } else {
          double v;
          if (H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, &v) >= 0) (void)PetscSNPrintf(val, sizeof(val), "%.17g", v);
        }
      }
      if (ms >= 0) H5Sclose(ms);
      if (fs >= 0) H5Sclose(fs);
      if (t >= 0) H5Tclose(t);
      H5Dclose(d);
    }
    l = strlen(buf);
    (void)PetscSNPrintf(buf + l, len - l, "%s%s %s", c ? ", " : "", cols[c], val);
  }
  l = strlen(buf);
  (void)PetscSNPrintf(buf + l, len - l, ")");
}

/* Whether the elements [a, b) of dataset name are bitwise the same in fa and fb. */
static PetscErrorCode SLMergeSameElements(hid_t fa, hid_t fb, const char name[], hsize_t a, hsize_t b, PetscBool *same)
{
  hid_t   da, db, t, sa, sb, ms;
  hsize_t cnt = b - a;
  size_t  es;
  char   *x, *y;

  PetscFunctionBeginUser;
  *same = PETSC_TRUE;
  if (cnt == 0) PetscFunctionReturn(0);
  SLH5Call(da = H5Dopen2(fa, name, H5P_DEFAULT));
  SLH5Call(db = H5Dopen2(fb, name, H5P_DEFAULT));
  SLH5Call(t = H5Dget_type(da));
  es = H5Tget_size(t);
  SLH5Call(sa = H5Dget_space(da));
  SLH5Call(sb = H5Dget_space(db));
  SLH5Call(H5Sselect_hyperslab(sa, H5S_SELECT_SET, &a, NULL, &cnt, NULL));
  SLH5Call(H5Sselect_hyperslab(sb, H5S_SELECT_SET, &a, NULL, &cnt, NULL));
  SLH5Call(ms = H5Screate_simple(1, &cnt, NULL));
  PetscCall(PetscCalloc2(es * (size_t)cnt, &x, es * (size_t)cnt, &y));
  SLH5Call(H5Dread(da, t, ms, sa, H5P_DEFAULT, x));
  SLH5Call(H5Dread(db, t, ms, sb, H5P_DEFAULT, y));
  *same = (PetscBool)!memcmp(x, y, es * (size_t)cnt);
  PetscCall(PetscFree2(x, y));
  SLH5Call(H5Sclose(ms));
  SLH5Call(H5Sclose(sb));
  SLH5Call(H5Sclose(sa));
  SLH5Call(H5Tclose(t));
  SLH5Call(H5Dclose(db));
  SLH5Call(H5Dclose(da));
  PetscFunctionReturn(0);
}

/* The output path of a merge: absent, in a usable directory. A refusal is reported in *code and msg. */
static PetscErrorCode SLMergeCheckOutput(const char outfile[], PetscErrorCode *code, char msg[])
{
  char      why[SL_OUTPUT_MSGLEN];
  PetscBool ex, isdir;

  PetscFunctionBeginUser;
  *code = 0;
  PetscCall(SLFileProbe(outfile, &ex, &isdir));
  SLVERDICT(!ex, PETSC_ERR_FILE_OPEN, "SLOutputMerge: output file %s already exists; refusing to overwrite it", outfile);
  PetscCall(SLDirectoryCheck(outfile, why, sizeof(why)));
  SLVERDICT(!why[0], PETSC_ERR_FILE_OPEN, "SLOutputMerge: %s", why);
done:
  PetscFunctionReturn(0);
}

/* One merge input (path, named as fn in messages): it exists, is HDF5 and a splinelens study file; opened
 * read-only in *fid (-1 on a refusal, reported in *code and msg). */
static PetscErrorCode SLMergeOpenInput(const char path[], const char fn[], hid_t *fid, PetscErrorCode *code, char msg[])
{
  char     *val = NULL;
  PetscBool ex, isdir, has;

  PetscFunctionBeginUser;
  *code = 0;
  *fid  = -1;
  PetscCall(SLFileProbe(path, &ex, &isdir));
  SLVERDICT(ex && !isdir, PETSC_ERR_FILE_OPEN, "SLOutputMerge: input file %s does not exist", fn);
  SLVERDICT(H5Fis_hdf5(path) > 0, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s is not an HDF5 file", fn);
  *fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  SLVERDICT(*fid >= 0, PETSC_ERR_FILE_OPEN, "SLOutputMerge: cannot open input file %s", fn);
  PetscCall(SLH5ReadStringAttr(*fid, "format", &has, &val));
  SLVERDICT(has && !strcmp(val, SL_OUTPUT_FORMAT), PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s is not a splinelens study file (no format = \"" SL_OUTPUT_FORMAT "\" attribute)", fn);
done:
  PetscCall(PetscFree(val));
  PetscFunctionReturn(0);
}

/* The checks, on rank 0. Fills owner[] (the input each run is done in, -1 if none) and the dataset list of the
 * first input. A refusal is reported in *code and msg. */
static PetscErrorCode SLMergeCheck(const char outfile[], PetscInt nin, const char *const files[], const char *const infiles[], PetscBool allow_missing, PetscBool isunion, hid_t fid[], SLMergeList *list0, PetscInt *nruns, PetscInt **owner, SLMergeOverlap *ov, PetscErrorCode *code, char msg[])
{
  SLMergeList  list = {NULL, 0, 0};
  char        *fp0 = NULL, *val = NULL, diff[PETSC_MAX_PATH_LEN + 64];
  signed char *st = NULL;
  PetscBool    has;
  hid_t        d = -1;

  PetscFunctionBeginUser;
  PetscCall(SLMergeCheckOutput(outfile, code, msg));
  if (*code) goto done;
  for (PetscInt k = 0; k < nin; k++) {
    const char *fn = infiles[k];

    PetscCall(SLMergeOpenInput(files[k], fn, &fid[k], code, msg));
    if (*code) goto done;
    PetscCall(SLH5ReadStringAttr(fid[k], "study_fingerprint", &has, &val));
    SLVERDICT(has, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s has no study_fingerprint attribute", fn);
    if (k == 0) {
      fp0 = val;
      val = NULL;
    } else {
      if (strcmp(val, fp0)) { /* name the first differing option or data set */
        char     *o0 = NULL, *ok = NULL, diff[800] = "";
        PetscBool h0 = PETSC_FALSE, hk = PETSC_FALSE;

        PetscCall(SLH5ReadStringAttr(fid[0], "study_options", &h0, &o0));
        PetscCall(SLH5ReadStringAttr(fid[k], "study_options", &hk, &ok));
        if (h0 && hk) SLCanonicalDiff(ok, o0, diff, sizeof(diff));
        PetscCall(PetscFree(o0));
        PetscCall(PetscFree(ok));
        SLVERDICT(PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s belongs to another study than %s: study_fingerprint \"%s\" vs \"%s\"%s", fn, infiles[0], val, fp0, diff);
      }
      PetscCall(PetscFree(val));
    }
    SLVERDICT(H5Ovisit(fid[k], H5_INDEX_NAME, H5_ITER_INC, SLMergeVisit, k ? &list : list0) >= 0, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: cannot list the datasets of %s", fn);
    if (k == 0) {
      if (list0->n) qsort(list0->d, list0->n, sizeof(SLMergeDset), SLMergeDsetCompare);
    } else {
      if (list.n) qsort(list.d, list.n, sizeof(SLMergeDset), SLMergeDsetCompare);
      PetscCall(SLMergeListDiff(list0, &list, diff, sizeof(diff)));
      SLVERDICT(!diff[0], PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s has another layout than %s: %s", fn, infiles[0], diff);
      PetscCall(SLMergeListFree(&list));
    }
    /* the runs this input has done */
    d = H5Dopen2(fid[k], "/" SL_OUTPUT_STATUS, H5P_DEFAULT);
    SLVERDICT(d >= 0, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s has no /" SL_OUTPUT_STATUS " dataset", fn);
    if (k == 0) {
      hid_t   s = H5Dget_space(d);
      hsize_t n = 0;

      SLVERDICT(s >= 0 && H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, &n, NULL) == 1 && n > 0, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: /" SL_OUTPUT_STATUS " of %s is not a 1-D array", fn);
      H5Sclose(s);
      *nruns = (PetscInt)n;
      PetscCall(PetscMalloc1(*nruns, owner));
      PetscCall(PetscMalloc1(*nruns, &st));
      for (PetscInt r = 0; r < *nruns; r++) (*owner)[r] = -1;
    }
    SLVERDICT(H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, st) >= 0, PETSC_ERR_FILE_READ, "SLOutputMerge: cannot read /" SL_OUTPUT_STATUS " of %s", fn);
    H5Dclose(d);
    d = -1;
    for (PetscInt r = 0; r < *nruns; r++) {
      if (st[r] != SL_RUN_DONE && st[r] != SL_RUN_FAILED) continue;
      if (isunion && (*owner)[r] >= 0) { /* compared bitwise with its first copy before anything is written */
        if (ov->n == ov->max) {
          ov->max = 2 * ov->max + 16;
          PetscCall(PetscRealloc(sizeof(PetscInt) * (size_t)ov->max, &ov->run));
          PetscCall(PetscRealloc(sizeof(PetscInt) * (size_t)ov->max, &ov->a));
          PetscCall(PetscRealloc(sizeof(PetscInt) * (size_t)ov->max, &ov->b));
        }
        ov->run[ov->n] = r;
        ov->a[ov->n]   = (*owner)[r];
        ov->b[ov->n]   = k;
        ov->n++;
        continue;
      }
      SLVERDICT((*owner)[r] < 0, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: run %" PetscInt_FMT " is done in both %s and %s", r, infiles[(*owner)[r]], fn);
      (*owner)[r] = k;
    }
  }
  if (!allow_missing && !isunion) {
    PetscInt nmiss      = 0;
    char     list1[256] = "";
    size_t   l;

    for (PetscInt r = 0; r < *nruns; r++) {
      if ((*owner)[r] >= 0) continue;
      if (nmiss++ < 10) {
        PetscCall(PetscStrlen(list1, &l));
        PetscCall(PetscSNPrintf(list1 + l, sizeof(list1) - l, "%s%" PetscInt_FMT, l ? ", " : "", r));
      }
    }
    SLVERDICT(!nmiss, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: %" PetscInt_FMT " run(s) are done in none of the %" PetscInt_FMT " input files (first: %s%s); merge with allow_missing to accept that", nmiss, nin, list1, nmiss > 10 ? ", ..." : "");
  }
done:
  if (d >= 0) H5Dclose(d);
  PetscCall(SLMergeListFree(&list));
  PetscCall(PetscFree(st));
  PetscCall(PetscFree(fp0));
  PetscCall(PetscFree(val));
  PetscFunctionReturn(0);
}

/* The whole merge on rank 0; the result is written to tmp, renamed to outfile at the very end. */
static PetscErrorCode SLMergeRank0(const char outfile[], const char tmp[], PetscInt nin, const char *const files[], const char *const infiles[], PetscBool allow_missing, PetscBool isunion, PetscErrorCode *code, char msg[])
{
  SLMergeOverlap ov = {NULL, NULL, NULL, 0, 0};
  hid_t         *fid, ofid = -1, runid = -1;
  SLMergeList    list0 = {NULL, 0, 0};
  PetscInt       nruns = 0, *owner = NULL;
  PetscInt64    *off = NULL, *offk = NULL;
  H5E_auto2_t    efunc;
  void          *edata;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(nin, &fid));
  for (PetscInt k = 0; k < nin; k++) fid[k] = -1;
  PetscCall(SLH5QuietBegin(&efunc, &edata)); /* failures of the checks are answers, reported in msg */
  ierr = SLMergeCheck(outfile, nin, files, infiles, allow_missing, isunion, fid, &list0, &nruns, &owner, &ov, code, msg);
  PetscCall(SLH5QuietEnd(efunc, edata));
  PetscCall(ierr);
  if (*code) goto done;

  PetscCall(SLOutputCopyFile(files[0], tmp));
  SLH5CallFile(tmp, ofid = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT));
  SLH5CallFile(infiles[0], runid = H5Dopen2(fid[0], "/" SL_OUTPUT_RUNID, H5P_DEFAULT));
  PetscCall(PetscMalloc2(nruns + 1, &off, nruns + 1, &offk));
  for (size_t i = 0; i < list0.n; i++) {
    const char *name = list0.d[i].name;
    hid_t       d;
    htri_t      ragged, column = 0;
    PetscBool   has;
    char       *offname = NULL;

    SLH5CallFile(infiles[0], d = H5Dopen2(fid[0], name, H5P_DEFAULT));
    SLH5Call(ragged = H5Aexists(d, "offsets"));
    if (ragged) PetscCall(SLH5ReadStringAttr(d, "offsets", &has, &offname));
    else if (H5DSis_scale(d) <= 0) SLH5Call(column = H5DSis_attached(d, runid, 0));
    SLH5Call(H5Dclose(d));
    if (ragged) { /* the offsets are the study's: the same in every input */
      PetscInt bad = -1;

      PetscCheck(has, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: %s: attribute offsets of /%s is not a string", infiles[0], name);
      PetscCall(SLMergeReadOffsets(fid[0], offname, (hsize_t)nruns + 1, off));
      for (PetscInt k = 1; k < nin && bad < 0; k++) {
        PetscCall(SLMergeReadOffsets(fid[k], offname, (hsize_t)nruns + 1, offk));
        for (PetscInt r = 0; r <= nruns && bad < 0; r++)
          if (offk[r] != off[r]) bad = k;
      }
      if (bad >= 0) {
        *code = PETSC_ERR_FILE_UNEXPECTED;
        PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutputMerge: input file %s has other ragged offsets %s than %s", infiles[bad], offname, infiles[0]));
      }
      PetscCall(PetscFree(offname));
      if (bad >= 0) goto done;
    }
    if (!ragged && !column) continue; /* constant: identical in every input */
    if (strncmp(name, "runinfo/", 8)) /* a run done twice: the same results (its wall time etc. may differ) */
      for (PetscInt i = 0; i < ov.n; i++) {
        PetscInt  r = ov.run[i];
        PetscBool same;
        char      run[512];

        PetscCall(SLMergeSameElements(fid[ov.a[i]], fid[ov.b[i]], name, ragged ? (hsize_t)off[r] : (hsize_t)r, ragged ? (hsize_t)off[r + 1] : (hsize_t)r + 1, &same));
        if (same) continue;
        SLMergeRunText(fid[0], r, run, sizeof(run));
        *code = PETSC_ERR_FILE_UNEXPECTED;
        PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutputMerge: %s is done in both %s and %s with different results (/%s differs)", run, infiles[ov.a[i]], infiles[ov.b[i]], name));
        goto done;
      }
    for (PetscInt k = 1; k < nin; k++) PetscCall(SLMergeCopyRuns(fid[k], ofid, name, nruns, owner, k, ragged ? off : NULL));
  }
  PetscCall(SLMergeWriteInputs(ofid, nin, infiles));
  SLH5CallFile(tmp, H5Fclose(ofid));
  ofid = -1;
  PetscCheck(rename(tmp, outfile) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "SLOutputMerge: cannot rename %s to %s: %s", tmp, outfile, strerror(errno));
done:
  if (runid >= 0) H5Dclose(runid);
  if (ofid >= 0) H5Fclose(ofid);
  for (PetscInt k = 0; k < nin; k++)
    if (fid[k] >= 0) H5Fclose(fid[k]);
  PetscCall(PetscFree2(off, offk));
  PetscCall(PetscFree(owner));
  PetscCall(PetscFree(ov.run));
  PetscCall(PetscFree(ov.a));
  PetscCall(PetscFree(ov.b));
  PetscCall(SLMergeListFree(&list0));
  PetscCall(PetscFree(fid));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputMerge(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], PetscBool allow_missing)
{
  PetscFunctionBeginUser;
  PetscCall(SLOutputMergeFiles(comm, outfile, nin, infiles, infiles, allow_missing, PETSC_FALSE));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputMergeFiles(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const files[], const char *const infiles[], PetscBool allow_missing, PetscBool isunion)
{
  PetscMPIInt    rank;
  PetscErrorCode code = 0, ierr;
  char           msg[SL_OUTPUT_MSGLEN], tmp[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCheck(nin >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutputMerge: no input file");
  PetscCheck(outfile && outfile[0], comm, PETSC_ERR_ARG_WRONG, "SLOutputMerge: empty output file name");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  msg[0] = 0;
  if (rank == 0) {
    int fd;

    /* The temporary is created exclusively (O_EXCL, unpredictable name) in the target's directory. */
    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.merging-XXXXXX", outfile));
    fd = mkstemp(tmp);
    if (fd < 0) {
      code = errno == ENOSPC ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutputMerge: cannot create a temporary file next to %s: %s", outfile, errno == ENOSPC ? "no space left on device" : strerror(errno)));
    } else {
      (void)close(fd);
      SLOutputTry(ierr, SLMergeRank0(outfile, tmp, nin, files, infiles, allow_missing, isunion, &code, msg));
      if (ierr) {
        code = ierr == PETSC_ERR_FILE_UNEXPECTED || ierr == PETSC_ERR_FILE_OPEN || ierr == PETSC_ERR_FILE_READ ? ierr : PETSC_ERR_FILE_WRITE;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutputMerge: merging into %s failed: %s", outfile, SLErrorText(ierr)));
      }
      if (code) (void)unlink(tmp); /* never leave a partial result */
    }
  }
  PetscCall(SLVerdictBcast(comm, &code, msg));
  PetscCheck(!code, comm, code, "%s", msg);
  PetscFunctionReturn(0);
}

/* Whether a study file has per-data-set fingerprints (the attribute fingerprint on its first /data group): files
 * written before them have a settings fingerprint of another definition. */
static PetscBool SLMergeHasDataKeys(hid_t fid)
{
  hid_t     g = H5Gopen2(fid, "/data", H5P_DEFAULT), c;
  char      name[256];
  PetscBool has = PETSC_FALSE;

  if (g < 0) return PETSC_FALSE;
  if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, 0, name, sizeof(name), H5P_DEFAULT) > 0 && (c = H5Gopen2(g, name, H5P_DEFAULT)) >= 0) {
    has = (PetscBool)(H5Aexists(c, "fingerprint") > 0);
    H5Gclose(c);
  }
  H5Gclose(g);
  return has;
}

/* Rank 0 of the probe: the inputs' study and settings fingerprints and study options. */
static PetscErrorCode SLMergeProbeRank0(const char outfile[], PetscInt nin, const char *const infiles[], PetscBool *same, char *options[], PetscErrorCode *code, char msg[])
{
  char     *fp0 = NULL, *set0 = NULL, *val = NULL;
  PetscBool has, keys0 = PETSC_FALSE;
  hid_t     fid = -1;

  PetscFunctionBeginUser;
  *same = PETSC_TRUE;
  PetscCall(SLMergeCheckOutput(outfile, code, msg));
  if (*code) goto done;
  for (PetscInt k = 0; k < nin; k++) {
    const char *fn = infiles[k];

    PetscCall(SLMergeOpenInput(fn, fn, &fid, code, msg));
    if (*code) goto done;
    SLVERDICT(strcmp(fn, outfile), PETSC_ERR_FILE_OPEN, "SLOutputMerge: input file %s is the output file", fn);
    PetscCall(SLH5ReadStringAttr(fid, "study_options", &has, &options[k])); /* needed for a union only */
    if (!has) PetscCall(PetscFree(options[k]));
    PetscCall(SLH5ReadStringAttr(fid, "study_fingerprint", &has, &val));
    SLVERDICT(has, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s has no study_fingerprint attribute", fn);
    if (k == 0) {
      fp0 = val;
      val = NULL;
    } else {
      if (strcmp(val, fp0)) *same = PETSC_FALSE;
      PetscCall(PetscFree(val));
    }
    PetscCall(SLH5ReadStringAttr(fid, "settings_fingerprint", &has, &val));
    if (k == 0) {
      set0  = has ? val : NULL;
      val   = NULL;
      keys0 = SLMergeHasDataKeys(fid);
    } else if (!*same && (!has || !set0 || strcmp(val, set0) || !options[k] || !options[0])) { /* name the first differing option or data set */
      char      diff[800] = "";
      PetscBool other     = (PetscBool)(SLMergeHasDataKeys(fid) != keys0);

      if (options[k] && options[0]) SLCanonicalDiff(options[k], options[0], diff, sizeof(diff));
      SLVERDICT(PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: input file %s belongs to another study than %s: settings_fingerprint \"%s\" vs \"%s\"%s%s", fn, infiles[0], has ? val : "(none)", set0 ? set0 : "(none)", diff, other ? "; one of them was written before per-data-set fingerprints (no /data/<name>@fingerprint), whose settings fingerprint has another definition: a union takes files of one kind only" : "");
    }
    PetscCall(PetscFree(val));
    H5Fclose(fid);
    fid = -1;
  }
done:
  if (fid >= 0) H5Fclose(fid);
  PetscCall(PetscFree(fp0));
  PetscCall(PetscFree(set0));
  PetscCall(PetscFree(val));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputMergeProbe(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], PetscBool *same, char *options[])
{
  PetscMPIInt    rank;
  PetscErrorCode code = 0, ierr;
  char           msg[SL_OUTPUT_MSGLEN];
  PetscMPIInt    s;
  H5E_auto2_t    efunc;
  void          *edata;

  PetscFunctionBeginUser;
  PetscCheck(nin >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutputMerge: no input file");
  PetscCheck(outfile && outfile[0], comm, PETSC_ERR_ARG_WRONG, "SLOutputMerge: empty output file name");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  msg[0] = 0;
  for (PetscInt k = 0; k < nin; k++) options[k] = NULL;
  *same = PETSC_TRUE;
  if (rank == 0) {
    PetscCall(SLH5QuietBegin(&efunc, &edata));
    SLOutputTry(ierr, SLMergeProbeRank0(outfile, nin, infiles, same, options, &code, msg));
    PetscCall(SLH5QuietEnd(efunc, edata));
    if (ierr) {
      code = PETSC_ERR_FILE_UNEXPECTED;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutputMerge: reading the input files failed: %s", SLErrorText(ierr)));
    }
  }
  PetscCall(SLVerdictBcast(comm, &code, msg));
  PetscCheck(!code, comm, code, "%s", msg);
  s = (PetscMPIInt)*same;
  PetscCallMPI(MPI_Bcast(&s, 1, MPI_INT, 0, comm));
  *same = (PetscBool)s;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputReadAxisText(const char file[], const char path[], char **csv)
{
  hid_t       fid, d, t, s;
  hsize_t     n = 0;
  size_t      w, len = 1, l;
  char       *buf, *text;
  H5T_class_t cls;

  PetscFunctionBeginUser;
  SLH5CallFile(file, fid = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT));
  SLH5CallFile(file, d = H5Dopen2(fid, path, H5P_DEFAULT));
  SLH5Call(t = H5Dget_type(d));
  SLH5Call(s = H5Dget_space(d));
  PetscCheck(H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, &n, NULL) == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: %s of %s is not 1-D", path, file);
  cls = H5Tget_class(t);
  w   = cls == H5T_STRING ? H5Tget_size(t) : 8;
  PetscCall(PetscCalloc1(w * (size_t)PetscMax(n, 1) + 1, &buf));
  if (n) SLH5CallFile(file, H5Dread(d, cls == H5T_STRING ? t : (cls == H5T_INTEGER ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
  len = (size_t)n * (w + 32) + 1;
  PetscCall(PetscCalloc1(len, &text));
  for (hsize_t i = 0; i < n; i++) {
    char v[128];

    if (cls == H5T_STRING) {
      size_t m = PetscMin(strnlen(buf + w * i, w), sizeof(v) - 1);
      memcpy(v, buf + w * i, m);
      v[m] = 0;
    } else if (cls == H5T_INTEGER) PetscCall(PetscSNPrintf(v, sizeof(v), "%lld", (long long)((const PetscInt64 *)(const void *)buf)[i]));
    else { /* the shortest text that reads back as the same double (what a user would have typed) */ double x = ((const double *)(const void *)buf)[i];
      for (int p = 1; p <= 17; p++) {
        PetscCall(PetscSNPrintf(v, sizeof(v), "%.*g", p, x));
        if (strtod(v, NULL) == x) break;
      }
    }
    l = strlen(text);
    (void)snprintf(text + l, len - l, "%s%s", i ? "," : "", v);
  }
  PetscCall(PetscFree(buf));
  SLH5Call(H5Sclose(s));
  SLH5Call(H5Tclose(t));
  SLH5Call(H5Dclose(d));
  SLH5Call(H5Fclose(fid));
  *csv = text;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputReadAttrText(const char file[], const char path[], const char name[], char **value)
{
  hid_t       fid, obj;
  PetscBool   has, exists;
  H5E_auto2_t efunc;
  void       *edata;

  PetscFunctionBeginUser;
  *value = NULL;
  SLH5CallFile(file, fid = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT));
  PetscCall(SLH5QuietBegin(&efunc, &edata));
  PetscCall(SLH5PathExists(fid, path, &exists));
  obj = exists ? H5Oopen(fid, path, H5P_DEFAULT) : -1;
  PetscCall(SLH5QuietEnd(efunc, edata));
  if (obj >= 0) {
    PetscCall(SLH5ReadStringAttr(obj, name, &has, value));
    SLH5Call(H5Oclose(obj));
  }
  SLH5Call(H5Fclose(fid));
  PetscFunctionReturn(0);
}
