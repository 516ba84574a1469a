/* Hessian spectra (docs/theory.md section 4): the solver object, its options, the choice between the dense and the
 * Krylov method, and the driver that fills an SLSpectrum. Solves are in spectrum_eps.c (dense, Krylov-Schur) and
 * spectrum_reduced.c (extremes from the class-reduced problem, the default of the Krylov method when it is at
 * most -sl_eig_reduced_max), counts, checks and the exact histogram in spectrum_counts.c, the Gram spectrum at
 * interpolating points in spectrum_gram.c, the eigenvectors of the extremes (-sl_eig_vectors: filled by each
 * method, normalized here with spectrum_vectors.c). One class object (hessian_class.c) serves all of them. */
#include <slepceps.h>
#include "spectrum_impl.h"

const char *const SLEigMethods[] = {"dense", "krylov", "SLEigMethod", "SL_EIG_", NULL};

PetscErrorCode SLSpectrumSolverCreate(MPI_Comm comm, SLSpectrumSolver *s)
{
  PetscFunctionBeginUser;
  PetscCall(SLInitializePackage());
  PetscCall(PetscNew(s));
  (*s)->comm         = comm;
  (*s)->dense_max    = 2000;
  (*s)->nev          = 10;
  (*s)->tol          = 1e-10;
  (*s)->zero_rtol    = 1e-9;
  (*s)->hist_bins    = 50;
  (*s)->exact_counts = PETSC_TRUE;
  (*s)->reduced_max  = 2000;
  (*s)->vectors      = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverSetOptionsPrefix(SLSpectrumSolver s, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(s->prefix));
  if (prefix && prefix[0]) PetscCall(PetscStrallocpy(prefix, &s->prefix));
  PetscFunctionReturn(0);
}

/* The Krylov EPS is created per solve (spectrum_eps.c); configure one now, as a solve would, so that its options
 * (-<prefix>eps_*, st_*, bv_*, ds_*, rg_*, st_ksp_*) are read and the caller can refuse the ones nothing reads
 * (misspellings). A bad value stays a failure of the runs that use it, as before: errors here are ignored. */
