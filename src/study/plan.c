/* Plans before submission: the options of sweeps at scale (commit interval, resource caps, dry run), the
 * estimates of a run's memory and of the study file's size, the preflight that refuses a study which cannot fit
 * (before the output file is touched), and the dry run (-sl_dry_run) that prints the plan.
 *
 * Estimates. The file size is exact for the data (every dataset is laid out, contiguous and allocated, at
 * creation, and its length follows from the grid) plus SLOutputGetLayoutSize's estimate of HDF5 metadata. A run's
 * peak memory is its results (held once by the run and once in the commit buffer) plus its working set: the dense
 * Hessian (SL_PLAN_DENSE_COPIES arrays of P x P, measured with getrusage on widths 300 and 700) when the spectrum is dense, else the
 * Krylov basis and the class-reduced problem; the N x P Jacobian of a dense Hessian; the trainer's state; a wide run
 * splits its neuron-sized arrays over its group of ranks; plus the process itself
 * (PETSc, MPI, HDF5: SL_PLAN_BASE_BYTES). Times come from the cost model (cost.c) through a calibration
 * rank-seconds = a x cost + b, by default the one measured on the reference machine, or -sl_plan_calibration a,b
 * as printed at the end of every study ("calibration: -sl_plan_calibration a,b"). */
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <libgen.h>
#include "study_impl.h"

#define SL_PLAN_BASE_BYTES   (64.0 * 1048576.0) /* a rank's footprint before any run (PETSc, MPI, HDF5, code) */
#define SL_PLAN_DENSE_COPIES 10.0               /* P x P arrays alive in a dense spectrum (measured: Hessians, LAPACK copies, workspace) */
#define SL_PLAN_EFFICIENCY   0.8                /* share of a slice's wall time spent in runs (set-up, imbalance, margin) */
#define SL_PLAN_DEFAULT_A    2.0e-9             /* rank-seconds per cost unit, reference machine               */
#define SL_PLAN_DEFAULT_B    1.0e-3             /* rank-seconds per run (fixed overhead), reference machine     */
#define SL_PLAN_MAX_INTERVAL 300.0              /* the SLURM warning margin of jobs/ (#SBATCH --signal=B:USR1@300) */

PetscErrorCode SLStudySetFromOptions_Plan(SLStudy s, PetscOptionItems *PetscOptionsObject)
{
  PetscInt  n = 2;
  PetscBool set;

  PetscFunctionBeginUser;
  s->flush_interval = 5.0;
  s->plan_calib[0]  = SL_PLAN_DEFAULT_A;
  s->plan_calib[1]  = SL_PLAN_DEFAULT_B;
  PetscCall(PetscOptionsReal("-sl_output_flush_interval", "Seconds between commits of finished runs to the file (0: after every run); a kill loses at most the runs of one interval. At most 300 (the SLURM warning margin of jobs/)", "SLStudyRun", s->flush_interval, &s->flush_interval, NULL));
  PetscCall(PetscOptionsReal("-sl_max_file_size", "Refuse a study whose file would exceed this many bytes (0: only the free disk space limits it)", "SLStudyPreflight", s->max_file_size, &s->max_file_size, NULL));
  PetscCall(PetscOptionsReal("-sl_max_memory", "Refuse a study whose runs would need more than this many bytes per rank (0: only MemAvailable limits it)", "SLStudyPreflight", s->max_memory, &s->max_memory, NULL));
  PetscCall(PetscOptionsBool("-sl_dry_run", "Print the plan (runs, cost, memory per rank, file size, slices and ranks for -sl_plan_walltime) and exit without touching the output", "SLStudyPlanView", s->dry_run, &s->dry_run, NULL));
  PetscCall(PetscOptionsReal("-sl_plan_walltime", "Dry run: wall-time target per job (slice) in seconds; the plan gives the slices and ranks to ask for", "SLStudyPlanView", s->plan_walltime, &s->plan_walltime, NULL));
  PetscCall(SLOptionsBoundedInt("-sl_plan_ranks", "Dry run: ranks per slice (0: the ranks of this invocation)", "SLStudyPlanView", s->plan_ranks, &s->plan_ranks, NULL, 0, PETSC_MAX_INT));
  PetscCall(PetscOptionsRealArray("-sl_plan_calibration", "Dry run: a,b with rank-seconds per run = a x cost + b (printed at the end of every study)", "SLStudyPlanView", s->plan_calib, &n, &set));
  PetscCheck(!set || n == 2, s->comm, PETSC_ERR_USER, "Option -sl_plan_calibration takes two values a,b, got %" PetscInt_FMT, n);
  PetscCheck(s->flush_interval >= 0 && s->flush_interval <= SL_PLAN_MAX_INTERVAL, s->comm, PETSC_ERR_USER, "Option -sl_output_flush_interval must be in [0, %g] seconds (the SLURM warning margin), got %g", SL_PLAN_MAX_INTERVAL, (double)s->flush_interval);
  PetscCheck(s->max_file_size >= 0, s->comm, PETSC_ERR_USER, "Option -sl_max_file_size must be >= 0, got %g", (double)s->max_file_size);
  PetscCheck(s->max_memory >= 0, s->comm, PETSC_ERR_USER, "Option -sl_max_memory must be >= 0, got %g", (double)s->max_memory);
  PetscCheck(s->plan_walltime >= 0, s->comm, PETSC_ERR_USER, "Option -sl_plan_walltime must be >= 0, got %g", (double)s->plan_walltime);
  PetscCheck(s->plan_ranks >= 0, s->comm, PETSC_ERR_USER, "Option -sl_plan_ranks must be >= 0, got %" PetscInt_FMT, s->plan_ranks);
  PetscCheck(s->plan_calib[0] >= 0 && s->plan_calib[1] >= 0, s->comm, PETSC_ERR_USER, "Option -sl_plan_calibration: a,b must be >= 0");
  PetscFunctionReturn(0);
}

