#include <splinelens/splinelens.h>

static const char help[] = "splinelens: shallow univariate ReLU networks through the spline lens.\n";

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "splinelens %s (%s)\n", SL_VERSION, SL_GIT_COMMIT));
  PetscCall(PetscFinalize());
  return 0;
}
