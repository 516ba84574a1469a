/* splinelens merge: slices of one grid (SLOutputMerge), or the union of studies with the same settings.
 *
 * Inputs with the same settings fingerprint (every result-affecting option except the axes widths, seeds, alphas,
 * schemes, data sets and the data sets' own options and points) but other axes are merged into the union grid; a
 * data set in several inputs must have the same fingerprint (/data/<name>@fingerprint) in each. Each union axis is the first input's
 * values followed by the values new in the next inputs, in order of appearance (so the first input decides the
 * order, and the merged file is what growing the first input would give); every input must list its values in the
 * same relative order as the union, as growing requires (else refused, exit 65, naming the axis).
 *
 * The union grid is laid out by the study itself, exactly as a run with the first input's stored options
 * (@study_options) and the union axes would lay it out: so its fingerprint is that of such a run, and the merged
 * file can be resumed with those options to compute the grid points done in no input. Every input is copied to a
 * temporary next to the output and grown there to the union grid (grow.c, output_grow.c: every done run copied into
 * the row of the same grid values, nothing computed: SLStudySetLayoutOnly); then the grown copies are merged as slices
 * of one grid (a run done in several inputs must have bitwise the same results, else refused naming the run), the
 * result renamed to the output at the very end, and the temporaries removed. The merge holds <out>.lock throughout
 * (SLOutputMergeLock), which also removes the temporaries of a merge into <out> killed before it could. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "study_impl.h"

/* A step whose failure becomes a verdict (code, message) broadcast from rank 0: PETSc's printing off meanwhile. */
#define SLUnionTry(ierr, ...) \
  do { \
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    ierr = (__VA_ARGS__); \
    PetscCall(PetscPopErrorHandler()); \
  } while (0)

static const char *SLUnionErrorText(PetscErrorCode ierr)
{
  char *specific = NULL;

  if (PetscErrorMessage(ierr, NULL, &specific) || !specific) return "unknown error";
  return specific;
}

static PetscErrorCode SLUnionVerdict(MPI_Comm comm, PetscErrorCode *code, char msg[], size_t len)
{
  int c = (int)*code;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(&c, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(msg, (PetscMPIInt)len, MPI_CHAR, 0, comm));
  *code = (PetscErrorCode)c;
  PetscCheck(!c, comm, *code, "%s", msg);
  PetscFunctionReturn(0);
}

#define SL_UNION_NAXES 5
#define SL_UNION_DATA  4 /* the data sets axis: keyed by the data sets' fingerprints */
static const char *const SLUnionAxisOption[SL_UNION_NAXES] = {"sl_widths", "sl_seeds", "sl_alphas", "sl_schemes", "sl_datasets"};
static const SLSchemaId  SLUnionAxisField[SL_UNION_NAXES]  = {SL_F_AXES_WIDTH, SL_F_AXES_SEED, SL_F_AXES_ALPHA, SL_F_AXES_SCHEME, SL_F_AXES_DATA};

/* Data set name of input file: its fingerprint and options text (/data/<name>@fingerprint, @options; NULL in files
 * written before per-data-set fingerprints). */
static PetscErrorCode SLUnionDataKey(const char file[], const char name[], char **fp, char **text)
{
  const SLSchemaKey key = {name, 0, SL_COORD_NN, SL_HESS_FULL};
  char              obj[PETSC_MAX_PATH_LEN];
  const char       *attr;

  PetscFunctionBeginUser;
  PetscCall(SLSchemaAttribute(SL_F_DATA_ATTR_FINGERPRINT, &key, obj, sizeof(obj), &attr));
  PetscCall(SLOutputReadAttrText(file, obj, attr, fp));
  PetscCall(SLSchemaAttribute(SL_F_DATA_ATTR_OPTIONS, &key, obj, sizeof(obj), &attr));
  PetscCall(SLOutputReadAttrText(file, obj, attr, text));
  PetscFunctionReturn(0);
}

