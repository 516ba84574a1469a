/* Distributed training (run on 2 ranks): a width-3000 network (blocks of 1024: 2048 + 952 neurons) trained
 * over PETSC_COMM_WORLD against the same network trained on one rank (PETSC_COMM_SELF, on rank 0, which does
 * the comparisons).
 * Gradient descent is a fixed-step map whose every sum is rank-count independent: bitwise equal. So is the
 * adaptive flow (TSRK 3bs): its step controller's error norm is the same fixed-order reduction (train_adapt.c). */
#include "test_train_common.h"

int main(int argc, char **argv)
{
  SLData         data;
  SLNetwork      net;
  SLTrainResult  res, sres;
  PetscReal     *thw, *ths;
  PetscInt       P, Plocal;
  PetscMPIInt    size, rank;
  SLNetwork      seq     = NULL;
  const PetscInt H       = 3000;
  const char    *opts[2] = {"-sl_train_gd -sl_train_lr 1e-4 -sl_train_max_time 2e-2 -sl_train_t0 1e-4", "-sl_train_conservative 0 -sl_train_max_time 0.1"};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(TTSine(10, &data));
  PetscCall(TTNetwork(PETSC_COMM_WORLD, H, PETSC_TRUE, 21, 1.0, 0.05, &net));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (!rank) PetscCall(TTNetwork(PETSC_COMM_SELF, H, PETSC_TRUE, 21, 1.0, 0.05, &seq));
  PetscCall(SLNetworkGetSizes(net, &P, &Plocal));
  TCHECK(size == 1 || Plocal < P, "the network is not distributed");
  PetscCall(PetscMalloc2(P, &thw, P, &ths));

  for (int m = 0; m < 2; m++) {
    PetscReal *snapw;
    SLNetwork  tmp;

    PetscCall(TTTrain(opts[m], net, data, &res));
    PetscCall(SLNetworkGatherParameters(net, thw));
    /* whole snapshots, gathered from the local slices */
    PetscCall(PetscMalloc1(res.K * P, &snapw));
    PetscCall(SLNetworkDuplicate(net, &tmp));
    for (PetscInt k = 0; k < res.K; k++) {
      PetscCall(SLNetworkSetParameters(tmp, res.snap_theta + k * Plocal));
      PetscCall(SLNetworkGatherParameters(tmp, snapw + k * P));
    }
    PetscCall(SLNetworkDestroy(&tmp));
    if (rank) {
      PetscCall(SLTrainResultReset(&res));
      PetscCall(PetscFree(snapw));
      continue;
    }
    PetscCall(TTTrain(opts[m], seq, data, &sres));
    PetscCall(SLNetworkGatherParameters(seq, ths));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: %d ranks %s %" PetscInt_FMT " steps loss %.17g; 1 rank %s %" PetscInt_FMT " steps loss %.17g\n", m == 0 ? "GD" : "RK", size, SLStopReasons[res.reason], res.steps, (double)res.final_loss,
                          SLStopReasons[sres.reason], sres.steps, (double)sres.final_loss));
    TCHECK(!res.failed && !sres.failed && res.reason == sres.reason && res.ncurve == sres.ncurve && res.nsnap == sres.nsnap, "%s: runs end differently: %s vs %s", m == 0 ? "GD" : "RK", SLStopReasons[res.reason], SLStopReasons[sres.reason]);
    TCHECK(res.final_loss < 0.9 * res.init_loss, "%s: training barely reduced the loss (%g -> %g)", m == 0 ? "GD" : "RK", (double)res.init_loss, (double)res.final_loss);
    TCHECK(res.q_drift == sres.q_drift, "q drift differs: %g vs %g", (double)res.q_drift, (double)sres.q_drift);
    {
      const char *mname = m == 0 ? "GD" : "RK";

      TCHECK(res.steps == sres.steps && res.final_loss == sres.final_loss && res.final_time == sres.final_time, "%s final loss %.17g at step %" PetscInt_FMT " (%d ranks) != %.17g at step %" PetscInt_FMT " (1 rank)", mname, (double)res.final_loss, res.steps, size,
             (double)sres.final_loss, sres.steps);
      for (PetscInt p = 0; p < P; p++) TCHECK(thw[p] == ths[p], "%s parameter %" PetscInt_FMT ": %.17g (%d ranks) != %.17g (1 rank)", mname, p, (double)thw[p], size, (double)ths[p]);
      for (PetscInt j = 0; j < res.M; j++) TCHECK(res.curve_loss[j] == sres.curve_loss[j] || (PetscIsNanReal(res.curve_loss[j]) && PetscIsNanReal(sres.curve_loss[j])), "%s curve loss %" PetscInt_FMT " differs", mname, j);
      /* the local snapshot slices, put together, are the sequential snapshots */
      for (PetscInt k = 0; k < res.nsnap; k++)
        for (PetscInt p = 0; p < P; p++) TCHECK(snapw[k * P + p] == sres.snap_theta[k * P + p], "%s snapshot %" PetscInt_FMT " parameter %" PetscInt_FMT " differs", mname, k, p);
    }
    PetscCall(SLTrainResultReset(&res));
    PetscCall(SLTrainResultReset(&sres));
    PetscCall(PetscFree(snapw));
  }

  PetscCall(PetscFree2(thw, ths));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLNetworkDestroy(&seq));
  PetscCall(SLDataDestroy(&data));
  PetscCall(PetscFinalize());
  return 0;
}
