/* Matrix-free Hessian (docs/theory.md section 4): y = scale J^T (J x) + R x with the class-aggregated Jacobian products
 * of hessian_class.c, O(P + N^2) per product (J z sums C_i^T z_i per activation class, J^T u needs two sums per
 * class), and the residual block of each neuron's class. The public shell works on a private copy of the model
 * made at creation, so it stays frozen at the parameters it was created with; the data set is referenced and
 * must outlive the Mat. */
#include <splinelens/private/hessianimpl.h>

typedef struct {
  SLHessClass cl;
  PetscBool   own; /* destroy cl with the Mat */
} SLHessShell;

static PetscErrorCode SLHessShellMult(Mat A, Vec xv, Vec yv)
{
  SLHessShell       *ctx;
  SLHessClass        cl;
  const PetscScalar *x;
  PetscScalar       *y;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &ctx));
  cl = ctx->cl;
  PetscCall(PetscLogEventBegin(SL_EVENT_HessMult, A, 0, 0, 0));
  PetscCall(VecGetArrayRead(xv, &x));
  PetscCall(VecGetArrayWrite(yv, &y));
  if (cl->part != SL_HESS_RESIDUAL) {
    PetscCall(SLHessClassJacobianApply(cl, x, cl->u));
    for (PetscInt n = 0; n < cl->N; n++) cl->u[n] *= cl->scale;
    PetscCall(SLHessClassJacobianTransposeApply(cl, cl->u, y));
  } else {
    for (PetscInt p = 0; p < cl->info.Plocal; p++) y[p] = 0.0;
  }
  if (cl->part != SL_HESS_GAUSS_NEWTON) {
    if (cl->info.coords == SL_COORD_NN) {
      /* 3x3 block: (v,w) = (w,v) = a, (v,b) = (b,v) = d of the neuron's class */
      for (PetscInt i = 0; i < cl->info.hlocal; i++) {
        const PetscReal a = cl->blk[2 * cl->cls[i]], d = cl->blk[2 * cl->cls[i] + 1];

        y[3 * i] += a * x[3 * i + 2];
        y[3 * i + 1] += d * x[3 * i + 2];
        y[3 * i + 2] += a * x[3 * i] + d * x[3 * i + 1];
      }
    } else {
      /* 2x2 block [[0, e], [e, 0]] on (beta_i, mu_i) */
      for (PetscInt i = 0; i < cl->info.hlocal; i++) {
        const PetscReal e = cl->blk[2 * cl->cls[i]];

        y[2 * i] += e * x[2 * i + 1];
        y[2 * i + 1] += e * x[2 * i];
      }
    }
  }
  PetscCall(VecRestoreArrayRead(xv, &x));
  PetscCall(VecRestoreArrayWrite(yv, &y));
  PetscCall(PetscLogFlops(8.0 * cl->info.P + 4.0 * cl->N * cl->N));
  PetscCall(PetscLogEventEnd(SL_EVENT_HessMult, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* diag(Hess) = scale sum_{A_c} (C_k0 x_n + C_k1)^2 (R has a zero diagonal): O(P) from the class moments. */
static PetscErrorCode SLHessShellGetDiagonal(Mat A, Vec dv)
{
  SLHessShell *ctx;
  SLHessClass  cl;
  PetscScalar *dg;
  PetscInt     npn;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &ctx));
  cl  = ctx->cl;
  npn = cl->info.npn;
  PetscCall(VecGetArrayWrite(dv, &dg));
  for (PetscInt p = 0; p < cl->info.Plocal; p++) dg[p] = 0.0;
  if (cl->part != SL_HESS_RESIDUAL) {
    for (PetscInt i = 0; i < cl->info.hlocal; i++) {
      const PetscInt c = cl->cls[i];
      PetscReal      C[6];

      SLHessClassCoef(cl, i, C);
      for (PetscInt k = 0; k < npn; k++) dg[npn * i + k] = cl->scale * (C[2 * k] * C[2 * k] * cl->sxx[c] + 2.0 * C[2 * k] * C[2 * k + 1] * cl->sx[c] + C[2 * k + 1] * C[2 * k + 1] * cl->s1[c]);
    }
    if (cl->info.owns_c) dg[npn * cl->info.hlocal] = cl->scale * (PetscReal)cl->N; /* J's c column is all ones */
  }
  PetscCall(VecRestoreArrayWrite(dv, &dg));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLHessShellDestroy(Mat A)
{
  SLHessShell *ctx;

  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(A, &ctx));
  if (ctx->own) PetscCall(SLHessClassDestroy(&ctx->cl));
  PetscCall(PetscFree(ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLHessShellCreate(SLHessClass cl, PetscBool own, Mat *H)
{
  SLHessShell *ctx;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&ctx));
  ctx->cl  = cl;
  ctx->own = own;
  PetscCall(MatCreateShell(cl->info.comm, cl->info.Plocal, cl->info.Plocal, cl->info.P, cl->info.P, ctx, H));
  PetscCall(MatShellSetOperation(*H, MATOP_MULT, (void (*)(void))SLHessShellMult));
  PetscCall(MatShellSetOperation(*H, MATOP_MULT_TRANSPOSE, (void (*)(void))SLHessShellMult));
  PetscCall(MatShellSetOperation(*H, MATOP_GET_DIAGONAL, (void (*)(void))SLHessShellGetDiagonal));
  PetscCall(MatShellSetOperation(*H, MATOP_DESTROY, (void (*)(void))SLHessShellDestroy));
  PetscCall(MatSetOption(*H, MAT_SYMMETRIC, PETSC_TRUE));
  PetscCall(MatSetOption(*H, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianShellGetClass(Mat H, SLHessClass *cl)
{
  SLHessShell *ctx;
  PetscBool    isshell;

  PetscFunctionBeginUser;
  PetscCall(PetscObjectTypeCompare((PetscObject)H, MATSHELL, &isshell));
  PetscCheck(isshell, PetscObjectComm((PetscObject)H), PETSC_ERR_ARG_WRONG, "Not a Hessian shell of SLHessianCreateShell");
  PetscCall(MatShellGetContext(H, &ctx));
  PetscCheck(ctx && ctx->cl, PetscObjectComm((PetscObject)H), PETSC_ERR_ARG_WRONG, "Not a Hessian shell of SLHessianCreateShell");
  *cl = ctx->cl;
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianCreateShellFromClass(SLHessClass cl, Mat *H)
{
  PetscFunctionBeginUser;
  PetscCall(SLHessShellCreate(cl, PETSC_FALSE, H));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianCreateShell(SLModel model, SLData data, SLLossType type, SLHessianPart part, Mat *H)
{
  PetscFunctionBeginUser;
  PetscCall(SLHessianCreateShellAt(model, data, type, part, NULL, NULL, H));
  PetscFunctionReturn(0);
}

PetscErrorCode SLHessianCreateShellAt(SLModel model, SLData data, SLLossType type, SLHessianPart part, const PetscReal r[], const PetscInt cls[], Mat *H)
{
  SLHessClass cl;

  PetscFunctionBeginUser;
  PetscCall(SLHessClassCreate(model, data, type, part, PETSC_TRUE, r, cls, &cl));
  PetscCall(SLHessShellCreate(cl, PETSC_TRUE, H));
  PetscFunctionReturn(0);
}