/* The items of a comma list (in place: commas become NULs): *n items, pointers into csv. */
static PetscErrorCode SLSplit(char *csv, PetscInt *n, char ***items)
{
  PetscInt m = 1;

  PetscFunctionBeginUser;
  for (char *p = csv; *p; p++) m += *p == ',';
  PetscCall(PetscMalloc1(m, items));
  *n = 0;
  if (!*csv) PetscFunctionReturn(0);
  for (char *p = csv;; p++) {
    char *e          = strchr(p, ',');
    (*items)[(*n)++] = p;
    if (!e) break;
    *e = 0;
    p  = e;
  }
  PetscFunctionReturn(0);
}

/* Position of t among the n items, -1 if absent. */
static PetscInt SLIndex(PetscInt n, char *const items[], const char *t)
{
  for (PetscInt i = 0; i < n; i++)
    if (!strcmp(items[i], t)) return i;
  return -1;
}

/* Append "t" to the growing text *s of capacity *cap (amortized doubling). */
static PetscErrorCode SLAppend(char **s, size_t *len, size_t *cap, const char *t)
{
  size_t l = strlen(t);

  PetscFunctionBeginUser;
  if (*len + l + 1 > *cap) {
    *cap = 2 * (*len + l + 1);
    PetscCall(PetscRealloc(*cap, s));
  }
  memcpy(*s + *len, t, l + 1);
  *len += l;
  PetscFunctionReturn(0);
}

/* Rank 0: the union axes and the options text of the union study ("name=value" lines). A data set new in a later
 * input brings its options (its @options lines) into the text and into the printed axes; a data set in several
 * inputs must have the same fingerprint in each (else refused naming it). */
