/* The stationarity stop (docs/theory.md section 4.8): a run whose gradient has fallen to
 * -sl_train_grad_rtol times its initial norm ends `stationary`, finished and not failed, long before its horizon.
 * An under-parametrized network (H = 2, output bias) cannot interpolate 10 samples of sin(pi x): gradient flow
 * ends at a non-interpolating critical point. Checked for the default integrator, the implicit midpoint rule and
 * gradient descent; with -sl_train_grad_rtol 0 the same run must not stop stationary. The stored gradient norms
 * are compared with a fresh evaluation of the returned network. With "mpi" (2 ranks) the results must be bitwise
 * those of one rank (the norm is a fixed-order block reduction). */
#include "test_train_common.h"

/* ||grad l|| of net (collective; gathered and summed in global parameter order, independent of the trainer) */
static PetscErrorCode GradNorm(SLNetwork net, SLData data, PetscReal *gn)
{
  PetscInt     P, Plocal;
  PetscReal   *g, *gall, s = 0;
  PetscMPIInt  size;
  PetscMPIInt *counts, *displs, n;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCallMPI(MPI_Comm_size(net->comm, &size));
  PetscCall(PetscMalloc4(PetscMax(1, Plocal), &g, P, &gall, size, &counts, size, &displs));
  PetscCall(SLNetworkLossGradient(net, data, SL_LOSS_SUM, NULL, g, NULL));
  PetscCall(PetscMPIIntCast(Plocal, &n));
  PetscCallMPI(MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, net->comm));
  displs[0] = 0;
  for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  PetscCallMPI(MPI_Allgatherv(g, n, MPIU_REAL, gall, counts, displs, MPIU_REAL, net->comm));
  for (PetscInt p = 0; p < P; p++) s += gall[p] * gall[p];
  *gn = PetscSqrtReal(s);
  PetscCall(PetscFree4(g, gall, counts, displs));
  PetscFunctionReturn(0);
}

typedef struct {
  const char *name, *opts;
  PetscReal   rtol;   /* its -sl_train_grad_rtol                                              */
  PetscBool   strict; /* an end state: continuing without the stop must not change the loss */
} Case;

