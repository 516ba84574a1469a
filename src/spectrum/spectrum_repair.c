/* Krylov extremes made exact in multiplicity with inertia counts (docs/theory.md section 4).
 *
 * Extreme Hessian eigenvalues are often exactly multiple: k >= 3 neurons with the same active set and
 * orientation (breakpoints in one gap between data points, or all outside the data range: the rule when
 * H >> N) have Jacobian columns in one 2-dimensional space while their residual blocks are equal, which gives
 * the eigenvalue -rho_A (and +rho_A) multiplicity about k - 2. A single-vector Krylov method returns such an
 * eigenvalue once and then the next distinct ones, so the "k smallest" would be wrong. Here each distinct
 * Krylov value v is checked with two exact counts at v -+ delta: the count difference is its multiplicity (it
 * is repeated that many times), and eigenvalues the Krylov solve missed entirely (the count below v - delta
 * exceeds what was placed) are located by bisection on the count, to within delta, residual NaN (no vector).
 * delta = 10 tol scale is above the Krylov error and merges eigenvalues closer than that.
 * The extremes of the class-reduced problem (spectrum_reduced.c) are exact in multiplicity already: they are only
 * verified, two counts per group of equal values (SLSpectrumExtremesVerify), and repaired if that fails. */
#include "spectrum_impl.h"

/* Number of eigenvalues "before" u in direction d: d = +1 #{lambda < u}, d = -1 #{lambda > -u}
 * (= #{-lambda < u}); side: nudge direction (in u) if u hits an eigenvalue of R. */
static PetscErrorCode SLCountDir(SLHessCount hc, PetscInt P, PetscInt d, PetscReal u, PetscInt side, PetscInt *c)
{
  PetscInt cnt = 0;

  PetscFunctionBeginUser;
  if (d > 0) {
    PetscCall(SLHessCountEvalNudged(hc, u, side, &cnt, NULL));
    *c = cnt;
  } else {
    PetscCall(SLHessCountEvalNudged(hc, -u, -side, &cnt, NULL));
    *c = P - cnt;
  }
  PetscFunctionReturn(0);
}

/* The k-th (0-based) eigenvalue in direction d, given CountDir(a) <= k < CountDir(b), to within delta. */
static PetscErrorCode SLBisect(SLHessCount hc, PetscInt P, PetscInt d, PetscInt k, PetscReal a, PetscReal b, PetscReal delta, PetscReal *x)
{
  PetscFunctionBeginUser;
  for (PetscInt it = 0; it < 200 && b - a > delta; it++) {
    const PetscReal mid = 0.5 * (a + b);
    PetscInt        c   = 0;

    PetscCall(SLCountDir(hc, P, d, mid, 1, &c));
    if (c <= k) a = mid;
    else b = mid;
  }
  *x = 0.5 * (a + b);
  PetscFunctionReturn(0);
}

/* Fill out[0..n) (u-space, ascending) from the ng ascending Krylov hints kv (residuals kr). ubound < utop are
 * rigorous bounds of the spectrum in u-space. Values still missing after the hints (Krylov converged too few)
 * are bisected up to utop. *filled: values placed (n unless a count fails). */
