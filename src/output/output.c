/* SLOutput: life cycle, layout declarations and write buffering (no HDF5 I/O here: see output_layout.c for
 * the file creation / resume, output_write.c for the collective flush and close, output_merge.c for merging). */
#include "output_impl.h"

/* "runs//x/" -> error; a leading '/' is dropped so "/runs/x" and "runs/x" name the same dataset. */
static PetscErrorCode SLOutputNormalizePath(const char path[], PetscBool allow_root, char **norm)
{
  size_t len;

  PetscFunctionBeginUser;
  PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "SLOutput: NULL path");
  if (path[0] == '/') path++;
  PetscCall(PetscStrlen(path, &len));
  PetscCheck(len > 0 || allow_root, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: empty dataset path");
  PetscCheck(len == 0 || (path[len - 1] != '/' && !strstr(path, "//")), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: malformed path \"%s\" (empty component)", path);
  PetscCall(PetscStrallocpy(path, norm));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputFindField_Private(SLOutput out, const char path[], SLField **f)
{
  PetscBool flg;

  PetscFunctionBeginUser;
  *f = NULL;
  if (path && path[0] == '/') path++;
  for (PetscInt i = 0; i < out->nfields; i++) {
    PetscCall(PetscStrcmp(out->fields[i].path, path, &flg));
    if (flg) {
      *f = &out->fields[i];
      break;
    }
  }
  PetscFunctionReturn(0);
}

/* File and memory types of a field's elements. Both are copies the caller closes. Memory types equal the file
 * types on this (little-endian) platform, so collective writes never need a type conversion. */
PetscErrorCode SLOutputFieldTypes_Private(const SLField *f, hid_t *ftype, hid_t *mtype)
{
  PetscFunctionBeginUser;
  switch (f->kind == SL_KIND_STATUS ? -1 : (int)f->type) {
  case -1:
    SLH5Call(*ftype = H5Tcopy(H5T_STD_I8LE));
    SLH5Call(*mtype = H5Tcopy(H5T_NATIVE_INT8));
    break;
  case SL_FIELD_INT:
    SLH5Call(*ftype = H5Tcopy(H5T_STD_I64LE));
    SLH5Call(*mtype = H5Tcopy(H5T_NATIVE_INT64));
    break;
  case SL_FIELD_REAL:
    SLH5Call(*ftype = H5Tcopy(H5T_IEEE_F64LE));
    SLH5Call(*mtype = H5Tcopy(H5T_NATIVE_DOUBLE));
    break;
  case SL_FIELD_STRING:
    PetscCall(SLH5StringType(f->esize, ftype));
    PetscCall(SLH5StringType(f->esize, mtype));
    break;
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "SLOutput: bad field type %d", (int)f->type);
  }
  PetscFunctionReturn(0);
}

/* Is cand the offsets dataset name base + "_offset"? */
static PetscErrorCode SLIsOffsetName(const char base[], const char cand[], PetscBool *flg)
{
  size_t l;

  PetscFunctionBeginUser;
  PetscCall(PetscStrlen(base, &l));
  PetscCall(PetscStrncmp(base, cand, l, flg));
  if (*flg) PetscCall(PetscStrcmp(cand + l, "_offset", flg));
  PetscFunctionReturn(0);
}

