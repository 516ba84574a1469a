/* Test-only oracle: the direct O(P N^2) eigenvalue count (S summed neuron by neuron with BLAS gemm), against
 * which the class-aggregated count of src/hessian/ is checked. Not part of the library. */
#pragma once
#include <splinelens/private/hessianimpl.h>

/* The former O(P N^2) count (S summed neuron by neuron with BLAS gemm; tests/oracle/count_direct.c), kept as a test
 * oracle for the class-aggregated one. Same arguments and semantics as SLHessianCountBelow. */
PETSC_EXTERN PetscErrorCode SLHessianCountBelowDirect(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal lambda, PetscInt *count, PetscBool *ok);
