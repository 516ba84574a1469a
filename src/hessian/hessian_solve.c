/* Exact solves with the shifted Hessian, shift I + Hess = M + scale J^T J (docs/theory.md section 4), optionally
 * bordered by constraints on single neurons:
 *     (shift I + Hess) y + E lambda = r,   E^T y = c,
 * E = [e_1 .. e_k], e_j a unit vector in the parameter block of one neuron (at most one per neuron). This is the
 * Newton system of the implicit gradient-flow stages (src/train/train_implicit.c, e_j: a breakpoint held on a
 * data point), solved directly instead of by a Krylov method.
 *
 * Woodbury on the class structure. M = shift I + R is block-diagonal and its block depends only on the neuron's
 * activation class: M_c^{-1} = sum_k q_ck q_ck^T / (ev_ck + shift) from the eigen-decomposition of the class block
 * (SLModelBlockEigen). With the N x N capacitance matrix
 *     K = I / scale + J M^{-1} J^T = I / scale + sum_c [x (.) m_c, m_c] G_c [x (.) m_c, m_c]^T (+ 1 1^T / shift for c),
 * G_c = sum_k Q_ck / (ev_ck + shift) (the aggregates of the inertia count at lambda = -shift),
 *     (M + scale J^T J)^{-1} = M^{-1} - M^{-1} J^T K^{-1} J M^{-1}.
 * The constraints add a k x k Schur complement S = E^T (shift I + Hess)^{-1} E = E^T M^{-1} E - W^T K^{-1} W,
 * W = J M^{-1} E (column j: O(N) from the one neuron of e_j). Per solve, with z = M^{-1} r and t = J z:
 *     lambda = S^{-1} (E^T z - W^T K^{-1} t - c),   u = K^{-1} (t - W lambda),   y = z - M^{-1} (E lambda + J^T u).
 * Cost: setup O(nc + N^2 + k N^2) and N^3 / 3 + k^3 / 3 for the LDL^T factorizations (LAPACK dsytrf, on rank 0);
 * a solve O(P + N nc + N^2 + k N), i.e. two class passes over the neurons, whatever the width.
 *
 * Determinism: the class sums are the block-deterministic ones of hessian_class.c, the constraint data are gathered
 * in global neuron order, and the small dense factorizations and solves run on rank 0 and are broadcast: the
 * result is bitwise independent of the number of ranks.
 *
 * Conditioning: M_c is singular when shift = -ev_ck for a non-empty class (shift = rho_c in NN coordinates); the
 * setup reports *ok = PETSC_FALSE when |ev_ck + shift| <= 1e-10 max(shift, |Hess| scale) or when K or S has an
 * exactly zero pivot. */
#include <splinelens/private/hessianimpl.h>
#include <petscblaslapack.h>

struct _n_SLHessSolve {
  Mat          H; /* the operator of the last setup (referenced) */
  SLHessClass  cl;
  PetscReal    shift;
  PetscBool    ok;
  PetscInt     N, nc, ncap, kcap, Pcap; /* sizes the buffers hold */
  PetscReal   *Minv, *G;                /* 9 per class, 3 per class */
  PetscReal   *K, *work;                /* N x N (its factors on rank 0) */
  PetscBLASInt lwork, *ipiv;
  /* constraints: local ones, then all of them gathered in global neuron order */
  PetscInt      k, klocal, kloccap;
  PetscInt     *cnrn;   /* local neuron of each local constraint          */
  PetscReal    *cdir;   /* its unit direction, npn numbers                */
  PetscReal    *KW, *S; /* K^{-1} W (N x k) and S (k x k), on rank 0       */
  PetscBLASInt *ipivS;
  PetscReal    *cinfo;        /* gathered (class, t0, t1, e^T M^{-1} e) per constraint */
  PetscReal    *cloc, *cglob; /* per-solve constraint values (local, gathered)  */
  PetscReal    *cpack;        /* the 4 numbers of each local constraint, to gather */
  PetscMPIInt  *kcounts, *kdispls, size, rank;
  /* per-solve work */
  PetscReal *t, *ul, *z, *v; /* N, N + k, Plocal, Plocal */
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
  PetscCall(PetscFree3((*hs)->K, (*hs)->ipiv, (*hs)->t));
  PetscCall(PetscFree((*hs)->work));
  PetscCall(PetscFree2((*hs)->z, (*hs)->v));
  PetscCall(PetscFree4((*hs)->cnrn, (*hs)->cdir, (*hs)->cloc, (*hs)->cpack));
  PetscCall(PetscFree6((*hs)->KW, (*hs)->S, (*hs)->ipivS, (*hs)->cinfo, (*hs)->cglob, (*hs)->ul));
  PetscCall(PetscFree2((*hs)->kcounts, (*hs)->kdispls));
  PetscCall(PetscFree(*hs));
  PetscFunctionReturn(0);
}

