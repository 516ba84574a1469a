/* Tests of the study output file (include/splinelens/output.h).
 *
 *   test_output roundtrip <dir> <tag>   write a study in rounds (runs round-robin over ranks, one ragged slice
 *                                      written in two pieces by two ranks, a failed run left at the fill values),
 *                                      close, resume, finish, then read everything back serially on rank 0 and
 *                                      compare exactly (values, fill values, types, attributes, dimension scales)
 *   test_output merge <dir> <tag>      one-shot file vs. two slice files merged: identical datasets; merge with
 *                                      allow_missing of one slice
 *   test_output open <file> <fp> <variant>   create or resume a file with the layout variant (std|extra|big)
 *   test_output fsize <file>           like open with variant big under a small RLIMIT_FSIZE (creation fails)
 *   test_output merge-dup|merge-missing|merge-fingerprint|merge-exists|merge-layout <dir>
 *                                      make slice files and attempt a merge that must be refused
 * The error cases exit nonzero; tests/test_output_errors.sh checks their message and the files. */
#include <splinelens/output.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define NRUNS      11
#define FAILED_RUN 4 /* marked failed with only its reason written: every other value stays the fill value */
#define SPLIT_RUN  7 /* its runs/theta slice (4 values) is written in two pieces by two ranks */
#define STRLEN     12
#define FP         "fp-test-study-0001"

#define CHECK(cond, ...) PetscCheck(cond, PETSC_COMM_SELF, PETSC_ERR_PLIB, __VA_ARGS__)
#define H5OK(call)       CHECK((call) >= 0, "HDF5 call failed: %s", #call)

static const char *cols_real[] = {"runs/final_loss", "runs/final_x"};
static const char *cols_int[]  = {"runs/n_iter", "spectra/final/nn/full/n_neg"};
static const char *col_str     = "runs/reason";
static const char *rag_real[]  = {"runs/theta", "empty/none"};
static const char *rag_int[]   = {"spectra/final/eigs_idx"};

static PetscInt CountTheta(PetscInt r)
{
  return (7 * r) % 5; /* 0 for runs 0, 5, 10; 4 for SPLIT_RUN */
}
static PetscInt CountEigs(PetscInt r)
{
  return (r % 3) * 2;
}
static PetscInt CountNone(PetscInt r)
{
  (void)r;
  return 0;
}
static PetscInt (*rag_real_count[])(PetscInt) = {CountTheta, CountNone};
static PetscInt (*rag_int_count[])(PetscInt)  = {CountEigs};

/* Expected values: distinct per field (fi), run and element, not integers for reals. */
static PetscReal ValReal(int fi, PetscInt r, PetscInt j)
{
  return 1000.0 * fi + (PetscReal)r + j / 8.0 + 1.0 / 3.0;
}
static PetscInt64 ValInt(int fi, PetscInt r, PetscInt j)
{
  return 100000 * (PetscInt64)fi + 100 * (PetscInt64)r + j - 7;
}
static void ValStr(PetscInt r, char s[STRLEN + 1])
{
  if (r == FAILED_RUN) snprintf(s, STRLEN + 1, "diverged");
  else snprintf(s, STRLEN + 1, "r%d%.*s", (int)r, (int)(r % 7), "abcdefghij"); /* lengths 2 .. 9 */
}

static const PetscReal  axis_t[]   = {0.0, 0.25, 0.5, 1.0};
static const PetscInt64 axis_ids[] = {3, -5, 1 << 20};
static const char      *names[]    = {"alpha", "b", ""};

