/* The study fingerprint: which options define the numbers in a study file.
 *
 * Every option under -sl_ affects the results except those that only say where the file goes, which part of
 * the grid this invocation computes, when to stop, and how runs are spread over ranks. The canonical text is the
 * sorted list "name=value" of the remaining options as given (after YAML expansion), plus the program version;
 * its FNV-1a 64-bit hash is the fingerprint stored in the file and compared on resume and merge.
 *
 * The options name a CSV file, not its content: so the points themselves enter the text too, one line per data
 * set "data_<name>_points=N:<FNV-1a 64 of the bytes of the sorted x[], then y[]>", and a data file edited between
 * an interruption and the rerun (or between the slices of an array) is refused, naming the data set.
 *
 * The settings fingerprint hashes the same text without the lines of the axes a study can grow along (widths,
 * seeds, alphas, schemes): an existing file with the same settings fingerprint but other axes is grown (values
 * added, runs done kept; output_grow.c). The data sets axis stays in it: a new data set brings its own options
 * and points. */
#include "study_impl.h"

static const char *const SLNonResultOptions[] = {"sl_output", "sl_output_dir", "sl_slice_index", "sl_slice_count", "sl_stop_after", "sl_wide_ranks", "sl_wide_threshold", "sl_view", "sl_debug",
                                                 /* sweeps (plan.c): when to commit, resource caps, the dry run */
                                                 "sl_output_flush_interval", "sl_max_file_size", "sl_max_memory", "sl_dry_run", "sl_plan_walltime", "sl_plan_ranks", "sl_plan_calibration", NULL};

static const char *const SLAxisOptions[] = {"sl_widths", "sl_seeds", "sl_alphas", "sl_schemes", NULL};

static uint64_t SLHash(const char *text)
{
  uint64_t h = 1469598103934665603ULL;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return h;
}

static int SLCompareStrings(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An option name token: "-" followed by a letter (so "-1.5" is a value). */
static PetscBool SLIsOptionName(const char *t)
{
  return (PetscBool)(t[0] == '-' && ((t[1] >= 'a' && t[1] <= 'z') || (t[1] >= 'A' && t[1] <= 'Z') || t[1] == '_'));
}

PetscErrorCode SLStudyComputeFingerprint(SLStudy s)
{
  char    *all, *copy, *tok, *save = NULL;
  char   **entries;
  PetscInt n = 0, cap = 16;
  size_t   len = 0;
  char    *settings;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetAll(NULL, &all));
  PetscCall(PetscStrallocpy(all, &copy));
  PetscCall(PetscMalloc1(cap, &entries));
  tok = strtok_r(copy, " ", &save);
  while (tok) {
    char *name = tok, *value = NULL;
    tok = strtok_r(NULL, " ", &save);
    if (tok && !SLIsOptionName(tok)) {
      value = tok;
      tok   = strtok_r(NULL, " ", &save);
    }
    if (strncmp(name, "-sl_", 4) == 0) {
      PetscBool skip = PETSC_FALSE;
      for (PetscInt k = 0; SLNonResultOptions[k]; k++)
        if (!strcmp(name + 1, SLNonResultOptions[k])) skip = PETSC_TRUE;
      if (!skip) {
        if (n == cap) {
          char **more;
          PetscCall(PetscMalloc1(2 * cap, &more));
          PetscCall(PetscArraycpy(more, entries, n));
          PetscCall(PetscFree(entries));
          entries = more;
          cap *= 2;
        }
        size_t l = strlen(name) + (value ? strlen(value) : 0) + 3;
        PetscCall(PetscMalloc1(l, &entries[n]));
        PetscCall(PetscSNPrintf(entries[n], l, "%s=%s", name + 1, value ? value : ""));
        len += l;
        n++;
      }
    }
  }
  qsort(entries, (size_t)n, sizeof(char *), SLCompareStrings);
  len += 64 + (size_t)s->ndata * (sizeof(s->data[0]->name) + 64);
  PetscCall(PetscFree(s->canonical));
  PetscCall(PetscCalloc1(len, &s->canonical));
  PetscCall(PetscStrlcat(s->canonical, "splinelens_format=1", len));
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscStrlcat(s->canonical, "\n", len));
    PetscCall(PetscStrlcat(s->canonical, entries[i], len));
    PetscCall(PetscFree(entries[i]));
  }
  for (PetscInt i = 0; i < s->ndata; i++) {
    const SLData         d  = s->data[i];
    uint64_t             hd = 1469598103934665603ULL;
    char                 line[sizeof(d->name) + 64];
    const unsigned char *b[2] = {(const unsigned char *)d->x, (const unsigned char *)d->y};

    for (int k = 0; k < 2; k++)
      for (size_t j = 0; b[k] && j < (size_t)d->N * sizeof(PetscReal); j++) {
        hd ^= b[k][j];
        hd *= 1099511628211ULL;
      }
    PetscCall(PetscSNPrintf(line, sizeof(line), "\ndata_%s_points=%" PetscInt_FMT ":%016llx", d->name, d->N, (unsigned long long)hd));
    PetscCall(PetscStrlcat(s->canonical, line, len));
  }
  PetscCall(PetscFree(entries));
  PetscCall(PetscFree(copy));
  PetscCall(PetscFree(all));
  PetscCall(PetscSNPrintf(s->fingerprint, sizeof(s->fingerprint), "%016llx", (unsigned long long)SLHash(s->canonical)));
  /* the settings: the canonical text without the axis lines */
  PetscCall(PetscCalloc1(len, &settings));
  {
    char *line, *save2 = NULL, *c;
    PetscCall(PetscStrallocpy(s->canonical, &c));
    for (line = strtok_r(c, "\n", &save2); line; line = strtok_r(NULL, "\n", &save2)) {
      PetscBool axis = PETSC_FALSE;
      for (PetscInt k = 0; SLAxisOptions[k]; k++) {
        size_t l = strlen(SLAxisOptions[k]);
        if (!strncmp(line, SLAxisOptions[k], l) && line[l] == '=') axis = PETSC_TRUE;
      }
      if (axis) continue;
      if (settings[0]) PetscCall(PetscStrlcat(settings, "\n", len));
      PetscCall(PetscStrlcat(settings, line, len));
    }
    PetscCall(PetscFree(c));
  }
  PetscCall(PetscSNPrintf(s->settings_fingerprint, sizeof(s->settings_fingerprint), "%016llx", (unsigned long long)SLHash(settings)));
  PetscCall(PetscFree(settings));
  PetscFunctionReturn(0);
}
