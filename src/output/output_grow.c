/* Growing a study file: values added to its axes without recomputing the runs it has done.
 *
 * SLOutputOpen calls the probe (rank 0, the existing file open read-only with the serial driver) when the file's
 * study_fingerprint differs from this layout's: the file may be grown if its root attribute out->growattr (the
 * settings fingerprint: every result-affecting option except the axes) equals this layout's, and every axis of the
 * file (constant dataset under axes/) holds a subset of this layout's values, in the same relative order. The
 * caller's map then gives every run of the file its row in this layout. A keyed axis (SLOutputSetGrowKeys: the
 * data sets) may gain values, but the values the file shares with this layout must have the same fingerprint
 * attribute on their groups (else refused naming the value and its first changed line); files written without
 * those attributes grow with the legacy settings value and that axis unchanged. Nothing is written before the
 * verdict.
 *
 * The copy runs on rank 0 into the freshly created layout (the temporary <file>.creating-XXXXXX of SLOutputOpen):
 * for every run-table column, the status column and every ragged array, the elements of each done or failed run
 * are read from the old file and written at the run's new row (one hyperslab union per dataset; the per-run counts
 * of ragged arrays must agree, which is checked). SLOutputOpen then renames the temporary over the file: a kill at
 * any moment leaves either the old file (and a temporary the next open removes) or the complete grown one. */
#include "output_impl.h"
#include <string.h>

PetscErrorCode SLOutputSetGrow(SLOutput out, const char attr[], SLOutputGrowMapFn map, void *ctx)
{
  PetscFunctionBeginUser;
  PetscCheck(!out->opened, out->comm, PETSC_ERR_ORDER, "SLOutput: SLOutputSetGrow must precede SLOutputOpen");
  PetscCall(PetscFree(out->growattr));
  PetscCall(PetscStrallocpy(attr, &out->growattr));
  out->growmap = map;
  out->growctx = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputSetGrowKeys(SLOutput out, const char axis[], const char group[], const char attr[], const char text[], const char legacy[])
{
  PetscFunctionBeginUser;
  PetscCheck(!out->opened, out->comm, PETSC_ERR_ORDER, "SLOutput: SLOutputSetGrowKeys must precede SLOutputOpen");
  PetscCall(PetscFree(out->keyaxis));
  PetscCall(PetscFree(out->keygroup));
  PetscCall(PetscFree(out->keyattr));
  PetscCall(PetscFree(out->keytext));
  PetscCall(PetscFree(out->keylegacy));
  PetscCall(PetscStrallocpy(axis, &out->keyaxis));
  PetscCall(PetscStrallocpy(group, &out->keygroup));
  PetscCall(PetscStrallocpy(attr, &out->keyattr));
  PetscCall(PetscStrallocpy(text, &out->keytext));
  PetscCall(PetscStrallocpy(legacy, &out->keylegacy));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputGrowAxis(SLOutput out, const char path[], PetscInt *nold, const PetscInt **old2new)
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < out->ngrowaxes; k++)
    if (!strcmp(out->growaxis[k], path)) {
      *nold    = out->growaxis_n[k];
      *old2new = out->growaxis_map[k];
      PetscFunctionReturn(0);
    }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutputGrowAxis: %s is not an axis of the file being grown", path);
}

PetscErrorCode SLOutputGrowReset_Private(SLOutput out)
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < out->ngrowaxes; k++) {
    PetscCall(PetscFree(out->growaxis[k]));
    PetscCall(PetscFree(out->growaxis_map[k]));
  }
  PetscCall(PetscFree(out->growaxis));
  PetscCall(PetscFree(out->growaxis_n));
  PetscCall(PetscFree(out->growaxis_map));
  PetscCall(PetscFree(out->grow_old2new));
  out->ngrowaxes = 0;
  out->grow_nold = 0;
  PetscFunctionReturn(0);
}

