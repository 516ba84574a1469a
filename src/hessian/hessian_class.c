/* Activation classes of a shallow ReLU network on sorted data (docs/theory.md section 4; hessian_impl.h describes the
 * ids and the per-neuron coefficient matrices C_i). The Jacobian of a neuron is C_i [x (.) m_c, m_c]^T, so every
 * sum over neurons that the Hessian needs collapses onto at most 2N + 3 classes:
 *   J z      = sum_c [x (.) m_c, m_c] t_c,            t_c = sum_{i in c} C_i^T z_i
 *   J^T u    = C_i (sum_{A_c} x_n u_n, sum_{A_c} u_n)  for neuron i of class c
 *   S, J J^T = sums over classes of [x (.) m_c, m_c] G_c [x (.) m_c, m_c]^T with 2x2 class aggregates G_c.
 * The class of a neuron is found by binary search with exactly the activation predicate of network_eval.c /
 * spline_eval.c (w x_n + b > 0, s (x_n - beta) > 0). x is sorted and fl(w x_n + b) is monotone in x_n (rounding is
 * monotone), so the search returns the same active set as evaluating every point. Sums over neurons go through
 * the deterministic block reduction (network_impl.h): bitwise independent of the number of ranks. */
#include <splinelens/private/hessianimpl.h>

