/* docs/theory.md sections 2 and 6 (claim 9): gradient flow conserves q_i = v_i^2 - w_i^2 - b_i^2 for every neuron.
 * The adaptive flow with tight tolerances keeps the drift tiny; gradient descent drifts by O(lr^2) per step,
 * O(lr) over a fixed time, so halving lr must roughly halve the drift.
 * The network is in the lazy regime (|w| ~ 5, |v| <= 0.1): breakpoints do not reach data points within the
 * horizon, so the adaptive integrator does not have to resolve a breakpoint sliding along a data point (where
 * the RHS is discontinuous and the step size collapses to ~ tolerance / jump). */
#include "test_train_common.h"

int main(int argc, char **argv)
{
  SLData         data;
  SLNetwork      net;
  SLTrainResult  res;
  PetscReal     *th0, *th1, drift_gd[2], dmove = 0;
  const PetscInt H = 12;
  PetscInt       P;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TTSine(10, &data));
  PetscCall(TTNetwork(PETSC_COMM_SELF, H, PETSC_FALSE, 7, 5.0, 0.1, &net));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc2(P, &th0, P, &th1));
  PetscCall(SLNetworkGatherParameters(net, th0));

  /* adaptive RK (default 3bs), rtol = atol = 1e-10 */
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_rtol 1e-10 -sl_train_atol 1e-10 -sl_train_max_time 5", net, data, &res));
  PetscCall(SLNetworkGatherParameters(net, th1));
  for (PetscInt p = 0; p < P; p++) dmove = PetscMax(dmove, PetscAbsReal(th1[p] - th0[p]));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "RK: reason %s, steps %" PetscInt_FMT ", loss %g -> %g, max |dtheta| %g, q drift %g\n", SLStopReasons[res.reason], res.steps, (double)res.init_loss, (double)res.final_loss, (double)dmove, (double)res.q_drift));
  TCHECK(!res.failed && (res.reason == SL_STOP_MAX_TIME || res.reason == SL_STOP_LOSS_TOL), "RK run ended with %s: %s", SLStopReasons[res.reason], res.message);
  /* the flow must really move the parameters, or conservation is trivial */
  TCHECK(res.final_loss < 0.5 * res.init_loss && dmove > 0.05, "RK run barely moved (loss %g -> %g, max |dtheta| %g)", (double)res.init_loss, (double)res.final_loss, (double)dmove);
  TCHECK(res.q_drift <= 1e-6, "RK q drift %g > 1e-6", (double)res.q_drift);
  TCHECK(PetscAbsReal(res.q_drift - TTQDrift(H, th0, th1)) <= 1e-12, "reported q drift %g differs from recomputed %g", (double)res.q_drift, (double)TTQDrift(H, th0, th1));
  PetscCall(SLTrainResultReset(&res));

  /* gradient descent over the same time T = 5 with lr and lr/2 (lr well inside the stability limit) */
  for (int k = 0; k < 2; k++) {
    PetscCall(SLNetworkSetParameters(net, th0));
    PetscCall(TTTrain(k == 0 ? "-sl_train_gd -sl_train_lr 1.25e-3 -sl_train_max_time 5" : "-sl_train_gd -sl_train_lr 6.25e-4 -sl_train_max_time 5", net, data, &res));
    PetscCall(SLNetworkGatherParameters(net, th1));
    TCHECK(!res.failed && res.reason == SL_STOP_MAX_TIME, "GD run %d ended with %s: %s", k, SLStopReasons[res.reason], res.message);
    TCHECK(res.steps == (k == 0 ? 4000 : 8000), "GD run %d took %" PetscInt_FMT " steps", k, res.steps);
    drift_gd[k] = res.q_drift;
    TCHECK(PetscAbsReal(res.q_drift - TTQDrift(H, th0, th1)) <= 1e-12, "reported GD q drift %g differs from recomputed %g", (double)res.q_drift, (double)TTQDrift(H, th0, th1));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "GD lr %g: loss %g -> %g, q drift %g\n", k == 0 ? 1.25e-3 : 6.25e-4, (double)res.init_loss, (double)res.final_loss, (double)res.q_drift));
    PetscCall(SLTrainResultReset(&res));
  }
  TCHECK(drift_gd[1] > 1e-6, "GD drift %g is implausibly small", (double)drift_gd[1]);
  TCHECK(drift_gd[0] / drift_gd[1] >= 1.5 && drift_gd[0] / drift_gd[1] <= 3.0, "GD drift ratio lr/(lr/2) = %g, expected ~2 (O(lr) over a fixed time)", (double)(drift_gd[0] / drift_gd[1]));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "GD drift ratio %g\n", (double)(drift_gd[0] / drift_gd[1])));

  PetscCall(PetscFree2(th0, th1));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscCall(PetscFinalize());
  return 0;
}
