/* Stop conditions of SLTrainerTrain: loss tolerance (interpolation of the four-point data set by a wide
 * network), divergence of gradient descent with a huge step (a failed run that returns normally), the step
 * budget, the interrupt flag, and the NaN entries after an early stop. */
#include "test_train_common.h"

static PetscErrorCode CheckTail(const SLTrainResult *res, PetscInt Plocal)
{
  PetscFunctionBeginUser;
  TCHECK(res->ncurve >= 1 && res->ncurve <= res->M && res->nsnap >= 1 && res->nsnap <= res->K, "ncurve %" PetscInt_FMT ", nsnap %" PetscInt_FMT " out of range", res->ncurve, res->nsnap);
  for (PetscInt j = 0; j < res->M; j++) TCHECK((j < res->ncurve) == !PetscIsNanReal(res->curve_loss[j]), "curve entry %" PetscInt_FMT " (ncurve %" PetscInt_FMT "): loss %g", j, res->ncurve, (double)res->curve_loss[j]);
  for (PetscInt k = 0; k < res->K; k++) {
    TCHECK((k < res->nsnap) == !PetscIsNanReal(res->snap_loss[k]), "snapshot %" PetscInt_FMT " (nsnap %" PetscInt_FMT "): loss %g", k, res->nsnap, (double)res->snap_loss[k]);
    for (PetscInt p = 0; p < Plocal; p++) TCHECK((k < res->nsnap) == !PetscIsNanReal(res->snap_theta[k * Plocal + p]), "snapshot %" PetscInt_FMT " parameter %" PetscInt_FMT " is %g", k, p, (double)res->snap_theta[k * Plocal + p]);
  }
  /* every valid curve point lies at or before the stop */
  TCHECK(res->curve_time[res->ncurve - 1] <= res->final_time, "valid curve time %g after the final time %g", (double)res->curve_time[res->ncurve - 1], (double)res->final_time);
  if (res->ncurve < res->M) TCHECK(res->curve_time[res->ncurve] > res->final_time, "curve time %g not reached but final time is %g", (double)res->curve_time[res->ncurve], (double)res->final_time);
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  SLData        four, sine;
  SLNetwork     net;
  SLTrainResult res;
  PetscInt      P;
  PetscReal    *th0, *th;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(SLDataCreate("fourpoint", &four));
  PetscCall(SLDataGenerate(four, SL_DATA_FOURPOINT, 4, -1.0, 1.0, 0.0, 0));
  PetscCall(TTSine(10, &sine));

  /* 1. a width-32 lazy network (|w| ~ 8) interpolates the four points: the run stops at loss <= loss_tol */
  PetscCall(TTNetwork(PETSC_COMM_SELF, 32, PETSC_FALSE, 2, 8.0, 0.1, &net));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc2(P, &th0, P, &th));
  PetscCall(SLNetworkGetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_max_time 1000", net, four, &res));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "fourpoint: %s (%s), %" PetscInt_FMT " steps, t = %g\n", SLStopReasons[res.reason], res.message, res.steps, (double)res.final_time));
  TCHECK(res.reason == SL_STOP_LOSS_TOL && !res.failed, "fourpoint run: %s (%s)", SLStopReasons[res.reason], res.message);
  TCHECK(res.final_loss <= 1e-12 && res.final_time < 1000 && res.ncurve < res.M, "loss_tol stop: loss %g at t = %g, %" PetscInt_FMT " curve points", (double)res.final_loss, (double)res.final_time, res.ncurve);
  {
    PetscReal loss, direct, *thf; /* net holds the final parameters */

    PetscCall(PetscMalloc1(P, &thf));
    PetscCall(SLNetworkGetParameters(net, thf));
    PetscCall(TTLoss2(net, four, SL_LOSS_SUM, thf, &loss, &direct));
    PetscCall(PetscFree(thf));
    TCHECK(loss == res.final_loss, "loss of the returned network %.17g != final loss %.17g", (double)loss, (double)res.final_loss);
    TCHECK(direct <= 1e-12, "direct-kernel loss of the returned network %.17g > loss_tol", (double)direct);
  }
  PetscCall(CheckTail(&res, P));
  PetscCall(SLTrainResultReset(&res));
  TCHECK(res.snap_theta == NULL && res.curve_loss == NULL && res.reason == SL_STOP_NONE, "SLTrainResultReset left data behind");

  /* 2. gradient descent with a huge step diverges: a failed run, reported, not an error */
  PetscCall(SLNetworkSetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_gd -sl_train_lr 100", net, sine, &res));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "lr 100: %s (%s) after %" PetscInt_FMT " steps\n", SLStopReasons[res.reason], res.message, res.steps));
  TCHECK(res.failed && (res.reason == SL_STOP_DIVERGED || res.reason == SL_STOP_NAN), "huge-lr GD: %s, failed %d", SLStopReasons[res.reason], (int)res.failed);
  TCHECK(res.steps >= 1 && res.steps < 100, "huge-lr GD stopped after %" PetscInt_FMT " steps", res.steps);
  PetscCall(CheckTail(&res, P));
  PetscCall(SLTrainResultReset(&res));

  /* 3. the step budget, adaptive and GD */
  PetscCall(SLNetworkSetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_max_steps 5", net, sine, &res));
  TCHECK(res.reason == SL_STOP_MAX_STEPS && !res.failed && res.steps == 5, "RK max_steps: %s after %" PetscInt_FMT " steps", SLStopReasons[res.reason], res.steps);
  PetscCall(CheckTail(&res, P));
  PetscCall(SLTrainResultReset(&res));
  PetscCall(SLNetworkSetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_gd -sl_train_lr 1e-3 -sl_train_max_steps 7", net, sine, &res));
  TCHECK(res.reason == SL_STOP_MAX_STEPS && !res.failed && res.steps == 7 && res.final_time == 7 * 1e-3, "GD max_steps: %s after %" PetscInt_FMT " steps, t = %.17g", SLStopReasons[res.reason], res.steps, (double)res.final_time);
  PetscCall(CheckTail(&res, P));
  PetscCall(SLTrainResultReset(&res));

  /* 4. the interrupt flag: polled after every step, the run stops after the first one (not a failure) */
  {
    volatile sig_atomic_t flag = 1;
    PetscOptions          o;
    SLTrainer             tr;

    PetscCall(SLNetworkSetParameters(net, th0));
    PetscCall(PetscOptionsCreate(&o));
    PetscCall(PetscOptionsPush(o));
    PetscCall(SLTrainerCreate(PETSC_COMM_SELF, &tr));
    PetscCall(SLTrainerSetOptionsPrefix(tr, "sl_train_"));
    PetscCall(SLTrainerSetFromOptions(tr));
    PetscCall(SLTrainerSetInterruptFlag(tr, &flag));
    PetscCall(SLTrainerTrain(tr, net, sine, &res));
    TCHECK(res.reason == SL_STOP_INTERRUPTED && !res.failed && res.steps <= 1, "interrupt: %s after %" PetscInt_FMT " steps", SLStopReasons[res.reason], res.steps);
    PetscCall(CheckTail(&res, P));
    PetscCall(SLTrainResultReset(&res));
    PetscCall(SLTrainerDestroy(&tr));
    PetscCall(PetscOptionsPop());
    PetscCall(PetscOptionsDestroy(&o));
  }

  /* 5. a NaN parameter: failed at once with NAN, nothing recorded */
  PetscCall(PetscArraycpy(th, th0, P));
  th[4] = (PetscReal)NAN;
  PetscCall(SLNetworkSetParameters(net, th));
  PetscCall(TTTrain("-sl_train_conservative 0", net, sine, &res));
  TCHECK(res.reason == SL_STOP_NAN && res.failed && res.steps == 0 && res.ncurve == 0 && res.nsnap == 0, "NaN start: %s, %" PetscInt_FMT " steps, ncurve %" PetscInt_FMT, SLStopReasons[res.reason], res.steps, res.ncurve);
  PetscCall(SLTrainResultReset(&res));

  /* 6. mean loss: the trainer reports it and the initial loss is the sum loss / N */
  {
    PetscReal sum;

    PetscCall(SLNetworkSetParameters(net, th0));
    PetscCall(SLNetworkLossGradient(net, sine, SL_LOSS_SUM, &sum, NULL, NULL));
    PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_loss mean -sl_train_max_steps 3", net, sine, &res));
    TCHECK(PetscAbsReal(res.init_loss - sum / sine->N) <= 1e-14 * sum, "mean initial loss %.17g, sum/N %.17g", (double)res.init_loss, (double)(sum / sine->N));
    PetscCall(SLTrainResultReset(&res));
  }

  PetscCall(PetscFree2(th0, th));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&four));
  PetscCall(SLDataDestroy(&sine));
  PetscCall(PetscFinalize());
  return 0;
}
