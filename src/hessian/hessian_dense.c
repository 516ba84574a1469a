/* Dense P x P Hessian of either coordinate system (docs/theory.md section 4), for small sequential problems:
 * checks, and the dense spectra of spectrum.c. */
#include <splinelens/private/hessianimpl.h>

PetscErrorCode SLHessianCreateDense(SLModel model, SLData data, SLLossType type, SLHessianPart part, Mat *H)
{
  SLModelInfo info;
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCall(SLModelGetInfo(model, &info));
  PetscCallMPI(MPI_Comm_size(info.comm, &size));
  PetscCheck(size == 1, info.comm, PETSC_ERR_SUP, "SLHessianCreateDense needs a sequential model (communicator size 1, got %d); use SLHessianCreateShell for distributed models", size);
  if (model.coords == SL_COORD_NN) PetscCall(SLNetworkHessianDense(model.net, data, type, part, H));
  else PetscCall(SLSplineHessianDense(model.sp, data, type, part, H));
  PetscCall(MatSetOption(*H, MAT_SYMMETRIC, PETSC_TRUE));
  PetscFunctionReturn(0);
}
