/* Very wide networks at initialization (docs/theory.md section 4): the spectrum module's k extremes at both ends,
 * negative / zero / positive counts and exact histogram for a width-H network (lecun_normal by default, options
 * -sl_init_*) on N sine points on a grid of [-1, 1], full Hessian of the sum loss. Prints the wall time of each
 * phase and the peak resident memory summed over ranks (getrusage), and checks what can be checked at any width:
 * the histogram sums to P and agrees with the counts, n_neg <= n_bound, the extremes are ascending with small
 * residuals, and a second solve on a fresh solver gives bitwise the same numbers.
 * Options: -H (default 10000), -N (64), -coords nn|bdso, -part full|gauss_newton|residual, -interp (targets
 * f_0(x): r = 0), -check_direct m (re-count m + 1 histogram edges with the former O(P N^2) count, the oracle of
 * hessian_inertia_direct.c), and any -sl_eig_* option (defaults: -sl_eig_nev 10, -sl_eig_hist_bins 200). */
#include <sys/resource.h>
#include <slepcsys.h>
#include <splinelens/init.h>
#include <splinelens/spectrum.h>
#include "count_direct.h"

#define WCHECK(cond, ...) PetscCheck(cond, PETSC_COMM_WORLD, PETSC_ERR_PLIB, __VA_ARGS__)

static PetscErrorCode DefaultOption(const char name[], const char value[])
{
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasName(NULL, NULL, name, &set));
  if (!set) PetscCall(PetscOptionsSetValue(NULL, name, value));
  PetscFunctionReturn(0);
}

