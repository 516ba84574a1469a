/* Provenance of a study file: what produced it, where, when, with which options. */
#include <time.h>
#include <unistd.h>
#include <hdf5.h>
#include <slepcsys.h>
#include <splinelens/rng.h>
#include "study_impl.h"

static PetscErrorCode SLNowISO(char buf[], size_t len)
{
  time_t    t = time(NULL);
  struct tm tm;

  PetscFunctionBeginUser;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudySetConfigText(SLStudy s, int argc, char **argv)
{
  size_t len = 1;
  char  *text;

  PetscFunctionBeginUser;
  PetscCall(PetscFree(s->config_text));
  PetscCall(PetscCalloc1(len, &text));
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "-options_file") && strcmp(argv[i], "-options_file_yaml")) continue;
    FILE  *fp = fopen(argv[i + 1], "r");
    char   chunk[4096];
    size_t n;
    PetscCheck(fp, s->comm, PETSC_ERR_FILE_OPEN, "Cannot read options file %s", argv[i + 1]);
    {
      char   head[PETSC_MAX_PATH_LEN + 32];
      size_t hl;
      PetscCall(PetscSNPrintf(head, sizeof(head), "# --- %s\n", argv[i + 1]));
      hl = strlen(head);
      PetscCall(PetscRealloc(len + hl, &text));
      memcpy(text + len - 1, head, hl + 1);
      len += hl;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
      PetscCall(PetscRealloc(len + n, &text));
      memcpy(text + len - 1, chunk, n);
      len += n;
      text[len - 1] = 0;
    }
    fclose(fp);
  }
  s->config_text = text;
  PetscFunctionReturn(0);
}

/* Rank 0's value, identical on every rank as parallel HDF5 requires of attribute values. */
static PetscErrorCode SLBcastValue(SLStudy s, char buf[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(buf, (PetscMPIInt)len, MPI_CHAR, 0, s->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyProvenanceValue(SLStudy s, SLSchemaId id, char **value)
{
  char        buf[1024] = "";
  const char *v         = buf;
  PetscMPIInt size;
  unsigned    maj, min, rel;
  int         vlen;

  PetscFunctionBeginUser;
  switch (id) {
  case SL_F_ATTR_STUDY_NAME:
    v = s->name;
    break;
  case SL_F_ATTR_STUDY_OPTIONS:
    v = s->canonical;
    break;
  case SL_F_ATTR_SETTINGS_FINGERPRINT:
    v = s->settings_fingerprint;
    break;
  case SL_F_ATTR_OPTIONS:
    PetscCall(PetscOptionsGetAll(NULL, value));
    PetscFunctionReturn(0);
  case SL_F_ATTR_CONFIG_TEXT:
    v = s->config_text ? s->config_text : "";
    break;
  case SL_F_ATTR_SPLINELENS_VERSION:
    v = SL_VERSION;
    break;
  case SL_F_ATTR_GIT_COMMIT:
    v = SL_GIT_COMMIT;
    break;
  case SL_F_ATTR_PETSC_VERSION:
    PetscCall(PetscGetVersion(buf, sizeof(buf)));
    break;
  case SL_F_ATTR_SLEPC_VERSION:
    PetscCall(SlepcGetVersion(buf, sizeof(buf)));
    break;
  case SL_F_ATTR_HDF5_VERSION:
    H5get_libversion(&maj, &min, &rel);
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%u.%u.%u", maj, min, rel));
    break;
  case SL_F_ATTR_MPI_VERSION:
    PetscCallMPI(MPI_Get_library_version(buf, &vlen));
    buf[PetscMin(vlen, (int)sizeof(buf) - 1)] = 0;
    for (char *p = buf; *p; p++)
      if (*p == '\n') *p = ' ';
    break;
  /* Rank 0's view of host, time and environment. */
  case SL_F_ATTR_HOSTNAME:
    gethostname(buf, 255);
    PetscCall(SLBcastValue(s, buf, 256));
    break;
  case SL_F_ATTR_START_TIME:
    PetscCall(SLNowISO(buf, sizeof(buf)));
    PetscCall(SLBcastValue(s, buf, sizeof(buf)));
    break;
  case SL_F_ATTR_END_TIME:
    break; /* written at close */
  case SL_F_ATTR_COMPLETE:
    v = "0"; /* written at close */
    break;
  case SL_F_ATTR_NRANKS:
    PetscCallMPI(MPI_Comm_size(s->comm, &size));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%d", size));
    break;
  case SL_F_ATTR_SLURM_JOB_ID:
  case SL_F_ATTR_SLURM_ARRAY_JOB_ID:
  case SL_F_ATTR_SLURM_ARRAY_TASK_ID: {
    const char *env = id == SL_F_ATTR_SLURM_JOB_ID ? "SLURM_JOB_ID" : (id == SL_F_ATTR_SLURM_ARRAY_JOB_ID ? "SLURM_ARRAY_JOB_ID" : "SLURM_ARRAY_TASK_ID");
    const char *e   = getenv(env);
    PetscCall(PetscStrncpy(buf, e ? e : "", sizeof(buf)));
    PetscCall(SLBcastValue(s, buf, sizeof(buf)));
  } break;
  case SL_F_ATTR_RNG_SCHEME:
    v = SL_RNG_SCHEME;
    break;
  case SL_F_ATTR_LOSS:
    v = SLLossTypes[s->loss];
    break;
  case SL_F_ATTR_OUTPUT_BIAS:
    v = s->output_bias ? "1" : "0";
    break;
  case SL_F_ATTR_SLICE:
    if (s->slice_count > 1) PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT "/%" PetscInt_FMT, s->slice_index, s->slice_count));
    break;
  default:
    SETERRQ(s->comm, PETSC_ERR_PLIB, "Provenance: %s is not a provenance attribute", SLSchemaFields[id].path);
  }
  PetscCall(PetscStrallocpy(v, value));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyNow(char buf[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(SLNowISO(buf, len));
  PetscFunctionReturn(0);
}
