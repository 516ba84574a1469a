/* SLStudy: axes and shared settings from the options database, validated before any file is touched. */
#include <stdarg.h>
#include <stdio.h>
#include "study_impl.h"

/* A list option selecting a subset of an enum list, e.g. -sl_coords nn,bdso. */
static PetscErrorCode SLOptionsSubset(MPI_Comm comm, const char option[], const char help[], const char now[], const char *const list[], PetscInt nlist, PetscBool sel[], PetscOptionItems *PetscOptionsObject)
{
  char    **vals = NULL;
  PetscInt  n    = 0;
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(SLOptionsStringList(option, help, "SLStudySetFromOptions", now, &n, &vals, &set));
  if (!set) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < nlist; i++) sel[i] = PETSC_FALSE;
  for (PetscInt i = 0; i < n; i++) {
    PetscInt idx;
    PetscCall(SLEnumFind(comm, option, list, vals[i], &idx));
    PetscCheck(idx < nlist, comm, PETSC_ERR_USER, "Option %s: unknown value \"%s\"", option, vals[i]);
    sel[idx] = PETSC_TRUE;
  }
  PetscCall(SLStringListDestroy(n, &vals));
  PetscFunctionReturn(0);
}

static int SLCompareReals(const void *a, const void *b)
{
  const PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return (x > y) - (x < y);
}

/* Axis values must be distinct (sorted copy: axes may hold 10^5 values). */
static PetscErrorCode SLCheckDistinct(MPI_Comm comm, const char option[], PetscInt n, const PetscReal v[])
{
  PetscReal *c;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n, &c));
  PetscCall(PetscArraycpy(c, v, n));
  qsort(c, (size_t)n, sizeof(PetscReal), SLCompareReals);
  for (PetscInt i = 1; i < n; i++) PetscCheck(c[i] != c[i - 1], comm, PETSC_ERR_USER, "Option %s: value %g appears twice", option, (double)c[i]);
  PetscCall(PetscFree(c));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyCreate(MPI_Comm comm, SLStudy *study)
{
  SLStudy s;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&s));
  s->comm = comm;
  PetscCall(PetscStrncpy(s->name, "study", sizeof(s->name)));
  s->nwidth  = 1;
  s->nseed   = 1;
  s->nalpha  = 1;
  s->nscheme = 1;
  PetscCall(PetscMalloc1(1, &s->widths));
  PetscCall(PetscMalloc1(1, &s->seeds));
  PetscCall(PetscMalloc1(1, &s->alphas));
  PetscCall(PetscMalloc1(1, &s->schemes));
  s->widths[0]           = 16;
  s->seeds[0]            = 0;
  s->alphas[0]           = 1.0;
  s->schemes[0]          = SL_INIT_LECUN_NORMAL;
  s->coords[SL_COORD_NN] = s->coords[SL_COORD_BDSO] = PETSC_TRUE;
  s->parts[SL_HESS_FULL]                            = PETSC_TRUE;
  s->stages[SL_STAGE_INIT] = s->stages[SL_STAGE_FINAL] = PETSC_TRUE;
  s->max_snapshot_params                               = 200000;
  s->wide_threshold                                    = 1e12;
  s->wide_ranks                                        = -1;
  s->slice_index                                       = 0;
  s->slice_count                                       = 1;
  s->stop_after                                        = -1;
  s->view                                              = PETSC_TRUE;
  s->train                                             = PETSC_TRUE;
  PetscCall(SLInitParamsSetDefaults(&s->init));
  *study = s;
  PetscFunctionReturn(0);
}

/* Every option the study did not use is an error (PETSc's -options_left idea, prefixes included): a misspelt
 * -sl_ option, options of a data set that is not on the -sl_datasets axis, a misspelt sub-option of the trainer's
 * TS/SNES/KSP (-sl_train_ts_*, configured in SLTrainerSetFromOptions) or of the spectrum solver's EPS/ST/BV/KSP
 * (-sl_eig_eps_*, probed in SLSpectrumSolverSetFromOptions), or an option without the -sl_ prefix (-widths 3)
 * would silently change nothing. Checked after the set-up of every object, before any work. Options PETSc or MPI
 * read themselves at finalize or on demand are allowed. */