static PetscErrorCode DeclareLayout(SLOutput out, const char variant[])
{
  PetscInt  c[NRUNS];
  PetscBool extra, big;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(variant, "extra", &extra));
  PetscCall(PetscStrcmp(variant, "big", &big));
  PetscCall(SLOutputDeclareColumn(out, cols_real[0], SL_FIELD_REAL, 0, "final loss", "1"));
  PetscCall(SLOutputDeclareColumn(out, "/runs/final_x", SL_FIELD_REAL, 0, "final position", "m"));
  PetscCall(SLOutputDeclareColumn(out, cols_int[0], SL_FIELD_INT, 0, "iterations", ""));
  PetscCall(SLOutputDeclareColumn(out, col_str, SL_FIELD_STRING, STRLEN, "stop reason", ""));
  for (int k = 0; k < 2; k++) {
    for (PetscInt r = 0; r < NRUNS; r++) c[r] = rag_real_count[k](r);
    PetscCall(SLOutputDeclareRagged(out, rag_real[k], SL_FIELD_REAL, c, "ragged real", "s"));
  }
  PetscCall(SLOutputDeclareColumn(out, cols_int[1], SL_FIELD_INT, 0, "negative eigenvalues", "count"));
  for (PetscInt r = 0; r < NRUNS; r++) c[r] = rag_int_count[0](r);
  PetscCall(SLOutputDeclareRagged(out, rag_int[0], SL_FIELD_INT, c, "ragged int", ""));
  PetscCall(SLOutputDeclareConstReal(out, "axes/t", 4, axis_t, "time axis", "s"));
  PetscCall(SLOutputDeclareConstInt(out, "axes/ids", 3, axis_ids, "ids", ""));
  PetscCall(SLOutputDeclareConstReal(out, "axes/empty", 0, NULL, "empty axis", ""));
  PetscCall(SLOutputDeclareConstStrings(out, "data/names", 3, names, "data set names"));
  if (extra) PetscCall(SLOutputDeclareColumn(out, "runs/extra", SL_FIELD_REAL, 0, "an extra column", ""));
  if (big) { /* 2 MB: more than the file size limit of the fsize case */
    PetscInt   n = 1 << 18;
    PetscReal *v;

    PetscCall(PetscCalloc1(n, &v));
    PetscCall(SLOutputDeclareConstReal(out, "big/zeros", n, v, "zeros", ""));
    PetscCall(PetscFree(v));
  }
  PetscCall(SLOutputDeclareAttribute(out, "/", "creator", "test_output"));
  PetscCall(SLOutputDeclareAttribute(out, "runs", "note", "run table"));
  PetscCall(SLOutputDeclareAttribute(out, "spectra/final", "method", "lanczos"));
  PetscCall(SLOutputDeclareAttribute(out, "axes/t", "kind", "grid"));
  PetscCall(SLOutputDeclareAttribute(out, "meta/info", "empty", ""));
  PetscFunctionReturn(0);
}

/* Every value of run r except the split slice (written by WriteSplit). */
static PetscErrorCode WriteRun(SLOutput out, PetscInt r)
{
  char       s[STRLEN + 1];
  PetscReal  rv[8];
  PetscInt64 iv[8];

  PetscFunctionBeginUser;
  ValStr(r, s);
  PetscCall(SLOutputPutString(out, col_str, r, s));
  if (r == FAILED_RUN) {
    PetscCall(SLOutputSetStatus(out, r, SL_RUN_FAILED));
    PetscFunctionReturn(0);
  }
  for (int k = 0; k < 2; k++) {
    PetscReal wrong = -1.0;

    if (r == 3 && k == 0) PetscCall(SLOutputPutReal(out, cols_real[k], r, 0, 1, &wrong)); /* overwritten below */
    rv[0] = ValReal(k, r, 0);
    PetscCall(SLOutputPutReal(out, cols_real[k], r, 0, 1, rv));
    iv[0] = ValInt(k, r, 0);
    PetscCall(SLOutputPutInt(out, cols_int[k], r, 0, 1, iv));
    if (r == SPLIT_RUN && k == 0) continue;
    for (PetscInt j = 0; j < rag_real_count[k](r); j++) rv[j] = ValReal(10 + k, r, j);
    PetscCall(SLOutputPutReal(out, rag_real[k], r, 0, rag_real_count[k](r), rv));
  }
  for (PetscInt j = 0; j < rag_int_count[0](r); j++) iv[j] = ValInt(20, r, j);
  PetscCall(SLOutputPutInt(out, rag_int[0], r, 0, rag_int_count[0](r), iv));
  PetscCall(SLOutputSetStatus(out, r, SL_RUN_DONE));
  PetscFunctionReturn(0);
}

/* runs/theta of SPLIT_RUN: values [0, 2) from rank 0, [2, 4) from rank 1 (both from rank 0 on one rank, the
 * second piece first so that the flush must sort them). */
static PetscErrorCode WriteSplit(SLOutput out, PetscMPIInt rank, PetscMPIInt size)
{
  PetscReal v[4];

  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < 4; j++) v[j] = ValReal(10, SPLIT_RUN, j);
  if (rank == (size > 1 ? 1 : 0)) PetscCall(SLOutputPutReal(out, rag_real[0], SPLIT_RUN, 2, 2, v + 2));
  if (rank == 0) PetscCall(SLOutputPutReal(out, rag_real[0], SPLIT_RUN, 0, 2, v));
  PetscFunctionReturn(0);
}

static SLRunStatus ExpectedStatus(PetscInt r)
{
  return r == FAILED_RUN ? SL_RUN_FAILED : SL_RUN_DONE;
}

/* Write the runs selected by want[] and still pending: run r belongs to rank r % size; round k does the k-th
 * such run of every rank (ranks with fewer runs still flush). Checks the replicated status after each round. */
