/* Private to hessian_*.c and spectrum*.c (not part of the public contract).
 *
 * The structured Hessian of docs/theory.md section 4 in either coordinate system: Hess = R + U U^T with
 * U = sqrt(scale) J^T and R block-diagonal. Everything here works on one neuron at a time from the model's
 * parameters, so no P x N or P x P array is ever stored.
 */
#pragma once
#include <splinelens/hessian.h>
#include <splinelens/private/packageimpl.h> /* log events (src/sys/package.c) */

/* The layout facts shared by both coordinate systems. */
typedef struct {
  SLCoordinates coords;
  MPI_Comm      comm;
  PetscInt      H, hstart, hlocal; /* neurons: global width, this rank's range      */
  PetscBool     has_c, owns_c;     /* output bias present / stored on this rank      */
  PetscInt      P, Plocal;         /* parameters: global, local slice              */
  PetscInt      npn;               /* parameters per neuron: 3 (NN) or 2 (BDSO)     */
} SLModelInfo;

PETSC_INTERN PetscErrorCode SLModelGetInfo(SLModel model, SLModelInfo *info);
/* r_n = f(x_n) - y_n (replicated, collective). */
PETSC_INTERN PetscErrorCode SLModelResidual(SLModel model, SLData data, PetscReal r[]);
/* Residual blocks of the local neurons, two numbers each (loss scale included):
 * NN (a_i, d_i) of the 3x3 block; BDSO (e_i, 0) of the 2x2 block [[0, e_i], [e_i, 0]]. */
PETSC_INTERN PetscErrorCode SLModelResidualBlocks(SLModel model, SLData data, SLLossType type, const PetscReal r[], PetscReal blk[]);
/* A copy of the model with the same layout and values (the caller destroys it with SLModelDestroyCopy). */
PETSC_INTERN PetscErrorCode SLModelDuplicate(SLModel model, SLModel *copy);
PETSC_INTERN PetscErrorCode SLModelDestroyCopy(SLModel *copy);
/* u = J z, z_local = J^T u (the streaming products of network.h / spline.h). */
PETSC_INTERN PetscErrorCode SLModelJacobianApply(SLModel model, SLData data, const PetscReal z_local[], PetscReal u[]);
PETSC_INTERN PetscErrorCode SLModelJacobianTransposeApply(SLModel model, SLData data, const PetscReal u[], PetscReal z_local[]);

/* The Jacobian columns of local neuron i (length N each, npn of them, in parameter order), written to
 * col[k*ld + n]. Same formulas and activation rule as SLNetworkJacobian / SLSplineJacobian. */
PETSC_INTERN void SLModelNeuronColumns(SLModel model, SLData data, PetscInt i, PetscReal col[], PetscInt ld);

/* Eigen-decomposition of the residual block of a neuron (docs/theory.md section 4), from its two numbers blk:
 * NN: B = rho (u e_v^T + e_v u^T), u = (a, d, 0)/rho: eigenvalues 0 (vector (d, -a, 0)/rho), +rho, -rho
 * (vectors (u +- e_v)/sqrt 2); BDSO [[0, e], [e, 0]]: +-|e|. ev[k] and the orthonormal vectors q[k*npn + j]
 * (k-th vector, component j). For rho = 0 / e = 0 any orthonormal basis is returned. */
PETSC_INTERN void SLModelBlockEigen(SLCoordinates coords, const PetscReal blk[2], PetscReal ev[], PetscReal q[]);

/* Activation classes (hessian_class.c, docs/theory.md section 4). The data are sorted, and for every neuron the
 * activation 1_ni is monotone in n (also in floating point: rounding is monotone), so its active set is a suffix
 * [k, N) (w > 0 / s = +1), a prefix [0, k) (w < 0 / s = -1), or all / nothing (w = 0). Class ids, nc = 2N + 3:
 *   c in [0, N]        suffix [c, N)            (c = N: dead)
 *   c in [N+1, 2N+1]   prefix [0, c - N - 1)    (c = N + 1: dead)
 *   c = 2N + 2         BDSO flat neuron (s = 0): dF/dmu = 1 on every point, no residual block
 * NN coordinates only depend on the active set, so full / empty prefixes and w = 0 neurons go to classes 0 / N.
 * The residual block of a neuron depends only on its class (same active set, same sum, bit for bit), and the
 * Jacobian columns of neuron i are U_i = C_i [x (.) m_c, m_c]^T with a npn x 2 coefficient matrix C_i:
 *   NN   rows (w, b, v):  (v, 0), (0, v), (w, b);    BDSO rows (beta, mu): (0, -s mu), (s, -s beta);  flat (0, 0), (0, 1).
 * With q_{c,k} the eigenvectors of the class block (SLModelBlockEigen) and y_{ik} = C_i^T q_{c,k}, the class
 * aggregates Q_{c,k} = sum_{i in c} y_ik y_ik^T (2 x 2) determine S(lambda) of the inertia count, the Gram
 * matrix J J^T and the reduced eigenproblem. They are summed per SL_NEURON_BLOCK block in neuron order, blocks in
 * block order (SLBlockReduce), so they are bitwise independent of the number of ranks. */
