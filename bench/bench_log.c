/* See bench_log.h. The driver turns on PETSc's default logging, so the library's events record their time;
 * the benchmark reports the difference of two snapshots around each timed section. */
#include <sys/resource.h>
#include "bench_log.h"

PetscErrorCode BenchEventGet(MPI_Comm comm, const char name[], BenchEvent *e)
{
  PetscLogEvent      id = -1;
  PetscEventPerfInfo info;
  PetscLogDouble     t = 0.0;

  PetscFunctionBeginUser;
  e->time  = 0.0;
  e->count = 0;
  PetscCall(PetscLogEventGetId(name, &id)); /* leaves -1 for an unknown name */
  if (id >= 0) {
    PetscCall(PetscLogEventGetPerfInfo(0, id, &info)); /* stage 0: the main stage (the driver pushes none) */
    t        = info.time;
    e->count = info.count;
  }
  PetscCallMPI(MPI_Allreduce(&t, &e->time, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchPeakMemory(MPI_Comm comm, PetscReal *max_mib, PetscReal *sum_mib)
{
  struct rusage ru;
  double        mib, mx, sm;

  PetscFunctionBeginUser;
  PetscCheck(getrusage(RUSAGE_SELF, &ru) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "getrusage failed");
  mib = (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
  PetscCallMPI(MPI_Allreduce(&mib, &mx, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCallMPI(MPI_Allreduce(&mib, &sm, 1, MPI_DOUBLE, MPI_SUM, comm));
  *max_mib = mx;
  *sum_mib = sm;
  PetscFunctionReturn(0);
}