/* The option that makes a dataset large, by its path. */
static const char *SLPlanFieldOption(const char path[])
{
  if (strstr(path, "hist_")) return "-sl_eig_hist_bins";
  if (strstr(path, "train/curve")) return "-sl_train_curve";
  if (strstr(path, "train/snap")) return "-sl_train_snapshots";
  if (strstr(path, "vector")) return "-sl_eig_vectors";
  if (strstr(path, "gram")) return "-sl_datasets";
  if (strstr(path, "/values") || strstr(path, "/residuals")) return "-sl_widths";
  if (!strncmp(path, "network/", 8)) return "-sl_widths";
  return "-sl_seeds";
}

/* "-sl_widths 715827882" as given (or "-sl_widths (default)"). */
static PetscErrorCode SLPlanOptionText(const char opt[], char buf[], size_t len)
{
  char      val[256];
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, NULL, opt, val, sizeof(val), &set));
  if (!strcmp(opt, "-sl_seeds")) PetscCall(PetscSNPrintf(buf, len, "the grid (the product of the axes -sl_widths, -sl_seeds, -sl_alphas, -sl_schemes, -sl_datasets)"));
  else if (set && val[0]) PetscCall(PetscSNPrintf(buf, len, "%s %s", opt, val));
  else PetscCall(PetscSNPrintf(buf, len, "%s%s", opt, set ? "" : " (default)"));
  PetscFunctionReturn(0);
}

/* The option behind the largest share of bytes: over the whole file (run < 0) or one run's results. */
static PetscErrorCode SLPlanDominantOption(SLOutput out, PetscInt run, char buf[], size_t len, char field[], size_t flen)
{
  const char *opts[] = {"-sl_eig_hist_bins", "-sl_train_curve", "-sl_train_snapshots", "-sl_eig_vectors", "-sl_datasets", "-sl_widths", "-sl_seeds"};
  PetscReal   tot[7] = {0}, fmax[7] = {0};
  const char *fpath[7] = {NULL};
  PetscInt    best     = 0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0;; i++) {
    const char *path;
    PetscReal   b, rb, v;
    PetscCall(SLOutputGetFieldSize(out, i, run, &path, &b, &rb));
    if (!path) break;
    v = run < 0 ? b : rb;
    for (int k = 0; k < 7; k++)
      if (!strcmp(opts[k], SLPlanFieldOption(path))) {
        tot[k] += v;
        if (v > fmax[k]) {
          fmax[k]  = v;
          fpath[k] = path;
        }
      }
  }
  for (int k = 1; k < 7; k++)
    if (tot[k] > tot[best]) best = k;
  PetscCall(SLPlanOptionText(opts[best], buf, len));
  PetscCall(PetscSNPrintf(field, flen, "%s", fpath[best] ? fpath[best] : "?"));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLPlanRunResults(SLOutput out, PetscInt run, PetscReal *bytes)
{
  PetscFunctionBeginUser;
  *bytes = 0;
  for (PetscInt i = 0;; i++) {
    const char *path;
    PetscReal   b, rb;
    PetscCall(SLOutputGetFieldSize(out, i, run, &path, &b, &rb));
    if (!path) break;
    *bytes += rb;
  }
  PetscFunctionReturn(0);
}

