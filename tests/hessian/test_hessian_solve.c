/* Direct solves with the shifted Hessian (SLHessianSolve*, src/hessian/hessian_solve.c; docs/theory.md 5.1):
 *  - on one rank, against LAPACK dgesv on the dense bordered system [[D + shift I, E], [E^T, 0]] (D: the dense
 *    Hessian of SLHessianCreateDense) for NN and BDSO coordinates, with and without output bias, sum and mean
 *    loss, shifts 1e-3, 0.71 and 1e3 times the Hessian's scale, without constraints and with constraints on three
 *    neurons (one of them with its breakpoint exactly on a data point): relative error <= 1e-9;
 *  - a shift equal to the spectral radius of a non-empty class block (M_c singular) is reported (*ok = false);
 *  - on 1, 2 and 3 ranks: a distributed network of width 2500 with constraints on every 101st neuron gives a
 *    solution bitwise equal to the same network on one rank. */
#include <stdlib.h>
#include "test_hessian_util.h"
#include <splinelens/private/hessianimpl.h> /* white-box: a class eigenvalue for the singular case */

/* constraint j of a width-H network: global neuron g = 5 + 101 j, direction (x_n, 1, 0)/s in NN, (1, 0) in BDSO */
static void ConstraintDir(SLCoordinates coords, SLData data, PetscInt g, PetscReal dir[3])
{
  if (coords == SL_COORD_NN) {
    const PetscReal x = data->x[g % data->N], s = PetscSqrtReal(1 + x * x);

    dir[0] = x / s;
    dir[1] = 1.0 / s;
    dir[2] = 0.0;
  } else {
    dir[0] = 1.0;
    dir[1] = 0.0;
  }
}

static PetscErrorCode CheckDense(SLCoordinates coords, PetscBool has_c, SLLossType type, PetscInt nconstr, PetscReal shift_rel, PetscInt *nchecks)
{
  const PetscInt     H = 37, cn[3] = {2, 9, 20};
  SLNetwork          net;
  SLData             data;
  SLModel            model;
  Mat                S, D;
  SLHessSolve        hs;
  SLHessClass        cl;
  PetscInt           P, npn, lda, n;
  PetscReal         *A, *rhs, *y, dir[9], c[3], shift, err = 0.0, nrm = 0.0;
  const PetscScalar *d;
  PetscBLASInt      *ipiv, bn, one = 1, info;
  PetscBool          ok;

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(23, 5, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, has_c, 11 + (PetscInt)coords, 1.0, 9, &net));
  { /* neuron 9: breakpoint exactly on data point 4 */
    PetscReal *p = net->theta + 3 * 9;

    p[1] = -p[0] * data->x[4];
  }
  PetscCall(HModelCreate(coords, net, &model));
  PetscCall(SLHessianCreateShell(model, data, type, SL_HESS_FULL, &S));
  PetscCall(SLHessianCreateDense(model, data, type, SL_HESS_FULL, &D));
  PetscCall(SLHessianShellGetClass(S, &cl));
  npn   = cl->info.npn;
  shift = shift_rel * cl->hscale;
  PetscCall(MatGetSize(D, &P, NULL));
  n = P + nconstr;
  PetscCall(PetscCalloc4(n * n, &A, n, &rhs, P, &y, n, &ipiv));
  PetscCall(MatDenseGetLDA(D, &lda));
  PetscCall(MatDenseGetArrayRead(D, &d));
  for (PetscInt j = 0; j < P; j++)
    for (PetscInt i = 0; i < P; i++) A[i + n * j] = d[i + lda * j] + (i == j ? shift : 0.0);
  PetscCall(MatDenseRestoreArrayRead(D, &d));
  for (PetscInt j = 0; j < nconstr; j++) {
    ConstraintDir(coords, data, cn[j], dir + npn * j);
    for (PetscInt a = 0; a < npn; a++) A[npn * cn[j] + a + n * (P + j)] = A[P + j + n * (npn * cn[j] + a)] = dir[npn * j + a];
  }
  for (PetscInt i = 0; i < P; i++) rhs[i] = PetscSinReal(1.0 + 0.7 * i);
  for (PetscInt j = 0; j < nconstr; j++) rhs[P + j] = c[j] = 0.1 * (j + 1);
  PetscCall(SLHessianSolveCreate(&hs));
  PetscCall(SLHessianSolveSetUp(hs, S, shift, nconstr, cn, dir, &ok));
  HCHECK(ok, "solver setup reports a singular system at shift %g", (double)shift);
  PetscCall(SLHessianSolveApply(hs, rhs, c, y));
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCallBLAS("LAPACKgesv", LAPACKgesv_(&bn, &one, A, &bn, ipiv, rhs, &bn, &info));
  HCHECK(info == 0, "dgesv failed (info %d)", (int)info);
  for (PetscInt i = 0; i < P; i++) {
    err = PetscMax(err, PetscAbsReal(y[i] - rhs[i]));
    nrm = PetscMax(nrm, PetscAbsReal(rhs[i]));
  }
  HCHECK(nrm > 0 && err <= 1e-9 * nrm, "shifted solve vs dense: %g relative (coords %s, c %d, loss %s, %" PetscInt_FMT " constraints, shift %g)", (double)(err / nrm), SLCoordinateNames[coords], (int)has_c, SLLossTypes[type], nconstr, (double)shift);
  (*nchecks)++;
  if (getenv("SL_TEST_VERBOSE"))
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "coords %s c %d loss %s k %" PetscInt_FMT " shift %g: relative error %.2e\n", SLCoordinateNames[coords], (int)has_c, SLLossTypes[type], nconstr, (double)shift, (double)(err / nrm)));
  /* singular M_c: shift = -(smallest eigenvalue) of the class block of neuron 0 */
  {
    const PetscInt  c0 = cl->cls[0];
    const PetscReal ev = cl->ev[3 * c0 + npn - 1];

    if (ev < 0) {
      PetscCall(SLHessianSolveSetUp(hs, S, -ev, 0, NULL, NULL, &ok));
      HCHECK(!ok, "shift = %g on an eigenvalue of a class block not reported as singular", (double)-ev);
      (*nchecks)++;
    }
  }
  PetscCall(SLHessianSolveDestroy(&hs));
  PetscCall(PetscFree4(A, rhs, y, ipiv));
  PetscCall(MatDestroy(&S));
  PetscCall(MatDestroy(&D));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