static PetscErrorCode WriteRuns(SLOutput out, const PetscBool want[])
{
  PetscMPIInt     rank, size;
  const PetscInt *st;
  PetscInt        mine[NRUNS], nmine = 0, maxmine;
  PetscBool       todo[NRUNS];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(SLOutputGetStatus(out, &st));
  for (PetscInt r = 0; r < NRUNS; r++) {
    todo[r] = (PetscBool)(want[r] && st[r] == SL_RUN_PENDING);
    if (todo[r] && r % size == rank) mine[nmine++] = r;
  }
  PetscCallMPI(MPI_Allreduce(&nmine, &maxmine, 1, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD));
  for (PetscInt k = 0; k < maxmine; k++) {
    PetscCall(SLOutputGetStatus(out, &st));
    if (k < nmine) PetscCall(WriteRun(out, mine[k]));
    /* the split run's other piece goes in the round in which its owner writes it */
    if (todo[SPLIT_RUN]) {
      PetscInt owner = SPLIT_RUN % size, kk = 0;

      for (PetscInt r = 0; r < SPLIT_RUN; r++) kk += (todo[r] && r % size == owner);
      if (kk == k) PetscCall(WriteSplit(out, rank, size));
    }
    PetscCall(SLOutputFlush(out));
    PetscCall(SLOutputGetStatus(out, &st));
    for (PetscInt r = 0; r < NRUNS; r++) {
      PetscInt pos = 0;

      if (!todo[r]) continue;
      for (PetscInt q = 0; q < r; q++) pos += (todo[q] && q % size == r % size);
      CHECK(st[r] == (pos <= k ? (PetscInt)ExpectedStatus(r) : SL_RUN_PENDING), "rank %d round %" PetscInt_FMT ": status of run %" PetscInt_FMT " is %" PetscInt_FMT, rank, k, r, st[r]);
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OpenStd(const char file[], const char fp[], const char variant[], SLOutput *out, PetscBool *resumed)
{
  PetscFunctionBeginUser;
  PetscCall(SLOutputCreate(PETSC_COMM_WORLD, NRUNS, out));
  PetscCall(DeclareLayout(*out, variant));
  PetscCall(SLOutputOpen(*out, file, fp, resumed));
  PetscFunctionReturn(0);
}

static PetscErrorCode RemoveFile(const char file[])
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) (void)unlink(file);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

/* A whole study file with the runs of want[] done (one session). */
static PetscErrorCode WriteFile(const char file[], const char fp[], const char variant[], const PetscBool want[])
{
  SLOutput                 out;
  PetscBool                resumed;
  static const char *const an[] = {"complete"}, *const av[] = {"yes"};

  PetscFunctionBeginUser;
  PetscCall(RemoveFile(file));
  PetscCall(OpenStd(file, fp, variant, &out, &resumed));
  CHECK(!resumed, "%s: new file reported as resumed", file);
  PetscCall(WriteRuns(out, want));
  PetscCall(SLOutputClose(out, 1, an, av));
  PetscCall(SLOutputDestroy(&out));
  PetscFunctionReturn(0);
}

/* ---- serial read-back (rank 0, plain HDF5) ------------------------------------------------------------- */

static PetscErrorCode ReadAttr(hid_t loc, const char obj[], const char name[], char val[], size_t len)
{
  hid_t  a, t, mt;
  size_t sz;

  PetscFunctionBeginUser;
  H5OK(a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT));
  H5OK(t = H5Aget_type(a));
  CHECK(H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t), "attribute %s of %s is not a fixed-length string", name, obj);
  sz = H5Tget_size(t);
  CHECK(sz < len, "attribute %s too long", name);
  H5OK(mt = H5Tcopy(t));
  memset(val, 0, len);
  H5OK(H5Aread(a, mt, val));
  H5OK(H5Tclose(mt));
  H5OK(H5Tclose(t));
  H5OK(H5Aclose(a));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckAttr(hid_t loc, const char obj[], const char name[], const char expect[])
{
  char v[256];

  PetscFunctionBeginUser;
  PetscCall(ReadAttr(loc, obj, name, v, sizeof(v)));
  CHECK(!strcmp(v, expect), "attribute %s of %s is \"%s\", expected \"%s\"", name, obj, v, expect);
  PetscFunctionReturn(0);
}

/* Read the whole 1-D dataset path (n elements of type expect) into buf; checks the type and length. */
static PetscErrorCode ReadDset(hid_t f, const char path[], hid_t expect, hsize_t n, void *buf)
{
  hid_t   d, t, s;
  hsize_t dims[1];

  PetscFunctionBeginUser;
  H5OK(d = H5Dopen2(f, path, H5P_DEFAULT));
  H5OK(t = H5Dget_type(d));
  H5OK(s = H5Dget_space(d));
  CHECK(H5Sget_simple_extent_ndims(s) == 1, "%s is not 1-D", path);
  H5OK(H5Sget_simple_extent_dims(s, dims, NULL));
  CHECK(dims[0] == n, "%s has length %llu, expected %llu", path, (unsigned long long)dims[0], (unsigned long long)n);
  CHECK(H5Tequal(t, expect) > 0, "%s has another element type", path);
  if (n) H5OK(H5Dread(d, expect, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
  H5OK(H5Sclose(s));
  H5OK(H5Tclose(t));
  H5OK(H5Dclose(d));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckScale(hid_t f, const char path[], hid_t runid)
{
  hid_t d;

  PetscFunctionBeginUser;
  H5OK(d = H5Dopen2(f, path, H5P_DEFAULT));
  CHECK(H5DSis_attached(d, runid, 0) > 0, "%s: dimension scale run_id not attached", path);
  H5OK(H5Dclose(d));
  PetscFunctionReturn(0);
}

static PetscBool SameReal(PetscReal a, PetscReal b)
{
  return (PetscBool)(memcmp(&a, &b, sizeof(a)) == 0); /* bitwise: NaN fill values compare equal */
}

/* Everything in file, as written by WriteRuns with all runs (closing attribute complete = yes). */
static PetscErrorCode VerifyFile(const char file[])
{
  hid_t       f, runid, st8, str;
  PetscReal   rv[64], nan = (PetscReal)NAN;
  PetscInt64  iv[64], off[NRUNS + 1];
  signed char sv[NRUNS];
  char        sbuf[NRUNS * STRLEN + 1], s[STRLEN + 1], attr[256];

  PetscFunctionBeginUser;
  H5OK(f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT));
  /* root attributes */
  PetscCall(CheckAttr(f, "/", "format", "splinelens-study"));
  PetscCall(CheckAttr(f, "/", "format_version", "1"));
  PetscCall(CheckAttr(f, "/", "study_fingerprint", FP));
  PetscCall(CheckAttr(f, "/", "creator", "test_output"));
  PetscCall(CheckAttr(f, "/", "complete", "yes"));
  PetscCall(CheckAttr(f, "runs", "note", "run table"));
  PetscCall(CheckAttr(f, "spectra/final", "method", "lanczos"));
  PetscCall(CheckAttr(f, "axes/t", "kind", "grid"));
  PetscCall(CheckAttr(f, "meta/info", "empty", ""));
  /* run index and status */
  PetscCall(ReadDset(f, "runs/run_id", H5T_STD_I64LE, NRUNS, iv));
  for (PetscInt r = 0; r < NRUNS; r++) CHECK(iv[r] == r, "run_id[%" PetscInt_FMT "] = %" PetscInt64_FMT, r, iv[r]);
  H5OK(st8 = H5Tcopy(H5T_STD_I8LE));
  PetscCall(ReadDset(f, "runs/status", st8, NRUNS, sv));
  for (PetscInt r = 0; r < NRUNS; r++) CHECK(sv[r] == (signed char)ExpectedStatus(r), "status[%" PetscInt_FMT "] = %d", r, sv[r]);
  H5OK(runid = H5Dopen2(f, "runs/run_id", H5P_DEFAULT));
  CHECK(H5DSis_scale(runid) > 0, "runs/run_id is not a dimension scale");
  {
    char sn[16] = "";

    CHECK(H5DSget_scale_name(runid, sn, sizeof(sn)) == 3 && !strcmp(sn, "run"), "scale name of runs/run_id is \"%s\"", sn);
  }
  PetscCall(CheckScale(f, "runs/status", runid));
  /* columns */
  for (int k = 0; k < 2; k++) {
    PetscCall(ReadDset(f, cols_real[k], H5T_IEEE_F64LE, NRUNS, rv));
    for (PetscInt r = 0; r < NRUNS; r++) CHECK(SameReal(rv[r], r == FAILED_RUN ? nan : ValReal(k, r, 0)), "%s[%" PetscInt_FMT "] = %g", cols_real[k], r, rv[r]);
    PetscCall(CheckScale(f, cols_real[k], runid));
    PetscCall(ReadDset(f, cols_int[k], H5T_STD_I64LE, NRUNS, iv));
    for (PetscInt r = 0; r < NRUNS; r++) CHECK(iv[r] == (r == FAILED_RUN ? -1 : ValInt(k, r, 0)), "%s[%" PetscInt_FMT "] = %" PetscInt64_FMT, cols_int[k], r, iv[r]);
    PetscCall(CheckScale(f, cols_int[k], runid));
  }
  H5OK(str = H5Tcopy(H5T_C_S1));
  H5OK(H5Tset_size(str, STRLEN));
  H5OK(H5Tset_strpad(str, H5T_STR_NULLPAD));
  PetscCall(ReadDset(f, col_str, str, NRUNS, sbuf));
  for (PetscInt r = 0; r < NRUNS; r++) {
    char got[STRLEN + 1] = "";

    memcpy(got, sbuf + STRLEN * r, STRLEN);
    ValStr(r, s);
    CHECK(!strcmp(got, s), "%s[%" PetscInt_FMT "] = \"%s\", expected \"%s\"", col_str, r, got, s);
  }
  PetscCall(CheckScale(f, col_str, runid));
  /* ragged fields: offsets, values, attributes */
  for (int k = 0; k < 3; k++) {
    const char *p = k < 2 ? rag_real[k] : rag_int[0];
    char        op[128];
    PetscInt    n = 0;

    PetscCall(PetscSNPrintf(op, sizeof(op), "%s_offset", p));
    PetscCall(ReadDset(f, op, H5T_STD_I64LE, NRUNS + 1, off));
    CHECK(off[0] == 0, "%s[0] = %" PetscInt64_FMT, op, off[0]);
    for (PetscInt r = 0; r < NRUNS; r++) {
      PetscInt c = k < 2 ? rag_real_count[k](r) : rag_int_count[0](r);

      CHECK(off[r + 1] - off[r] == c, "%s: run %" PetscInt_FMT " has %" PetscInt64_FMT " values, expected %" PetscInt_FMT, op, r, off[r + 1] - off[r], c);
      n += c;
    }
    PetscCall(PetscSNPrintf(attr, sizeof(attr), "/%s", op));
    PetscCall(CheckAttr(f, p, "offsets", attr));
    PetscCall(CheckAttr(f, op, "units", ""));
    if (k < 2) PetscCall(ReadDset(f, p, H5T_IEEE_F64LE, (hsize_t)n, rv));
    else PetscCall(ReadDset(f, p, H5T_STD_I64LE, (hsize_t)n, iv));
    for (PetscInt r = 0; r < NRUNS; r++)
      for (PetscInt64 j = 0; j < off[r + 1] - off[r]; j++) {
        if (k < 2) CHECK(SameReal(rv[off[r] + j], r == FAILED_RUN ? nan : ValReal(10 + k, r, j)), "%s run %" PetscInt_FMT "[%" PetscInt64_FMT "] = %g", p, r, j, rv[off[r] + j]);
        else CHECK(iv[off[r] + j] == (r == FAILED_RUN ? -1 : ValInt(20, r, j)), "%s run %" PetscInt_FMT "[%" PetscInt64_FMT "] = %" PetscInt64_FMT, p, r, j, iv[off[r] + j]);
      }
  }
  PetscCall(CheckAttr(f, "runs/theta", "description", "ragged real"));
  PetscCall(CheckAttr(f, "runs/theta", "units", "s"));
  PetscCall(CheckAttr(f, "runs/final_x", "units", "m"));
  PetscCall(CheckAttr(f, "runs/final_x", "description", "final position"));
  PetscCall(CheckAttr(f, "runs/n_iter", "units", ""));
  PetscCall(CheckAttr(f, "spectra/final/nn/full/n_neg", "units", "count"));
  PetscCall(CheckAttr(f, "runs/status", "units", ""));
  /* constants */
  PetscCall(ReadDset(f, "axes/t", H5T_IEEE_F64LE, 4, rv));
  for (int i = 0; i < 4; i++) CHECK(rv[i] == axis_t[i], "axes/t[%d] = %g", i, rv[i]);
  PetscCall(ReadDset(f, "axes/ids", H5T_STD_I64LE, 3, iv));
  for (int i = 0; i < 3; i++) CHECK(iv[i] == axis_ids[i], "axes/ids[%d] = %" PetscInt64_FMT, i, iv[i]);
  PetscCall(ReadDset(f, "axes/empty", H5T_IEEE_F64LE, 0, rv));
  PetscCall(CheckAttr(f, "axes/empty", "description", "empty axis"));
  H5OK(H5Tset_size(str, 5));
  PetscCall(ReadDset(f, "data/names", str, 3, sbuf));
  for (int i = 0; i < 3; i++) CHECK(!strncmp(sbuf + 5 * i, names[i], 5) && (strlen(names[i]) == 5 || sbuf[5 * i + strlen(names[i])] == 0), "data/names[%d] differs", i);
  H5OK(H5Tclose(str));
  H5OK(H5Tclose(st8));
  H5OK(H5Dclose(runid));
  H5OK(H5Fclose(f));
  PetscFunctionReturn(0);
}

/* ---- modes ------------------------------------------------------------------------------------------------- */

static PetscErrorCode Roundtrip(const char dir[], const char tag[])
{
  char                     file[PETSC_MAX_PATH_LEN];
  PetscMPIInt              rank, size;
  SLOutput                 out;
  PetscBool                resumed, want[NRUNS];
  const PetscInt          *st;
  static const char *const an1[] = {"complete"}, *const av1[] = {"no"};
  static const char *const an2[] = {"complete", "end_time"}, *const av2[] = {"yes", "2024-01-01T00:00:00"};

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s/out_%s_np%d.h5", dir, tag, size));
  PetscCall(RemoveFile(file));
  /* session 1: runs 0..7, then "crash" (close without completing) */
  PetscCall(OpenStd(file, FP, "std", &out, &resumed));
  CHECK(!resumed, "new file reported as resumed");
  PetscCall(SLOutputGetStatus(out, &st));
  for (PetscInt r = 0; r < NRUNS; r++) CHECK(st[r] == SL_RUN_PENDING, "new file: run %" PetscInt_FMT " not pending", r);
  for (PetscInt r = 0; r < NRUNS; r++) want[r] = (PetscBool)(r <= SPLIT_RUN);
  PetscCall(WriteRuns(out, want));
  PetscCall(SLOutputClose(out, 1, an1, av1));
  PetscCall(SLOutputDestroy(&out));
  /* session 2: resume with the same fingerprint, the status says which runs remain */
  PetscCall(OpenStd(file, FP, "std", &out, &resumed));
  CHECK(resumed, "existing file not resumed");
  PetscCall(SLOutputGetStatus(out, &st));
  for (PetscInt r = 0; r < NRUNS; r++) CHECK(st[r] == (r <= SPLIT_RUN ? (PetscInt)ExpectedStatus(r) : SL_RUN_PENDING), "resumed: run %" PetscInt_FMT " has status %" PetscInt_FMT, r, st[r]);
  for (PetscInt r = 0; r < NRUNS; r++) want[r] = PETSC_TRUE;
  PetscCall(WriteRuns(out, want)); /* only the pending ones */
  PetscCall(SLOutputClose(out, 2, an2, av2));
  PetscCall(SLOutputDestroy(&out));
  if (rank == 0) {
    hid_t f;

    PetscCall(VerifyFile(file));
    H5OK(f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT));
    PetscCall(CheckAttr(f, "/", "end_time", "2024-01-01T00:00:00"));
    H5OK(H5Fclose(f));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "roundtrip %s on %d ranks: ok\n", file, size));
  PetscFunctionReturn(0);
}

typedef struct {
  char  *names[64];
  size_t n;
} DsetNames;

static herr_t CollectDset(hid_t loc, const char *name, const H5O_info_t *info, void *ctx)
{
  DsetNames *d = (DsetNames *)ctx;

  (void)loc;
  if (info->type == H5O_TYPE_DATASET && d->n < 64) d->names[d->n++] = strdup(name);
  return 0;
}

/* Every dataset of a and b: same set, same type, same bytes. */
static PetscErrorCode CompareFiles(const char a[], const char b[])
{
  hid_t     fa, fb;
  DsetNames da = {{NULL}, 0}, db = {{NULL}, 0};

  PetscFunctionBeginUser;
  H5OK(fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT));
  H5OK(fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT));
  H5OK(H5Ovisit(fa, H5_INDEX_NAME, H5_ITER_INC, CollectDset, &da));
  H5OK(H5Ovisit(fb, H5_INDEX_NAME, H5_ITER_INC, CollectDset, &db));
  CHECK(da.n == db.n && da.n > 10, "%s has %zu datasets, %s has %zu", a, da.n, b, db.n);
  for (size_t i = 0; i < da.n; i++) {
    hid_t    d1, d2, t1, t2, s1, s2;
    hssize_t n1, n2;
    size_t   sz;
    char    *b1, *b2;

    CHECK(!strcmp(da.names[i], db.names[i]), "dataset %s vs %s", da.names[i], db.names[i]);
    H5OK(d1 = H5Dopen2(fa, da.names[i], H5P_DEFAULT));
    H5OK(d2 = H5Dopen2(fb, db.names[i], H5P_DEFAULT));
    H5OK(t1 = H5Dget_type(d1));
    H5OK(t2 = H5Dget_type(d2));
    CHECK(H5Tequal(t1, t2) > 0, "%s: types differ", da.names[i]);
    H5OK(s1 = H5Dget_space(d1));
    H5OK(s2 = H5Dget_space(d2));
    n1 = H5Sget_simple_extent_npoints(s1);
    n2 = H5Sget_simple_extent_npoints(s2);
    CHECK(n1 == n2, "%s: sizes differ", da.names[i]);
    sz = H5Tget_size(t1) * (size_t)n1;
    PetscCall(PetscCalloc2(sz + 1, &b1, sz + 1, &b2));
    if (n1) {
      H5OK(H5Dread(d1, t1, H5S_ALL, H5S_ALL, H5P_DEFAULT, b1));
      H5OK(H5Dread(d2, t2, H5S_ALL, H5S_ALL, H5P_DEFAULT, b2));
    }
    CHECK(!memcmp(b1, b2, sz), "dataset /%s differs between %s and %s", da.names[i], a, b);
    PetscCall(PetscFree2(b1, b2));
    H5OK(H5Sclose(s1));
    H5OK(H5Sclose(s2));
    H5OK(H5Tclose(t1));
    H5OK(H5Tclose(t2));
    H5OK(H5Dclose(d1));
    H5OK(H5Dclose(d2));
  }
  for (size_t i = 0; i < da.n; i++) free(da.names[i]);
  for (size_t i = 0; i < db.n; i++) free(db.names[i]);
  H5OK(H5Fclose(fa));
  H5OK(H5Fclose(fb));
  PetscFunctionReturn(0);
}

