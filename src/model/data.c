/* Data sets (x_n, y_n): generators, explicit points, view (data.h, docs/theory.md section 1).
 *
 * Random choices are pure functions of (seed, stream, n, draw) (rng.h): with random sampling x_n is drawn
 * from (seed, SL_STREAM_DATA, n, 1) and the x are then sorted; random targets use (seed, SL_STREAM_DATA, n, 0)
 * and label noise (seed, SL_STREAM_NOISE, n, 0), both indexed by the position n after sorting.
 */
#include <stdlib.h>
#include <petscviewer.h>
#include <splinelens/data.h>
#include <splinelens/rng.h>
#include "model_impl.h"

const char *const SLDataTypes[] = {"sine", "square", "cubic", "random", "fourpoint", "zigzag", "square10", "csv", "SLDataType", "SL_DATA_", NULL};
const char *const SLSamplings[] = {"grid", "random", "SLSampling", "SL_SAMPLING_", NULL};

PetscErrorCode SLDataTypeFromName(const char name[], PetscBool *found, SLDataType *type)
{
  PetscFunctionBeginUser;
  *found = PETSC_FALSE;
  for (int t = SL_DATA_SINE; t < SL_DATA_CSV; t++) { /* the generator types */
    PetscBool eq;

    PetscCall(PetscStrcmp(name, SLDataTypes[t], &eq));
    if (eq) {
      *found = PETSC_TRUE;
      *type  = (SLDataType)t;
      break;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataGetPrefix(SLData data, char prefix[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(prefix, len, "sl_data_%s_", data->name));
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataCreate(const char name[], SLData *data)
{
  SLData    d;
  size_t    len;
  PetscBool found;

  PetscFunctionBeginUser;
  PetscCall(PetscStrlen(name, &len));
  PetscCheck(len > 0 && len < sizeof(d->name), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Data set name '%s' must have 1 to %d characters", name ? name : "", (int)sizeof(d->name) - 1);
  for (size_t i = 0; i < len; i++) {
    char ch = name[i];

    PetscCheck((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_', PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Data set name '%s' may only contain letters, digits and '_' (it is part of the option prefix sl_data_<name>_)", name);
  }
  PetscCall(PetscNew(&d));
  PetscCall(PetscStrncpy(d->name, name, sizeof(d->name)));
  /* a name that is a generator type selects it; any other name defaults to csv (SetFromOptions then demands
   * -sl_data_<name>_type, and SetUp a file) */
  PetscCall(SLDataTypeFromName(name, &found, &d->type));
  if (!found) d->type = SL_DATA_CSV;
  d->sampling  = SL_SAMPLING_GRID;
  d->N         = d->type == SL_DATA_FOURPOINT ? 4 : (d->type == SL_DATA_SQUARE10 ? 10 : 16);
  d->xmin      = -1.0;
  d->xmax      = 1.0;
  d->noise     = 0.0;
  d->amplitude = 1.0;
  d->seed      = 0;
  *data        = d;
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataDestroy(SLData *data)
{
  PetscFunctionBeginUser;
  if (!*data) PetscFunctionReturn(0);
  PetscCall(PetscFree2((*data)->x, (*data)->y));
  PetscCall(PetscFree(*data));
  PetscFunctionReturn(0);
}

static int SLDataPointCompare(const void *a, const void *b)
{
  const SLDataPoint *p = (const SLDataPoint *)a, *q = (const SLDataPoint *)b;

  if (p->x < q->x) return -1;
  if (p->x > q->x) return 1;
  return (p->tag > q->tag) - (p->tag < q->tag);
}

PetscErrorCode SLDataSortPoints(PetscInt n, SLDataPoint pts[])
{
  PetscFunctionBeginUser;
  if (n > 1) qsort(pts, (size_t)n, sizeof(SLDataPoint), SLDataPointCompare);
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataStorePoints(SLData data, PetscInt n, const SLDataPoint pts[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree2(data->x, data->y));
  PetscCall(PetscMalloc2(n, &data->x, n, &data->y));
  for (PetscInt i = 0; i < n; i++) {
    data->x[i] = pts[i].x;
    data->y[i] = pts[i].y;
  }
  data->N    = n;
  data->xmin = pts[0].x;
  data->xmax = pts[n - 1].x;
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataAddNoise(SLData data)
{
  PetscFunctionBeginUser;
  if (data->noise == 0.0) PetscFunctionReturn(0);
  for (PetscInt n = 0; n < data->N; n++) data->y[n] += data->noise * SLRandomNormal((uint64_t)data->seed, SL_STREAM_NOISE, (uint64_t)n, 0);
  PetscFunctionReturn(0);
}

/* The parameter checks shared by SLDataGenerate and SLDataSetUp; messages name the option. */
static PetscErrorCode SLDataCheckGeneratorParameters(SLData data, SLDataType type, PetscInt N, PetscReal xmin, PetscReal xmax, PetscReal noise, PetscInt seed)
{
  char pre[128];

  PetscFunctionBeginUser;
  PetscCall(SLDataGetPrefix(data, pre, sizeof(pre)));
  PetscCheck(type != SL_DATA_CSV, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Data set '%s': csv data are loaded (SLDataLoadCSV, -%sfile), not generated", data->name, pre);
  PetscCheck((int)type >= SL_DATA_SINE && (int)type < SL_DATA_CSV, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%stype: invalid data type %d", pre, (int)type);
  PetscCheck((int)data->sampling >= SL_SAMPLING_GRID && (int)data->sampling <= SL_SAMPLING_RANDOM, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%ssampling: invalid sampling %d", pre, (int)data->sampling);
  if (type == SL_DATA_FOURPOINT || type == SL_DATA_SQUARE10) {
    const PetscInt Nfix = type == SL_DATA_FOURPOINT ? 4 : 10;

    PetscCheck(N == Nfix || N == PETSC_DEFAULT || N == PETSC_DECIDE, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "-%sn: the %s data set has exactly %" PetscInt_FMT " points, got %" PetscInt_FMT, pre, SLDataTypes[type], Nfix, N);
  } else {
    PetscCheck(N >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sn must be >= 1, got %" PetscInt_FMT, pre, N);
    PetscCheck(!PetscIsInfOrNanReal(xmin), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sxmin must be finite, got %.6g", pre, (double)xmin);
    PetscCheck(!PetscIsInfOrNanReal(xmax), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sxmax must be finite, got %.6g", pre, (double)xmax);
    PetscCheck(xmin < xmax, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sxmin (%.6g) must be < -%sxmax (%.6g)", pre, (double)xmin, pre, (double)xmax);
  }
  PetscCheck(noise >= 0 && !PetscIsInfOrNanReal(noise), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%snoise must be >= 0 (a standard deviation), got %.6g", pre, (double)noise);
  PetscCheck(seed >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sseed must be >= 0, got %" PetscInt_FMT, pre, seed);
  PetscCheck(data->amplitude > 0 && !PetscIsInfOrNanReal(data->amplitude), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%samplitude must be > 0 and finite, got %.6g", pre, (double)data->amplitude);
  PetscFunctionReturn(0);
}
/* The target function of a generator type at x (sine, square, cubic: not the types defined by point index). */
static PetscReal SLDataTarget(SLDataType type, PetscReal x)
{
  switch (type) {
  case SL_DATA_SINE:
    return PetscSinReal(PETSC_PI * x);
  case SL_DATA_SQUARE: /* +1 where sin(pi x) >= 0 (so +1 at x = 0) */
    return PetscSinReal(PETSC_PI * x) >= 0 ? 1.0 : -1.0;
  case SL_DATA_CUBIC:
    return x * x * x;
  default:
    return 0.0;
  }
}

PetscErrorCode SLDataGenerate(SLData data, SLDataType type, PetscInt N, PetscReal xmin, PetscReal xmax, PetscReal noise, PetscInt seed)
{
  static const PetscReal X4[4] = {-1.0, -1.0 / 16, 1.0 / 16, 1.0}, Y4[4] = {-1.0, 0.5, -0.5, 1.0};
  /* A square wave sampled at 10 points: the cell midpoints of [-1, 1] split in 10, two points per half-period
   * (period 0.8), as in the 10-point square-wave example of Williams et al. 2019 (their exact abscissae are not
   * published; this is the documented stand-in). */
  static const PetscReal X10[10] = {-0.9, -0.7, -0.5, -0.3, -0.1, 0.1, 0.3, 0.5, 0.7, 0.9};
  static const PetscReal Y10[10] = {1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0};
  const PetscBool        fixed   = (PetscBool)(type == SL_DATA_FOURPOINT || type == SL_DATA_SQUARE10);
  SLDataPoint           *pts;
  char                   pre[128];

  PetscFunctionBeginUser;
  PetscCall(SLDataCheckGeneratorParameters(data, type, N, xmin, xmax, noise, seed));
  PetscCall(SLDataGetPrefix(data, pre, sizeof(pre)));
  if (fixed) { /* fixed points: N, the range and the sampling do not apply */
    N    = type == SL_DATA_FOURPOINT ? 4 : 10;
    xmin = -1.0;
    xmax = 1.0;
  }
  PetscCall(PetscMalloc1(N, &pts));
  for (PetscInt n = 0; n < N; n++) {
    pts[n].tag = n;
    pts[n].y   = 0.0;
    if (type == SL_DATA_FOURPOINT) {
      pts[n].x = X4[n];
      pts[n].y = Y4[n];
    } else if (type == SL_DATA_SQUARE10) {
      pts[n].x = X10[n];
      pts[n].y = Y10[n];
    } else if (data->sampling == SL_SAMPLING_RANDOM) {
      PetscReal u = SLRandomUniform01((uint64_t)seed, SL_STREAM_DATA, (uint64_t)n, 1);

      pts[n].x = xmin + (xmax - xmin) * u;
    } else if (N == 1) {
      pts[n].x = 0.5 * (xmin + xmax);
    } else { /* linspace: exact end points, and exactly 0 in the middle of a symmetric range */
      PetscReal t = (PetscReal)n / (PetscReal)(N - 1);

      pts[n].x = (1.0 - t) * xmin + t * xmax;
    }
  }
  PetscCall(SLDataSortPoints(N, pts));
  for (PetscInt n = 0; n < N; n++) {
    if (type == SL_DATA_RANDOM) pts[n].y = 2.0 * SLRandomUniform01((uint64_t)seed, SL_STREAM_DATA, (uint64_t)n, 0) - 1.0;
    else if (type == SL_DATA_ZIGZAG) pts[n].y = (n % 2 ? -1.0 : 1.0) * data->amplitude; /* by sorted position */
    else if (!fixed) pts[n].y = SLDataTarget(type, pts[n].x);
    /* two random draws may round to the same x (or a tiny range may collapse a grid): refuse, the data must
     * have distinct x */
    PetscCheck(n == 0 || pts[n].x > pts[n - 1].x, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Data set '%s': points %" PetscInt_FMT " and %" PetscInt_FMT " have the same x = %.6g; change -%sn, -%sxmin/-%sxmax or -%sseed", data->name, n - 1, n,
               (double)pts[n].x, pre, pre, pre, pre);
  }
  PetscCall(SLDataStorePoints(data, N, pts));
  PetscCall(PetscFree(pts));
  data->type  = type;
  data->xmin  = xmin; /* the requested range (the generated x may stop short of it with random sampling) */
  data->xmax  = xmax;
  data->noise = noise;
  data->seed  = seed;
  PetscCall(SLDataAddNoise(data));
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataSetPoints(SLData data, PetscInt N, const PetscReal x[], const PetscReal y[])
{
  SLDataPoint *pts;

  PetscFunctionBeginUser;
  PetscCheck(N >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Data set '%s': need at least 1 point, got N = %" PetscInt_FMT, data->name, N);
  PetscCall(PetscMalloc1(N, &pts));
  for (PetscInt n = 0; n < N; n++) {
    PetscCheck(!PetscIsInfOrNanReal(x[n]) && !PetscIsInfOrNanReal(y[n]), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Data set '%s': point %" PetscInt_FMT " (x = %.6g, y = %.6g) is not finite", data->name, n, (double)x[n], (double)y[n]);
    pts[n].x   = x[n];
    pts[n].y   = y[n];
    pts[n].tag = n;
  }
  PetscCall(SLDataSortPoints(N, pts));
  for (PetscInt n = 1; n < N; n++)
    PetscCheck(pts[n].x != pts[n - 1].x, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Data set '%s': points %" PetscInt_FMT " and %" PetscInt_FMT " have the same x = %.6g (x must be distinct)", data->name, pts[n - 1].tag, pts[n].tag, (double)pts[n].x);
  PetscCall(SLDataStorePoints(data, N, pts));
  PetscCall(PetscFree(pts));
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataView(SLData data, PetscViewer viewer)
{
  PetscBool         iascii;
  PetscViewerFormat format;

  PetscFunctionBeginUser;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_WORLD;
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerGetFormat(viewer, &format));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Data set '%s': type %s, N = %" PetscInt_FMT ", x in [%.6g, %.6g]\n", data->name, SLDataTypes[data->type], data->N, (double)data->xmin, (double)data->xmax));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (data->type == SL_DATA_CSV) PetscCall(PetscViewerASCIIPrintf(viewer, "file: %s\n", data->file));
  else if (data->type != SL_DATA_FOURPOINT && data->type != SL_DATA_SQUARE10) PetscCall(PetscViewerASCIIPrintf(viewer, "sampling %s, seed %" PetscInt_FMT "\n", SLSamplings[data->sampling], data->seed));
  if (data->type == SL_DATA_ZIGZAG) PetscCall(PetscViewerASCIIPrintf(viewer, "zigzag amplitude %.6g\n", (double)data->amplitude));
  if (data->noise > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "label noise: std %.6g, seed %" PetscInt_FMT "\n", (double)data->noise, data->seed));
  if (data->x && format == PETSC_VIEWER_ASCII_INFO_DETAIL) {
    for (PetscInt n = 0; n < data->N; n++) PetscCall(PetscViewerASCIIPrintf(viewer, "x[%" PetscInt_FMT "] = %.17g  y = %.17g\n", n, (double)data->x[n], (double)data->y[n]));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}
