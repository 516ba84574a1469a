/* Counts of negative / zero / positive Hessian eigenvalues, the bound and checks of docs/theory.md section 4, and
 * the exact spectral histogram from inertia counts (SLHessianCountBelow's machinery). */
#include "spectrum_impl.h"

/* Is some sorted value within tol of t? */
static PetscBool SLNearValue(PetscInt n, const PetscReal v[], PetscReal t, PetscReal tol)
{
  PetscInt lo = 0, hi = n; /* first index with v >= t */

  while (lo < hi) {
    const PetscInt mid = lo + (hi - lo) / 2;

    if (v[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo < n && PetscAbsReal(v[lo] - t) <= tol) return PETSC_TRUE;
  if (lo > 0 && PetscAbsReal(v[lo - 1] - t) <= tol) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* The bin counts from the cumulative counts cum[] at the edges e[] (nbins + 1 each), with their sanity checks. */
static PetscErrorCode SLHistogramCounts(SLSpectrum *spec, const PetscInt cum[], const PetscReal e[])
{
  const PetscInt nb = spec->nbins, P = spec->P;
  PetscInt       sum = 0;

  PetscFunctionBeginUser;
  PetscCheck(cum[0] == 0 && cum[nb] == P, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Exact histogram: %" PetscInt_FMT " eigenvalues below %g and %" PetscInt_FMT " below %g, expected 0 and P = %" PetscInt_FMT, cum[0], (double)e[0], cum[nb], (double)e[nb], P);
  for (PetscInt j = 0; j < nb; j++) {
    PetscCheck(cum[j + 1] >= cum[j] && e[j + 1] > e[j], PETSC_COMM_SELF, PETSC_ERR_PLIB, "Exact histogram: counts or edges decrease at bin %" PetscInt_FMT, j);
    spec->hist_counts[j] = cum[j + 1] - cum[j];
    sum += spec->hist_counts[j];
  }
  PetscCheck(sum == P, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Exact histogram counts sum to %" PetscInt_FMT ", not P = %" PetscInt_FMT, sum, P);
  PetscFunctionReturn(0);
}

/* Exact histogram: bins of equal width on [lambda_min - pad, lambda_max + pad], counts by differences of the
 * inertia count at the edges. With a dense spectrum the edges are first moved off the computed eigenvalues,
 * so the dense binning is unambiguous; an edge on an eigenvalue of R is nudged (the edge reported is the
 * one evaluated). The end edges are widened if an extreme (Krylov) estimate was not outside the spectrum. */
static PetscErrorCode SLSpectrumHistogram(SLHessCount hc, SLSpectrum *spec, PetscReal lmin, PetscReal lmax)
{
  const PetscInt nb = spec->nbins, P = spec->P;
  PetscReal     *e, width, lo, hi, pad, hscale;
  PetscInt      *cum;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(nb + 1, &spec->hist_edges)); /* spec's arrays: freed by SLSpectrumReset */
  PetscCall(PetscMalloc1(nb, &spec->hist_counts));
  PetscCall(PetscMalloc1(nb + 1, &cum));
  e = spec->hist_edges;
  PetscCall(SLHessCountGetScale(hc, &hscale));
  pad = 1e-6 * (lmax - lmin);
  if (!(pad > 0)) pad = 1e-6 * PetscMax(PetscMax(PetscAbsReal(lmin), PetscAbsReal(lmax)), hscale > 0 ? hscale : 1.0);
  lo    = lmin - pad;
  hi    = lmax + pad;
  width = hi - lo;
  for (PetscInt j = 0; j <= nb; j++) e[j] = (j == nb) ? hi : lo + width * (PetscReal)j / (PetscReal)nb;
  if (spec->method == SL_EIG_DENSE) {
    const PetscReal tol = 1e-9 * width;

    for (PetscInt j = 0; j <= nb; j++)
      for (PetscInt t = 0; t < 100 && SLNearValue(P, spec->values, e[j], tol); t++) e[j] += 2 * tol;
  }
  for (PetscInt j = 0; j <= nb; j++) SLTryOrCleanup(ierr, cleanup, SLHessCountEvalNudged(hc, e[j], 1, &cum[j], &e[j]));
  for (PetscInt t = 0; t < 10 && cum[0] > 0; t++) {
    e[0] -= width;
    SLTryOrCleanup(ierr, cleanup, SLHessCountEvalNudged(hc, e[0], -1, &cum[0], &e[0]));
  }
  for (PetscInt t = 0; t < 10 && cum[nb] < P; t++) {
    e[nb] += width;
    SLTryOrCleanup(ierr, cleanup, SLHessCountEvalNudged(hc, e[nb], 1, &cum[nb], &e[nb]));
  }
  SLTryOrCleanup(ierr, cleanup, SLHistogramCounts(spec, cum, e));
  if (spec->method == SL_EIG_DENSE) { /* the dense spectrum binned with the same edges must agree */
    PetscInt k = 0;

    for (PetscInt j = 0; j < nb; j++) {
      PetscInt c = 0;

      while (k < P && spec->values[k] < e[j + 1]) {
        if (spec->values[k] >= e[j]) c++;
        k++;
      }
      if (c != spec->hist_counts[j]) spec->check_counts = 0;
    }
  }
cleanup:
  PetscCall(PetscFree(cum));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumAnalyze(SLSpectrumSolver s, SLHessCount hc, SLData data, PetscBool interpolating, SLSpectrum *spec)
{
  SLModelInfo info;
  SLHessClass cl;
  PetscReal   lmin = PETSC_MAX_REAL, lmax = PETSC_MIN_REAL, zt;
  PetscBool   have_min = PETSC_FALSE, have_max = PETSC_FALSE;
  PetscInt    P = spec->P;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountGetClass(hc, &cl));
  info = cl->info;
  if (spec->method == SL_EIG_KRYLOV) {
    const PetscInt nsmall = PetscMin(s->nev, P);
    PetscReal      scale  = 0.0;

    for (PetscInt i = 0; i < spec->nvals; i++)
      if (!PetscIsNanReal(spec->values[i])) scale = PetscMax(scale, PetscAbsReal(spec->values[i]));
    if (scale == 0) {
      PetscReal blo, bhi;

      PetscCall(SLHessCountGetBounds(hc, &blo, &bhi));
      scale = PetscMax(PetscAbsReal(blo), PetscAbsReal(bhi));
    }
    if (spec->nreduced >= 0) {
      /* exact multiplicities already: check them with inertia counts, repair only if that fails */
      PetscBool ok;

      PetscCall(SLSpectrumExtremesVerify(s, hc, spec, nsmall, spec->nvals - nsmall, scale, &ok));
      if (!ok) {
        PetscCall(PetscInfo(NULL, "Spectrum: reduced-problem extremes disagree with inertia counts; repairing\n"));
        PetscCall(SLSpectrumKrylovRepair(s, hc, spec, nsmall, spec->nvals - nsmall, scale));
      }
    } else PetscCall(SLSpectrumKrylovRepair(s, hc, spec, nsmall, spec->nvals - nsmall, scale));
  }
  for (PetscInt i = 0; i < spec->nvals; i++) {
    const PetscReal v = spec->values[i];

    if (PetscIsNanReal(v)) continue;
    if (v < lmin) {
      lmin     = v;
      have_min = PETSC_TRUE;
    }
    if (v > lmax) {
      lmax     = v;
      have_max = PETSC_TRUE;
    }
  }
  if (!have_min || !have_max || PetscIsNanReal(spec->values[0]) || PetscIsNanReal(spec->values[spec->nvals - 1])) {
    /* an end did not converge: fall back on the rigorous bounds for that end */
    PetscReal blo, bhi;

    PetscCall(SLHessCountGetBounds(hc, &blo, &bhi));
    if (!have_min || PetscIsNanReal(spec->values[0])) lmin = blo;
    if (!have_max || PetscIsNanReal(spec->values[spec->nvals - 1])) lmax = bhi;
    PetscCall(PetscInfo(NULL, "Spectrum: an extreme eigenvalue did not converge; using the bounds [%g, %g]\n", (double)lmin, (double)lmax));
  }
  spec->lambda_min   = lmin;
  spec->lambda_max   = lmax;
  zt                 = s->zero_rtol * PetscMax(PetscAbsReal(lmin), PetscAbsReal(lmax));
  spec->zero_tol     = zt;
  spec->check_counts = spec->method == SL_EIG_DENSE && (s->exact_counts || spec->nbins > 0) ? 1 : -1;

  if (spec->method == SL_EIG_DENSE) {
    spec->n_neg = spec->n_zero = spec->n_pos = 0;
    for (PetscInt i = 0; i < P; i++) {
      if (spec->values[i] < -zt) spec->n_neg++;
      else if (spec->values[i] > zt) spec->n_pos++;
      else spec->n_zero++;
    }
  }
  if (spec->method == SL_EIG_KRYLOV || s->exact_counts) {
    PetscInt cneg, cle;

    /* #{lambda < -zt} and #{lambda < zt}: nudged outwards if they hit an eigenvalue of R */
    PetscCall(SLHessCountEvalNudged(hc, -zt, -1, &cneg, NULL));
    PetscCall(SLHessCountEvalNudged(hc, zt, 1, &cle, NULL));
    if (spec->method == SL_EIG_KRYLOV) {
      spec->n_neg  = cneg;
      spec->n_zero = cle - cneg;
      spec->n_pos  = P - cle;
    } else if (cneg != spec->n_neg || cle - cneg != spec->n_zero) {
      PetscCall(PetscInfo(NULL, "Spectrum: dense counts (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") differ from inertia counts (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")\n", spec->n_neg, spec->n_zero, spec->n_pos, cneg, cle - cneg, P - cle));
      spec->check_counts = 0;
    }
  }

  /* docs/theory.md section 4: J^T J PSD gives #{lambda < -zt} <= #{neurons with residual-block radius > zt} */
  PetscCall(SLHessCountBound(hc, zt, &spec->n_bound));
  spec->check_neg = spec->n_neg <= spec->n_bound ? 1 : 0;
  if (interpolating && cl->part != SL_HESS_RESIDUAL) {
    /* rank(J) <= min(N, 2H (+1 with the output bias)) in both coordinate systems, so scale J^T J has at least
     * P - rb zero eigenvalues. A run stops at loss <= loss_tol, not at r = 0: by Weyl's inequality every
     * eigenvalue of J^T J + R lies within ||R|| of one of J^T J, so at least P - rb eigenvalues of the full
     * Hessian lie in [-(zt + ||R||), zt + ||R||] (||R|| = max block radius, O(|r|)). */
    const PetscInt  rb    = PetscMin(data->N, 2 * info.H + (info.has_c ? 1 : 0));
    const PetscReal slack = cl->part == SL_HESS_FULL ? cl->rnorm : 0.0;
    PetscInt        nz    = spec->n_zero;

    if (slack > 0) {
      PetscInt clo, chi;
      PetscCall(SLHessCountEvalNudged(hc, -(zt + slack), -1, &clo, NULL));
      PetscCall(SLHessCountEvalNudged(hc, zt + slack, 1, &chi, NULL));
      nz = chi - clo;
    }
    spec->check_zero = nz >= P - rb ? 1 : 0;
  } else spec->check_zero = -1; /* not an interpolating point, or the residual part (no rank bound) */

  if (spec->nbins > 0) PetscCall(SLSpectrumHistogram(hc, spec, lmin, lmax));
  PetscFunctionReturn(0);
}
