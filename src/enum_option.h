/* Private option helpers shared by init_options.c and data_options.c (not part of the public contract). */
#pragma once
#include <petscsys.h>

/* If -<prefix><name+1> is set, check its value is one of the names of the PETSc enum list `list` (the
 * PetscOptionsEnum format: names, enum type name, prefix, NULL) and stop with an error that names the option,
 * the bad value and every valid value otherwise. PetscOptionsEnum's own message lists no valid values. */
PETSC_INTERN PetscErrorCode SLOptionsCheckEnum(const char prefix[], const char name[], const char *const list[]);