/* The solution on comm for the width-H network with constraints on g = 5 + 101 j, gathered on rank 0 (y: P). */
static PetscErrorCode SolveOn(MPI_Comm comm, PetscInt H, SLData data, PetscReal shift, PetscReal *y)
{
  SLNetwork   net;
  SLModel     model;
  Mat         S;
  SLHessSolve hs;
  PetscInt    Plocal, kl = 0, *cn;
  PetscReal  *r, *yl, *dir, *c;
  PetscBool   ok;
  PetscMPIInt size, rank;
  Vec         yv, yall;
  VecScatter  sc;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(HNetworkCreate(comm, H, PETSC_TRUE, 77, 1.0, 11, &net));
  for (PetscInt i = 0; i < net->hlocal; i++) { /* breakpoints on data points */
    const PetscInt g = net->hstart + i;

    if (g % 13 == 3) net->theta[3 * i + 1] = -net->theta[3 * i] * data->x[g % data->N];
  }
  PetscCall(HModelCreate(SL_COORD_NN, net, &model));
  PetscCall(SLHessianCreateShell(model, data, SL_LOSS_MEAN, SL_HESS_FULL, &S));
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  PetscCall(PetscMalloc5(PetscMax(1, Plocal), &r, PetscMax(1, Plocal), &yl, PetscMax(1, net->hlocal), &cn, 3 * PetscMax(1, net->hlocal), &dir, PetscMax(1, net->hlocal), &c));
  for (PetscInt i = 0; i < net->hlocal; i++) {
    const PetscInt g = net->hstart + i;

    for (PetscInt a = 0; a < 3; a++) r[3 * i + a] = PetscSinReal(0.3 * g + a);
    if (g % 101 == 5) {
      cn[kl] = i;
      ConstraintDir(SL_COORD_NN, data, g, dir + 3 * kl);
      c[kl] = 0.01 * (g % 7);
      kl++;
    }
  }
  if (net->owns_c) r[3 * net->hlocal] = 0.5;
  PetscCall(SLHessianSolveCreate(&hs));
  PetscCall(SLHessianSolveSetUp(hs, S, shift, kl, cn, dir, &ok));
  HCHECK(ok, "distributed solver setup reports a singular system");
  PetscCall(SLHessianSolveApply(hs, r, c, yl));
  PetscCall(VecCreateMPIWithArray(comm, 1, Plocal, PETSC_DECIDE, yl, &yv));
  PetscCall(VecScatterCreateToZero(yv, &sc, &yall));
  PetscCall(VecScatterBegin(sc, yv, yall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, yv, yall, INSERT_VALUES, SCATTER_FORWARD));
  if (rank == 0) {
    const PetscScalar *a;
    PetscInt           n;

    PetscCall(VecGetSize(yall, &n));
    PetscCall(VecGetArrayRead(yall, &a));
    PetscCall(PetscArraycpy(y, a, n));
    PetscCall(VecRestoreArrayRead(yall, &a));
  }
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&yall));
  PetscCall(VecDestroy(&yv));
  PetscCall(SLHessianSolveDestroy(&hs));
  PetscCall(PetscFree5(r, yl, cn, dir, c));
  PetscCall(MatDestroy(&S));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt    nchecks = 0;
  PetscMPIInt rank, size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  if (size == 1) {
    const PetscReal shifts[3] = {1e-3, 0.71, 1e3}; /* times the Hessian scale (1.0 would hit rho of its largest class) */

    for (PetscInt co = 0; co < SL_NCOORDS; co++)
      for (PetscInt hc = 0; hc < 2; hc++)
        for (PetscInt t = 0; t < 2; t++)
          for (PetscInt k = 0; k <= 3; k += 3)
            for (PetscInt s = 0; s < 3; s++) PetscCall(CheckDense((SLCoordinates)co, (PetscBool)hc, t ? SL_LOSS_MEAN : SL_LOSS_SUM, k, shifts[s], &nchecks));
  }
  { /* distributed vs one rank, bitwise */
    const PetscInt H = 2500, P = 3 * H + 1;
    SLData         data;
    PetscReal     *yd, *ys;

    PetscCall(HDataCreate(16, 3, &data));
    PetscCall(PetscMalloc2(P, &yd, P, &ys));
    PetscCall(SolveOn(PETSC_COMM_WORLD, H, data, 0.37, yd));
    if (rank == 0) {
      PetscInt ndiff = 0;

      PetscCall(SolveOn(PETSC_COMM_SELF, H, data, 0.37, ys));
      for (PetscInt p = 0; p < P; p++) ndiff += (yd[p] != ys[p]);
      HCHECK(ndiff == 0, "distributed solve on %d ranks differs from one rank in %" PetscInt_FMT " of %" PetscInt_FMT " entries", (int)size, ndiff, P);
      nchecks++;
    }
    PetscCall(PetscFree2(yd, ys));
    PetscCall(SLDataDestroy(&data));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "test_hessian_solve: %" PetscInt_FMT " checks passed on %d ranks\n", nchecks, (int)size));
  PetscCall(PetscFinalize());
  return 0;
}
