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
 * The canonical text is then split (SLStudySplitCanonical). Each data set has its own fingerprint: the hash of its
 * lines, its options -sl_data_<name>_* and its data_<name>_points line (stored as /data/<name>@options and
 * @fingerprint). The settings fingerprint hashes the remaining lines without the axes a study can grow along
 * (widths, seeds, alphas, schemes, data sets): an existing file with the same settings fingerprint but other axes
 * is grown (values added, runs done kept; output_grow.c), provided every data set it shares with the study has
 * the same fingerprint: a study may add data sets, never change one. Files written before this split hold the
 * settings fingerprint of the text without the four axes widths .. schemes only (the data sets in it): the
 * legacy settings fingerprint, with which they still grow along those four axes.
 */
#include "study_impl.h"

static const char *const SLNonResultOptions[] = {"sl_output", "sl_output_dir", "sl_slice_index", "sl_slice_count", "sl_stop_after", "sl_wide_ranks", "sl_wide_threshold", "sl_view", "sl_debug",
                                                 /* sweeps (plan.c): when to commit, resource caps, the dry run */
                                                 "sl_output_flush_interval", "sl_max_file_size", "sl_max_memory", "sl_dry_run", "sl_plan_walltime", "sl_plan_ranks", "sl_plan_calibration", NULL};

static const char *const SLAxisOptions[] = {"sl_widths", "sl_seeds", "sl_alphas", "sl_schemes", "sl_datasets", NULL};
#define SL_NLEGACY_AXES 4 /* the axes the legacy settings fingerprint leaves out: all but sl_datasets */

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

/* The data set a canonical line belongs to (index into s->data), or -1: "sl_data_<name>_..." (the longest name that
 * fits, so that a data set "a_b" takes its lines from a data set "a") or "data_<name>_points=". */
static PetscInt SLDataOfLine(SLStudy s, const char *line)
{
  PetscInt best = -1;
  size_t   bl   = 0;

  for (PetscInt i = 0; i < s->ndata; i++) {
    const char *name = s->data[i]->name;
    size_t      l    = strlen(name);

    if (!strncmp(line, "sl_data_", 8) && !strncmp(line + 8, name, l) && line[8 + l] == '_' && l > bl) {
      best = i;
      bl   = l;
    }
    if (!strncmp(line, "data_", 5) && !strncmp(line + 5, name, l) && !strncmp(line + 5 + l, "_points=", 8)) return i;
  }
  return best;
}

/* Is line "<axis>=..." for one of the first n axes of SLAxisOptions? */
static PetscBool SLIsAxisLine(const char *line, PetscInt n)
{
  for (PetscInt k = 0; k < n && SLAxisOptions[k]; k++) {
    size_t l = strlen(SLAxisOptions[k]);
    if (!strncmp(line, SLAxisOptions[k], l) && line[l] == '=') return PETSC_TRUE;
  }
  return PETSC_FALSE;
}

/* From s->canonical (len: a bound of its length): the data sets' texts and fingerprints, the settings fingerprint
 * and the legacy settings fingerprint. */
static PetscErrorCode SLStudySplitCanonical(SLStudy s, size_t len)
{
  char *settings, *legacy, *c, *line, *save = NULL;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; s->data_text && i < s->ndata; i++) {
    PetscCall(PetscFree(s->data_text[i]));
    PetscCall(PetscFree(s->data_fingerprint[i]));
  }
  PetscCall(PetscFree(s->data_text));
  PetscCall(PetscFree(s->data_fingerprint));
  PetscCall(PetscCalloc1(s->ndata, &s->data_text));
  PetscCall(PetscCalloc1(s->ndata, &s->data_fingerprint));
  for (PetscInt i = 0; i < s->ndata; i++) {
    PetscCall(PetscCalloc1(len, &s->data_text[i]));
    PetscCall(PetscCalloc1(17, &s->data_fingerprint[i]));
  }
  PetscCall(PetscCalloc2(len, &settings, len, &legacy));
  PetscCall(PetscStrallocpy(s->canonical, &c));
  for (line = strtok_r(c, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    PetscInt d = SLDataOfLine(s, line);

    if (!SLIsAxisLine(line, SL_NLEGACY_AXES)) {
      if (legacy[0]) PetscCall(PetscStrlcat(legacy, "\n", len));
      PetscCall(PetscStrlcat(legacy, line, len));
    }
    if (d >= 0) {
      if (s->data_text[d][0]) PetscCall(PetscStrlcat(s->data_text[d], "\n", len));
      PetscCall(PetscStrlcat(s->data_text[d], line, len));
    } else if (!SLIsAxisLine(line, PETSC_MAX_INT)) {
      if (settings[0]) PetscCall(PetscStrlcat(settings, "\n", len));
      PetscCall(PetscStrlcat(settings, line, len));
    }
  }
  PetscCall(PetscFree(c));
  for (PetscInt i = 0; i < s->ndata; i++) PetscCall(PetscSNPrintf(s->data_fingerprint[i], 17, "%016llx", (unsigned long long)SLHash(s->data_text[i])));
  PetscCall(PetscSNPrintf(s->settings_fingerprint, sizeof(s->settings_fingerprint), "%016llx", (unsigned long long)SLHash(settings)));
  PetscCall(PetscSNPrintf(s->legacy_settings_fingerprint, sizeof(s->legacy_settings_fingerprint), "%016llx", (unsigned long long)SLHash(legacy)));
  PetscCall(PetscFree2(settings, legacy));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyComputeFingerprint(SLStudy s)
{
  char    *all, *copy, *tok, *save = NULL;
  char   **entries;
  PetscInt n = 0, cap = 16;
  size_t   len = 0;

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
  PetscCall(SLStudySplitCanonical(s, len));
  PetscFunctionReturn(0);
}
