/* Extreme eigenvalues of very wide networks from the class-reduced eigenproblem (docs/theory.md section 4).
 *
 * Let V_ck = span{e_i (x) q_ck : i in class c} (q_ck: k-th eigenvector of the class's residual block, eigenvalue
 * ev_ck). R acts on V_ck as ev_ck, and a vector sum_i alpha_i e_i (x) q_ck has J-image [x (.) m_c, m_c] Y_ck^T alpha
 * with Y_ck the |c| x 2 matrix of rows y_ik = C_i^T q_ck. So every alpha orthogonal to the (at most 2-dimensional)
 * column space of Y_ck is an exact eigenvector with eigenvalue ev_ck: multiplicity |c| - rank(Y_ck). On the
 * column spaces, with Q_ck = Y_ck^T Y_ck = sum_j s_j^2 v_j v_j^T (the class aggregates), the orthonormal vectors
 * b_j = Y_ck v_j / s_j span the rest, and in that basis (plus the output bias coordinate)
 *     Hess = diag(ev) + scale K^T K,   K = [ s_j [x (.) m_c, m_c] v_j ... , 1 ]   (N x m, m <= 6 nc + 1),
 * a dense m x m problem independent of the width. Its eigenvalues and the ev_ck with their multiplicities are the
 * whole spectrum of the P x P Hessian, exactly repeated eigenvalues included. Directions with s_j^2 <= 64 eps
 * s_1^2 (or beyond |c|) are rounding noise of an exactly rank-deficient Y_ck and are dropped. The aggregates are
 * replicated and rank independent; the small problem is solved on rank 0 and broadcast. Residuals
 * ||Hess x - lambda x|| / ||x|| use the matrix-free operator on the lifted vectors x (O(P) each).
 * Eigenvectors (-sl_eig_vectors): the lifted reduced eigenvectors, and for a multiplicity eigenvalue ev_ck that
 * the extremes hold u times, u orthonormal alpha's orthogonal to the column space of Y_ck (spectrum_vectors.c),
 * x = alpha (x) q_ck. Only replicated numbers and block-deterministic neuron sums enter, so they are bitwise the
 * same on any number of ranks. */
#include "spectrum_impl.h"
#include <petscblaslapack.h>
#include <float.h>

typedef struct {
  PetscInt   nitem;             /* (class, k) pairs of non-empty classes                        */
  PetscInt  *ic, *ik, *ir, *io; /* class, eigen-index, kept directions, first reduced coordinate */
  PetscReal *sig, *v;           /* s_j (2 per item), v_j (4 per item: v_j = (v[4t + 2j], v[4t + 2j + 1])) */
  PetscInt   m;                 /* reduced dimension: sum of kept directions (+ 1 for the output bias) */
} SLReduced;

/* Eigen-decomposition of the symmetric [[p, q], [q, s]] by one Jacobi rotation, eigenvalues descending. */
static void SLEig2(PetscReal p, PetscReal q, PetscReal s, PetscReal lam[2], PetscReal V[4])
{
  PetscReal l1, l2, c, sn, a[2], b[2];

  if (q == 0) {
    l1   = p;
    a[0] = 1;
    a[1] = 0;
    l2   = s;
    b[0] = 0;
    b[1] = 1;
  } else {
    const PetscReal tau = (s - p) / (2 * q);
    const PetscReal t   = PetscAbsReal(tau) > 1e150 ? 0.5 / tau : (tau >= 0 ? 1.0 : -1.0) / (PetscAbsReal(tau) + PetscSqrtReal(1 + tau * tau));

    c    = 1.0 / PetscSqrtReal(1 + t * t);
    sn   = t * c;
    l1   = p - t * q;
    a[0] = c;
    a[1] = -sn;
    l2   = s + t * q;
    b[0] = sn;
    b[1] = c;
  }
  if (l1 >= l2) {
    lam[0] = l1;
    V[0]   = a[0];
    V[1]   = a[1];
    lam[1] = l2;
    V[2]   = b[0];
    V[3]   = b[1];
  } else {
    lam[0] = l2;
    V[0]   = b[0];
    V[1]   = b[1];
    lam[1] = l1;
    V[2]   = a[0];
    V[3]   = a[1];
  }
}

