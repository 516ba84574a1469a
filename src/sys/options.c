/* Enum values given as strings (options, list options): one lookup with a clear error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <petscsys.h>
#include <splinelens/sys.h>

PetscErrorCode SLEnumFind(MPI_Comm comm, const char option[], const char *const list[], const char value[], PetscInt *idx)
{
  char      valid[1024] = "";
  PetscBool found;
  PetscEnum e;
  PetscInt  n = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscEnumFind(list, value, &e, &found)); /* case-insensitive, as PetscOptionsEnum */
  if (found) {
    *idx = (PetscInt)e;
    PetscFunctionReturn(0);
  }
  while (list[n]) n++;
  /* the last three entries of a PETSc enum list are the type name, the value prefix and NULL */
  for (PetscInt i = 0; i < n - 2; i++) {
    if (i) PetscCall(PetscStrlcat(valid, ", ", sizeof(valid)));
    PetscCall(PetscStrlcat(valid, list[i], sizeof(valid)));
  }
  SETERRQ(comm, PETSC_ERR_USER, "Unknown value '%s' for %s; valid values: %s", value, option, valid);
}

PetscErrorCode SLOptionsCheckEnum(const char prefix[], const char name[], const char *const list[])
{
  char      value[256], option[256];
  PetscBool set;
  PetscInt  idx;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, prefix, name, value, sizeof(value), &set));
  if (!set) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(option, sizeof(option), "-%s%s", prefix ? prefix : "", name + 1));
  PetscCall(SLEnumFind(PETSC_COMM_SELF, option, list, value, &idx));
  PetscFunctionReturn(0);
}

/* ---- 64-bit integer options and axis lists ---- */

/* "-<prefix><name+1>": the option as the user wrote it (messages). */
static void SLOptionName(PetscOptionItems *obj, const char opt[], char buf[], size_t len)
{
  (void)PetscSNPrintf(buf, len, "-%s%s", obj && obj->prefix ? obj->prefix : "", opt + 1);
}

/* Print one -help line in PETSc's format, once per options block. */
static PetscErrorCode SLOptionsHelpLine(PetscOptionItems *obj, const char opt[], const char now[], const char text[], const char man[])
{
  PetscFunctionBeginUser;
  if (obj && obj->printhelp && obj->count == 1 && !obj->alreadyprinted) PetscCall((*PetscHelpPrintf)(obj->comm, "  -%s%s <now %s>: %s (%s)\n", obj->prefix ? obj->prefix : "", opt + 1, now, text, man ? man : "None"));
  PetscFunctionReturn(0);
}

