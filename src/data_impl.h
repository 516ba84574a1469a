/* Private to data.c, data_csv.c and data_options.c. */
#pragma once
#include <splinelens/data.h>

/* One point with a tag reported in messages (a CSV line number or an input index). */
typedef struct {
  PetscReal x, y;
  PetscInt  tag;
} SLDataPoint;

/* Sort by x (ties by tag, so equal x end up adjacent in a fixed order). */
PETSC_INTERN PetscErrorCode SLDataSortPoints(PetscInt n, SLDataPoint pts[]);
/* Replace data's points by the sorted pts (copied); N and [xmin, xmax] become the actual size and range. */
PETSC_INTERN PetscErrorCode SLDataStorePoints(SLData data, PetscInt n, const SLDataPoint pts[]);
/* y_n += noise * N(0, 1) from (seed, SL_STREAM_NOISE, n, 0); nothing when noise == 0. */
PETSC_INTERN PetscErrorCode SLDataAddNoise(SLData data);
/* "sl_data_<name>_" */
PETSC_INTERN PetscErrorCode SLDataGetPrefix(SLData data, char prefix[], size_t len);
/* Is name a generator type name ("sine", ..., "fourpoint"; not "csv")? */
PETSC_INTERN PetscErrorCode SLDataTypeFromName(const char name[], PetscBool *found, SLDataType *type);
