/* splinelens benchmark driver (bench/compare.py runs it; see bench/README.md).
 *
 * Builds the network and data with the library (SLNetworkCreate + SLNetworkInitialize, SLDataGenerate), runs
 * one spectral computation on the full NN-coordinate Hessian (docs/theory.md section 4), times it with MPI_Wtime and
 * prints one JSON line (marker "BENCH_JSON "). With -bench_dump <prefix> it writes the parameters theta (P),
 * x and y (N) as raw little-endian float64 files <prefix>.{theta,x,y}.f64, so the Python competitors evaluate
 * the same network bit for bit.
 *
 *   -bench_mode hist      the spectrum module's exact histogram (SLSpectrumSolverCompute with -sl_eig_dense_max 0:
 *                         matrix-free extremes, then inertia counts at the edges), then SLHessianCountBelow
 *                         re-evaluated at every edge
 *   -bench_mode extremes  k smallest and k largest eigenvalues, matrix-free (-sl_eig_dense_max 0; the library's
 *                         default path, or Krylov-Schur on the MatShell with -sl_eig_reduced_max -1)
 *   -bench_mode dense     every eigenvalue (SLSpectrumSolverCompute, dense method, EPSLAPACK); the values go to
 *                         <prefix>.dense.f64
 *   -bench_mode grad      one loss gradient (sum loss): the direct O(H N) kernel SLNetworkLossGradient vs the
 *                         activation-class evaluator (classeval.h: SLClassEvalUpdate + SLClassEvalLossGradient,
 *                         i.e. what one gradient-flow right-hand side costs; also the from-scratch
 *                         SLClassEvalRebuild), median seconds of -bench_repeat timed calls each, and the largest
 *                         gradient difference relative to max |g|
 *   -bench_zoom           (mode hist) also the exact cumulative counts on nbins linear bins over [e_0, hi],
 *                         hi = -e_0 if e_0 < 0, else e_0 + 1e-3 (e_nbins - e_0): the module's bins span up to
 *                         lambda_max (the N large Gauss-Newton eigenvalues), so its first bin holds nearly
 *                         everything; the zoomed bins resolve the bulk around 0 (the +-rho_i of the residual
 *                         blocks lie in [-max rho, max rho] and lambda_min >= -max rho, docs/theory.md section 4)
 *   -bench_point init     targets y = f_0(x): zero residuals, Hess = J^T J at initialization
 *   -bench_point resid    targets y = sin(pi x): nonzero residuals, Hess = J^T J + R
 * Other options: -bench_width H, -bench_n N, -bench_seed, -bench_nbins, -bench_k, -bench_init_* (init.h), and
 * any -sl_eig_* option (they override the defaults the modes set).
 */
#include <slepcsys.h>
#include <splinelens/init.h>
#include <splinelens/data.h>
#include <splinelens/hessian.h>
#include <splinelens/spectrum.h>
#include <splinelens/classeval.h>
#include "bench_json.h"
#include "bench_log.h"

typedef enum {
  BENCH_HIST,
  BENCH_EXTREMES,
  BENCH_DENSE,
  BENCH_GRAD
} BenchMode;
static const char *const BenchModes[] = {"hist", "extremes", "dense", "grad", "BenchMode", "BENCH_", NULL};

typedef enum {
  BENCH_POINT_INIT,
  BENCH_POINT_RESID
} BenchPoint;
static const char *const BenchPoints[] = {"init", "resid", "BenchPoint", "BENCH_POINT_", NULL};

typedef struct {
  PetscInt   H, N, seed, nbins, k, repeat;
  BenchMode  mode;
  BenchPoint point;
  PetscBool  dump, zoom;
  char       prefix[PETSC_MAX_PATH_LEN];
} BenchOptions;

