/* Helpers shared by the core numerics tests (test_core_*.c): a fixed LCG, hand-built data sets, random
 * networks with breakpoints kept away from the data points, and dense symmetric eigenvalues (LAPACK). */
#pragma once
#include <stdint.h>
#include <math.h>
#include <splinelens/splinelens.h>
#include <petscblaslapack.h>

/* Knuth's MMIX LCG; the top 53 bits give a uniform number in [0, 1). Fixed seeds: reproducible tests. */
typedef struct {
  uint64_t s;
} TLcg;

static inline PetscReal TUniform(TLcg *g, PetscReal a, PetscReal b)
{
  g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
  return a + (b - a) * ((PetscReal)(g->s >> 11) / 9007199254740992.0);
}

/* Data through the data module (SLDataSetPoints copies, sorts and validates). */
static inline PetscErrorCode TDataCreate(PetscInt N, const PetscReal x[], const PetscReal y[], SLData *data)
{
  PetscFunctionBeginUser;
  PetscCall(SLDataCreate("test", data));
  PetscCall(SLDataSetPoints(*data, N, x, y));
  PetscCheck((*data)->N == N, PETSC_COMM_SELF, PETSC_ERR_PLIB, "SLDataSetPoints kept %" PetscInt_FMT " of %" PetscInt_FMT " points", (*data)->N, N);
  PetscFunctionReturn(0);
}

static inline PetscErrorCode TDataDestroy(SLData *data)
{
  PetscFunctionBeginUser;
  PetscCall(SLDataDestroy(data));
  PetscFunctionReturn(0);
}

/* N sorted points in [lo, hi] with gaps >= (hi - lo) / (4 N), random targets in [-1, 1]. */
static inline PetscErrorCode TDataRandom(TLcg *g, PetscInt N, PetscReal lo, PetscReal hi, SLData *data)
{
  PetscReal *x, *y, h = (hi - lo) / N;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(N, &x, N, &y));
  for (PetscInt n = 0; n < N; n++) {
    x[n] = lo + h * (n + TUniform(g, 0.125, 0.875));
    y[n] = TUniform(g, -1, 1);
  }
  PetscCall(TDataCreate(N, x, y, data));
  PetscCall(PetscFree2(x, y));
  PetscFunctionReturn(0);
}

/* Smallest |beta - x_n| relative scale check: is beta at least gap away from every data point? */
static inline PetscBool TFarFromData(SLData data, PetscReal beta, PetscReal gap)
{
  for (PetscInt n = 0; n < data->N; n++)
    if (PetscAbsReal(beta - data->x[n]) < gap) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* Global parameter vector (length 3H (+1)) of a random network: |w| in [0.3, 1.5] with random sign, breakpoint
 * beta in [lo, hi] at least `gap` from every data point (data may be NULL), b = -w beta, v in [-1, 1], c in
 * [-0.5, 0.5]. Every neuron i with i % flat_every == flat_every - 1 (flat_every > 0) is flat: w = 0, b = +-0.4
 * alternating. */
static inline void TRandomTheta(TLcg *g, PetscInt H, PetscBool has_c, SLData data, PetscReal lo, PetscReal hi, PetscReal gap, PetscInt flat_every, PetscReal theta[])
{
  PetscInt nflat = 0;

  for (PetscInt i = 0; i < H; i++) {
    PetscReal w = TUniform(g, 0.3, 1.5), beta;

    if (TUniform(g, 0, 1) < 0.5) w = -w;
    do {
      beta = TUniform(g, lo, hi);
    } while (data && !TFarFromData(data, beta, gap));
    theta[3 * i]     = w;
    theta[3 * i + 1] = -w * beta;
    theta[3 * i + 2] = TUniform(g, -1, 1);
    if (flat_every > 0 && i % flat_every == flat_every - 1) {
      theta[3 * i]     = 0.0;
      theta[3 * i + 1] = (nflat++ % 2 == 0) ? 0.4 : -0.4;
    }
  }
  if (has_c) theta[3 * H] = TUniform(g, -0.5, 0.5);
}

/* Eigenvalues (ascending) of the symmetric n x n column-major matrix A (not modified). */
static inline PetscErrorCode TSymEig(PetscInt n, const PetscReal A[], PetscReal ev[])
{
  PetscReal   *a, *work, wq;
  PetscBLASInt bn, lwork = -1, info;

  PetscFunctionBeginUser;
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscMalloc1(n * n, &a));
  PetscCall(PetscArraycpy(a, A, n * n));
  LAPACKsyev_("N", "U", &bn, a, &bn, ev, &wq, &lwork, &info);
  lwork = (PetscBLASInt)wq;
  PetscCall(PetscMalloc1(lwork, &work));
  LAPACKsyev_("N", "U", &bn, a, &bn, ev, work, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsyev failed, info %d", (int)info);
  PetscCall(PetscFree(work));
  PetscCall(PetscFree(a));
  PetscFunctionReturn(0);
}

/* Eigenvalues of a MATSEQDENSE (copied out of its array with its leading dimension). */
static inline PetscErrorCode TMatEig(Mat M, PetscReal ev[])
{
  PetscInt           n, lda;
  const PetscScalar *m;
  PetscReal         *a;

  PetscFunctionBeginUser;
  PetscCall(MatGetSize(M, &n, NULL));
  PetscCall(MatDenseGetLDA(M, &lda));
  PetscCall(PetscMalloc1(n * n, &a));
  PetscCall(MatDenseGetArrayRead(M, &m));
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt i = 0; i < n; i++) a[i + j * n] = m[i + j * lda];
  PetscCall(MatDenseRestoreArrayRead(M, &m));
  PetscCall(TSymEig(n, a, ev));
  PetscCall(PetscFree(a));
  PetscFunctionReturn(0);
}

/* Copy a MATSEQDENSE to a plain column-major n x n array. */
static inline PetscErrorCode TMatToArray(Mat M, PetscReal a[])
{
  PetscInt           n, lda;
  const PetscScalar *m;

  PetscFunctionBeginUser;
  PetscCall(MatGetSize(M, &n, NULL));
  PetscCall(MatDenseGetLDA(M, &lda));
  PetscCall(MatDenseGetArrayRead(M, &m));
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt i = 0; i < n; i++) a[i + j * n] = m[i + j * lda];
  PetscCall(MatDenseRestoreArrayRead(M, &m));
  PetscFunctionReturn(0);
}

/* Check helper: print and count a failure. */
#define TCHECK(cond, nfail, ...) \
  do { \
    if (!(cond)) { \
      (nfail)++; \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "FAIL %s:%d: ", __FILE__, __LINE__)); \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, __VA_ARGS__)); \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "\n")); \
    } \
  } while (0)
