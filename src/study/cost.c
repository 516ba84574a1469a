/* The cost model of a run (arbitrary units ~ flops), used to order and group runs (schedule.c) and to report
 * progress (runner.c): training is evals x P x N; each spectrum is P^3 dense, or a few hundred products of O(P N)
 * plus the inertia counts O(P N^2) per histogram edge. */
#include "study_impl.h"

PetscErrorCode SLStudyRunCost(SLStudy s, const SLRunSpec *r, PetscReal *cost)
{
  SLEigMethod method;
  PetscInt    P, N, nvals, nbins, nspec = 0, K, M;
  PetscReal   evals, hess;

  PetscFunctionBeginUser;
  P = 3 * r->width + (s->output_bias ? 1 : 0);
  N = s->data[r->i_data]->N;
  PetscCall(SLTrainerGetCostEstimate(s->trainer, &evals));
  if (!s->train) evals = 1;
  PetscCall(SLSpectrumSolverGetLayout(s->eig, P, 1, &method, &nvals, &nbins));
  PetscCall(SLTrainerGetOutputSizes(s->trainer, &K, &M));
  for (PetscInt st = 0; st < SL_NSTAGES; st++)
    for (PetscInt c = 0; c < SL_NCOORDS; c++)
      for (PetscInt p = 0; p < SL_NPARTS; p++) nspec += (s->stages[st] && s->coords[c] && s->parts[p]) * (st == SL_STAGE_SNAPSHOTS ? (s->train ? K : 0) : 1);
  hess = method == SL_EIG_DENSE ? (PetscReal)P * P * P : 400.0 * P * N + (nbins + 3.0) * P * N * N;
  hess *= nspec;
  *cost = evals * (PetscReal)P * N + hess + 1e4;
  PetscFunctionReturn(0);
}
