/* splinelens: run a study (the grid of widths x seeds x alphas x schemes x data sets) across MPI ranks into one
 * parallel HDF5 file, merge the slice files of a job array, or print the file's schema. */
#include <dlfcn.h>
#include <unistd.h>
#include <slepcsys.h>
#include <splinelens/splinelens.h>
#include <splinelens/study.h>
#include <splinelens/output.h>

static const char help[] = "splinelens: shallow univariate ReLU networks through the spline lens (Sahs et al. 2022).\n\n"
                           "Usage:\n"
                           "  mpiexec -n R splinelens -options_file study.yaml [options]   run (or resume) a study\n"
                           "  splinelens merge -o out.h5 [-allow_missing] a.h5 b.h5 ...   merge job-array slices, or the union of studies\n"
                           "      with the same settings and other axes (grid points done in none stay pending)\n"
                           "  splinelens schema   print the study file's schema (every dataset and attribute) as JSON\n"
                           "  splinelens -version | --version        print the version;   -help | --help | -h   this text\n\n"
                           "Exit status:\n"
                           "   0  done: every run of the study (or slice) is done, or the merge is complete\n"
                           "  75  interrupted by a stop request only (signal, -sl_stop_after): rerun to resume\n"
                           "  64  usage error: bad or inconsistent options or arguments\n"
                           "  65  input error: data file, config file, an existing output file that is not this study's\n"
                           "  71  resource error: out of memory, disk full, file too large\n"
                           "  70  internal error\n"
                           "An error prints one line \"splinelens: error: ...\" (and maybe a hint); -sl_debug adds the full PETSc trace.\n"
                           "Every option nothing uses is an error (misspellings, options without the -sl_ prefix); integers are 64-bit, range-checked.\n"
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

/* -version / --version: print and exit; --help / -h: the same as -help; -sl_debug: full error traces. */
static int SLEarlyFlags(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-version") || !strcmp(argv[i], "--version")) {
      printf("splinelens %s (git %s)\n", SL_VERSION, SL_GIT_COMMIT);
      return 1;
    }
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) argv[i] = (char *)"-help";
    if (!strcmp(argv[i], "-sl_debug")) SLErrorsSetDebug(PETSC_TRUE);
  }
  return 0;
}

/* MPI initialized here (before SlepcInitialize, which then leaves MPI_Finalize to us): the options files are
 * checked on rank 0 before PETSc reads them. */
static PetscBool SLOwnMPI = PETSC_FALSE;

/* Options files that are not text, YAML that does not parse or sets an option twice: one line naming file:line
 * (rank 0), exit 65 on every rank, before PETSc reads them. */
static int SLCheckOptionsFiles(int *argc, char ***argv)
{
  char msg[1024] = "";
  int  rank = 0, bad = 0;

  if (MPI_Init(argc, argv) != MPI_SUCCESS) return SL_EXIT_INTERNAL;
  SLOwnMPI = PETSC_TRUE;
  (void)MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) bad = SLOptionsFilesCheck(*argc, *argv, msg, sizeof(msg));
  (void)MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!bad) return 0;
  if (rank == 0) fprintf(stderr, "splinelens: error: %s\nsplinelens: hint: fix the options file (exit status %d: input error)\n", msg, SL_EXIT_INPUT);
  (void)MPI_Finalize();
  return SL_EXIT_INPUT;
}

/* An error that reached main: report it once (rank 0: set-up errors are collective, identical on every rank),
 * finalize, and return the exit status of its class. */
static int SLFinish(PetscErrorCode ierr, int ok_code)
{
  PetscMPIInt rank = 0;

  if (ierr) {
    (void)MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    if (rank == 0) SLErrorReport(stderr, ierr);
  }
  if (!SLErrorsDebug()) (void)PetscPopErrorHandler();
  if (ierr && SLOutputHDF5Stuck()) { /* HDF5 would crash closing it again at finalize: end here */
    fflush(NULL);
    _exit(SLExitCode(ierr));
  }
  if (SlepcFinalize()) return SL_EXIT_INTERNAL;
  if (SLOwnMPI && MPI_Finalize() != MPI_SUCCESS) return SL_EXIT_INTERNAL;
  return ierr ? SLExitCode(ierr) : ok_code;
}

static PetscErrorCode SLMergeRun(const char outfile[], int nin, const char *inputs[], PetscBool allow_missing)
{
  PetscFunctionBeginUser;
  PetscCall(SLStudyMerge(PETSC_COMM_WORLD, outfile, nin, inputs, allow_missing));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "[splinelens] merged %d files into %s\n", nin, outfile));
  PetscFunctionReturn(0);
}