/* Value i of an axis as text (messages). */
static void SLAxisValueText(const SLField *f, const char *v, size_t w, char buf[], size_t len)
{
  if (f->type == SL_FIELD_INT) (void)PetscSNPrintf(buf, len, "%lld", (long long)((const PetscInt64 *)(const void *)v)[0]);
  else if (f->type == SL_FIELD_REAL) (void)PetscSNPrintf(buf, len, "%.17g", ((const double *)(const void *)v)[0]);
  else {
    char   tmp[100];
    size_t l = PetscMin(strnlen(v, w), sizeof(tmp) - 1);
    memcpy(tmp, v, l);
    tmp[l] = 0;
    (void)PetscSNPrintf(buf, len, "\"%s\"", tmp);
  }
}

/* Equal values: integers and reals bitwise, strings as the text up to their first NUL (widths may differ). */
static PetscBool SLAxisValueEqual(const SLField *f, const char *a, size_t wa, const char *b, size_t wb)
{
  if (f->type != SL_FIELD_STRING) return (PetscBool)!memcmp(a, b, 8);
  {
    size_t la = strnlen(a, wa), lb = strnlen(b, wb);
    return (PetscBool)(la == lb && !memcmp(a, b, la));
  }
}

/* The value of the attribute name declared on object path (NULL if none). */
static const char *SLDeclaredAttr(SLOutput out, const char path[], const char name[])
{
  for (PetscInt j = 0; j < out->nattrs; j++)
    if (!strcmp(out->attrs[j].path, path) && !strcmp(out->attrs[j].name, name)) return out->attrs[j].value;
  return NULL;
}

/* Attribute name of group path of file fid (*val NULL if absent). */
static PetscErrorCode SLReadGroupAttr(hid_t fid, const char path[], const char name[], char **val)
{
  hid_t     g;
  PetscBool has;

  PetscFunctionBeginUser;
  *val = NULL;
  g    = H5Gopen2(fid, path, H5P_DEFAULT);
  if (g < 0) PetscFunctionReturn(0);
  PetscCall(SLH5ReadStringAttr(g, name, &has, val));
  H5Gclose(g);
  PetscFunctionReturn(0);
}

/* The keyed axis (SLOutputSetGrowKeys) of the file against this layout: *ok if the file may be grown as far as
 * the settings (theirs: its grow attribute, mine: this layout's) and the keyed values go; a refusal in *code, msg. */
/* The common exit of the two probes: close what is open of the axis dataset (d), its type (t) and space (s), and
 * free the axis values read (old). */
