/* Counter-based RNG (rng.h): known-answer vectors of Philox4x64-10, the documented mapping of words to
 * uniforms and normals, purity (same arguments -> same bits), the open interval, and moments of 1e6 draws. */
#include <inttypes.h>
#include <string.h>
#include <Random123/philox.h>
#include <splinelens/rng.h>

#include "check.h"

static philox4x64_ctr_t Raw(uint64_t seed, uint64_t stream, uint64_t index, uint64_t draw)
{
  philox4x64_key_t k = {
    {seed, stream}
  };
  philox4x64_ctr_t c = {
    {index, draw, 0, 0}
  };
  return philox4x64(c, k);
}

/* Mean and variance of n samples must lie within 5 standard errors of (mean, var); var_of_var is the variance
 * of one (x - mean)^2 term, i.e. mu4 - var^2. */
static void CheckMoments(const char *what, PetscInt n, const double *x, double mean, double var, double mu4)
{
  double s = 0, s2 = 0, m, v, se_m, se_v;

  for (PetscInt i = 0; i < n; i++) s += x[i];
  m = s / n;
  for (PetscInt i = 0; i < n; i++) s2 += (x[i] - m) * (x[i] - m);
  v    = s2 / (n - 1);
  se_m = sqrt(var / n);
  se_v = sqrt((mu4 - var * var) / n);
  printf("%s: mean %.6f (expect %.6f, SE %.2e), var %.6f (expect %.6f, SE %.2e)\n", what, m, mean, se_m, v, var, se_v);
  CHECK(fabs(m - mean) < 5 * se_m, "%s mean %g not within 5 SE of %g", what, m, mean);
  CHECK(fabs(v - var) < 5 * se_v, "%s variance %g not within 5 SE of %g", what, v, var);
}

int main(int argc, char **argv)
{
  const PetscInt n = 1000000;
  double        *u, *z;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "test_rng: counter-based random numbers"));
  printf("scheme: %s\n", SL_RNG_SCHEME);

  /* 1. Known-answer tests from the Random123 distribution (kat_vectors): the generator is Philox4x64-10. */
  {
    philox4x64_ctr_t r = Raw(0, 0, 0, 0);
    philox4x64_key_t k = {
      {0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL}
    };
    philox4x64_ctr_t c = {
      {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL}
    };
    philox4x64_ctr_t q = philox4x64(c, k);

    CHECK(r.v[0] == 0x16554d9eca36314cULL && r.v[1] == 0xdb20fe9d672d0fdcULL && r.v[2] == 0xd7e772cee186176bULL && r.v[3] == 0x7e68b68aec7ba23bULL, "KAT zero key/counter");
    CHECK(q.v[0] == 0xa528f45403e61d95ULL && q.v[1] == 0x38c72dbd566e9788ULL && q.v[2] == 0xa5a1610e72fd18b5ULL && q.v[3] == 0x57bd43b5e52b7fe6ULL, "KAT pi digits");
  }

  /* 2. The documented mapping: key (seed, stream), counter (index, draw, 0, 0); uniform = (top 52 bits + 1/2)
   * 2^-52; normal = Box-Muller on words 0 and 1. */
  for (uint64_t t = 0; t < 1000; t++) {
    uint64_t         seed = t * 7919 + 3, stream = SL_STREAM_INIT + (t % 3), index = t * t * 1000003ULL, draw = t % 5;
    philox4x64_ctr_t r  = Raw(seed, stream, index, draw);
    double           u0 = ((double)(r.v[0] >> 12) + 0.5) * 0x1p-52, u1 = ((double)(r.v[1] >> 12) + 0.5) * 0x1p-52;
    double           g = sqrt(-2.0 * log(u0)) * cos(2.0 * PETSC_PI * u1);
    double           U = SLRandomUniform01(seed, stream, index, draw), G = SLRandomNormal(seed, stream, index, draw);

    CHECK(U == u0, "uniform mapping at t=%" PRIu64 ": %.17g vs %.17g", t, U, u0);
    CHECK(fabs(G - g) <= 1e-15 * (1 + fabs(g)), "normal mapping at t=%" PRIu64 ": %.17g vs %.17g", t, G, g);
  }
  /* the extreme words map strictly inside (0, 1) (checked with the same expression as rng.c) */
  {
    double lo = ((double)(0ULL >> 12) + 0.5) * 0x1p-52, hi = ((double)(UINT64_MAX >> 12) + 0.5) * 0x1p-52;

    CHECK(lo > 0 && hi < 1 && 1.0 - hi == lo, "extreme words: lo %.17g hi %.17g", lo, hi);
  }

  /* 3. Purity: the same arguments give the same bits, in any call order; changing any argument changes them. */
  {
    double a  = SLRandomNormal(42, SL_STREAM_DATA, 17, 2);
    double b0 = SLRandomNormal(42, SL_STREAM_DATA, 16, 2);
    double b  = SLRandomNormal(42, SL_STREAM_DATA, 17, 2);

    (void)b0;
    CHECK(memcmp(&a, &b, sizeof a) == 0, "normal not reproducible");
    CHECK(SLRandomUniform01(42, SL_STREAM_DATA, 17, 2) == SLRandomUniform01(42, SL_STREAM_DATA, 17, 2), "uniform not reproducible");
    CHECK(SLRandomUniform01(43, SL_STREAM_DATA, 17, 2) != SLRandomUniform01(42, SL_STREAM_DATA, 17, 2), "seed ignored");
    CHECK(SLRandomUniform01(42, SL_STREAM_NOISE, 17, 2) != SLRandomUniform01(42, SL_STREAM_DATA, 17, 2), "stream ignored");
    CHECK(SLRandomUniform01(42, SL_STREAM_DATA, 18, 2) != SLRandomUniform01(42, SL_STREAM_DATA, 17, 2), "index ignored");
    CHECK(SLRandomUniform01(42, SL_STREAM_DATA, 17, 3) != SLRandomUniform01(42, SL_STREAM_DATA, 17, 2), "draw ignored");
  }

  /* 4. 1e6 uniforms in the open interval with the moments of U(0,1); 1e6 normals with those of N(0,1). */
  PetscCall(PetscMalloc2(n, &u, n, &z));
  for (PetscInt i = 0; i < n; i++) {
    u[i] = SLRandomUniform01(2024, SL_STREAM_TEST, (uint64_t)i, 0);
    z[i] = SLRandomNormal(2024, SL_STREAM_TEST, (uint64_t)i, 1);
  }
  {
    PetscInt bad = 0;

    for (PetscInt i = 0; i < n; i++) bad += !(u[i] > 0 && u[i] < 1);
    CHECK(bad == 0, "%" PetscInt_FMT " uniforms outside (0, 1)", bad);
  }
  CheckMoments("uniform", n, u, 0.5, 1.0 / 12, 1.0 / 80);
  CheckMoments("normal", n, z, 0.0, 1.0, 3.0);
  /* streams are independent: correlation of two streams at the same counters within 5 SE (1/sqrt(n)) */
  {
    double s = 0;

    for (PetscInt i = 0; i < n; i++) s += z[i] * SLRandomNormal(2024, SL_STREAM_INIT, (uint64_t)i, 1);
    s /= n;
    printf("cross-stream correlation %.2e (SE %.2e)\n", s, 1 / sqrt((double)n));
    CHECK(fabs(s) < 5 / sqrt((double)n), "streams correlated: %g", s);
  }
  PetscCall(PetscFree2(u, z));
  printf("%s: %d failure(s)\n", nfail ? "FAILED" : "PASSED", nfail);
  PetscCall(PetscFinalize());
  return nfail ? 1 : 0;
}
