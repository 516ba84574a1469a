/* Counter-based random numbers: Random123 Philox4x64-10 (see SL_RNG_SCHEME in rng.h).
 *
 * Every number is a pure function of (seed, stream, index, draw): key = (seed, stream), counter =
 * (index, draw, 0, 0). There is no state, so any process can regenerate any neuron or data point and a network
 * is bitwise identical whatever layout generates it (docs/theory.md section 3, init.h).
 */
#include <math.h>
#include <Random123/philox.h>
#include <splinelens/rng.h>

/* The four 64-bit output words for one (seed, stream, index, draw). */
static philox4x64_ctr_t SLPhilox(uint64_t seed, uint64_t stream, uint64_t index, uint64_t draw)
{
  philox4x64_key_t key = {
    {seed, stream}
  };
  philox4x64_ctr_t ctr = {
    {index, draw, 0, 0}
  };

  return philox4x64(ctr, key);
}

/* (top 52 bits + 1/2) * 2^-52: the midpoint of one of 2^52 equal cells of [0, 1). Every step is exact in double
 * precision (k + 1/2 < 2^52 needs 53 significant bits), so the result lies in the open interval (0, 1), from
 * 2^-53 to 1 - 2^-53, and u and 1 - u are equally likely. With 53 bits the midpoints of the upper half would
 * need 54 bits: they round (ties to even) and the top one becomes exactly 1. */
static inline PetscReal SLWordToUniform01(uint64_t word)
{
  return ((PetscReal)(word >> 12) + 0.5) * 0x1p-52;
}

PetscReal SLRandomUniform01(uint64_t seed, uint64_t stream, uint64_t index, uint64_t draw)
{
  philox4x64_ctr_t r = SLPhilox(seed, stream, index, draw);

  return SLWordToUniform01(r.v[0]);
}

/* Box-Muller on words 0 and 1 (both mapped to (0, 1) as above): sqrt(-2 ln u0) cos(2 pi u1). u0 > 0, so the
 * logarithm is finite; the largest magnitude is sqrt(-2 ln 2^-53) ~ 8.57. */
PetscReal SLRandomNormal(uint64_t seed, uint64_t stream, uint64_t index, uint64_t draw)
{
  philox4x64_ctr_t r  = SLPhilox(seed, stream, index, draw);
  PetscReal        u0 = SLWordToUniform01(r.v[0]);
  PetscReal        u1 = SLWordToUniform01(r.v[1]);

  return PetscSqrtReal(-2.0 * PetscLogReal(u0)) * PetscCosReal(2.0 * PETSC_PI * u1);
}