/* Working set of a run without its results, per rank of the G ranks that run it (a wide run splits its neurons,
 * so its neuron-sized arrays, over the group; the N x N and histogram parts are replicated); *dense_part: the
 * share of the dense Hessians. The N x P Jacobian exists only for a dense Hessian (SLHessianCreateDense): the
 * matrix-free products, the counts and the class-reduced extremes of wider runs never form it. */
static PetscErrorCode SLPlanRunWork(SLStudy s, const SLRunSpec *r, PetscInt G, PetscReal *bytes, PetscReal *dense_part)
{
  SLEigMethod method;
  PetscInt    P, N, nvals, nbins, nev;
  PetscBool   spectra = PETSC_FALSE;
  PetscReal   dist = 0, rep = 0; /* neuron-distributed, replicated */

  PetscFunctionBeginUser;
  P = 3 * r->width + (s->output_bias ? 1 : 0);
  N = s->data[r->i_data]->N;
  for (PetscInt st = 0; st < SL_NSTAGES; st++) spectra = (PetscBool)(spectra || s->stages[st]);
  PetscCall(SLSpectrumSolverGetLayout(s->eig, P, 1, &method, &nvals, &nbins));
  nev         = PetscMax(1, nvals / 2);
  *dense_part = 0;
  if (spectra) {
    if (method == SL_EIG_DENSE) {
      *dense_part = SL_PLAN_DENSE_COPIES * 8.0 * (PetscReal)P * (PetscReal)P;
      dist += 8.0 * (PetscReal)N * (PetscReal)P; /* the Jacobian of the dense Hessian */
    } else {
      dist += 8.0 * (PetscReal)P * (2.0 * nev + 30.0);
      rep += 8.0 * 144.0 * (PetscReal)N * (PetscReal)N;
    }
    rep += 2.0 * 8.0 * ((PetscReal)nbins + 1.0) + 8.0 * (PetscReal)N * (PetscReal)N;
  }
  if (s->train) dist += 2.0 * (PetscReal)r->width * (PetscReal)N; /* the implicit solver's kink flags, 2 bytes per neuron and point */
  dist += 8.0 * 24.0 * (PetscReal)P;                              /* network, spline, trainer vectors and stages */
  *bytes = dist / (PetscReal)G + rep + *dense_part;
  PetscFunctionReturn(0);
}

/* Peak bytes per rank of run id on an invocation of nranks ranks: its working set and its results (held once by
 * the run and once in the commit buffer), both split over the group of a wide run. */
static PetscErrorCode SLPlanRunMemory(SLStudy s, SLOutput out, PetscInt id, PetscMPIInt nranks, PetscReal *bytes, PetscReal *dense)
{
  SLRunSpec r;
  PetscReal work = 0, res = 0, cost = 0;
  PetscInt  G;
  PetscBool wide;

  PetscFunctionBeginUser;
  PetscCall(SLStudyGetRun(s, id, &r));
  PetscCall(SLStudyRunCost(s, &r, &cost));
  PetscCall(SLScheduleGroupSize(s, &r, cost, nranks, &wide, &G));
  PetscCall(SLPlanRunWork(s, &r, G, &work, dense));
  PetscCall(SLPlanRunResults(out, id, &res));
  *bytes = work + 2.0 * res / (PetscReal)G;
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyRunMemory(SLStudy s, SLOutput out, PetscInt id, PetscReal *bytes)
{
  PetscReal   dense;
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(s->comm, &size));
  PetscCall(SLPlanRunMemory(s, out, id, size, bytes, &dense));
  PetscFunctionReturn(0);
}