static PetscErrorCode SLUnionOptions(PetscInt nin, const char *const infiles[], char *options[], char **text, char **axes, PetscErrorCode *code, char msg[], size_t mlen)
{
  char     *uni[SL_UNION_NAXES] = {NULL}, *first[SL_UNION_NAXES] = {NULL}, *lines = NULL, *save = NULL, *copy = NULL, *extra = NULL, *extraopt = NULL;
  PetscBool grows[SL_UNION_NAXES];
  size_t    ul[SL_UNION_NAXES] = {0}, ucap[SL_UNION_NAXES] = {0}, ll = 0, lcap = 0, al = 0, acap = 0, el = 0, ecap = 0, xl = 0, xcap = 0;

  PetscFunctionBeginUser;
  *code = 0;
  *axes = NULL;
  for (int a = 0; a < SL_UNION_NAXES; a++) {
    char     path[PETSC_MAX_PATH_LEN];
    char   **uv = NULL, **ufp = NULL;
    PetscInt un = 0, umax = 0, *ufrom = NULL;

    PetscCall(SLSchemaPath(SLUnionAxisField[a], NULL, path, sizeof(path)));
    for (PetscInt k = 0; k < nin && !*code; k++) {
      char    *csv, *keep, **v;
      PetscInt n = 0, last = -1;

      PetscCall(SLOutputReadAxisText(infiles[k], path, &csv));
      if (k == 0) PetscCall(PetscStrallocpy(csv, &first[a]));
      PetscCall(PetscStrallocpy(csv, &keep)); /* for the message */
      PetscCall(SLSplit(csv, &n, &v));
      for (PetscInt i = 0; i < n && !*code; i++) { /* the union, in order of first appearance */
        PetscInt j  = SLIndex(un, uv, v[i]);
        char    *fp = NULL, *dtext = NULL;

        if (a == SL_UNION_DATA) PetscCall(SLUnionDataKey(infiles[k], v[i], &fp, &dtext));
        if (j >= 0) { /* a data set in two inputs: the same options and points */
          if (a == SL_UNION_DATA && (fp || ufp[j]) && (!fp || !ufp[j] || strcmp(fp, ufp[j]))) {
            char *t0 = NULL, *f0 = NULL, diff[800] = "";

            PetscCall(SLUnionDataKey(infiles[ufrom[j]], v[i], &f0, &t0));
            if (t0 && dtext) SLOutputOptionsDiff(t0, dtext, diff, sizeof(diff));
            *code = PETSC_ERR_FILE_UNEXPECTED;
            (void)snprintf(msg, mlen, "SLOutputMerge: data set %s differs between input files %s and %s (data/%s@fingerprint \"%s\" vs \"%s\"%s): a union may add data sets, never change one", v[i], infiles[ufrom[j]], infiles[k], v[i], ufp[j] ? ufp[j] : "(none)", fp ? fp : "(none)", diff);
            PetscCall(PetscFree(t0));
            PetscCall(PetscFree(f0));
          }
          PetscCall(PetscFree(fp));
          PetscCall(PetscFree(dtext));
          continue;
        }
        if (un == umax) {
          umax = 2 * umax + 16;
          PetscCall(PetscRealloc(sizeof(char *) * (size_t)umax, &uv));
          PetscCall(PetscRealloc(sizeof(char *) * (size_t)umax, &ufp));
          PetscCall(PetscRealloc(sizeof(PetscInt) * (size_t)umax, &ufrom));
        }
        ufp[un]   = fp;
        ufrom[un] = k;
        PetscCall(PetscStrallocpy(v[i], &uv[un++]));
        if (un > 1) PetscCall(SLAppend(&uni[a], &ul[a], &ucap[a], ","));
        PetscCall(SLAppend(&uni[a], &ul[a], &ucap[a], v[i]));
        if (k > 0 && dtext) { /* a new data set: its options, as option lines and as command-line options */
          char *c = NULL, *s2 = NULL;

          PetscCall(PetscStrallocpy(dtext, &c));
          for (char *line = strtok_r(c, "\n", &s2); line; line = strtok_r(NULL, "\n", &s2)) {
            char *eq = strchr(line, '=');

            if (strncmp(line, "sl_", 3)) continue; /* data_<name>_points=: not an option */
            PetscCall(SLAppend(&extra, &el, &ecap, line));
            PetscCall(SLAppend(&extra, &el, &ecap, "\n"));
            if (eq) *eq = 0;
            PetscCall(SLAppend(&extraopt, &xl, &xcap, " -"));
            PetscCall(SLAppend(&extraopt, &xl, &xcap, line));
            if (eq && eq[1]) {
              PetscCall(SLAppend(&extraopt, &xl, &xcap, " "));
              PetscCall(SLAppend(&extraopt, &xl, &xcap, eq + 1));
            }
          }
          PetscCall(PetscFree(c));
        }
        PetscCall(PetscFree(dtext));
      }
      for (PetscInt i = 0; i < n && !*code; i++) { /* the same relative order */
        PetscInt j = SLIndex(un, uv, v[i]);
        if (j <= last) {
          *code = PETSC_ERR_FILE_UNEXPECTED;
          (void)snprintf(msg, mlen, "SLOutputMerge: input file %s has the values of %.100s (-%s %.300s) in another order than the union -%s %.300s (the first input's values, then the new ones in order of appearance): put that input first or rerun it with the order of the union", infiles[k], path, SLUnionAxisOption[a], keep, SLUnionAxisOption[a], uni[a]); /* truncated if long */
        }
        last = j;
      }
      PetscCall(PetscFree(v));
      PetscCall(PetscFree(csv));
      PetscCall(PetscFree(keep));
    }
    for (PetscInt i = 0; i < un; i++) {
      PetscCall(PetscFree(uv[i]));
      PetscCall(PetscFree(ufp[i]));
    }
    PetscCall(PetscFree(uv));
    PetscCall(PetscFree(ufp));
    PetscCall(PetscFree(ufrom));
    if (*code) goto done;
  }
  for (int a = 0; a < SL_UNION_NAXES; a++) grows[a] = (PetscBool)(strcmp(uni[a], first[a]) != 0);
  /* the first input's options, the axes the union changes replaced (an unchanged axis keeps the first input's
   * text, or its absence: the same canonical text, the same fingerprint as the first input's command) */
  PetscCall(PetscStrallocpy(options[0], &copy));
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    PetscBool skip = (PetscBool)(strncmp(line, "sl_", 3) != 0); /* splinelens_format=, data_<name>_points=: not options */

    for (int a = 0; a < SL_UNION_NAXES; a++) {
      size_t l = strlen(SLUnionAxisOption[a]);
      if (!strncmp(line, SLUnionAxisOption[a], l) && line[l] == '=' && grows[a]) skip = PETSC_TRUE;
    }
    if (skip) continue;
    PetscCall(SLAppend(&lines, &ll, &lcap, line));
    PetscCall(SLAppend(&lines, &ll, &lcap, "\n"));
  }
  if (extra) PetscCall(SLAppend(&lines, &ll, &lcap, extra));
  for (int a = 0; a < SL_UNION_NAXES; a++) {
    if (a) PetscCall(SLAppend(axes, &al, &acap, " "));
    PetscCall(SLAppend(axes, &al, &acap, "-"));
    PetscCall(SLAppend(axes, &al, &acap, SLUnionAxisOption[a]));
    PetscCall(SLAppend(axes, &al, &acap, " "));
    PetscCall(SLAppend(axes, &al, &acap, uni[a]));
    if (!grows[a]) continue;
    PetscCall(SLAppend(&lines, &ll, &lcap, SLUnionAxisOption[a]));
    PetscCall(SLAppend(&lines, &ll, &lcap, "="));
    PetscCall(SLAppend(&lines, &ll, &lcap, uni[a]));
    PetscCall(SLAppend(&lines, &ll, &lcap, "\n"));
  }
  if (extraopt) PetscCall(SLAppend(axes, &al, &acap, extraopt));
  PetscCall(PetscFree(copy));
  if (!lines) PetscCall(SLAppend(&lines, &ll, &lcap, ""));
  *text = lines;
  lines = NULL;