static PetscErrorCode SLGrowProbeRelease(hid_t d, hid_t t, hid_t s, char **old)
{
  PetscFunctionBeginUser;
  if (s >= 0) H5Sclose(s);
  if (t >= 0) H5Tclose(t);
  if (d >= 0) H5Dclose(d);
  PetscCall(PetscFree(*old));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLGrowKeysProbe(SLOutput out, hid_t fid, const char fname[], const char theirs[], const char mine[], PetscErrorCode *code, char msg[], PetscBool *ok)
{
  SLField  *f = NULL;
  char      path[PETSC_MAX_PATH_LEN], *old = NULL, *val = NULL;
  hid_t     d = -1, t = -1, s = -1;
  hsize_t   n = 0;
  size_t    w;
  PetscBool keyed = PETSC_TRUE, same;

  PetscFunctionBeginUser;
  *ok = PETSC_FALSE;
  PetscCall(SLOutputFindField_Private(out, out->keyaxis, &f));
  PetscCheck(f && f->kind == SL_KIND_CONST && f->type == SL_FIELD_STRING, PETSC_COMM_SELF, PETSC_ERR_PLIB, "SLOutput: keyed axis %s is not a declared constant string dataset", out->keyaxis);
  PetscCall(PetscSNPrintf(path, sizeof(path), "/%s", out->keyaxis));
  d = H5Dopen2(fid, path, H5P_DEFAULT);
  if (d < 0) PetscFunctionReturn(0); /* not a file of this kind of study: refused as another study */
  t = H5Dget_type(d);
  s = H5Dget_space(d);
  if (t < 0 || s < 0 || H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_ndims(s) != 1 || H5Sget_simple_extent_dims(s, &n, NULL) != 1) goto done;
  w = H5Tget_size(t);
  PetscCall(PetscCalloc1(w * (size_t)PetscMax(n, 1) + 1, &old));
  if (n) SLH5CallFile(fname, H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, old));
  for (hsize_t a = 0; a < n && keyed; a++) { /* a file written with keys has them on every value */
    char v[PETSC_MAX_PATH_LEN];

    PetscCall(PetscSNPrintf(v, sizeof(v), "/%s/%.*s", out->keygroup, (int)strnlen(old + w * a, w), old + w * a));
    PetscCall(SLReadGroupAttr(fid, v, out->keyattr, &val));
    keyed = (PetscBool)(val != NULL);
    PetscCall(PetscFree(val));
  }
  if (!keyed || !n) { /* written before keyed axes: its grow attribute covers the keyed values too */
    if (theirs && out->keylegacy && !strcmp(theirs, out->keylegacy)) {
      *ok = PETSC_TRUE;
      goto done;
    }
    same = (PetscBool)(n == f->len);
    for (hsize_t a = 0; a < n && same; a++) same = SLAxisValueEqual(f, old + w * a, w, (const char *)f->cdata + f->esize * a, f->esize);
    if (!same) {
      *code = PETSC_ERR_FILE_UNEXPECTED;
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot grow %s along its axis %s: the file was written by an earlier version, without the per-value fingerprints /%s/<value>@%s, so values cannot be added to that axis (compute them in another output file)", fname,
                              out->keyaxis, out->keygroup, out->keyattr));
    }
    goto done;
  }
  if (!theirs || strcmp(theirs, mine)) goto done; /* other settings */
  for (hsize_t a = 0; a < n; a++) {               /* the values the file shares with this layout: unchanged */
    char        obj[PETSC_MAX_PATH_LEN], grp[PETSC_MAX_PATH_LEN + 1];
    const char *my, *mytext;
    int         l = (int)strnlen(old + w * a, w);

    PetscCall(PetscSNPrintf(obj, sizeof(obj), "%s/%.*s", out->keygroup, l, old + w * a));
    my = SLDeclaredAttr(out, obj, out->keyattr);
    if (!my) continue; /* not a value of this layout: the axis check refuses it */
    PetscCall(PetscSNPrintf(grp, sizeof(grp), "/%s", obj));
    PetscCall(SLReadGroupAttr(fid, grp, out->keyattr, &val));
    if (val && !strcmp(val, my)) {
      PetscCall(PetscFree(val));
      continue;
    }
    {
      char *ttext = NULL, diff[800] = "";

      mytext = SLDeclaredAttr(out, obj, out->keytext);
      PetscCall(SLReadGroupAttr(fid, grp, out->keytext, &ttext));
      if (ttext && mytext) SLCanonicalDiff(ttext, mytext, diff, sizeof(diff));
      PetscCall(PetscFree(ttext));
      *code = PETSC_ERR_FILE_UNEXPECTED;
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: %s belongs to another study: its %s value \"%.*s\" changed (%s@%s is \"%s\" in the file, \"%s\" in this study%s); a study may add values to %s, never change one: refusing to resume or grow it (use another output file)", fname,
                              out->keyaxis, l, old + w * a, obj, out->keyattr, val ? val : "(none)", my, diff, out->keyaxis));
      PetscCall(PetscFree(val));
      goto done;
    }
  }
  *ok = PETSC_TRUE;
