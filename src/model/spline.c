/* The spline (BDSO) view of a network (docs/theory.md section 2): the maps NN <-> (beta, mu, s), parameter access,
 * evaluation f(x) = sum_i mu_i (s_i (x - beta_i))_+ [+ c] and view. Flat neurons (w_i = 0) have no breakpoint:
 * beta_i = NaN, s_i = 0, and they add the constant mu_i = v_i (b_i)_+; nothing ever divides by their w. */
#include <math.h>
#include "model_impl.h"

static PetscErrorCode SLSplineCheckLayout(SLSpline sp, SLNetwork net)
{
  PetscFunctionBeginUser;
  PetscCheck(sp->H == net->H && sp->hstart == net->hstart && sp->hlocal == net->hlocal && sp->has_c == net->has_c, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "Spline (H %" PetscInt_FMT ", local [%" PetscInt_FMT ", +%" PetscInt_FMT "), c %d) and network (H %" PetscInt_FMT ", local [%" PetscInt_FMT ", +%" PetscInt_FMT "), c %d) layouts differ", sp->H, sp->hstart, sp->hlocal,
             (int)sp->has_c, net->H, net->hstart, net->hlocal, (int)net->has_c);
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineCreateFromNetwork(SLNetwork net, SLSpline *sp)
{
  SLSpline s;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&s));
  s->comm   = net->comm;
  s->H      = net->H;
  s->hstart = net->hstart;
  s->hlocal = net->hlocal;
  s->has_c  = net->has_c;
  s->owns_c = net->owns_c;
  PetscCall(PetscMalloc3(PetscMax(s->hlocal, 1), &s->beta, PetscMax(s->hlocal, 1), &s->mu, PetscMax(s->hlocal, 1), &s->s));
  PetscCall(SLSplineUpdateFromNetwork(s, net));
  *sp = s;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineUpdateFromNetwork(SLSpline sp, SLNetwork net)
{
  PetscInt nflat = 0;

  PetscFunctionBeginUser;
  PetscCall(SLSplineCheckLayout(sp, net));
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    const PetscReal w = net->theta[3 * i], b = net->theta[3 * i + 1], v = net->theta[3 * i + 2];

    if (w == 0) {
      sp->beta[i] = NAN;
      sp->mu[i]   = v * PetscMax(b, 0.0);
      sp->s[i]    = 0;
      nflat++;
    } else {
      sp->beta[i] = -b / w;
      sp->mu[i]   = v * PetscAbsReal(w);
      sp->s[i]    = w > 0 ? 1 : -1;
    }
  }
  sp->c = net->c;
  PetscCall(MPIU_Allreduce(&nflat, &sp->nflat, 1, MPIU_INT, MPI_SUM, sp->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineToNetwork(SLSpline sp, const PetscReal scale_local[], SLNetwork net)
{
  PetscFunctionBeginUser;
  PetscCall(SLSplineCheckLayout(sp, net));
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    const PetscReal c = scale_local ? scale_local[i] : 1.0;

    PetscCheck(c > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Hidden scale of neuron %" PetscInt_FMT " is %g: must be > 0", sp->hstart + i, (double)c);
    if (sp->s[i] == 0) {
      net->theta[3 * i]     = 0.0;
      net->theta[3 * i + 1] = c;
    } else {
      net->theta[3 * i]     = sp->s[i] * c;
      net->theta[3 * i + 1] = -sp->s[i] * c * sp->beta[i];
    }
    net->theta[3 * i + 2] = sp->mu[i] / c;
  }
  if (net->owns_c) net->theta[3 * net->hlocal] = sp->c;
  net->c = sp->c;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineDestroy(SLSpline *sp)
{
  PetscFunctionBeginUser;
  if (!*sp) PetscFunctionReturn(0);
  PetscCall(PetscFree3((*sp)->beta, (*sp)->mu, (*sp)->s));
  PetscCall(PetscFree(*sp));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineGetSizes(SLSpline sp, PetscInt *P, PetscInt *Plocal)
{
  PetscFunctionBeginUser;
  if (P) *P = 2 * sp->H + (sp->has_c ? 1 : 0);
  if (Plocal) *Plocal = 2 * sp->hlocal + (sp->owns_c ? 1 : 0);
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineGetParameters(SLSpline sp, PetscReal phi_local[])
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    phi_local[2 * i]     = sp->beta[i];
    phi_local[2 * i + 1] = sp->mu[i];
  }
  if (sp->owns_c) phi_local[2 * sp->hlocal] = sp->c;
  PetscFunctionReturn(0);
}

/* Orientations are kept; a flat neuron stays flat (its beta stays NaN whatever phi holds there). */
PetscErrorCode SLSplineSetParameters(SLSpline sp, const PetscReal phi_local[])
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < sp->hlocal; i++) {
    sp->beta[i] = sp->s[i] ? phi_local[2 * i] : NAN;
    sp->mu[i]   = phi_local[2 * i + 1];
  }
  if (sp->has_c) {
    PetscReal c = sp->owns_c ? phi_local[2 * sp->hlocal] : 0.0;

    PetscCall(SLBcastFromLast(sp->comm, &c));
    sp->c = c;
  }
  PetscFunctionReturn(0);
}

typedef struct {
  SLSpline         sp;
  const PetscReal *x;
} SLSplineEvalCtx;

static void SLSplineEvalKernel(void *vctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[])
{
  const SLSplineEvalCtx *ctx = (const SLSplineEvalCtx *)vctx;
  const SLSpline         sp  = ctx->sp;
  const PetscReal       *x   = ctx->x + k0;

  for (PetscInt i = i0; i < i1; i++) {
    const PetscReal beta = sp->beta[i], mu = sp->mu[i];
    const PetscInt  s = sp->s[i];

    if (s == 0) {
      for (PetscInt k = 0; k < m; k++) acc[k] += mu;
    } else {
      for (PetscInt k = 0; k < m; k++) {
        const PetscReal z = s * (x[k] - beta);
        if (z > 0) acc[k] += mu * z;
      }
    }
  }
}

PetscErrorCode SLSplineEvaluate(SLSpline sp, PetscInt n, const PetscReal x[], PetscReal f[])
{
  SLSplineEvalCtx ctx = {sp, x};

  PetscFunctionBeginUser;
  PetscCall(SLBlockReduce(sp->comm, sp->H, sp->hstart, sp->hlocal, n, SLSplineEvalKernel, &ctx, f));
  if (sp->has_c)
    for (PetscInt k = 0; k < n; k++) f[k] += sp->c;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSplineView(SLSpline sp, PetscViewer viewer)
{
  PetscBool         iascii;
  PetscViewerFormat format;
  PetscInt          nb;
  PetscReal        *beta;
  PetscInt         *idx;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(sp->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscMalloc2(sp->H, &beta, sp->H, &idx));
  PetscCall(SLSplineSortedBreakpoints(sp, &nb, beta, idx));
  PetscCall(PetscViewerASCIIPrintf(viewer, "SLSpline: %" PetscInt_FMT " neurons, %" PetscInt_FMT " breakpoints, %" PetscInt_FMT " flat, output bias %s\n", sp->H, nb, sp->nflat, sp->has_c ? "yes" : "no"));
  if (nb > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "  breakpoints in [%g, %g], median %g\n", (double)beta[0], (double)beta[nb - 1], (double)beta[nb / 2]));
  PetscCall(PetscViewerGetFormat(viewer, &format));
  if (format == PETSC_VIEWER_ASCII_INFO_DETAIL) {
    PetscCall(PetscViewerASCIIPushTab(viewer));
    for (PetscInt j = 0; j < nb; j++) PetscCall(PetscViewerASCIIPrintf(viewer, "beta = %.17g (neuron %" PetscInt_FMT ")\n", (double)beta[j], idx[j]));
    PetscCall(PetscViewerASCIIPopTab(viewer));
  }
  PetscCall(PetscFree2(beta, idx));
  PetscFunctionReturn(0);
}
