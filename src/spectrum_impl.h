/* Private to spectrum*.c (not part of the public contract). */
#pragma once
#include "hessian_impl.h"

struct _n_SLSpectrumSolver {
  MPI_Comm  comm;
  PetscInt  dense_max;    /* largest P solved densely (one rank only)      */
  PetscInt  nev;          /* k: Krylov computes the k smallest and k largest */
  PetscReal tol;          /* EPS tolerance                                  */
  PetscReal zero_rtol;    /* zero_tol = zero_rtol * max |lambda|             */
  PetscInt  hist_bins;    /* 0: no histogram                                 */
  PetscBool exact_counts; /* inertia counts also with a dense spectrum       */
  PetscInt  reduced_max;  /* largest class-reduced problem for the extremes (-1: always Krylov-Schur) */
};

/* All P eigenvalues (ascending) and residual norms of the dense Hessian with EPSLAPACK. */
PETSC_INTERN PetscErrorCode SLSpectrumDense(SLSpectrumSolver s, SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal values[], PetscReal residuals[]);
/* The nsmall smallest then nlarge largest eigenvalues, ascending, with Krylov-Schur on the matrix-free
 * operator of hc's classes; the missing ones (not converged) are NaN, next to the middle. *nconv: how many were
 * obtained. */
PETSC_INTERN PetscErrorCode SLSpectrumKrylov(SLSpectrumSolver s, SLHessCount hc, PetscInt nsmall, PetscInt nlarge, PetscReal values[], PetscReal residuals[], PetscInt *nconv);
/* The class-reduced eigenproblem (spectrum_reduced.c): its size m, the nsmall smallest and nlarge largest
 * eigenvalues of the Hessian (exact multiplicities; residuals on the matrix-free operator), and (for tests, small
 * P) the whole spectrum, P values ascending. */
PETSC_INTERN PetscErrorCode SLSpectrumReducedSize(SLHessCount hc, PetscInt *m);
PETSC_INTERN PetscErrorCode SLSpectrumReduced(SLHessCount hc, PetscInt nsmall, PetscInt nlarge, PetscReal values[], PetscReal residuals[], PetscInt *nconv);
PETSC_INTERN PetscErrorCode SLSpectrumReducedAll(SLHessCount hc, PetscReal values[]);
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
