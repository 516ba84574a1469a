/* NN-coordinate numerics (docs/theory.md sections 1 and 4): f, residual, loss, gradient g = scale J^T r, the
 * Jacobian and its matrix-free products, the residual-term blocks (a_i, d_i), activity counts.
 * Activation indicator 1_ni = [w_i x_n + b_i > 0] (strict) everywhere. N-vectors that sum over neurons go
 * through SLBlockReduce, so they are bitwise independent of the number of ranks; the output bias is added
 * last. Per-neuron quantities (gradient, J^T u, blocks) only sum over data points, in index order. */
#include "model_impl.h"

static PetscErrorCode SLDataCheck(SLNetwork net, SLData data)
{
  PetscFunctionBeginUser;
  PetscCheck(data && data->N >= 1 && data->x && data->y, net->comm, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  PetscFunctionReturn(0);
}

typedef struct {
  const PetscReal *theta; /* local w,b,v */
  const PetscReal *x;
  const PetscReal *z; /* direction (JacobianApply), local slice */
} SLNetKernelCtx;

static void SLNetEvalKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLNetKernelCtx *ctx = (const SLNetKernelCtx *)vctx;
  const PetscReal      *x   = ctx->x + k0;

  for (PetscInt i = i0; i < i1; i++) {
    const PetscReal w = ctx->theta[3 * i], b = ctx->theta[3 * i + 1], v = ctx->theta[3 * i + 2];

    for (PetscInt k = 0; k < m; k++) {
      const PetscReal z = w * x[k] + b;
      if (z > 0) acc[k] += v * z;
    }
  }
}

/* (J z)_n = sum_i 1_ni [ v_i (z_w x_n + z_b) + z_v (w_i x_n + b_i) ] */
static void SLNetApplyKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLNetKernelCtx *ctx = (const SLNetKernelCtx *)vctx;
  const PetscReal      *x   = ctx->x + k0;

  for (PetscInt i = i0; i < i1; i++) {
    const PetscReal w = ctx->theta[3 * i], b = ctx->theta[3 * i + 1], v = ctx->theta[3 * i + 2];
    const PetscReal zw = ctx->z[3 * i], zb = ctx->z[3 * i + 1], zv = ctx->z[3 * i + 2];

    for (PetscInt k = 0; k < m; k++) {
      const PetscReal z = w * x[k] + b;
      if (z > 0) acc[k] += v * (zw * x[k] + zb) + zv * z;
    }
  }
}

