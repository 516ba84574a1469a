/* Activation-class evaluation (classeval.h, docs/theory.md section 4): f, residual, loss, gradient and residual blocks
 * in O(H log N + N), classes updated incrementally.
 *
 * The activation predicate is the direct kernel's, w x_n + b > 0 in floating point (network_eval.c; the build
 * does not contract it into an FMA, no -march). For sorted x it is monotone in n, so a binary search finds
 * exactly the direct kernel's active set, and two evaluations at the ends of the stored class tell whether a
 * neuron still belongs to it.
 *
 * Class sums (A_c, B_c): for every local block (SL_NEURON_BLOCK neurons, in neuron order, from +0) the partials
 * of the classes that occur in it are stored as a sparse list (class, A, B). The global sums start from +0 and
 * add the block partials in block order: rank 0 adds its blocks, passes the running sums to rank 1, which adds
 * its blocks, ..., and the last rank broadcasts them. The blocks of the whole network are thus added in the same
 * order on any number of ranks (every rank holds whole blocks): the sums are bitwise independent of the rank
 * count, and bitwise those of SLBlockReduce with a dense class kernel (a class absent from a block only adds
 * +0 there, which changes no sum: a sum that starts at +0 is never -0). */
#include "model_impl.h"
#include <splinelens/classeval.h>

struct _n_SLClassEval {
  SLNetwork   net;
  SLData      data;
  MPI_Comm    comm; /* duplicate of net->comm for the rank-to-rank chain */
  PetscMPIInt rank, size;
  PetscInt    N, nc, nbloc;
  PetscInt   *cls;  /* class of each local neuron */
  PetscReal  *sum;  /* global class sums, 2 per class: A_c, B_c */
  PetscReal  *mom;  /* class residual moments, 2 per class: S1_c, S0_c */
  PetscReal  *f;    /* f(x_n) of the current parameters */
  PetscReal  *r;    /* residual work space */
  PetscInt   *mark; /* per class: stamp of the last block it occurred in */
  PetscInt   *slot; /* per class: its entry in the current block */
  PetscInt    stamp;
  PetscInt   *ent_c;  /* sparse block partials of the local blocks, block by block */
  PetscReal  *ent_ab; /* 2 per entry */
  PetscInt    nent;
};

static inline PetscBool SLActive(PetscReal w, PetscReal b, PetscReal x)
{
  return w * x + b > 0 ? PETSC_TRUE : PETSC_FALSE;
}