/* Slice files a (even runs) and b (odd runs) of study fp (b's fingerprint fpb, layout variant vb). */
static PetscErrorCode MakeSlices(const char dir[], const char tag[], const char fpb[], const char vb[], char a[], char b[])
{
  PetscBool   want[NRUNS];
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(a, PETSC_MAX_PATH_LEN, "%s/%s_a_np%d.h5", dir, tag, size));
  PetscCall(PetscSNPrintf(b, PETSC_MAX_PATH_LEN, "%s/%s_b_np%d.h5", dir, tag, size));
  for (PetscInt r = 0; r < NRUNS; r++) want[r] = (PetscBool)(r % 2 == 0);
  PetscCall(WriteFile(a, FP, "std", want));
  for (PetscInt r = 0; r < NRUNS; r++) want[r] = (PetscBool)(r % 2 == 1);
  PetscCall(WriteFile(b, fpb, vb, want));
  PetscFunctionReturn(0);
}

static PetscErrorCode Merge(const char dir[], const char tag[])
{
  char        one[PETSC_MAX_PATH_LEN], a[PETSC_MAX_PATH_LEN], b[PETSC_MAX_PATH_LEN], m[PETSC_MAX_PATH_LEN], m1[PETSC_MAX_PATH_LEN];
  PetscBool   want[NRUNS];
  PetscMPIInt rank, size;
  const char *in[2];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(one, sizeof(one), "%s/%s_one_np%d.h5", dir, tag, size));
  PetscCall(PetscSNPrintf(m, sizeof(m), "%s/%s_merged_np%d.h5", dir, tag, size));
  PetscCall(PetscSNPrintf(m1, sizeof(m1), "%s/%s_partial_np%d.h5", dir, tag, size));
  for (PetscInt r = 0; r < NRUNS; r++) want[r] = PETSC_TRUE;
  PetscCall(WriteFile(one, FP, "std", want));
  PetscCall(MakeSlices(dir, tag, FP, "std", a, b));
  PetscCall(RemoveFile(m));
  PetscCall(RemoveFile(m1));
  in[0] = b; /* the first input gives the structure: take the odd slice to make the merge do real work */
  in[1] = a;
  PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 2, in, PETSC_FALSE));
  PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m1, 1, in + 1, PETSC_TRUE));
  if (rank == 0) {
    hid_t       f, d, runid, st8;
    signed char sv[NRUNS];
    char        mf[2][PETSC_MAX_PATH_LEN];
    size_t      w;

    PetscCall(CompareFiles(one, m));
    PetscCall(VerifyFile(m));
    /* merged_from lists the inputs; the scales survive */
    H5OK(f = H5Fopen(m, H5F_ACC_RDONLY, H5P_DEFAULT));
    H5OK(d = H5Aopen(f, "merged_from", H5P_DEFAULT));
    H5OK(st8 = H5Aget_type(d));
    w = H5Tget_size(st8);
    CHECK(w < PETSC_MAX_PATH_LEN, "merged_from too wide");
    {
      char buf[2 * PETSC_MAX_PATH_LEN] = "";

      H5OK(H5Aread(d, st8, buf));
      for (int k = 0; k < 2; k++) {
        memset(mf[k], 0, sizeof(mf[k]));
        memcpy(mf[k], buf + k * w, w);
        CHECK(!strcmp(mf[k], in[k]), "merged_from[%d] = %s, expected %s", k, mf[k], in[k]);
      }
    }
    H5OK(H5Tclose(st8));
    H5OK(H5Aclose(d));
    H5OK(runid = H5Dopen2(f, "runs/run_id", H5P_DEFAULT));
    PetscCall(CheckScale(f, "spectra/final/nn/full/n_neg", runid));
    PetscCall(CheckScale(f, "runs/final_x", runid));
    H5OK(H5Dclose(runid));
    H5OK(H5Fclose(f));
    /* the allow_missing merge of the even slice alone: odd runs pending, the rest equals slice a */
    PetscCall(CompareFiles(a, m1));
    H5OK(f = H5Fopen(m1, H5F_ACC_RDONLY, H5P_DEFAULT));
    H5OK(st8 = H5Tcopy(H5T_STD_I8LE));
    PetscCall(ReadDset(f, "runs/status", st8, NRUNS, sv));
    for (PetscInt r = 0; r < NRUNS; r++) CHECK(sv[r] == (r % 2 ? SL_RUN_PENDING : (signed char)ExpectedStatus(r)), "partial merge: status[%" PetscInt_FMT "] = %d", r, sv[r]);
    H5OK(H5Tclose(st8));
    H5OK(H5Fclose(f));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "merge %s on %d ranks: ok\n", m, size));
  PetscFunctionReturn(0);
}