static PetscErrorCode SLStudyCheckUnusedOptions(SLStudy s)
{
  static const char *const later[] = {"log_",
                                      "malloc",
                                      "memory_view",
                                      "objects_dump",
                                      "options_",
                                      "on_error_",
                                      "info",
                                      "help",
                                      "sl_debug",
                                      "fp_trap",
                                      "no_signal_handler",
                                      "check_pointer_intensity",
                                      "viewfromoptions",
                                      "history",
                                      "mpi_",
                                      "saws_",
                                      "error_output_",
                                      "nox",
                                      "x_virtual",
                                      "display",
                                      "skip_petscrc",
                                      "citations",
                                      "use_gpu_aware_mpi",
                                      "device_",
                                      "stack_view",
                                      "checkstack",
                                      NULL};
  PetscInt                 n;
  char                   **names, **values;
  PetscBool                hashelp;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasHelp(NULL, &hashelp));
  if (hashelp) PetscFunctionReturn(0);
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++) {
    PetscBool allowed = PETSC_FALSE;

    for (PetscInt k = 0; later[k]; k++)
      if (!strncmp(names[i], later[k], strlen(later[k]))) allowed = PETSC_TRUE;
    if (allowed) continue;
    if (!strncmp(names[i], "sl_", 3)) {
      PetscCheck(PETSC_FALSE, s->comm, PETSC_ERR_USER, "Unknown option -%s (misspelt, not used by this study, or options of a data set that is not in -sl_datasets?); see -help", names[i]);
    } else {
      PetscCheck(PETSC_FALSE, s->comm, PETSC_ERR_USER, "Unknown option -%s: every splinelens option starts with -sl_ (the trainer's PETSc solvers take -sl_train_ts_*, the eigensolver -sl_eig_eps_*); see -help", names[i]);
    }
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudySetFromOptions(SLStudy s)
{
  MPI_Comm  comm                       = s->comm;
  char      outdir[PETSC_MAX_PATH_LEN] = "results";
  char    **names                      = NULL;
  PetscInt  n;
  PetscBool set, outset;

  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, NULL, "splinelens study (the grid of runs and its output)", "Study");
  PetscCall(PetscOptionsString("-sl_study_name", "Name of the study (default output <output_dir>/<name>.h5)", "SLStudySetFromOptions", s->name, s->name, sizeof(s->name), NULL));
  PetscCall(PetscOptionsString("-sl_output_dir", "Directory of the default output file", "SLStudySetFromOptions", outdir, outdir, sizeof(outdir), NULL));
  PetscCall(PetscOptionsString("-sl_output", "Output HDF5 file (overrides -sl_output_dir/-sl_study_name)", "SLStudySetFromOptions", s->output, s->output, sizeof(s->output), &outset));

  /* Axes of any length, parsed as 64-bit integers (no silent wrap), each value range-checked (SLStudySetUp) */
  {
    PetscInt64 *iv = NULL;

    PetscCall(SLOptionsInt64List("-sl_widths", "Widths axis H1,H2,... (number of hidden neurons; ranges a-b mean a..b-1)", "SLStudySetFromOptions", "16", &n, &iv, &set));
    if (set) {
      for (PetscInt i = 0; i < n; i++) {
        PetscCheck(iv[i] > 0, comm, PETSC_ERR_USER, "Option -sl_widths: width must be > 0, got %" PetscInt64_FMT, iv[i]);
        PetscCheck(iv[i] <= (PETSC_MAX_INT - 1) / 3, comm, PETSC_ERR_USER, "Option -sl_widths: width %" PetscInt64_FMT " is out of range [1, %d] (3H+1 parameters must be addressable by 32-bit PETSc indices)", iv[i], (int)((PETSC_MAX_INT - 1) / 3));
      }
      PetscCall(PetscFree(s->widths));
      PetscCall(PetscMalloc1(n, &s->widths));
      for (PetscInt i = 0; i < n; i++) s->widths[i] = (PetscInt)iv[i];
      s->nwidth = n;
      PetscCall(PetscFree(iv));
    }
    PetscCall(SLOptionsInt64List("-sl_seeds", "Seeds axis S1,S2,... (ranges a-b mean a..b-1)", "SLStudySetFromOptions", "0", &n, &iv, &set));
    if (set) {
      for (PetscInt i = 0; i < n; i++) {
        PetscCheck(iv[i] >= 0, comm, PETSC_ERR_USER, "Option -sl_seeds: seeds must be >= 0, got %" PetscInt64_FMT, iv[i]);
        PetscCheck(iv[i] <= PETSC_MAX_INT, comm, PETSC_ERR_USER, "Option -sl_seeds: seed %" PetscInt64_FMT " is out of range [0, %d]", iv[i], (int)PETSC_MAX_INT);
      }
      PetscCall(PetscFree(s->seeds));
      PetscCall(PetscMalloc1(n, &s->seeds));
      for (PetscInt i = 0; i < n; i++) s->seeds[i] = (PetscInt)iv[i];
      s->nseed = n;
      PetscCall(PetscFree(iv));
    }
  }
  {
    PetscReal *rv = NULL;

    PetscCall(SLOptionsRealList("-sl_alphas", "Initialization scales axis A1,A2,... (multiply every initial parameter)", "SLStudySetFromOptions", "1", &n, &rv, &set));
    if (set) {
      PetscCall(PetscFree(s->alphas));
      s->alphas = rv;
      s->nalpha = n;
    }
  }
  PetscCall(SLOptionsStringList("-sl_schemes", "Initialization schemes axis (lecun_normal, he_normal, glorot_normal, lecun_uniform, he_uniform, glorot_uniform, torch_default, gaussian)", "SLStudySetFromOptions", "lecun_normal", &n, &names, &set));
  if (set) {
    PetscCall(PetscFree(s->schemes));
    PetscCall(PetscMalloc1(n, &s->schemes));
    s->nscheme = n;
    for (PetscInt i = 0; i < n; i++) {
      PetscInt idx;
      PetscCall(SLEnumFind(comm, "-sl_schemes", SLInitSchemes, names[i], &idx));
      s->schemes[i] = (SLInitScheme)idx;
    }
    PetscCall(SLStringListDestroy(n, &names));
  }
  PetscCall(SLOptionsStringList("-sl_datasets", "Data sets axis: names, each configured by -sl_data_<name>_* (a generator name selects that generator)", "SLStudySetFromOptions", "sine", &n, &names, &set));
  if (set) {
    PetscCall(PetscCalloc1(n, &s->data));
    s->ndata = n;
    for (PetscInt i = 0; i < n; i++) PetscCall(SLDataCreate(names[i], &s->data[i]));
    PetscCall(SLStringListDestroy(n, &names));
  } else {
    PetscCall(PetscCalloc1(1, &s->data));
    s->ndata = 1;
    PetscCall(SLDataCreate("sine", &s->data[0]));
  }
  PetscCall(PetscOptionsBool("-sl_output_bias", "Networks have an output bias c", "SLStudySetFromOptions", s->output_bias, &s->output_bias, NULL));
  PetscCall(SLOptionsSubset(comm, "-sl_coords", "Coordinate systems of the Hessians: nn, bdso", "nn,bdso", SLCoordinateNames, SL_NCOORDS, s->coords, PetscOptionsObject));
  PetscCall(SLOptionsSubset(comm, "-sl_hess_parts", "Hessian parts whose spectra are computed: full, gauss_newton, residual", "full", SLHessianParts, SL_NPARTS, s->parts, PetscOptionsObject));
  PetscCall(SLOptionsSubset(comm, "-sl_hess_stages", "When Hessian spectra are computed: init, final, snapshots (at every parameter snapshot of training)", "init,final", SLStageNames, SL_NSTAGES, s->stages, PetscOptionsObject));
  PetscCall(SLOptionsBoundedInt("-sl_output_max_snapshot_params", "Runs with more parameters store no parameter snapshots", "SLStudySetFromOptions", s->max_snapshot_params, &s->max_snapshot_params, NULL, 0, PETSC_MAX_INT));
  PetscCall(PetscOptionsReal("-sl_wide_threshold", "Runs whose cost estimate exceeds this (and that are too large for a dense spectrum) run on a group of ranks", "SLStudySetFromOptions", s->wide_threshold, &s->wide_threshold, NULL));
  PetscCall(SLOptionsBoundedInt("-sl_wide_ranks", "Ranks per wide run (-1: all ranks)", "SLStudySetFromOptions", s->wide_ranks, &s->wide_ranks, NULL, -1, PETSC_MAX_INT));
  PetscCall(SLOptionsBoundedInt("-sl_slice_index", "Compute only slice i (0-based) of -sl_slice_count (job arrays)", "SLStudySetFromOptions", s->slice_index, &s->slice_index, NULL, 0, PETSC_MAX_INT));
  PetscCall(SLOptionsBoundedInt("-sl_slice_count", "Number of slices the study is split into (job arrays)", "SLStudySetFromOptions", s->slice_count, &s->slice_count, NULL, 1, PETSC_MAX_INT));
  PetscCall(PetscOptionsBool("-sl_train", "Train the networks by gradient flow (false: initialization-only study; the final state is the initial one)", "SLStudySetFromOptions", s->train, &s->train, NULL));
  PetscCall(PetscOptionsBool("-sl_view", "Print the study before running it", "SLStudySetFromOptions", s->view, &s->view, NULL));
  PetscCall(SLOptionsBoundedInt("-sl_stop_after", "Stop (exit 75, resumable) after this many runs finished in this invocation (testing; -1: never)", "SLStudySetFromOptions", s->stop_after, &s->stop_after, NULL, -1, PETSC_MAX_INT));
  PetscCall(SLStudySetFromOptions_Plan(s, PetscOptionsObject)); /* sweeps: commit interval, caps, dry run (plan.c) */
  PetscOptionsEnd();

  /* Shared initialization options; scheme, alpha and seed are set per run from the axes. */
  {
    static const char *const axisopt[][2] = {
      {"-sl_init_scheme", "-sl_schemes"},
      {"-sl_init_alpha",  "-sl_alphas" },
      {"-sl_init_seed",   "-sl_seeds"  }
    };
    for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(axisopt); k++) {
      PetscBool given;
      PetscCall(PetscOptionsHasName(NULL, NULL, axisopt[k][0], &given));
      PetscCheck(!given, comm, PETSC_ERR_USER, "Option %s has no effect in a study: the %s axis sets it for every run", axisopt[k][0], axisopt[k][1]);
    }
  }
  PetscCall(SLInitParamsSetFromOptions(&s->init, "sl_init_"));
  for (PetscInt i = 0; i < s->ndata; i++) PetscCall(SLDataSetFromOptions(s->data[i]));
  /* The trainer and the spectrum solver: configured once here, used by every run (run.c) */
  PetscCall(SLTrainerCreate(comm, &s->trainer));
  PetscCall(SLTrainerSetOptionsPrefix(s->trainer, "sl_train_"));
  PetscCall(SLTrainerSetFromOptions(s->trainer));
  PetscCall(SLTrainerGetLossType(s->trainer, &s->loss));
  PetscCall(SLSpectrumSolverCreate(comm, &s->eig));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s->eig, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s->eig));

  PetscCall(SLStudyCheckUnusedOptions(s));
  if (!outset) PetscCall(PetscSNPrintf(s->output, sizeof(s->output), "%s/%s.h5", outdir, s->name));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudySetUp(SLStudy s)
{
  MPI_Comm   comm = s->comm;
  PetscReal *v;
  PetscBool  any;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(PetscMax(PetscMax(s->nwidth, s->nseed), s->nscheme), &v));
  for (PetscInt i = 0; i < s->nwidth; i++) {
    PetscCheck(s->widths[i] > 0, comm, PETSC_ERR_USER, "Option -sl_widths: width must be > 0, got %" PetscInt_FMT, s->widths[i]);
    PetscCheck(s->widths[i] <= (PETSC_MAX_INT - 1) / 3, comm, PETSC_ERR_USER, "Option -sl_widths: width %" PetscInt_FMT " exceeds what 32-bit PETSc indices can address (3H+1 parameters)", s->widths[i]);
    PetscCheck(!s->init.symmetric || s->widths[i] % 2 == 0, comm, PETSC_ERR_USER, "Option -sl_init_symmetric needs even widths; -sl_widths contains %" PetscInt_FMT, s->widths[i]);
    v[i] = (PetscReal)s->widths[i];
  }
  PetscCall(SLCheckDistinct(comm, "-sl_widths", s->nwidth, v));
  for (PetscInt i = 0; i < s->nseed; i++) {
    PetscCheck(s->seeds[i] >= 0, comm, PETSC_ERR_USER, "Option -sl_seeds: seeds must be >= 0, got %" PetscInt_FMT, s->seeds[i]);
    v[i] = (PetscReal)s->seeds[i];
  }
  PetscCall(SLCheckDistinct(comm, "-sl_seeds", s->nseed, v));
  for (PetscInt i = 0; i < s->nalpha; i++) PetscCheck(s->alphas[i] > 0 && PetscIsNormalReal(s->alphas[i]), comm, PETSC_ERR_USER, "Option -sl_alphas: scales must be finite and > 0, got %g", (double)s->alphas[i]);
  PetscCall(SLCheckDistinct(comm, "-sl_alphas", s->nalpha, s->alphas));
  for (PetscInt i = 0; i < s->nscheme; i++) v[i] = (PetscReal)s->schemes[i];
  PetscCall(SLCheckDistinct(comm, "-sl_schemes", s->nscheme, v));
  PetscCall(PetscFree(v));
  for (PetscInt i = 0; i < s->ndata; i++) {
    for (PetscInt j = 0; j < i; j++) {
      PetscBool eq;
      PetscCall(PetscStrcmp(s->data[i]->name, s->data[j]->name, &eq));
      PetscCheck(!eq, comm, PETSC_ERR_USER, "Option -sl_datasets: data set \"%s\" appears twice", s->data[i]->name);
    }
    PetscCall(SLDataSetUp(s->data[i]));
  }
  any = PETSC_FALSE;
  for (PetscInt i = 0; i < SL_NCOORDS; i++) any = (PetscBool)(any || s->coords[i]);
  PetscCheck(any, comm, PETSC_ERR_USER, "Option -sl_coords: select at least one of nn, bdso");
  PetscCheck(s->slice_count >= 1, comm, PETSC_ERR_USER, "Option -sl_slice_count must be >= 1, got %" PetscInt_FMT, s->slice_count);
  PetscCheck(s->slice_index >= 0 && s->slice_index < s->slice_count, comm, PETSC_ERR_USER, "Option -sl_slice_index must be in [0, %" PetscInt_FMT "), got %" PetscInt_FMT, s->slice_count, s->slice_index);
  PetscCheck(s->train || !s->stages[SL_STAGE_SNAPSHOTS], comm, PETSC_ERR_USER, "Option -sl_hess_stages snapshots needs training: -sl_train false keeps no snapshots");
  PetscCheck(s->max_snapshot_params >= 0, comm, PETSC_ERR_USER, "Option -sl_output_max_snapshot_params must be >= 0");
  PetscCheck(s->wide_threshold > 0, comm, PETSC_ERR_USER, "Option -sl_wide_threshold must be > 0");
  PetscCheck(s->wide_ranks == -1 || s->wide_ranks >= 1, comm, PETSC_ERR_USER, "Option -sl_wide_ranks must be >= 1, got %" PetscInt_FMT, s->wide_ranks);
  {
    PetscReal nr = (PetscReal)s->nwidth * s->nseed * s->nalpha * s->nscheme * s->ndata;
    PetscCheck(nr < 1e8, comm, PETSC_ERR_USER, "The grid has %g runs: too many for one study file; split it", (double)nr);
    s->nruns = s->nwidth * s->nseed * s->nalpha * s->nscheme * s->ndata;
  }
  PetscCall(SLStudyComputeFingerprint(s));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyGetRun(SLStudy s, PetscInt id, SLRunSpec *r)
{
  PetscInt rest = id;

  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id < s->nruns, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Run id %" PetscInt_FMT " outside [0, %" PetscInt_FMT ")", id, s->nruns);
  r->id     = id;
  r->i_data = rest % s->ndata;
  rest /= s->ndata;
  r->i_scheme = rest % s->nscheme;
  rest /= s->nscheme;
  r->i_alpha = rest % s->nalpha;
  rest /= s->nalpha;
  r->i_seed  = rest % s->nseed;
  r->i_width = rest / s->nseed;
  r->width   = s->widths[r->i_width];
  r->seed    = s->seeds[r->i_seed];
  r->alpha   = s->alphas[r->i_alpha];
  r->scheme  = s->schemes[r->i_scheme];
  PetscFunctionReturn(0);
}

