/* Private to the library (every layer that logs): the splinelens class id and log events, all registered by
 * SLInitializePackage (src/sys/package.c) and used by the layers above sys. Not part of the public contract. */
#pragma once
#include <splinelens/sys.h>

PETSC_INTERN PetscClassId  SL_CLASSID;
PETSC_INTERN PetscLogEvent SL_EVENT_HessMult, SL_EVENT_HessCount, SL_EVENT_HessClass, SL_EVENT_HessSolve; /* hessian           */
PETSC_INTERN PetscLogEvent SL_EVENT_Spectrum, SL_EVENT_SpecReduced;                   /* spectrum          */
PETSC_INTERN PetscLogEvent SL_EVENT_Train;                                            /* train             */
