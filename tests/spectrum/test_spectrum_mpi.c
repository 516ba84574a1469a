/* Distributed Hessian operators and spectra (docs/theory.md section 4) against the same model on one rank:
 *  - the shell product of a network distributed over the ranks (H = 2500: several SL_NEURON_BLOCKs) gathered on
 *    rank 0 equals the sequential product (1e-13 relative; the block reduction makes it bitwise in practice);
 *  - SLHessianCountBelow gives identical counts at many lambdas;
 *  - Krylov extremes agree with the one-rank values to 1e-8, counts and bounds are identical, histograms sum to P.
 * NN coordinates with output bias and BDSO without. -H 50 on 3 ranks: ranks without neurons (one block only).
 * Option -dense_error: call SLHessianCreateDense on the
 * distributed model (must stop with a message; see tests/spectrum.cmake). */
#include <slepcsys.h>
#include "test_hessian_util.h"

/* A fixed vector by global index. */
static PetscErrorCode FillVec(Vec x)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(VecGetArrayWrite(x, &a));
  for (PetscInt p = lo; p < hi; p++) a[p - lo] = PetscCosReal(0.7 * p) + 0.1 * (PetscReal)(p % 5);
  PetscCall(VecRestoreArrayWrite(x, &a));
  PetscFunctionReturn(0);
}

