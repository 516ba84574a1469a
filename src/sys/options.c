/* Clear errors for enum options with an unknown value (see enum_option.h). */
#include <petscsys.h>
#include <splinelens/sys.h>

PetscErrorCode SLOptionsCheckEnum(const char prefix[], const char name[], const char *const list[])
{
  char      value[256], valid[1024] = "";
  PetscBool set, found;
  PetscEnum e;
  PetscInt  n = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, prefix, name, value, sizeof(value), &set));
  if (!set) PetscFunctionReturn(0);
  PetscCall(PetscEnumFind(list, value, &e, &found));
  if (found) PetscFunctionReturn(0);
  while (list[n]) n++;
  /* the last three entries of a PETSc enum list are the type name, the value prefix and NULL */
  for (PetscInt i = 0; i < n - 2; i++) {
    if (i) PetscCall(PetscStrlcat(valid, ", ", sizeof(valid)));
    PetscCall(PetscStrlcat(valid, list[i], sizeof(valid)));
  }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER, "Unknown value '%s' for -%s%s; valid values: %s", value, prefix ? prefix : "", name + 1, valid);
}