done:
  PetscCall(SLGrowProbeRelease(d, t, s, &old));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputGrowProbe_Private(SLOutput out, hid_t fid, const char fname[], PetscErrorCode *code, char msg[], PetscBool *grow)
{
  const char *mine   = NULL;
  char       *theirs = NULL;
  PetscBool   has;
  PetscInt    nax = 0;
  hid_t       d = -1, t = -1, s = -1;
  char       *old = NULL;

  PetscFunctionBeginUser;
  *grow = PETSC_FALSE;
  if (!out->growattr || !out->growmap) PetscFunctionReturn(0);
  for (PetscInt j = 0; j < out->nattrs; j++)
    if (!out->attrs[j].path[0] && !strcmp(out->attrs[j].name, out->growattr)) mine = out->attrs[j].value;
  PetscCheck(mine, PETSC_COMM_SELF, PETSC_ERR_PLIB, "SLOutput: root attribute %s (growing) is not declared", out->growattr);
  PetscCall(SLH5ReadStringAttr(fid, out->growattr, &has, &theirs));
  if (out->keyaxis) { /* settings, and the values of the keyed axis the file shares with this layout */
    PetscBool ok;

    PetscCall(SLGrowKeysProbe(out, fid, fname, has ? theirs : NULL, mine, code, msg, &ok));
    PetscCall(PetscFree(theirs));
    if (!ok) PetscFunctionReturn(0);
  } else {
    PetscBool ok = (PetscBool)(has && !strcmp(theirs, mine));

    PetscCall(PetscFree(theirs));
    if (!ok) PetscFunctionReturn(0); /* other settings (or a file from before growing): another study */
  }
  PetscCall(SLOutputGrowReset_Private(out));
  for (PetscInt i = 0; i < out->nfields; i++) nax += out->fields[i].kind == SL_KIND_CONST && !strncmp(out->fields[i].path, "axes/", 5);
  PetscCall(PetscCalloc1(nax, &out->growaxis));
  PetscCall(PetscCalloc1(nax, &out->growaxis_n));
  PetscCall(PetscCalloc1(nax, &out->growaxis_map));
  for (PetscInt i = 0; i < out->nfields; i++) {
    const SLField *f = &out->fields[i];
    char           path[PETSC_MAX_PATH_LEN];
    hsize_t        n = 0;
    size_t         w;
    PetscInt       k = out->ngrowaxes, last = -1;

    if (f->kind != SL_KIND_CONST || strncmp(f->path, "axes/", 5)) continue;
    PetscCall(PetscSNPrintf(path, sizeof(path), "/%s", f->path));
    d = H5Dopen2(fid, path, H5P_DEFAULT);
    if (d < 0) {
      *code = PETSC_ERR_FILE_UNEXPECTED;
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot grow %s: it has no axis %s", fname, path));
      goto done;
    }
    SLH5Call(t = H5Dget_type(d));
    SLH5Call(s = H5Dget_space(d));
    PetscCheck(H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, &n, NULL) == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: axis %s of %s is not 1-D", path, fname);
    PetscCheck((H5Tget_class(t) == H5T_STRING) == (f->type == SL_FIELD_STRING), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: axis %s of %s has another element type", path, fname);
    w = f->type == SL_FIELD_STRING ? H5Tget_size(t) : 8;
    PetscCall(PetscCalloc1(w * (size_t)PetscMax(n, 1) + 1, &old));
    if (n) SLH5CallFile(fname, H5Dread(d, f->type == SL_FIELD_STRING ? t : (f->type == SL_FIELD_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE), H5S_ALL, H5S_ALL, H5P_DEFAULT, old));
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
    s = t = d = -1;
    PetscCall(PetscStrallocpy(f->path, &out->growaxis[k]));
    out->growaxis_n[k] = (PetscInt)n;
    PetscCall(PetscMalloc1(PetscMax((PetscInt)n, 1), &out->growaxis_map[k]));
    out->ngrowaxes++;
    for (hsize_t a = 0; a < n; a++) {
      PetscInt j = -1;
      char     text[128];

      for (hsize_t b = 0; b < f->len && j < 0; b++)
        if (SLAxisValueEqual(f, old + w * a, w, (const char *)f->cdata + f->esize * b, f->esize)) j = (PetscInt)b;
      SLAxisValueText(f, old + w * a, w, text, sizeof(text));
      if (j < 0) {
        *code = PETSC_ERR_FILE_UNEXPECTED;
        PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot grow %s: value %s of its axis %s is not in this study's axis (a study grows by adding axis values, never by removing any; use another output file)", fname, text, f->path));
        goto done;
      }
      if (j <= last) {
        *code = PETSC_ERR_FILE_UNEXPECTED;
        PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot grow %s: its axis %s has value %s in another order than this study (new values may be inserted anywhere, the existing ones keep their order; use another output file)", fname, f->path, text));
        goto done;
      }
      out->growaxis_map[k][a] = last = j;
    }
    PetscCall(PetscFree(old));
  }
  { /* the runs of the file and their rows in this layout */
    hsize_t n = 0;

    SLH5CallFile(fname, d = H5Dopen2(fid, "/" SL_OUTPUT_STATUS, H5P_DEFAULT));
    SLH5Call(s = H5Dget_space(d));
    PetscCheck(H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, &n, NULL) == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: /" SL_OUTPUT_STATUS " of %s is not 1-D", fname);
    H5Sclose(s);
    H5Dclose(d);
    s = d          = -1;
    out->grow_nold = (PetscInt)n;
    PetscCall(PetscMalloc1(PetscMax(out->grow_nold, 1), &out->grow_old2new));
    PetscCall(out->growmap(out, out->growctx, out->grow_nold, out->grow_old2new));
    for (PetscInt r = 0; r < out->grow_nold; r++)
      PetscCheck(out->grow_old2new[r] >= 0 && out->grow_old2new[r] < out->nruns && (r == 0 || out->grow_old2new[r] > out->grow_old2new[r - 1]), PETSC_COMM_SELF, PETSC_ERR_PLIB, "SLOutput: growing %s: run %" PetscInt_FMT " maps to row %" PetscInt_FMT " (not increasing within [0, %" PetscInt_FMT "))", fname, r,
                 out->grow_old2new[r], out->nruns);
  }
  *grow = PETSC_TRUE;
done:
  PetscCall(SLGrowProbeRelease(d, t, s, &old));
  PetscFunctionReturn(0);
}

/* Copy the runs listed in old[] (rows new[]) of one dataset: ragged (offsets oldoff, f->offset) or a column. */
static PetscErrorCode SLGrowCopyField(hid_t fin, const char fname[], SLField *f, PetscInt nr, const PetscInt old[], const PetscInt new[], const PetscInt64 oldoff[])
{
  hsize_t *sa, *sb, *cnt, total = 0, tb = 0, one = 1;
  size_t   m = 0;
  hid_t    din, type, fsin, fsout, ms;
  char     path[PETSC_MAX_PATH_LEN], *buf;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(nr, &sa, nr, &sb, nr, &cnt));
  for (PetscInt i = 0; i < nr; i++) {
    hsize_t a = oldoff ? (hsize_t)oldoff[old[i]] : (hsize_t)old[i], b = oldoff ? (hsize_t)f->offset[new[i]] : (hsize_t) new[i];
    hsize_t c = oldoff ? (hsize_t)(oldoff[old[i] + 1] - oldoff[old[i]]) : 1;

    if (oldoff)
      PetscCheck(c == (hsize_t)(f->offset[new[i] + 1] - f->offset[new[i]]), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: growing %s: run %" PetscInt_FMT " has %llu values in /%s, its row %" PetscInt_FMT " of the grown layout %lld", fname, old[i], (unsigned long long)c, f->path, new[i], (long long)(f->offset[new[i] + 1] - f->offset[new[i]]));
    if (!c) continue;
    if (m && sa[m - 1] + cnt[m - 1] == a && sb[m - 1] + cnt[m - 1] == b) cnt[m - 1] += c;
    else {
      sa[m]  = a;
      sb[m]  = b;
      cnt[m] = c;
      m++;
    }
  }
  if (m) {
    PetscCall(PetscSNPrintf(path, sizeof(path), "/%s", f->path));
    SLH5CallFile(fname, din = H5Dopen2(fin, path, H5P_DEFAULT));
    SLH5Call(type = H5Dget_type(din));
    PetscCheck(H5Tget_size(type) == f->esize, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: growing %s: /%s has another element size", fname, f->path);
    SLH5Call(fsin = H5Dget_space(din));
    SLH5Call(fsout = H5Dget_space(f->dset));
    PetscCall(SLH5SelectRanges(fsin, m, sa, cnt, &total));
    PetscCall(SLH5SelectRanges(fsout, m, sb, cnt, &tb));
    SLH5Call(ms = H5Screate_simple(1, total ? &total : &one, NULL));
    PetscCall(PetscMalloc(f->esize * (size_t)PetscMax(total, 1), &buf));
    SLH5CallFile(fname, H5Dread(din, type, ms, fsin, H5P_DEFAULT, buf));
    SLH5Call(H5Dwrite(f->dset, type, ms, fsout, H5P_DEFAULT, buf));
    PetscCall(PetscFree(buf));
    SLH5Call(H5Sclose(ms));
    SLH5Call(H5Sclose(fsout));
    SLH5Call(H5Sclose(fsin));
    SLH5Call(H5Tclose(type));
    SLH5Call(H5Dclose(din));
  }
  PetscCall(PetscFree3(sa, sb, cnt));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputGrowCopy_Private(SLOutput out, const char oldname[], PetscInt *kept)
{
  hid_t        fid, d;
  signed char *st;
  PetscInt    *old, *new, nr = 0;
  PetscInt64  *off;

  PetscFunctionBeginUser;
  SLH5CallFile(oldname, fid = H5Fopen(oldname, H5F_ACC_RDONLY, H5P_DEFAULT));
  PetscCall(PetscMalloc4(PetscMax(out->grow_nold, 1), &st, PetscMax(out->grow_nold, 1), &old, PetscMax(out->grow_nold, 1), &new, out->grow_nold + 1, &off));
  SLH5CallFile(oldname, d = H5Dopen2(fid, "/" SL_OUTPUT_STATUS, H5P_DEFAULT));
  SLH5CallFile(oldname, H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, st));
  SLH5Call(H5Dclose(d));
  for (PetscInt r = 0; r < out->grow_nold; r++)
    if (st[r] == SL_RUN_DONE || st[r] == SL_RUN_FAILED) {
      old[nr] = r;
      new[nr] = out->grow_old2new[r];
      nr++;
    }
  for (PetscInt i = 0; i < out->nfields; i++) {
    SLField *f = &out->fields[i];

    if (f->kind == SL_KIND_CONST) continue;
    if (f->kind == SL_KIND_RAGGED) {
      char path[PETSC_MAX_PATH_LEN];

      PetscCall(PetscSNPrintf(path, sizeof(path), "/%s_offset", f->path));
      SLH5CallFile(oldname, d = H5Dopen2(fid, path, H5P_DEFAULT));
      {
        hid_t   sp;
        hsize_t n = 0;
        SLH5Call(sp = H5Dget_space(d));
        PetscCheck(H5Sget_simple_extent_ndims(sp) == 1 && H5Sget_simple_extent_dims(sp, &n, NULL) == 1 && n == (hsize_t)out->grow_nold + 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "SLOutput: growing %s: %s does not have %" PetscInt_FMT " entries", oldname, path, out->grow_nold + 1);
        SLH5Call(H5Sclose(sp));
      }
      SLH5CallFile(oldname, H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off));
      SLH5Call(H5Dclose(d));
    }
    PetscCall(SLGrowCopyField(fid, oldname, f, nr, old, new, f->kind == SL_KIND_RAGGED ? off : NULL));
  }
  SLH5Call(H5Fclose(fid));
  PetscCall(PetscFree4(st, old, new, off));
  *kept = nr;
  PetscFunctionReturn(0);
}