int main(int argc, char **argv)
{
  SLData        sine;
  SLNetwork     net;
  SLTrainResult res;
  PetscInt      P, Plocal;
  PetscReal    *th0;
  PetscBool     mpi  = PETSC_FALSE;
  PetscInt      seed = 2, c0 = 0;
  PetscMPIInt   rank;
  /* the implicit midpoint rule follows the sliding kinks of the H = 2 fit exactly and reaches the critical
   * point; explicit RK and GD chatter across them (O(step) from it), so they are tested with a loose rtol */
  const Case cases[] = {
    {"conservative", "-sl_train_conservative -sl_train_max_time 1e6 -sl_train_grad_rtol 1e-6",                                    1e-6, PETSC_TRUE },
    {"rk",           "-sl_train_conservative 0 -sl_train_max_time 1e6 -sl_train_grad_rtol 0.2",                                   0.2,  PETSC_FALSE},
    {"gd",           "-sl_train_gd -sl_train_lr 0.05 -sl_train_max_time 1e6 -sl_train_max_steps 1000000 -sl_train_grad_rtol 0.1", 0.1,  PETSC_FALSE},
  };
  PetscReal out[3][4]; /* per case: final time, final loss, init and final gradient norm */

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (int a = 1; a < argc; a++)
    if (!strcmp(argv[a], "mpi")) mpi = PETSC_TRUE;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(TTSine(10, &sine));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-seed", &seed, NULL));
  PetscCall(TTNetwork(mpi ? PETSC_COMM_WORLD : PETSC_COMM_SELF, 2, PETSC_TRUE, (uint64_t)seed, 1.0, 1.0, &net));
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  PetscCall(PetscMalloc1(PetscMax(1, Plocal), &th0));
  PetscCall(SLNetworkGetParameters(net, th0));

  PetscCall(PetscOptionsGetInt(NULL, NULL, "-case", &c0, NULL));
  for (int c = (int)c0; c < 3; c++) {
    PetscReal gn0, gn1, rtol = cases[c].rtol;

    PetscCall(SLNetworkSetParameters(net, th0));
    PetscCall(GradNorm(net, sine, &gn0));
    PetscCall(TTTrain(cases[c].opts, net, sine, &res));
    PetscCall(GradNorm(net, sine, &gn1));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: %s (%s), %" PetscInt_FMT " steps, t = %g, loss %g, |g| %g -> %g\n", cases[c].name, SLStopReasons[res.reason], res.message, res.steps, (double)res.final_time, (double)res.final_loss, (double)res.init_grad_norm,
                          (double)res.final_grad_norm));
    TCHECK(res.reason == SL_STOP_STATIONARY && !res.failed, "%s: stopped %s (%s), expected stationary", cases[c].name, SLStopReasons[res.reason], res.message);
    TCHECK(res.final_time < 1e4, "%s: stationary only at t = %g, not well before max_time 1e6", cases[c].name, (double)res.final_time);
    if (cases[c].strict) TCHECK(res.final_loss > 1e-3, "%s: loss %g: H = 2 should not interpolate 10 sine samples", cases[c].name, (double)res.final_loss);
    TCHECK(PetscAbsReal(res.init_grad_norm - gn0) <= 1e-12 * gn0, "%s: stored initial |g| %.17g, recomputed %.17g", cases[c].name, (double)res.init_grad_norm, (double)gn0);
    /* the measure is ||grad l|| except on kinks, where it is the smallest generalized gradient: never larger */
    TCHECK(res.final_grad_norm <= gn1 * (1 + 1e-12), "%s: stored final measure %.17g > |grad l| %.17g of the returned network", cases[c].name, (double)res.final_grad_norm, (double)gn1);
    TCHECK(res.final_grad_norm <= rtol * res.init_grad_norm, "%s: final |g| %g > grad_rtol %g x %g", cases[c].name, (double)res.final_grad_norm, (double)rtol, (double)res.init_grad_norm);
    out[c][0] = res.final_time;
    out[c][1] = res.final_loss;
    out[c][2] = res.init_grad_norm;
    out[c][3] = res.final_grad_norm;
    PetscCall(SLTrainResultReset(&res));

    /* the same run without the stop runs on to its horizon (twice the stationary time); one rank only (past a
     * sliding end state the last-bit differences of the distributed Newton/GMRES reductions grow) */
    if (!mpi) {
      char opts[256];

      PetscCall(SLNetworkSetParameters(net, th0));
      PetscCall(PetscSNPrintf(opts, sizeof(opts), "%s -sl_train_grad_rtol 0 -sl_train_max_time %.17g", cases[c].opts, 2 * (double)out[c][0]));
      PetscCall(TTTrain(opts, net, sine, &res));
      TCHECK(res.reason == SL_STOP_MAX_TIME && !res.failed, "%s, grad_rtol 0: stopped %s (%s), expected max_time", cases[c].name, SLStopReasons[res.reason], res.message);
      /* ... and the stationary state was an end state: the loss hardly moves in the extra time */
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s, grad_rtol 0, to t = %g: loss %.12g (stationary stop: %.12g)\n", cases[c].name, (double)res.final_time, (double)res.final_loss, (double)out[c][1]));
      if (cases[c].strict) TCHECK(PetscAbsReal(res.final_loss - out[c][1]) <= 1e-6 * out[c][1], "%s, grad_rtol 0: loss %.17g at t = %g, stationary stop at loss %.17g", cases[c].name, (double)res.final_loss, (double)res.final_time, (double)out[c][1]);
      PetscCall(SLTrainResultReset(&res));
    }
  }

  /* two ranks: GD bitwise as one rank (fixed-order sums only); the adaptive methods reduce their error and
   * Krylov norms in another order, so the same stop with close numbers */
  if (mpi) {
    for (int c = 0; c < 3; c++) {
      SLNetwork one;

      PetscCall(TTNetwork(PETSC_COMM_SELF, 2, PETSC_TRUE, (uint64_t)seed, 1.0, 1.0, &one));
      PetscCall(TTTrain(cases[c].opts, one, sine, &res));
      if (!strcmp(cases[c].name, "gd"))
        TCHECK(res.final_time == out[c][0] && res.final_loss == out[c][1] && res.init_grad_norm == out[c][2] && res.final_grad_norm == out[c][3], "%s: 1 rank (t %.17g, loss %.17g, |g| %.17g -> %.17g) != 2 ranks (%.17g, %.17g, %.17g -> %.17g)",
               cases[c].name, (double)res.final_time, (double)res.final_loss, (double)res.init_grad_norm, (double)res.final_grad_norm, (double)out[c][0], (double)out[c][1], (double)out[c][2], (double)out[c][3]);
      TCHECK(res.reason == SL_STOP_STATIONARY && res.init_grad_norm == out[c][2] && PetscAbsReal(res.final_loss - out[c][1]) <= 1e-6 * out[c][1], "%s: 1 rank %s loss %.17g, |g0| %.17g; 2 ranks loss %.17g, |g0| %.17g", cases[c].name, SLStopReasons[res.reason],
             (double)res.final_loss, (double)res.init_grad_norm, (double)out[c][1], (double)out[c][2]);
      PetscCall(SLTrainResultReset(&res));
      PetscCall(SLNetworkDestroy(&one));
    }
  }
  (void)rank;
  PetscCall(PetscFree(th0));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&sine));
  PetscCall(PetscFinalize());
  return 0;
}
