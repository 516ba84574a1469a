/* Dense NN-coordinate Hessian (docs/theory.md section 4): Hess = scale (J^T J + R), R block-diagonal with one 3x3
 * block per neuron whose only nonzeros are (v_i, w_i) = a_i and (v_i, b_i) = d_i. Only for small sequential
 * problems (checks, spectra); large ones use the structured form (J products and the blocks). */
#include "model_impl.h"

PetscErrorCode SLDenseCreate(PetscInt P, Mat *A)
{
  PetscScalar *a;
  PetscInt     lda;

  PetscFunctionBeginUser;
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, P, P, NULL, A));
  PetscCall(MatDenseGetLDA(*A, &lda));
  PetscCall(MatDenseGetArrayWrite(*A, &a));
  PetscCall(PetscArrayzero(a, lda * P));
  PetscCall(MatDenseRestoreArrayWrite(*A, &a));
  PetscFunctionReturn(0);
}

/* Rank-one updates row by row (entries summed over n in increasing order), skipping the zeros of inactive
 * neurons; the upper triangle is accumulated, scaled, then mirrored. No BLAS: the library does not link it. */
PetscErrorCode SLDenseGramFill(PetscInt P, PetscInt N, const PetscReal J[], PetscReal scale, PetscReal *A, PetscInt lda)
{
  PetscFunctionBeginUser;
  for (PetscInt n = 0; n < N; n++) {
    const PetscReal *row = J + n * P;

    for (PetscInt q = 0; q < P; q++) {
      const PetscReal jq  = row[q];
      PetscReal      *col = A + q * lda;

      if (jq == 0) continue;
      for (PetscInt p = 0; p <= q; p++) col[p] += row[p] * jq;
    }
  }
  for (PetscInt q = 0; q < P; q++)
    for (PetscInt p = 0; p <= q; p++) A[p + q * lda] *= scale;
  for (PetscInt q = 0; q < P; q++)
    for (PetscInt p = q + 1; p < P; p++) A[p + q * lda] = A[q + p * lda];
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkHessianDense(SLNetwork net, SLData data, SLLossType type, SLHessianPart part, Mat *Hmat)
{
  PetscMPIInt size;
  PetscInt    P, N, H, lda;
  PetscReal  *J = NULL, *r, *a, *d, *A;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(net->comm, &size));
  PetscCheck(size == 1, net->comm, PETSC_ERR_SUP, "SLNetworkHessianDense needs a sequential network (comm size 1, got %d)", size);
  PetscCheck(data && data->N >= 1, net->comm, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up");
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  N = data->N;
  H = net->H;
  PetscCall(SLDenseCreate(P, Hmat));
  PetscCall(MatDenseGetLDA(*Hmat, &lda));
  PetscCall(MatDenseGetArray(*Hmat, &A));
  if (part != SL_HESS_RESIDUAL) {
    PetscCall(PetscMalloc1(N * P, &J));
    PetscCall(SLNetworkJacobian(net, data, J));
    PetscCall(SLDenseGramFill(P, N, J, SLLossScale(type, N), A, lda));
    PetscCall(PetscFree(J));
  }
  if (part != SL_HESS_GAUSS_NEWTON) {
    PetscCall(PetscMalloc3(N, &r, H, &a, H, &d));
    PetscCall(SLNetworkResidual(net, data, r));
    PetscCall(SLNetworkResidualBlocks(net, data, type, r, a, d));
    for (PetscInt i = 0; i < H; i++) {
      const PetscInt iw = 3 * i, ib = 3 * i + 1, iv = 3 * i + 2;

      A[iv + iw * lda] += a[i];
      A[iw + iv * lda] += a[i];
      A[iv + ib * lda] += d[i];
      A[ib + iv * lda] += d[i];
    }
    PetscCall(PetscFree3(r, a, d));
  }
  PetscCall(MatDenseRestoreArray(*Hmat, &A));
  PetscCall(MatAssemblyBegin(*Hmat, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*Hmat, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}