static PetscErrorCode SLReducedCreate(SLHessClass cl, SLReduced *rd)
{
  const PetscInt npn = cl->info.npn;
  PetscInt       t   = 0;

  PetscFunctionBeginUser;
  rd->nitem = 0;
  for (PetscInt c = 0; c < cl->nc; c++)
    if (cl->count[c] > 0) rd->nitem += npn;
  PetscCall(PetscMalloc4(rd->nitem, &rd->ic, rd->nitem, &rd->ik, rd->nitem, &rd->ir, rd->nitem, &rd->io));
  PetscCall(PetscMalloc2(2 * rd->nitem, &rd->sig, 4 * rd->nitem, &rd->v));
  rd->m = 0;
  for (PetscInt c = 0; c < cl->nc; c++) {
    if (cl->count[c] == 0) continue;
    for (PetscInt k = 0; k < npn; k++, t++) {
      const PetscReal *Q = cl->agg + c * SL_CLASS_AGG + 1 + 3 * k;
      PetscReal        lam[2];

      rd->ic[t] = c;
      rd->ik[t] = k;
      rd->io[t] = rd->m;
      rd->ir[t] = 0;
      SLEig2(Q[0], Q[1], Q[2], lam, rd->v + 4 * t);
      if (cl->part != SL_HESS_RESIDUAL && cl->hi[c] > cl->lo[c] && lam[0] > 0) { /* dead classes: J = 0 there */
        rd->ir[t] = 1;
        if (cl->count[c] >= 2 && lam[1] > 64 * PETSC_MACHINE_EPSILON * lam[0]) rd->ir[t] = 2;
      }
      for (PetscInt j = 0; j < 2; j++) rd->sig[2 * t + j] = j < rd->ir[t] ? PetscSqrtReal(lam[j]) : 0.0;
      rd->m += rd->ir[t];
    }
  }
  if (cl->info.has_c && cl->part != SL_HESS_RESIDUAL) rd->m++; /* the output bias: K column of ones, ev 0 */
  PetscFunctionReturn(0);
}

static PetscErrorCode SLReducedDestroy(SLReduced *rd)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree4(rd->ic, rd->ik, rd->ir, rd->io));
  PetscCall(PetscFree2(rd->sig, rd->v));
  PetscFunctionReturn(0);
}

/* The m x m matrix diag(ev) + scale K^T K (column-major, full). */
static PetscErrorCode SLReducedMatrix(SLHessClass cl, const SLReduced *rd, PetscReal A[])
{
  const PetscInt   N = cl->N, m = rd->m;
  const PetscReal *x = cl->data->x;
  PetscReal       *K, one = 1.0, zero = 0.0;
  PetscBLASInt     bN, bm;

  PetscFunctionBeginUser;
  PetscCall(PetscBLASIntCast(N, &bN));
  PetscCall(PetscBLASIntCast(m, &bm));
  PetscCall(PetscCalloc1(N * m, &K));
  for (PetscInt t = 0; t < rd->nitem; t++) {
    const PetscInt c = rd->ic[t];

    for (PetscInt j = 0; j < rd->ir[t]; j++) {
      const PetscReal s = rd->sig[2 * t + j], v0 = rd->v[4 * t + 2 * j], v1 = rd->v[4 * t + 2 * j + 1];
      PetscReal      *col = K + N * (rd->io[t] + j);

      for (PetscInt n = cl->lo[c]; n < cl->hi[c]; n++) col[n] = s * (v0 * x[n] + v1);
    }
  }
  if (cl->info.has_c && cl->part != SL_HESS_RESIDUAL)
    for (PetscInt n = 0; n < N; n++) K[N * (m - 1) + n] = 1.0;
  if (m > 0) BLASgemm_("T", "N", &bm, &bm, &bN, &one, K, &bN, K, &bN, &zero, A, &bm);
  for (PetscInt p = 0; p < m * m; p++) A[p] *= cl->scale;
  for (PetscInt t = 0; t < rd->nitem; t++)
    for (PetscInt j = 0; j < rd->ir[t]; j++) A[(rd->io[t] + j) * (m + 1)] += cl->ev[3 * rd->ic[t] + rd->ik[t]];
  PetscCall(PetscFree(K));
  PetscFunctionReturn(0);
}

