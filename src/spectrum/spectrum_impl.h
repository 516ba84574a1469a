/* Private to spectrum*.c (not part of the public contract). */
#pragma once
#include <splinelens/spectrum.h>
#include <splinelens/private/hessianimpl.h>

/* A step of a computation whose failure the caller recovers from (a failed spectrum fails its run, not the study:
 * run.c): on error, record it in ierr and jump to the function's cleanup code, which frees what the function
 * allocated, ends its log events, then returns the error with PetscCall(ierr). */
#define SLTryOrCleanup(ierr, label, ...) \
  do { \
    ierr = (__VA_ARGS__); \
    if (PetscUnlikely(ierr)) goto label; \
  } while (0)

struct _n_SLSpectrumSolver {
  MPI_Comm  comm;
  PetscInt  dense_max;    /* largest P solved densely (one rank only)      */
  PetscInt  nev;          /* k: Krylov computes the k smallest and k largest */
  PetscReal tol;          /* EPS tolerance                                  */
  PetscReal zero_rtol;    /* zero_tol = zero_rtol * max |lambda|             */
  PetscInt  hist_bins;    /* 0: no histogram                                 */
  PetscBool exact_counts; /* inertia counts also with a dense spectrum       */
  PetscInt  reduced_max;  /* largest class-reduced problem for the extremes (-1: always Krylov-Schur) */
  PetscBool vectors;      /* -sl_eig_vectors: the caller wants eigenvectors (SLSpectrumSolverGetVectors)    */
  char     *prefix;       /* options prefix of the solver and its EPS (SLSpectrumSolverSetOptionsPrefix)   */
};

/* All P eigenvalues (ascending) and residual norms of the dense Hessian with EPSLAPACK. nvec > 0: also the
 * eigenvectors of the min(k, P) smallest then the nvec - min(k, P) largest eigenvalues (vecs: nvec x P
 * row-major, not normalized to the sign rule; vvalues: their eigenvalues). */
PETSC_INTERN PetscErrorCode SLSpectrumDense(SLSpectrumSolver s, SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal values[], PetscReal residuals[], PetscInt nvec, PetscReal vvalues[], PetscReal vecs[]);
/* The nsmall smallest then nlarge largest eigenvalues, ascending, with Krylov-Schur on the matrix-free
 * operator of hc's classes; the missing ones (not converged) are NaN, next to the middle. *nconv: how many were
 * obtained. vecs (NULL: none): the local slices of their eigenvectors, (nsmall + nlarge) x Plocal row-major, in
 * the order of values[] (all-NaN rows where not converged). */
PETSC_INTERN PetscErrorCode SLSpectrumKrylov(SLSpectrumSolver s, SLHessCount hc, PetscInt nsmall, PetscInt nlarge, PetscReal values[], PetscReal residuals[], PetscInt *nconv, PetscReal vecs[]);
/* The class-reduced eigenproblem (spectrum_reduced.c): its size m, the nsmall smallest and nlarge largest
 * eigenvalues of the Hessian (exact multiplicities; residuals on the matrix-free operator), and (for tests, small
 * P) the whole spectrum, P values ascending. */
PETSC_INTERN PetscErrorCode SLSpectrumReducedSize(SLHessCount hc, PetscInt *m);
/* vecs (NULL: none): the local slices of eigenvectors of values[] ((nsmall + nlarge) x Plocal row-major, not
 * normalized), an orthogonal set also within a repeated eigenvalue; bitwise independent of the number of ranks. */
PETSC_INTERN PetscErrorCode SLSpectrumReduced(SLHessCount hc, PetscInt nsmall, PetscInt nlarge, PetscReal values[], PetscReal residuals[], PetscInt *nconv, PetscReal vecs[]);
PETSC_INTERN PetscErrorCode SLSpectrumReducedAll(SLHessCount hc, PetscReal values[]);
/* A deterministic, layout-independent weight of global neuron g (the start of a multiplicity eigenvector,
 * spectrum_reduced.c and spectrum_vectors.c). */
static inline PetscReal SLStartWeight(PetscInt g)
{
  const PetscReal h = 0.6180339887498949 * (PetscReal)(g + 1);

  return 0.5 + (h - PetscFloorReal(h));
}
/* spectrum_vectors.c: multiplicity eigenvectors of the class-reduced problem (the u-th of n orthonormal vectors
 * of item (class c, eigen-index k) whose |c| - rank coefficients are orthogonal to the kept directions, see
 * spectrum_reduced.c) and the normalization of a stored vector (unit 2-norm by the deterministic neuron-block
 * reduction, largest-magnitude entry positive, smallest global index on ties): bitwise the same on any number
 * of ranks for the same input slices. A zero or non-finite row becomes all NaN. */
PETSC_INTERN PetscErrorCode SLSpectrumVectorNormalize(SLHessClass cl, PetscReal x[]);
/* Orthonormal coefficient vectors alpha (n of them, each hlocal long, zero outside class c) of the multiplicity
 * eigenspace of (c, k): orthogonal to the span of y_ik = C_i^T q_ck along the nkept directions v_j / s_j
 * (kept[4]: v_0, v_1; sig[2]: s_0, s_1). */
PETSC_INTERN PetscErrorCode SLSpectrumMultVectors(SLHessClass cl, PetscInt c, PetscInt k, PetscInt nkept, const PetscReal kept[], const PetscReal sig[], PetscInt n, PetscReal alpha[]);
/* The N eigenvalues (ascending, allocated) of the Gram matrix scale J J^T (spectrum_gram.c). */
PETSC_INTERN PetscErrorCode SLSpectrumGram(SLHessCount hc, PetscInt *ngram, PetscReal **values);
/* Counts, bound, checks and exact histogram of a spectrum whose values are filled (spectrum_counts.c). */
PETSC_INTERN PetscErrorCode SLSpectrumAnalyze(SLSpectrumSolver s, SLHessCount hc, SLData data, PetscBool interpolating, SLSpectrum *spec);
/* Krylov mode: make values[] exact in multiplicity (and fill what Krylov missed) with inertia counts
 * (spectrum_repair.c); scale: a magnitude of the spectrum (sets the merge distance 10 tol scale). */
PETSC_INTERN PetscErrorCode SLSpectrumKrylovRepair(SLSpectrumSolver s, SLHessCount hc, SLSpectrum *spec, PetscInt nsmall, PetscInt nlarge, PetscReal scale);
/* Check extremes against inertia counts: every group of values equal to within 10 tol scale must hold exactly
 * the order statistics it claims (2 counts per group). *ok false: some value or multiplicity is wrong. */
PETSC_INTERN PetscErrorCode SLSpectrumExtremesVerify(SLSpectrumSolver s, SLHessCount hc, SLSpectrum *spec, PetscInt nsmall, PetscInt nlarge, PetscReal scale, PetscBool *ok);
