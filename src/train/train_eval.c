/* Evaluation of a training run's state (the bottom of src/train/): loss, gradient, residuals and finiteness at a
 * state U, through a one-entry cache holding a copy of the last state, so the RHS, the stage check, the post-step
 * and the implicit residual/Jacobian (train_implicit.c) evaluate every state once (see train_run.c). */
#include <string.h>
#include "train_impl.h"

/* Loss and gradient at the state U (collective), through the one-entry cache. */
PetscErrorCode SLTrainEvaluate(SLTrainCtx *ctx, Vec U)
{
  const PetscReal *u;
  int              hit;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(U, &u));
  hit = ctx->cache_valid && (ctx->Plocal == 0 || !memcmp(u, ctx->cache_theta, (size_t)ctx->Plocal * sizeof(PetscReal)));
  if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &hit, 1, MPI_INT, MPI_MIN, ctx->comm));
  if (!hit) {
    int bad = 0;

    PetscCall(SLNetworkSetParameters(ctx->scratch, u));
    PetscCall(SLNetworkLossGradient(ctx->scratch, ctx->data, ctx->tr->loss, &ctx->cache_loss, ctx->g, ctx->r));
    for (PetscInt p = 0; p < ctx->Plocal && !bad; p++) bad = PetscIsInfOrNanReal(u[p]) || PetscIsInfOrNanReal(ctx->g[p]);
    if (ctx->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, ctx->comm));
    ctx->cache_bad = (bad || PetscIsInfOrNanReal(ctx->cache_loss)) ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscArraycpy(ctx->cache_theta, u, ctx->Plocal));
    ctx->cache_valid = PETSC_TRUE;
  }
  PetscCall(VecRestoreArrayRead(U, &u));
  PetscFunctionReturn(0);
}
