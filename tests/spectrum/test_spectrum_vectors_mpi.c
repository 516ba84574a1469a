/* Eigenvectors of the extremes of a wide distributed network (-sl_eig_vectors, docs/theory.md section 4) against the
 * same network on one rank (run on 1, 2 and 3 ranks; H = 2500: one SL_NEURON_BLOCK per rank on 3 ranks; H = 2000:
 * a rank without neurons on 3 ranks):
 *  - class-reduced extremes: the slices (vlocal, vstart) tile the parameter vector, and the gathered vectors and
 *    vector_values are bitwise equal to the one-rank ones (NN with output bias and BDSO without, parts full,
 *    gauss_newton and residual; repeated eigenvalues included);
 *  - the one-rank vectors are eigenvectors of the matrix-free operator (||H x - lambda x|| <= 1e-8 max|lambda|),
 *    unit, orthonormal, with the sign rule;
 *  - Krylov-Schur vectors of simple eigenvalues (among the stored, multiplicity-exact values) equal the one-rank
 *    ones to 1e-6 (rounding differs with the layout);
 *  - the comparison rejects a copy with one entry changed by one ulp. */
#include <slepcsys.h>
#include "test_hessian_util.h"

static PetscErrorCode Compute(MPI_Comm comm, PetscBool krylov, SLModel model, SLData data, SLHessianPart part, SLSpectrum *spec)
{
  SLSpectrumSolver s;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_reduced_max", krylov ? "-1" : "2000"));
  PetscCall(SLSpectrumSolverCreate(comm, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, part, PETSC_FALSE, PETSC_TRUE, spec));
  PetscCall(SLSpectrumSolverDestroy(&s));
  HCHECK(spec->nvec == spec->nvals && spec->vectors && (krylov ? spec->nreduced < 0 : spec->nreduced >= 0), "vector layout / method");
  PetscFunctionReturn(0);
}

