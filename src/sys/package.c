/* The splinelens PETSc package (as SLEPc's src/eps/interface/dlregiseps.c): one class id, every log event,
 * -info / -log_exclude handling, and a finalizer that lets the package be initialized again after
 * PetscFinalize/PetscInitialize. The Create functions of the logging objects call SLInitializePackage, so
 * library users need not. */
#include <splinelens/private/packageimpl.h>

PetscClassId  SL_CLASSID;
PetscLogEvent SL_EVENT_HessMult, SL_EVENT_HessCount, SL_EVENT_HessClass, SL_EVENT_HessSolve, SL_EVENT_Spectrum, SL_EVENT_SpecReduced, SL_EVENT_Train;

static PetscBool SLPackageInitialized = PETSC_FALSE;

PetscErrorCode SLFinalizePackage(void)
{
  PetscFunctionBegin;
  SLPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode SLInitializePackage(void)
{
  char      logList[256];
  PetscBool opt, pkg;

  PetscFunctionBegin;
  if (SLPackageInitialized) PetscFunctionReturn(0);
  SLPackageInitialized = PETSC_TRUE;
  /* Register the class and the events (names as -log_view has always shown them) */
  PetscCall(PetscClassIdRegister("splinelens", &SL_CLASSID));
  PetscCall(PetscLogEventRegister("SLHessMult", SL_CLASSID, &SL_EVENT_HessMult));
  PetscCall(PetscLogEventRegister("SLHessCount", SL_CLASSID, &SL_EVENT_HessCount));
  PetscCall(PetscLogEventRegister("SLHessSolve", SL_CLASSID, &SL_EVENT_HessSolve)); /* shifted solves (implicit stages) */
  PetscCall(PetscLogEventRegister("SLSpectrum", SL_CLASSID, &SL_EVENT_Spectrum));
  PetscCall(PetscLogEventRegister("SLHessClass", SL_CLASSID, &SL_EVENT_HessClass));     /* class setup and aggregates */
  PetscCall(PetscLogEventRegister("SLSpecReduced", SL_CLASSID, &SL_EVENT_SpecReduced)); /* reduced eigenproblem solve */
  PetscCall(PetscLogEventRegister("SLTrain", SL_CLASSID, &SL_EVENT_Train));
  /* Process Info */
  PetscCall(PetscInfoProcessClass("splinelens", 1, &SL_CLASSID));
  /* Process summary exclusions */
  PetscCall(PetscOptionsGetString(NULL, NULL, "-log_exclude", logList, sizeof(logList), &opt));
  if (opt) {
    PetscCall(PetscStrInList("splinelens", logList, ',', &pkg));
    if (pkg) PetscCall(PetscLogEventExcludeClass(SL_CLASSID));
  }
  /* Register package finalizer */
  PetscCall(PetscRegisterFinalize(SLFinalizePackage));
  PetscFunctionReturn(0);
}
