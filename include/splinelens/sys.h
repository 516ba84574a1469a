/* splinelens: common definitions shared by every module.
 *
 * Conventions (see ../../../shared/THEORY.md for the mathematics):
 *  - NN parameters theta of a width-H network are stored neuron-major: theta[3i+0] = w_i, theta[3i+1] = b_i,
 *    theta[3i+2] = v_i, and the optional output bias c last (theta[3H]). P = 3H (+1).
 *  - Spline (BDSO) coordinates phi are stored neuron-major too: phi[2i+0] = beta_i, phi[2i+1] = mu_i, c last.
 *    Orientations s_i = sign(w_i) are held fixed and stored separately.
 *  - A network may be distributed over an MPI communicator by contiguous neuron ranges that are aligned to
 *    SL_NEURON_BLOCK. Sums over neurons (forward pass, J z) are computed per block and added in block order,
 *    so results are bitwise identical for any number of ranks.
 *  - Every option lives under the prefix "sl_" (see -help).
 */
#pragma once
#include <petscsys.h>
#include <splinelens/slconfig.h>

/* Neurons per deterministic-reduction block; distributed neuron ranges start on multiples of it. */
#define SL_NEURON_BLOCK 1024

/* Loss normalisation: "sum" l = 1/2 sum r_n^2 (the paper's), "mean" l = 1/(2N) sum r_n^2. */
typedef enum {
  SL_LOSS_SUM,
  SL_LOSS_MEAN
} SLLossType;
PETSC_EXTERN const char *const SLLossTypes[]; /* PetscOptionsEnum list: "sum","mean",... */

/* Factor multiplying the sum-loss quantities: 1 for sum, 1/N for mean. */
static inline PetscReal SLLossScale(SLLossType t, PetscInt N)
{
  return t == SL_LOSS_MEAN ? 1.0 / (PetscReal)N : 1.0;
}
