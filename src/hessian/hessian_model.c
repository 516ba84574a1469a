/* The model in either coordinate system (hessian.h): layout, residuals, residual blocks, Jacobian columns of
 * one neuron, and the closed-form eigen-decomposition of a residual block (docs/theory.md section 4). */
#include <splinelens/private/hessianimpl.h>

const char *const SLCoordinateNames[] = {"nn", "bdso", "SLCoordinates", "SL_COORD_", NULL};

PetscErrorCode SLModelGetInfo(SLModel model, SLModelInfo *info)
{
  PetscFunctionBeginUser;
  info->coords = model.coords;
  if (model.coords == SL_COORD_NN) {
    PetscCheck(model.net, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "SLModel with coordinates nn has no network (model.net is NULL)");
    info->comm   = model.net->comm;
    info->H      = model.net->H;
    info->hstart = model.net->hstart;
    info->hlocal = model.net->hlocal;
    info->has_c  = model.net->has_c;
    info->owns_c = model.net->owns_c;
    info->npn    = 3;
    PetscCall(SLNetworkGetSizes(model.net, &info->P, &info->Plocal));
  } else if (model.coords == SL_COORD_BDSO) {
    PetscCheck(model.sp, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "SLModel with coordinates bdso has no spline (model.sp is NULL)");
    info->comm   = model.sp->comm;
    info->H      = model.sp->H;
    info->hstart = model.sp->hstart;
    info->hlocal = model.sp->hlocal;
    info->has_c  = model.sp->has_c;
    info->owns_c = model.sp->owns_c;
    info->npn    = 2;
    PetscCall(SLSplineGetSizes(model.sp, &info->P, &info->Plocal));
  } else SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unknown SLCoordinates %d", (int)model.coords);
  PetscFunctionReturn(0);
}