/* Append a field; the caller fills in the kind-specific members. */
static PetscErrorCode SLOutputAddField(SLOutput out, const char path[], SLFieldKind kind, SLFieldType type, size_t esize, hsize_t len, const char description[], const char units[], SLField **f)
{
  char    *norm;
  SLField *g;

  PetscFunctionBeginUser;
  PetscCheck(!out->opened, out->comm, PETSC_ERR_ORDER, "SLOutput: declare %s before SLOutputOpen", path);
  PetscCall(SLOutputNormalizePath(path, PETSC_FALSE, &norm));
  PetscCall(SLOutputFindField_Private(out, norm, &g));
  PetscCheck(!g, out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: dataset %s declared twice (or clashes with a ragged field's offsets)", norm);
  /* a ragged field also owns <path>_offset: refuse a new path equal to an existing offsets name and vice versa */
  for (PetscInt i = 0; i < out->nfields; i++) {
    PetscBool clash = PETSC_FALSE;

    if (out->fields[i].kind == SL_KIND_RAGGED) PetscCall(SLIsOffsetName(out->fields[i].path, norm, &clash));
    if (!clash && kind == SL_KIND_RAGGED) PetscCall(SLIsOffsetName(norm, out->fields[i].path, &clash));
    PetscCheck(!clash, out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: dataset %s clashes with the offsets dataset of a ragged field (%s)", norm, out->fields[i].path);
  }
  if (out->nfields == out->maxfields) {
    out->maxfields = 2 * out->maxfields + 8;
    PetscCall(PetscRealloc(sizeof(SLField) * (size_t)out->maxfields, &out->fields));
  }
  g = &out->fields[out->nfields++];
  PetscCall(PetscMemzero(g, sizeof(*g)));
  g->path  = norm;
  g->kind  = kind;
  g->type  = type;
  g->esize = esize;
  g->len   = len;
  g->dset  = -1;
  g->doff  = -1;
  PetscCall(PetscStrallocpy(description ? description : "", &g->description));
  PetscCall(PetscStrallocpy(units ? units : "", &g->units));
  *f = g;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputCreate(MPI_Comm comm, PetscInt nruns, SLOutput *out)
{
  SLOutput    o;
  SLField    *f;
  PetscInt64 *ids;

  PetscFunctionBeginUser;
  PetscCheck(nruns >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: the run table needs at least one run, got %" PetscInt_FMT, nruns);
  PetscCall(PetscNew(&o));
  PetscCall(PetscCommDuplicate(comm, &o->comm, NULL));
  o->nruns  = nruns;
  o->file   = -1;
  o->runid  = -1;
  o->lockfd = -1;
  PetscCall(PetscCalloc1(nruns, &o->status));
  /* fields[0]: the status column (pending = 0 is also its fill value); fields[1]: the run index, made the
   * dimension scale "run" of every column at creation. */
  PetscCall(SLOutputAddField(o, SL_OUTPUT_STATUS, SL_KIND_STATUS, SL_FIELD_INT, 1, (hsize_t)nruns, "run status: 0 pending, 1 done, 2 failed (finished with a failure reason)", "", &f));
  PetscCall(SLOutputAddField(o, SL_OUTPUT_RUNID, SL_KIND_CONST, SL_FIELD_INT, sizeof(PetscInt64), (hsize_t)nruns, "run index (dimension scale \"run\" of every run-table column)", "", &f));
  PetscCall(PetscMalloc1(nruns, &ids));
  for (PetscInt i = 0; i < nruns; i++) ids[i] = i;
  f->cdata = ids;
  *out     = o;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputDeclareColumn(SLOutput out, const char path[], SLFieldType type, PetscInt strlen, const char description[], const char units[])
{
  SLField *f;
  size_t   esize = sizeof(PetscInt64);

  PetscFunctionBeginUser;
  PetscCheck(type == SL_FIELD_INT || type == SL_FIELD_REAL || type == SL_FIELD_STRING, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: column %s has an unknown type %d", path, (int)type);
  if (type == SL_FIELD_STRING) {
    PetscCheck(strlen >= 1, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: string column %s needs strlen >= 1, got %" PetscInt_FMT, path, strlen);
    esize = (size_t)strlen;
  }
  PetscCall(SLOutputAddField(out, path, SL_KIND_COLUMN, type, esize, (hsize_t)out->nruns, description, units, &f));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputDeclareRagged(SLOutput out, const char path[], SLFieldType type, const PetscInt count[], const char description[], const char units[])
{
  SLField    *f;
  PetscInt64 *off;

  PetscFunctionBeginUser;
  PetscCheck(type == SL_FIELD_INT || type == SL_FIELD_REAL, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: ragged field %s must be of type SL_FIELD_INT or SL_FIELD_REAL", path);
  PetscCall(PetscMalloc1(out->nruns + 1, &off));
  off[0] = 0;
  for (PetscInt i = 0; i < out->nruns; i++) {
    PetscCheck(count[i] >= 0, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: ragged field %s: negative count %" PetscInt_FMT " for run %" PetscInt_FMT, path, count[i], i);
    off[i + 1] = off[i] + count[i];
  }
  PetscCall(SLOutputAddField(out, path, SL_KIND_RAGGED, type, sizeof(PetscInt64), (hsize_t)off[out->nruns], description, units, &f));
  f->offset = off;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputDeclareConstReal(SLOutput out, const char path[], PetscInt n, const PetscReal v[], const char description[], const char units[])
{
  SLField *f;

  PetscFunctionBeginUser;
  PetscCheck(n >= 0, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: %s: negative length", path);
  PetscCall(SLOutputAddField(out, path, SL_KIND_CONST, SL_FIELD_REAL, sizeof(PetscReal), (hsize_t)n, description, units, &f));
  PetscCall(PetscMalloc(sizeof(PetscReal) * (size_t)PetscMax(n, 1), &f->cdata));
  if (n) PetscCall(PetscMemcpy(f->cdata, v, sizeof(PetscReal) * (size_t)n));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputDeclareConstInt(SLOutput out, const char path[], PetscInt n, const PetscInt64 v[], const char description[], const char units[])
{
  SLField *f;

  PetscFunctionBeginUser;
  PetscCheck(n >= 0, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: %s: negative length", path);
  PetscCall(SLOutputAddField(out, path, SL_KIND_CONST, SL_FIELD_INT, sizeof(PetscInt64), (hsize_t)n, description, units, &f));
  PetscCall(PetscMalloc(sizeof(PetscInt64) * (size_t)PetscMax(n, 1), &f->cdata));
  if (n) PetscCall(PetscMemcpy(f->cdata, v, sizeof(PetscInt64) * (size_t)n));
  PetscFunctionReturn(0);
}

/* Fixed-length strings of the longest value's length (at least 1), NUL padded. */
PetscErrorCode SLOutputDeclareConstStrings(SLOutput out, const char path[], PetscInt n, const char *const v[], const char description[])
{
  SLField *f;
  size_t   w = 1, l;
  char    *c;

  PetscFunctionBeginUser;
  PetscCheck(n >= 0, out->comm, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: %s: negative length", path);
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscStrlen(v[i], &l));
    w = PetscMax(w, l);
  }
  PetscCall(SLOutputAddField(out, path, SL_KIND_CONST, SL_FIELD_STRING, w, (hsize_t)n, description, "", &f));
  PetscCall(PetscCalloc(w * (size_t)PetscMax(n, 1), &c));
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscStrlen(v[i], &l));
    PetscCall(PetscMemcpy(c + w * (size_t)i, v[i], l));
  }
  f->cdata = c;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputDeclareAttribute(SLOutput out, const char path[], const char name[], const char value[])
{
  char     *norm;
  PetscBool flg1, flg2;
  SLAttr   *a;

  PetscFunctionBeginUser;
  PetscCheck(!out->opened, out->comm, PETSC_ERR_ORDER, "SLOutput: declare attribute %s before SLOutputOpen", name);
  PetscCheck(name && name[0], out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: empty attribute name on %s", path);
  PetscCall(SLOutputNormalizePath(path ? path : "/", PETSC_TRUE, &norm));
  for (PetscInt i = 0; i < out->nattrs; i++) {
    PetscCall(PetscStrcmp(out->attrs[i].path, norm, &flg1));
    PetscCall(PetscStrcmp(out->attrs[i].name, name, &flg2));
    PetscCheck(!(flg1 && flg2), out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: attribute %s on /%s declared twice", name, norm);
  }
  if (out->nattrs == out->maxattrs) {
    out->maxattrs = 2 * out->maxattrs + 8;
    PetscCall(PetscRealloc(sizeof(SLAttr) * (size_t)out->maxattrs, &out->attrs));
  }
  a       = &out->attrs[out->nattrs++];
  a->path = norm;
  PetscCall(PetscStrallocpy(name, &a->name));
  PetscCall(PetscStrallocpy(value ? value : "", &a->value));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputGetStatus(SLOutput out, const PetscInt **status)
{
  PetscFunctionBeginUser;
  *status = out->status;
  PetscFunctionReturn(0);
}

/* Append n elements (esize bytes each) at file element foff to f's buffer. */
static PetscErrorCode SLOutputBuffer(SLOutput out, SLField *f, hsize_t foff, hsize_t n, const void *v)
{
  size_t   bytes = f->esize * (size_t)n;
  SLPiece *p;

  PetscFunctionBeginUser;
  if (n == 0) PetscFunctionReturn(0);
  if (f->npieces == f->maxpieces) {
    f->maxpieces = 2 * f->maxpieces + 16;
    PetscCall(PetscRealloc(sizeof(SLPiece) * f->maxpieces, &f->pieces));
  }
  if (f->buflen + bytes > f->bufmax) {
    f->bufmax = PetscMax(2 * f->bufmax, f->buflen + bytes) + 256;
    PetscCall(PetscRealloc(f->bufmax, &f->buf));
  }
  p       = &f->pieces[f->npieces++];
  p->foff = foff;
  p->n    = n;
  p->boff = f->buflen;
  p->seq  = out->seq++;
  PetscCall(PetscMemcpy(f->buf + f->buflen, v, bytes));
  f->buflen += bytes;
  PetscFunctionReturn(0);
}

/* Locate a writable field of the given type and the file offset of [start, start + n) of run's entry. */
static PetscErrorCode SLOutputPutLocate(SLOutput out, const char path[], SLFieldType type, PetscInt run, PetscInt start, PetscInt n, SLField **f, hsize_t *foff)
{
  static const char *tn[] = {"int", "real", "string"};
  SLField           *g;

  PetscFunctionBeginUser;
  PetscCheck(out->file >= 0, PETSC_COMM_SELF, PETSC_ERR_ORDER, "SLOutput: write to %s while the file is not open (call SLOutputOpen first)", path);
  PetscCall(SLOutputFindField_Private(out, path, &g));
  PetscCheck(g && (g->kind == SL_KIND_COLUMN || g->kind == SL_KIND_RAGGED), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: %s is not a declared column or ragged field", path);
  PetscCheck(g->type == type, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: %s is a %s field, written as %s", path, tn[g->type], tn[type]);
  PetscCheck(run >= 0 && run < out->nruns, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: %s: run %" PetscInt_FMT " not in [0, %" PetscInt_FMT ")", path, run, out->nruns);
  if (g->kind == SL_KIND_COLUMN) {
    PetscCheck(start == 0 && n == 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: column %s takes one value per run (start 0, n 1), got start %" PetscInt_FMT " n %" PetscInt_FMT, path, start, n);
    *foff = (hsize_t)run;
  } else {
    PetscInt64 cnt = g->offset[run + 1] - g->offset[run];

    PetscCheck(start >= 0 && n >= 0 && start + n <= cnt, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: %s run %" PetscInt_FMT ": values [%" PetscInt_FMT ", %" PetscInt_FMT ") outside its %" PetscInt64_FMT " declared values", path, run, start, start + n, cnt);
    *foff = (hsize_t)(g->offset[run] + start);
  }
  *f = g;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputPutInt(SLOutput out, const char path[], PetscInt run, PetscInt start, PetscInt n, const PetscInt64 v[])
{
  SLField *f;
  hsize_t  foff;

  PetscFunctionBeginUser;
  PetscCall(SLOutputPutLocate(out, path, SL_FIELD_INT, run, start, n, &f, &foff));
  PetscCall(SLOutputBuffer(out, f, foff, (hsize_t)n, v));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputPutReal(SLOutput out, const char path[], PetscInt run, PetscInt start, PetscInt n, const PetscReal v[])
{
  SLField *f;
  hsize_t  foff;

  PetscFunctionBeginUser;
  PetscCall(SLOutputPutLocate(out, path, SL_FIELD_REAL, run, start, n, &f, &foff));
  PetscCall(SLOutputBuffer(out, f, foff, (hsize_t)n, v));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputPutString(SLOutput out, const char path[], PetscInt run, const char v[])
{
  SLField *f;
  hsize_t  foff;
  size_t   l;
  char    *pad;

  PetscFunctionBeginUser;
  PetscCall(SLOutputPutLocate(out, path, SL_FIELD_STRING, run, 0, 1, &f, &foff));
  PetscCall(PetscStrlen(v, &l));
  PetscCheck(l <= f->esize, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "SLOutput: string \"%s\" for %s run %" PetscInt_FMT " is longer than the declared %zu characters", v, path, run, f->esize);
  PetscCall(PetscCalloc1(f->esize, &pad));
  PetscCall(PetscMemcpy(pad, v, l));
  PetscCall(SLOutputBuffer(out, f, foff, 1, pad));
  PetscCall(PetscFree(pad));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputSetStatus(SLOutput out, PetscInt run, SLRunStatus status)
{
  signed char s = (signed char)status;

  PetscFunctionBeginUser;
  PetscCheck(out->file >= 0, PETSC_COMM_SELF, PETSC_ERR_ORDER, "SLOutput: SLOutputSetStatus while the file is not open");
  PetscCheck(run >= 0 && run < out->nruns, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: status of run %" PetscInt_FMT " not in [0, %" PetscInt_FMT ")", run, out->nruns);
  PetscCheck(status == SL_RUN_PENDING || status == SL_RUN_DONE || status == SL_RUN_FAILED, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: bad status %d for run %" PetscInt_FMT, (int)status, run);
  PetscCall(SLOutputBuffer(out, &out->fields[0], (hsize_t)run, 1, &s));
  PetscFunctionReturn(0);
}

/* Close every open HDF5 object of out (collective: H5Fclose is). With strict, a failure (e.g. the final write
 * of cached data) is an error; without, failures are ignored so that this can run on error paths. */
PetscErrorCode SLOutputCloseHandles_Private(SLOutput out, PetscBool strict)
{
  herr_t e = 0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < out->nfields; i++) {
    SLField *f = &out->fields[i];

    if (f->dset >= 0 && H5Dclose(f->dset) < 0) e = -1;
    if (f->doff >= 0 && H5Dclose(f->doff) < 0) e = -1;
    f->dset = f->doff = -1;
  }
  out->runid = -1; /* an alias of fields[1].dset */
  if (out->file >= 0 && H5Fclose(out->file) < 0) e = -1;
  out->file = -1;
  PetscCheck(!strict || e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "SLOutput: closing %s failed (see the HDF5 errors above)", out->filename ? out->filename : "(no file)");
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputDestroy(SLOutput *out)
{
  SLOutput o;

  PetscFunctionBeginUser;
  if (!out || !*out) PetscFunctionReturn(0);
  o = *out;
  PetscCall(SLOutputCloseHandles_Private(o, PETSC_FALSE));
  PetscCall(SLOutputUnlock(o));
  PetscCall(SLOutputGrowReset_Private(o));
  PetscCall(PetscFree(o->growattr));
  PetscCall(PetscFree(o->keyaxis));
  PetscCall(PetscFree(o->keygroup));
  PetscCall(PetscFree(o->keyattr));
  PetscCall(PetscFree(o->keytext));
  PetscCall(PetscFree(o->keylegacy));
  for (PetscInt i = 0; i < o->nfields; i++) {
    SLField *f = &o->fields[i];

    PetscCall(PetscFree(f->path));
    PetscCall(PetscFree(f->description));
    PetscCall(PetscFree(f->units));
    PetscCall(PetscFree(f->offset));
    PetscCall(PetscFree(f->cdata));
    PetscCall(PetscFree(f->pieces));
    PetscCall(PetscFree(f->buf));
  }
  for (PetscInt i = 0; i < o->nattrs; i++) {
    PetscCall(PetscFree(o->attrs[i].path));
    PetscCall(PetscFree(o->attrs[i].name));
    PetscCall(PetscFree(o->attrs[i].value));
  }
  PetscCall(PetscFree(o->fields));
  PetscCall(PetscFree(o->attrs));
  PetscCall(PetscFree(o->status));
  PetscCall(PetscFree(o->filename));
  PetscCall(PetscCommDestroy(&o->comm));
  PetscCall(PetscFree(*out));
  PetscFunctionReturn(0);
}

/* The last buffered piece of f covering element foff, or NULL. */
static const SLPiece *SLOutputPeekPiece(const SLField *f, hsize_t foff)
{
  const SLPiece *best = NULL;

  for (size_t i = 0; i < f->npieces; i++) {
    const SLPiece *p = &f->pieces[i];
    if (p->foff <= foff && foff < p->foff + p->n && (!best || p->seq > best->seq)) best = p;
  }
  return best;
}

PetscErrorCode SLOutputPeekStatus(SLOutput out, PetscInt run, SLRunStatus *status, PetscBool *found)
{
  const SLPiece *p;

  PetscFunctionBeginUser;
  PetscCheck(run >= 0 && run < out->nruns, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: run %" PetscInt_FMT " not in [0, %" PetscInt_FMT ")", run, out->nruns);
  p      = SLOutputPeekPiece(&out->fields[0], (hsize_t)run);
  *found = (PetscBool)(p != NULL);
  if (p) *status = (SLRunStatus)(signed char)out->fields[0].buf[p->boff + (size_t)((hsize_t)run - p->foff)];
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputPeekString(SLOutput out, const char path[], PetscInt run, char buf[], size_t len, PetscBool *found)
{
  SLField       *f;
  const SLPiece *p;

  PetscFunctionBeginUser;
  PetscCall(SLOutputFindField_Private(out, path, &f));
  PetscCheck(f && f->kind == SL_KIND_COLUMN && f->type == SL_FIELD_STRING, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: %s is not a declared string column", path);
  PetscCheck(run >= 0 && run < out->nruns && len > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLOutput: peek %s run %" PetscInt_FMT, path, run);
  p      = SLOutputPeekPiece(f, (hsize_t)run);
  *found = (PetscBool)(p != NULL);
  buf[0] = 0;
  if (p) {
    size_t n = PetscMin(len - 1, f->esize);
    PetscCall(PetscMemcpy(buf, f->buf + p->boff + f->esize * (size_t)((hsize_t)run - p->foff), n));
    buf[n] = 0;
  }
  PetscFunctionReturn(0);
}

/* HDF5 metadata per dataset (object header, dimension-scale reference, description and units attributes, B-tree
 * and chunk index of chunked datasets): an estimate, checked against real files by tests/e2e/plan.sh. */
#define SL_OUTPUT_META_PER_DATASET 1024.0

PetscErrorCode SLOutputGetLayoutSize(SLOutput out, PetscReal *bytes, PetscInt *ndatasets)
{
  PetscReal b = 0;
  PetscInt  n = 0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < out->nfields; i++) {
    const SLField *f = &out->fields[i];
    size_t         l1, l2;
    b += (PetscReal)f->len * (PetscReal)f->esize;
    PetscCall(PetscStrlen(f->description, &l1));
    PetscCall(PetscStrlen(f->units, &l2));
    b += SL_OUTPUT_META_PER_DATASET + (PetscReal)(l1 + l2);
    n++;
    if (f->kind == SL_KIND_RAGGED) {
      b += (PetscReal)(out->nruns + 1) * sizeof(PetscInt64) + SL_OUTPUT_META_PER_DATASET;
      n++;
    }
  }
  for (PetscInt i = 0; i < out->nattrs; i++) {
    size_t l;
    PetscCall(PetscStrlen(out->attrs[i].value, &l));
    b += 64.0 + (PetscReal)l;
  }
  *bytes = b;
  if (ndatasets) *ndatasets = n;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputGetBufferedSize(SLOutput out, PetscReal *bytes)
{
  PetscReal b = 0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < out->nfields; i++) b += (PetscReal)out->fields[i].bufmax + (PetscReal)out->fields[i].maxpieces * sizeof(SLPiece);
  *bytes = b;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputGetFieldSize(SLOutput out, PetscInt i, PetscInt run, const char **path, PetscReal *bytes, PetscReal *run_bytes)
{
  const SLField *f;

  PetscFunctionBeginUser;
  *path  = NULL;
  *bytes = *run_bytes = 0;
  if (i < 0 || i >= out->nfields) PetscFunctionReturn(0);
  f      = &out->fields[i];
  *path  = f->path;
  *bytes = (PetscReal)f->len * (PetscReal)f->esize;
  if (run >= 0 && run < out->nruns) {
    if (f->kind == SL_KIND_RAGGED) *run_bytes = (PetscReal)(f->offset[run + 1] - f->offset[run]) * (PetscReal)f->esize;
    else if (f->kind != SL_KIND_CONST) *run_bytes = (PetscReal)f->esize;
  }
  PetscFunctionReturn(0);
}
