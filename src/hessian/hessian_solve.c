/* Exact solves with the shifted Hessian, shift I + Hess = M + scale J^T J (docs/theory.md section 4), optionally
 * bordered by constraints on single neurons:
 *     (shift I + Hess) y + E lambda = r,   E^T y = c,
 * E = [e_1 .. e_k], e_j a unit vector in the parameter block of one neuron (at most one per neuron). This is the
 * Newton system of the implicit gradient-flow stages (src/train/train_implicit.c, e_j: a breakpoint held on a
 * data point), solved directly instead of by a Krylov method.
 *
 * Woodbury on the class structure. M = shift I + R is block-diagonal and its block depends only on the neuron's
 * activation class: M_c^{-1} = sum_k q_ck q_ck^T / (ev_ck + shift) from the eigen-decomposition of the class block
 * (SLModelBlockEigen). A constraint is folded into its neuron's block: the bordered block [[M_c, e], [e^T, 0]] maps
 * (r_i, c) to y_i = P_i r_i + M_c^{-1} e c / (e^T M_c^{-1} e), with the projected inverse
 * P_i = M_c^{-1} - M_c^{-1} e e^T M_c^{-1} / (e^T M_c^{-1} e) (e^T P_i = 0, so e^T y_i = c). Call that block map
 * Mhat^{-1} (M_c^{-1} for a free neuron). The Jacobian does not see the multipliers, so
 *     y = z - Mhat^{-1} J^T K^{-1} J z,   z = Mhat^{-1} (r, c),   K = I / scale + J Mhat^{-1} J^T,
 * and K = I / scale + sum_c [x (.) m_c, m_c] G_c [x (.) m_c, m_c]^T (+ 1 1^T / shift for c) with the class
 * aggregates G_c = sum_k Q_ck / (ev_ck + shift) of the inertia count at lambda = -shift, minus t t^T / (e^T M_c^{-1} e),
 * t = C_i^T M_c^{-1} e, for every constrained neuron of the class (the rank-one difference of P_i and M_c^{-1}).
 * Cost: setup O(nc + k + N^2) and N^3 / 3 for the LDL^T factorization of K (LAPACK dsytrf, on rank 0); a solve
 * O(P + N nc + N^2), i.e. two class passes over the neurons, whatever the width and the number of constraints.
 *
 * Determinism: the class sums are the block-deterministic ones of hessian_class.c, the constraint corrections are
 * gathered in global neuron order and applied on rank 0, where K is assembled, factored and solved; the solution
 * of the small system is broadcast: the result is bitwise independent of the number of ranks.
 *
 * Conditioning: M_c is singular when shift = -ev_ck for a non-empty class (shift = rho_c in NN coordinates); the
 * setup reports *ok = PETSC_FALSE when |ev_ck + shift| <= 1e-10 max(shift, |Hess| scale), when a constrained
 * block is singular (e^T M_c^{-1} e ~ 0) or when K has an exactly zero pivot. */
#include <splinelens/private/hessianimpl.h>
#include <petscblaslapack.h>

struct _n_SLHessSolve {
  Mat          H; /* the operator of the last setup (referenced) */
  SLHessClass  cl;
  PetscReal    shift;
  PetscBool    ok;
  PetscInt     N, ncap, Pcap, kloccap, kcap; /* sizes the buffers hold */
  PetscReal   *Minv, *G;                     /* 9 per class, 3 per class */
  PetscReal   *K, *work, *u;                 /* N x N (its factors, on rank 0), LAPACK work, N */
  PetscBLASInt lwork, *ipiv;
  /* constraints: the local ones (neuron, direction, M_c^{-1} e, e^T M_c^{-1} e), and the class corrections of
   * all of them gathered in global neuron order (class, t0, t1, e^T M_c^{-1} e) */
  PetscInt     klocal;
  PetscInt    *cnrn, *pinof; /* local neuron of each local constraint; constraint of each local neuron or -1 */
  PetscReal   *cdir, *cMe, *ceMe, *cpack, *call;
  PetscMPIInt *kcounts, *kdispls, size, rank;
  PetscReal   *z, *v; /* per-solve work, Plocal each */
};

