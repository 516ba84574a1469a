/* Private helpers shared by network*.c and spline*.c (not part of the public contract).
 *
 * Deterministic neuron reduction (sys.h, network.h): a sum over neurons that produces replicated numbers is
 * computed as per-block partial sums (the neurons of block k = [k B, (k+1) B) added in index order, starting
 * from 0), then the block partials added in increasing k, starting from 0. Every rank holds whole blocks
 * (SLNetworkLayout), so the same floating-point operations happen in the same order on any number of ranks,
 * and on one rank too: results are bitwise independent of the process count.
 */
#pragma once
#include <splinelens/network.h>
#include <splinelens/spline.h>

/* Accumulate into acc[0..m) the contributions of the local neurons [i0, i1) (local indices, index order) to
 * outputs k0..k0+m-1. acc arrives zeroed for each block. */
typedef void (*SLBlockKernel)(void *ctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[]);

/* out[k] = sum over all neurons of the kernel's contributions, k < n, by the deterministic block reduction
 * (collective on comm; out replicated). H, hstart, hlocal describe the calling rank's layout. */
PETSC_INTERN PetscErrorCode SLBlockReduce(MPI_Comm comm, PetscInt H, PetscInt hstart, PetscInt hlocal, PetscInt n, SLBlockKernel kernel, void *ctx, PetscReal out[]);

/* Broadcast a value known on the last rank (the owner of c) to every rank. */
PETSC_INTERN PetscErrorCode SLBcastFromLast(MPI_Comm comm, PetscReal *value);

/* A (P x P, column-major, leading dimension lda, zeroed on entry) := scale * J^T J for the N x P row-major Jacobian J, all of
 * it: the upper triangle is computed and mirrored, so the result is exactly symmetric. */
PETSC_INTERN PetscErrorCode SLDenseGramFill(PetscInt P, PetscInt N, const PetscReal J[], PetscReal scale, PetscReal *A, PetscInt lda);

/* Create a zeroed P x P MATSEQDENSE; the caller fills it between MatDenseGetArray/RestoreArray. */
PETSC_INTERN PetscErrorCode SLDenseCreate(PetscInt P, Mat *A);
