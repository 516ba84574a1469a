/* The N x N Gram matrix scale J J^T (the empirical neural tangent kernel) and its eigenvalues (docs/theory.md
 * section 4): at an interpolating minimum Hess = scale J^T J, whose nonzero eigenvalues are exactly those of
 * scale J J^T. With the activation classes (hessian_class.c) J J^T = sum_c [x (.) m_c, m_c] G_c [x (.) m_c, m_c]^T
 * (+ 1 1^T with the output bias), G_c = sum_{i in c} C_i^T C_i = sum_k Q_ck, assembled in O(N^2 + nc) from the
 * rank-independent aggregates; LAPACK dsyev on rank 0, broadcast. */
#include "spectrum_impl.h"
#include <petscblaslapack.h>

PetscErrorCode SLSpectrumGram(SLHessCount hc, PetscInt *ngram, PetscReal **values)
{
  SLHessClass cl;
  PetscInt    N;
  PetscReal  *G, *A;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountGetClass(hc, &cl));
  N = cl->N;
  PetscCall(PetscMalloc1(N, values));
  PetscCall(PetscCalloc2(3 * cl->nc, &G, N * N, &A));
  for (PetscInt c = 0; c < cl->nc; c++)
    for (PetscInt k = 0; k < cl->info.npn; k++)
      for (PetscInt e = 0; e < 3; e++) G[3 * c + e] += cl->agg[c * SL_CLASS_AGG + 1 + 3 * k + e];
  SLHessClassAssemble(cl, G, cl->info.has_c ? 1.0 : 0.0, A);
  for (PetscInt p = 0; p < N * N; p++) A[p] *= cl->scale;
  PetscCallMPI(MPI_Comm_rank(cl->info.comm, &rank));
  if (rank == 0) {
    PetscBLASInt bN, lwork = -1, info;
    PetscReal    wq, *work;

    PetscCall(PetscBLASIntCast(N, &bN));
    LAPACKsyev_("N", "U", &bN, A, &bN, *values, &wq, &lwork, &info);
    lwork = PetscMax(3 * bN, (PetscBLASInt)wq);
    PetscCall(PetscMalloc1(lwork, &work));
    PetscCallBLAS("LAPACKsyev", LAPACKsyev_("N", "U", &bN, A, &bN, *values, work, &lwork, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyev on the %" PetscInt_FMT " x %" PetscInt_FMT " Gram matrix: info %d", N, N, (int)info);
    PetscCall(PetscFree(work));
  }
  PetscCallMPI(MPI_Bcast(*values, (PetscMPIInt)N, MPIU_REAL, 0, cl->info.comm));
  *ngram = N;
  PetscCall(PetscFree2(G, A));
  PetscFunctionReturn(0);
}
