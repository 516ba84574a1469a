/* See bench_json.h. Values print with 17 significant digits so the Python side reads back the exact doubles
 * (the histogram edges must be bit-identical on both sides for the count comparison). */
#include "bench_json.h"

static PetscErrorCode BenchJSONKey(BenchJSON *j, const char key[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(j->comm, "%s\"%s\": ", j->nmembers ? ", " : "", key));
  j->nmembers++;
  PetscFunctionReturn(0);
}

static PetscErrorCode BenchJSONValue(BenchJSON *j, PetscReal v)
{
  PetscFunctionBeginUser;
  if (PetscIsInfOrNanReal(v)) PetscCall(PetscPrintf(j->comm, "null"));
  else PetscCall(PetscPrintf(j->comm, "%.17g", (double)v));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONOpen(MPI_Comm comm, BenchJSON *j)
{
  PetscFunctionBeginUser;
  j->comm     = comm;
  j->nmembers = 0;
  PetscCall(PetscPrintf(comm, "BENCH_JSON {"));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONClose(BenchJSON *j)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(j->comm, "}\n"));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONString(BenchJSON *j, const char key[], const char value[])
{
  PetscFunctionBeginUser;
  PetscCall(BenchJSONKey(j, key));
  PetscCall(PetscPrintf(j->comm, "\"%s\"", value)); /* callers pass plain identifiers and paths */
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONInt(BenchJSON *j, const char key[], PetscInt value)
{
  PetscFunctionBeginUser;
  PetscCall(BenchJSONKey(j, key));
  PetscCall(PetscPrintf(j->comm, "%" PetscInt_FMT, value));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONReal(BenchJSON *j, const char key[], PetscReal value)
{
  PetscFunctionBeginUser;
  PetscCall(BenchJSONKey(j, key));
  PetscCall(BenchJSONValue(j, value));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONIntArray(BenchJSON *j, const char key[], PetscInt n, const PetscInt v[])
{
  PetscFunctionBeginUser;
  PetscCall(BenchJSONKey(j, key));
  PetscCall(PetscPrintf(j->comm, "["));
  for (PetscInt i = 0; i < n; i++) PetscCall(PetscPrintf(j->comm, "%s%" PetscInt_FMT, i ? ", " : "", v[i]));
  PetscCall(PetscPrintf(j->comm, "]"));
  PetscFunctionReturn(0);
}

PetscErrorCode BenchJSONRealArray(BenchJSON *j, const char key[], PetscInt n, const PetscReal v[])
{
  PetscFunctionBeginUser;
  PetscCall(BenchJSONKey(j, key));
  PetscCall(PetscPrintf(j->comm, "["));
  for (PetscInt i = 0; i < n; i++) {
    if (i) PetscCall(PetscPrintf(j->comm, ", "));
    PetscCall(BenchJSONValue(j, v[i]));
  }
  PetscCall(PetscPrintf(j->comm, "]"));
  PetscFunctionReturn(0);
}
