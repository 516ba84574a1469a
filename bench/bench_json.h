/* Minimal JSON writer for the benchmark driver: one object on one line, printed by rank 0 after the marker
 * "BENCH_JSON " so compare.py can find it among other output. NaN and Inf are written as null. */
#pragma once
#include <petscsys.h>

typedef struct {
  MPI_Comm comm;
  PetscInt nmembers; /* members written so far (comma placement) */
} BenchJSON;

PetscErrorCode BenchJSONOpen(MPI_Comm comm, BenchJSON *j);
PetscErrorCode BenchJSONClose(BenchJSON *j);
PetscErrorCode BenchJSONString(BenchJSON *j, const char key[], const char value[]);
PetscErrorCode BenchJSONInt(BenchJSON *j, const char key[], PetscInt value);
PetscErrorCode BenchJSONReal(BenchJSON *j, const char key[], PetscReal value);
PetscErrorCode BenchJSONIntArray(BenchJSON *j, const char key[], PetscInt n, const PetscInt v[]);
PetscErrorCode BenchJSONRealArray(BenchJSON *j, const char key[], PetscInt n, const PetscReal v[]);