/* Eigenpairs il..iu (1-based, ascending) of the symmetric m x m A (kept; W: m x m work): values w, vectors Z
 * (m x (iu - il + 1)). LAPACK dsyevx (bisection and inverse iteration for the wanted pairs only); if inverse
 * iteration fails on a tight cluster, dsyev with all vectors. */
static PetscErrorCode SLReducedEig(PetscInt m, const PetscReal A[], PetscReal W[], PetscInt il, PetscInt iu, PetscReal w[], PetscReal Z[])
{
  PetscBLASInt bm, bil, biu, nfound = 0, lwork, info, *iwork, *ifail;
  PetscReal   *work, wq, vl = 0, vu = 0, abstol = 2 * DBL_MIN; /* most accurate eigenvalues (dsyevx documentation) */
  PetscReal   *wall;

  PetscFunctionBeginUser;
  PetscCall(PetscBLASIntCast(m, &bm));
  PetscCall(PetscBLASIntCast(il, &bil));
  PetscCall(PetscBLASIntCast(iu, &biu));
  PetscCall(PetscMalloc3(5 * m, &iwork, m, &ifail, m, &wall));
  PetscCall(PetscArraycpy(W, A, m * m));
  lwork = -1;
  LAPACKsyevx_("V", "I", "U", &bm, W, &bm, &vl, &vu, &bil, &biu, &abstol, &nfound, wall, Z, &bm, &wq, &lwork, iwork, ifail, &info);
  lwork = PetscMax(8 * bm, (PetscBLASInt)wq);
  PetscCall(PetscMalloc1(lwork, &work));
  PetscCallBLAS("LAPACKsyevx", LAPACKsyevx_("V", "I", "U", &bm, W, &bm, &vl, &vu, &bil, &biu, &abstol, &nfound, wall, Z, &bm, work, &lwork, iwork, ifail, &info));
  PetscCheck(info >= 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyevx: illegal argument %d", (int)-info);
  if (info == 0 && nfound == iu - il + 1) {
    for (PetscInt j = 0; j < nfound; j++) w[j] = wall[j];
  } else {
    PetscCall(PetscInfo(NULL, "Reduced Hessian: dsyevx found %d of %" PetscInt_FMT " eigenvectors (info %d); using dsyev\n", (int)nfound, iu - il + 1, (int)info));
    PetscCall(PetscFree(work));
    PetscCall(PetscArraycpy(W, A, m * m));
    lwork = -1;
    LAPACKsyev_("V", "U", &bm, W, &bm, wall, &wq, &lwork, &info);
    lwork = PetscMax(3 * bm, (PetscBLASInt)wq);
    PetscCall(PetscMalloc1(lwork, &work));
    PetscCallBLAS("LAPACKsyev", LAPACKsyev_("V", "U", &bm, W, &bm, wall, work, &lwork, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyev on the %" PetscInt_FMT " x %" PetscInt_FMT " reduced Hessian: info %d", m, m, (int)info);
    for (PetscInt j = il - 1; j < iu; j++) {
      w[j - il + 1] = wall[j];
      PetscCall(PetscArraycpy(Z + m * (j - il + 1), W + m * j, m));
    }
  }
  PetscCall(PetscFree(work));
  PetscCall(PetscFree3(iwork, ifail, wall));
  PetscFunctionReturn(0);
}

typedef struct {
  SLHessClass cl;
  PetscInt    c, k;
} SLProjCtx;

/* z = sum_{i in c} alpha_i y_ik, alpha_i = SLStartWeight(global i) */
static void SLProjKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLProjCtx *ctx  = (const SLProjCtx *)vctx;
  SLHessClass      cl   = ctx->cl;
  const PetscInt   npn  = cl->info.npn;
  const PetscReal *q    = cl->q + 9 * ctx->c + npn * ctx->k;
  PetscReal        z[2] = {0, 0};

  for (PetscInt i = i0; i < i1; i++) {
    PetscReal C[6], y0 = 0.0, y1 = 0.0, a;

    if (cl->cls[i] != ctx->c) continue;
    SLHessClassCoef(cl, i, C);
    for (PetscInt j = 0; j < npn; j++) {
      y0 += q[j] * C[2 * j];
      y1 += q[j] * C[2 * j + 1];
    }
    a = SLStartWeight(cl->info.hstart + i);
    z[0] += a * y0;
    z[1] += a * y1;
  }
  for (PetscInt j = 0; j < m; j++) acc[j] += z[k0 + j];
}

/* Source of one extreme: an eigenpair of the reduced matrix (type 0, index into the stored vectors) or the
 * multiplicity eigenvalue of item t (type 1; t = nitem: the output bias of the residual part). */
typedef struct {
  PetscInt  type, idx;
  PetscReal value;
  PetscInt  copy; /* type 1: which of the multiplicity copies (0 .. mult-1) */
} SLSource;

/* x = the eigenvector of a source, in the layout of the operator's Vecs. */
static PetscErrorCode SLLift(SLHessClass cl, const SLReduced *rd, const SLSource *src, const PetscReal gam[], Vec xv)
{
  const PetscInt npn = cl->info.npn, nc = cl->nc;
  PetscReal     *w, *x; /* w: 2 numbers per (class, k) */

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(6 * nc, &w));
  PetscCall(VecGetArrayWrite(xv, &x));
  for (PetscInt p = 0; p < cl->info.Plocal; p++) x[p] = 0.0;
  if (src->type == 0) {
    /* b_j = Y v_j / s_j: alpha_i = y_ik . w_ck with w_ck = sum_j v_j gamma_j / s_j, so
     * x_i = sum_k q_ck (q_ck^T C_i w_ck) = M_c0 C_i[:, 0] + M_c1 C_i[:, 1], M_ce = sum_k w_ck[e] q_ck q_ck^T */
    PetscReal *M; /* 2 npn x npn per class */

    PetscCall(PetscCalloc1(18 * nc, &M));
    for (PetscInt t = 0; t < rd->nitem; t++)
      for (PetscInt j = 0; j < rd->ir[t]; j++) {
        const PetscReal g  = gam[rd->io[t] + j] / rd->sig[2 * t + j];
        PetscReal      *wt = w + 2 * (3 * rd->ic[t] + rd->ik[t]);

        wt[0] += g * rd->v[4 * t + 2 * j];
        wt[1] += g * rd->v[4 * t + 2 * j + 1];
      }
    for (PetscInt c = 0; c < nc; c++)
      for (PetscInt k = 0; k < npn; k++) {
        const PetscReal *q = cl->q + 9 * c + npn * k, *wk = w + 2 * (3 * c + k);

        for (PetscInt e = 0; e < 2; e++)
          for (PetscInt a = 0; a < npn; a++)
            for (PetscInt b = 0; b < npn; b++) M[18 * c + 9 * e + npn * a + b] += wk[e] * q[a] * q[b];
      }
    for (PetscInt i = 0; i < cl->info.hlocal; i++) {
      const PetscReal *Mc = M + 18 * cl->cls[i];
      PetscReal        C[6];

      SLHessClassCoef(cl, i, C);
      for (PetscInt a = 0; a < npn; a++) {
        PetscReal xa = 0.0;

        for (PetscInt b = 0; b < npn; b++) xa += Mc[npn * a + b] * C[2 * b] + Mc[9 + npn * a + b] * C[2 * b + 1];
        x[npn * i + a] = xa;
      }
    }
    PetscCall(PetscFree(M));
    if (cl->info.owns_c && cl->info.has_c) x[npn * cl->info.hlocal] = gam[rd->m - 1];
  } else if (src->idx == rd->nitem) { /* output bias of the residual part: R = 0 there */
    if (cl->info.owns_c) x[npn * cl->info.hlocal] = 1.0;
  } else {
    /* alpha = start weights on class c, minus its projection on the kept directions b_j */
    const PetscInt   t = src->idx, c = rd->ic[t], k = rd->ik[t];
    const PetscReal *q   = cl->q + 9 * c + npn * k;
    SLProjCtx        ctx = {cl, c, k};
    PetscReal        z[2], cf[2] = {0, 0};

    PetscCall(SLHessClassReduce(cl, 2, SLProjKernel, &ctx, z));
    for (PetscInt j = 0; j < rd->ir[t]; j++) { /* alpha -= sum_j b_j (b_j . alpha), b_j . alpha = v_j . z / s_j */
      const PetscReal *vj = rd->v + 4 * t + 2 * j, s2 = rd->sig[2 * t + j] * rd->sig[2 * t + j];
      const PetscReal  d = (vj[0] * z[0] + vj[1] * z[1]) / s2;

      cf[0] += d * vj[0];
      cf[1] += d * vj[1];
    }
    for (PetscInt i = 0; i < cl->info.hlocal; i++) {
      PetscReal C[6], y0 = 0.0, y1 = 0.0, a;

      if (cl->cls[i] != c) continue;
      SLHessClassCoef(cl, i, C);
      for (PetscInt j = 0; j < npn; j++) {
        y0 += q[j] * C[2 * j];
        y1 += q[j] * C[2 * j + 1];
      }
      a = SLStartWeight(cl->info.hstart + i) - (y0 * cf[0] + y1 * cf[1]);
      for (PetscInt j = 0; j < npn; j++) x[npn * i + j] = a * q[j];
    }
  }
  PetscCall(VecRestoreArrayWrite(xv, &x));
  PetscCall(PetscFree(w));
  PetscFunctionReturn(0);
}

/* The multiplicity eigenvalues (value, count), sorted ascending. */
typedef struct {
  PetscReal value;
  PetscInt  mult, item;
} SLMult;

static int SLMultCompare(const void *a, const void *b) /* by value, ties by item: a total order */
{
  const SLMult *p = (const SLMult *)a, *q = (const SLMult *)b;

  if (p->value != q->value) return p->value < q->value ? -1 : 1;
  return p->item < q->item ? -1 : (p->item > q->item ? 1 : 0);
}

static PetscErrorCode SLMultList(SLHessClass cl, const SLReduced *rd, PetscInt *nm, SLMult **list)
{
  PetscInt n = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(rd->nitem + 1, list));
  for (PetscInt t = 0; t < rd->nitem; t++) {
    const PetscInt mult = cl->count[rd->ic[t]] - rd->ir[t];

    if (mult <= 0) continue;
    (*list)[n].value = cl->ev[3 * rd->ic[t] + rd->ik[t]];
    (*list)[n].mult  = mult;
    (*list)[n].item  = t;
    n++;
  }
  if (cl->info.has_c && cl->part == SL_HESS_RESIDUAL) {
    (*list)[n].value = 0.0;
    (*list)[n].mult  = 1;
    (*list)[n].item  = rd->nitem;
    n++;
  }
  qsort(*list, (size_t)n, sizeof(SLMult), SLMultCompare);
  *nm = n;
  PetscFunctionReturn(0);
}