PetscErrorCode SLHessianSolveCreate(SLHessSolve *hs)
{
  PetscFunctionBeginUser;
  PetscCall(SLInitializePackage());
  PetscCall(PetscNew(hs));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianSolveDestroy(SLHessSolve *hs)
{
  PetscFunctionBeginUser;
  if (!*hs) PetscFunctionReturn(0);
  PetscCall(MatDestroy(&(*hs)->H));
  PetscCall(PetscFree2((*hs)->Minv, (*hs)->G));
  PetscCall(PetscFree3((*hs)->K, (*hs)->ipiv, (*hs)->u));
  PetscCall(PetscFree((*hs)->work));
  PetscCall(PetscFree3((*hs)->z, (*hs)->v, (*hs)->pinof));
  PetscCall(PetscFree6((*hs)->cnrn, (*hs)->cdir, (*hs)->cMe, (*hs)->ceMe, (*hs)->cpack, (*hs)->kcounts));
  PetscCall(PetscFree((*hs)->kdispls));
  PetscCall(PetscFree((*hs)->call));
  PetscCall(PetscFree(*hs));
  PetscFunctionReturn(0);
}

/* y = M_c^{-1} x for one neuron block (npn numbers) */
static inline void SLSolveBlock(const PetscReal *Mi, PetscInt npn, const PetscReal x[], PetscReal y[])
{
  if (npn == 3) { /* the NN case written out (the same operations in the same order as the loop) */
    const PetscReal x0 = x[0], x1 = x[1], x2 = x[2];

    y[0] = 0.0 + Mi[0] * x0 + Mi[1] * x1 + Mi[2] * x2;
    y[1] = 0.0 + Mi[3] * x0 + Mi[4] * x1 + Mi[5] * x2;
    y[2] = 0.0 + Mi[6] * x0 + Mi[7] * x1 + Mi[8] * x2;
    return;
  }
  for (PetscInt a = 0; a < npn; a++) {
    PetscReal s = 0.0;

    for (PetscInt b = 0; b < npn; b++) s += Mi[npn * a + b] * x[b];
    y[a] = s;
  }
}

/* (re)allocate the buffers that depend on N, nc, Plocal and the constraint counts */
static PetscErrorCode SLHessSolveAlloc(SLHessSolve hs, PetscInt klocal, PetscInt k)
{
  SLHessClass cl = hs->cl;
  PetscInt    N = cl->N, nc = cl->nc, Pl = PetscMax(1, cl->info.Plocal);

  PetscFunctionBeginUser;
  if (nc > hs->ncap) {
    PetscCall(PetscFree2(hs->Minv, hs->G));
    PetscCall(PetscMalloc2(9 * nc, &hs->Minv, 3 * nc, &hs->G));
    hs->ncap = nc;
  }
  if (N != hs->N) {
    PetscBLASInt bN, info, lq = -1;
    PetscReal    wq;

    PetscCall(PetscFree3(hs->K, hs->ipiv, hs->u));
    PetscCall(PetscFree(hs->work));
    PetscCall(PetscMalloc3(N * N, &hs->K, N, &hs->ipiv, N, &hs->u));
    PetscCall(PetscBLASIntCast(N, &bN));
    LAPACKsytrf_("L", &bN, hs->K, &bN, hs->ipiv, &wq, &lq, &info); /* workspace query */
    hs->lwork = PetscMax(bN, (PetscBLASInt)wq);
    PetscCall(PetscMalloc1(hs->lwork, &hs->work));
    hs->N = N;
  }
  if (Pl > hs->Pcap) {
    PetscCall(PetscFree3(hs->z, hs->v, hs->pinof));
    PetscCall(PetscMalloc3(Pl, &hs->z, Pl, &hs->v, Pl, &hs->pinof));
    hs->Pcap = Pl;
  }
  if (klocal > hs->kloccap || !hs->kcounts) {
    const PetscInt kl = PetscMax(klocal, 1);

    PetscCall(PetscFree6(hs->cnrn, hs->cdir, hs->cMe, hs->ceMe, hs->cpack, hs->kcounts));
    PetscCall(PetscFree(hs->kdispls));
    PetscCallMPI(MPI_Comm_size(cl->info.comm, &hs->size));
    PetscCallMPI(MPI_Comm_rank(cl->info.comm, &hs->rank));
    PetscCall(PetscMalloc6(kl, &hs->cnrn, 3 * kl, &hs->cdir, 3 * kl, &hs->cMe, kl, &hs->ceMe, 4 * kl, &hs->cpack, hs->size, &hs->kcounts));
    PetscCall(PetscMalloc1(hs->size, &hs->kdispls));
    hs->kloccap = kl;
  }
  if (k > hs->kcap) {
    PetscCall(PetscFree(hs->call));
    PetscCall(PetscMalloc1(4 * k, &hs->call));
    hs->kcap = k;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianSolveSetUp(SLHessSolve hs, Mat H, PetscReal shift, PetscInt klocal, const PetscInt neuron[], const PetscReal dir[], PetscBool *ok)
{
  SLHessClass  cl;
  PetscInt     N, nc, npn, k = 0;
  PetscMPIInt  ml;
  PetscBLASInt bN, info = 0;
  int          good = 1;

  PetscFunctionBeginUser;
  PetscCall(SLHessianShellGetClass(H, &cl));
  PetscCheck(cl->part == SL_HESS_FULL, cl->info.comm, PETSC_ERR_ARG_WRONG, "SLHessianSolveSetUp: needs the full Hessian (SL_HESS_FULL)");
  PetscCheck(shift > 0, cl->info.comm, PETSC_ERR_ARG_OUTOFRANGE, "SLHessianSolveSetUp: shift %g must be positive", (double)shift);
  PetscCall(PetscObjectReference((PetscObject)H));
  PetscCall(MatDestroy(&hs->H));
  hs->H     = H;
  hs->cl    = cl;
  hs->shift = shift;
  N         = cl->N;
  nc        = cl->nc;
  npn       = cl->info.npn;
  PetscCall(SLHessSolveAlloc(hs, klocal, 0));
  PetscCall(PetscMPIIntCast(klocal, &ml));
  PetscCallMPI(MPI_Allgather(&ml, 1, MPI_INT, hs->kcounts, 1, MPI_INT, cl->info.comm));
  for (PetscMPIInt r = 0; r < hs->size; r++) {
    PetscCall(PetscMPIIntCast(4 * k, &hs->kdispls[r]));
    k += hs->kcounts[r];
    hs->kcounts[r] *= 4;
  }
  PetscCall(SLHessSolveAlloc(hs, klocal, k));
  hs->klocal = klocal;

  /* M_c^{-1} of the non-empty classes, and whether shift clears every class eigenvalue */
  for (PetscInt c = 0; c < nc; c++) {
    PetscReal *Mi = hs->Minv + 9 * c;

    for (PetscInt e = 0; e < 9; e++) Mi[e] = 0.0;
    if (cl->count[c] == 0) continue;
    for (PetscInt kk = 0; kk < npn; kk++) {
      const PetscReal  den = cl->ev[3 * c + kk] + shift;
      const PetscReal *q   = cl->q + 9 * c + npn * kk;

      if (PetscAbsReal(den) <= 1e-10 * PetscMax(shift, cl->hscale)) good = 0;
      for (PetscInt a = 0; a < npn; a++)
        for (PetscInt b = 0; b < npn; b++) Mi[npn * a + b] += q[a] * q[b] / den;
    }
  }
  /* the constraints: M_c^{-1} e, e^T M_c^{-1} e and the class correction t = C_i^T M_c^{-1} e */
  for (PetscInt i = 0; i < cl->info.hlocal; i++) hs->pinof[i] = -1;
  for (PetscInt j = 0; j < klocal; j++) {
    const PetscInt i = neuron[j], c = cl->cls[i];
    PetscReal     *e = hs->cdir + npn * j, *Me = hs->cMe + npn * j, *pk = hs->cpack + 4 * j, C[6], nrm = 0.0;

    PetscCheck(i >= 0 && i < cl->info.hlocal && hs->pinof[i] < 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLHessianSolveSetUp: constraint %" PetscInt_FMT " on local neuron %" PetscInt_FMT " (of %" PetscInt_FMT ", at most one per neuron)", j, i,
               cl->info.hlocal);
    hs->cnrn[j]  = i;
    hs->pinof[i] = j;
    for (PetscInt a = 0; a < npn; a++) e[a] = dir[npn * j + a];
    SLSolveBlock(hs->Minv + 9 * c, npn, e, Me);
    SLHessClassCoef(cl, i, C);
    hs->ceMe[j] = 0.0;
    pk[0]       = (PetscReal)c;
    pk[1] = pk[2] = 0.0;
    for (PetscInt a = 0; a < npn; a++) {
      hs->ceMe[j] += e[a] * Me[a];
      pk[1] += C[2 * a] * Me[a];
      pk[2] += C[2 * a + 1] * Me[a];
      nrm += Me[a] * Me[a];
    }
    pk[3] = hs->ceMe[j];
    if (!(PetscAbsReal(hs->ceMe[j]) > 1e-12 * PetscSqrtReal(nrm))) good = 0; /* [[M_c, e], [e^T, 0]] singular */
  }
  if (k > 0) PetscCallMPI(MPI_Gatherv(hs->cpack, 4 * ml, MPIU_REAL, hs->call, hs->kcounts, hs->kdispls, MPIU_REAL, 0, cl->info.comm));
  /* on rank 0: G_c(-shift) with the corrections in global constraint order, K, its factorization */
  PetscCall(PetscBLASIntCast(N, &bN));
  if (hs->rank == 0) {
    if (good) {
      SLHessClassShiftedAggregates(cl, -shift, hs->G);
      for (PetscInt j = 0; j < k; j++) {
        const PetscReal *pk = hs->call + 4 * j;
        PetscReal       *g  = hs->G + 3 * (PetscInt)pk[0];

        if (!(PetscAbsReal(pk[3]) > 0)) continue; /* reported singular above, on its rank */
        g[0] -= pk[1] * pk[1] / pk[3];
        g[1] -= pk[1] * pk[2] / pk[3];
        g[2] -= pk[2] * pk[2] / pk[3];
      }
      SLHessClassAssemble(cl, hs->G, cl->info.has_c ? 1.0 / shift : 0.0, hs->K);
      for (PetscInt n = 0; n < N; n++) hs->K[n + N * n] += 1.0 / cl->scale;
      PetscCallBLAS("LAPACKsytrf", LAPACKsytrf_("L", &bN, hs->K, &bN, hs->ipiv, hs->work, &hs->lwork, &info));
      if (info != 0) good = 0;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &good, 1, MPI_INT, MPI_MIN, cl->info.comm));
  hs->ok = good ? PETSC_TRUE : PETSC_FALSE;
  *ok    = hs->ok;
  PetscCall(PetscLogFlops(2.0 * N * N + N * N * N / 3.0 + 20.0 * k));
  PetscFunctionReturn(0);
}

/* y_i = Mhat_i^{-1} x_i of local neuron i: M_c^{-1} x_i, for a constrained one projected, P_i x_i, plus
 * M_c^{-1} e c / (e^T M_c^{-1} e) (cval, 0 for the second solve) */
static inline void SLSolveNeuron(SLHessSolve hs, PetscInt i, const PetscReal x[], PetscReal cval, PetscReal y[])
{
  const PetscInt npn = hs->cl->info.npn, j = hs->pinof[i];

  SLSolveBlock(hs->Minv + 9 * hs->cl->cls[i], npn, x, y);
  if (j >= 0) {
    const PetscReal *Me = hs->cMe + npn * j;
    PetscReal        s  = 0.0;

    for (PetscInt a = 0; a < npn; a++) s += Me[a] * x[a];
    s = (cval - s) / hs->ceMe[j];
    for (PetscInt a = 0; a < npn; a++) y[a] += Me[a] * s;
  }
}

PetscErrorCode SLHessianSolveApply(SLHessSolve hs, const PetscReal r[], const PetscReal c[], PetscReal y[])
{
  SLHessClass  cl;
  PetscInt     N, npn, hl;
  PetscBLASInt bN, one = 1, info = 0;

  PetscFunctionBeginUser;
  PetscCheck(hs->cl, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "SLHessianSolveApply: call SLHessianSolveSetUp first");
  cl = hs->cl;
  PetscCheck(hs->ok, cl->info.comm, PETSC_ERR_ARG_WRONGSTATE, "SLHessianSolveApply: the last setup reported a singular system");
  N   = cl->N;
  npn = cl->info.npn;
  hl  = cl->info.hlocal;
  PetscCall(PetscLogEventBegin(SL_EVENT_HessSolve, 0, 0, 0, 0));
  /* z = Mhat^{-1} (r, c), u = K^{-1} J z (on rank 0, broadcast) */
  for (PetscInt i = 0; i < hl; i++) SLSolveNeuron(hs, i, r + npn * i, hs->pinof[i] >= 0 ? c[hs->pinof[i]] : 0.0, hs->z + npn * i);
  if (cl->info.owns_c) hs->z[npn * hl] = r[npn * hl] / hs->shift;
  PetscCall(SLHessClassJacobianApply(cl, hs->z, hs->u));
  PetscCall(PetscBLASIntCast(N, &bN));
  if (hs->rank == 0) PetscCallBLAS("LAPACKsytrs", LAPACKsytrs_("L", &bN, &one, hs->K, &bN, hs->ipiv, hs->u, &bN, &info));
  if (hs->size > 1) PetscCallMPI(MPI_Bcast(hs->u, (PetscMPIInt)N, MPIU_REAL, 0, cl->info.comm));
  /* y = z - Mhat^{-1} (J^T u, 0) */
  PetscCall(SLHessClassJacobianTransposeApply(cl, hs->u, hs->v));
  for (PetscInt i = 0; i < hl; i++) {
    PetscReal d[3];

    SLSolveNeuron(hs, i, hs->v + npn * i, 0.0, d);
    for (PetscInt a = 0; a < npn; a++) y[npn * i + a] = hs->z[npn * i + a] - d[a];
  }
  if (cl->info.owns_c) y[npn * hl] = hs->z[npn * hl] - hs->v[npn * hl] / hs->shift;
  PetscCall(PetscLogFlops(4.0 * npn * npn * hl + 2.0 * N * N));
  PetscCall(PetscLogEventEnd(SL_EVENT_HessSolve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}