static int SLMergeMain(int argc, char **argv)
{
  const char  *outfile = NULL;
  const char **inputs  = (const char **)malloc(sizeof(char *) * (size_t)argc); /* every argument at most */
  int          nin = 0, pargc = 1;
  PetscBool    allow_missing = PETSC_FALSE;
  char        *pargv[2]      = {argv[0], NULL};
  char       **pa            = pargv;

  if (!inputs) {
    fprintf(stderr, "splinelens: error: merge: out of memory\n");
    return SL_EXIT_RESOURCE;
  }
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) outfile = argv[++i];
    else if (!strcmp(argv[i], "-allow_missing")) allow_missing = PETSC_TRUE;
    else if (argv[i][0] == '-') {
      fprintf(stderr, "splinelens: error: merge: unknown option %s\nusage: splinelens merge -o out.h5 [-allow_missing] in1.h5 in2.h5 ...\n", argv[i]);
      return SL_EXIT_USAGE;
    } else inputs[nin++] = argv[i];
  }
  if (!outfile || nin < 1) {
    fprintf(stderr, "splinelens: error: merge: %s\nusage: splinelens merge -o out.h5 [-allow_missing] in1.h5 in2.h5 ...\n", outfile ? "no input file" : "no output file (-o out.h5)");
    return SL_EXIT_USAGE;
  }
  if (SlepcInitialize(&pargc, &pa, NULL, help)) return SL_EXIT_INTERNAL;
  if (!SLErrorsDebug()) {
    (void)PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
    (void)SLOutputSetErrorPrinting(PETSC_FALSE);
  }
  {
    int rc = SLFinish(SLMergeRun(outfile, nin, inputs, allow_missing), 0);

    free(inputs);
    return rc;
  }
}

/* The study: set up (collective; errors are identical on every rank), then run (SLStudyRun ends every rank with
 * MPI_Abort on an error of the run phase, which may happen on some ranks only). */
static PetscErrorCode SLStudyMain(int argc, char **argv, SLStudy *study, PetscBool *interrupted)
{
  PetscBool hashelp;

  PetscFunctionBeginUser;
  PetscCall(SLStudyCatchSignals()); /* a stop request during setup is honoured at the first poll */
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "splinelens %s (git %s)\n", SL_VERSION, SL_GIT_COMMIT));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-sl_debug", &hashelp)); /* marks it used; read in SLEarlyFlags */
  PetscCall(SLStudyCreate(PETSC_COMM_WORLD, study));
  PetscCall(SLStudySetConfigText(*study, argc, argv));
  PetscCall(SLStudySetFromOptions(*study));
  PetscCall(PetscOptionsHasHelp(NULL, &hashelp));
  if (!hashelp) {
    PetscCall(SLStudySetUp(*study));
    PetscCall(SLStudyViewFromOptions(*study));
    PetscCall(SLStudyRun(*study, interrupted));
  }
  PetscCall(SLStudyDestroy(study));
  PetscFunctionReturn(0);
}

static int SLSchemaMain(int argc, char **argv)
{
  int    pargc    = 1;
  char  *pargv[2] = {argv[0], NULL};
  char **pa       = pargv;

  if (argc > 2) {
    fprintf(stderr, "splinelens: error: schema takes no arguments (got %s)\nusage: splinelens schema > schema.json\n", argv[2]);
    return SL_EXIT_USAGE;
  }
  PetscCall(PetscInitialize(&pargc, &pa, NULL, help));
  PetscCall(SLStudySchemaPrint(PETSC_COMM_WORLD));
  PetscCall(PetscFinalize());
  return 0;
}

int main(int argc, char **argv)
{
  SLStudy        study       = NULL;
  PetscBool      interrupted = PETSC_FALSE;
  PetscErrorCode ierr;

  SLBlasThreads();
  if (SLEarlyFlags(argc, argv)) return SL_EXIT_OK;
  if (argc > 1 && !strcmp(argv[1], "merge")) return SLMergeMain(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "schema")) return SLSchemaMain(argc, argv);
  {
    int code = SLCheckOptionsFiles(&argc, &argv);
    if (code) return code;
  }
  ierr = SlepcInitialize(&argc, &argv, NULL, help);
  if (ierr) { /* e.g. an -options_file that cannot be read; PETSc has said why */
    (void)MPI_Finalize();
    return SLExitCode(ierr);
  }
  if (!SLErrorsDebug()) {
    (void)PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
    (void)SLOutputSetErrorPrinting(PETSC_FALSE);
  }
  ierr = SLStudyMain(argc, argv, &study, &interrupted);
  if (ierr && study) {
    PetscErrorCode keep = ierr;

    (void)SLStudyDestroy(&study);
    ierr = keep;
  }
  return SLFinish(ierr, interrupted ? SL_EXIT_INTERRUPTED : SL_EXIT_OK);
}
