/* SLEPc solves of the Hessian spectrum (docs/theory.md section 4): every eigenvalue of the dense matrix
 * (EPSLAPACK), or the extremes of the matrix-free operator (Krylov-Schur); optionally the eigenvectors of the
 * extremes (the EPS eigenvectors, local slices). */
#include <slepceps.h>
#include "spectrum_impl.h"

PetscErrorCode SLSpectrumDense(SLSpectrumSolver s, SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal values[], PetscReal residuals[], PetscInt nvec, PetscReal vvalues[], PetscReal vecs[])
{
  Mat          A, X, AX;
  EPS          eps;
  ST           st;
  Vec          xr;
  PetscInt     P, nconv, lda, ldx, *perm;
  PetscReal   *lam, *res;
  PetscScalar *xa;

  PetscFunctionBeginUser;
  PetscCall(SLHessianCreateDense(model, data, type, part, &A));
  PetscCall(MatGetSize(A, &P, NULL));
  PetscCall(EPSCreate(PETSC_COMM_SELF, &eps));
  PetscCall(EPSSetOperators(eps, A, NULL));
  PetscCall(EPSSetProblemType(eps, EPS_HEP));
  PetscCall(EPSSetType(eps, EPSLAPACK));
  PetscCall(EPSSetDimensions(eps, P, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(EPSSetWhichEigenpairs(eps, EPS_SMALLEST_REAL));
  /* no copy of the P x P operator inside the spectral transformation (shift 0) */
  PetscCall(EPSGetST(eps, &st));
  PetscCall(STSetMatMode(st, ST_MATMODE_INPLACE));
  {
    DS ds;

    /* divide and conquer (method 2 of DSHEP): 3-4 times faster than the default implicit QR at P = 2000 */
    PetscCall(EPSGetDS(eps, &ds));
    PetscCall(DSSetMethod(ds, 2));
  }
  PetscCall(EPSSolve(eps));
  PetscCall(EPSGetConverged(eps, &nconv));
  PetscCheck(nconv >= P, PETSC_COMM_SELF, PETSC_ERR_CONV_FAILED, "Dense (LAPACK) Hessian eigensolver returned %" PetscInt_FMT " of %" PetscInt_FMT " eigenpairs", nconv, P);

  /* residuals ||H x - lambda x|| / ||x|| for all pairs at once: H X with one dense product */
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, P, P, NULL, &X));
  PetscCall(MatDenseGetLDA(X, &ldx));
  PetscCall(MatCreateVecs(A, &xr, NULL));
  PetscCall(PetscMalloc3(P, &lam, P, &res, P, &perm));
  PetscCall(MatDenseGetArrayWrite(X, &xa));
  for (PetscInt i = 0; i < P; i++) {
    const PetscScalar *xv;
    PetscScalar        ki;

    PetscCall(EPSGetEigenpair(eps, i, &lam[i], &ki, xr, NULL));
    PetscCall(VecGetArrayRead(xr, &xv));
    PetscCall(PetscArraycpy(xa + i * ldx, xv, P));
    PetscCall(VecRestoreArrayRead(xr, &xv));
  }
  PetscCall(MatDenseRestoreArrayWrite(X, &xa));
  PetscCall(MatAssemblyBegin(X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(X, MAT_FINAL_ASSEMBLY));
  PetscCall(MatMatMult(A, X, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &AX));
  {
    const PetscScalar *x, *ax;

    PetscCall(MatDenseGetLDA(AX, &lda));
    PetscCall(MatDenseGetArrayRead(X, &x));
    PetscCall(MatDenseGetArrayRead(AX, &ax));
    for (PetscInt i = 0; i < P; i++) {
      PetscReal rr = 0.0, xx = 0.0;

      for (PetscInt p = 0; p < P; p++) {
        const PetscReal t = ax[p + i * lda] - lam[i] * x[p + i * ldx];

        rr += t * t;
        xx += x[p + i * ldx] * x[p + i * ldx];
      }
      res[i] = xx > 0 ? PetscSqrtReal(rr / xx) : PETSC_MAX_REAL;
    }
    PetscCall(MatDenseRestoreArrayRead(AX, &ax));
    PetscCall(MatDenseRestoreArrayRead(X, &x));
  }
  for (PetscInt i = 0; i < P; i++) perm[i] = i;
  PetscCall(PetscSortRealWithPermutation(P, lam, perm));
  for (PetscInt i = 0; i < P; i++) {
    values[i]    = lam[perm[i]];
    residuals[i] = res[perm[i]];
  }
  if (nvec > 0) { /* the k smallest then the nvec - k largest: columns of X in sorted order */
    const PetscInt     nsmall = PetscMin(s->nev, P);
    const PetscScalar *x;

    PetscCheck(nvec <= P, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Dense spectrum: %" PetscInt_FMT " vectors of a size-%" PetscInt_FMT " problem", nvec, P);
    PetscCall(MatDenseGetArrayRead(X, &x));
    for (PetscInt j = 0; j < nvec; j++) {
      const PetscInt si = j < nsmall ? j : P - nvec + j;

      vvalues[j] = values[si];
      PetscCall(PetscArraycpy(vecs + j * P, x + perm[si] * ldx, P));
    }
    PetscCall(MatDenseRestoreArrayRead(X, &x));
  }
  PetscCall(PetscFree3(lam, res, perm));
  PetscCall(VecDestroy(&xr));
  PetscCall(MatDestroy(&AX));
  PetscCall(MatDestroy(&X));
  PetscCall(EPSDestroy(&eps));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

/* Convergence relative to max(|lambda|, nrm), nrm a scale of the operator: a plain relative test never
 * accepts an exactly zero eigenvalue, and Hessians at interpolating points have many. */
typedef struct {
  PetscReal nrm;
} SLEigConvCtx;

static PetscErrorCode SLEigConverged(EPS eps, PetscScalar er, PetscScalar ei, PetscReal res, PetscReal *errest, void *vctx)
{
  const SLEigConvCtx *ctx = (const SLEigConvCtx *)vctx;
  const PetscReal     den = PetscMax(PetscAbsScalar(er), ctx->nrm);

  PetscFunctionBeginUser;
  (void)eps;
  (void)ei;
  *errest = den > 0 ? res / den : res;
  PetscFunctionReturn(0);
}

/* One Krylov-Schur solve for the nev eigenvalues at one end; lam/res receive the *got converged ones in EPS
 * order (closest to the end first), X (NULL: none) the local slices of their eigenvectors (nev x Plocal). */
static PetscErrorCode SLKrylovEnd(SLSpectrumSolver s, Mat A, Vec v0, EPSWhich which, PetscInt nev, SLEigConvCtx *conv, PetscReal lam[], PetscReal res[], PetscInt *got, PetscReal X[])
{
  EPS            eps;
  Vec            x = NULL;
  PetscInt       nconv, P;
  MPI_Comm       comm;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(EPSCreate(comm, &eps));
  /* from here on a failure (EPS options, the solve) frees the EPS before it is returned */
  SLTryOrCleanup(ierr, cleanup, EPSSetOperators(eps, A, NULL));
  SLTryOrCleanup(ierr, cleanup, EPSSetProblemType(eps, EPS_HEP));
  SLTryOrCleanup(ierr, cleanup, EPSSetType(eps, EPSKRYLOVSCHUR));
  /* a wider basis and more restarts than SLEPc's defaults: the wanted end of a Hessian spectrum is often
   * clustered (small negative eigenvalues next to many tiny ones), which stalls a 2k-vector basis */
  SLTryOrCleanup(ierr, cleanup, MatGetSize(A, &P, NULL));
  SLTryOrCleanup(ierr, cleanup, EPSSetDimensions(eps, nev, PetscMin(P, PetscMax(2 * nev, nev + 35)), PETSC_DEFAULT));
  SLTryOrCleanup(ierr, cleanup, EPSSetTolerances(eps, s->tol, 1000));
  SLTryOrCleanup(ierr, cleanup, EPSSetWhichEigenpairs(eps, which));
  SLTryOrCleanup(ierr, cleanup, EPSSetConvergenceTestFunction(eps, SLEigConverged, conv, NULL));
  SLTryOrCleanup(ierr, cleanup, EPSSetOptionsPrefix(eps, s->prefix));
  SLTryOrCleanup(ierr, cleanup, EPSSetFromOptions(eps));
  SLTryOrCleanup(ierr, cleanup, EPSSetInitialSpace(eps, 1, &v0));
  SLTryOrCleanup(ierr, cleanup, EPSSolve(eps));
  SLTryOrCleanup(ierr, cleanup, EPSGetConverged(eps, &nconv));
  *got = PetscMin(nconv, nev);
  if (nconv < nev) SLTryOrCleanup(ierr, cleanup, PetscInfo(NULL, "Krylov-Schur (%s end) converged %" PetscInt_FMT " of %" PetscInt_FMT " eigenvalues\n", which == EPS_LARGEST_REAL ? "largest" : "smallest", nconv, nev));
  SLTryOrCleanup(ierr, cleanup, MatCreateVecs(A, &x, NULL));
  for (PetscInt i = 0; i < *got; i++) {
    PetscScalar ki;

    SLTryOrCleanup(ierr, cleanup, EPSGetEigenpair(eps, i, &lam[i], &ki, x, NULL));
    SLTryOrCleanup(ierr, cleanup, EPSComputeError(eps, i, EPS_ERROR_ABSOLUTE, &res[i]));
    if (X) {
      const PetscScalar *xa;
      PetscInt           nloc;

      SLTryOrCleanup(ierr, cleanup, VecGetLocalSize(x, &nloc));
      SLTryOrCleanup(ierr, cleanup, VecGetArrayRead(x, &xa));
      SLTryOrCleanup(ierr, cleanup, PetscArraycpy(X + i * nloc, xa, nloc));
      SLTryOrCleanup(ierr, cleanup, VecRestoreArrayRead(x, &xa));
    }
  }
  ierr = 0;
cleanup:
  PetscCall(VecDestroy(&x));
  PetscCall(EPSDestroy(&eps));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* Insertion sort of (value, residual, row index) triples by value (k is small). */
static void SLSortPairs(PetscInt n, PetscReal v[], PetscReal r[], PetscInt row[])
{
  for (PetscInt i = 1; i < n; i++) {
    const PetscReal tv = v[i], tr = r[i];
    const PetscInt  ti = row[i];
    PetscInt        j  = i - 1;

    for (; j >= 0 && v[j] > tv; j--) {
      v[j + 1]   = v[j];
      r[j + 1]   = r[j];
      row[j + 1] = row[j];
    }
    v[j + 1]   = tv;
    r[j + 1]   = tr;
    row[j + 1] = ti;
  }
}

PetscErrorCode SLSpectrumKrylov(SLSpectrumSolver s, SLHessCount hc, PetscInt nsmall, PetscInt nlarge, PetscReal values[], PetscReal residuals[], PetscInt *nconv, PetscReal vecs[])
{
  SLHessClass    cl;
  Mat            A;
  Vec            v0, dg;
  PetscInt       lo, hi, gs = 0, gl = 0, nv = nsmall + nlarge, *row;
  PetscReal     *lam, *res, *X = NULL, *Y = NULL; /* X: vectors of one end in EPS order; Y: all rows, values[] order */
  PetscScalar   *v;
  SLEigConvCtx   conv;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountGetClass(hc, &cl));
  PetscCall(SLHessianCreateShellFromClass(cl, &A)); /* products O(P + N^2) on the class aggregates */
  PetscCall(MatCreateVecs(A, &v0, &dg));
  /* deterministic start vector, a function of the global index only: reproducible for any layout */
  PetscCall(VecGetOwnershipRange(v0, &lo, &hi));
  PetscCall(VecGetArrayWrite(v0, &v));
  for (PetscInt p = lo; p < hi; p++) {
    const PetscReal g = 0.6180339887498949 * (PetscReal)(p + 1);

    v[p - lo] = (g - PetscFloorReal(g)) - 0.5 + 0.25 * PetscSinReal(0.37 * (PetscReal)p + 1.0);
  }
  PetscCall(VecRestoreArrayWrite(v0, &v));
  /* scale of the operator for the convergence test: the largest diagonal entry (<= ||H||) */
  PetscCall(MatGetDiagonal(A, dg));
  PetscCall(VecNorm(dg, NORM_INFINITY, &conv.nrm));
  PetscCall(PetscMalloc3(PetscMax(nsmall, nlarge), &lam, PetscMax(nsmall, nlarge), &res, nv, &row));
  if (vecs) PetscCall(PetscMalloc2(PetscMax(PetscMax(nsmall, nlarge) * (hi - lo), 1), &X, PetscMax(nv * (hi - lo), 1), &Y));
  for (PetscInt i = 0; i < nv; i++) {
    values[i] = residuals[i] = (PetscReal)NAN;
    row[i]                   = i;
  }
  if (nlarge > 0) {
    SLTryOrCleanup(ierr, cleanup, SLKrylovEnd(s, A, v0, EPS_LARGEST_REAL, nlarge, &conv, lam, res, &gl, X));
    /* EPS order is descending: the largest goes last */
    for (PetscInt j = 0; j < gl; j++) {
      values[nv - 1 - j]    = lam[j];
      residuals[nv - 1 - j] = res[j];
      if (Y) PetscCall(PetscArraycpy(Y + (nv - 1 - j) * (hi - lo), X + j * (hi - lo), hi - lo));
    }
    if (gl > 0) conv.nrm = PetscMax(conv.nrm, PetscAbsReal(lam[0]));
  }
  if (nsmall > 0) {
    SLTryOrCleanup(ierr, cleanup, SLKrylovEnd(s, A, v0, EPS_SMALLEST_REAL, nsmall, &conv, lam, res, &gs, X));
    for (PetscInt j = 0; j < gs; j++) {
      values[j]    = lam[j];
      residuals[j] = res[j];
      if (Y) PetscCall(PetscArraycpy(Y + j * (hi - lo), X + j * (hi - lo), hi - lo));
    }
  }
  /* each end is ascending; sort within the converged parts in case EPS returned them out of order */
  SLSortPairs(gs, values, residuals, row);
  SLSortPairs(gl, values + nv - gl, residuals + nv - gl, row + nv - gl);
  *nconv = gs + gl;
  if (vecs) { /* rows follow the sorted values; the ones not converged are NaN */
    for (PetscInt i = 0; i < nv; i++) {
      const PetscBool got = i < gs || i >= nv - gl ? PETSC_TRUE : PETSC_FALSE;

      for (PetscInt p = 0; p < hi - lo; p++) vecs[i * (hi - lo) + p] = got ? Y[row[i] * (hi - lo) + p] : (PetscReal)NAN;
    }
  }
cleanup: /* the solves can fail (EPS options, convergence breakdown): free everything either way */
  PetscCall(PetscFree2(X, Y));
  PetscCall(PetscFree3(lam, res, row));
  PetscCall(VecDestroy(&v0));
  PetscCall(VecDestroy(&dg));
  PetscCall(MatDestroy(&A));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
