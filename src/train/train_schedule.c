/* The output schedule of a training run (bottom of src/train/, used by the trainer's option checks in train.c and
 * by the run in train_run.c).
 *
 * Output schedule (fixed by the options, so every run of a study has the same layout):
 *  - curve times: time[0] = 0, then M-1 log-spaced times from t0 to max_time,
 *      time[j] = t0 (max_time/t0)^((j-1)/(M-2)),  j = 1..M-1  (time[1] = t0 and time[M-1] = max_time exactly);
 *    with M = 2 the single positive time is max_time.
 *  - snapshots: K of the curve indices, idx[0] = 0 and K-1 indices evenly spaced in 1..M-1,
 *      idx[k] = 1 + round((k-1)(M-2)/(K-2)),  k = 1..K-1  (round half up; K = 2: idx[1] = M-1),
 *    so the snapshot times are themselves log-spaced from t0 to max_time. M >= K guarantees distinct indices;
 *    a forward pass idx[k] = max(idx[k], idx[k-1]+1) and a backward pass idx[k] = min(idx[k], idx[k+1]-1)
 *    (idx[K-1] = M-1) keep them strictly increasing whatever the rounding (deterministic deduplication).
 *  - gradient descent (-sl_train_gd): every time is rounded UP to a whole number of steps,
 *      steps[j] = max(1, ceil(time[j]/lr - 1e-9)), time[j] = steps[j] lr   (j >= 1),
 *    (the 1e-9 absorbs round-off in time/lr). Several curve times can round to the same step: the run then
 *    visits that step once and the repeated entries hold the same time and values (the layout K, M is kept).
 */
#include "train_impl.h"

PetscErrorCode SLTrainScheduleCreate(SLTrainer tr, SLTrainSchedule *s)
{
  const PetscInt M = tr->M, K = tr->K;

  PetscFunctionBeginUser;
  PetscCheck(K >= 2 && M >= K, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_snapshots %" PetscInt_FMT " / -sl_train_curve %" PetscInt_FMT ": need 2 <= K <= M", K, M);
  s->M     = M;
  s->K     = K;
  s->steps = NULL;
  PetscCall(PetscMalloc1(M, &s->time));
  PetscCall(PetscMalloc1(K, &s->snap));
  s->time[0] = 0.0;
  if (M == 2) s->time[1] = tr->max_time;
  else {
    const PetscReal ratio = tr->max_time / tr->t0;

    for (PetscInt j = 1; j < M; j++) s->time[j] = tr->t0 * PetscPowReal(ratio, (PetscReal)(j - 1) / (PetscReal)(M - 2));
    s->time[1]     = tr->t0;
    s->time[M - 1] = tr->max_time;
  }
  for (PetscInt j = 1; j < M; j++)
    PetscCheck(s->time[j] > s->time[j - 1], PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_curve %" PetscInt_FMT " is too large for the range -sl_train_t0 %g .. -sl_train_max_time %g: output times %" PetscInt_FMT " and %" PetscInt_FMT " coincide", M,
               (double)tr->t0, (double)tr->max_time, j - 1, j);
  if (tr->gd) {
    PetscCall(PetscMalloc1(M, &s->steps));
    s->steps[0] = 0;
    for (PetscInt j = 1; j < M; j++) {
      const PetscReal n = PetscCeilReal(s->time[j] / tr->lr - 1e-9);

      PetscCheck(n < (PetscReal)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-sl_train_max_time %g / -sl_train_lr %g: too many steps", (double)tr->max_time, (double)tr->lr);
      s->steps[j] = PetscMax(1, (PetscInt)n);
      s->time[j]  = (PetscReal)s->steps[j] * tr->lr;
    }
  }
  /* snapshot indices: 0, then K-1 evenly spaced curve indices 1..M-1 (log-spaced times), deduplicated */
  s->snap[0] = 0;
  for (PetscInt k = 1; k < K; k++) {
    PetscInt idx = (K == 2) ? M - 1 : 1 + (PetscInt)PetscFloorReal((PetscReal)(k - 1) * (PetscReal)(M - 2) / (PetscReal)(K - 2) + 0.5);

    s->snap[k] = PetscMax(idx, s->snap[k - 1] + 1);
  }
  s->snap[K - 1] = M - 1;
  for (PetscInt k = K - 2; k >= 1; k--) s->snap[k] = PetscMin(s->snap[k], s->snap[k + 1] - 1);
  PetscFunctionReturn(0);
}

PetscErrorCode SLTrainScheduleDestroy(SLTrainSchedule *s)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(s->time));
  PetscCall(PetscFree(s->steps));
  PetscCall(PetscFree(s->snap));
  PetscFunctionReturn(0);
}
