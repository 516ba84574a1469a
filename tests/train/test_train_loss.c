/* docs/theory.md section 5: along the gradient flow the loss decreases monotonically; gradient descent is exactly
 * forward Euler on it (checked bitwise against a hand-written loop); one-rank runs are bitwise reproducible. */
#include "test_train_common.h"

int main(int argc, char **argv)
{
  SLData          data;
  SLNetwork       net;
  SLTrainResult   res, res2;
  PetscReal      *th0, *th, *g, *hand_loss, *thA;
  const PetscInt  H = 12, nsteps = 10;
  const PetscReal lr = 1e-2;
  PetscInt        P;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TTSine(10, &data));

  /* 1. adaptive gradient flow (defaults but max_time 20): monotone loss curve, bitwise reproducible */
  PetscCall(TTNetwork(PETSC_COMM_SELF, H, PETSC_TRUE, 11, 5.0, 0.1, &net));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc5(P, &th0, P, &th, P, &g, nsteps + 1, &hand_loss, P, &thA));
  PetscCall(SLNetworkGetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_max_time 20", net, data, &res));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "RK: %s, %" PetscInt_FMT " steps, loss %g -> %g\n", SLStopReasons[res.reason], res.steps, (double)res.init_loss, (double)res.final_loss));
  TCHECK(res.reason == SL_STOP_MAX_TIME && !res.failed && res.ncurve == res.M && res.nsnap == res.K, "RK run: %s (%s), %" PetscInt_FMT "/%" PetscInt_FMT " curve points", SLStopReasons[res.reason], res.message, res.ncurve, res.M);
  TCHECK(res.final_time == 20.0, "final time %.17g != 20", (double)res.final_time);
  TCHECK(res.curve_loss[0] == res.init_loss && res.curve_loss[res.M - 1] == res.final_loss, "curve end points differ from init/final loss");
  for (PetscInt j = 1; j < res.M; j++)
    TCHECK(res.curve_loss[j] <= res.curve_loss[j - 1], "loss increased between t = %g (%.17g) and t = %g (%.17g)", (double)res.curve_time[j - 1], (double)res.curve_loss[j - 1], (double)res.curve_time[j], (double)res.curve_loss[j]);
  TCHECK(res.final_loss < 1e-2 * res.init_loss, "final loss %g not well below initial %g", (double)res.final_loss, (double)res.init_loss);
  PetscCall(SLNetworkGetParameters(net, thA));
  PetscCall(SLNetworkSetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_max_time 20", net, data, &res2));
  PetscCall(SLNetworkGetParameters(net, th));
  TCHECK(res2.steps == res.steps && !memcmp(th, thA, P * sizeof(PetscReal)), "a second identical run differs (steps %" PetscInt_FMT " vs %" PetscInt_FMT ")", res2.steps, res.steps);
  TCHECK(!memcmp(res.curve_loss, res2.curve_loss, res.M * sizeof(PetscReal)) && !memcmp(res.snap_theta, res2.snap_theta, res.K * P * sizeof(PetscReal)), "a second identical run has different outputs");
  PetscCall(SLTrainResultReset(&res));
  PetscCall(SLTrainResultReset(&res2));
  PetscCall(SLNetworkDestroy(&net));

  /* 2. GD with lr = 1e-2 for 10 steps (max_time 0.1) == theta <- theta - lr grad l by hand, bitwise; rich regime */
  PetscCall(TTNetwork(PETSC_COMM_SELF, H, PETSC_TRUE, 12, 1.0, 0.5, &net));
  PetscCall(SLNetworkGetParameters(net, th0));
  PetscCall(PetscArraycpy(th, th0, P));
  {
    /* the hand loop evaluates through the activation classes, as the trainer does (bitwise); the direct O(H N)
     * kernel at every step agrees to rounding: loss relative 1e-13, gradient 1e-13 of its largest entry */
    SLNetwork   hand;
    SLClassEval ce;
    PetscReal  *gd, ld;

    PetscCall(PetscMalloc1(P, &gd));
    PetscCall(SLNetworkDuplicate(net, &hand));
    PetscCall(SLClassEvalCreate(hand, data, &ce));
    for (PetscInt k = 0; k <= nsteps; k++) {
      PetscReal gmax = 0, dmax = 0;

      PetscCall(SLClassEvalUpdate(ce, th, NULL));
      PetscCall(SLClassEvalLossGradient(ce, SL_LOSS_SUM, &hand_loss[k], g, NULL));
      PetscCall(SLNetworkLossGradient(hand, data, SL_LOSS_SUM, &ld, gd, NULL));
      for (PetscInt p = 0; p < P; p++) {
        gmax = PetscMax(gmax, PetscAbsReal(gd[p]));
        dmax = PetscMax(dmax, PetscAbsReal(gd[p] - g[p]));
      }
      TCHECK(PetscAbsReal(ld - hand_loss[k]) <= 1e-13 * ld && dmax <= 1e-13 * gmax, "step %" PetscInt_FMT ": class loss %.17g vs direct %.17g, gradient difference %g of %g", k, (double)hand_loss[k], (double)ld, (double)dmax, (double)gmax);
      if (k < nsteps)
        for (PetscInt p = 0; p < P; p++) th[p] = th[p] - lr * g[p];
    }
    PetscCall(SLClassEvalDestroy(&ce));
    PetscCall(SLNetworkDestroy(&hand));
    PetscCall(PetscFree(gd));
  }
  PetscCall(TTTrain("-sl_train_gd -sl_train_lr 1e-2 -sl_train_max_time 0.1", net, data, &res));
  PetscCall(SLNetworkGetParameters(net, thA));
  TCHECK(res.reason == SL_STOP_MAX_TIME && res.steps == nsteps, "GD: %s after %" PetscInt_FMT " steps, expected max_time after %" PetscInt_FMT, SLStopReasons[res.reason], res.steps, nsteps);
  for (PetscInt p = 0; p < P; p++) TCHECK(thA[p] == th[p], "GD parameter %" PetscInt_FMT " = %.17g, hand Euler %.17g", p, (double)thA[p], (double)th[p]);
  TCHECK(res.final_loss == hand_loss[nsteps] && res.init_loss == hand_loss[0], "GD losses differ from the hand loop");
  for (PetscInt j = 0; j < res.M; j++) {
    const PetscInt n = (PetscInt)PetscFloorReal(res.curve_time[j] / lr + 0.5);

    TCHECK(res.curve_time[j] == (PetscReal)n * lr && n >= 0 && n <= nsteps, "GD curve time %g is not a whole number of steps", (double)res.curve_time[j]);
    TCHECK(res.curve_loss[j] == hand_loss[n], "GD curve loss at step %" PetscInt_FMT ": %.17g, hand %.17g", n, (double)res.curve_loss[j], (double)hand_loss[n]);
  }
  for (PetscInt k = 0; k < nsteps; k++) TCHECK(hand_loss[k + 1] < hand_loss[k], "GD loss increased at step %" PetscInt_FMT " (lr too large for this check)", k);
  PetscCall(SLTrainResultReset(&res));

  PetscCall(PetscFree5(th0, th, g, hand_loss, thA));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscCall(PetscFinalize());
  return 0;
}