#define SL_CLASS_AGG 10 /* per class: neuron count, then Q_{c,k} (Q00, Q01, Q11) for k < 3 */
typedef struct _n_SLHessClass *SLHessClass;
struct _n_SLHessClass {
  SLModel       model; /* referenced, or a private copy when own_model */
  PetscBool     own_model;
  SLModelInfo   info;
  SLData        data; /* referenced */
  SLHessianPart part;
  PetscReal     scale;         /* loss scale (1 or 1/N) */
  PetscInt      N, nc;         /* data points; classes (2N + 3) */
  PetscInt     *cls;           /* class of each local neuron */
  PetscInt     *lo, *hi;       /* active set [lo_c, hi_c) of each class */
  PetscReal    *blk;           /* residual block of each class, 2 numbers (SLModelResidualBlocks' convention) */
  PetscReal    *ev, *q;        /* block eigen-decomposition of each class: ev[3c + k], q[9c + npn k + j] */
  PetscReal    *agg;           /* global aggregates, SL_CLASS_AGG per class */
  PetscInt     *count;         /* global number of neurons of each class */
  PetscReal    *s1, *sx, *sxx; /* per class: number of active points, sum of x, sum of x^2 */
  PetscReal     rnorm;         /* max block spectral radius over non-empty classes */
  PetscReal     hscale;        /* max(rnorm, largest diagonal entry of scale J^T J) */
  PetscReal     dmax;          /* this rank's largest diagonal entry of scale J^T J over its neurons (SLAggKernel) */
  PetscReal     gtrace;        /* trace of scale J^T J (0 for the residual part) */
  PetscReal    *t, *mu, *u;    /* work: 2 nc, 2 nc, N */
  /* persistent buffers of SLHessClassReduce: per-block partials of the local blocks and of all blocks */
  PetscInt     nblocks, nbloc, rcap, *rbcount; /* all blocks, local blocks, buffer width, blocks per rank */
  PetscReal   *rpart, *rall;
  PetscMPIInt *rcounts, *rdispls;
};

/* Classes of the model's local neurons and the global aggregates (collective). copy: work on a private copy
 * of the model (frozen operator), else the model is referenced and must outlive the object. r: the residuals
 * f(x_n) - y_n of the model when the caller has them (length N, replicated), NULL to compute them; cls: the
 * classes of the local neurons when known (NN coordinates only; NULL: binary search). */
PETSC_INTERN PetscErrorCode SLHessClassCreate(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscBool copy, const PetscReal r[], const PetscInt cls[], SLHessClass *cl);
PETSC_INTERN PetscErrorCode SLHessClassDestroy(SLHessClass *cl);
/* The coefficient matrix C_i (npn x 2, row-major) of local neuron i. */
static inline void SLHessClassCoef(SLHessClass cl, PetscInt i, PetscReal C[6])
{
  if (cl->info.coords == SL_COORD_NN) {
    const PetscReal *th = cl->model.net->theta + 3 * i;

    C[0] = th[2]; /* dF/dw = v x 1 */
    C[1] = 0.0;
    C[2] = 0.0; /* dF/db = v 1 */
    C[3] = th[2];
    C[4] = th[0]; /* dF/dv = (w x + b) 1 */
    C[5] = th[1];
  } else {
    const PetscInt  s  = cl->model.sp->s[i];
    const PetscReal mu = cl->model.sp->mu[i], beta = cl->model.sp->beta[i];

    if (s == 0) { /* flat: dF/dbeta = 0, dF/dmu = 1 */
      C[0] = C[1] = C[2] = 0.0;
      C[3]               = 1.0;
    } else {
      C[0] = 0.0; /* dF/dbeta = -s mu 1 */
      C[1] = -(PetscReal)s * mu;
      C[2] = (PetscReal)s; /* dF/dmu = s (x - beta) 1 */
      C[3] = -(PetscReal)s * beta;
    }
  }
}
/* out[k], k < n: sum over all neurons of the kernel's contributions by the deterministic block reduction of
 * network_impl.h (per SL_NEURON_BLOCK partials in neuron order, gathered, added in block order: bitwise
 * independent of the number of ranks), in one pass with buffers kept in the object (no chunking). */