static PetscErrorCode PeakMemory(PetscReal *mb)
{
  struct rusage ru;
  PetscReal     loc;

  PetscFunctionBeginUser;
  getrusage(RUSAGE_SELF, &ru);
  loc = (PetscReal)ru.ru_maxrss / 1024.0; /* kB on Linux */
  PetscCall(MPIU_Allreduce(&loc, mb, 1, MPIU_REAL, MPIU_SUM, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt         H = 10000, N = 64, coords = SL_COORD_NN, part = SL_HESS_FULL, sum = 0, ndirect = 0;
  PetscBool        interp = PETSC_FALSE;
  SLNetwork        net;
  SLData           data;
  SLInitParams     ip;
  SLModel          model = {SL_COORD_NN, NULL, NULL};
  SLSpectrumSolver s;
  PetscBool        vectors; /* -sl_eig_vectors */
  SLSpectrum       spec, again;
  PetscLogDouble   t0, t1, t2, t3;
  PetscReal        mb, rmax = 0, scale;
  PetscMPIInt      size;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-H", &H, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-N", &N, NULL));
  PetscCall(PetscOptionsGetEList(NULL, NULL, "-coords", SLCoordinateNames, 2, &coords, NULL));
  PetscCall(PetscOptionsGetEList(NULL, NULL, "-part", SLHessianParts, 3, &part, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-interp", &interp, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-check_direct", &ndirect, NULL));
  PetscCall(DefaultOption("-sl_eig_nev", "10"));
  PetscCall(DefaultOption("-sl_eig_hist_bins", "200"));
  PetscCall(DefaultOption("-sl_eig_dense_max", "0"));

  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t0 = MPI_Wtime();
  PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, H, PETSC_FALSE, &net));
  PetscCall(SLInitParamsSetDefaults(&ip));
  PetscCall(SLInitParamsSetFromOptions(&ip, "sl_init_"));
  PetscCall(SLNetworkInitialize(net, &ip));
  PetscCall(SLDataCreate("wide", &data));
  PetscCall(SLDataGenerate(data, SL_DATA_SINE, N, -1.0, 1.0, 0.0, 0));
  if (interp) PetscCall(SLNetworkEvaluate(net, N, data->x, data->y));
  model.coords = (SLCoordinates)coords;
  model.net    = net;
  if (coords == SL_COORD_BDSO) PetscCall(SLSplineCreateFromNetwork(net, &model.sp));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t1 = MPI_Wtime();

  PetscCall(SLSpectrumSolverCreate(PETSC_COMM_WORLD, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  PetscCall(SLSpectrumSolverGetVectors(s, &vectors));
  PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, (SLHessianPart)part, interp, vectors, &spec));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t2 = MPI_Wtime();
  PetscCall(PeakMemory(&mb));

  /* checks that hold at any width */
  scale = PetscMax(PetscAbsReal(spec.lambda_min), PetscAbsReal(spec.lambda_max));
  WCHECK(spec.nconv == spec.nvals, "%" PetscInt_FMT " of %" PetscInt_FMT " extremes", spec.nconv, spec.nvals);
  for (PetscInt j = 0; j < spec.nvals; j++) {
    WCHECK(j == 0 || spec.values[j] >= spec.values[j - 1], "extremes not ascending at %" PetscInt_FMT, j);
    if (!PetscIsNanReal(spec.residuals[j])) rmax = PetscMax(rmax, spec.residuals[j]);
  }
  WCHECK(rmax <= 1e-8 * scale, "largest residual %g (scale %g)", (double)rmax, (double)scale);
  for (PetscInt b = 0; b < spec.nbins; b++) sum += spec.hist_counts[b];
  WCHECK(sum == spec.P && spec.n_neg + spec.n_zero + spec.n_pos == spec.P, "histogram sum %" PetscInt_FMT ", counts %" PetscInt_FMT "+%" PetscInt_FMT "+%" PetscInt_FMT ", P %" PetscInt_FMT, sum, spec.n_neg, spec.n_zero, spec.n_pos, spec.P);
  WCHECK(spec.check_neg == 1 && spec.n_neg <= spec.n_bound, "n_neg %" PetscInt_FMT " > bound %" PetscInt_FMT, spec.n_neg, spec.n_bound);
  if (interp) WCHECK(spec.ngram == N && spec.check_zero == 1, "interpolating: ngram %" PetscInt_FMT ", check_zero %" PetscInt_FMT, spec.ngram, spec.check_zero);

  /* histogram edges re-counted with the O(P N^2) oracle */
  if (ndirect > 0 && spec.nbins > 0) {
    PetscInt cum = 0;

    for (PetscInt b = 0; b <= spec.nbins; b++) {
      if (b % PetscMax(1, spec.nbins / ndirect) == 0 || b == spec.nbins) {
        PetscInt  cd;
        PetscBool ok;

        PetscCall(SLHessianCountBelowDirect(model, data, SL_LOSS_SUM, (SLHessianPart)part, spec.hist_edges[b], &cd, &ok));
        WCHECK(ok && cd == cum, "edge %" PetscInt_FMT " (%.17g): histogram %" PetscInt_FMT " below, direct count %" PetscInt_FMT, b, (double)spec.hist_edges[b], cum, cd);
      }
      if (b < spec.nbins) cum += spec.hist_counts[b];
    }
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  histogram edges agree with the O(P N^2) direct count\n"));
  }

  /* a second solve gives bitwise the same numbers */
  t3 = MPI_Wtime();
  PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, (SLHessianPart)part, interp, vectors, &again));
  t3 = MPI_Wtime() - t3;
  WCHECK(again.n_neg == spec.n_neg && again.n_zero == spec.n_zero && again.nbins == spec.nbins, "second solve: different counts");
  for (PetscInt j = 0; j < spec.nvals; j++) WCHECK(again.values[j] == spec.values[j], "second solve: value %" PetscInt_FMT " differs", j);
  for (PetscInt b = 0; b < spec.nbins; b++) WCHECK(again.hist_counts[b] == spec.hist_counts[b] && again.hist_edges[b] == spec.hist_edges[b], "second solve: bin %" PetscInt_FMT " differs", b);

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "spectrum_wide: H = %" PetscInt_FMT " (P = %" PetscInt_FMT "), N = %" PetscInt_FMT ", %s %s, %d ranks\n", H, spec.P, N, SLCoordinateNames[coords], SLHessianParts[part], size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  setup %.3f s, spectrum %.3f s (again %.3f s), peak memory %.1f MB (all ranks)\n", t1 - t0, t2 - t1, (double)t3, (double)mb));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  method %s, reduced problem %" PetscInt_FMT ", neg/zero/pos %" PetscInt_FMT "/%" PetscInt_FMT "/%" PetscInt_FMT " (bound %" PetscInt_FMT "), lambda in [%.10g, %.10g], max residual %.2e\n", SLEigMethods[spec.method],
                        spec.nreduced, spec.n_neg, spec.n_zero, spec.n_pos, spec.n_bound, (double)spec.lambda_min, (double)spec.lambda_max, (double)rmax));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  smallest:"));
  for (PetscInt j = 0; j < PetscMin(spec.nvals, 10); j++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %.6g", (double)spec.values[j]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n  largest: "));
  for (PetscInt j = PetscMax(0, spec.nvals - 10); j < spec.nvals; j++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %.6g", (double)spec.values[j]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n"));
  PetscCall(SLSpectrumReset(&spec));
  PetscCall(SLSpectrumReset(&again));
  PetscCall(SLSpectrumSolverDestroy(&s));
  PetscCall(SLSplineDestroy(&model.sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscCall(SlepcFinalize());
  return 0;
}
