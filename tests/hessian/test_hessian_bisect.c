/* Single eigenvalues by bisection on the exact count equal the dense LAPACK eigenvalues (H = 300: the 10 most
 * negative, the largest, and a few in the bulk, in NN and BDSO coordinates, for every Hessian part), and a
 * distributed network (H = 1500, two 1024-neuron blocks) gives bitwise the eigenvalues of its sequential copy
 * (run on several ranks). */
#include "test_hessian_util.h"

int main(int argc, char **argv)
{
  SLData      data;
  PetscMPIInt size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(HDataCreate(14, 5, &data));
  for (PetscInt c = 0; c < 2; c++)
    for (PetscInt p = 0; p < 3; p++) {
      SLNetwork       net, snet;
      SLModel         model, smodel;
      SLNetwork       dnet;
      SLModel         dmodel;
      PetscInt        P = 0;
      PetscReal      *ev, scale = 0;
      const PetscBool has_c = p == 0 ? PETSC_TRUE : PETSC_FALSE;

      /* against dense LAPACK */
      PetscCall(HNetworkCreate(PETSC_COMM_SELF, 300, has_c, 11, 0.7, 97, &dnet));
      PetscCall(HModelCreate((SLCoordinates)c, dnet, &dmodel));
      PetscCall(HDenseEig(dmodel, data, SL_LOSS_SUM, (SLHessianPart)p, &P, &ev));
      for (PetscInt i = 0; i < P; i++) scale = PetscMax(scale, PetscAbsReal(ev[i]));
      {
        const PetscInt ks[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, P / 3, P / 2, P - 2, P - 1};
        for (size_t j = 0; j < PETSC_STATIC_ARRAY_LENGTH(ks); j++) {
          PetscReal lam;
          PetscCall(SLHessianEigenvalueBisect(dmodel, data, SL_LOSS_SUM, (SLHessianPart)p, ks[j], 1e-13, &lam));
          HCHECK(PetscAbsReal(lam - ev[ks[j]]) <= 1e-10 * scale, "%s/%s k=%" PetscInt_FMT ": bisection %.17g vs dense %.17g (scale %g)", SLCoordinateNames[c], SLHessianParts[p], ks[j], (double)lam, (double)ev[ks[j]], (double)scale);
        }
      }
      PetscCall(PetscFree(ev));
      PetscCall(HModelDestroy(&dmodel));
      PetscCall(SLNetworkDestroy(&dnet));

      /* distributed vs sequential copy: bitwise */
      PetscCall(HNetworkCreate(PETSC_COMM_WORLD, 1500, has_c, 11, 0.7, 97, &net));
      PetscCall(HNetworkCreate(PETSC_COMM_SELF, 1500, has_c, 11, 0.7, 97, &snet));
      PetscCall(HModelCreate((SLCoordinates)c, net, &model));
      PetscCall(HModelCreate((SLCoordinates)c, snet, &smodel));
      for (PetscInt k = 0; k < (c == SL_COORD_NN ? 4500 : 3000); k += 737) {
        PetscReal lam, slam;
        PetscCall(SLHessianEigenvalueBisect(model, data, SL_LOSS_SUM, (SLHessianPart)p, k, 1e-13, &lam));
        PetscCall(SLHessianEigenvalueBisect(smodel, data, SL_LOSS_SUM, (SLHessianPart)p, k, 1e-13, &slam));
        HCHECK(lam == slam, "%s/%s k=%" PetscInt_FMT ": %d ranks %.17g vs 1 rank %.17g", SLCoordinateNames[c], SLHessianParts[p], k, size, (double)lam, (double)slam);
      }
      PetscCall(HModelDestroy(&model));
      PetscCall(HModelDestroy(&smodel));
      PetscCall(SLNetworkDestroy(&net));
      PetscCall(SLNetworkDestroy(&snet));
    }
  {
    /* a bad index is refused */
    SLNetwork      net;
    SLModel        model;
    PetscReal      lam;
    PetscErrorCode ierr;
    PetscCall(HNetworkCreate(PETSC_COMM_SELF, 10, PETSC_FALSE, 1, 1.0, 0, &net));
    PetscCall(HModelCreate(SL_COORD_NN, net, &model));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = SLHessianEigenvalueBisect(model, data, SL_LOSS_SUM, SL_HESS_FULL, 30, 1e-10, &lam);
    PetscCall(PetscPopErrorHandler());
    HCHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "index 30 of a 30-parameter Hessian was not refused (%d)", (int)ierr);
    PetscCall(HModelDestroy(&model));
    PetscCall(SLNetworkDestroy(&net));
  }
  PetscCall(SLDataDestroy(&data));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "bisection eigenvalues agree with dense LAPACK and across ranks\n"));
  PetscCall(PetscFinalize());
  return 0;
}