PETSC_INTERN PetscErrorCode SLHessClassReduce(SLHessClass cl, PetscInt n, void (*kernel)(void *, PetscInt, PetscInt, PetscInt, PetscInt, PetscReal[]), void *ctx, PetscReal out[]);
/* u = J z (replicated; deterministic block reduction) and z_local = J^T u: O(P + N nc). */
PETSC_INTERN PetscErrorCode SLHessClassJacobianApply(SLHessClass cl, const PetscReal z_local[], PetscReal u[]);
PETSC_INTERN PetscErrorCode SLHessClassJacobianTransposeApply(SLHessClass cl, const PetscReal u[], PetscReal z_local[]);
/* G_c = sum_k Q_ck / (ev_ck - lambda) (3 numbers per class, 0 for empty classes): the class aggregates of
 * C_i^T (B_c - lambda I)^{-1} C_i, i.e. U^T (R - lambda I)^{-1} U = scale sum_c [x (.) m_c, m_c] G_c [..]^T.
 * lambda must not be an eigenvalue of a non-empty class block. */
PETSC_INTERN void SLHessClassShiftedAggregates(SLHessClass cl, PetscReal lambda, PetscReal G[]);
/* The class object behind a shell made by SLHessianCreateShell* (hessian_shell.c). */
PETSC_INTERN PetscErrorCode SLHessianShellGetClass(Mat H, SLHessClass *cl);
/* A[n + N m] = sum_c [n, m in A_c] (x_n x_m G00 + (x_n + x_m) G01 + G11) + cterm for per-class 2x2 symmetric G
 * (3 numbers per class), the whole N x N matrix, in O(N^2 + nc). */
PETSC_INTERN void SLHessClassAssemble(SLHessClass cl, const PetscReal G[], PetscReal cterm, PetscReal A[]);
/* Matrix-free Hessian on top of a class object (not copied: it must outlive the Mat). */
PETSC_INTERN PetscErrorCode SLHessianCreateShellFromClass(SLHessClass cl, Mat *H);

/* Exact eigenvalue counting (hessian_inertia.c): state prepared once (the class aggregates) and evaluated at
 * many lambdas in O(nc + N^3), independent of the width. */
typedef struct _n_SLHessCount *SLHessCount;
PETSC_INTERN PetscErrorCode    SLHessCountCreate(SLModel model, SLData data, SLLossType type, SLHessianPart part, SLHessCount *hc);
/* The class object behind a count (owned by it). */
PETSC_INTERN PetscErrorCode SLHessCountGetClass(SLHessCount hc, SLHessClass *cl);
PETSC_INTERN PetscErrorCode SLHessCountEval(SLHessCount hc, PetscReal lambda, PetscInt *count, PetscBool *ok);
/* Count at lambda, nudging it in direction dir (+1 up, -1 down) by a relative 1e-12 (growing tenfold, up to
 * 8 tries) when lambda hits an eigenvalue of R; *used receives the lambda actually evaluated. */
PETSC_INTERN PetscErrorCode SLHessCountEvalNudged(SLHessCount hc, PetscReal lambda, PetscInt dir, PetscInt *count, PetscReal *used);
/* Rigorous spectral bounds lo <= lambda_min, lambda_max <= hi (-||R||, trace(J^T J) + ||R||), and a scale of
 * the Hessian (max of ||R|| and the largest diagonal entry of scale J^T J). */
PETSC_INTERN PetscErrorCode SLHessCountGetBounds(SLHessCount hc, PetscReal *lo, PetscReal *hi);
PETSC_INTERN PetscErrorCode SLHessCountGetScale(SLHessCount hc, PetscReal *hscale);
/* The number of neurons whose residual block has spectral radius > thr (rho_i or |e_i|): since J^T J is PSD,
 * #{eig(Hess) < -thr} <= #{eig(R) < -thr} = this number (docs/theory.md section 4, with thr = zero_tol). */
PETSC_INTERN PetscErrorCode SLHessCountBound(SLHessCount hc, PetscReal thr, PetscInt *nbound);
PETSC_INTERN PetscErrorCode SLHessCountDestroy(SLHessCount *hc);