/* Append to a line buffer (views print whole lines: PETSc's ASCII viewer indents every call). */
static void SLCat(char buf[], size_t len, const char *fmt, ...)
{
  va_list ap;
  size_t  used = strlen(buf);

  if (used >= len - 1) return;
  va_start(ap, fmt);
  vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
}

/* " value" of item i of n; long axes show their first 8 and last 2 values ("..., N values"). */
static void SLCatItem(char buf[], size_t len, PetscInt i, PetscInt n, const char *fmt, ...)
{
  va_list ap;
  size_t  used;

  if (n > 10 && i >= 8 && i < n - 2) {
    if (i == 8) SLCat(buf, len, " ... (%" PetscInt_FMT " values) ...", n);
    return;
  }
  used = strlen(buf);
  if (used >= len - 2) return;
  buf[used++] = ' ';
  buf[used]   = 0;
  va_start(ap, fmt);
  vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
}

/* The initialization the runs use: scheme, alpha and seed come from the axes (the -sl_init_* defaults of those
 * three are not used), the rest from -sl_init_*. */
static PetscErrorCode SLStudyViewInit(SLStudy s, PetscViewer viewer)
{
  const SLInitParams *p          = &s->init;
  char                line[4096] = "";
  PetscBool           gaussian   = PETSC_FALSE;

  PetscFunctionBeginUser;
  SLCat(line, sizeof(line), "Initialization per run: scheme (schemes axis)");
  for (PetscInt i = 0; i < s->nscheme; i++) {
    SLCat(line, sizeof(line), " %s", SLInitSchemes[s->schemes[i]]);
    if (s->schemes[i] == SL_INIT_GAUSSIAN) gaussian = PETSC_TRUE;
  }
  SLCat(line, sizeof(line), "; alpha (alphas axis)");
  for (PetscInt i = 0; i < s->nalpha; i++) SLCatItem(line, sizeof(line), i, s->nalpha, "%.6g", (double)s->alphas[i]);
  SLCat(line, sizeof(line), "; seed (seeds axis); bias %s%s", SLBiasPolicies[p->bias], p->symmetric ? ", symmetric (f_0 = 0)" : "");
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s\n", line));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "layer scales: alpha_in %.6g, alpha_out %.6g\n", (double)p->alpha_in, (double)p->alpha_out));
  if (gaussian) PetscCall(PetscViewerASCIIPrintf(viewer, "gaussian stds: sw %.6g, sb %.6g, sv %.6g, sc %.6g\n", (double)p->sw, (double)p->sb, (double)p->sv, (double)p->sc));
  if (p->bias == SL_BIAS_EXPLICIT) PetscCall(PetscViewerASCIIPrintf(viewer, "explicit bias law: %s, scale %.6g\n", SLLawKinds[p->bias_law], (double)p->bias_scale));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyView(SLStudy s, PetscViewer viewer)
{
  char line[4096];

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Study %s: %" PetscInt_FMT " runs -> %s\n", s->name, s->nruns, s->output));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  line[0] = 0;
  SLCat(line, sizeof(line), "widths:");
  for (PetscInt i = 0; i < s->nwidth; i++) SLCatItem(line, sizeof(line), i, s->nwidth, "%" PetscInt_FMT, s->widths[i]);
  SLCat(line, sizeof(line), "; seeds:");
  for (PetscInt i = 0; i < s->nseed; i++) SLCatItem(line, sizeof(line), i, s->nseed, "%" PetscInt_FMT, s->seeds[i]);
  SLCat(line, sizeof(line), "; alphas:");
  for (PetscInt i = 0; i < s->nalpha; i++) SLCatItem(line, sizeof(line), i, s->nalpha, "%.6g", (double)s->alphas[i]);
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s\n", line));
  line[0] = 0;
  SLCat(line, sizeof(line), "schemes:");
  for (PetscInt i = 0; i < s->nscheme; i++) SLCat(line, sizeof(line), " %s", SLInitSchemes[s->schemes[i]]);
  SLCat(line, sizeof(line), "; data sets:");
  for (PetscInt i = 0; i < s->ndata; i++) SLCatItem(line, sizeof(line), i, s->ndata, "%s (%s, N=%" PetscInt_FMT ")", s->data[i]->name, SLDataTypes[s->data[i]->type], s->data[i]->N);
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s\n", line));
  line[0] = 0;
  SLCat(line, sizeof(line), "Hessian spectra at");
  for (PetscInt st = 0; st < SL_NSTAGES; st++)
    if (s->stages[st]) SLCat(line, sizeof(line), " %s", SLStageNames[st]);
  SLCat(line, sizeof(line), "; coordinates");
  for (PetscInt c = 0; c < SL_NCOORDS; c++)
    if (s->coords[c]) SLCat(line, sizeof(line), " %s", SLCoordinateNames[c]);
  SLCat(line, sizeof(line), "; parts");
  for (PetscInt p = 0; p < SL_NPARTS; p++)
    if (s->parts[p]) SLCat(line, sizeof(line), " %s", SLHessianParts[p]);
  SLCat(line, sizeof(line), "; loss %s; output bias %s", SLLossTypes[s->loss], s->output_bias ? "yes" : "no");
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s\n", line));
  PetscCall(PetscViewerASCIIPrintf(viewer, "fingerprint %s", s->fingerprint));
  if (s->slice_count > 1) PetscCall(PetscViewerASCIIPrintf(viewer, "; slice %" PetscInt_FMT " of %" PetscInt_FMT, s->slice_index, s->slice_count));
  PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
  PetscCall(SLStudyViewInit(s, viewer));
  PetscCall(SLTrainerView(s->trainer, viewer));
  PetscCall(SLSpectrumSolverView(s->eig, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyDestroy(SLStudy *study)
{
  SLStudy s = *study;

  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(0);
  for (PetscInt i = 0; s->data && i < s->ndata; i++) PetscCall(SLDataDestroy(&s->data[i]));
  PetscCall(PetscFree(s->data));
  PetscCall(PetscFree(s->widths));
  PetscCall(PetscFree(s->seeds));
  PetscCall(PetscFree(s->alphas));
  PetscCall(PetscFree(s->schemes));
  PetscCall(SLTrainerDestroy(&s->trainer));
  PetscCall(SLSpectrumSolverDestroy(&s->eig));
  PetscCall(PetscFree(s->canonical));
  for (PetscInt i = 0; s->data_text && i < s->ndata; i++) {
    PetscCall(PetscFree(s->data_text[i]));
    PetscCall(PetscFree(s->data_fingerprint[i]));
  }
  PetscCall(PetscFree(s->data_text));
  PetscCall(PetscFree(s->data_fingerprint));
  PetscCall(PetscFree(s->config_text));
  PetscCall(PetscFree(*study));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyViewFromOptions(SLStudy study)
{
  PetscFunctionBeginUser;
  if (study->view) PetscCall(SLStudyView(study, PETSC_VIEWER_STDOUT_(study->comm)));
  PetscFunctionReturn(0);
}
