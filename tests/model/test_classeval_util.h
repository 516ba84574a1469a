/* Helpers of the activation-class evaluator tests (test_classeval*.c): networks with every hard case of the
 * activation predicate, and trajectory-like perturbations that move breakpoints across data points. The global
 * parameter vectors come from a fixed LCG, so every rank builds the same one. */
#pragma once
#include "test_core_util.h"

/* Is point n in the active set of class c (classeval.h ids)? */
static inline PetscBool TInClass(PetscInt c, PetscInt N, PetscInt n)
{
  return c <= N ? (n >= c ? PETSC_TRUE : PETSC_FALSE) : (n < c - N - 1 ? PETSC_TRUE : PETSC_FALSE);
}

/* Put neuron i in one of the hard cases, by kind:
 *   1  breakpoint exactly on a data point in floating point: b = -fl(w x_k), so w x_k + b = 0 (inactive at x_k)
 *   2  the same with w = +-1/2 (exact products)
 *   3  b one ulp off -fl(w x_k) (active at x_k or not by one ulp)
 *   4  w = 0 with b cycling through 0.7, -0.3, +0, -0
 *   5  a duplicate of neuron i - 1
 *   6  dead: breakpoint beyond the data on the inactive side
 *   7  active everywhere: breakpoint beyond the data on the active side
 *   otherwise left as it is (random breakpoint, possibly outside the data). */
static inline void TSpecialNeuron(TLcg *g, SLData data, PetscInt kind, PetscInt i, PetscReal th[])
{
  const PetscInt   N = data->N, k = (PetscInt)TUniform(g, 0, (PetscReal)N) % N;
  const PetscReal *x = data->x, span = x[N - 1] - x[0] + 1.0;
  PetscReal       *w = th + 3 * i, *b = th + 3 * i + 1, *v = th + 3 * i + 2;

  switch (kind) {
  case 1:
    *b = -(*w * x[k]);
    break;
  case 2:
    *w = TUniform(g, 0, 1) < 0.5 ? 0.5 : -0.5;
    *b = -(*w * x[k]);
    break;
  case 3:
    *b = nextafter(-(*w * x[k]), TUniform(g, 0, 1) < 0.5 ? PETSC_INFINITY : PETSC_NINFINITY);
    break;
  case 4: {
    static const PetscReal bs[4] = {0.7, -0.3, 0.0, -0.0};

    *w = 0.0;
    *b = bs[(i / 10) % 4];
  } break;
  case 5:
    if (i > 0) {
      *w = th[3 * (i - 1)];
      *b = th[3 * (i - 1) + 1];
      *v = th[3 * (i - 1) + 2];
    }
    break;
  case 6:
    *b = *w > 0 ? -*w * (x[N - 1] + span) : -*w * (x[0] - span);
    break;
  case 7:
    *b = *w > 0 ? -*w * (x[0] - span) : -*w * (x[N - 1] + span);
    break;
  default:
    break;
  }
}

/* Random network (global vector, length 3H (+1)) with breakpoints in [x_0 - 1/2, x_{N-1} + 1/2] and the hard
 * cases of TSpecialNeuron (kind i % 10). */
static inline void TClassTheta(TLcg *g, PetscInt H, PetscBool has_c, SLData data, PetscReal theta[])
{
  TRandomTheta(g, H, has_c, NULL, data->x[0] - 0.5, data->x[data->N - 1] + 0.5, 0, 0, theta);
  for (PetscInt i = 0; i < H; i++) TSpecialNeuron(g, data, i % 10, i, theta);
}

/* A step along a trajectory: w += step |w| U(-1, 1), b += 4 step U(-1, 1) (breakpoints move by about 4 step / |w|,
 * across several data points for step >> spacing), v, c += step U(-1, 1); every 9th neuron (from `phase`) is
 * snapped back onto a hard case, every 31st gets its w sign flipped. */
static inline void TPerturb(TLcg *g, PetscInt H, PetscBool has_c, SLData data, PetscReal step, PetscInt phase, PetscReal theta[])
{
  for (PetscInt i = 0; i < H; i++) {
    theta[3 * i] += step * PetscAbsReal(theta[3 * i]) * TUniform(g, -1, 1);
    theta[3 * i + 1] += 4 * step * TUniform(g, -1, 1);
    theta[3 * i + 2] += step * TUniform(g, -1, 1);
    if ((i + phase) % 9 == 0) TSpecialNeuron(g, data, (i + phase) % 10, i, theta);
    if ((i + phase) % 31 == 0) theta[3 * i] = -theta[3 * i];
  }
  if (has_c) theta[3 * H] += step * TUniform(g, -1, 1);
}
