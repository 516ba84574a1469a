/* `splinelens schema`: the registry of schema.c as JSON, one field per line:
 *   {"format": ..., "format_version": N, "placeholders": {...}, "kinds": {...},
 *    "fields": [{"path", "kind", "type", "size", "description", "units"}, ...]} */
#include "study_impl.h"

/* What each kind means for a reader (indexed by SLSchemaKind). */
static const char *const SLSchemaKindDescriptions[] = {
  "string attribute of the root group, path @<name>",
  "constant 1-D dataset under /axes",
  "constant 1-D dataset of each data set (group /data/{name})",
  "string attribute of each data set group, path data/{name}@<attribute>",
  "run-table column: R values, dimension scale runs/run_id",
  "ragged per-run array: values <path> and offsets <path>_offset (int64, R+1), run i is values[offset[i]:offset[i+1]]",
  "per-spectrum value constant along a run: a run-table column at every stage",
  "per-spectrum value: a run-table column at init and final, a ragged array of K values per run at snapshots",
  "per-spectrum ragged array; at snapshots K rows per run, row-major (row k: snapshot k)",
  "ragged array of the stored eigenvectors of the extremes (-sl_eig_vectors): init and final only",
};

/* s as a JSON string literal. */
static PetscErrorCode SLJSONString(MPI_Comm comm, const char s[])
{
  char   buf[2048];
  size_t n = 0;

  PetscFunctionBeginUser;
  buf[n++] = '"';
  for (const char *c = s; *c; c++) {
    PetscCheck(n + 8 < sizeof(buf), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Schema JSON: string too long: %.40s...", s);
    if (*c == '"' || *c == '\\') {
      buf[n++] = '\\';
      buf[n++] = *c;
    } else if ((unsigned char)*c < 0x20) {
      PetscCall(PetscSNPrintf(buf + n, sizeof(buf) - n, "\\u%04x", (unsigned)(unsigned char)*c));
      n += 6;
    } else buf[n++] = *c;
  }
  buf[n++] = '"';
  buf[n]   = 0;
  PetscCall(PetscPrintf(comm, "%s", buf));
  PetscFunctionReturn(0);
}

/* ["a", "b", ...] of an enum's names (n of them). */
static PetscErrorCode SLJSONNames(MPI_Comm comm, PetscInt n, const char *const names[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(comm, "["));
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscPrintf(comm, i ? ", " : ""));
    PetscCall(SLJSONString(comm, names[i]));
  }
  PetscCall(PetscPrintf(comm, "]"));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudySchemaPrint(MPI_Comm comm)
{
  char buf[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(comm, "{\"format\": \"%s\", \"format_version\": %s,\n", SL_OUTPUT_FORMAT, SL_OUTPUT_VERSION));
  PetscCall(PetscPrintf(comm, " \"placeholders\": {\"name\": \"data set name (axes/data)\", \"stage\": "));
  PetscCall(SLJSONNames(comm, SL_NSTAGES, SLStageNames));
  PetscCall(PetscPrintf(comm, ", \"coords\": "));
  PetscCall(SLJSONNames(comm, 2, SLCoordinateNames));
  PetscCall(PetscPrintf(comm, ", \"part\": "));
  PetscCall(SLJSONNames(comm, 3, SLHessianParts));
  PetscCall(PetscPrintf(comm, "},\n \"kinds\": {"));
  for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(SLSchemaKindDescriptions); k++) {
    PetscCall(PetscPrintf(comm, "%s\n  ", k ? "," : ""));
    PetscCall(SLJSONString(comm, SLSchemaKindNames[k]));
    PetscCall(PetscPrintf(comm, ": "));
    PetscCall(SLJSONString(comm, SLSchemaKindDescriptions[k]));
  }
  PetscCall(PetscPrintf(comm, "},\n \"fields\": ["));
  for (PetscInt id = 0; id < SL_NFIELDS; id++) {
    const SLSchemaField *f = &SLSchemaFields[id];

    PetscCheck(f->path, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Schema: field id %" PetscInt_FMT " has no registry entry", id);
    PetscCall(PetscPrintf(comm, "%s\n  {\"path\": ", id ? "," : ""));
    PetscCall(SLJSONString(comm, f->path));
    PetscCall(PetscPrintf(comm, ", \"kind\": \"%s\", \"type\": ", SLSchemaKindNames[f->kind]));
    if (f->strlen) PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s[%" PetscInt_FMT "]", SLSchemaTypeNames[f->type], f->strlen));
    else PetscCall(PetscStrncpy(buf, SLSchemaTypeNames[f->type], sizeof(buf)));
    PetscCall(SLJSONString(comm, buf));
    PetscCall(PetscPrintf(comm, ", \"size\": "));
    if (f->size == SL_SIZE_AXIS) PetscCall(PetscSNPrintf(buf, sizeof(buf), "n_%s", strrchr(f->path, '/') + 1)); /* n_width, n_seed, ... */
    else PetscCall(PetscStrncpy(buf, SLSchemaSizeNames[f->size], sizeof(buf)));
    PetscCall(SLJSONString(comm, buf));
    PetscCall(PetscPrintf(comm, ", \"description\": "));
    PetscCall(SLJSONString(comm, f->description));
    PetscCall(PetscPrintf(comm, ", \"units\": "));
    PetscCall(SLJSONString(comm, f->units));
    PetscCall(PetscPrintf(comm, "}"));
  }
  PetscCall(PetscPrintf(comm, "\n]}\n"));
  PetscFunctionReturn(0);
}
