/* The exit-status contract of splinelens (README "Exit status", -help) and the reporting of errors.
 *
 * An error reaching main is classified by its PETSc error code, so that no PETSc error number becomes an exit
 * status: the batch wrapper requeues on 75 only, which must mean "stopped by a stop request". */
#include <errno.h>
#include "study_impl.h"

static PetscBool SLDebugErrors = PETSC_FALSE;

int SLExitCode(PetscErrorCode ierr)
{
  switch (ierr) {
  case 0:
    return SL_EXIT_OK;
  case PETSC_ERR_ARG_SIZ:
  case PETSC_ERR_ARG_IDN:
  case PETSC_ERR_ARG_WRONG:
  case PETSC_ERR_ARG_CORRUPT:
  case PETSC_ERR_ARG_OUTOFRANGE:
  case PETSC_ERR_ARG_BADPTR:
  case PETSC_ERR_ARG_NOTSAMETYPE:
  case PETSC_ERR_ARG_NOTSAMECOMM:
  case PETSC_ERR_ARG_WRONGSTATE:
  case PETSC_ERR_ARG_TYPENOTSET:
  case PETSC_ERR_ARG_INCOMP:
  case PETSC_ERR_ARG_NULL:
  case PETSC_ERR_ARG_UNKNOWN_TYPE:
  case PETSC_ERR_USER:
  case PETSC_ERR_USER_INPUT:
  case PETSC_ERR_OPT_OVERWRITE:
    return SL_EXIT_USAGE;
  case PETSC_ERR_FILE_OPEN:
  case PETSC_ERR_FILE_READ:
  case PETSC_ERR_FILE_UNEXPECTED:
    return SL_EXIT_INPUT;
  case PETSC_ERR_MEM:
  case PETSC_ERR_MEMC:
  case PETSC_ERR_FILE_WRITE:
    return SL_EXIT_RESOURCE;
  default:
    return SL_EXIT_INTERNAL;
  }
}

void SLErrorsSetDebug(PetscBool debug)
{
  SLDebugErrors = debug;
}

PetscBool SLErrorsDebug(void)
{
  return SLDebugErrors;
}

/* The one-line report of an error (the innermost PETSc message names the option, file or line) and a hint. */
void SLErrorReport(FILE *fp, PetscErrorCode ierr)
{
  const char *text     = NULL;
  char       *specific = NULL;
  int         code     = SLExitCode(ierr);

  (void)PetscErrorMessage(ierr, &text, &specific);
  fprintf(fp, "splinelens: error: %s\n", specific && specific[0] ? specific : (text ? text : "unknown error"));
  if (code == SL_EXIT_USAGE) fprintf(fp, "splinelens: hint: see splinelens -help for the options (exit status %d: usage error)\n", code);
  else if (code == SL_EXIT_INTERNAL && !SLDebugErrors) fprintf(fp, "splinelens: hint: rerun with -sl_debug for the full PETSc error trace (exit status %d: internal error)\n", code);
  fflush(fp);
}

/* Error handler of the run phase (after the study file is open): the runs of different ranks are independent,
 * so an error on some ranks only would leave the others waiting in the next collective call. Report it on this
 * rank and end every rank at once with the exit status of its class. Errors of a run caught by its own handler
 * (a failed run) never get here. */
static PetscErrorCode SLAbortErrorHandler(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  (void)ctx;
  if (SLDebugErrors) (void)PetscTraceBackErrorHandler(comm, line, fun, file, n, p, mess, NULL);
  if (p == PETSC_ERROR_INITIAL) {
    PetscMPIInt rank = 0;

    (void)MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    fprintf(stderr, "splinelens: error (rank %d): %s\n", (int)rank, mess ? mess : "unknown error");
    fflush(stderr);
    (void)MPI_Abort(PETSC_COMM_WORLD, SLExitCode(n));
  }
  return n;
}

PetscErrorCode SLErrorsAbortOnError(PetscBool on)
{
  PetscFunctionBeginUser;
  if (on) PetscCall(PetscPushErrorHandler(SLAbortErrorHandler, NULL));
  else PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(0);
}
