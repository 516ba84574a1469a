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

PetscErrorCode SLStudyDeclareProvenance(SLStudy s, SLOutput out)
{
  char        buf[1024], host[256] = "";
  char       *all;
  PetscMPIInt size;
  unsigned    maj, min, rel;
  int         vlen;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(s->comm, &size));
  PetscCall(SLOutputDeclareAttribute(out, "/", "study_name", s->name));
  PetscCall(SLOutputDeclareAttribute(out, "/", "study_options", s->canonical));
  PetscCall(PetscOptionsGetAll(NULL, &all));
  PetscCall(SLOutputDeclareAttribute(out, "/", "options", all));
  PetscCall(PetscFree(all));
  PetscCall(SLOutputDeclareAttribute(out, "/", "config_text", s->config_text ? s->config_text : ""));
  PetscCall(SLOutputDeclareAttribute(out, "/", "splinelens_version", SL_VERSION));
  PetscCall(SLOutputDeclareAttribute(out, "/", "git_commit", SL_GIT_COMMIT));
  PetscCall(PetscGetVersion(buf, sizeof(buf)));
  PetscCall(SLOutputDeclareAttribute(out, "/", "petsc_version", buf));
  PetscCall(SlepcGetVersion(buf, sizeof(buf)));
  PetscCall(SLOutputDeclareAttribute(out, "/", "slepc_version", buf));
  H5get_libversion(&maj, &min, &rel);
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%u.%u.%u", maj, min, rel));
  PetscCall(SLOutputDeclareAttribute(out, "/", "hdf5_version", buf));
  PetscCallMPI(MPI_Get_library_version(buf, &vlen));
  buf[PetscMin(vlen, (int)sizeof(buf) - 1)] = 0;
  for (char *p = buf; *p; p++)
    if (*p == '\n') *p = ' ';
  PetscCall(SLOutputDeclareAttribute(out, "/", "mpi_version", buf));
  /* Rank 0's view of host and time, identical arguments on every rank as parallel HDF5 requires. */
  gethostname(host, sizeof(host) - 1);
  PetscCallMPI(MPI_Bcast(host, sizeof(host), MPI_CHAR, 0, s->comm));
  PetscCall(SLOutputDeclareAttribute(out, "/", "hostname", host));
  PetscCall(SLNowISO(buf, sizeof(buf)));
  PetscCallMPI(MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, s->comm));
  PetscCall(SLOutputDeclareAttribute(out, "/", "start_time", buf));
  PetscCall(SLOutputDeclareAttribute(out, "/", "end_time", ""));
  PetscCall(SLOutputDeclareAttribute(out, "/", "complete", "0"));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%d", size));
  PetscCall(SLOutputDeclareAttribute(out, "/", "nranks", buf));
  {
    static const char *const envs[][2] = {
      {"slurm_job_id", "SLURM_JOB_ID"},
      {"slurm_array_job_id", "SLURM_ARRAY_JOB_ID"},
      {"slurm_array_task_id", "SLURM_ARRAY_TASK_ID"}
    };
    for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(envs); k++) {
      const char *v = getenv(envs[k][1]);
      PetscCall(PetscStrncpy(buf, v ? v : "", sizeof(buf)));
      PetscCallMPI(MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, s->comm));
      PetscCall(SLOutputDeclareAttribute(out, "/", envs[k][0], buf));
    }
  }
  PetscCall(SLOutputDeclareAttribute(out, "/", "rng_scheme", SL_RNG_SCHEME));
  PetscCall(SLOutputDeclareAttribute(out, "/", "loss", SLLossTypes[s->loss]));
  PetscCall(SLOutputDeclareAttribute(out, "/", "output_bias", s->output_bias ? "1" : "0"));
  if (s->slice_count > 1) PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT "/%" PetscInt_FMT, s->slice_index, s->slice_count));
  else buf[0] = 0;
  PetscCall(SLOutputDeclareAttribute(out, "/", "slice", buf));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyNow(char buf[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(SLNowISO(buf, len));
  PetscFunctionReturn(0);
}
