/* Enum values given as strings (options, list options): one lookup with a clear error. */
#include <petscsys.h>
#include <splinelens/sys.h>

PetscErrorCode SLEnumFind(MPI_Comm comm, const char option[], const char *const list[], const char value[], PetscInt *idx)
{
  char      valid[1024] = "";
  PetscBool found;
  PetscEnum e;
  PetscInt  n = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscEnumFind(list, value, &e, &found)); /* case-insensitive, as PetscOptionsEnum */
  if (found) {
    *idx = (PetscInt)e;
    PetscFunctionReturn(0);
  }
  while (list[n]) n++;
  /* the last three entries of a PETSc enum list are the type name, the value prefix and NULL */
  for (PetscInt i = 0; i < n - 2; i++) {
    if (i) PetscCall(PetscStrlcat(valid, ", ", sizeof(valid)));
    PetscCall(PetscStrlcat(valid, list[i], sizeof(valid)));
  }
  SETERRQ(comm, PETSC_ERR_USER, "Unknown value '%s' for %s; valid values: %s", value, option, valid);
}

PetscErrorCode SLOptionsCheckEnum(const char prefix[], const char name[], const char *const list[])
{
  char      value[256], option[256];
  PetscBool set;
  PetscInt  idx;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, prefix, name, value, sizeof(value), &set));
  if (!set) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(option, sizeof(option), "-%s%s", prefix ? prefix : "", name + 1));
  PetscCall(SLEnumFind(PETSC_COMM_SELF, option, list, value, &idx));
  PetscFunctionReturn(0);
}