/* Everything the preflight and the plan need, identical on every rank (computed from the grid alone). */
typedef struct {
  PetscInt  nslice; /* runs of this slice                                    */
  PetscReal cost_min, cost_max, cost_sum;
  PetscReal t_min, t_max, t_sum;    /* rank-seconds by the calibration                       */
  PetscReal run_mem, run_mem_dense; /* the largest run's peak (bytes) and its dense share    */
  PetscInt  run_mem_id;
  PetscReal res_sum; /* results of the slice's runs (bytes)                   */
  PetscReal file;    /* the study file (bytes)                                */
  PetscInt  ndatasets;
  PetscReal rank_mem; /* peak per rank: base + largest run + commit buffer     */
} SLPlan;

static PetscErrorCode SLPlanCompute(SLStudy s, SLOutput out, PetscMPIInt nranks, SLPlan *pl)
{
  PetscInt *slice_of;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(pl, sizeof(*pl)));
  pl->cost_min = pl->t_min = PETSC_MAX_REAL;
  pl->run_mem_id           = -1;
  PetscCall(PetscMalloc1(s->nruns, &slice_of));
  PetscCall(SLScheduleSlices(s, slice_of));
  for (PetscInt i = 0; i < s->nruns; i++) {
    SLRunSpec r;
    PetscReal c, t, dense, res, m;
    if (slice_of[i] != s->slice_index) continue;
    PetscCall(SLStudyGetRun(s, i, &r));
    PetscCall(SLStudyRunCost(s, &r, &c));
    t = s->plan_calib[0] * c + s->plan_calib[1];
    pl->nslice++;
    pl->cost_min = PetscMin(pl->cost_min, c);
    pl->cost_max = PetscMax(pl->cost_max, c);
    pl->cost_sum += c;
    pl->t_min = PetscMin(pl->t_min, t);
    pl->t_max = PetscMax(pl->t_max, t);
    pl->t_sum += t;
    PetscCall(SLPlanRunResults(out, i, &res));
    pl->res_sum += res;
    PetscCall(SLPlanRunMemory(s, out, i, nranks, &m, &dense));
    if (m > pl->run_mem) {
      pl->run_mem       = m;
      pl->run_mem_dense = dense;
      pl->run_mem_id    = i;
    }
  }
  PetscCall(PetscFree(slice_of));
  PetscCall(SLOutputGetLayoutSize(out, &pl->file, &pl->ndatasets));
  /* the commit buffer: the results a rank finishes in one flush interval (all of its share at most) */
  {
    PetscReal share = pl->res_sum / nranks, frac = 1.0;
    if (pl->t_sum > 0) frac = PetscMin(1.0, (s->flush_interval + pl->t_max) / (pl->t_sum / nranks));
    pl->rank_mem = SL_PLAN_BASE_BYTES + pl->run_mem + share * frac;
  }
  PetscFunctionReturn(0);
}

static const char *SLBytes(PetscReal b, char buf[], size_t len)
{
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int         k   = 0;
  while (b >= 1024.0 && k < 6) {
    b /= 1024.0;
    k++;
  }
  snprintf(buf, len, "%.3g %s", (double)b, u[k]);
  return buf;
}

/* Free bytes of the file system that will hold path (its nearest existing ancestor directory); -1 if unknown. */
static PetscReal SLDiskFree(const char path[])
{
  char           dir[PETSC_MAX_PATH_LEN];
  struct statvfs v;

  snprintf(dir, sizeof(dir), "%s", path);
  for (int k = 0; k < 64; k++) {
    char *d = dirname(dir);
    if (d != dir) memmove(dir, d, strlen(d) + 1);
    if (!statvfs(dir, &v)) return (PetscReal)v.f_bavail * (PetscReal)v.f_frsize;
    if (!strcmp(dir, "/") || !strcmp(dir, ".")) break;
  }
  return -1;
}

/* MemAvailable of /proc/meminfo in bytes; -1 if unknown. */
static PetscReal SLMemAvailable(void)
{
  FILE     *f = fopen("/proc/meminfo", "r");
  char      line[256];
  PetscReal kb = -1;

  if (!f) return -1;
  while (fgets(line, sizeof(line), f)) {
    double v;
    if (sscanf(line, "MemAvailable: %lf kB", &v) == 1) {
      kb = v;
      break;
    }
  }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024.0;
}

