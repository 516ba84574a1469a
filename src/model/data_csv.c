/* Strict CSV loader for data sets (data.h).
 *
 * Format: one "x,y" pair per line; whitespace around fields allowed; '#' starts a comment (to the end of the
 * line); blank lines ignored; the first non-comment line may be a header, recognised by none of its fields
 * being a number. Every other line must hold exactly two finite numbers and the x must be distinct: anything
 * else stops with an error naming file:line, because a silently skipped row changes the problem being studied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <splinelens/data.h>
#include "model_impl.h"

/* Read the whole file into a NUL-terminated buffer (works for pipes too: no seeking). */
static PetscErrorCode SLReadFile(const char file[], const char name[], char **text, size_t *len)
{
  FILE  *fp;
  size_t cap = 4096, n = 0, got;
  char  *buf;

  PetscFunctionBeginUser;
  fp = fopen(file, "rb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot open data file '%s' of data set '%s' (%s)", file, name, strerror(errno));
  PetscCall(PetscMalloc1(cap, &buf));
  while ((got = fread(buf + n, 1, cap - 1 - n, fp)) > 0) {
    n += got;
    if (n == cap - 1) {
      cap *= 2;
      PetscCall(PetscRealloc(cap, &buf));
    }
  }
  PetscCheck(!ferror(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "Error reading data file '%s'", file);
  fclose(fp);
  buf[n] = '\0';
  *text  = buf;
  *len   = n;
  PetscFunctionReturn(0);
}

static int SLIsSpace(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim s in place (returns the start of the trimmed text). */
static char *SLTrim(char *s)
{
  char *e;

  while (*s && SLIsSpace(*s)) s++;
  e = s + strlen(s);
  while (e > s && SLIsSpace(e[-1])) *--e = '\0';
  return s;
}

/* Parse a whole field as a number (strtod syntax: also accepts nan/inf, which the caller refuses). */
static PetscBool SLParseNumber(const char *s, PetscReal *v)
{
  char  *end;
  double d;

  if (!*s) return PETSC_FALSE;
  errno = 0;
  d     = strtod(s, &end);
  if (end == s || *end) return PETSC_FALSE;
  *v = (PetscReal)d; /* overflow gives +-HUGE_VAL = Inf: refused as not finite */
  return PETSC_TRUE;
}

PetscErrorCode SLDataLoadCSV(SLData data, const char file[])
{
  char        *text   = NULL, *line, *next;
  size_t       len    = 0;
  PetscInt     lineno = 0, n = 0, cap = 64;
  PetscBool    first = PETSC_TRUE;
  SLDataPoint *pts;

  PetscFunctionBeginUser;
  PetscCheck(file && file[0], PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Data set '%s': no CSV file given (-sl_data_%s_file)", data->name, data->name);
  PetscCall(SLReadFile(file, data->name, &text, &len));
  PetscCall(PetscMalloc1(cap, &pts));
  for (line = text; line; line = next) {
    char     *field[2], *comma, *hash;
    PetscInt  nf = 1;
    PetscReal val[2];
    PetscBool num[2];

    if (line == text + len && (lineno > 0 || len == 0)) break; /* past the final newline: not a line */
    lineno++;
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    else PetscCheck(line + strlen(line) == text + len, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%" PetscInt_FMT ": NUL byte in a text file", file, lineno);
    if (lineno == 1 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF) line += 3; /* UTF-8 byte order mark */
    hash = strchr(line, '#');
    if (hash) *hash = '\0';
    line = SLTrim(line);
    if (!*line) continue;
    for (comma = strchr(line, ','); comma; comma = strchr(comma + 1, ',')) nf++;
    PetscCheck(nf == 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%" PetscInt_FMT ": expected 2 comma-separated fields (x,y), found %" PetscInt_FMT, file, lineno, nf);
    comma    = strchr(line, ',');
    *comma   = '\0';
    field[0] = SLTrim(line);
    field[1] = SLTrim(comma + 1);
    num[0]   = SLParseNumber(field[0], &val[0]);
    num[1]   = SLParseNumber(field[1], &val[1]);
    if (first && !num[0] && !num[1]) { /* header line */
      first = PETSC_FALSE;
      continue;
    }
    first = PETSC_FALSE;
    for (int k = 0; k < 2; k++) {
      PetscCheck(num[k], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%" PetscInt_FMT ": field %d (%s) '%.40s' is not a number", file, lineno, k + 1, k ? "y" : "x", field[k]);
      PetscCheck(!PetscIsInfOrNanReal(val[k]), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%" PetscInt_FMT ": field %d (%s) '%.40s' is not finite (NaN and Inf are refused)", file, lineno, k + 1, k ? "y" : "x", field[k]);
    }
    if (n == cap) {
      cap *= 2;
      PetscCall(PetscRealloc((size_t)cap * sizeof(SLDataPoint), &pts));
    }
    pts[n].x   = val[0];
    pts[n].y   = val[1];
    pts[n].tag = lineno;
    n++;
  }
  PetscCall(PetscFree(text));
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no data rows in %" PetscInt_FMT " lines (the file is empty or has only a header, comments and blank lines)", file, lineno);
  PetscCall(SLDataSortPoints(n, pts));
  for (PetscInt i = 1; i < n; i++)
    PetscCheck(pts[i].x != pts[i - 1].x, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%" PetscInt_FMT ": duplicate x = %.17g (also on line %" PetscInt_FMT "); x must be distinct", file, pts[i].tag, (double)pts[i].x, pts[i - 1].tag);
  PetscCall(SLDataStorePoints(data, n, pts));
  PetscCall(PetscFree(pts));
  data->type = SL_DATA_CSV;
  if (file != data->file) PetscCall(PetscStrncpy(data->file, file, sizeof(data->file)));
  PetscFunctionReturn(0);
}