/* The sources of the nsmall smallest then the nlarge largest eigenvalues, merged from the ns smallest and nl
 * largest reduced eigenvalues w and the nm multiplicity groups ml. Ties go to the reduced eigenvalue at the small
 * end, and at the large end too unless strict: then the two ends are a prefix and a suffix of one total order
 * (value, reduced before multiplicity, index), so they never share a vector or a multiplicity copy (copies are
 * numbered up from 0 at the small end, down from mult - 1 at the large end). */
static PetscErrorCode SLMerge(PetscInt nsmall, PetscInt nlarge, PetscInt ns, PetscInt nl, const PetscReal w[], PetscInt nm, const SLMult ml[], PetscBool strict, SLSource src[])
{
  PetscInt a = 0, b = 0, used = 0;

  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < nsmall; j++) {
    const PetscBool take_red = a < ns && (b >= nm || w[a] <= ml[b].value) ? PETSC_TRUE : PETSC_FALSE;

    PetscCheck(a < ns || b < nm, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Reduced spectrum: too few eigenvalues");
    src[j].copy = -1;
    if (take_red) {
      src[j].type  = 0;
      src[j].idx   = a;
      src[j].value = w[a++];
    } else {
      src[j].type  = 1;
      src[j].idx   = ml[b].item;
      src[j].value = ml[b].value;
      src[j].copy  = used;
      if (++used == ml[b].mult) {
        b++;
        used = 0;
      }
    }
  }
  a    = nl - 1;
  b    = nm - 1;
  used = 0;
  for (PetscInt j = 0; j < nlarge; j++) { /* descending; stored ascending at the end */
    const PetscBool take_red = a >= 0 && (b < 0 || (strict ? w[ns + a] > ml[b].value : w[ns + a] >= ml[b].value)) ? PETSC_TRUE : PETSC_FALSE;
    SLSource       *sj       = src + nsmall + nlarge - 1 - j;

    PetscCheck(a >= 0 || b >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Reduced spectrum: too few eigenvalues");
    sj->copy = -1;
    if (take_red) {
      sj->type  = 0;
      sj->idx   = ns + a;
      sj->value = w[ns + a--];
    } else {
      sj->type  = 1;
      sj->idx   = ml[b].item;
      sj->value = ml[b].value;
      sj->copy  = ml[b].mult - 1 - used;
      if (++used == ml[b].mult) {
        b--;
        used = 0;
      }
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumReducedSize(SLHessCount hc, PetscInt *m)
{
  SLHessClass cl;
  SLReduced   rd;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountGetClass(hc, &cl));
  PetscCall(SLReducedCreate(cl, &rd));
  *m = rd.m;
  PetscCall(SLReducedDestroy(&rd));
  PetscFunctionReturn(0);
}

/* Do the eigenvalues from the two LAPACK calls (the ns smallest, the nl largest) touch: the largest of the first
 * within 1e-6 max|w| of the smallest of the second (or overlapping)? Eigenvectors of a (numerically) repeated
 * eigenvalue from separate calls are not orthogonal to each other; then all of them come from one call. */
static PetscBool SLJointNeeded(PetscInt ns, PetscInt nl, const PetscReal w[])
{
  PetscReal sc;

  if (ns <= 0 || nl <= 0) return PETSC_FALSE;
  sc = PetscMax(PetscAbsReal(w[0]), PetscAbsReal(w[ns + nl - 1]));
  return w[ns] - w[ns - 1] <= 1e-6 * sc ? PETSC_TRUE : PETSC_FALSE;
}

/* Eigenvectors of the extremes (not normalized): the lifted reduced eigenvectors, and for a multiplicity
 * eigenvalue as many orthonormal vectors of its eigenspace as the extremes hold copies of it
 * (SLSpectrumMultVectors), assigned in copy order. Sources by the strict merge, so no two rows share a vector. */
static PetscErrorCode SLReducedVectors(SLHessClass cl, const SLReduced *rd, PetscInt nsmall, PetscInt nlarge, PetscInt ns, PetscInt nl, const PetscReal w[], const PetscReal Z[], PetscBool joint, PetscInt nm, const SLMult ml[], Vec xv, PetscReal vecs[])
{
  const PetscInt nv = nsmall + nlarge, Pl = cl->info.Plocal, hl = cl->info.hlocal, npn = cl->info.npn;
  SLSource      *src;
  PetscInt      *done, *grp;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(nv, &src, nv, &done, nv, &grp));
  PetscCall(SLMerge(nsmall, nlarge, ns, nl, w, nm, ml, PETSC_TRUE, src));
  for (PetscInt j = 0; j < nv; j++) done[j] = 0;
  for (PetscInt j = 0; j < nv; j++) {
    PetscInt         ng = 0, t, c;
    PetscReal       *alpha;
    const PetscReal *q;

    if (done[j]) continue;
    if (src[j].type == 0 || src[j].idx == rd->nitem) {
      const PetscScalar *xa;

      const PetscInt col = joint && src[j].idx >= ns ? rd->m - nl + src[j].idx - ns : src[j].idx;

      PetscCall(SLLift(cl, rd, src + j, src[j].type == 0 ? Z + rd->m * col : NULL, xv));
      PetscCall(VecGetArrayRead(xv, &xa));
      PetscCall(PetscArraycpy(vecs + j * Pl, xa, Pl));
      PetscCall(VecRestoreArrayRead(xv, &xa));
      done[j] = 1;
      continue;
    }
    for (PetscInt j2 = j; j2 < nv; j2++)
      if (!done[j2] && src[j2].type == 1 && src[j2].idx == src[j].idx) {
        grp[ng++] = j2;
        done[j2]  = 1;
      }
    for (PetscInt a = 1; a < ng; a++) /* insertion sort of the group by copy number */
      for (PetscInt b = a; b > 0 && src[grp[b]].copy < src[grp[b - 1]].copy; b--) {
        const PetscInt tmp = grp[b];

        grp[b]     = grp[b - 1];
        grp[b - 1] = tmp;
      }
    t = src[j].idx;
    c = rd->ic[t];
    q = cl->q + 9 * c + npn * rd->ik[t];
    PetscCall(PetscMalloc1(PetscMax(ng * hl, 1), &alpha));
    PetscCall(SLSpectrumMultVectors(cl, c, rd->ik[t], rd->ir[t], rd->v + 4 * t, rd->sig + 2 * t, ng, alpha));
    PetscCall(PetscInfo(NULL, "Reduced eigenvectors: %" PetscInt_FMT " of the %" PetscInt_FMT " of eigenvalue %g (class %" PetscInt_FMT ", %" PetscInt_FMT " kept directions)\n", ng, cl->count[c] - rd->ir[t], (double)src[j].value, c, rd->ir[t]));
    for (PetscInt u = 0; u < ng; u++) { /* x_i = alpha_i q_ck on class c, zero elsewhere */
      PetscReal *row = vecs + grp[u] * Pl;

      for (PetscInt p = 0; p < Pl; p++) row[p] = 0.0;
      for (PetscInt i = 0; i < hl; i++)
        if (cl->cls[i] == c)
          for (PetscInt a = 0; a < npn; a++) row[npn * i + a] = alpha[u * hl + i] * q[a];
    }
    PetscCall(PetscFree(alpha));
  }
  PetscCall(PetscFree3(src, done, grp));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumReduced(SLHessCount hc, PetscInt nsmall, PetscInt nlarge, PetscReal values[], PetscReal residuals[], PetscInt *nconv, PetscReal vecs[])
{
  SLHessClass cl;
  SLReduced   rd;
  SLMult     *ml;
  SLSource   *src;
  PetscInt    nm, m, ns, nl, nz;
  PetscReal  *w, *Z;       /* reduced eigenpairs: the ns smallest, then the nl largest (ascending within each) */
  PetscReal  *Zall = NULL; /* vectors wanted and the two sets touch: all m reduced eigenvectors, one call */
  PetscMPIInt rank;
  Mat         A;
  Vec         xv, yv;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountGetClass(hc, &cl));
  PetscCall(SLReducedCreate(cl, &rd));
  m  = rd.m;
  ns = PetscMin(nsmall, m);
  nl = PetscMin(nlarge, m);
  nz = ns + nl;
  PetscCall(PetscMalloc2(PetscMax(nz, 1), &w, PetscMax(nz * m, 1), &Z));
  PetscCall(PetscLogEventBegin(SL_EVENT_SpecReduced, 0, 0, 0, 0));
  PetscCallMPI(MPI_Comm_rank(cl->info.comm, &rank));
  if (rank == 0 && m > 0) {
    PetscReal *Am, *A2;

    PetscCall(PetscMalloc2(m * m, &Am, m * m, &A2));
    PetscCall(SLReducedMatrix(cl, &rd, Am));
    if (ns > 0) PetscCall(SLReducedEig(m, Am, A2, 1, ns, w, Z));
    if (nl > 0) PetscCall(SLReducedEig(m, Am, A2, m - nl + 1, m, w + ns, Z + ns * m));
    if (vecs && SLJointNeeded(ns, nl, w)) {
      PetscReal *wall;

      PetscCall(PetscInfo(NULL, "Reduced eigenvectors: the %" PetscInt_FMT " smallest and %" PetscInt_FMT " largest touch; all %" PetscInt_FMT " vectors from one call\n", ns, nl, m));
      PetscCall(PetscMalloc1(m, &wall));
      PetscCall(PetscMalloc1(m * m, &Zall));
      PetscCall(SLReducedEig(m, Am, A2, 1, m, wall, Zall));
      PetscCall(PetscFree(wall)); /* only the vectors are used: the values stay those of the two calls */
    }
    PetscCall(PetscFree2(Am, A2));
  }
  if (nz > 0) {
    PetscCallMPI(MPI_Bcast(w, (PetscMPIInt)nz, MPIU_REAL, 0, cl->info.comm));
    PetscCallMPI(MPI_Bcast(Z, (PetscMPIInt)(nz * m), MPIU_REAL, 0, cl->info.comm));
  }
  if (vecs && m > 0 && SLJointNeeded(ns, nl, w)) { /* the same decision on every rank: w is replicated */
    if (rank != 0) PetscCall(PetscMalloc1(m * m, &Zall));
    PetscCallMPI(MPI_Bcast(Zall, (PetscMPIInt)(m * m), MPIU_REAL, 0, cl->info.comm));
  }
  PetscCall(PetscLogEventEnd(SL_EVENT_SpecReduced, 0, 0, 0, 0));
  PetscCall(SLMultList(cl, &rd, &nm, &ml));

  /* merge: the nsmall smallest of {reduced eigenvalues} u {ev_ck x multiplicity}, then the nlarge largest */
  PetscCall(PetscMalloc1(nsmall + nlarge, &src));
  PetscCall(SLMerge(nsmall, nlarge, ns, nl, w, nm, ml, PETSC_FALSE, src));

  /* residuals on the matrix-free operator, once per distinct source */
  PetscCall(SLHessianCreateShellFromClass(cl, &A));
  PetscCall(MatCreateVecs(A, &xv, &yv));
  for (PetscInt j = 0; j < nsmall + nlarge; j++) {
    PetscInt prev = -1;

    for (PetscInt i = 0; i < j && prev < 0; i++)
      if (src[i].type == src[j].type && src[i].idx == src[j].idx) prev = i;
    values[j] = src[j].value;
    if (prev >= 0) {
      residuals[j] = residuals[prev];
      continue;
    }
    {
      PetscReal nx, nr;

      PetscCall(SLLift(cl, &rd, src + j, src[j].type == 0 ? Z + m * src[j].idx : NULL, xv));
      PetscCall(MatMult(A, xv, yv));
      PetscCall(VecAXPY(yv, -src[j].value, xv));
      PetscCall(VecNorm(xv, NORM_2, &nx));
      PetscCall(VecNorm(yv, NORM_2, &nr));
      residuals[j] = nx > 0 ? nr / nx : (PetscReal)NAN;
    }
  }
  *nconv = nsmall + nlarge;
  if (vecs) PetscCall(SLReducedVectors(cl, &rd, nsmall, nlarge, ns, nl, w, Zall ? Zall : Z, Zall ? PETSC_TRUE : PETSC_FALSE, nm, ml, xv, vecs));
  PetscCall(PetscFree(Zall));
  PetscCall(VecDestroy(&xv));
  PetscCall(VecDestroy(&yv));
  PetscCall(MatDestroy(&A));
  PetscCall(PetscFree(src));
  PetscCall(PetscFree(ml));
  PetscCall(PetscFree2(w, Z));
  PetscCall(SLReducedDestroy(&rd));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSpectrumReducedAll(SLHessCount hc, PetscReal values[])
{
  SLHessClass  cl;
  SLReduced    rd;
  SLMult      *ml;
  PetscInt     nm, m, n = 0;
  PetscReal   *Am, *work, wq;
  PetscBLASInt bm, lwork = -1, info;

  PetscFunctionBeginUser;
  PetscCall(SLHessCountGetClass(hc, &cl));
  PetscCall(SLReducedCreate(cl, &rd));
  m = rd.m;
  PetscCall(PetscMalloc1(PetscMax(m * m, 1), &Am));
  if (m > 0) {
    PetscCall(SLReducedMatrix(cl, &rd, Am));
    PetscCall(PetscBLASIntCast(m, &bm));
    LAPACKsyev_("N", "U", &bm, Am, &bm, values, &wq, &lwork, &info);
    lwork = PetscMax(3 * bm, (PetscBLASInt)wq);
    PetscCall(PetscMalloc1(lwork, &work));
    PetscCallBLAS("LAPACKsyev", LAPACKsyev_("N", "U", &bm, Am, &bm, values, work, &lwork, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyev on the reduced Hessian: info %d", (int)info);
    PetscCall(PetscFree(work));
  }
  n = m;
  PetscCall(SLMultList(cl, &rd, &nm, &ml));
  for (PetscInt b = 0; b < nm; b++)
    for (PetscInt j = 0; j < ml[b].mult; j++) values[n++] = ml[b].value;
  PetscCheck(n == cl->info.P, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Reduced spectrum has %" PetscInt_FMT " eigenvalues, P = %" PetscInt_FMT, n, cl->info.P);
  PetscCall(PetscSortReal(n, values));
  PetscCall(PetscFree(ml));
  PetscCall(PetscFree(Am));
  PetscCall(SLReducedDestroy(&rd));
  PetscFunctionReturn(0);
}