PetscErrorCode SLNetworkEvaluate(SLNetwork net, PetscInt n, const PetscReal x[], PetscReal f[])
{
  SLNetKernelCtx ctx = {net->theta, x, NULL};

  PetscFunctionBeginUser;
  PetscCall(SLBlockReduce(net->comm, net->H, net->hstart, net->hlocal, n, SLNetEvalKernel, &ctx, f));
  if (net->has_c)
    for (PetscInt k = 0; k < n; k++) f[k] += net->c;
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkResidual(SLNetwork net, SLData data, PetscReal r[])
{
  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  PetscCall(SLNetworkEvaluate(net, data->N, data->x, r));
  for (PetscInt n = 0; n < data->N; n++) r[n] -= data->y[n];
  PetscFunctionReturn(0);
}

PetscErrorCode SLLossFromResidual(SLLossType type, PetscInt N, const PetscReal r[], PetscReal *loss)
{
  PetscReal s = 0.0;

  PetscFunctionBeginUser;
  PetscCheck(N >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Loss of %" PetscInt_FMT " residuals: need N >= 1", N);
  for (PetscInt n = 0; n < N; n++) s += r[n] * r[n];
  *loss = 0.5 * SLLossScale(type, N) * s;
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkLossGradient(SLNetwork net, SLData data, SLLossType type, PetscReal *loss, PetscReal g_local[], PetscReal r[])
{
  PetscReal *res = r;
  PetscInt   N;
  PetscReal  scale;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  N     = data->N;
  scale = SLLossScale(type, N);
  if (!res) PetscCall(PetscMalloc1(N, &res));
  PetscCall(SLNetworkResidual(net, data, res));
  if (loss) PetscCall(SLLossFromResidual(type, N, res, loss));
  if (g_local) { /* g = scale J^T r, neuron by neuron */
    const PetscInt Plocal = 3 * net->hlocal + (net->owns_c ? 1 : 0);

    PetscCall(SLNetworkJacobianTransposeApply(net, data, res, g_local));
    for (PetscInt p = 0; p < Plocal; p++) g_local[p] *= scale;
  }
  if (!r) PetscCall(PetscFree(res));
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkJacobian(SLNetwork net, SLData data, PetscReal J[])
{
  PetscInt Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  for (PetscInt n = 0; n < data->N; n++) {
    const PetscReal x   = data->x[n];
    PetscReal      *row = J + n * Plocal;

    for (PetscInt i = 0; i < net->hlocal; i++) {
      const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1], v = net->theta[3 * i + 2];
      const PetscReal z = w * x + b;

      if (z > 0) {
        row[3 * i]     = v * x;
        row[3 * i + 1] = v;
        row[3 * i + 2] = z;
      } else {
        row[3 * i] = row[3 * i + 1] = row[3 * i + 2] = 0.0;
      }
    }
    if (net->owns_c) row[3 * net->hlocal] = 1.0;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkJacobianApply(SLNetwork net, SLData data, const PetscReal z_local[], PetscReal u[])
{
  SLNetKernelCtx ctx;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  ctx.theta = net->theta;
  ctx.x     = data->x;
  ctx.z     = z_local;
  PetscCall(SLBlockReduce(net->comm, net->H, net->hstart, net->hlocal, data->N, SLNetApplyKernel, &ctx, u));
  if (net->has_c) {
    PetscReal zc = net->owns_c ? z_local[3 * net->hlocal] : 0.0;

    PetscCall(SLBcastFromLast(net->comm, &zc));
    for (PetscInt n = 0; n < data->N; n++) u[n] += zc;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkJacobianTransposeApply(SLNetwork net, SLData data, const PetscReal u[], PetscReal z_local[])
{
  const PetscReal *x;
  PetscInt         N;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  x = data->x;
  N = data->N;
  for (PetscInt i = 0; i < net->hlocal; i++) {
    const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1], v = net->theta[3 * i + 2];
    PetscReal       sa = 0.0, sd = 0.0, sv = 0.0;

    for (PetscInt n = 0; n < N; n++) {
      const PetscReal z = w * x[n] + b;
      if (z > 0) {
        sa += u[n] * x[n];
        sd += u[n];
        sv += u[n] * z;
      }
    }
    z_local[3 * i]     = v * sa;
    z_local[3 * i + 1] = v * sd;
    z_local[3 * i + 2] = sv;
  }
  if (net->owns_c) {
    PetscReal s = 0.0;
    for (PetscInt n = 0; n < N; n++) s += u[n];
    z_local[3 * net->hlocal] = s;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkResidualBlocks(SLNetwork net, SLData data, SLLossType type, const PetscReal r[], PetscReal a[], PetscReal d[])
{
  PetscReal scale;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  scale = SLLossScale(type, data->N);
  for (PetscInt i = 0; i < net->hlocal; i++) {
    const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];
    PetscReal       sa = 0.0, sd = 0.0;

    for (PetscInt n = 0; n < data->N; n++) {
      if (w * data->x[n] + b > 0) {
        sa += r[n] * data->x[n];
        sd += r[n];
      }
    }
    a[i] = scale * sa;
    d[i] = scale * sd;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkActiveCounts(SLNetwork net, SLData data, PetscInt count[])
{
  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  for (PetscInt i = 0; i < net->hlocal; i++) {
    const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];
    PetscInt        c = 0;

    for (PetscInt n = 0; n < data->N; n++)
      if (w * data->x[n] + b > 0) c++;
    count[i] = c;
  }
  PetscFunctionReturn(0);
}

/* Is x strictly increasing? (the data sets of a study are sorted by SLDataSetUp / SLDataSetPoints) */
static PetscBool SLDataSorted(SLData data)
{
  for (PetscInt n = 1; n < data->N; n++)
    if (!(data->x[n] > data->x[n - 1])) return PETSC_FALSE;
  return PETSC_TRUE;
}

PetscErrorCode SLNetworkDeadCount(SLNetwork net, SLData data, PetscInt *ndead)
{
  PetscInt d = 0;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  if (SLDataSorted(data)) {
    /* fl(w x + b) is monotone in x (rounding is monotone): the largest over the sorted points is at an end */
    const PetscReal x0 = data->x[0], x1 = data->x[data->N - 1];

    for (PetscInt i = 0; i < net->hlocal; i++) {
      const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];

      d += !(w * x0 + b > 0) && !(w * x1 + b > 0);
    }
  } else {
    for (PetscInt i = 0; i < net->hlocal; i++) {
      const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];
      PetscBool       dead = PETSC_TRUE;

      for (PetscInt n = 0; n < data->N && dead; n++)
        if (w * data->x[n] + b > 0) dead = PETSC_FALSE;
      d += dead;
    }
  }
  PetscCall(MPIU_Allreduce(&d, ndead, 1, MPIU_INT, MPI_SUM, net->comm));
  PetscFunctionReturn(0);
}

/* |w x + b| <= tol (|w x| + |b|), evaluated as everywhere in the program */
static inline PetscBool SLOnBreakpoint(PetscReal w, PetscReal b, PetscReal x, PetscReal tol)
{
  const PetscReal wx = w * x;

  return PetscAbsReal(wx + b) <= tol * (PetscAbsReal(wx) + PetscAbsReal(b)) ? PETSC_TRUE : PETSC_FALSE;
}

/* On sorted data the points of neuron i that satisfy the predicate lie next to its breakpoint: for tol < 1,
 * g(x) = |w x + b| - tol (|w x| + |b|) is piecewise linear and increases away from beta = -b/w on both sides
 * (slope |w| (1 -+ tol) > 0), so {g <= 0} is an interval around beta. The first point with w x_n + b > 0 (w > 0;
 * <= 0 for w < 0) is found by binary search and the interval is walked outwards from it: O(log N + count) per
 * neuron instead of O(N). w = 0: every point (b = 0) or none. Unsorted data or tol >= 1: the direct loop. */
PetscErrorCode SLNetworkBreakpointsOnData(SLNetwork net, SLData data, PetscReal tol, PetscInt *count)
{
  PetscInt c = 0;

  PetscFunctionBeginUser;
  PetscCall(SLDataCheck(net, data));
  {
    const PetscInt   N = data->N;
    const PetscReal *x = data->x;

    if (tol >= 0 && tol < 1 && SLDataSorted(data)) {
      for (PetscInt i = 0; i < net->hlocal; i++) {
        const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];
        PetscInt        lo = 0, hi = N;

        if (w == 0) {
          c += SLOnBreakpoint(w, b, x[0], tol) ? N : 0;
          continue;
        }
        while (lo < hi) { /* first n whose activation differs from that of x_0's side */
          const PetscInt  mid = lo + (hi - lo) / 2;
          const PetscBool act = w * x[mid] + b > 0 ? PETSC_TRUE : PETSC_FALSE;

          if (w > 0 ? act : !act) hi = mid;
          else lo = mid + 1;
        }
        for (PetscInt n = lo - 1; n >= 0 && SLOnBreakpoint(w, b, x[n], tol); n--) c++;
        for (PetscInt n = lo; n < N && SLOnBreakpoint(w, b, x[n], tol); n++) c++;
      }
    } else {
      for (PetscInt i = 0; i < net->hlocal; i++) {
        const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1];

        for (PetscInt n = 0; n < N; n++) c += SLOnBreakpoint(w, b, x[n], tol) ? 1 : 0;
      }
    }
  }
  PetscCall(MPIU_Allreduce(&c, count, 1, MPIU_INT, MPI_SUM, net->comm));
  PetscFunctionReturn(0);
}
