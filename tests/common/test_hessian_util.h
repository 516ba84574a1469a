/* Helpers of the Hessian / spectrum tests (test_hessian_*.c, test_spectrum*.c): random networks defined by a
 * formula of the global neuron index (so any layout holds the same network), data sets, models in both
 * coordinate systems, interpolating targets, and dense symmetric eigenvalues by LAPACK. */
#pragma once
#include <math.h>
#include <splinelens/splinelens.h>
#include <splinelens/hessian.h>
#include <splinelens/spectrum.h>
#include <splinelens/rng.h>
#include <petscblaslapack.h>

#define HCHECK(cond, ...) PetscCheck(cond, PETSC_COMM_SELF, PETSC_ERR_PLIB, __VA_ARGS__)

/* Parameters of neuron g (global index) for seed: |w| in [0.4, 1.6] with random sign, breakpoint beta in
 * [-1.3, 1.3] (some neurons are dead on data in [-1, 1]), b = -w beta, v ~ N(0, 1) * vscale.
 * flat_every > 0: every neuron g with g % flat_every == 1 is flat (w = 0, b = 0.5). */
static inline void HNeuron(PetscInt seed, PetscInt g, PetscReal vscale, PetscInt flat_every, PetscReal p[3])
{
  const uint64_t  s    = (uint64_t)seed;
  const PetscReal sgn  = SLRandomUniform01(s, SL_STREAM_TEST, (uint64_t)g, 0) < 0.5 ? -1.0 : 1.0;
  const PetscReal w    = sgn * (0.4 + 1.2 * SLRandomUniform01(s, SL_STREAM_TEST, (uint64_t)g, 1));
  const PetscReal beta = -1.3 + 2.6 * SLRandomUniform01(s, SL_STREAM_TEST, (uint64_t)g, 2);

  p[0] = w;
  p[1] = -w * beta;
  p[2] = vscale * SLRandomNormal(s, SL_STREAM_TEST, (uint64_t)g, 3);
  if (flat_every > 0 && g % flat_every == 1) {
    p[0] = 0.0;
    p[1] = 0.5;
  }
}

/* A width-H network on comm holding HNeuron's parameters (and c = 0.3 when has_c). */
static inline PetscErrorCode HNetworkCreate(MPI_Comm comm, PetscInt H, PetscBool has_c, PetscInt seed, PetscReal vscale, PetscInt flat_every, SLNetwork *net)
{
  PetscInt   Plocal;
  PetscReal *th;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkCreate(comm, H, has_c, net));
  PetscCall(SLNetworkGetSizes(*net, NULL, &Plocal));
  PetscCall(PetscMalloc1(PetscMax(Plocal, 1), &th));
  for (PetscInt i = 0; i < (*net)->hlocal; i++) HNeuron(seed, (*net)->hstart + i, vscale, flat_every, th + 3 * i);
  if ((*net)->owns_c) th[3 * (*net)->hlocal] = 0.3;
  PetscCall(SLNetworkSetParameters(*net, th));
  PetscCall(PetscFree(th));
  PetscFunctionReturn(0);
}

/* N points in [-1, 1] (jittered grid, sorted), targets sin(pi x) + 0.3 u, u in (-1, 1). */
static inline PetscErrorCode HDataCreate(PetscInt N, PetscInt seed, SLData *data)
{
  PetscReal *x, *y, h = 2.0 / N;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(N, &x, N, &y));
  for (PetscInt n = 0; n < N; n++) {
    x[n] = -1.0 + h * (n + 0.1 + 0.8 * SLRandomUniform01((uint64_t)seed, SL_STREAM_TEST + 1, (uint64_t)n, 0));
    y[n] = PetscSinReal(PETSC_PI * x[n]) + 0.3 * (2 * SLRandomUniform01((uint64_t)seed, SL_STREAM_TEST + 1, (uint64_t)n, 1) - 1);
  }
  PetscCall(SLDataCreate("test", data));
  PetscCall(SLDataSetPoints(*data, N, x, y));
  PetscCall(PetscFree2(x, y));
  PetscFunctionReturn(0);
}

/* Replace the targets by y = f(x) + eps * u (eps = 0: exactly interpolating, r = 0 bit for bit). */
static inline PetscErrorCode HDataInterpolate(SLNetwork net, PetscReal eps, SLData data)
{
  PetscReal *f;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(data->N, &f));
  PetscCall(SLNetworkEvaluate(net, data->N, data->x, f));
  for (PetscInt n = 0; n < data->N; n++) data->y[n] = f[n] + eps * (2 * SLRandomUniform01(7, SL_STREAM_TEST + 2, (uint64_t)n, 0) - 1);
  PetscCall(PetscFree(f));
  PetscFunctionReturn(0);
}

/* The model of net in coordinates coords (BDSO: a spline made from net, destroyed by HModelDestroy). */
static inline PetscErrorCode HModelCreate(SLCoordinates coords, SLNetwork net, SLModel *model)
{
  PetscFunctionBeginUser;
  model->coords = coords;
  model->net    = net;
  model->sp     = NULL;
  if (coords == SL_COORD_BDSO) PetscCall(SLSplineCreateFromNetwork(net, &model->sp));
  PetscFunctionReturn(0);
}

static inline PetscErrorCode HModelDestroy(SLModel *model)
{
  PetscFunctionBeginUser;
  PetscCall(SLSplineDestroy(&model->sp));
  PetscFunctionReturn(0);
}

/* All eigenvalues (ascending) of the dense Hessian part, by LAPACK dsyev (independent of spectrum.c). */
static inline PetscErrorCode HDenseEig(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscInt *P, PetscReal **ev)
{
  Mat                A;
  PetscInt           n, lda;
  const PetscScalar *m;
  PetscReal         *a, *work, wq;
  PetscBLASInt       bn, lwork = -1, info;

  PetscFunctionBeginUser;
  PetscCall(SLHessianCreateDense(model, data, type, part, &A));
  PetscCall(MatGetSize(A, &n, NULL));
  PetscCall(MatDenseGetLDA(A, &lda));
  PetscCall(PetscMalloc1(n * n, &a));
  PetscCall(PetscMalloc1(n, ev));
  PetscCall(MatDenseGetArrayRead(A, &m));
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt i = 0; i < n; i++) a[i + j * n] = m[i + j * lda];
  PetscCall(MatDenseRestoreArrayRead(A, &m));
  PetscCall(MatDestroy(&A));
  PetscCall(PetscBLASIntCast(n, &bn));
  LAPACKsyev_("N", "U", &bn, a, &bn, *ev, &wq, &lwork, &info);
  lwork = (PetscBLASInt)wq;
  PetscCall(PetscMalloc1(lwork, &work));
  LAPACKsyev_("N", "U", &bn, a, &bn, *ev, work, &lwork, &info);
  HCHECK(info == 0, "dsyev failed, info %d", (int)info);
  PetscCall(PetscFree(work));
  PetscCall(PetscFree(a));
  *P = n;
  PetscFunctionReturn(0);
}

/* #{ev < lambda} of an ascending array. */
static inline PetscInt HCountBelow(PetscInt n, const PetscReal ev[], PetscReal lambda)
{
  PetscInt c = 0;

  while (c < n && ev[c] < lambda) c++;
  return c;
}