done:
  for (int a = 0; a < SL_UNION_NAXES; a++) {
    PetscCall(PetscFree(uni[a]));
    PetscCall(PetscFree(first[a]));
  }
  PetscCall(PetscFree(lines));
  PetscCall(PetscFree(extra));
  PetscCall(PetscFree(extraopt));
  PetscFunctionReturn(0);
}

/* Grow the copy tmp of an input to the union grid: the study of the options text, output tmp, nothing computed. */
static PetscErrorCode SLUnionGrow(MPI_Comm comm, const char text[], const char tmp[])
{
  PetscOptions opt;
  SLStudy      s = NULL;
  PetscBool    interrupted;
  char        *copy, *save = NULL;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&opt));
  PetscCall(PetscOptionsPush(opt));
  PetscCall(PetscStrallocpy(text, &copy));
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char   name[256], *eq = strchr(line, '=');
    size_t l = eq ? (size_t)(eq - line) : strlen(line);

    PetscCheck(l + 2 < sizeof(name), comm, PETSC_ERR_FILE_UNEXPECTED, "SLOutputMerge: option name %s in study_options is too long", line);
    name[0] = '-';
    memcpy(name + 1, line, l);
    name[l + 1] = 0;
    PetscCall(PetscOptionsSetValue(NULL, name, eq && eq[1] ? eq + 1 : NULL));
  }
  PetscCall(PetscFree(copy));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_output", tmp));
  PetscCall(SLStudyCreate(comm, &s));
  PetscCall(SLStudySetFromOptions(s));
  PetscCall(SLStudySetUp(s));
  PetscCall(SLStudySetLayoutOnly(s, PETSC_TRUE));
  PetscCall(SLStudyRun(s, &interrupted));
  PetscCall(SLStudyDestroy(&s));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&opt));
  PetscFunctionReturn(0);
}

