/* Command-line front end for the option tests in train.cmake: reads the trainer options (-sl_train_*),
 * prints the settings, and exits 0; invalid values must stop SLTrainerSetFromOptions with an error naming
 * the option. */
#include <splinelens/train.h>

int main(int argc, char **argv)
{
  SLTrainer tr;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(SLTrainerCreate(PETSC_COMM_WORLD, &tr));
  PetscCall(SLTrainerSetOptionsPrefix(tr, "sl_train_"));
  PetscCall(SLTrainerSetFromOptions(tr));
  PetscCall(SLTrainerView(tr, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(SLTrainerDestroy(&tr));
  PetscCall(PetscFinalize());
  return 0;
}
