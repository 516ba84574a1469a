/* Deterministic cost-balanced schedule (see schedule.h). */
#include "study_impl.h"

typedef struct {
  PetscReal cost;
  PetscInt  id;
} SLCostId;

static int SLCompareCost(const void *a, const void *b)
{
  const SLCostId *x = (const SLCostId *)a, *y = (const SLCostId *)b;
  if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
  return x->id < y->id ? -1 : (x->id > y->id);
}

/* Runs sorted by decreasing cost, ties by id. */
static PetscErrorCode SLScheduleOrder(SLStudy s, SLCostId **order)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(s->nruns, order));
  for (PetscInt i = 0; i < s->nruns; i++) {
    SLRunSpec r;
    PetscCall(SLStudyGetRun(s, i, &r));
    PetscCall(SLStudyRunCost(s, &r, &(*order)[i].cost));
    (*order)[i].id = i;
  }
  qsort(*order, (size_t)s->nruns, sizeof(SLCostId), SLCompareCost);
  PetscFunctionReturn(0);
}

PetscErrorCode SLScheduleSlices(SLStudy s, PetscInt slice_of[])
{
  SLCostId *order;

  PetscFunctionBeginUser;
  PetscCall(SLScheduleOrder(s, &order));
  for (PetscInt j = 0; j < s->nruns; j++) slice_of[order[j].id] = j % s->slice_count;
  PetscCall(PetscFree(order));
  PetscFunctionReturn(0);
}

/* Deal runs (in decreasing cost order) to the least-loaded of ngroups groups; ties go to the lowest group. */
static PetscErrorCode SLScheduleLPT(PetscInt n, const SLCostId runs[], PetscInt ngroups, PetscInt mygroup, SLPhase *ph)
{
  PetscReal *load;
  PetscInt  *count;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(ngroups, &load));
  PetscCall(PetscCalloc1(ngroups, &count));
  PetscCall(PetscMalloc1(n + 1, &ph->run));
  ph->nrounds = 0;
  for (PetscInt j = 0; j < n; j++) {
    PetscInt g = 0;
    for (PetscInt k = 1; k < ngroups; k++)
      if (load[k] < load[g]) g = k;
    load[g] += runs[j].cost;
    if (g == mygroup) ph->run[count[g]] = runs[j].id;
    count[g]++;
    ph->nrounds = PetscMax(ph->nrounds, count[g]);
    ph->cost += runs[j].cost;
  }
  for (PetscInt r = (mygroup >= 0 ? count[mygroup] : 0); r < ph->nrounds; r++) ph->run[r] = -1;
  ph->nruns = n;
  PetscCall(PetscFree(load));
  PetscCall(PetscFree(count));
  PetscFunctionReturn(0);
}

PetscErrorCode SLScheduleGroupSize(SLStudy s, const SLRunSpec *r, PetscReal cost, PetscMPIInt size, PetscBool *wide, PetscInt *G)
{
  SLEigMethod method;
  PetscInt    nvals, nbins, P = 3 * r->width + (s->output_bias ? 1 : 0);

  PetscFunctionBeginUser;
  PetscCall(SLSpectrumSolverGetLayout(s->eig, P, 1, &method, &nvals, &nbins));
  *wide = (PetscBool)(size > 1 && cost > s->wide_threshold && method != SL_EIG_DENSE);
  *G    = !*wide ? 1 : (s->wide_ranks < 1 ? (PetscInt)size : PetscMin(s->wide_ranks, (PetscInt)size));
  PetscFunctionReturn(0);
}

PetscErrorCode SLScheduleCreate(SLStudy s, const PetscInt status[], SLPhase phase[2])
{
  SLCostId   *order, *wide, *small;
  PetscInt   *slice_of, nwide = 0, nsmall = 0, G, ngroups, mygroup;
  PetscMPIInt size, rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(s->comm, &size));
  PetscCallMPI(MPI_Comm_rank(s->comm, &rank));
  PetscCall(PetscMemzero(phase, 2 * sizeof(SLPhase)));
  PetscCall(SLScheduleOrder(s, &order));
  PetscCall(PetscMalloc3(s->nruns, &slice_of, s->nruns, &wide, s->nruns, &small));
  for (PetscInt j = 0; j < s->nruns; j++) slice_of[order[j].id] = j % s->slice_count;
  for (PetscInt j = 0; j < s->nruns; j++) {
    PetscInt  id = order[j].id, g;
    PetscBool w;
    SLRunSpec r;
    if (slice_of[id] != s->slice_index || status[id] != SL_RUN_PENDING) continue;
    PetscCall(SLStudyGetRun(s, id, &r));
    PetscCall(SLScheduleGroupSize(s, &r, order[j].cost, size, &w, &g));
    if (w) wide[nwide++] = order[j];
    else small[nsmall++] = order[j];
  }
  /* Phase 0: wide runs on groups of G ranks. */
  G                   = s->wide_ranks < 1 ? size : PetscMin(s->wide_ranks, (PetscInt)size);
  ngroups             = size / G;
  mygroup             = rank < ngroups * G ? rank / G : -1;
  phase[0].group_size = G;
  phase[0].comm       = MPI_COMM_NULL;
  PetscCall(SLScheduleLPT(nwide, wide, ngroups, mygroup, &phase[0]));
  if (nwide) PetscCallMPI(MPI_Comm_split(s->comm, mygroup >= 0 ? mygroup : MPI_UNDEFINED, rank, &phase[0].comm));
  /* Phase 1: one rank per run. */
  phase[1].group_size = 1;
  phase[1].comm       = PETSC_COMM_SELF;
  PetscCall(SLScheduleLPT(nsmall, small, size, rank, &phase[1]));
  PetscCall(PetscFree3(slice_of, wide, small));
  PetscCall(PetscFree(order));
  PetscFunctionReturn(0);
}

PetscErrorCode SLScheduleDestroy(SLPhase phase[2])
{
  PetscFunctionBeginUser;
  for (PetscInt p = 0; p < 2; p++) {
    PetscCall(PetscFree(phase[p].run));
    if (p == 0 && phase[p].comm != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&phase[p].comm));
  }
  PetscFunctionReturn(0);
}