PetscErrorCode SLModelResidual(SLModel model, SLData data, PetscReal r[])
{
  PetscFunctionBeginUser;
  PetscCheck(data && data->N >= 1 && data->x && data->y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Data set is empty or not set up (call SLDataSetUp or SLDataSetPoints first)");
  if (model.coords == SL_COORD_NN) PetscCall(SLNetworkResidual(model.net, data, r));
  else {
    PetscCall(SLSplineEvaluate(model.sp, data->N, data->x, r));
    for (PetscInt n = 0; n < data->N; n++) r[n] -= data->y[n];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLModelResidualBlocks(SLModel model, SLData data, SLLossType type, const PetscReal r[], PetscReal blk[])
{
  SLModelInfo info;
  PetscReal  *t1, *t2;

  PetscFunctionBeginUser;
  PetscCall(SLModelGetInfo(model, &info));
  PetscCall(PetscMalloc2(PetscMax(info.hlocal, 1), &t1, PetscMax(info.hlocal, 1), &t2));
  if (model.coords == SL_COORD_NN) {
    PetscCall(SLNetworkResidualBlocks(model.net, data, type, r, t1, t2));
  } else {
    PetscCall(SLSplineResidualBlocks(model.sp, data, type, r, t1));
    for (PetscInt i = 0; i < info.hlocal; i++) t2[i] = 0.0;
  }
  for (PetscInt i = 0; i < info.hlocal; i++) {
    blk[2 * i]     = t1[i];
    blk[2 * i + 1] = t2[i];
  }
  PetscCall(PetscFree2(t1, t2));
  PetscFunctionReturn(0);
}

PetscErrorCode SLModelDuplicate(SLModel model, SLModel *copy)
{
  PetscFunctionBeginUser;
  copy->coords = model.coords;
  copy->net    = NULL;
  copy->sp     = NULL;
  if (model.coords == SL_COORD_NN) PetscCall(SLNetworkDuplicate(model.net, &copy->net));
  else {
    SLNetwork tmp;

    /* Round trip through the inverse map with unit hidden scale (docs/theory.md section 2): w = s, b = -s beta,
     * v = mu (flat neurons: w = 0, b = 1, v = mu). beta = -b/w and mu = v|w| are then recovered exactly
     * (only sign changes and products by 1), so the copy holds the same numbers. */
    PetscCall(SLNetworkCreate(model.sp->comm, model.sp->H, model.sp->has_c, &tmp));
    PetscCall(SLSplineToNetwork(model.sp, NULL, tmp));
    PetscCall(SLSplineCreateFromNetwork(tmp, &copy->sp));
    PetscCall(SLNetworkDestroy(&tmp));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLModelDestroyCopy(SLModel *copy)
{
  PetscFunctionBeginUser;
  PetscCall(SLNetworkDestroy(&copy->net));
  PetscCall(SLSplineDestroy(&copy->sp));
  PetscFunctionReturn(0);
}

PetscErrorCode SLModelJacobianApply(SLModel model, SLData data, const PetscReal z_local[], PetscReal u[])
{
  PetscFunctionBeginUser;
  if (model.coords == SL_COORD_NN) PetscCall(SLNetworkJacobianApply(model.net, data, z_local, u));
  else PetscCall(SLSplineJacobianApply(model.sp, data, z_local, u));
  PetscFunctionReturn(0);
}

PetscErrorCode SLModelJacobianTransposeApply(SLModel model, SLData data, const PetscReal u[], PetscReal z_local[])
{
  PetscFunctionBeginUser;
  if (model.coords == SL_COORD_NN) PetscCall(SLNetworkJacobianTransposeApply(model.net, data, u, z_local));
  else PetscCall(SLSplineJacobianTransposeApply(model.sp, data, u, z_local));
  PetscFunctionReturn(0);
}

void SLModelNeuronColumns(SLModel model, SLData data, PetscInt i, PetscReal col[], PetscInt ld)
{
  const PetscReal *x = data->x;
  const PetscInt   N = data->N;

  if (model.coords == SL_COORD_NN) {
    /* dF/dw = v x 1_ni, dF/db = v 1_ni, dF/dv = (w x + b)_+, 1_ni = [w x_n + b > 0] (network_eval.c) */
    const PetscReal w = model.net->theta[3 * i], b = model.net->theta[3 * i + 1], v = model.net->theta[3 * i + 2];
    PetscReal      *cw = col, *cb = col + ld, *cv = col + 2 * ld;

    for (PetscInt n = 0; n < N; n++) {
      const PetscReal z = w * x[n] + b;

      if (z > 0) {
        cw[n] = v * x[n];
        cb[n] = v;
        cv[n] = z;
      } else cw[n] = cb[n] = cv[n] = 0.0;
    }
  } else {
    /* dF/dbeta = -s mu 1_ni, dF/dmu = (s (x - beta))_+; a flat neuron (s = 0) adds the constant mu:
     * dF/dbeta = 0, dF/dmu = 1 (spline.h) */
    const PetscInt  s  = model.sp->s[i];
    const PetscReal be = model.sp->beta[i], mu = model.sp->mu[i];
    PetscReal      *cbe = col, *cmu = col + ld;

    for (PetscInt n = 0; n < N; n++) {
      if (s == 0) {
        cbe[n] = 0.0;
        cmu[n] = 1.0;
      } else {
        const PetscReal t = (PetscReal)s * (x[n] - be);

        if (t > 0) {
          cbe[n] = -(PetscReal)s * mu;
          cmu[n] = t;
        } else cbe[n] = cmu[n] = 0.0;
      }
    }
  }
}

void SLModelBlockEigen(SLCoordinates coords, const PetscReal blk[2], PetscReal ev[], PetscReal q[])
{
  const PetscReal h = 1.0 / PetscSqrtReal(2.0);

  if (coords == SL_COORD_NN) {
    const PetscReal a = blk[0], d = blk[1], rho = PetscSqrtReal(a * a + d * d);

    if (rho > 0) {
      const PetscReal ua = a / rho, ud = d / rho;

      ev[0] = 0.0;
      q[0]  = ud;
      q[1]  = -ua;
      q[2]  = 0.0;
      ev[1] = rho;
      q[3]  = h * ua;
      q[4]  = h * ud;
      q[5]  = h;
      ev[2] = -rho;
      q[6]  = h * ua;
      q[7]  = h * ud;
      q[8]  = -h;
    } else {
      for (PetscInt k = 0; k < 3; k++) {
        ev[k] = 0.0;
        for (PetscInt j = 0; j < 3; j++) q[3 * k + j] = (j == k) ? 1.0 : 0.0;
      }
    }
  } else {
    const PetscReal e = blk[0], sg = e >= 0 ? 1.0 : -1.0;

    ev[0] = PetscAbsReal(e);
    q[0]  = h;
    q[1]  = h * sg;
    ev[1] = -PetscAbsReal(e);
    q[2]  = h;
    q[3]  = -h * sg;
  }
}