/* Class id of (w, b) by binary search (the NN ids of hessian_class.c). */
static PetscInt SLClassOf(PetscReal w, PetscReal b, PetscInt N, const PetscReal x[])
{
  PetscInt lo = 0, hi = N;

  if (w > 0) { /* active set [k, N): k = first n with w x_n + b > 0 */
    while (lo < hi) {
      const PetscInt mid = lo + (hi - lo) / 2;

      if (SLActive(w, b, x[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  if (w < 0) { /* active set [0, k): k = first n with !(w x_n + b > 0) */
    while (lo < hi) {
      const PetscInt mid = lo + (hi - lo) / 2;

      if (!SLActive(w, b, x[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo == N ? 0 : (lo == 0 ? N : N + 1 + lo);
  }
  return b > 0 ? 0 : N; /* w = 0 (NaN too): w x_n + b = b */
}

/* Does (w, b) still have the active set of class c? At most two activations. */
static PetscBool SLClassStill(PetscReal w, PetscReal b, PetscInt c, PetscInt N, const PetscReal x[])
{
  if (w > 0) { /* a suffix [k, N) */
    if (c > N) return PETSC_FALSE;
    if (c == N) return SLActive(w, b, x[N - 1]) ? PETSC_FALSE : PETSC_TRUE;
    return (SLActive(w, b, x[c]) && (c == 0 || !SLActive(w, b, x[c - 1]))) ? PETSC_TRUE : PETSC_FALSE;
  }
  if (w < 0) { /* a prefix [0, k) */
    if (c == 0) return SLActive(w, b, x[N - 1]);
    if (c == N) return SLActive(w, b, x[0]) ? PETSC_FALSE : PETSC_TRUE;
    if (c < N) return PETSC_FALSE;
    {
      const PetscInt k = c - N - 1;

      if (k >= N) return PETSC_FALSE; /* not a canonical id */
      return (SLActive(w, b, x[k - 1]) && !SLActive(w, b, x[k])) ? PETSC_TRUE : PETSC_FALSE;
    }
  }
  return SLClassOf(w, b, N, x) == c ? PETSC_TRUE : PETSC_FALSE;
}

/* Global class sums (see the top of the file), then f(x_n). Collective. */
static PetscErrorCode SLClassEvalSums(SLClassEval ce)
{
  const SLNetwork  net = ce->net;
  const PetscInt   N = ce->N, nc = ce->nc, hl = net->hlocal, dead = N;
  const PetscReal *th = net->theta, *x = ce->data->x;
  PetscReal       *sum = ce->sum, *ab = ce->ent_ab;
  PetscInt        *ec = ce->ent_c, *mark = ce->mark, *slot = ce->slot, ne = 0;

  PetscFunctionBeginUser;
  /* sparse partials of the local blocks */
  for (PetscInt bl = 0; bl < ce->nbloc; bl++) {
    const PetscInt i0 = bl * SL_NEURON_BLOCK, i1 = PetscMin(i0 + SL_NEURON_BLOCK, hl);
    PetscInt       stamp;

    if (ce->stamp == PETSC_MAX_INT) {
      for (PetscInt c = 0; c < nc; c++) mark[c] = 0;
      ce->stamp = 0;
    }
    stamp = ++ce->stamp;
    for (PetscInt i = i0; i < i1; i++) {
      const PetscInt  c = ce->cls[i];
      const PetscReal w = th[3 * i], b = th[3 * i + 1], v = th[3 * i + 2];
      PetscInt        e;

      if (c == dead) continue; /* contributes to no output */
      if (mark[c] != stamp) {
        mark[c]        = stamp;
        slot[c]        = ne;
        ec[ne]         = c;
        ab[2 * ne]     = 0.0;
        ab[2 * ne + 1] = 0.0;
        ne++;
      }
      e = slot[c];
      ab[2 * e] += v * w;
      ab[2 * e + 1] += v * b;
    }
  }
  ce->nent = ne;
  /* running sums over the blocks in global order: rank 0, 1, ..., size - 1 */
  if (ce->rank > 0) PetscCallMPI(MPI_Recv(sum, (PetscMPIInt)(2 * nc), MPIU_REAL, ce->rank - 1, 0, ce->comm, MPI_STATUS_IGNORE));
  else
    for (PetscInt k = 0; k < 2 * nc; k++) sum[k] = 0.0;
  for (PetscInt e = 0; e < ne; e++) {
    sum[2 * ec[e]] += ab[2 * e];
    sum[2 * ec[e] + 1] += ab[2 * e + 1];
  }
  if (ce->rank < ce->size - 1) PetscCallMPI(MPI_Send(sum, (PetscMPIInt)(2 * nc), MPIU_REAL, ce->rank + 1, 0, ce->comm));
  if (ce->size > 1) PetscCallMPI(MPI_Bcast(sum, (PetscMPIInt)(2 * nc), MPIU_REAL, ce->size - 1, ce->comm));

  /* f(x_n) = x_n (sum_{k <= n} A_k + sum_{k > n} A_{N+1+k}) + (same for B) + c */
  {
    const PetscReal *pre = sum + 2 * (N + 1); /* pre[2k], pre[2k + 1]: the prefix class [0, k) */
    PetscReal        pa = 0.0, pb = 0.0, sa = 0.0, sb = 0.0;

    for (PetscInt n = N - 1; n >= 0; n--) { /* prefix classes active at n: k = n + 1 .. N */
      pa += pre[2 * (n + 1)];
      pb += pre[2 * (n + 1) + 1];
      ce->f[n] = pa;
      ce->r[n] = pb;
    }
    for (PetscInt n = 0; n < N; n++) { /* suffix classes active at n: k = 0 .. n */
      sa += sum[2 * n];
      sb += sum[2 * n + 1];
      ce->f[n] = x[n] * (sa + ce->f[n]) + (sb + ce->r[n]);
    }
    if (net->has_c)
      for (PetscInt n = 0; n < N; n++) ce->f[n] += net->c;
  }
  PetscFunctionReturn(0);
}

/* S1_c = sum_{A_c} r_n x_n, S0_c = sum_{A_c} r_n for every class, by suffix / prefix sums. */
static void SLClassEvalMoments(SLClassEval ce, const PetscReal r[])
{
  const PetscInt   N   = ce->N;
  const PetscReal *x   = ce->data->x;
  PetscReal       *mom = ce->mom, s1 = 0.0, s0 = 0.0;

  mom[2 * N] = mom[2 * N + 1] = 0.0;      /* dead */
  for (PetscInt n = N - 1; n >= 0; n--) { /* suffix [n, N) */
    s1 += r[n] * x[n];
    s0 += r[n];
    mom[2 * n]     = s1;
    mom[2 * n + 1] = s0;
  }
  s1 = s0          = 0.0;
  mom[2 * (N + 1)] = mom[2 * (N + 1) + 1] = 0.0; /* empty prefix */
  for (PetscInt n = 0; n < N; n++) {             /* prefix [0, n + 1) */
    const PetscInt c = N + 2 + n;

    s1 += r[n] * x[n];
    s0 += r[n];
    mom[2 * c]     = s1;
    mom[2 * c + 1] = s0;
  }
}

PetscErrorCode SLClassEvalRebuild(SLClassEval ce)
{
  const PetscReal *th = ce->net->theta, *x = ce->data->x;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < ce->net->hlocal; i++) ce->cls[i] = SLClassOf(th[3 * i], th[3 * i + 1], ce->N, x);
  PetscCall(SLClassEvalSums(ce));
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalCreate(SLNetwork net, SLData data, SLClassEval *cep)
{
  SLClassEval ce;
  PetscInt    N, nc, hl;

  PetscFunctionBeginUser;
  PetscCheck(data && data->N >= 1 && data->x && data->y, net->comm, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  N = data->N;
  for (PetscInt n = 1; n < N; n++)
    PetscCheck(data->x[n] > data->x[n - 1], net->comm, PETSC_ERR_ARG_WRONGSTATE, "Data x must be strictly increasing (x[%" PetscInt_FMT "] = %g after %g): use SLDataSetPoints", n, (double)data->x[n], (double)data->x[n - 1]);
  PetscCall(PetscNew(&ce));
  ce->net  = net;
  ce->data = data;
  PetscCallMPI(MPI_Comm_dup(net->comm, &ce->comm));
  PetscCallMPI(MPI_Comm_rank(ce->comm, &ce->rank));
  PetscCallMPI(MPI_Comm_size(ce->comm, &ce->size));
  hl     = net->hlocal;
  ce->N  = N;
  ce->nc = nc = 2 * N + 2;
  ce->nbloc   = (hl + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
  PetscCall(PetscMalloc4(PetscMax(hl, 1), &ce->cls, 2 * nc, &ce->sum, 2 * nc, &ce->mom, N, &ce->f));
  PetscCall(PetscMalloc1(N, &ce->r));
  PetscCall(PetscCalloc2(nc, &ce->mark, nc, &ce->slot));
  PetscCall(PetscMalloc2(PetscMax(hl, 1), &ce->ent_c, 2 * PetscMax(hl, 1), &ce->ent_ab));
  PetscCall(SLClassEvalRebuild(ce));
  *cep = ce;
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalDestroy(SLClassEval *ce)
{
  PetscFunctionBeginUser;
  if (!*ce) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_free(&(*ce)->comm));
  PetscCall(PetscFree4((*ce)->cls, (*ce)->sum, (*ce)->mom, (*ce)->f));
  PetscCall(PetscFree((*ce)->r));
  PetscCall(PetscFree2((*ce)->mark, (*ce)->slot));
  PetscCall(PetscFree2((*ce)->ent_c, (*ce)->ent_ab));
  PetscCall(PetscFree(*ce));
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalUpdate(SLClassEval ce, const PetscReal theta_local[], PetscInt *nchanged)
{
  const PetscInt   N    = ce->N;
  const PetscReal *x    = ce->data->x, *th;
  PetscInt         nloc = 0;

  PetscFunctionBeginUser;
  if (theta_local) PetscCall(SLNetworkSetParameters(ce->net, theta_local));
  th = ce->net->theta;
  for (PetscInt i = 0; i < ce->net->hlocal; i++) {
    const PetscReal w = th[3 * i], b = th[3 * i + 1];

    if (!SLClassStill(w, b, ce->cls[i], N, x)) {
      ce->cls[i] = SLClassOf(w, b, N, x);
      nloc++;
    }
  }
  PetscCall(SLClassEvalSums(ce));
  if (nchanged) PetscCall(MPIU_Allreduce(&nloc, nchanged, 1, MPIU_INT, MPI_SUM, ce->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalResidual(SLClassEval ce, PetscReal r[])
{
  PetscFunctionBeginUser;
  for (PetscInt n = 0; n < ce->N; n++) r[n] = ce->f[n] - ce->data->y[n];
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalLoss(SLClassEval ce, SLLossType type, PetscReal *loss)
{
  PetscFunctionBeginUser;
  PetscCall(SLClassEvalResidual(ce, ce->r));
  PetscCall(SLLossFromResidual(type, ce->N, ce->r, loss));
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalLossGradient(SLClassEval ce, SLLossType type, PetscReal *loss, PetscReal g_local[], PetscReal r[])
{
  const SLNetwork net   = ce->net;
  const PetscReal scale = SLLossScale(type, ce->N);
  PetscReal      *res   = r ? r : ce->r;

  PetscFunctionBeginUser;
  PetscCall(SLClassEvalResidual(ce, res));
  if (loss) PetscCall(SLLossFromResidual(type, ce->N, res, loss));
  if (g_local) {
    const PetscReal *th = net->theta;

    SLClassEvalMoments(ce, res);
    for (PetscInt i = 0; i < net->hlocal; i++) { /* the products of SLNetworkJacobianTransposeApply, then scale */
      const PetscReal *m = ce->mom + 2 * ce->cls[i], w = th[3 * i], b = th[3 * i + 1], v = th[3 * i + 2];

      g_local[3 * i]     = (v * m[0]) * scale;
      g_local[3 * i + 1] = (v * m[1]) * scale;
      g_local[3 * i + 2] = (w * m[0] + b * m[1]) * scale;
    }
    if (net->owns_c) {
      PetscReal s = 0.0;

      for (PetscInt n = 0; n < ce->N; n++) s += res[n];
      g_local[3 * net->hlocal] = s * scale;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalResidualBlocks(SLClassEval ce, SLLossType type, const PetscReal r[], PetscReal a[], PetscReal d[])
{
  const PetscReal scale = SLLossScale(type, ce->N);

  PetscFunctionBeginUser;
  SLClassEvalMoments(ce, r);
  for (PetscInt i = 0; i < ce->net->hlocal; i++) {
    const PetscReal *m = ce->mom + 2 * ce->cls[i];

    a[i] = scale * m[0];
    d[i] = scale * m[1];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalGetClasses(SLClassEval ce, PetscInt *nc, const PetscInt *cls[])
{
  PetscFunctionBeginUser;
  if (nc) *nc = ce->nc;
  if (cls) *cls = ce->cls;
  PetscFunctionReturn(0);
}

PetscErrorCode SLClassEvalGetClassCounts(SLClassEval ce, PetscInt *nclasses, PetscInt *ndead)
{
  PetscInt *count;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(ce->nc, &count));
  for (PetscInt i = 0; i < ce->net->hlocal; i++) count[ce->cls[i]]++;
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, count, (PetscMPIInt)ce->nc, MPIU_INT, MPI_SUM, ce->comm));
  if (nclasses) {
    *nclasses = 0;
    for (PetscInt c = 0; c < ce->nc; c++)
      if (c != ce->N && count[c] > 0) (*nclasses)++;
  }
  if (ndead) *ndead = count[ce->N];
  PetscCall(PetscFree(count));
  PetscFunctionReturn(0);
}
