/* The output schedule of SLTrainerTrain (documented in src/train.c): curve times 0 then log-spaced from t0 to
 * max_time, snapshots at curve indices 0 and 1 + round((k-1)(M-2)/(K-2)); GD rounds times up to whole steps.
 * Snapshot losses must be the losses of the stored snapshot parameters. */
#include "test_train_common.h"

static PetscErrorCode CheckSnapshots(SLNetwork net, SLData data, SLLossType type, const SLTrainResult *res)
{
  PetscInt Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  for (PetscInt k = 0; k < res->nsnap; k++) {
    PetscReal loss;

    PetscCall(TTLoss(net, data, type, res->snap_theta + k * Plocal, &loss));
    TCHECK(loss == res->snap_loss[k], "snapshot %" PetscInt_FMT ": stored loss %.17g, loss of stored parameters %.17g", k, (double)res->snap_loss[k], (double)loss);
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  SLData          data;
  SLNetwork       net;
  SLTrainResult   res;
  PetscReal      *th0;
  PetscInt        P, K, M;
  const PetscInt  Kc = 5, Mc = 20;
  const PetscReal t0 = 1e-2, T = 10.0, lr = 1e-2, t0g = 1e-3, Tg = 1.0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TTSine(10, &data));
  PetscCall(TTNetwork(PETSC_COMM_SELF, 16, PETSC_TRUE, 5, 5.0, 0.1, &net));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscMalloc1(P, &th0));
  PetscCall(SLNetworkGetParameters(net, th0));

  /* defaults: K = 8, M = 64, and a positive cost estimate */
  {
    SLTrainer  tr;
    PetscReal  evals;
    SLLossType lt;

    PetscCall(SLTrainerCreate(PETSC_COMM_SELF, &tr));
    PetscCall(SLTrainerSetOptionsPrefix(tr, "sl_train_"));
    PetscCall(SLTrainerGetOutputSizes(tr, &K, &M));
    PetscCall(SLTrainerGetLossType(tr, &lt));
    TCHECK(K == 8 && M == 64 && lt == SL_LOSS_SUM, "defaults K = %" PetscInt_FMT ", M = %" PetscInt_FMT ", loss %s", K, M, SLLossTypes[lt]);
    PetscCall(SLTrainerGetCostEstimate(tr, &evals));
    TCHECK(evals > 100 && evals < 1e7, "RK cost estimate %g", (double)evals);
    PetscCall(SLTrainerView(tr, PETSC_VIEWER_STDOUT_SELF));
    PetscCall(SLTrainerDestroy(&tr));
  }

  /* adaptive run, K = 5, M = 20, t0 = 1e-2, T = 10 */
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_snapshots 5 -sl_train_curve 20 -sl_train_t0 1e-2 -sl_train_max_time 10", net, data, &res));
  TCHECK(res.K == Kc && res.M == Mc && res.ncurve == Mc && res.nsnap == Kc && res.reason == SL_STOP_MAX_TIME, "K %" PetscInt_FMT " M %" PetscInt_FMT " ncurve %" PetscInt_FMT " nsnap %" PetscInt_FMT " reason %s", res.K, res.M, res.ncurve, res.nsnap,
         SLStopReasons[res.reason]);
  TCHECK(res.curve_time[0] == 0 && res.curve_time[1] == t0 && res.curve_time[Mc - 1] == T, "curve end times %g %g %g", (double)res.curve_time[0], (double)res.curve_time[1], (double)res.curve_time[Mc - 1]);
  for (PetscInt j = 1; j < Mc; j++) {
    const PetscReal expect = t0 * PetscPowReal(T / t0, (PetscReal)(j - 1) / (Mc - 2));

    TCHECK(PetscAbsReal(res.curve_time[j] - expect) <= 1e-13 * expect, "curve time %" PetscInt_FMT " = %.17g, expected %.17g", j, (double)res.curve_time[j], (double)expect);
  }
  {
    /* 1 + round((k-1)(M-2)/(K-2)) with (M-2)/(K-2) = 6: indices 0, 1, 7, 13, 19 */
    const PetscInt idx[5] = {0, 1, 7, 13, 19};

    for (PetscInt k = 0; k < Kc; k++)
      TCHECK(res.snap_time[k] == res.curve_time[idx[k]] && res.snap_loss[k] == res.curve_loss[idx[k]], "snapshot %" PetscInt_FMT " at t = %g (loss %g), expected curve point %" PetscInt_FMT " (t = %g, loss %g)", k, (double)res.snap_time[k],
             (double)res.snap_loss[k], idx[k], (double)res.curve_time[idx[k]], (double)res.curve_loss[idx[k]]);
  }
  TCHECK(res.final_time == T, "final time %.17g", (double)res.final_time);
  TCHECK(!memcmp(res.snap_theta, th0, P * sizeof(PetscReal)), "snapshot 0 is not the initial parameters");
  {
    PetscReal *th;

    PetscCall(PetscMalloc1(P, &th));
    PetscCall(SLNetworkGetParameters(net, th));
    TCHECK(!memcmp(res.snap_theta + (Kc - 1) * P, th, P * sizeof(PetscReal)), "last snapshot is not the final parameters");
    PetscCall(PetscFree(th));
  }
  PetscCall(CheckSnapshots(net, data, SL_LOSS_SUM, &res));
  PetscCall(SLTrainResultReset(&res));

  /* default layout: (M-2)/(K-2) = 62/6 gives indices 0 1 11 22 32 42 53 63 */
  PetscCall(SLNetworkSetParameters(net, th0));
  PetscCall(TTTrain("-sl_train_conservative 0 -sl_train_max_time 1 -sl_train_loss mean", net, data, &res));
  {
    const PetscInt idx[8] = {0, 1, 11, 22, 32, 42, 53, 63};

    for (PetscInt k = 0; k < 8; k++)
      TCHECK(res.snap_time[k] == res.curve_time[idx[k]], "default snapshot %" PetscInt_FMT " at t = %g, expected curve point %" PetscInt_FMT " (t = %g)", k, (double)res.snap_time[k], idx[k], (double)res.curve_time[idx[k]]);
  }
  PetscCall(CheckSnapshots(net, data, SL_LOSS_MEAN, &res));
  PetscCall(SLTrainResultReset(&res));

  /* GD, lr = 1e-2, t0 = 1e-3, T = 1 (a network with |w| ~ 1, so lr is stable): times are rounded up to whole
   * steps; the early times (<= lr) all become one step and repeat */
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TTNetwork(PETSC_COMM_SELF, 16, PETSC_TRUE, 5, 1.0, 0.1, &net));
  PetscCall(TTTrain("-sl_train_gd -sl_train_lr 1e-2 -sl_train_snapshots 5 -sl_train_curve 20 -sl_train_t0 1e-3 -sl_train_max_time 1", net, data, &res));
  TCHECK(res.reason == SL_STOP_MAX_TIME && res.ncurve == Mc && res.nsnap == Kc, "GD run %s (%s)", SLStopReasons[res.reason], res.message);
  TCHECK(res.steps == 100 && res.final_time == 100 * lr, "GD: %" PetscInt_FMT " steps to t = %.17g, expected 100", res.steps, (double)res.final_time);
  for (PetscInt j = 1; j < Mc; j++) {
    const PetscReal planned = t0g * PetscPowReal(Tg / t0g, (PetscReal)(j - 1) / (Mc - 2));
    const PetscInt  n       = PetscMax(1, (PetscInt)PetscCeilReal(planned / lr - 1e-9));

    TCHECK(res.curve_time[j] == (PetscReal)n * lr, "GD curve time %" PetscInt_FMT " = %.17g, expected %" PetscInt_FMT " steps", j, (double)res.curve_time[j], n);
    TCHECK(res.curve_time[j] >= planned * (1 - 1e-9), "GD curve time %" PetscInt_FMT " rounded down", j);
    if (res.curve_time[j] == res.curve_time[j - 1]) TCHECK(res.curve_loss[j] == res.curve_loss[j - 1], "repeated GD time %g with different losses", (double)res.curve_time[j]);
    else TCHECK(res.curve_time[j] > res.curve_time[j - 1], "GD curve times decrease at %" PetscInt_FMT, j);
  }
  for (PetscInt j = 1; j <= 7; j++) TCHECK(res.curve_time[j] == lr, "GD: planned time %" PetscInt_FMT " (<= lr) should round to one step, got %g", j, (double)res.curve_time[j]);
  TCHECK(res.curve_time[8] == 2 * lr, "GD: planned time 8 should round to two steps, got %g", (double)res.curve_time[8]);
  TCHECK(res.snap_time[1] == lr && res.snap_time[Kc - 1] == Tg, "GD snapshot times %g .. %g", (double)res.snap_time[1], (double)res.snap_time[Kc - 1]);
  PetscCall(CheckSnapshots(net, data, SL_LOSS_SUM, &res));
  PetscCall(SLTrainResultReset(&res));

  PetscCall(PetscFree(th0));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscCall(PetscFinalize());
  return 0;
}