static PetscErrorCode SLSpectrumSolverProbeEPSOptions(SLSpectrumSolver s)
{
  EPS eps;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  if (!EPSCreate(s->comm, &eps)) {
    if (!EPSSetProblemType(eps, EPS_HEP) && !EPSSetType(eps, EPSKRYLOVSCHUR) && !EPSSetOptionsPrefix(eps, s->prefix)) (void)EPSSetFromOptions(eps);
    (void)EPSDestroy(&eps);
  }
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverSetFromOptions(SLSpectrumSolver s)
{
  PetscFunctionBeginUser;
  PetscOptionsBegin(s->comm, s->prefix, "Hessian spectra", NULL);
  PetscCall(SLOptionsBoundedInt("-dense_max", "Largest operator size P solved densely (all eigenvalues, one rank only)", "SLSpectrumSolverSetFromOptions", s->dense_max, &s->dense_max, NULL, 0, PETSC_MAX_INT));
  PetscCall(SLOptionsBoundedInt("-nev", "Krylov: number k of smallest and of largest eigenvalues", "SLSpectrumSolverSetFromOptions", s->nev, &s->nev, NULL, 1, PETSC_MAX_INT));
  PetscCall(PetscOptionsReal("-tol", "Eigensolver tolerance", "SLSpectrumSolverSetFromOptions", s->tol, &s->tol, NULL));
  PetscCall(PetscOptionsReal("-zero_rtol", "|lambda| <= zero_rtol * max|lambda| counts as a zero eigenvalue", "SLSpectrumSolverSetFromOptions", s->zero_rtol, &s->zero_rtol, NULL));
  PetscCall(SLOptionsBoundedInt("-hist_bins", "Bins of the exact spectral histogram (0: none)", "SLSpectrumSolverSetFromOptions", s->hist_bins, &s->hist_bins, NULL, 0, PETSC_MAX_INT));
  PetscCall(PetscOptionsBool("-exact_counts", "Inertia (exact) counts also when the dense spectrum is complete", "SLSpectrumSolverSetFromOptions", s->exact_counts, &s->exact_counts, NULL));
  PetscCall(SLOptionsBoundedInt("-reduced_max", "Krylov method: largest class-reduced eigenproblem solved densely for the exact extremes (-1: always Krylov-Schur)", "SLSpectrumSolverSetFromOptions", s->reduced_max, &s->reduced_max, NULL, -1, PETSC_MAX_INT));
  PetscCall(PetscOptionsBool("-vectors", "Also the unit eigenvectors of the k smallest and k largest eigenvalues (every method)", "SLSpectrumSolverGetVectors", s->vectors, &s->vectors, NULL));
  PetscOptionsEnd();
  PetscCheck(s->dense_max >= 0, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_eig_dense_max %" PetscInt_FMT " must be >= 0", s->dense_max);
  PetscCheck(s->nev >= 1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_eig_nev %" PetscInt_FMT " must be >= 1", s->nev);
  PetscCheck(s->tol > 0 && s->tol < 1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_eig_tol %g must be in (0, 1)", (double)s->tol);
  PetscCheck(s->zero_rtol >= 0 && s->zero_rtol < 1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_eig_zero_rtol %g must be in [0, 1)", (double)s->zero_rtol);
  PetscCheck(s->hist_bins >= 0, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_eig_hist_bins %" PetscInt_FMT " must be >= 0", s->hist_bins);
  PetscCheck(s->reduced_max >= -1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sl_eig_reduced_max %" PetscInt_FMT " must be >= -1", s->reduced_max);
  PetscCall(SLSpectrumSolverProbeEPSOptions(s));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverGetLayout(SLSpectrumSolver s, PetscInt P, PetscMPIInt nranks, SLEigMethod *method, PetscInt *nvals, PetscInt *nbins)
{
  SLEigMethod m;

  PetscFunctionBeginUser;
  PetscCheck(P >= 1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "Operator size P = %" PetscInt_FMT " must be >= 1", P);
  m = (P <= s->dense_max && nranks == 1) ? SL_EIG_DENSE : SL_EIG_KRYLOV;
  if (method) *method = m;
  if (nvals) *nvals = m == SL_EIG_DENSE ? P : PetscMin(2 * s->nev, P);
  if (nbins) *nbins = s->hist_bins;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverGetVectors(SLSpectrumSolver s, PetscBool *vectors)
{
  PetscFunctionBeginUser;
  *vectors = s->vectors;
  PetscFunctionReturn(0);
}

/* the same k smallest and k largest for the dense and the Krylov method, whatever nranks */
static PetscErrorCode SLSpectrumSolverVectorCount(SLSpectrumSolver s, PetscInt P, PetscBool vectors, PetscInt *nvec)
{
  PetscFunctionBeginUser;
  PetscCheck(P >= 1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "Operator size P = %" PetscInt_FMT " must be >= 1", P);
  *nvec = vectors ? PetscMin(2 * s->nev, P) : 0;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverGetVectorLayout(SLSpectrumSolver s, PetscInt P, PetscMPIInt nranks, PetscInt *nvec)
{
  PetscFunctionBeginUser;
  (void)nranks;
  PetscCall(SLSpectrumSolverVectorCount(s, P, s->vectors, nvec));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumReset(SLSpectrum *spec)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(spec->values));
  PetscCall(PetscFree(spec->residuals));
  PetscCall(PetscFree(spec->hist_edges));
  PetscCall(PetscFree(spec->hist_counts));
  PetscCall(PetscFree(spec->gram_values));
  PetscCall(PetscFree(spec->vector_values));
  PetscCall(PetscFree(spec->vectors));
  PetscCall(PetscMemzero(spec, sizeof(*spec)));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverCompute(SLSpectrumSolver s, SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscBool interpolating, PetscBool vectors, SLSpectrum *spec)
{
  SLModelInfo    info;
  PetscMPIInt    nranks;
  SLHessCount    hc   = NULL;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCall(SLModelGetInfo(model, &info));
  PetscCallMPI(MPI_Comm_size(info.comm, &nranks));
  PetscCall(PetscMemzero(spec, sizeof(*spec)));
  PetscCall(PetscLogEventBegin(SL_EVENT_Spectrum, 0, 0, 0, 0));
  /* from here on a failure frees everything (spec included) and ends the event before it is returned */
  spec->P        = info.P;
  spec->nreduced = -1;
  SLTryOrCleanup(ierr, cleanup, SLSpectrumSolverGetLayout(s, info.P, nranks, &spec->method, &spec->nvals, &spec->nbins));
  /* separate allocations: SLSpectrumReset frees each array on its own */
  SLTryOrCleanup(ierr, cleanup, PetscMalloc1(spec->nvals, &spec->values));
  SLTryOrCleanup(ierr, cleanup, PetscMalloc1(spec->nvals, &spec->residuals));
  SLTryOrCleanup(ierr, cleanup, SLSpectrumSolverVectorCount(s, info.P, vectors, &spec->nvec));
  if (spec->nvec > 0) { /* this rank's slice of the model's parameter vector */
    spec->vlocal = info.Plocal;
    spec->vstart = info.npn * info.hstart;
    SLTryOrCleanup(ierr, cleanup, PetscMalloc1(spec->nvec, &spec->vector_values));
    SLTryOrCleanup(ierr, cleanup, PetscMalloc1(PetscMax(spec->nvec * spec->vlocal, 1), &spec->vectors));
  }
  /* the class aggregates: O(H) once, then every count is O(N^3) whatever the width */
  SLTryOrCleanup(ierr, cleanup, SLHessCountCreate(model, data, type, part, &hc));
  if (spec->method == SL_EIG_DENSE) {
    SLTryOrCleanup(ierr, cleanup, SLSpectrumDense(s, model, data, type, part, spec->values, spec->residuals, spec->nvec, spec->vector_values, spec->vectors));
    spec->nconv = spec->nvals;
  } else {
    const PetscInt nsmall = PetscMin(s->nev, info.P), nlarge = spec->nvals - nsmall;
    PetscInt       m;

    SLTryOrCleanup(ierr, cleanup, SLSpectrumReducedSize(hc, &m));
    if (m <= s->reduced_max) {
      SLTryOrCleanup(ierr, cleanup, SLSpectrumReduced(hc, nsmall, nlarge, spec->values, spec->residuals, &spec->nconv, spec->nvec > 0 ? spec->vectors : NULL));
      spec->nreduced = m;
    } else {
      SLTryOrCleanup(ierr, cleanup, PetscInfo(NULL, "Spectrum: reduced problem of size %" PetscInt_FMT " > -sl_eig_reduced_max %" PetscInt_FMT ": Krylov-Schur\n", m, s->reduced_max));
      SLTryOrCleanup(ierr, cleanup, SLSpectrumKrylov(s, hc, nsmall, nlarge, spec->values, spec->residuals, &spec->nconv, spec->nvec > 0 ? spec->vectors : NULL));
    }
    /* the values the vectors belong to: before SLSpectrumAnalyze's multiplicity check may change values[] */
    if (spec->nvec > 0) SLTryOrCleanup(ierr, cleanup, PetscArraycpy(spec->vector_values, spec->values, spec->nvec));
  }
  if (spec->nvec > 0) { /* unit 2-norm and the sign rule, by deterministic reductions (spectrum_vectors.c) */
    SLHessClass cl;

    SLTryOrCleanup(ierr, cleanup, SLHessCountGetClass(hc, &cl));
    for (PetscInt j = 0; j < spec->nvec; j++) SLTryOrCleanup(ierr, cleanup, SLSpectrumVectorNormalize(cl, spec->vectors + j * spec->vlocal));
  }
  SLTryOrCleanup(ierr, cleanup, SLSpectrumAnalyze(s, hc, data, interpolating, spec));
  if (interpolating && part != SL_HESS_RESIDUAL) SLTryOrCleanup(ierr, cleanup, SLSpectrumGram(hc, &spec->ngram, &spec->gram_values));
cleanup:
  PetscCall(SLHessCountDestroy(&hc));
  PetscCall(PetscLogEventEnd(SL_EVENT_Spectrum, 0, 0, 0, 0));
  if (ierr) PetscCall(SLSpectrumReset(spec));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverView(SLSpectrumSolver s, PetscViewer viewer)
{
  PetscBool iascii;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(s->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "SLSpectrumSolver: dense up to P = %" PetscInt_FMT " on one rank, else Krylov-Schur k = %" PetscInt_FMT " smallest and largest\n", s->dense_max, s->nev));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  tol %g, zero_rtol %g, histogram bins %" PetscInt_FMT ", exact (inertia) counts %s\n", (double)s->tol, (double)s->zero_rtol, s->hist_bins, s->exact_counts ? "always" : "when the spectrum is partial"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  extremes from the class-reduced problem up to size %" PetscInt_FMT "%s\n", s->reduced_max, s->reduced_max < 0 ? " (never: Krylov-Schur)" : ""));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  eigenvectors of the %" PetscInt_FMT " smallest and largest eigenvalues: %s\n", s->nev, s->vectors ? "yes" : "no"));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumSolverDestroy(SLSpectrumSolver *s)
{
  PetscFunctionBeginUser;
  if (!s || !*s) PetscFunctionReturn(0);
  PetscCall(PetscFree((*s)->prefix));
  PetscCall(PetscFree(*s));
  PetscFunctionReturn(0);
}
