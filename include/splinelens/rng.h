/* Counter-based random numbers (Random123 Philox4x64-10).
 *
 * Every random number is a pure function of (seed, stream, index, draw): the key is (seed, stream) and the
 * counter is (index, draw, 0, 0). For network initialization index = global neuron index, so a network is
 * bitwise identical whatever process, rank count or neuron range generates it. No state, no sequencing.
 */
#pragma once
#include <stdint.h>
#include <splinelens/sys.h>

/* Streams keep the uses of one seed independent. */
typedef enum {
  SL_STREAM_INIT  = 0x1001, /* network parameters: index = neuron, draw = 0 (w), 1 (b), 2 (v); c uses index H */
  SL_STREAM_DATA  = 0x2001, /* data-set x positions and random targets: index = point */
  SL_STREAM_NOISE = 0x3001, /* additive label noise: index = point */
  SL_STREAM_TEST  = 0x7001  /* tests and benchmarks */
} SLStream;

#define SL_RNG_SCHEME \
  "Random123 Philox4x64-10; key=(seed, stream), counter=(index, draw, 0, 0); uniform: (top 52 bits of word 0 + 1/2) * 2^-52, exactly in the open interval (0,1); normal: Box-Muller sqrt(-2 ln u0) cos(2 pi u1) on words 0 and 1 mapped the same way"

/* Uniform on the open interval (0, 1). */
PETSC_EXTERN PetscReal SLRandomUniform01(uint64_t seed, uint64_t stream, uint64_t index, uint64_t draw);
/* Standard normal N(0, 1). */
PETSC_EXTERN PetscReal SLRandomNormal(uint64_t seed, uint64_t stream, uint64_t index, uint64_t draw);