/* Merges that must be refused (the program then exits with the error). */
static PetscErrorCode MergeError(const char mode[], const char dir[])
{
  char        a[PETSC_MAX_PATH_LEN], b[PETSC_MAX_PATH_LEN], m[PETSC_MAX_PATH_LEN];
  const char *in[2];
  PetscBool   flg;
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(m, sizeof(m), "%s/%s_out_np%d.h5", dir, mode, size));
  PetscCall(RemoveFile(m));
  in[0] = a;
  in[1] = b;
  PetscCall(PetscStrcmp(mode, "merge-dup", &flg));
  if (flg) {
    PetscBool want[NRUNS];

    PetscCall(MakeSlices(dir, mode, FP, "std", a, b));
    for (PetscInt r = 0; r < NRUNS; r++) want[r] = (PetscBool)(r % 2 == 1 || r == 6); /* run 6 also in a */
    PetscCall(WriteFile(b, FP, "std", want));
    PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 2, in, PETSC_FALSE));
  }
  PetscCall(PetscStrcmp(mode, "merge-missing", &flg));
  if (flg) {
    PetscCall(MakeSlices(dir, mode, FP, "std", a, b));
    PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 1, in, PETSC_FALSE));
  }
  PetscCall(PetscStrcmp(mode, "merge-fingerprint", &flg));
  if (flg) {
    PetscCall(MakeSlices(dir, mode, "fp-another-study", "std", a, b));
    PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 2, in, PETSC_FALSE));
  }
  PetscCall(PetscStrcmp(mode, "merge-layout", &flg));
  if (flg) {
    PetscCall(MakeSlices(dir, mode, FP, "extra", a, b));
    PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 2, in, PETSC_FALSE));
  }
  PetscCall(PetscStrcmp(mode, "merge-exists", &flg));
  if (flg) {
    PetscCall(MakeSlices(dir, mode, FP, "std", a, b));
    PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 2, in, PETSC_FALSE));
    PetscCall(SLOutputMerge(PETSC_COMM_WORLD, m, 2, in, PETSC_FALSE)); /* again: m exists now */
  }
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_PLIB, "merge error case %s: the merge was not refused", mode);
}