static PetscErrorCode SLRepairEnd(SLHessCount hc, PetscInt P, PetscInt d, PetscInt n, PetscInt ng, const PetscReal kv[], const PetscReal kr[], PetscReal ubound, PetscReal utop, PetscReal delta, PetscReal out[], PetscReal outr[], PetscInt *filled)
{
  PetscInt  placed = 0, j = 0;
  PetscReal prev = ubound;

  PetscFunctionBeginUser;
  while (placed < n && j < ng) {
    const PetscReal v = kv[j], r = kr[j];
    PetscInt        j2 = j + 1, below = 0, upto = 0;

    while (j2 < ng && kv[j2] - v <= delta) j2++; /* one group: equal to within delta */
    PetscCall(SLCountDir(hc, P, d, v - delta, -1, &below));
    PetscCall(SLCountDir(hc, P, d, v + delta, 1, &upto));
    for (; placed < below && placed < n; placed++) { /* missed by Krylov: between prev and v - delta */
      PetscCall(SLBisect(hc, P, d, placed, prev, v - delta, delta, &out[placed]));
      outr[placed] = (PetscReal)NAN;
    }
    for (PetscInt m = PetscMax(below, placed); m < upto && placed < n; m++, placed++) {
      out[placed]  = v;
      outr[placed] = r;
    }
    prev = PetscMax(prev, v + delta);
    j    = j2;
  }
  if (placed < n) PetscCall(PetscInfo(NULL, "Krylov extremes: %" PetscInt_FMT " of %" PetscInt_FMT " values located by inertia bisection\n", n - placed, n));
  for (; placed < n && placed < P; placed++) {
    PetscCall(SLBisect(hc, P, d, placed, prev, utop, delta, &out[placed]));
    outr[placed] = (PetscReal)NAN;
    prev         = out[placed] - delta; /* the next one is not below this one */
  }
  *filled = placed;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumKrylovRepair(SLSpectrumSolver s, SLHessCount hc, SLSpectrum *spec, PetscInt nsmall, PetscInt nlarge, PetscReal scale)
{
  const PetscInt P = spec->P, nv = spec->nvals;
  PetscReal     *kv, *kr, *out, *outr, blo, bhi, delta = 10 * s->tol * scale;
  PetscInt       ng, fs = 0, fl = 0, before = spec->nconv, changed = 0;
  PetscReal     *orig;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  if (!(delta > 0)) PetscFunctionReturn(0);
  PetscCall(SLHessCountGetBounds(hc, &blo, &bhi));
  blo -= delta + 1e-6 * PetscAbsReal(blo); /* strictly below / above the spectrum */
  bhi += delta + 1e-6 * PetscAbsReal(bhi);
  PetscCall(PetscMalloc5(nv, &kv, nv, &kr, nv, &out, nv, &outr, nv, &orig));
  PetscCall(PetscArraycpy(orig, spec->values, nv));
  /* smallest end: the converged values are first in values[0..nsmall) */
  ng = 0;
  for (PetscInt i = 0; i < nsmall; i++)
    if (!PetscIsNanReal(spec->values[i])) {
      kv[ng]   = spec->values[i];
      kr[ng++] = spec->residuals[i];
    }
  SLTryOrCleanup(ierr, cleanup, SLRepairEnd(hc, P, 1, nsmall, ng, kv, kr, blo, bhi, delta, out, outr, &fs)); /* counts can fail */
  for (PetscInt i = 0; i < nsmall; i++) {
    spec->values[i]    = i < fs ? out[i] : (PetscReal)NAN;
    spec->residuals[i] = i < fs ? outr[i] : (PetscReal)NAN;
  }
  /* largest end in u = -lambda: values[nsmall + nlarge - 1 - t] is the t-th largest */
  ng = 0;
  for (PetscInt t = 0; t < nlarge; t++) {
    const PetscInt i = nsmall + nlarge - 1 - t;

    if (!PetscIsNanReal(spec->values[i])) {
      kv[ng]   = -spec->values[i];
      kr[ng++] = spec->residuals[i];
    }
  }
  SLTryOrCleanup(ierr, cleanup, SLRepairEnd(hc, P, -1, nlarge, ng, kv, kr, -bhi, -blo, delta, out, outr, &fl));
  for (PetscInt t = 0; t < nlarge; t++) {
    const PetscInt i = nsmall + nlarge - 1 - t;

    spec->values[i]    = t < fl ? -out[t] : (PetscReal)NAN;
    spec->residuals[i] = t < fl ? outr[t] : (PetscReal)NAN;
  }
  spec->nconv = fs + fl;
  for (PetscInt i = 0; i < nv; i++)
    if (!(orig[i] == spec->values[i])) changed++;
  ierr = 0;
  if (changed)
    PetscCall(PetscInfo(NULL, "Krylov extremes: %" PetscInt_FMT " of %" PetscInt_FMT " values changed by the multiplicity check with inertia counts (%" PetscInt_FMT " had converged, %" PetscInt_FMT " now)\n", changed, nv, before, spec->nconv));
cleanup:
  PetscCall(PetscFree5(kv, kr, out, outr, orig));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* One end: the n values out[] (u-space, ascending) must be the order statistics 0..n-1 in direction d. */
static PetscErrorCode SLVerifyEnd(SLHessCount hc, PetscInt P, PetscInt d, PetscInt n, const PetscReal out[], PetscReal delta, PetscBool *ok)
{
  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < n && *ok;) {
    PetscInt j2 = j + 1, below = -1, upto = -1;

    if (PetscIsNanReal(out[j])) {
      *ok = PETSC_FALSE;
      break;
    }
    while (j2 < n && out[j2] - out[j] <= delta) j2++; /* one group: equal to within delta */
    PetscCall(SLCountDir(hc, P, d, out[j] - delta, -1, &below));
    PetscCall(SLCountDir(hc, P, d, out[j2 - 1] + delta, 1, &upto));
    if (below > j || upto < j2) {
      PetscCall(PetscInfo(NULL, "Extremes check: values %" PetscInt_FMT "..%" PetscInt_FMT " (%g) see %" PetscInt_FMT " eigenvalues before and %" PetscInt_FMT " up to them\n", j, j2 - 1, (double)(d * out[j]), below, upto));
      *ok = PETSC_FALSE;
    }
    j = j2;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumExtremesVerify(SLSpectrumSolver s, SLHessCount hc, SLSpectrum *spec, PetscInt nsmall, PetscInt nlarge, PetscReal scale, PetscBool *ok)
{
  const PetscReal delta = 10 * s->tol * scale;
  PetscReal      *u;
  PetscErrorCode  ierr = 0;

  PetscFunctionBeginUser;
  *ok = PETSC_TRUE;
  if (!(delta > 0)) PetscFunctionReturn(0);
  PetscCall(SLVerifyEnd(hc, spec->P, 1, nsmall, spec->values, delta, ok));
  PetscCall(PetscMalloc1(PetscMax(nlarge, 1), &u));
  for (PetscInt t = 0; t < nlarge; t++) u[t] = -spec->values[nsmall + nlarge - 1 - t];        /* largest first */
  if (*ok) SLTryOrCleanup(ierr, cleanup, SLVerifyEnd(hc, spec->P, -1, nlarge, u, delta, ok)); /* counts can fail */
cleanup:
  PetscCall(PetscFree(u));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
