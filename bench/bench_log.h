/* Time and call counts of the library's log events (SLHessMult, SLHessCount, SLSpectrum), and peak memory,
 * for the benchmark driver. */
#pragma once
#include <petscsys.h>

typedef struct {
  PetscLogDouble time;  /* seconds inside the event, max over ranks */
  PetscInt       count; /* calls on rank 0                          */
} BenchEvent;

/* Cumulative time and count of the named event so far (zero if it was never registered). Collective. */
PetscErrorCode BenchEventGet(MPI_Comm comm, const char name[], BenchEvent *e);
/* Peak resident set size (getrusage ru_maxrss) in MiB: largest rank and sum over ranks. Collective. */
PetscErrorCode BenchPeakMemory(MPI_Comm comm, PetscReal *max_mib, PetscReal *sum_mib);