/* Create (or resume) file with a layout variant, write nothing, close. */
static PetscErrorCode OpenOnly(const char file[], const char fp[], const char variant[])
{
  SLOutput  out;
  PetscBool resumed;

  PetscFunctionBeginUser;
  PetscCall(OpenStd(file, fp, variant, &out, &resumed));
  PetscCall(SLOutputClose(out, 0, NULL, NULL));
  PetscCall(SLOutputDestroy(&out));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s %s\n", resumed ? "resumed" : "created", file));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscBool flg;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCheck(argc >= 3, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "usage: %s <mode> <dir|file> [...]", argv[0]);
  PetscCall(PetscStrcmp(argv[1], "roundtrip", &flg));
  if (flg) PetscCall(Roundtrip(argv[2], argc > 3 ? argv[3] : "rt"));
  PetscCall(PetscStrcmp(argv[1], "merge", &flg));
  if (flg) PetscCall(Merge(argv[2], argc > 3 ? argv[3] : "m"));
  PetscCall(PetscStrbeginswith(argv[1], "merge-", &flg));
  if (flg) PetscCall(MergeError(argv[1], argv[2]));
  PetscCall(PetscStrcmp(argv[1], "open", &flg));
  if (flg) {
    PetscCheck(argc >= 5, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "usage: %s open <file> <fingerprint> <variant>", argv[0]);
    PetscCall(OpenOnly(argv[2], argv[3], argv[4]));
  }
  PetscCall(PetscStrcmp(argv[1], "fsize", &flg));
  if (flg) { /* writes past 256 kB fail with EFBIG instead of killing the process */
    struct rlimit rl = {256 * 1024, 256 * 1024};

    signal(SIGXFSZ, SIG_IGN);
    PetscCheck(setrlimit(RLIMIT_FSIZE, &rl) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "setrlimit failed");
    PetscCall(OpenOnly(argv[2], FP, "big"));
  }
  PetscCall(PetscFinalize());
  return 0;
}