static PetscErrorCode SpectrumOn(MPI_Comm comm, SLModel model, SLData data, SLSpectrum *spec)
{
  SLSpectrumSolver s;

  PetscFunctionBeginUser;
  PetscCall(SLSpectrumSolverCreate(comm, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, SL_HESS_FULL, PETSC_FALSE, PETSC_FALSE, spec));
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckCoords(SLCoordinates coords, PetscInt H, PetscInt N, PetscBool has_c)
{
  PetscMPIInt rank, size;
  SLNetwork   dnet, snet = NULL;
  SLData      data;
  SLModel     dmodel, smodel;
  SLSpectrum  dspec, sspec;
  PetscReal   ref[64], lam[16];
  PetscInt    nref = 0, nl = 0, P;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(HDataCreate(N, 41, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_WORLD, H, has_c, 43, 1.0, 0, &dnet));
  PetscCall(HModelCreate(coords, dnet, &dmodel));
  if (rank == 0) {
    PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, has_c, 43, 1.0, 0, &snet));
    PetscCall(HModelCreate(coords, snet, &smodel));
  }

  /* shell products, every part */
  for (PetscInt part = 0; part < 3; part++) {
    Mat        Sd, Ss;
    Vec        xd, yd, y0, xs, ys;
    VecScatter sc;

    PetscCall(SLHessianCreateShell(dmodel, data, SL_LOSS_SUM, (SLHessianPart)part, &Sd));
    PetscCall(MatCreateVecs(Sd, &xd, &yd));
    PetscCall(FillVec(xd));
    PetscCall(MatMult(Sd, xd, yd));
    PetscCall(VecScatterCreateToZero(yd, &sc, &y0));
    PetscCall(VecScatterBegin(sc, yd, y0, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, yd, y0, INSERT_VALUES, SCATTER_FORWARD));
    if (rank == 0) {
      PetscReal nrm, err;
      PetscBool same;

      PetscCall(SLHessianCreateShell(smodel, data, SL_LOSS_SUM, (SLHessianPart)part, &Ss));
      PetscCall(MatCreateVecs(Ss, &xs, &ys));
      PetscCall(FillVec(xs));
      PetscCall(MatMult(Ss, xs, ys));
      PetscCall(VecEqual(ys, y0, &same));
      PetscCall(VecNorm(ys, NORM_INFINITY, &nrm));
      PetscCall(VecAXPY(y0, -1.0, ys));
      PetscCall(VecNorm(y0, NORM_INFINITY, &err));
      HCHECK(nrm > 0 && err <= 1e-13 * nrm, "%s part %s: distributed vs sequential product %g relative", SLCoordinateNames[coords], SLHessianParts[part], (double)(err / nrm));
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s part %s: %d-rank product %s the sequential one\n", SLCoordinateNames[coords], SLHessianParts[part], size, same ? "bitwise equals" : "agrees to 1e-13 with"));
      PetscCall(VecDestroy(&xs));
      PetscCall(VecDestroy(&ys));
      PetscCall(MatDestroy(&Ss));
    }
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecDestroy(&y0));
    PetscCall(VecDestroy(&xd));
    PetscCall(VecDestroy(&yd));
    PetscCall(MatDestroy(&Sd));
  }

  /* spectra: one rank first (rank 0, PETSC_COMM_SELF), then distributed */
  if (rank == 0) {
    PetscCall(SpectrumOn(PETSC_COMM_SELF, smodel, data, &sspec));
    nref = sspec.nvals;
    for (PetscInt i = 0; i < nref; i++) ref[i] = sspec.values[i];
    HCHECK(sspec.method == SL_EIG_KRYLOV && sspec.nconv == nref, "sequential spectrum: method %s, %" PetscInt_FMT " of %" PetscInt_FMT, SLEigMethods[sspec.method], sspec.nconv, nref);
  }
  PetscCallMPI(MPI_Bcast(&nref, 1, MPIU_INT, 0, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Bcast(ref, (PetscMPIInt)nref, MPIU_REAL, 0, PETSC_COMM_WORLD));
  PetscCall(SpectrumOn(PETSC_COMM_WORLD, dmodel, data, &dspec));
  HCHECK(dspec.method == SL_EIG_KRYLOV && dspec.nvals == nref && dspec.nconv == nref, "distributed spectrum layout");
  P = dspec.P;
  {
    const PetscReal scale = PetscMax(PetscAbsReal(ref[0]), PetscAbsReal(ref[nref - 1]));
    PetscInt        sum   = 0;

    for (PetscInt i = 0; i < nref; i++)
      HCHECK(PetscAbsReal(dspec.values[i] - ref[i]) <= 1e-8 * PetscMax(PetscAbsReal(ref[i]), 1e-6 * scale), "%s Krylov value %" PetscInt_FMT ": %d ranks %.17g, one rank %.17g", SLCoordinateNames[coords], i, size, (double)dspec.values[i], (double)ref[i]);
    for (PetscInt j = 0; j < dspec.nbins; j++) sum += dspec.hist_counts[j];
    HCHECK(dspec.nbins > 0 && sum == P, "distributed histogram sums to %" PetscInt_FMT " (P %" PetscInt_FMT ")", sum, P);
    HCHECK(dspec.check_neg == 1 && dspec.n_neg > 0, "distributed check_neg");
  }
  if (rank == 0) {
    HCHECK(dspec.n_neg == sspec.n_neg && dspec.n_zero == sspec.n_zero && dspec.n_pos == sspec.n_pos && dspec.n_bound == sspec.n_bound, "counts: %d ranks %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT " bound %" PetscInt_FMT ", one rank %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT " bound %" PetscInt_FMT, size,
           dspec.n_neg, dspec.n_zero, dspec.n_pos, dspec.n_bound, sspec.n_neg, sspec.n_zero, sspec.n_pos, sspec.n_bound);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s H=%" PetscInt_FMT ": lambda in [%.8g, %.8g], neg/zero/pos %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT " on %d ranks and on one\n", SLCoordinateNames[coords], H, (double)dspec.lambda_min,
                          (double)dspec.lambda_max, dspec.n_neg, dspec.n_zero, dspec.n_pos, size));
  }

  /* exact counts at lambdas across the spectrum (and near 0): identical on any number of ranks */
  for (PetscInt t = 0; t < 12; t++) lam[nl++] = ref[0] + (ref[nref - 1] - ref[0]) * (0.003 + 0.09 * t);
  lam[nl++] = -1e-7 * ref[nref - 1];
  lam[nl++] = 1e-7 * ref[nref - 1];
  for (PetscInt t = 0; t < nl; t++) {
    PetscInt  cd, cs = -2;
    PetscBool okd, oks;

    PetscCall(SLHessianCountBelow(dmodel, data, SL_LOSS_SUM, SL_HESS_FULL, lam[t], &cd, &okd));
    if (rank == 0) {
      PetscCall(SLHessianCountBelow(smodel, data, SL_LOSS_SUM, SL_HESS_FULL, lam[t], &cs, &oks));
      HCHECK(okd == oks && cd == cs, "count below %.17g: %d ranks %" PetscInt_FMT ", one rank %" PetscInt_FMT, (double)lam[t], size, cd, cs);
      HCHECK(okd && cd >= 0 && cd <= P, "count %" PetscInt_FMT, cd);
    }
  }
  if (rank == 0) {
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
  PetscInt  H = 2500, N = 40;
  PetscBool dense_error = PETSC_FALSE;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-H", &H, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-N", &N, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-dense_error", &dense_error, NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", "5"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", "0")); /* Krylov also on one rank, for any H */
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "20"));
  if (dense_error) {
    SLNetwork net;
    SLData    data;
    SLModel   model;
    Mat       A;

    PetscCall(HDataCreate(N, 41, &data));
    PetscCall(HNetworkCreate(PETSC_COMM_WORLD, H, PETSC_FALSE, 43, 1.0, 0, &net));
    PetscCall(HModelCreate(SL_COORD_NN, net, &model));
    PetscCall(SLHessianCreateDense(model, data, SL_LOSS_SUM, SL_HESS_FULL, &A)); /* must fail on > 1 rank */
    PetscCall(MatDestroy(&A));
    PetscCall(SLNetworkDestroy(&net));
    PetscCall(SLDataDestroy(&data));
  } else {
    PetscCall(CheckCoords(SL_COORD_NN, H, N, PETSC_TRUE));
    PetscCall(CheckCoords(SL_COORD_BDSO, H, N, PETSC_FALSE));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "spectrum_mpi: distributed products, counts and spectra match one rank\n"));
  }
  PetscCall(SlepcFinalize());
  return 0;
}
