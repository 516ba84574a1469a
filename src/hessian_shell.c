/* Matrix-free Hessian (THEORY.md section 4): y = scale J^T (J x) + R x with the streaming Jacobian products
 * (O(P N) work, O(P + N) memory, the Jacobian is never stored) and the per-neuron residual blocks. The model
 * is copied at creation and the residual blocks computed once, so the operator stays frozen at the parameters
 * it was created with; the data set is referenced and must outlive the Mat. */
#include "hessian_impl.h"

typedef struct {
  SLModel       model; /* private copy */
  SLModelInfo   info;
  SLData        data;
  SLHessianPart part;
  PetscReal     scale; /* loss scale: 1 (sum) or 1/N (mean) */
  PetscReal    *blk;   /* residual blocks of the local neurons (2 each, scale included) */
  PetscReal    *u;     /* N work */
  PetscReal    *col;   /* 3 N work (diagonal) */
} SLHessShell;

static PetscErrorCode SLHessShellMult(Mat A, Vec xv, Vec yv)
{
  SLHessShell       *ctx;
  const PetscScalar *x;
  PetscScalar       *y;
  PetscInt           N;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &ctx));
  PetscCall(PetscLogEventBegin(SL_EVENT_HessMult, A, 0, 0, 0));
  N = ctx->data->N;
  PetscCall(VecGetArrayRead(xv, &x));
  PetscCall(VecGetArrayWrite(yv, &y));
  if (ctx->part != SL_HESS_RESIDUAL) {
    PetscCall(SLModelJacobianApply(ctx->model, ctx->data, x, ctx->u));
    for (PetscInt n = 0; n < N; n++) ctx->u[n] *= ctx->scale;
    PetscCall(SLModelJacobianTransposeApply(ctx->model, ctx->data, ctx->u, y));
  } else {
    for (PetscInt p = 0; p < ctx->info.Plocal; p++) y[p] = 0.0;
  }
  if (ctx->part != SL_HESS_GAUSS_NEWTON) {
    const PetscReal *blk = ctx->blk;

    if (ctx->info.coords == SL_COORD_NN) {
      /* 3x3 block: (v,w) = (w,v) = a_i, (v,b) = (b,v) = d_i */
      for (PetscInt i = 0; i < ctx->info.hlocal; i++) {
        const PetscReal a = blk[2 * i], d = blk[2 * i + 1];

        y[3 * i] += a * x[3 * i + 2];
        y[3 * i + 1] += d * x[3 * i + 2];
        y[3 * i + 2] += a * x[3 * i] + d * x[3 * i + 1];
      }
    } else {
      /* 2x2 block [[0, e_i], [e_i, 0]] on (beta_i, mu_i) */
      for (PetscInt i = 0; i < ctx->info.hlocal; i++) {
        const PetscReal e = blk[2 * i];

        y[2 * i] += e * x[2 * i + 1];
        y[2 * i + 1] += e * x[2 * i];
      }
    }
  }
  PetscCall(VecRestoreArrayRead(xv, &x));
  PetscCall(VecRestoreArrayWrite(yv, &y));
  PetscCall(PetscLogFlops(4.0 * ctx->info.P * N));
  PetscCall(PetscLogEventEnd(SL_EVENT_HessMult, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* diag(Hess) = scale sum_n J_np^2 (R has a zero diagonal): O(P N), one neuron at a time. */
static PetscErrorCode SLHessShellGetDiagonal(Mat A, Vec dv)
{
  SLHessShell *ctx;
  PetscScalar *dg;
  PetscInt     N, npn;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &ctx));
  N   = ctx->data->N;
  npn = ctx->info.npn;
  PetscCall(VecGetArrayWrite(dv, &dg));
  for (PetscInt p = 0; p < ctx->info.Plocal; p++) dg[p] = 0.0;
  if (ctx->part != SL_HESS_RESIDUAL) {
    for (PetscInt i = 0; i < ctx->info.hlocal; i++) {
      SLModelNeuronColumns(ctx->model, ctx->data, i, ctx->col, N);
      for (PetscInt k = 0; k < npn; k++) {
        PetscReal s = 0.0;

        for (PetscInt n = 0; n < N; n++) s += ctx->col[k * N + n] * ctx->col[k * N + n];
        dg[npn * i + k] = ctx->scale * s;
      }
    }
    if (ctx->info.owns_c) dg[npn * ctx->info.hlocal] = ctx->scale * (PetscReal)N; /* J's c column is all ones */
  }
  PetscCall(VecRestoreArrayWrite(dv, &dg));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLHessShellDestroy(Mat A)
{
  SLHessShell *ctx;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &ctx));
  PetscCall(SLModelDestroyCopy(&ctx->model));
  PetscCall(PetscFree(ctx->blk));
  PetscCall(PetscFree2(ctx->u, ctx->col));
  PetscCall(PetscFree(ctx));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianCreateShell(SLModel model, SLData data, SLLossType type, SLHessianPart part, Mat *H)
{
  SLHessShell *ctx;
  PetscInt     N;

  PetscFunctionBeginUser;
  PetscCall(SLHessianRegisterEvents());
  PetscCheck(data && data->N >= 1 && data->x && data->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  PetscCheck(part >= SL_HESS_FULL && part <= SL_HESS_RESIDUAL, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unknown SLHessianPart %d", (int)part);
  N = data->N;
  PetscCall(PetscNew(&ctx));
  PetscCall(SLModelDuplicate(model, &ctx->model));
  PetscCall(SLModelGetInfo(ctx->model, &ctx->info));
  ctx->data  = data;
  ctx->part  = part;
  ctx->scale = SLLossScale(type, N);
  PetscCall(PetscCalloc1(2 * PetscMax(ctx->info.hlocal, 1), &ctx->blk));
  PetscCall(PetscMalloc2(N, &ctx->u, 3 * N, &ctx->col));
  if (part != SL_HESS_GAUSS_NEWTON) {
    PetscCall(SLModelResidual(ctx->model, data, ctx->u));
    PetscCall(SLModelResidualBlocks(ctx->model, data, type, ctx->u, ctx->blk));
  }
  PetscCall(MatCreateShell(ctx->info.comm, ctx->info.Plocal, ctx->info.Plocal, ctx->info.P, ctx->info.P, ctx, H));
  PetscCall(MatShellSetOperation(*H, MATOP_MULT, (void (*)(void))SLHessShellMult));
  PetscCall(MatShellSetOperation(*H, MATOP_MULT_TRANSPOSE, (void (*)(void))SLHessShellMult));
  PetscCall(MatShellSetOperation(*H, MATOP_GET_DIAGONAL, (void (*)(void))SLHessShellGetDiagonal));
  PetscCall(MatShellSetOperation(*H, MATOP_DESTROY, (void (*)(void))SLHessShellDestroy));
  PetscCall(MatSetOption(*H, MAT_SYMMETRIC, PETSC_TRUE));
  PetscCall(MatSetOption(*H, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  PetscFunctionReturn(0);
}
