/* The matrix-free Hessian (SLHessianCreateShell) against the dense one (SLHessianCreateDense), docs/theory.md
 * section 4: products with random vectors and the diagonal agree to 1e-12 relative for every part, both
 * coordinate systems, with and without output bias, sum and mean loss; networks include flat (w = 0) and dead
 * neurons. The shell is frozen at creation: changing the network afterwards does not change it. */
#include "test_hessian_util.h"

static PetscErrorCode CheckOne(SLCoordinates coords, PetscBool has_c, SLLossType type, SLHessianPart part, PetscInt *nchecks)
{
  SLNetwork   net;
  SLData      data;
  SLModel     model;
  Mat         S, D;
  Vec         x, ys, yd, ds, dd;
  PetscInt    P;
  PetscReal   err, nrm;
  PetscRandom rnd;

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(23, 5, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, 37, has_c, 11 + (PetscInt)coords, 1.0, 9, &net));
  PetscCall(HModelCreate(coords, net, &model));
  PetscCall(SLHessianCreateShell(model, data, type, part, &S));
  PetscCall(SLHessianCreateDense(model, data, type, part, &D));
  PetscCall(MatGetSize(S, &P, NULL));
  HCHECK(P == (coords == SL_COORD_NN ? 3 : 2) * 37 + (has_c ? 1 : 0), "shell size %" PetscInt_FMT, P);
  PetscCall(MatCreateVecs(D, &x, &ys));
  PetscCall(VecDuplicate(ys, &yd));
  PetscCall(VecDuplicate(ys, &ds));
  PetscCall(VecDuplicate(ys, &dd));
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  PetscCall(PetscRandomSetInterval(rnd, -1.0, 1.0));
  PetscCall(PetscRandomSetSeed(rnd, 1234));
  PetscCall(PetscRandomSeed(rnd));
  for (PetscInt t = 0; t < 4; t++) {
    PetscCall(VecSetRandom(x, rnd));
    PetscCall(MatMult(S, x, ys));
    PetscCall(MatMult(D, x, yd));
    PetscCall(VecNorm(yd, NORM_2, &nrm));
    PetscCall(VecAXPY(ys, -1.0, yd));
    PetscCall(VecNorm(ys, NORM_2, &err));
    HCHECK(nrm > 0, "zero dense product (coords %s, part %s)", SLCoordinateNames[coords], SLHessianParts[part]);
    HCHECK(err <= 1e-12 * nrm, "shell vs dense product: %g relative (coords %s, c %d, loss %s, part %s)", (double)(err / nrm), SLCoordinateNames[coords], (int)has_c, SLLossTypes[type], SLHessianParts[part]);
    (*nchecks)++;
  }
  PetscCall(MatGetDiagonal(S, ds));
  PetscCall(MatGetDiagonal(D, dd));
  PetscCall(VecNorm(dd, NORM_INFINITY, &nrm));
  PetscCall(VecAXPY(ds, -1.0, dd));
  PetscCall(VecNorm(ds, NORM_INFINITY, &err));
  HCHECK(err <= 1e-12 * nrm, "shell vs dense diagonal: %g (max %g; coords %s, part %s)", (double)err, (double)nrm, SLCoordinateNames[coords], SLHessianParts[part]);
  HCHECK(part == SL_HESS_RESIDUAL ? nrm == 0 : nrm > 0, "diagonal max %g for part %s", (double)nrm, SLHessianParts[part]);

  /* frozen: perturb every parameter of the network (and the spline made from it), the shell stays the same */
  {
    PetscReal *th;

    PetscCall(VecSetRandom(x, rnd));
    PetscCall(MatMult(D, x, yd));
    PetscCall(PetscMalloc1(3 * 37 + 1, &th));
    PetscCall(SLNetworkGetParameters(net, th));
    for (PetscInt p = 0; p < 3 * 37 + (has_c ? 1 : 0); p++) th[p] *= 1.5;
    PetscCall(SLNetworkSetParameters(net, th));
    if (model.sp) PetscCall(SLSplineUpdateFromNetwork(model.sp, net));
    PetscCall(PetscFree(th));
    PetscCall(MatMult(S, x, ys));
    PetscCall(VecNorm(yd, NORM_2, &nrm));
    PetscCall(VecAXPY(ys, -1.0, yd));
    PetscCall(VecNorm(ys, NORM_2, &err));
    HCHECK(err <= 1e-12 * nrm, "shell changed with the network after creation: %g relative", (double)(err / nrm));
  }
  PetscCall(PetscRandomDestroy(&rnd));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&ys));
  PetscCall(VecDestroy(&yd));
  PetscCall(VecDestroy(&ds));
  PetscCall(VecDestroy(&dd));
  PetscCall(MatDestroy(&S));
  PetscCall(MatDestroy(&D));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt nchecks = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (PetscInt coords = 0; coords < 2; coords++)
    for (PetscInt c = 0; c < 2; c++)
      for (PetscInt type = 0; type < 2; type++)
        for (PetscInt part = 0; part < 3; part++) PetscCall(CheckOne((SLCoordinates)coords, (PetscBool)c, (SLLossType)type, (SLHessianPart)part, &nchecks));
  HCHECK(nchecks == 2 * 2 * 2 * 3 * 4, "ran %" PetscInt_FMT " product checks", nchecks);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hessian_shell: %" PetscInt_FMT " shell products and 24 diagonals match the dense Hessian\n", nchecks));
  PetscCall(PetscFinalize());
  return 0;
}
