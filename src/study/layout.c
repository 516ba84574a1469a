/* Declaration of the study file layout by walking the schema (schema.c; analysis/FORMAT.md describes it). Sizes
 * of every ragged array follow from the grid alone, so the whole file is created before the first run starts. */
#include "study_impl.h"

const char *const SLStageNames[] = {"init", "final", "snapshots", "SLStage", "SL_STAGE_", NULL};

/* Values of an axis: integers, reals or strings, by the field's type. */
static PetscErrorCode SLAxisValues(SLStudy s, SLSchemaId id, PetscInt *n, PetscInt64 iv[], const PetscReal **rv, const char *sv[])
{
  PetscFunctionBeginUser;
  *n = 0;
  switch (id) {
  case SL_F_AXES_WIDTH:
    for (PetscInt i = 0; i < s->nwidth; i++) iv[(*n)++] = s->widths[i];
    break;
  case SL_F_AXES_SEED:
    for (PetscInt i = 0; i < s->nseed; i++) iv[(*n)++] = s->seeds[i];
    break;
  case SL_F_AXES_ALPHA:
    *n  = s->nalpha;
    *rv = s->alphas;
    break;
  case SL_F_AXES_SCHEME:
    for (PetscInt i = 0; i < s->nscheme; i++) sv[(*n)++] = SLInitSchemes[s->schemes[i]];
    break;
  case SL_F_AXES_DATA:
    for (PetscInt i = 0; i < s->ndata; i++) sv[(*n)++] = s->data[i]->name;
    break;
  case SL_F_AXES_COORDS:
    for (PetscInt c = 0; c < SL_NCOORDS; c++)
      if (s->coords[c]) sv[(*n)++] = SLCoordinateNames[c];
    break;
  case SL_F_AXES_PARTS:
    for (PetscInt p = 0; p < SL_NPARTS; p++)
      if (s->parts[p]) sv[(*n)++] = SLHessianParts[p];
    break;
  case SL_F_AXES_STAGES:
    for (PetscInt st = 0; st < SL_NSTAGES; st++)
      if (s->stages[st]) sv[(*n)++] = SLStageNames[st];
    break;
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Layout: no values for axis %s", SLSchemaFields[id].path);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SLDeclareAxis(SLStudy s, SLOutput out, SLSchemaId id)
{
  const SLSchemaField *f = &SLSchemaFields[id];
  PetscInt64          *iv;
  const PetscReal     *rv = NULL;
  const char         **sv;
  PetscInt             n, cap = PetscMax(PetscMax(PetscMax(s->nwidth, s->nseed), PetscMax(s->nscheme, s->ndata)), SL_NCOORDS + SL_NPARTS + SL_NSTAGES);
  char                 path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(cap, &iv, cap, &sv));
  PetscCall(SLAxisValues(s, id, &n, iv, &rv, sv));
  PetscCall(SLSchemaPath(id, NULL, path, sizeof(path)));
  if (f->type == SL_SCHEMA_INT64) PetscCall(SLOutputDeclareConstInt(out, path, n, iv, f->description, f->units));
  else if (f->type == SL_SCHEMA_FLOAT64) PetscCall(SLOutputDeclareConstReal(out, path, n, rv, f->description, f->units));
  else PetscCall(SLOutputDeclareConstStrings(out, path, n, sv, f->description));
  PetscCall(PetscFree2(iv, sv));
  PetscFunctionReturn(0);
}

/* A data set's datasets (x, y) and group attributes. */
static PetscErrorCode SLDeclareData(SLStudy s, SLOutput out, SLData d, SLSchemaId id)
{
  const SLSchemaField *f   = &SLSchemaFields[id];
  const SLSchemaKey    key = {d->name, 0, SL_COORD_NN, SL_HESS_FULL};
  char                 path[PETSC_MAX_PATH_LEN], val[PETSC_MAX_PATH_LEN];
  const char          *name;

  PetscFunctionBeginUser;
  if (f->kind == SL_SCHEMA_DATA) {
    PetscCheck(id == SL_F_DATA_X || id == SL_F_DATA_Y, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Layout: no values for %s", f->path);
    PetscCall(SLSchemaPath(id, &key, path, sizeof(path)));
    PetscCall(SLOutputDeclareConstReal(out, path, d->N, id == SL_F_DATA_X ? d->x : d->y, f->description, f->units));
    PetscFunctionReturn(0);
  }
  switch (id) {
  case SL_F_DATA_ATTR_TYPE:
    PetscCall(PetscStrncpy(val, SLDataTypes[d->type], sizeof(val)));
    break;
  case SL_F_DATA_ATTR_SAMPLING:
    PetscCall(PetscStrncpy(val, SLSamplings[d->sampling], sizeof(val)));
    break;
  case SL_F_DATA_ATTR_FILE:
    PetscCall(PetscStrncpy(val, d->file, sizeof(val)));
    break;
  case SL_F_DATA_ATTR_N:
    PetscCall(PetscSNPrintf(val, sizeof(val), "%" PetscInt_FMT, d->N));
    break;
  case SL_F_DATA_ATTR_XMIN:
    PetscCall(PetscSNPrintf(val, sizeof(val), "%.17g", (double)d->xmin));
    break;
  case SL_F_DATA_ATTR_XMAX:
    PetscCall(PetscSNPrintf(val, sizeof(val), "%.17g", (double)d->xmax));
    break;
  case SL_F_DATA_ATTR_NOISE:
    PetscCall(PetscSNPrintf(val, sizeof(val), "%.17g", (double)d->noise));
    break;
  case SL_F_DATA_ATTR_SEED:
    PetscCall(PetscSNPrintf(val, sizeof(val), "%" PetscInt_FMT, d->seed));
    break;
  case SL_F_DATA_ATTR_FINGERPRINT:
  case SL_F_DATA_ATTR_OPTIONS: { /* the data set's part of the fingerprint (study_fingerprint.c) */
    PetscInt i = 0;
    while (i < s->ndata && s->data[i] != d) i++;
    PetscCheck(i < s->ndata, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Layout: data set %s is not on the axis", d->name);
    PetscCall(SLSchemaAttribute(id, &key, path, sizeof(path), &name));
    PetscCall(SLOutputDeclareAttribute(out, path, name, id == SL_F_DATA_ATTR_FINGERPRINT ? s->data_fingerprint[i] : s->data_text[i]));
    PetscFunctionReturn(0);
  }
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Layout: no value for %s", f->path);
  }
  PetscCall(SLSchemaAttribute(id, &key, path, sizeof(path), &name));
  PetscCall(SLOutputDeclareAttribute(out, path, name, val));
  PetscFunctionReturn(0);
}

/* Values of a ragged field for run i (key: the spectrum of a spectrum field). K snapshots, M curve points. */
static PetscErrorCode SLFieldCount(SLStudy s, SLSchemaId id, const SLSchemaKey *key, PetscInt K, PetscInt M, PetscInt i, PetscInt *count)
{
  const SLSchemaField *f = &SLSchemaFields[id];
  SLRunSpec            r;
  SLEigMethod          method;
  PetscInt             H, P, Pc = 0, rows = 1, nvals = 0, nbins = 0, nvec = 0;

  PetscFunctionBeginUser;
  PetscCall(SLStudyGetRun(s, i, &r));
  H = r.width;
  P = 3 * H + (s->output_bias ? 1 : 0);
  if (f->kind >= SL_SCHEMA_SPECTRUM_COLUMN) {
    Pc   = (key->coords == SL_COORD_NN ? 3 : 2) * H + (s->output_bias ? 1 : 0);
    rows = key->stage == SL_STAGE_SNAPSHOTS ? K : 1;
    if (f->size == SL_SIZE_NVEC || f->size == SL_SIZE_NVEC_P) PetscCall(SLSpectrumSolverGetVectorLayout(s->eig, Pc, 1, &nvec));
    else PetscCall(SLSpectrumSolverGetLayout(s->eig, Pc, 1, &method, &nvals, &nbins));
  }
  switch (f->size) {
  case SL_SIZE_P:
    *count = P;
    break;
  case SL_SIZE_H:
    *count = H;
    break;
  case SL_SIZE_M:
    *count = M;
    break;
  case SL_SIZE_K:
    *count = K;
    break;
  case SL_SIZE_KP:
    *count = P <= s->max_snapshot_params ? K * P : 0;
    break;
  case SL_SIZE_KH:
    *count = P <= s->max_snapshot_params ? K * H : 0;
    break;
  case SL_SIZE_SPEC:
    *count = rows;
    break;
  case SL_SIZE_NVALS:
    *count = rows * nvals;
    break;
  case SL_SIZE_NBINS1:
    *count = rows * (nbins ? nbins + 1 : 0);
    break;
  case SL_SIZE_NBINS:
    *count = rows * nbins;
    break;
  case SL_SIZE_NGRAM:
    *count = rows * (key->part != SL_HESS_RESIDUAL ? s->data[r.i_data]->N : 0);
    break;
  case SL_SIZE_NVEC:
    *count = nvec;
    break;
  case SL_SIZE_NVEC_P:
    *count = nvec * Pc;
    break;
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Layout: %s has no per-run size (%s)", f->path, SLSchemaSizeNames[f->size]);
  }
  PetscFunctionReturn(0);
}

/* A per-run field: run-table column or ragged array (spectrum fields for the spectrum key). */
static PetscErrorCode SLDeclarePerRun(SLStudy s, SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt K, PetscInt M, PetscInt cnt[])
{
  const SLSchemaField *f         = &SLSchemaFields[id];
  const PetscBool      snapshots = (PetscBool)(key && key->stage == SL_STAGE_SNAPSHOTS);
  char                 path[PETSC_MAX_PATH_LEN], desc[1024];
  SLFieldType          type;
  PetscInt             total = 0;

  PetscFunctionBeginUser;
  PetscCall(SLSchemaPath(id, key, path, sizeof(path)));
  PetscCall(SLSchemaOutputType(id, &type));
  if (f->kind == SL_SCHEMA_COLUMN || f->kind == SL_SCHEMA_SPECTRUM_COLUMN || (f->kind == SL_SCHEMA_SPECTRUM_SCALAR && !snapshots)) {
    PetscCall(SLOutputDeclareColumn(out, path, type, f->strlen, f->description, f->units));
    PetscFunctionReturn(0);
  }
  /* eigenvectors: at init and final only, and only when some run stores any (-sl_eig_vectors) */
  if (f->kind == SL_SCHEMA_SPECTRUM_VECTORS && snapshots) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < s->nruns; i++) {
    PetscCall(SLFieldCount(s, id, key, K, M, i, &cnt[i]));
    total += cnt[i];
  }
  if (f->kind == SL_SCHEMA_SPECTRUM_VECTORS && !total) PetscFunctionReturn(0);
  if (snapshots && f->kind == SL_SCHEMA_SPECTRUM_SCALAR) PetscCall(PetscSNPrintf(desc, sizeof(desc), "%s, at each snapshot (K per run)", f->description));
  else if (snapshots && f->kind == SL_SCHEMA_SPECTRUM_RAGGED) PetscCall(PetscSNPrintf(desc, sizeof(desc), "%s; K rows per run (row k: snapshot k), row-major", f->description));
  else PetscCall(PetscStrncpy(desc, f->description, sizeof(desc)));
  PetscCall(SLOutputDeclareRagged(out, path, type, cnt, desc, f->units));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyDeclareLayout(SLStudy s, SLOutput out)
{
  PetscInt K, M, *cnt;

  PetscFunctionBeginUser;
  for (PetscInt id = 0; id < SL_NFIELDS; id++) PetscCheck(SLSchemaFields[id].path, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Layout: schema field id %" PetscInt_FMT " has no registry entry", id);
  /* provenance root attributes */
  for (PetscInt id = 0; id < SL_NFIELDS; id++) {
    const char *name;
    char        obj[8], *value;
    if (SLSchemaFields[id].kind != SL_SCHEMA_ROOT_ATTRIBUTE || SLSchemaFields[id].writer != SL_SCHEMA_BY_STUDY) continue;
    PetscCall(SLStudyProvenanceValue(s, (SLSchemaId)id, &value));
    PetscCall(SLSchemaAttribute((SLSchemaId)id, NULL, obj, sizeof(obj), &name));
    PetscCall(SLOutputDeclareAttribute(out, obj, name, value));
    PetscCall(PetscFree(value));
  }
  for (PetscInt id = 0; id < SL_NFIELDS; id++)
    if (SLSchemaFields[id].kind == SL_SCHEMA_AXIS) PetscCall(SLDeclareAxis(s, out, (SLSchemaId)id));
  for (PetscInt i = 0; i < s->ndata; i++)
    for (PetscInt id = 0; id < SL_NFIELDS; id++)
      if (SLSchemaFields[id].kind == SL_SCHEMA_DATA || SLSchemaFields[id].kind == SL_SCHEMA_DATA_ATTRIBUTE) PetscCall(SLDeclareData(s, out, s->data[i], (SLSchemaId)id));

  /* run table and ragged per-run arrays (runs/run_id and runs/status belong to the output layer) */
  PetscCall(SLTrainerGetOutputSizes(s->trainer, &K, &M));
  if (!s->train) K = M = 0; /* initialization-only study: no curve, no snapshots */
  PetscCall(PetscMalloc1(s->nruns, &cnt));
  for (PetscInt id = 0; id < SL_NFIELDS; id++)
    if (SLSchemaFields[id].kind == SL_SCHEMA_COLUMN && SLSchemaFields[id].writer == SL_SCHEMA_BY_STUDY) PetscCall(SLDeclarePerRun(s, out, (SLSchemaId)id, NULL, K, M, cnt));
  for (PetscInt id = 0; id < SL_NFIELDS; id++)
    if (SLSchemaFields[id].kind == SL_SCHEMA_RAGGED) PetscCall(SLDeclarePerRun(s, out, (SLSchemaId)id, NULL, K, M, cnt));

  /* spectra: at init and final one spectrum per run (scalars are run-table columns); at the snapshots K per run
   * (scalars become ragged arrays of K entries, the arrays K rows of the per-spectrum length) */
  for (PetscInt st = 0; st < SL_NSTAGES; st++)
    for (PetscInt c = 0; c < SL_NCOORDS; c++)
      for (PetscInt p = 0; p < SL_NPARTS; p++) {
        const SLSchemaKey key = {NULL, st, (SLCoordinates)c, (SLHessianPart)p};
        if (!(s->stages[st] && s->coords[c] && s->parts[p])) continue;
        for (PetscInt id = 0; id < SL_NFIELDS; id++)
          if (SLSchemaFields[id].kind >= SL_SCHEMA_SPECTRUM_COLUMN) PetscCall(SLDeclarePerRun(s, out, (SLSchemaId)id, &key, K, M, cnt));
      }
  PetscCall(PetscFree(cnt));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyPutGrid(SLStudy s, SLOutput out)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < s->nruns; i++) {
    SLRunSpec r;
    PetscReal a;
    PetscCall(SLStudyGetRun(s, i, &r));
    {
      const struct {
        SLSchemaId id;
        PetscInt64 v;
      } cols[] = {
        {SL_F_RUNS_WIDTH,    r.width                               },
        {SL_F_RUNS_SEED,     r.seed                                },
        {SL_F_RUNS_I_WIDTH,  r.i_width                             },
        {SL_F_RUNS_I_SEED,   r.i_seed                              },
        {SL_F_RUNS_I_ALPHA,  r.i_alpha                             },
        {SL_F_RUNS_I_SCHEME, r.i_scheme                            },
        {SL_F_RUNS_I_DATA,   r.i_data                              },
        {SL_F_RUNS_N_PARAMS, 3 * r.width + (s->output_bias ? 1 : 0)},
        {SL_F_RUNS_N_POINTS, s->data[r.i_data]->N                  },
      };
      for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(cols); k++) PetscCall(SLSchemaPutInt(out, cols[k].id, NULL, i, 0, 1, &cols[k].v));
    }
    a = r.alpha;
    PetscCall(SLSchemaPutReal(out, SL_F_RUNS_ALPHA, NULL, i, 0, 1, &a));
    PetscCall(SLSchemaPutString(out, SL_F_RUNS_SCHEME, NULL, i, SLInitSchemes[r.scheme]));
    PetscCall(SLSchemaPutString(out, SL_F_RUNS_DATA, NULL, i, s->data[r.i_data]->name));
  }
  PetscFunctionReturn(0);
}