/* All vectors gathered on rank 0 (nvec x P, row-major; NULL elsewhere). */
static PetscErrorCode Gather(const SLSpectrum *spec, PetscReal **all)
{
  PetscMPIInt rank, size, *counts = NULL, *displs = NULL, cnt;
  PetscInt    first, sum = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  /* the slices tile [0, P) in rank order */
  PetscCallMPI(MPI_Scan(&spec->vlocal, &sum, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  first = sum - spec->vlocal;
  HCHECK(spec->vstart == first, "rank %d: vstart %" PetscInt_FMT ", the slices before it hold %" PetscInt_FMT, rank, spec->vstart, first);
  PetscCallMPI(MPI_Allreduce(&spec->vlocal, &sum, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  HCHECK(sum == spec->P, "slices sum to %" PetscInt_FMT ", P = %" PetscInt_FMT, sum, spec->P);
  *all = NULL;
  if (rank == 0) {
    PetscCall(PetscMalloc1(spec->nvec * spec->P, all));
    PetscCall(PetscMalloc2(size, &counts, size, &displs));
  }
  PetscCall(PetscMPIIntCast(spec->vlocal, &cnt));
  PetscCallMPI(MPI_Gather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, 0, PETSC_COMM_WORLD));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  }
  for (PetscInt j = 0; j < spec->nvec; j++) PetscCallMPI(MPI_Gatherv(spec->vectors + j * spec->vlocal, cnt, MPIU_REAL, rank == 0 ? *all + j * spec->P : NULL, counts, displs, MPIU_REAL, 0, PETSC_COMM_WORLD));
  if (rank == 0) PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(0);
}

/* Number of entries of a and b (n each) that are not bitwise equal, and the largest difference. */
static PetscInt Differ(PetscInt n, const PetscReal a[], const PetscReal b[], PetscReal *maxdiff)
{
  PetscInt c = 0;

  *maxdiff = 0.0;
  for (PetscInt i = 0; i < n; i++)
    if (memcmp(&a[i], &b[i], sizeof(PetscReal))) {
      c++;
      *maxdiff = PetscMax(*maxdiff, PetscAbsReal(a[i] - b[i]));
    }
  return c;
}

/* Eigen-, unit-, sign- and orthogonality checks of the one-rank vectors with the matrix-free operator. */
static PetscErrorCode CheckEigen(SLModel model, SLData data, SLHessianPart part, const SLSpectrum *spec, const char *what)
{
  const PetscInt  P  = spec->P;
  const PetscReal sc = PetscMax(PetscAbsReal(spec->lambda_min), PetscAbsReal(spec->lambda_max));
  Mat             A;
  Vec             x, y;
  PetscReal       res, worst = 0.0;

  PetscFunctionBeginUser;
  PetscCall(SLHessianCreateShell(model, data, SL_LOSS_SUM, part, &A));
  PetscCall(MatCreateVecs(A, &x, &y));
  for (PetscInt j = 0; j < spec->nvec; j++) {
    const PetscReal *v = spec->vectors + j * P;
    PetscScalar     *xa;
    PetscReal        nrm = 0.0;
    PetscInt         b   = 0;

    for (PetscInt p = 0; p < P; p++) {
      nrm += v[p] * v[p];
      if (PetscAbsReal(v[p]) > PetscAbsReal(v[b])) b = p;
    }
    HCHECK(PetscAbsReal(PetscSqrtReal(nrm) - 1) <= 1e-12 && v[b] > 0, "%s: vector %" PetscInt_FMT ": norm %.17g, largest entry %g", what, j, (double)PetscSqrtReal(nrm), (double)v[b]);
    PetscCall(VecGetArrayWrite(x, &xa));
    PetscCall(PetscArraycpy(xa, v, P));
    PetscCall(VecRestoreArrayWrite(x, &xa));
    PetscCall(MatMult(A, x, y));
    PetscCall(VecAXPY(y, -spec->vector_values[j], x));
    PetscCall(VecNorm(y, NORM_2, &res));
    HCHECK(res <= 1e-8 * sc, "%s: vector %" PetscInt_FMT " (lambda %.17g): residual %g > 1e-8 * %g", what, j, (double)spec->vector_values[j], (double)res, (double)sc);
    worst = PetscMax(worst, res / sc);
    for (PetscInt i = 0; i < j; i++) {
      PetscReal d = 0.0;

      for (PetscInt p = 0; p < P; p++) d += spec->vectors[i * P + p] * v[p];
      HCHECK(PetscAbsReal(d) <= 1e-8, "%s: vectors %" PetscInt_FMT " and %" PetscInt_FMT " have inner product %g", what, i, j, (double)d);
    }
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s: %" PetscInt_FMT " vectors, relative residuals <= %.2g, orthonormal\n", what, spec->nvec, (double)worst));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&y));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckCase(SLCoordinates coords, PetscInt H, PetscInt N, PetscBool has_c, SLHessianPart part, PetscBool krylov)
{
  PetscMPIInt rank, size;
  SLNetwork   dnet, snet = NULL;
  SLData      data;
  SLModel     dmodel, smodel = {SL_COORD_NN, NULL, NULL};
  SLSpectrum  dspec, sspec;
  PetscReal  *all;
  char        what[128];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s %s H=%" PetscInt_FMT "%s part %s", krylov ? "krylov-schur" : "reduced", SLCoordinateNames[coords], H, has_c ? " +c" : "", SLHessianParts[part]));
  PetscCall(HDataCreate(N, 51, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_WORLD, H, has_c, 53, 1.0, 0, &dnet));
  PetscCall(HModelCreate(coords, dnet, &dmodel));
  PetscCall(Compute(PETSC_COMM_WORLD, krylov, dmodel, data, part, &dspec));
  PetscCall(Gather(&dspec, &all));
  if (rank == 0) {
    const PetscInt P = dspec.P, nv = dspec.nvec;
    PetscReal      md, mv;
    PetscInt       nd, nvd;

    PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, has_c, 53, 1.0, 0, &snet));
    PetscCall(HModelCreate(coords, snet, &smodel));
    PetscCall(Compute(PETSC_COMM_SELF, krylov, smodel, data, part, &sspec));
    HCHECK(sspec.nvec == nv && sspec.vlocal == P && sspec.vstart == 0, "%s: one-rank layout", what);
    if (!krylov) {
      nvd = Differ(nv, dspec.vector_values, sspec.vector_values, &mv);
      nd  = Differ(nv * P, all, sspec.vectors, &md);
      HCHECK(nvd == 0 && nd == 0, "%s: %d ranks vs one: %" PetscInt_FMT " values (max diff %g) and %" PetscInt_FMT " vector entries (max diff %g) differ", what, size, nvd, (double)mv, nd, (double)md);
      /* the comparison can fail: one entry one ulp off */
      all[P / 3] = nextafter(all[P / 3], PETSC_MAX_REAL);
      HCHECK(Differ(nv * P, all, sspec.vectors, &md) == 1, "%s: an entry changed by one ulp is not detected", what);
      PetscCall(CheckEigen(smodel, data, part, &sspec, what));
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s: %" PetscInt_FMT " vectors on %d ranks bitwise equal to one rank\n", what, nv, size));
    } else {
      const PetscInt  nsmall = nv / 2;
      const PetscReal sc = PetscMax(PetscAbsReal(sspec.lambda_min), PetscAbsReal(sspec.lambda_max)), gap = 1e-6 * sc;
      PetscInt        ncmp = 0;

      PetscCall(CheckEigen(smodel, data, part, &sspec, what));
      /* simple eigenvalues: values[] is exact in multiplicity (inertia repair); an end's last value has an
       * unknown neighbour beyond it, so it is not compared */
      for (PetscInt j = 0; j < nv; j++) {
        const PetscReal *v = sspec.values;
        PetscBool        simple;
        PetscReal        dp = 0.0;

        if (j == nsmall - 1 || j == nsmall) continue;
        simple = (j == 0 || v[j] - v[j - 1] > gap) && (j == nv - 1 || v[j + 1] - v[j] > gap) ? PETSC_TRUE : PETSC_FALSE;
        if (!simple || PetscIsNanReal(dspec.vector_values[j]) || PetscIsNanReal(sspec.vector_values[j])) continue;
        if (PetscAbsReal(sspec.vector_values[j] - v[j]) > gap || PetscAbsReal(dspec.vector_values[j] - v[j]) > gap) continue; /* Krylov skipped a copy: not the same eigenvalue */
        for (PetscInt p = 0; p < P; p++) dp = PetscMax(dp, PetscAbsReal(all[j * P + p] - sspec.vectors[j * P + p]));
        HCHECK(dp <= 1e-6, "%s: vector %" PetscInt_FMT " (simple eigenvalue %.17g) differs on %d ranks by %g", what, j, (double)v[j], size, (double)dp);
        ncmp++;
      }
      HCHECK(ncmp >= 2, "%s: only %" PetscInt_FMT " simple eigenvalues compared", what, ncmp);
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s: %" PetscInt_FMT " vectors of simple eigenvalues on %d ranks equal one rank to 1e-6\n", what, ncmp, size));
    }
    PetscCall(PetscFree(all));
    PetscCall(SLSpectrumReset(&sspec));
    PetscCall(HModelDestroy(&smodel));
    PetscCall(SLNetworkDestroy(&snet));
  }
  PetscCall(SLSpectrumReset(&dspec));
  PetscCall(HModelDestroy(&dmodel));
  PetscCall(SLNetworkDestroy(&dnet));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", "6"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_vectors", "true"));
  for (PetscInt part = 0; part < 3; part++) {
    PetscCall(CheckCase(SL_COORD_NN, 2500, 30, PETSC_TRUE, (SLHessianPart)part, PETSC_FALSE));
    PetscCall(CheckCase(SL_COORD_BDSO, 2000, 30, PETSC_FALSE, (SLHessianPart)part, PETSC_FALSE));
  }
  PetscCall(CheckCase(SL_COORD_NN, 2500, 30, PETSC_TRUE, SL_HESS_FULL, PETSC_TRUE));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "spectrum_vectors_mpi: distributed eigenvectors match one rank\n"));
  PetscCall(SlepcFinalize());
  return 0;
}