/* NN: class of (w, b) (hessian_impl.h). */
static PetscInt SLClassOfNN(PetscReal w, PetscReal b, PetscInt N, const PetscReal x[])
{
  PetscInt lo = 0, hi = N;

  if (w > 0) { /* active set [k, N): k = first n with w x_n + b > 0 */
    while (lo < hi) {
      const PetscInt mid = lo + (hi - lo) / 2;

      if (w * x[mid] + b > 0) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  if (w < 0) { /* active set [0, k): k = first n with !(w x_n + b > 0) */
    while (lo < hi) {
      const PetscInt mid = lo + (hi - lo) / 2;

      if (!(w * x[mid] + b > 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo == N ? 0 : (lo == 0 ? N : N + 1 + lo);
  }
  return b > 0 ? 0 : N; /* w = 0: w x_n + b = b exactly */
}

/* BDSO: class of (s, beta). */
static PetscInt SLClassOfBDSO(PetscInt s, PetscReal beta, PetscInt N, const PetscReal x[])
{
  PetscInt lo = 0, hi = N;

  if (s == 0) return 2 * N + 2;
  while (lo < hi) {
    const PetscInt  mid = lo + (hi - lo) / 2;
    const PetscBool act = s * (x[mid] - beta) > 0 ? PETSC_TRUE : PETSC_FALSE;

    if (s > 0 ? act : !act) hi = mid;
    else lo = mid + 1;
  }
  return s > 0 ? lo : N + 1 + lo;
}

PetscErrorCode SLHessClassReduce(SLHessClass cl, PetscInt n, void (*kernel)(void *, PetscInt, PetscInt, PetscInt, PetscInt, PetscReal[]), void *ctx, PetscReal out[])
{
  PetscMPIInt size;
  PetscReal  *all;

  PetscFunctionBeginUser;
  if (n <= 0) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(cl->info.comm, &size));
  if (n > cl->rcap) {
    PetscCall(PetscFree2(cl->rpart, cl->rall));
    PetscCall(PetscMalloc2(PetscMax(cl->nbloc, 1) * n, &cl->rpart, cl->nblocks * n, &cl->rall));
    cl->rcap = n;
  }
  for (PetscInt b = 0; b < cl->nbloc; b++) { /* partials of the local blocks, neurons in index order */
    const PetscInt i0 = b * SL_NEURON_BLOCK, i1 = PetscMin(i0 + SL_NEURON_BLOCK, cl->info.hlocal);

    PetscCall(PetscArrayzero(cl->rpart + b * n, n));
    kernel(ctx, i0, i1, 0, n, cl->rpart + b * n);
  }
  if (size > 1) {
    PetscInt    off = 0;
    PetscMPIInt mine;

    for (PetscMPIInt r = 0; r < size; r++) {
      PetscCall(PetscMPIIntCast(cl->rbcount[r] * n, &cl->rcounts[r]));
      PetscCall(PetscMPIIntCast(off, &cl->rdispls[r]));
      off += cl->rbcount[r] * n;
    }
    PetscCall(PetscMPIIntCast(cl->nbloc * n, &mine));
    PetscCallMPI(MPI_Allgatherv(cl->rpart, mine, MPIU_REAL, cl->rall, cl->rcounts, cl->rdispls, MPIU_REAL, cl->info.comm));
    all = cl->rall;
  } else all = cl->rpart;
  for (PetscInt k = 0; k < n; k++) out[k] = 0.0; /* blocks added in increasing order, on every rank alike */
  for (PetscInt b = 0; b < cl->nblocks; b++) {
    const PetscReal *pb = all + b * n;

    for (PetscInt k = 0; k < n; k++) out[k] += pb[k];
  }
  PetscFunctionReturn(0);
}

/* Per-block class aggregates: count and Q_{c,k} = sum y y^T, y = C_i^T q_{c,k}. For NN with rho_c > 0 the k = 0
 * eigenvector (d, -a, 0)/rho gives y = v (d, -a)/rho for every neuron: exactly rank one, so only sum v^2 is
 * accumulated (slot Q00) and the outer product is formed once (SLHessClassCreate). */
static void SLAggKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  SLHessClass     cl  = (SLHessClass)vctx;
  const PetscInt  npn = cl->info.npn;
  const PetscBool nn  = cl->info.coords == SL_COORD_NN ? PETSC_TRUE : PETSC_FALSE;
  const PetscBool gn  = cl->part != SL_HESS_RESIDUAL ? PETSC_TRUE : PETSC_FALSE;

  (void)k0; /* SLHessClassReduce: k0 = 0, m = nc SL_CLASS_AGG */
  (void)m;
  if (nn && gn) { /* NN written out: C = (v, 0; 0, v; w, b), the terms with a zero coefficient dropped (they add
                   * exact zeros, so the sums are those of the loop below) */
    const PetscReal *th = cl->model.net->theta;

    for (PetscInt i = i0; i < i1; i++) {
      const PetscInt   c = cl->cls[i];
      const PetscReal  w = th[3 * i], b = th[3 * i + 1], v = th[3 * i + 2], vv = v * v;
      const PetscReal *q  = cl->q + 9 * c;
      PetscReal       *ac = acc + c * SL_CLASS_AGG, y0, y1;

      ac[0] += 1.0;
      cl->dmax = PetscMax(cl->dmax, cl->scale * (vv * cl->sxx[c]));
      cl->dmax = PetscMax(cl->dmax, cl->scale * (vv * cl->s1[c]));
      cl->dmax = PetscMax(cl->dmax, cl->scale * (w * w * cl->sxx[c] + 2.0 * w * b * cl->sx[c] + b * b * cl->s1[c]));
      if (cl->ev[3 * c + 1] > 0) ac[1] += vv;
      else {
        y0 = q[0] * v + q[2] * w;
        y1 = q[1] * v + q[2] * b;
        ac[1] += y0 * y0;
        ac[2] += y0 * y1;
        ac[3] += y1 * y1;
      }
      for (PetscInt k = 1; k < 3; k++) {
        y0 = q[3 * k] * v + q[3 * k + 2] * w;
        y1 = q[3 * k + 1] * v + q[3 * k + 2] * b;
        ac[1 + 3 * k] += y0 * y0;
        ac[2 + 3 * k] += y0 * y1;
        ac[3 + 3 * k] += y1 * y1;
      }
    }
    return;
  }
  for (PetscInt i = i0; i < i1; i++) {
    const PetscInt c  = cl->cls[i];
    PetscReal     *ac = acc + c * SL_CLASS_AGG, C[6];

    ac[0] += 1.0;
    if (!gn) continue;
    SLHessClassCoef(cl, i, C);
    /* the largest diagonal entry of scale J^T J, scale sum_{A_c} (C_k0 x_n + C_k1)^2 per parameter (a max: exact) */
    for (PetscInt k = 0; k < npn; k++) cl->dmax = PetscMax(cl->dmax, cl->scale * (C[2 * k] * C[2 * k] * cl->sxx[c] + 2.0 * C[2 * k] * C[2 * k + 1] * cl->sx[c] + C[2 * k + 1] * C[2 * k + 1] * cl->s1[c]));
    for (PetscInt k = 0; k < npn; k++) {
      const PetscReal *q  = cl->q + 9 * c + npn * k;
      PetscReal        y0 = 0.0, y1 = 0.0;

      if (nn && k == 0 && cl->ev[3 * c + 1] > 0) {
        ac[1] += C[0] * C[0]; /* v^2 */
        continue;
      }
      for (PetscInt j = 0; j < npn; j++) {
        y0 += q[j] * C[2 * j];
        y1 += q[j] * C[2 * j + 1];
      }
      ac[1 + 3 * k] += y0 * y0;
      ac[2 + 3 * k] += y0 * y1;
      ac[3 + 3 * k] += y1 * y1;
    }
  }
}

PetscErrorCode SLHessClassCreate(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscBool copy, const PetscReal rgiven[], const PetscInt clsgiven[], SLHessClass *clp)
{
  SLHessClass      cl;
  PetscInt         N, nc, hl, npn;
  PetscReal       *r, dloc = 0.0;
  const PetscReal *x;

  PetscFunctionBeginUser;
  PetscCall(SLInitializePackage());
  PetscCheck(data && data->N >= 1 && data->x && data->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  PetscCheck(part >= SL_HESS_FULL && part <= SL_HESS_RESIDUAL, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unknown SLHessianPart %d", (int)part);
  PetscCall(PetscLogEventBegin(SL_EVENT_HessClass, 0, 0, 0, 0));
  PetscCall(PetscNew(&cl));
  if (copy) PetscCall(SLModelDuplicate(model, &cl->model));
  else cl->model = model;
  cl->own_model = copy;
  PetscCall(SLModelGetInfo(cl->model, &cl->info));
  cl->data = data;
  cl->part = part;
  { /* blocks per rank (SLNetworkLayout), for SLHessClassReduce */
    PetscMPIInt size;

    PetscCallMPI(MPI_Comm_size(cl->info.comm, &size));
    PetscCall(PetscMalloc3(size, &cl->rbcount, size, &cl->rcounts, size, &cl->rdispls));
    for (PetscMPIInt r = 0; r < size; r++) {
      PetscInt hs, hlr;

      PetscCall(SLNetworkLayout(cl->info.H, size, r, &hs, &hlr));
      cl->rbcount[r] = (hlr + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
    }
    cl->nblocks = (cl->info.H + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
    cl->nbloc   = (cl->info.hlocal + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
  }
  N         = data->N;
  x         = data->x;
  cl->N     = N;
  cl->scale = SLLossScale(type, N);
  nc = cl->nc = 2 * N + 3;
  hl          = cl->info.hlocal;
  npn         = cl->info.npn;
  for (PetscInt n = 1; n < N; n++) PetscCheck(x[n] > x[n - 1], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Data x must be strictly increasing (x[%" PetscInt_FMT "] = %g after %g): use SLDataSetPoints", n, (double)x[n], (double)x[n - 1]);
  PetscCall(PetscMalloc1(PetscMax(hl, 1), &cl->cls));
  PetscCall(PetscMalloc2(nc, &cl->lo, nc, &cl->hi));
  PetscCall(PetscCalloc4(2 * nc, &cl->blk, 3 * nc, &cl->ev, 9 * nc, &cl->q, SL_CLASS_AGG * nc, &cl->agg));
  PetscCall(PetscMalloc4(nc, &cl->count, nc, &cl->s1, nc, &cl->sx, nc, &cl->sxx));
  PetscCall(PetscMalloc3(2 * nc, &cl->t, 2 * nc, &cl->mu, N, &cl->u));

  /* classes of the local neurons */
  if (cl->info.coords == SL_COORD_NN) {
    const PetscReal *th = cl->model.net->theta;

    if (clsgiven) PetscCall(PetscArraycpy(cl->cls, clsgiven, hl));
    else
      for (PetscInt i = 0; i < hl; i++) cl->cls[i] = SLClassOfNN(th[3 * i], th[3 * i + 1], N, x);
  } else {
    for (PetscInt i = 0; i < hl; i++) cl->cls[i] = SLClassOfBDSO(cl->model.sp->s[i], cl->model.sp->beta[i], N, x);
  }
  /* active sets and data moments */
  for (PetscInt c = 0; c < nc; c++) {
    PetscReal a = 0.0, b = 0.0;

    if (c <= N) {
      cl->lo[c] = c;
      cl->hi[c] = N;
    } else if (c <= 2 * N + 1) {
      cl->lo[c] = 0;
      cl->hi[c] = c - N - 1;
    } else {
      cl->lo[c] = 0;
      cl->hi[c] = N;
    }
    for (PetscInt n = cl->lo[c]; n < cl->hi[c]; n++) {
      a += x[n];
      b += x[n] * x[n];
    }
    cl->s1[c]  = (PetscReal)(cl->hi[c] - cl->lo[c]);
    cl->sx[c]  = a;
    cl->sxx[c] = b;
  }
  /* residual blocks per class, with the sums of SLNetworkResidualBlocks / SLSplineResidualBlocks (points in
   * index order over the same active set: the same numbers bit for bit as per neuron) */
  if (part != SL_HESS_GAUSS_NEWTON) {
    PetscCall(PetscMalloc1(N, &r));
    if (rgiven) PetscCall(PetscArraycpy(r, rgiven, N));
    else PetscCall(SLModelResidual(cl->model, data, r));
    for (PetscInt c = 0; c < nc; c++) {
      PetscReal sa = 0.0, sd = 0.0;

      for (PetscInt n = cl->lo[c]; n < cl->hi[c]; n++) {
        sa += r[n] * x[n];
        sd += r[n];
      }
      if (cl->info.coords == SL_COORD_NN) {
        cl->blk[2 * c]     = cl->scale * sa;
        cl->blk[2 * c + 1] = cl->scale * sd;
      } else {
        const PetscInt s = c <= N ? 1 : (c <= 2 * N + 1 ? -1 : 0);

        cl->blk[2 * c]     = s == 0 ? 0.0 : -cl->scale * s * sd; /* flat: a constant, no second derivative */
        cl->blk[2 * c + 1] = 0.0;
      }
    }
    PetscCall(PetscFree(r));
  }
  for (PetscInt c = 0; c < nc; c++) SLModelBlockEigen(cl->info.coords, cl->blk + 2 * c, cl->ev + 3 * c, cl->q + 9 * c);

  /* global aggregates by the deterministic block reduction (and this rank's largest diagonal entry of J^T J) */
  cl->dmax = 0.0;
  PetscCall(SLHessClassReduce(cl, nc * SL_CLASS_AGG, SLAggKernel, cl, cl->agg));
  cl->rnorm  = 0.0;
  cl->gtrace = 0.0;
  for (PetscInt c = 0; c < nc; c++) {
    PetscReal *ac = cl->agg + c * SL_CLASS_AGG;

    cl->count[c] = (PetscInt)ac[0];
    if (cl->info.coords == SL_COORD_NN && cl->ev[3 * c + 1] > 0) { /* rank one: sum v^2 times u u^T */
      const PetscReal svv = ac[1], u0 = cl->q[9 * c], u1 = cl->q[9 * c + 1];

      ac[1] = svv * u0 * u0;
      ac[2] = svv * u0 * u1;
      ac[3] = svv * u1 * u1;
    }
    if (cl->count[c] > 0)
      for (PetscInt k = 0; k < npn; k++) cl->rnorm = PetscMax(cl->rnorm, PetscAbsReal(cl->ev[3 * c + k]));
    if (part != SL_HESS_RESIDUAL) { /* trace of scale J^T J: sum_k Q_{c,k} = sum_i C_i^T C_i */
      PetscReal g00 = 0.0, g01 = 0.0, g11 = 0.0;

      for (PetscInt k = 0; k < npn; k++) {
        g00 += ac[1 + 3 * k];
        g01 += ac[2 + 3 * k];
        g11 += ac[3 + 3 * k];
      }
      cl->gtrace += cl->scale * (cl->sxx[c] * g00 + 2.0 * cl->sx[c] * g01 + cl->s1[c] * g11);
    }
  }
  /* largest diagonal entry of scale J^T J (the neurons' part from SLAggKernel) */
  if (part != SL_HESS_RESIDUAL) {
    dloc = cl->dmax;
    if (cl->info.has_c) {
      dloc = PetscMax(dloc, cl->scale * (PetscReal)N);
      cl->gtrace += cl->scale * (PetscReal)N;
    }
  }
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &dloc, 1, MPIU_REAL, MPIU_MAX, cl->info.comm));
  cl->hscale = PetscMax(cl->rnorm, dloc);
  *clp       = cl;
  PetscCall(PetscLogEventEnd(SL_EVENT_HessClass, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessClassDestroy(SLHessClass *cl)
{
  PetscFunctionBeginUser;
  if (!*cl) PetscFunctionReturn(0);
  if ((*cl)->own_model) PetscCall(SLModelDestroyCopy(&(*cl)->model));
  PetscCall(PetscFree((*cl)->cls));
  PetscCall(PetscFree2((*cl)->lo, (*cl)->hi));
  PetscCall(PetscFree4((*cl)->blk, (*cl)->ev, (*cl)->q, (*cl)->agg));
  PetscCall(PetscFree4((*cl)->count, (*cl)->s1, (*cl)->sx, (*cl)->sxx));
  PetscCall(PetscFree3((*cl)->t, (*cl)->mu, (*cl)->u));
  PetscCall(PetscFree2((*cl)->rpart, (*cl)->rall));
  PetscCall(PetscFree3((*cl)->rbcount, (*cl)->rcounts, (*cl)->rdispls));
  PetscCall(PetscFree(*cl));
  PetscFunctionReturn(0);
}

typedef struct {
  SLHessClass      cl;
  const PetscReal *z;
} SLApplyCtx;

/* t_c += C_i^T z_i over the block's neurons (outputs 2c, 2c + 1; SLHessClassReduce passes k0 = 0, m = 2 nc).
 * The coefficients of SLHessClassCoef, written out per coordinate system for speed. */
static void SLApplyKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal t[])
{
  const SLApplyCtx *ctx = (const SLApplyCtx *)vctx;
  SLHessClass       cl  = ctx->cl;
  const PetscInt   *cls = cl->cls;
  const PetscReal  *z   = ctx->z;

  (void)k0;
  (void)m;
  if (cl->info.coords == SL_COORD_NN) {
    const PetscReal *th = cl->model.net->theta;

    for (PetscInt i = i0; i < i1; i++) {
      const PetscReal w = th[3 * i], b = th[3 * i + 1], v = th[3 * i + 2];
      const PetscReal zw = z[3 * i], zb = z[3 * i + 1], zv = z[3 * i + 2];
      const PetscInt  c = cls[i];

      t[2 * c] += v * zw + w * zv;
      t[2 * c + 1] += v * zb + b * zv;
    }
  } else {
    const SLSpline sp = cl->model.sp;

    for (PetscInt i = i0; i < i1; i++) {
      const PetscInt  s = sp->s[i], c = cls[i];
      const PetscReal zb = z[2 * i], zm = z[2 * i + 1];

      if (s == 0) t[2 * c + 1] += zm;
      else {
        t[2 * c] += (PetscReal)s * zm;
        t[2 * c + 1] += -(PetscReal)s * sp->mu[i] * zb + -(PetscReal)s * sp->beta[i] * zm;
      }
    }
  }
}

PetscErrorCode SLHessClassJacobianApply(SLHessClass cl, const PetscReal z_local[], PetscReal u[])
{
  SLApplyCtx       ctx = {cl, z_local};
  const PetscInt   N   = cl->N;
  const PetscReal *x   = cl->data->x;
  PetscReal       *tg  = cl->t; /* global t_c */

  PetscFunctionBeginUser;
  PetscCall(SLHessClassReduce(cl, 2 * cl->nc, SLApplyKernel, &ctx, tg));
  for (PetscInt n = 0; n < N; n++) u[n] = 0.0;
  for (PetscInt c = 0; c < cl->nc; c++) {
    const PetscReal t0 = tg[2 * c], t1 = tg[2 * c + 1];

    if (cl->count[c] == 0) continue;
    for (PetscInt n = cl->lo[c]; n < cl->hi[c]; n++) u[n] += x[n] * t0 + t1;
  }
  if (cl->info.has_c) {
    PetscReal zc = cl->info.owns_c ? z_local[cl->info.npn * cl->info.hlocal] : 0.0;

    PetscCall(SLBcastFromLast(cl->info.comm, &zc));
    for (PetscInt n = 0; n < N; n++) u[n] += zc;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessClassJacobianTransposeApply(SLHessClass cl, const PetscReal u[], PetscReal z_local[])
{
  const PetscInt   npn = cl->info.npn;
  const PetscReal *x   = cl->data->x;
  PetscReal       *mu  = cl->mu;

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < cl->nc; c++) { /* (sum_{A_c} x_n u_n, sum_{A_c} u_n), points in index order */
    PetscReal a = 0.0, b = 0.0;

    if (cl->count[c] > 0)
      for (PetscInt n = cl->lo[c]; n < cl->hi[c]; n++) {
        a += x[n] * u[n];
        b += u[n];
      }
    mu[2 * c]     = a;
    mu[2 * c + 1] = b;
  }
  if (cl->info.coords == SL_COORD_NN) { /* (v mu0, v mu1, w mu0 + b mu1) */
    const PetscReal *th = cl->model.net->theta;

    for (PetscInt i = 0; i < cl->info.hlocal; i++) {
      const PetscReal *m = mu + 2 * cl->cls[i], w = th[3 * i], b = th[3 * i + 1], v = th[3 * i + 2];

      z_local[3 * i]     = v * m[0];
      z_local[3 * i + 1] = v * m[1];
      z_local[3 * i + 2] = w * m[0] + b * m[1];
    }
  } else { /* (-s mu_i mu1, s mu0 - s beta_i mu1); flat: (0, mu1) */
    const SLSpline sp = cl->model.sp;

    for (PetscInt i = 0; i < cl->info.hlocal; i++) {
      const PetscReal *m = mu + 2 * cl->cls[i];
      const PetscInt   s = sp->s[i];

      if (s == 0) {
        z_local[2 * i]     = 0.0;
        z_local[2 * i + 1] = m[1];
      } else {
        z_local[2 * i]     = -(PetscReal)s * sp->mu[i] * m[1];
        z_local[2 * i + 1] = (PetscReal)s * m[0] + -(PetscReal)s * sp->beta[i] * m[1];
      }
    }
  }
  if (cl->info.owns_c) {
    PetscReal s = 0.0;

    for (PetscInt n = 0; n < cl->N; n++) s += u[n];
    z_local[npn * cl->info.hlocal] = s;
  }
  PetscFunctionReturn(0);
}

void SLHessClassShiftedAggregates(SLHessClass cl, PetscReal lambda, PetscReal G[])
{
  for (PetscInt c = 0; c < cl->nc; c++) {
    PetscReal *g = G + 3 * c;

    g[0] = g[1] = g[2] = 0.0;
    if (cl->count[c] == 0) continue;
    for (PetscInt k = 0; k < cl->info.npn; k++) {
      const PetscReal *Q  = cl->agg + c * SL_CLASS_AGG + 1 + 3 * k;
      const PetscReal  wt = 1.0 / (cl->ev[3 * c + k] - lambda);

      g[0] += wt * Q[0];
      g[1] += wt * Q[1];
      g[2] += wt * Q[2];
    }
  }
}

void SLHessClassAssemble(SLHessClass cl, const PetscReal G[], PetscReal cterm, PetscReal A[])
{
  const PetscInt   N  = cl->N;
  const PetscReal *x  = cl->data->x;
  PetscReal       *cA = cl->mu, *cB = cl->t; /* 3 N numbers each (2 nc = 4 N + 6) */
  PetscReal        ca[3] = {0, 0, 0}, cb[3] = {0, 0, 0};

  /* Points n <= m are both in the suffix [k, N) iff k <= n, both in the prefix [0, k) iff k > m. With the
   * running sums cA(n) = sum_{k <= n} G_suffix(k) (+ the flat class, every point) and cB(m) = sum_{k > m}
   * G_prefix(k), the pair (n, m) sees T = cA(n) + cB(m). Dead classes (N, N + 1) never enter. */
  for (PetscInt n = 0; n < N; n++) {
    for (PetscInt e = 0; e < 3; e++) ca[e] += G[3 * n + e];
    if (n == 0)
      for (PetscInt e = 0; e < 3; e++) ca[e] += G[3 * (2 * N + 2) + e];
    for (PetscInt e = 0; e < 3; e++) cA[3 * n + e] = ca[e];
  }
  for (PetscInt m = N - 1; m >= 0; m--) {
    const PetscInt c = N + 1 + (m + 1); /* the prefix [0, m + 1) */

    for (PetscInt e = 0; e < 3; e++) cb[e] += G[3 * c + e];
    for (PetscInt e = 0; e < 3; e++) cB[3 * m + e] = cb[e];
  }
  for (PetscInt m = 0; m < N; m++)
    for (PetscInt n = 0; n <= m; n++) {
      const PetscReal t00 = cA[3 * n] + cB[3 * m], t01 = cA[3 * n + 1] + cB[3 * m + 1], t11 = cA[3 * n + 2] + cB[3 * m + 2];
      const PetscReal v = x[n] * x[m] * t00 + (x[n] + x[m]) * t01 + t11 + cterm;

      A[n + N * m] = v;
      A[m + N * n] = v;
    }
}