/* Copy str without leading and trailing blanks into buf (an error naming option when it does not fit). */
static PetscErrorCode SLTrim(const char option[], const char str[], char buf[], size_t len)
{
  size_t n;

  PetscFunctionBeginUser;
  while (*str == ' ' || *str == '\t') str++;
  n = strlen(str);
  while (n > 0 && (str[n - 1] == ' ' || str[n - 1] == '\t')) n--;
  PetscCheck(n < len, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: value '%.40s...' is too long for an integer", option, str);
  memcpy(buf, str, n);
  buf[n] = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode SLParseInt64(const char option[], const char str[], PetscInt64 *value)
{
  char      buf[64], *end;
  long long v;

  PetscFunctionBeginUser;
  PetscCheck(str, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s needs an integer value", option);
  PetscCall(SLTrim(option, str, buf, sizeof(buf)));
  PetscCheck(buf[0], PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s needs an integer value", option);
  errno = 0;
  v     = strtoll(buf, &end, 10);
  PetscCheck(*end == 0 && end != buf, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: '%s' is not an integer (decimal digits only, no '.' or exponent)", option, buf);
  PetscCheck(errno != ERANGE, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: %s is out of the 64-bit integer range", option, buf);
  *value = (PetscInt64)v;
  PetscFunctionReturn(0);
}

PetscErrorCode SLCheckRange(const char option[], PetscInt64 v, PetscInt64 min, PetscInt64 max)
{
  PetscFunctionBeginUser;
  PetscCheck(v >= min && v <= max, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s must be in [%" PetscInt64_FMT ", %" PetscInt64_FMT "], got %" PetscInt64_FMT, option, min, max, v);
  PetscFunctionReturn(0);
}

PetscErrorCode SLOptionsInt64_Private(PetscOptionItems *obj, const char opt[], const char text[], const char man[], PetscInt64 current, PetscInt64 *value, PetscBool *set, PetscInt64 min, PetscInt64 max)
{
  char        option[256], now[64], help[1024];
  const char *str;
  PetscBool   found;

  PetscFunctionBeginUser;
  SLOptionName(obj, opt, option, sizeof(option));
  PetscCall(PetscSNPrintf(now, sizeof(now), "%" PetscInt64_FMT, current));
  PetscCall(PetscSNPrintf(help, sizeof(help), "%s [%" PetscInt64_FMT ", %" PetscInt64_FMT "]", text, min, max));
  PetscCall(SLOptionsHelpLine(obj, opt, now, help, man));
  PetscCall(PetscOptionsFindPair(obj ? obj->options : NULL, obj ? obj->prefix : NULL, opt, &str, &found));
  if (set) *set = found;
  if (!found) PetscFunctionReturn(0);
  PetscCall(SLParseInt64(option, str, value));
  PetscCall(SLCheckRange(option, *value, min, max));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOptionsBoundedInt_Private(PetscOptionItems *obj, const char opt[], const char text[], const char man[], PetscInt current, PetscInt *value, PetscBool *set, PetscInt64 min, PetscInt64 max)
{
  PetscInt64 v = current;
  PetscBool  found;

  PetscFunctionBeginUser;
  PetscCall(SLOptionsInt64_Private(obj, opt, text, man, current, &v, &found, PetscMax(min, (PetscInt64)PETSC_MIN_INT), PetscMin(max, (PetscInt64)PETSC_MAX_INT)));
  if (found) *value = (PetscInt)v;
  if (set) *set = found;
  PetscFunctionReturn(0);
}

/* The raw value of a list option (marked used), or NULL; *given: the option appears (maybe with no value). */
static PetscErrorCode SLOptionsListValue(PetscOptionItems *obj, const char opt[], const char text[], const char man[], const char now[], const char **str, PetscBool *given)
{
  PetscFunctionBeginUser;
  PetscCall(SLOptionsHelpLine(obj, opt, now, text, man));
  PetscCall(PetscOptionsFindPair(obj ? obj->options : NULL, obj ? obj->prefix : NULL, opt, str, given));
  PetscFunctionReturn(0);
}

/* Split a comma list into its items (blanks around items removed); an empty item is an error naming option. */
static PetscErrorCode SLSplitList(const char option[], const char str[], PetscInt *n, char ***items)
{
  PetscInt    cap = 1, k = 0;
  const char *p;
  char      **it;

  PetscFunctionBeginUser;
  for (p = str; *p; p++)
    if (*p == ',') cap++;
  PetscCall(PetscCalloc1(cap + 1, &it));
  p = str;
  for (;;) {
    const char *q = strchr(p, ',');
    size_t      l = q ? (size_t)(q - p) : strlen(p);
    while (l > 0 && (*p == ' ' || *p == '\t')) {
      p++;
      l--;
    }
    while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
    if (!l) {
      for (PetscInt i = 0; i < k; i++) PetscCall(PetscFree(it[i]));
      PetscCall(PetscFree(it));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: empty entry %" PetscInt_FMT " in the list '%s'", option, k + 1, str);
    }
    PetscCall(PetscMalloc1(l + 1, &it[k]));
    memcpy(it[k], p, l);
    it[k][l] = 0;
    k++;
    if (!q) break;
    p = q + 1;
  }
  *n     = k;
  *items = it;
  PetscFunctionReturn(0);
}

static PetscErrorCode SLFreeList(PetscInt n, char ***items)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++) PetscCall(PetscFree((*items)[i]));
  PetscCall(PetscFree(*items));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOptionsInt64List_Private(PetscOptionItems *obj, const char opt[], const char text[], const char man[], const char now[], PetscInt *n, PetscInt64 **values, PetscBool *set)
{
  char        option[256];
  const char *str;
  char      **items;
  PetscInt    nitems, total = 0;
  PetscBool   given;

  PetscFunctionBeginUser;
  SLOptionName(obj, opt, option, sizeof(option));
  PetscCall(SLOptionsListValue(obj, opt, text, man, now, &str, &given));
  *set = PETSC_FALSE;
  if (!given) PetscFunctionReturn(0);
  PetscCheck(str && str[0], PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: empty axis (give at least one value)", option);
  PetscCall(SLSplitList(option, str, &nitems, &items));
  /* first pass: count (ranges a-b are a..b-1, as PETSc's integer arrays); second pass: fill */
  for (int pass = 0; pass < 2; pass++) {
    PetscInt k = 0;
    for (PetscInt i = 0; i < nitems; i++) {
      char      *it = items[i], *dash = NULL;
      PetscInt64 a, b;

      for (char *c = it + 1; *c; c++) /* a leading '-' is a sign */
        if (*c == '-') {
          dash = c;
          break;
        }
      if (!dash) {
        PetscCall(SLParseInt64(option, it, &a));
        if (pass) (*values)[k] = a;
        k++;
        continue;
      }
      *dash = 0;
      PetscCall(SLParseInt64(option, it, &a));
      PetscCall(SLParseInt64(option, dash + 1, &b));
      *dash = '-';
      PetscCheck(b > a, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: range %s is empty (a-b means a, a+1, ..., b-1)", option, it);
      PetscCheck(b - a <= SL_MAX_LIST - k, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: the range %s makes the list longer than %d values", option, it, SL_MAX_LIST);
      if (pass)
        for (PetscInt64 v = a; v < b; v++) (*values)[k++] = v;
      else k += (PetscInt)(b - a);
    }
    PetscCheck(k <= SL_MAX_LIST, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: more than %d values", option, SL_MAX_LIST);
    if (!pass) {
      total = k;
      PetscCall(PetscMalloc1(total, values));
    }
  }
  PetscCall(SLFreeList(nitems, &items));
  *n   = total;
  *set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOptionsRealList_Private(PetscOptionItems *obj, const char opt[], const char text[], const char man[], const char now[], PetscInt *n, PetscReal **values, PetscBool *set)
{
  char        option[256];
  const char *str;
  char      **items;
  PetscInt    nitems;
  PetscBool   given;

  PetscFunctionBeginUser;
  SLOptionName(obj, opt, option, sizeof(option));
  PetscCall(SLOptionsListValue(obj, opt, text, man, now, &str, &given));
  *set = PETSC_FALSE;
  if (!given) PetscFunctionReturn(0);
  PetscCheck(str && str[0], PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: empty axis (give at least one value)", option);
  PetscCall(SLSplitList(option, str, &nitems, &items));
  PetscCheck(nitems <= SL_MAX_LIST, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: more than %d values", option, SL_MAX_LIST);
  PetscCall(PetscMalloc1(nitems, values));
  for (PetscInt i = 0; i < nitems; i++) {
    char *end;

    (void)strtod(items[i], &end);
    PetscCheck(*end == 0, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: '%s' is not a number", option, items[i]);
    PetscCall(PetscOptionsStringToReal(items[i], &(*values)[i]));
  }
  PetscCall(SLFreeList(nitems, &items));
  *n   = nitems;
  *set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SLOptionsStringList_Private(PetscOptionItems *obj, const char opt[], const char text[], const char man[], const char now[], PetscInt *n, char ***values, PetscBool *set)
{
  char        option[256];
  const char *str;
  PetscBool   given;

  PetscFunctionBeginUser;
  SLOptionName(obj, opt, option, sizeof(option));
  PetscCall(SLOptionsListValue(obj, opt, text, man, now, &str, &given));
  *set = PETSC_FALSE;
  if (!given) PetscFunctionReturn(0);
  PetscCheck(str && str[0], PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: empty axis (give at least one value)", option);
  PetscCall(SLSplitList(option, str, n, values));
  PetscCheck(*n <= SL_MAX_LIST, PETSC_COMM_SELF, PETSC_ERR_USER, "Option %s: more than %d values", option, SL_MAX_LIST);
  *set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SLStringListDestroy(PetscInt n, char ***values)
{
  PetscFunctionBeginUser;
  if (*values) PetscCall(SLFreeList(n, values));
  PetscFunctionReturn(0);
}
