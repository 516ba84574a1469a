/* Kolmogorov-Smirnov goodness of fit for the tests (docs/theory.md section 6, claim 4): the one-sample statistic
 * D_n = sup |F_n - F| and its asymptotic p-value with Stephens' small-sample correction. */
#pragma once
#include <math.h>
#include <stdlib.h>

#define M_PI_KS 3.14159265358979323846

/* Q_KS(lambda) = P(K > lambda) for the Kolmogorov distribution K. Two series, each used where it converges
 * fast: 1 - sqrt(2 pi)/lambda sum_k exp(-(2k-1)^2 pi^2 / (8 lambda^2)) for small lambda, and
 * 2 sum_k (-1)^(k-1) exp(-2 k^2 lambda^2) for large lambda. */
static inline double KSQ(double lambda)
{
  double s = 0;

  if (lambda <= 0) return 1.0;
  if (lambda < 1.18) {
    for (int k = 1; k <= 20; k++) s += exp(-(2 * k - 1) * (2 * k - 1) * M_PI_KS * M_PI_KS / (8 * lambda * lambda));
    return 1.0 - sqrt(2 * M_PI_KS) / lambda * s;
  }
  for (int k = 1; k <= 100; k++) s += (k % 2 ? 2.0 : -2.0) * exp(-2.0 * k * k * lambda * lambda);
  return s;
}

static int KSCompare(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts x in place; returns the p-value of H0 "x is an i.i.d. sample of the continuous CDF F" (ctx: F's
 * parameters) and the statistic in *D. */
static inline double KSTest(size_t n, double *x, double (*F)(double, const double *), const double *ctx, double *D)
{
  double d = 0, sn = sqrt((double)n);

  qsort(x, n, sizeof(double), KSCompare);
  for (size_t i = 0; i < n; i++) {
    double f = F(x[i], ctx), lo = f - (double)i / n, hi = (double)(i + 1) / n - f;

    if (lo > d) d = lo;
    if (hi > d) d = hi;
  }
  if (D) *D = d;
  return KSQ((sn + 0.12 + 0.11 / sn) * d);
}