PetscErrorCode SLStudyPreflight(SLStudy s, SLOutput out)
{
  SLPlan      pl;
  PetscMPIInt size, rank, nlocal;
  MPI_Comm    node;
  PetscReal   avail[2] = {-1, -1}; /* rank 0: free disk, MemAvailable */
  PetscBool   exists   = PETSC_FALSE;
  char        opt[512], field[PETSC_MAX_PATH_LEN], b1[32], b2[32];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(s->comm, &size));
  PetscCallMPI(MPI_Comm_rank(s->comm, &rank));
  PetscCall(SLPlanCompute(s, out, size, &pl));
  PetscCallMPI(MPI_Comm_split_type(s->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Comm_size(node, &nlocal));
  PetscCallMPI(MPI_Comm_free(&node));
  if (rank == 0) {
    exists   = (PetscBool)(access(s->output, F_OK) == 0);
    avail[0] = exists ? -1 : SLDiskFree(s->output); /* a file being resumed has all its space already */
    avail[1] = SLMemAvailable();
  }
  PetscCallMPI(MPI_Bcast(avail, 2, MPIU_REAL, 0, s->comm));
  PetscCallMPI(MPI_Bcast(&exists, 1, MPIU_BOOL, 0, s->comm));
  /* the file */
  PetscCall(SLPlanDominantOption(out, -1, opt, sizeof(opt), field, sizeof(field)));
  PetscCheck(s->max_file_size <= 0 || pl.file <= s->max_file_size, s->comm, PETSC_ERR_FILE_WRITE, "the study file %s would take %s (%.4g bytes), more than -sl_max_file_size %.4g; %s makes it that large (largest dataset /%s)", s->output, SLBytes(pl.file, b1, sizeof(b1)),
             (double)pl.file, (double)s->max_file_size, opt, field);
  PetscCheck(avail[0] < 0 || pl.file <= avail[0], s->comm, PETSC_ERR_FILE_WRITE, "the study file %s would take %s but its file system has %s free (no space left on device); %s makes it that large (largest dataset /%s)", s->output, SLBytes(pl.file, b1, sizeof(b1)), SLBytes(avail[0], b2, sizeof(b2)), opt, field);
  /* memory */
  if (pl.run_mem_id >= 0) {
    if (pl.run_mem_dense > pl.run_mem / 2) {
      SLRunSpec r;
      char      dm[64];
      PetscCall(SLStudyGetRun(s, pl.run_mem_id, &r));
      PetscCall(SLPlanOptionText("-sl_eig_dense_max", dm, sizeof(dm)));
      PetscCall(PetscSNPrintf(opt, sizeof(opt), "-sl_widths %" PetscInt_FMT " with dense spectra up to %s", r.width, dm));
    } else PetscCall(SLPlanDominantOption(out, pl.run_mem_id, opt, sizeof(opt), field, sizeof(field)));
  }
  PetscCheck(s->max_memory <= 0 || pl.rank_mem <= s->max_memory, s->comm, PETSC_ERR_MEM, "the study needs about %s per rank (largest run %s), more than -sl_max_memory %.4g; %s makes it that large", SLBytes(pl.rank_mem, b1, sizeof(b1)), SLBytes(pl.run_mem, b2, sizeof(b2)),
             (double)s->max_memory, opt);
  PetscCheck(avail[1] < 0 || pl.rank_mem * nlocal <= avail[1], s->comm, PETSC_ERR_MEM, "the study needs about %s per rank x %d ranks on this node, but MemAvailable is %s (out of memory); %s makes it that large", SLBytes(pl.rank_mem, b1, sizeof(b1)), (int)nlocal, SLBytes(avail[1], b2, sizeof(b2)), opt);
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyPlanView(SLStudy s, SLOutput out)
{
  SLPlan      pl;
  PetscMPIInt size;
  PetscInt    R, slices = 1, ranks;
  PetscReal   eff  = SL_PLAN_EFFICIENCY, per;
  MPI_Comm    comm = s->comm;
  char        b1[32], b2[32];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  R = s->plan_ranks > 0 ? s->plan_ranks : size;
  PetscCall(SLPlanCompute(s, out, (PetscMPIInt)R, &pl));
  ranks = R;
  PetscCall(PetscPrintf(comm, "[splinelens] dry run of study %s (fingerprint %s): nothing is written to %s\n", s->name, s->fingerprint, s->output));
  PetscCall(PetscPrintf(comm, "plan runs: %" PetscInt_FMT " (study %" PetscInt_FMT ", slice %" PetscInt_FMT " of %" PetscInt_FMT ")\n", pl.nslice, s->nruns, s->slice_index, s->slice_count));
  PetscCall(PetscPrintf(comm, "plan cost per run: min %.4g, mean %.4g, max %.4g units; %.4g, %.4g, %.4g s\n", (double)pl.cost_min, (double)(pl.cost_sum / PetscMax(1, pl.nslice)), (double)pl.cost_max, (double)pl.t_min, (double)(pl.t_sum / PetscMax(1, pl.nslice)),
                        (double)pl.t_max));
  PetscCall(PetscPrintf(comm, "plan cost total: %.4g units, %.4g rank-seconds (calibration a=%.4g s/unit, b=%.4g s/run)\n", (double)pl.cost_sum, (double)pl.t_sum, (double)s->plan_calib[0], (double)s->plan_calib[1]));
  PetscCall(PetscPrintf(comm, "plan memory per rank: %.4g bytes (%s; largest run %s, base %s)\n", (double)pl.rank_mem, SLBytes(pl.rank_mem, b1, sizeof(b1)), SLBytes(pl.run_mem, b2, sizeof(b2)), SLBytes(SL_PLAN_BASE_BYTES, b2 + 16, 16)));
  PetscCall(PetscPrintf(comm, "plan file size: %.4g bytes (%s, %" PetscInt_FMT " datasets)\n", (double)pl.file, SLBytes(pl.file, b1, sizeof(b1)), pl.ndatasets));
  per = pl.t_sum / R;
  if (s->plan_walltime > 0) {
    PetscReal cap = eff * s->plan_walltime * R; /* rank-seconds one slice of R ranks delivers */
    slices        = (PetscInt)PetscCeilReal(pl.t_sum / cap);
    slices        = PetscMax(1, PetscMin(slices, pl.nslice));
    if (slices == 1) ranks = PetscMax(1, PetscMin(R, (PetscInt)PetscCeilReal(pl.t_sum / (eff * s->plan_walltime))));
    per = pl.t_sum / slices / ranks;
    PetscCall(PetscPrintf(comm, "plan walltime target: %.6g s per slice, %" PetscInt_FMT " ranks per slice at most\n", (double)s->plan_walltime, R));
    if (pl.t_max > eff * s->plan_walltime)
      PetscCall(PetscPrintf(comm, "plan warning: the largest run alone takes about %.4g rank-seconds, more than the target allows on one rank: give it a group of ranks (-sl_wide_threshold, -sl_wide_ranks) or a longer wall time\n", (double)pl.t_max));
  }
  PetscCall(PetscPrintf(comm, "plan slices: %" PetscInt_FMT "\n", slices));
  PetscCall(PetscPrintf(comm, "plan ranks: %" PetscInt_FMT "\n", ranks));
  PetscCall(PetscPrintf(comm, "plan time per slice: %.4g s\n", (double)PetscMax(per, pl.t_max)));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyPlanCalibration(SLStudy s, const PetscReal fit[5])
{
  const PetscReal n = fit[0], sc = fit[1], st = fit[2], scc = fit[3], sct = fit[4], det = n * scc - sc * sc;
  PetscReal       a = 0, b = 0;

  PetscFunctionBeginUser;
  if (n >= 2 && det > 1e-12 * n * scc) {
    a = (n * sct - sc * st) / det;
    b = (st - a * sc) / n;
  }
  if (!(a > 0 && b >= 0)) {
    a = sc > 0 ? st / sc : 0;
    b = 0;
  }
  PetscCall(PetscPrintf(s->comm, "[splinelens] calibration on %.0f runs: -sl_plan_calibration %.4g,%.4g (rank-seconds per run = a x cost + b)\n", (double)n, (double)a, (double)b));
  PetscFunctionReturn(0);
}