static PetscErrorCode BenchGetOptions(BenchOptions *o)
{
  PetscFunctionBeginUser;
  o->H      = 300;
  o->N      = 64;
  o->seed   = 0;
  o->nbins  = 50;
  o->k      = 10;
  o->repeat = 0;
  o->mode   = BENCH_HIST;
  o->point  = BENCH_POINT_RESID;
  o->dump   = PETSC_FALSE;
  o->zoom   = PETSC_FALSE;
  PetscOptionsBegin(PETSC_COMM_WORLD, "bench_", "splinelens benchmark driver", NULL);
  PetscCall(PetscOptionsInt("-width", "Network width H", NULL, o->H, &o->H, NULL));
  PetscCall(PetscOptionsInt("-n", "Number of data points N (sine data on [-1, 1], grid)", NULL, o->N, &o->N, NULL));
  PetscCall(PetscOptionsInt("-seed", "Seed of the initialization", NULL, o->seed, &o->seed, NULL));
  PetscCall(PetscOptionsInt("-nbins", "Histogram bins (mode hist)", NULL, o->nbins, &o->nbins, NULL));
  PetscCall(PetscOptionsInt("-k", "Number of smallest and of largest eigenvalues (mode extremes)", NULL, o->k, &o->k, NULL));
  PetscCall(PetscOptionsInt("-repeat", "Mode grad: timed gradients per method (0: as many as fit in about 2 s, at least 3)", NULL, o->repeat, &o->repeat, NULL));
  PetscCall(PetscOptionsEnum("-mode", "Computation", NULL, BenchModes, (PetscEnum)o->mode, (PetscEnum *)&o->mode, NULL));
  PetscCall(PetscOptionsEnum("-point", "init: y = f_0(x) (r = 0); resid: y = sin(pi x)", NULL, BenchPoints, (PetscEnum)o->point, (PetscEnum *)&o->point, NULL));
  PetscCall(PetscOptionsBool("-zoom", "Mode hist: also count on nbins bins zoomed on the bulk near 0", NULL, o->zoom, &o->zoom, NULL));
  PetscCall(PetscOptionsString("-dump", "Write <prefix>.{theta,x,y}.f64 (and .dense.f64)", NULL, o->prefix, o->prefix, sizeof(o->prefix), &o->dump));
  PetscOptionsEnd();
  PetscCheck(o->H >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bench_width %" PetscInt_FMT " must be >= 1", o->H);
  PetscCheck(o->N >= 2, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bench_n %" PetscInt_FMT " must be >= 2", o->N);
  PetscCheck(o->nbins >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bench_nbins %" PetscInt_FMT " must be >= 1", o->nbins);
  PetscCheck(o->k >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bench_k %" PetscInt_FMT " must be >= 1", o->k);
  PetscFunctionReturn(0);
}

/* A -sl_eig_ default for this mode, unless the user gave the option. */
static PetscErrorCode BenchDefaultOption(const char name[], PetscInt value)
{
  PetscBool set;
  char      buf[32];

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasName(NULL, NULL, name, &set));
  if (!set) {
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT, value));
    PetscCall(PetscOptionsSetValue(NULL, name, buf));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode BenchWriteRaw(const char prefix[], const char what[], PetscInt n, const PetscReal v[])
{
  char  path[PETSC_MAX_PATH_LEN];
  FILE *fp;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s.%s.f64", prefix, what));
  fp = fopen(path, "wb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot open %s for writing (-bench_dump)", path);
  PetscCheck(fwrite(v, sizeof(PetscReal), (size_t)n, fp) == (size_t)n, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Short write to %s (-bench_dump)", path);
  PetscCheck(fclose(fp) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot close %s (-bench_dump)", path);
  PetscFunctionReturn(0);
}

/* Gather theta on every rank and let rank 0 write theta, x, y. */
static PetscErrorCode BenchDump(const BenchOptions *o, SLNetwork net, SLData data)
{
  PetscInt    P;
  PetscReal  *theta;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc1(P, &theta));
  PetscCall(SLNetworkGatherParameters(net, theta));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(BenchWriteRaw(o->prefix, "theta", P, theta));
    PetscCall(BenchWriteRaw(o->prefix, "x", data->N, data->x));
    PetscCall(BenchWriteRaw(o->prefix, "y", data->N, data->y));
  }
  PetscCall(PetscFree(theta));
  PetscFunctionReturn(0);
}

/* Sine data on [-1, 1]; for the init point the targets are replaced by the network's own outputs (r = 0). */
static PetscErrorCode BenchSetUp(const BenchOptions *o, SLNetwork *net, SLData *data)
{
  SLInitParams ip;

  PetscFunctionBeginUser;
  PetscCall(SLDataCreate("bench", data));
  PetscCall(SLDataGenerate(*data, SL_DATA_SINE, o->N, -1.0, 1.0, 0.0, o->seed));
  PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, o->H, PETSC_FALSE, net));
  PetscCall(SLInitParamsSetDefaults(&ip)); /* lecun_normal */
  ip.seed = o->seed;
  PetscCall(SLInitParamsSetFromOptions(&ip, "bench_init_"));
  PetscCall(SLNetworkInitialize(*net, &ip));
  if (o->point == BENCH_POINT_INIT) {
    PetscReal *x, *f;

    PetscCall(PetscMalloc2(o->N, &x, o->N, &f));
    PetscCall(PetscArraycpy(x, (*data)->x, o->N));
    PetscCall(SLNetworkEvaluate(*net, o->N, x, f));
    PetscCall(SLDataSetPoints(*data, o->N, x, f));
    PetscCall(PetscFree2(x, f));
  }
  PetscFunctionReturn(0);
}

/* The library's log events (hessian_model.c); an event not registered (yet, or any more) reads as zero. */
#define BENCH_NEVENTS 5
static const char *const BenchEventNames[BENCH_NEVENTS] = {"SLHessMult", "SLHessCount", "SLHessClass", "SLSpecReduced", "SLSpectrum"};
static const char *const BenchEventKeys[BENCH_NEVENTS]  = {"hessmult", "hesscount", "hessclass", "specreduced", "spectrum"};

static PetscErrorCode BenchEvents(BenchEvent ev[BENCH_NEVENTS])
{
  PetscFunctionBeginUser;
  for (int e = 0; e < BENCH_NEVENTS; e++) PetscCall(BenchEventGet(PETSC_COMM_WORLD, BenchEventNames[e], &ev[e]));
  PetscFunctionReturn(0);
}

/* Event time and calls between two snapshots, as JSON members <tag>_<event>_{time,calls}. */
static PetscErrorCode BenchJSONEvents(BenchJSON *j, const char tag[], const BenchEvent a[BENCH_NEVENTS], const BenchEvent b[BENCH_NEVENTS])
{
  char key[64];

  PetscFunctionBeginUser;
  for (int e = 0; e < BENCH_NEVENTS; e++) {
    PetscCall(PetscSNPrintf(key, sizeof(key), "%s_%s_time", tag, BenchEventKeys[e]));
    PetscCall(BenchJSONReal(j, key, b[e].time - a[e].time));
    PetscCall(PetscSNPrintf(key, sizeof(key), "%s_%s_calls", tag, BenchEventKeys[e]));
    PetscCall(BenchJSONInt(j, key, b[e].count - a[e].count));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode BenchJSONSpectrum(BenchJSON *j, const SLSpectrum *spec)
{
  PetscFunctionBeginUser;
  PetscCall(BenchJSONString(j, "method", SLEigMethods[spec->method]));
  PetscCall(BenchJSONReal(j, "lambda_min", spec->lambda_min));
  PetscCall(BenchJSONReal(j, "lambda_max", spec->lambda_max));
  PetscCall(BenchJSONInt(j, "nconv", spec->nconv));
  PetscCall(BenchJSONInt(j, "n_neg", spec->n_neg));
  PetscCall(BenchJSONInt(j, "n_zero", spec->n_zero));
  PetscCall(BenchJSONInt(j, "n_pos", spec->n_pos));
  PetscCall(BenchJSONInt(j, "check_neg", spec->check_neg));
  PetscCall(BenchJSONInt(j, "check_counts", spec->check_counts));
  PetscFunctionReturn(0);
}

/* Exact cumulative counts at n + 1 equally spaced edges on [lo, hi]; an edge on an eigenvalue of R (ok false)
 * is moved up by a relative 1e-12 (tenfold each try) and the edge actually used is reported. */
static PetscErrorCode BenchCountEdges(SLModel model, SLData data, PetscReal lo, PetscReal hi, PetscInt n, PetscReal edges[], PetscInt cum[], PetscInt *nbad)
{
  PetscFunctionBeginUser;
  *nbad = 0;
  for (PetscInt b = 0; b <= n; b++) {
    PetscBool ok  = PETSC_FALSE;
    PetscReal eps = 1e-12 * PetscMax(PetscAbsReal(lo), PetscAbsReal(hi));

    edges[b] = lo + (hi - lo) * (PetscReal)b / (PetscReal)n;
    for (PetscInt t = 0; t < 8 && !ok; t++, eps *= 10) {
      PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_FULL, edges[b], &cum[b], &ok));
      if (!ok) edges[b] += eps;
    }
    if (!ok) (*nbad)++;
  }
  PetscFunctionReturn(0);
}

/* Create the spectrum solver from the options set so far and time one full-Hessian SLSpectrumSolverCompute
 * between barriers, with the event counters before (e0) and after (e1). */
static PetscErrorCode BenchTimedSpectrum(const BenchOptions *o, SLModel model, SLData data, SLSpectrumSolver *s, SLSpectrum *spec, BenchEvent e0[BENCH_NEVENTS], BenchEvent e1[BENCH_NEVENTS], PetscLogDouble *t0, PetscLogDouble *t1)
{
  PetscBool vectors; /* -sl_eig_vectors */

  PetscFunctionBeginUser;
  PetscCall(SLSpectrumSolverCreate(PETSC_COMM_WORLD, s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(*s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(*s));
  PetscCall(SLSpectrumSolverGetVectors(*s, &vectors));
  PetscCall(BenchEvents(e0));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  *t0 = MPI_Wtime();
  PetscCall(SLSpectrumSolverCompute(*s, model, data, SL_LOSS_SUM, SL_HESS_FULL, o->point == BENCH_POINT_INIT, vectors, spec));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  *t1 = MPI_Wtime();
  PetscCall(BenchEvents(e1));
  PetscFunctionReturn(0);
}

/* The spectrum module's exact histogram, then SLHessianCountBelow at each of its edges. */
static PetscErrorCode BenchHist(const BenchOptions *o, SLModel model, SLData data, BenchJSON *j)
{
  SLSpectrumSolver s;
  SLSpectrum       spec;
  BenchEvent       e0[BENCH_NEVENTS], e1[BENCH_NEVENTS], e2[BENCH_NEVENTS];
  PetscLogDouble   t0, t1, t2;
  PetscInt        *cum, *mod, nbad = 0, diff = 0, nb;

  PetscFunctionBeginUser;
  PetscCall(BenchDefaultOption("-sl_eig_dense_max", 0));
  PetscCall(BenchDefaultOption("-sl_eig_nev", 1));
  PetscCall(BenchDefaultOption("-sl_eig_hist_bins", o->nbins));
  PetscCall(BenchTimedSpectrum(o, model, data, &s, &spec, e0, e1, &t0, &t1));
  nb = spec.nbins;
  PetscCheck(nb >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "mode hist needs -sl_eig_hist_bins >= 1");
  PetscCall(PetscMalloc2(nb + 1, &cum, nb + 1, &mod));
  mod[0] = 0;
  for (PetscInt b = 0; b < nb; b++) mod[b + 1] = mod[b] + spec.hist_counts[b];
  for (PetscInt b = 0; b <= nb; b++) {
    PetscBool ok;

    PetscCall(SLHessianCountBelow(model, data, SL_LOSS_SUM, SL_HESS_FULL, spec.hist_edges[b], &cum[b], &ok));
    if (!ok) nbad++;
    else diff = PetscMax(diff, PetscAbsInt(cum[b] - mod[b]));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t2 = MPI_Wtime();
  PetscCall(BenchEvents(e2));
  PetscCall(BenchJSONSpectrum(j, &spec));
  PetscCall(BenchJSONReal(j, "t_module", t1 - t0));
  PetscCall(BenchJSONReal(j, "t_count", t2 - t1));
  PetscCall(BenchJSONEvents(j, "module", e0, e1));
  PetscCall(BenchJSONEvents(j, "count", e1, e2));
  PetscCall(BenchJSONInt(j, "nbins", nb));
  PetscCall(BenchJSONRealArray(j, "edges", nb + 1, spec.hist_edges));
  PetscCall(BenchJSONIntArray(j, "cum_counts", nb + 1, cum));
  PetscCall(BenchJSONIntArray(j, "module_counts", nb, spec.hist_counts));
  PetscCall(BenchJSONInt(j, "count_not_ok", nbad));
  PetscCall(BenchJSONInt(j, "count_diff_module", diff));
  if (o->zoom) {
    const PetscReal lo = spec.hist_edges[0], hi = lo < 0 ? -lo : lo + 1e-3 * (spec.hist_edges[nb] - lo);
    PetscReal      *ze;
    PetscInt       *zc, zbad;
    PetscLogDouble  t3;

    PetscCall(PetscMalloc2(nb + 1, &ze, nb + 1, &zc));
    PetscCall(BenchCountEdges(model, data, lo, hi, nb, ze, zc, &zbad));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    t3 = MPI_Wtime();
    PetscCall(BenchJSONReal(j, "t_zoom", t3 - t2));
    PetscCall(BenchJSONRealArray(j, "zoom_edges", nb + 1, ze));
    PetscCall(BenchJSONIntArray(j, "zoom_cum_counts", nb + 1, zc));
    PetscCall(BenchJSONInt(j, "zoom_not_ok", zbad));
    PetscCall(PetscFree2(ze, zc));
  }
  PetscCall(PetscFree2(cum, mod));
  PetscCall(SLSpectrumReset(&spec));
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscFunctionReturn(0);
}

/* k smallest and k largest (mode extremes) or every eigenvalue (mode dense) with SLSpectrumSolverCompute. */
static PetscErrorCode BenchSolve(const BenchOptions *o, SLModel model, SLData data, PetscInt P, BenchJSON *j)
{
  SLSpectrumSolver s;
  SLSpectrum       spec;
  BenchEvent       e0[BENCH_NEVENTS], e1[BENCH_NEVENTS];
  PetscLogDouble   t0, t1;
  PetscReal        rmax = 0.0;
  PetscMPIInt      rank;

  PetscFunctionBeginUser;
  if (o->mode == BENCH_EXTREMES) {
    PetscCall(BenchDefaultOption("-sl_eig_dense_max", 0));
    PetscCall(BenchDefaultOption("-sl_eig_nev", o->k));
  } else {
    PetscCall(BenchDefaultOption("-sl_eig_dense_max", P));
    PetscCall(BenchDefaultOption("-sl_eig_exact_counts", 0));
  }
  PetscCall(BenchDefaultOption("-sl_eig_hist_bins", 0));
  PetscCall(BenchTimedSpectrum(o, model, data, &s, &spec, e0, e1, &t0, &t1));
  for (PetscInt i = 0; i < spec.nvals; i++)
    if (!PetscIsNanReal(spec.residuals[i])) rmax = PetscMax(rmax, spec.residuals[i]);
  PetscCall(BenchJSONSpectrum(j, &spec));
  PetscCall(BenchJSONReal(j, "t_solve", t1 - t0));
  PetscCall(BenchJSONEvents(j, "solve", e0, e1));
  PetscCall(BenchJSONReal(j, "max_residual", rmax));
  if (o->mode == BENCH_EXTREMES) {
    PetscCall(BenchJSONRealArray(j, "values", spec.nvals, spec.values));
    PetscCall(BenchJSONRealArray(j, "residuals", spec.nvals, spec.residuals));
  } else {
    PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
    PetscCheck(o->dump, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "-bench_mode dense needs -bench_dump <prefix> (the values go to <prefix>.dense.f64)");
    if (rank == 0) PetscCall(BenchWriteRaw(o->prefix, "dense", spec.nvals, spec.values));
    PetscCall(BenchJSONInt(j, "nvals", spec.nvals));
  }
  PetscCall(SLSpectrumReset(&spec));
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscFunctionReturn(0);
}

static int BenchCmpReal(const void *a, const void *b)
{
  const PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

/* Median of the nrep seconds in t (sorted in place); the times are the max over ranks (barrier to barrier). */
static PetscReal BenchMedian(PetscInt nrep, PetscReal t[])
{
  qsort(t, (size_t)nrep, sizeof(PetscReal), BenchCmpReal);
  return nrep % 2 ? t[nrep / 2] : 0.5 * (t[nrep / 2 - 1] + t[nrep / 2]);
}

typedef enum {
  BENCH_G_DIRECT,
  BENCH_G_CLASS,
  BENCH_G_REBUILD
} BenchGradMethod;

/* One timed call of a gradient method, barrier to barrier. */
static PetscErrorCode BenchGradOnce(BenchGradMethod m, SLNetwork net, SLData data, SLClassEval ce, PetscReal g[], PetscReal r[], PetscReal *loss, PetscReal *t)
{
  PetscLogDouble t0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t0 = MPI_Wtime();
  if (m == BENCH_G_DIRECT) PetscCall(SLNetworkLossGradient(net, data, SL_LOSS_SUM, loss, g, r));
  else {
    if (m == BENCH_G_CLASS) PetscCall(SLClassEvalUpdate(ce, NULL, NULL)); /* the network is current: checks only */
    else PetscCall(SLClassEvalRebuild(ce));
    PetscCall(SLClassEvalLossGradient(ce, SL_LOSS_SUM, loss, g, r));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  *t = MPI_Wtime() - t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode BenchGrad(const BenchOptions *o, SLNetwork net, SLData data, BenchJSON *j)
{
  static const char *const keys[3] = {"direct", "class", "rebuild"};
  SLClassEval              ce;
  PetscInt                 Pl, nclasses, ndead;
  PetscReal               *g[3], *r, loss[3], *t, med[3], gmax = 0, dmax = 0, tc;
  PetscLogDouble           tc0;
  char                     key[64];

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, NULL, &Pl));
  PetscCall(PetscMalloc4(PetscMax(Pl, 1), &g[0], PetscMax(Pl, 1), &g[1], PetscMax(Pl, 1), &g[2], o->N, &r));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  tc0 = MPI_Wtime();
  PetscCall(SLClassEvalCreate(net, data, &ce));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  tc = MPI_Wtime() - tc0;
  PetscCall(SLClassEvalGetClassCounts(ce, &nclasses, &ndead));
  for (int m = 0; m < 3; m++) {
    PetscReal t1;
    PetscInt  nrep = o->repeat;

    PetscCall(BenchGradOnce((BenchGradMethod)m, net, data, ce, g[m], r, &loss[m], &t1)); /* warm-up, and sizes the repeats */
    if (nrep <= 0) nrep = PetscMax(3, PetscMin(201, (PetscInt)(2.0 / PetscMax(t1, 1e-9))));
    PetscCallMPI(MPI_Bcast(&nrep, 1, MPIU_INT, 0, PETSC_COMM_WORLD));
    PetscCall(PetscMalloc1(nrep, &t));
    for (PetscInt k = 0; k < nrep; k++) PetscCall(BenchGradOnce((BenchGradMethod)m, net, data, ce, g[m], r, &loss[m], &t[k]));
    PetscCallMPI(MPI_Bcast(t, (PetscMPIInt)nrep, MPIU_REAL, 0, PETSC_COMM_WORLD));
    med[m] = BenchMedian(nrep, t);
    PetscCall(PetscSNPrintf(key, sizeof(key), "t_%s", keys[m]));
    PetscCall(BenchJSONReal(j, key, med[m]));
    PetscCall(PetscSNPrintf(key, sizeof(key), "repeat_%s", keys[m]));
    PetscCall(BenchJSONInt(j, key, nrep));
    PetscCall(PetscFree(t));
  }
  for (PetscInt p = 0; p < Pl; p++) {
    gmax = PetscMax(gmax, PetscAbsReal(g[0][p]));
    dmax = PetscMax(dmax, PetscMax(PetscAbsReal(g[1][p] - g[0][p]), PetscAbsReal(g[2][p] - g[0][p])));
  }
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &gmax, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &dmax, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD));
  PetscCall(BenchJSONReal(j, "t_class_create", tc));
  PetscCall(BenchJSONReal(j, "grad_max", gmax));
  PetscCall(BenchJSONReal(j, "grad_rel_diff", gmax > 0 ? dmax / gmax : dmax));
  PetscCall(BenchJSONReal(j, "loss_class", loss[1]));
  PetscCall(BenchJSONInt(j, "nclasses", nclasses));
  PetscCall(BenchJSONInt(j, "ndead", ndead));
  PetscCall(SLClassEvalDestroy(&ce));
  PetscCall(PetscFree4(g[0], g[1], g[2], r));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  BenchOptions o;
  SLNetwork    net;
  SLData       data;
  SLModel      model;
  BenchJSON    j;
  PetscInt     P;
  PetscReal   *r, loss, mem_max, mem_sum;
  PetscMPIInt  size;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, "splinelens benchmark driver (bench/README.md)"));
  PetscCall(PetscLogDefaultBegin()); /* the library's events give the time split (HVPs vs counts) */
  PetscCall(BenchGetOptions(&o));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(BenchSetUp(&o, &net, &data));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc1(o.N, &r));
  PetscCall(SLNetworkResidual(net, data, r));
  PetscCall(SLLossFromResidual(SL_LOSS_SUM, o.N, r, &loss));
  if (o.dump) PetscCall(BenchDump(&o, net, data));
  model.coords = SL_COORD_NN;
  model.net    = net;
  model.sp     = NULL;

  PetscCall(BenchJSONOpen(PETSC_COMM_WORLD, &j));
  PetscCall(BenchJSONString(&j, "mode", BenchModes[o.mode]));
  PetscCall(BenchJSONString(&j, "point", BenchPoints[o.point]));
  PetscCall(BenchJSONInt(&j, "H", o.H));
  PetscCall(BenchJSONInt(&j, "N", o.N));
  PetscCall(BenchJSONInt(&j, "P", P));
  PetscCall(BenchJSONInt(&j, "seed", o.seed));
  PetscCall(BenchJSONInt(&j, "ranks", size));
  PetscCall(BenchJSONReal(&j, "loss", loss));
  if (o.mode == BENCH_HIST) PetscCall(BenchHist(&o, model, data, &j));
  else if (o.mode == BENCH_GRAD) PetscCall(BenchGrad(&o, net, data, &j));
  else PetscCall(BenchSolve(&o, model, data, P, &j));
  PetscCall(BenchPeakMemory(PETSC_COMM_WORLD, &mem_max, &mem_sum));
  PetscCall(BenchJSONReal(&j, "mem_mib_max_rank", mem_max));
  PetscCall(BenchJSONReal(&j, "mem_mib_sum", mem_sum));
  PetscCall(BenchJSONClose(&j));

  PetscCall(PetscFree(r));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscCall(SlepcFinalize());
  return 0;
}
