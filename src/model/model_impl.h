/* Private to src/model/ (data, network, spline, init): not part of the public contract, and included by no
 * other folder. */
#pragma once
#include <splinelens/data.h>
#include <splinelens/network.h>
#include <splinelens/spline.h>
#include <splinelens/init.h>

/* ---- data sets (data.c, data_csv.c, data_options.c) ---- */

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

/* ---- networks and splines (network*.c, spline*.c) ---- */
/* Private helpers shared by network*.c and spline*.c (not part of the public contract).
 *
 * Deterministic neuron reduction (sys.h, network.h): a sum over neurons that produces replicated numbers is
 * computed as per-block partial sums (the neurons of block k = [k B, (k+1) B) added in index order, starting
 * from 0), then the block partials added in increasing k, starting from 0. Every rank holds whole blocks
 * (SLNetworkLayout), so the same floating-point operations happen in the same order on any number of ranks,
 * and on one rank too: results are bitwise independent of the process count.
 */

/* A (P x P, column-major, leading dimension lda, zeroed on entry) := scale * J^T J for the N x P row-major Jacobian J, all of
 * it: the upper triangle is computed and mirrored, so the result is exactly symmetric. */
PETSC_INTERN PetscErrorCode SLDenseGramFill(PetscInt P, PetscInt N, const PetscReal J[], PetscReal scale, PetscReal *A, PetscInt lda);

/* Create a zeroed P x P MATSEQDENSE; the caller fills it between MatDenseGetArray/RestoreArray. */
PETSC_INTERN PetscErrorCode SLDenseCreate(PetscInt P, Mat *A);

/* ---- initialization (init.c, init_options.c) ---- */

/* The prefix named in messages when the caller's prefix is unknown (SLInitGetLaws, SLNetworkInitialize). */
#define SL_INIT_DEFAULT_PREFIX "sl_init_"

/* Refuse alpha, alpha_in, alpha_out <= 0, negative stds and out-of-range enums; messages name -<prefix>opt. */
PETSC_INTERN PetscErrorCode SLInitParamsCheck(const SLInitParams *p, const char prefix[]);
