/* Hessian spectra with SLEPc (docs/theory.md section 4): all eigenvalues with a dense solver up to a size threshold,
 * above it the k largest and k smallest eigenvalues: exactly, with their multiplicities, from the class-reduced
 * eigenproblem (size independent of the width: activation classes of the sorted data), or with Krylov-Schur on the
 * matrix-free operator when that problem is too large (many data points); counts of
 * negative / zero / positive eigenvalues (exact, by inertia, when the spectrum is not complete), an exact
 * histogram, the checks of docs/theory.md section 4, and optionally the eigenvectors of the extremes. Options under
 * the solver's prefix (SLSpectrumSolverSetOptionsPrefix; the study uses "sl_eig_", EPS options too: -sl_eig_eps_...;
 * the option names below are the study's).
 */
#pragma once
#include <splinelens/hessian.h>

typedef enum {
  SL_EIG_DENSE, /* every eigenvalue (EPSLAPACK)                          */
  SL_EIG_KRYLOV /* k largest and k smallest (EPSKRYLOVSCHUR on a MatShell) */
} SLEigMethod;
PETSC_EXTERN const char *const SLEigMethods[];

typedef struct {
  SLEigMethod method;
  PetscInt    P;         /* operator size                                                        */
  PetscInt    nvals;     /* stored eigenvalues: P (dense) or 2k (Krylov: k smallest then k largest) */
  PetscReal  *values;    /* ascending                                                             */
  PetscReal  *residuals; /* ||H x - lambda x|| / ||x|| for each value                              */
  PetscReal   lambda_min, lambda_max;
  PetscReal   zero_tol; /* |lambda| <= zero_tol counts as zero: zero_rtol * max|lambda|             */
  PetscInt    n_neg, n_zero, n_pos;
  PetscInt    n_bound;      /* neurons with a nonzero residual sum: bound on n_neg                    */
  PetscInt    check_neg;    /* 1: n_neg <= n_bound holds, 0: violated                                  */
  PetscInt    check_zero;   /* interpolating point: 1 if at least P - rank bound eigenvalues lie within zero_tol + ||R|| of 0 (Weyl), 0 if not; -1 n/a (not interpolating, or the residual part) */
  PetscInt    nbins;        /* exact histogram of the whole spectrum (0 when disabled)                */
  PetscReal  *hist_edges;   /* nbins + 1                                                               */
  PetscInt   *hist_counts;  /* nbins                                                                   */
  PetscInt    nconv;        /* eigenvalues actually obtained (< nvals: Krylov did not converge; the missing
                             ones, next to the middle of values[], are NaN)                          */
  PetscInt    check_counts; /* dense spectrum and inertia counts/histogram: 1 agree, 0 disagree (the dense
                             counts are kept), -1 not both computed                                  */
  PetscInt    nreduced;     /* Krylov method: size m of the class-reduced eigenproblem the extremes came from
                             (exact, multiplicities included, m <= 6(2N+3)+1 whatever the width); -1: they came
                             from Krylov-Schur (m > -sl_eig_reduced_max), or the method is dense          */
  PetscInt    ngram;        /* N at an interpolating point with part != residual, else 0                   */
  PetscReal  *gram_values;  /* the ngram eigenvalues (ascending) of the Gram matrix scale J J^T (empirical
                             NTK): its nonzero ones are the nonzero eigenvalues of Hess = scale J^T J there */
  /* Eigenvectors of the extremes (-sl_eig_vectors; nvec = 0 and NULL arrays when off). Every method, dense too:
   * the k smallest then the k largest eigenpairs (all P of them when P <= 2k). Each vector has unit 2-norm and
   * its entry of largest absolute value (smallest global index on ties) is positive. The class-reduced and dense
   * vectors are bitwise independent of the number of ranks, Krylov-Schur ones up to rounding. */
  PetscInt   nvec;          /* min(2k, P), or 0                                                      */
  PetscReal *vector_values; /* nvec eigenvalues the vectors belong to, ascending, = the k smallest then the
                                k largest (Krylov: the Ritz values, before the multiplicity repair of values[];
                                NaN where not converged)                                              */
  PetscInt   vlocal;        /* local length of each vector on this rank (the model's local slice)    */
  PetscInt   vstart;        /* global index of this rank's first entry                               */
  PetscReal *vectors;       /* nvec x vlocal row-major: this rank's slice of each unit-norm eigenvector, in
                                the model's coordinate order (neuron-major, output bias last); rows of
                                vectors Krylov-Schur did not converge are all NaN                     */
} SLSpectrum;

typedef struct _n_SLSpectrumSolver *SLSpectrumSolver;
PETSC_EXTERN PetscErrorCode         SLSpectrumSolverCreate(MPI_Comm comm, SLSpectrumSolver *s);
/* Prefix of the solver's options and of its EPS (none by default; the study sets "sl_eig_"). */
PETSC_EXTERN PetscErrorCode SLSpectrumSolverSetOptionsPrefix(SLSpectrumSolver s, const char prefix[]);
/* -sl_eig_dense_max (largest P solved densely), -sl_eig_nev k, -sl_eig_tol, -sl_eig_zero_rtol,
 * -sl_eig_hist_bins (0: no histogram), -sl_eig_exact_counts (inertia counts also when dense),
 * -sl_eig_reduced_max (largest class-reduced problem for the extremes; -1: always Krylov-Schur),
 * -sl_eig_vectors (the caller wants the eigenvectors of the k smallest and k largest eigenvalues: see
 * SLSpectrumSolverGetVectors; the solver computes them when SLSpectrumSolverCompute is asked to) */
PETSC_EXTERN PetscErrorCode SLSpectrumSolverSetFromOptions(SLSpectrumSolver s);
/* Method and number of stored values for an operator of size P on a communicator of size nranks. */
PETSC_EXTERN PetscErrorCode SLSpectrumSolverGetLayout(SLSpectrumSolver s, PetscInt P, PetscMPIInt nranks, SLEigMethod *method, PetscInt *nvals, PetscInt *nbins);
/* -sl_eig_vectors: whether the eigenvectors of the stored extremes are wanted (the study asks for them at init
 * and final). */
PETSC_EXTERN PetscErrorCode SLSpectrumSolverGetVectors(SLSpectrumSolver s, PetscBool *vectors);
/* Number of eigenvectors stored for an operator of size P by a computation with -sl_eig_vectors' setting: 0 when
 * it is off, else min(2k, P) whatever the method and nranks. */
PETSC_EXTERN PetscErrorCode SLSpectrumSolverGetVectorLayout(SLSpectrumSolver s, PetscInt P, PetscMPIInt nranks, PetscInt *nvec);
/* interpolating: the point is an interpolating minimum (r = 0 to tolerance): enables the zero-count check.
 * vectors: also the eigenvectors of the stored extremes (SLSpectrum.nvec = min(2k, P) and following). */
PETSC_EXTERN PetscErrorCode SLSpectrumSolverCompute(SLSpectrumSolver s, SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscBool interpolating, PetscBool vectors, SLSpectrum *spec);
/* Compute overwrites *spec without freeing it: call SLSpectrumReset (frees, zeroes) before reusing one. */
PETSC_EXTERN PetscErrorCode SLSpectrumReset(SLSpectrum *spec);
PETSC_EXTERN PetscErrorCode SLSpectrumSolverView(SLSpectrumSolver s, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode SLSpectrumSolverDestroy(SLSpectrumSolver *s);
