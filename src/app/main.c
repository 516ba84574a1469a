/* splinelens: run a study (the grid of widths x seeds x alphas x schemes x data sets) across MPI ranks into one
 * parallel HDF5 file, merge the slice files of a job array, or print the file's schema. */
#include <dlfcn.h>
#include <slepcsys.h>
#include <splinelens/splinelens.h>
#include <splinelens/study.h>
#include <splinelens/output.h>

static const char help[] = "splinelens: shallow univariate ReLU networks through the spline lens (Sahs et al. 2022).\n\n"
                           "Usage:\n"
                           "  mpiexec -n R splinelens -options_file study.yaml [options]   run (or resume) a study\n"
                           "  splinelens merge -o out.h5 [-allow_missing] slice0.h5 slice1.h5 ...   merge job-array slices\n"
                           "  splinelens schema   print the study file's schema (every dataset and attribute) as JSON\n\n"
                           "Exit status: 0 every run done; 75 stopped early by a signal or -sl_stop_after (rerun to resume);\n"
                           "anything else: an error, reported before any result file is touched.\n"
                           "Options (every one is listed below with -help; the file layout is described in analysis/FORMAT.md):\n";

/* One BLAS thread per MPI rank: threaded OpenBLAS oversubscribes the cores MPI already uses, and its dynamic
 * work split makes dense eigenvalues depend (in the last bits) on thread timing, which would break the
 * bitwise reproducibility of results across rank counts. Looked up at run time: the reference BLAS has no
 * such call. SPLINELENS_BLAS_THREADS overrides. */
static void SLBlasThreads(void)
{
  const char *env = getenv("SPLINELENS_BLAS_THREADS");
  int         n   = env ? atoi(env) : 1;
  void (*set)(int);

  *(void **)(&set) = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (set && n > 0) set(n);
}

static int SLMergeMain(int argc, char **argv)
{
  const char *outfile = NULL;
  const char *inputs[4096];
  int         nin = 0, pargc = 1;
  PetscBool   allow_missing = PETSC_FALSE;
  char       *pargv[2] = {argv[0], NULL};
  char      **pa       = pargv;

  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) outfile = argv[++i];
    else if (!strcmp(argv[i], "-allow_missing")) allow_missing = PETSC_TRUE;
    else if (argv[i][0] == '-') {
      fprintf(stderr, "splinelens merge: unknown option %s\nusage: splinelens merge -o out.h5 [-allow_missing] in1.h5 in2.h5 ...\n", argv[i]);
      return 2;
    } else if (nin < 4096) inputs[nin++] = argv[i];
  }
  if (!outfile || nin < 1) {
    fprintf(stderr, "usage: splinelens merge -o out.h5 [-allow_missing] in1.h5 in2.h5 ...\n");
    return 2;
  }
  PetscCall(PetscInitialize(&pargc, &pa, NULL, help));
  PetscCall(SLOutputMerge(PETSC_COMM_WORLD, outfile, nin, inputs, allow_missing));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "[splinelens] merged %d files into %s\n", nin, outfile));
  PetscCall(PetscFinalize());
  return 0;
}

static int SLSchemaMain(int argc, char **argv)
{
  int    pargc   = 1;
  char  *pargv[2] = {argv[0], NULL};
  char **pa       = pargv;

  if (argc > 2) {
    fprintf(stderr, "splinelens schema: takes no arguments (got %s)\nusage: splinelens schema > schema.json\n", argv[2]);
    return 2;
  }
  PetscCall(PetscInitialize(&pargc, &pa, NULL, help));
  PetscCall(SLStudySchemaPrint(PETSC_COMM_WORLD));
  PetscCall(PetscFinalize());
  return 0;
}

int main(int argc, char **argv)
{
  SLStudy   study;
  PetscBool interrupted = PETSC_FALSE, hashelp;

  SLBlasThreads();
  if (argc > 1 && !strcmp(argv[1], "merge")) return SLMergeMain(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "schema")) return SLSchemaMain(argc, argv);
  PetscCall(SlepcInitialize(&argc, &argv, NULL, help));
  PetscCall(SLStudyCatchSignals()); /* a stop request during setup is honoured at the first poll */
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "splinelens %s (git %s)\n", SL_VERSION, SL_GIT_COMMIT));
  PetscCall(SLStudyCreate(PETSC_COMM_WORLD, &study));
  PetscCall(SLStudySetConfigText(study, argc, argv));
  PetscCall(SLStudySetFromOptions(study));
  PetscCall(PetscOptionsHasHelp(NULL, &hashelp));
  if (!hashelp) {
    PetscCall(SLStudySetUp(study));
    PetscCall(SLStudyViewFromOptions(study));
    PetscCall(SLStudyRun(study, &interrupted));
  }
  PetscCall(SLStudyDestroy(&study));
  PetscCall(SlepcFinalize());
  return interrupted ? SL_EXIT_INTERRUPTED : 0;
}