/* The union of inputs of other grids (collective). tmps[k] receive the names of the temporaries (rank 0). */
static PetscErrorCode SLUnionMerge(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], char *options[], char *tmps[], PetscInt *ntmp)
{
  PetscMPIInt    rank;
  PetscErrorCode code      = 0;
  char           msg[1024] = "", *axes = NULL, *text = NULL;
  PetscInt       len[2] = {0, 0};

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscErrorCode ierr;

    SLUnionTry(ierr, SLUnionOptions(nin, infiles, options, &text, &axes, &code, msg, sizeof(msg)));
    if (ierr) {
      code = PETSC_ERR_FILE_UNEXPECTED;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutputMerge: reading the axes of the inputs failed: %s", SLUnionErrorText(ierr)));
    }
    if (!code) {
      len[0] = (PetscInt)strlen(text) + 1;
      len[1] = (PetscInt)strlen(axes) + 1;
    }
  }
  PetscCall(SLUnionVerdict(comm, &code, msg, sizeof(msg)));
  PetscCallMPI(MPI_Bcast(len, 2, MPIU_INT, 0, comm));
  if (rank) PetscCall(PetscMalloc2(len[0], &text, len[1], &axes));
  PetscCallMPI(MPI_Bcast(text, (PetscMPIInt)len[0], MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(axes, (PetscMPIInt)len[1], MPI_CHAR, 0, comm));
  PetscCall(PetscPrintf(comm, "[splinelens] union of %" PetscInt_FMT " studies of other grids: %s\n", nin, axes));
  for (PetscInt k = 0; k < nin; k++) {
    char tmp[PETSC_MAX_PATH_LEN] = "";

    if (rank == 0) { /* a copy of input k next to the output, created exclusively */
      int fd;

      PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.union-XXXXXX", outfile));
      fd = mkstemp(tmp);
      if (fd < 0) {
        code = errno == ENOSPC ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutputMerge: cannot create a temporary file next to %s: %s", outfile, strerror(errno)));
      } else {
        PetscErrorCode ierr;

        (void)close(fd);
        PetscCall(PetscStrallocpy(tmp, &tmps[(*ntmp)++]));
        SLUnionTry(ierr, SLOutputCopyFile(infiles[k], tmp));
        if (ierr) {
          code = ierr == PETSC_ERR_FILE_READ ? ierr : PETSC_ERR_FILE_WRITE;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "SLOutputMerge: copying %s failed: %s", infiles[k], SLUnionErrorText(ierr)));
        }
      }
    }
    PetscCall(SLUnionVerdict(comm, &code, msg, sizeof(msg)));
    PetscCallMPI(MPI_Bcast(tmp, (PetscMPIInt)sizeof(tmp), MPI_CHAR, 0, comm));
    PetscCall(SLUnionGrow(comm, text, tmp));
  }
  if (rank) PetscCall(PetscFree2(text, axes));
  else {
    PetscCall(PetscFree(text));
    PetscCall(PetscFree(axes));
  }
  {
    const char **files;

    PetscCall(PetscMalloc1(nin, &files));
    for (PetscInt k = 0; k < nin; k++) files[k] = rank == 0 ? tmps[k] : infiles[k]; /* only rank 0 reads them */
    PetscCall(SLOutputMergeFiles(comm, outfile, nin, files, infiles, PETSC_TRUE, PETSC_TRUE));
    PetscCall(PetscFree(files));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyMerge(MPI_Comm comm, const char outfile[], PetscInt nin, const char *const infiles[], PetscBool allow_missing)
{
  PetscBool      same;
  char         **options, **tmps;
  PetscInt       ntmp = 0;
  PetscMPIInt    rank;
  PetscErrorCode ierr;
  int            lockfd = -1;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscCalloc1(nin, &options));
  PetscCall(PetscCalloc1(nin, &tmps));
  ierr = SLOutputMergeProbe(comm, outfile, nin, infiles, &same, options);
  if (!ierr) ierr = SLOutputMergeLock(comm, outfile, &lockfd); /* one merge into outfile; a killed one's temporaries removed */
  if (!ierr) {
    if (same) ierr = SLOutputMerge(comm, outfile, nin, infiles, allow_missing);
    else ierr = SLUnionMerge(comm, outfile, nin, infiles, options, tmps, &ntmp);
  }
  for (PetscInt k = 0; k < ntmp; k++) { /* the grown copies, and the lock files of their growing */
    char lock[PETSC_MAX_PATH_LEN];

    (void)unlink(tmps[k]);
    (void)PetscSNPrintf(lock, sizeof(lock), "%s.lock", tmps[k]);
    (void)unlink(lock);
    (void)PetscFree(tmps[k]);
  }
  (void)SLOutputMergeUnlock(outfile, &lockfd);
  for (PetscInt k = 0; k < nin; k++) (void)PetscFree(options[k]);
  (void)PetscFree(options);
  (void)PetscFree(tmps);
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