/* y = M_c^{-1} x for one neuron block (npn numbers) */
static inline void SLSolveBlock(const PetscReal *Mi, PetscInt npn, const PetscReal x[], PetscReal y[])
{
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
  if (!hs->kcounts) {
    PetscCallMPI(MPI_Comm_size(cl->info.comm, &hs->size));
    PetscCallMPI(MPI_Comm_rank(cl->info.comm, &hs->rank));
    PetscCall(PetscMalloc2(hs->size, &hs->kcounts, hs->size, &hs->kdispls));
  }
  if (nc > hs->ncap) {
    PetscCall(PetscFree2(hs->Minv, hs->G));
    PetscCall(PetscMalloc2(9 * nc, &hs->Minv, 3 * nc, &hs->G));
    hs->ncap = nc;
  }
  if (N != hs->N) {
    PetscBLASInt bN, info, lq = -1;
    PetscReal    wq;

    PetscCall(PetscFree3(hs->K, hs->ipiv, hs->t));
    PetscCall(PetscFree(hs->work));
    PetscCall(PetscMalloc3(N * N, &hs->K, N, &hs->ipiv, N, &hs->t));
    PetscCall(PetscBLASIntCast(N, &bN));
    LAPACKsytrf_("L", &bN, hs->K, &bN, hs->ipiv, &wq, &lq, &info); /* workspace query */
    hs->lwork = PetscMax(bN, (PetscBLASInt)wq);
    PetscCall(PetscMalloc1(hs->lwork, &hs->work));
    hs->N    = N;
    hs->kcap = -1; /* KW depends on N */
  }
  if (Pl > hs->Pcap) {
    PetscCall(PetscFree2(hs->z, hs->v));
    PetscCall(PetscMalloc2(Pl, &hs->z, Pl, &hs->v));
    hs->Pcap = Pl;
  }
  if (klocal > hs->kloccap) {
    PetscCall(PetscFree4(hs->cnrn, hs->cdir, hs->cloc, hs->cpack));
    PetscCall(PetscMalloc4(klocal, &hs->cnrn, 3 * klocal, &hs->cdir, klocal, &hs->cloc, 4 * klocal, &hs->cpack));
    hs->kloccap = klocal;
  }
  if (k > hs->kcap) {
    const PetscInt kk = PetscMax(k, 1);

    PetscCall(PetscFree6(hs->KW, hs->S, hs->ipivS, hs->cinfo, hs->cglob, hs->ul));
    PetscCall(PetscMalloc6(N * kk, &hs->KW, kk * kk, &hs->S, kk, &hs->ipivS, 4 * kk, &hs->cinfo, kk, &hs->cglob, N + kk, &hs->ul));
    hs->kcap = k;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianSolveSetUp(SLHessSolve hs, Mat H, PetscReal shift, PetscInt klocal, const PetscInt neuron[], const PetscReal dir[], PetscBool *ok)
{
  SLHessClass      cl;
  PetscInt         N, nc, npn, k = 0;
  PetscMPIInt      ml;
  PetscBLASInt     bN, info = 0;
  int              good = 1;
  const PetscReal *x;

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
  x         = cl->data->x;
  if (!hs->kcounts) PetscCall(SLHessSolveAlloc(hs, 0, 0)); /* communicator facts */
  PetscCall(PetscMPIIntCast(klocal, &ml));
  PetscCallMPI(MPI_Allgather(&ml, 1, MPI_INT, hs->kcounts, 1, MPI_INT, cl->info.comm));
  for (PetscMPIInt r = 0; r < hs->size; r++) {
    PetscCall(PetscMPIIntCast(k, &hs->kdispls[r]));
    k += hs->kcounts[r];
  }
  PetscCall(SLHessSolveAlloc(hs, klocal, k));
  hs->k      = k;
  hs->klocal = klocal;
  for (PetscInt j = 0; j < klocal; j++) {
    PetscCheck(neuron[j] >= 0 && neuron[j] < cl->info.hlocal, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SLHessianSolveSetUp: constraint %" PetscInt_FMT " on local neuron %" PetscInt_FMT " of %" PetscInt_FMT, j, neuron[j], cl->info.hlocal);
    hs->cnrn[j] = neuron[j];
    for (PetscInt a = 0; a < npn; a++) hs->cdir[npn * j + a] = dir[npn * j + a];
  }

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
  if (good) {
    /* K = I / scale + J M^{-1} J^T, factored on rank 0 */
    SLHessClassShiftedAggregates(cl, -shift, hs->G);
    SLHessClassAssemble(cl, hs->G, cl->info.has_c ? 1.0 / shift : 0.0, hs->K);
    for (PetscInt n = 0; n < N; n++) hs->K[n + N * n] += 1.0 / cl->scale;
  }
  /* the constraint columns: class, t = C_i^T M_c^{-1} e (W's column is x t0 + t1 on A_c), e^T M_c^{-1} e */
  for (PetscInt j = 0; j < klocal; j++) {
    const PetscInt   i = hs->cnrn[j], c = cl->cls[i];
    const PetscReal *e = hs->cdir + npn * j;
    PetscReal        Me[3], C[6], *pk = hs->cpack + 4 * j;

    SLSolveBlock(hs->Minv + 9 * c, npn, e, Me);
    SLHessClassCoef(cl, i, C);
    pk[0] = (PetscReal)c;
    pk[1] = pk[2] = pk[3] = 0.0;
    for (PetscInt a = 0; a < npn; a++) {
      pk[1] += C[2 * a] * Me[a];
      pk[2] += C[2 * a + 1] * Me[a];
      pk[3] += e[a] * Me[a];
    }
  }
  if (k > 0) { /* gather the constraint columns in global neuron order (ranks own consecutive neurons) */
    PetscMPIInt *cnt4, *dsp4;

    PetscCall(PetscMalloc2(hs->size, &cnt4, hs->size, &dsp4));
    for (PetscMPIInt r = 0; r < hs->size; r++) {
      cnt4[r] = 4 * hs->kcounts[r];
      dsp4[r] = 4 * hs->kdispls[r];
    }
    PetscCallMPI(MPI_Allgatherv(hs->cpack, 4 * ml, MPIU_REAL, hs->cinfo, cnt4, dsp4, MPIU_REAL, cl->info.comm));
    PetscCall(PetscFree2(cnt4, dsp4));
  }
  PetscCall(PetscBLASIntCast(N, &bN));
  if (good && hs->rank == 0) {
    PetscCallBLAS("LAPACKsytrf", LAPACKsytrf_("L", &bN, hs->K, &bN, hs->ipiv, hs->work, &hs->lwork, &info));
    if (info != 0) good = 0;
    if (good && k > 0) {
      PetscBLASInt bk, nrhs;

      PetscCall(PetscBLASIntCast(k, &bk));
      nrhs = bk;
      for (PetscInt j = 0; j < k; j++) { /* W's columns, then K^{-1} W */
        const PetscInt   c  = (PetscInt)hs->cinfo[4 * j];
        const PetscReal *tj = hs->cinfo + 4 * j + 1;
        PetscReal       *w  = hs->KW + N * j;

        for (PetscInt n = 0; n < N; n++) w[n] = (n >= cl->lo[c] && n < cl->hi[c]) ? x[n] * tj[0] + tj[1] : 0.0;
      }
      for (PetscInt j = 0; j < k; j++) /* S = diag(e^T M^{-1} e) - W^T K^{-1} W: W^T before KW is overwritten */
        for (PetscInt l = 0; l < k; l++) hs->S[j + k * l] = 0.0;
      PetscCallBLAS("LAPACKsytrs", LAPACKsytrs_("L", &bN, &nrhs, hs->K, &bN, hs->ipiv, hs->KW, &bN, &info));
      for (PetscInt j = 0; j < k; j++) {
        const PetscInt   cj = (PetscInt)hs->cinfo[4 * j];
        const PetscReal *tj = hs->cinfo + 4 * j + 1;

        for (PetscInt l = 0; l < k; l++) {
          const PetscReal *kw = hs->KW + N * l;
          PetscReal        s  = 0.0;

          for (PetscInt n = cl->lo[cj]; n < cl->hi[cj]; n++) s += (x[n] * tj[0] + tj[1]) * kw[n];
          hs->S[j + k * l] = (j == l ? hs->cinfo[4 * j + 3] : 0.0) - s;
        }
      }
      for (PetscInt j = 0; j < k; j++) /* symmetric by construction up to rounding: use the lower triangle */
        for (PetscInt l = j + 1; l < k; l++) hs->S[l + k * j] = 0.5 * (hs->S[l + k * j] + hs->S[j + k * l]);
      {
        PetscBLASInt lw = PetscMax(1, hs->lwork);

        /* S = E^T (shift I + Hess)^{-1} E: nonsingular with the system (E has full column rank) */
        PetscCallBLAS("LAPACKsytrf", LAPACKsytrf_("L", &bk, hs->S, &bk, hs->ipivS, hs->work, &lw, &info));
        if (info != 0) good = 0;
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&good, 1, MPI_INT, 0, cl->info.comm));
  hs->ok = good ? PETSC_TRUE : PETSC_FALSE;
  *ok    = hs->ok;
  PetscCall(PetscLogFlops(2.0 * N * N + N * N * N / 3.0 + 2.0 * k * N * N + k * k * (PetscReal)k / 3.0));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianSolveApply(SLHessSolve hs, const PetscReal r[], const PetscReal c[], PetscReal y[])
{
  SLHessClass  cl;
  PetscInt     N, npn, hl, k;
  PetscMPIInt  ml;
  PetscBLASInt bN, one = 1, info = 0;

  PetscFunctionBeginUser;
  PetscCheck(hs->cl, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "SLHessianSolveApply: call SLHessianSolveSetUp first");
  cl = hs->cl;
  PetscCheck(hs->ok, cl->info.comm, PETSC_ERR_ARG_WRONGSTATE, "SLHessianSolveApply: the last setup reported a singular system");
  N   = cl->N;
  npn = cl->info.npn;
  hl  = cl->info.hlocal;
  k   = hs->k;
  PetscCall(PetscLogEventBegin(SL_EVENT_HessSolve, 0, 0, 0, 0));
  /* z = M^{-1} r, t = J z */
  for (PetscInt i = 0; i < hl; i++) SLSolveBlock(hs->Minv + 9 * cl->cls[i], npn, r + npn * i, hs->z + npn * i);
  if (cl->info.owns_c) hs->z[npn * hl] = r[npn * hl] / hs->shift;
  PetscCall(SLHessClassJacobianApply(cl, hs->z, hs->t));
  if (k > 0) { /* e_j^T z - c_j, gathered */
    for (PetscInt j = 0; j < hs->klocal; j++) {
      const PetscReal *e = hs->cdir + npn * j, *zi = hs->z + npn * hs->cnrn[j];
      PetscReal        s = 0.0;

      for (PetscInt a = 0; a < npn; a++) s += e[a] * zi[a];
      hs->cloc[j] = s - c[j];
    }
    PetscCall(PetscMPIIntCast(hs->klocal, &ml));
    PetscCallMPI(MPI_Allgatherv(hs->cloc, ml, MPIU_REAL, hs->cglob, hs->kcounts, hs->kdispls, MPIU_REAL, cl->info.comm));
  }
  /* on rank 0: a = K^{-1} t, lambda = S^{-1} (E^T z - c - W^T a), u = a - K^{-1} W lambda; broadcast (u, lambda) */
  PetscCall(PetscBLASIntCast(N, &bN));
  if (hs->rank == 0) {
    PetscReal *u = hs->ul, *lam = hs->ul + N;

    PetscCall(PetscArraycpy(u, hs->t, N));
    PetscCallBLAS("LAPACKsytrs", LAPACKsytrs_("L", &bN, &one, hs->K, &bN, hs->ipiv, u, &bN, &info));
    if (k > 0) {
      PetscBLASInt bk;

      for (PetscInt j = 0; j < k; j++) {
        const PetscInt   cj = (PetscInt)hs->cinfo[4 * j];
        const PetscReal *tj = hs->cinfo + 4 * j + 1;
        const PetscReal *x  = cl->data->x;
        PetscReal        s  = 0.0;

        for (PetscInt n = cl->lo[cj]; n < cl->hi[cj]; n++) s += (x[n] * tj[0] + tj[1]) * u[n];
        lam[j] = hs->cglob[j] - s;
      }
      PetscCall(PetscBLASIntCast(k, &bk));
      PetscCallBLAS("LAPACKsytrs", LAPACKsytrs_("L", &bk, &one, hs->S, &bk, hs->ipivS, lam, &bk, &info));
      for (PetscInt j = 0; j < k; j++)
        for (PetscInt n = 0; n < N; n++) u[n] -= hs->KW[n + N * j] * lam[j];
    }
  }
  PetscCallMPI(MPI_Bcast(hs->ul, (PetscMPIInt)(N + k), MPIU_REAL, 0, cl->info.comm));
  /* y = z - M^{-1} (J^T u + E lambda) */
  PetscCall(SLHessClassJacobianTransposeApply(cl, hs->ul, hs->v));
  for (PetscInt j = 0; j < hs->klocal; j++) {
    const PetscReal  lj = hs->ul[N + hs->kdispls[hs->rank] + j];
    const PetscReal *e  = hs->cdir + npn * j;
    PetscReal       *vi = hs->v + npn * hs->cnrn[j];

    for (PetscInt a = 0; a < npn; a++) vi[a] += lj * e[a];
  }
  for (PetscInt i = 0; i < hl; i++) {
    PetscReal d[3];

    SLSolveBlock(hs->Minv + 9 * cl->cls[i], npn, hs->v + npn * i, d);
    for (PetscInt a = 0; a < npn; a++) y[npn * i + a] = hs->z[npn * i + a] - d[a];
  }
  if (cl->info.owns_c) y[npn * hl] = hs->z[npn * hl] - hs->v[npn * hl] / hs->shift;
  PetscCall(PetscLogFlops(4.0 * npn * npn * hl + 2.0 * N * N + 4.0 * k * N));
  PetscCall(PetscLogEventEnd(SL_EVENT_HessSolve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}
