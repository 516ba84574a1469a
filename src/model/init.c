/* Initialization schemes and their laws (docs/theory.md section 3, init.h).
 *
 * Each parameter is a pure function of (seed, SL_STREAM_INIT, neuron, draw): neuron i draws w with counter
 * (i, 0), b with (i, 1), v with (i, 2); the output bias c uses (H, 3). A rank therefore fills exactly its own
 * neuron range and the network is bitwise identical for any layout (rng.h).
 */
#include <splinelens/init.h>
#include <splinelens/rng.h>
#include "model_impl.h"

const char *const SLInitSchemes[]  = {"lecun_normal", "he_normal", "glorot_normal", "lecun_uniform", "he_uniform", "glorot_uniform", "torch_default", "gaussian", "SLInitScheme", "SL_INIT_", NULL};
const char *const SLBiasPolicies[] = {"same", "zero", "explicit", "SLBiasPolicy", "SL_BIAS_", NULL};
const char *const SLLawKinds[]     = {"normal", "uniform", "zero", "SLLawKind", "SL_LAW_", NULL};

PetscErrorCode SLInitParamsCheck(const SLInitParams *p, const char prefix[])
{
  const char *pre = prefix ? prefix : "";

  PetscFunctionBeginUser;
  PetscCheck((int)p->scheme >= SL_INIT_LECUN_NORMAL && (int)p->scheme <= SL_INIT_GAUSSIAN, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sscheme: invalid scheme %d", pre, (int)p->scheme);
  PetscCheck((int)p->bias >= SL_BIAS_SAME && (int)p->bias <= SL_BIAS_EXPLICIT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sbias: invalid bias policy %d", pre, (int)p->bias);
  PetscCheck((int)p->bias_law >= SL_LAW_NORMAL && (int)p->bias_law <= SL_LAW_ZERO, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sbias_law: invalid law %d", pre, (int)p->bias_law);
  /* !(x > 0) also refuses NaN */
  PetscCheck(p->alpha > 0 && !PetscIsInfOrNanReal(p->alpha), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%salpha must be > 0, got %.6g", pre, (double)p->alpha);
  PetscCheck(p->alpha_in > 0 && !PetscIsInfOrNanReal(p->alpha_in), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%salpha_in must be > 0, got %.6g", pre, (double)p->alpha_in);
  PetscCheck(p->alpha_out > 0 && !PetscIsInfOrNanReal(p->alpha_out), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%salpha_out must be > 0, got %.6g", pre, (double)p->alpha_out);
  PetscCheck(p->sw >= 0 && !PetscIsInfOrNanReal(p->sw), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%ssw must be >= 0 (a standard deviation), got %.6g", pre, (double)p->sw);
  PetscCheck(p->sb >= 0 && !PetscIsInfOrNanReal(p->sb), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%ssb must be >= 0 (a standard deviation), got %.6g", pre, (double)p->sb);
  PetscCheck(p->sv >= 0 && !PetscIsInfOrNanReal(p->sv), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%ssv must be >= 0 (a standard deviation), got %.6g", pre, (double)p->sv);
  PetscCheck(p->sc >= 0 && !PetscIsInfOrNanReal(p->sc), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%ssc must be >= 0 (a standard deviation), got %.6g", pre, (double)p->sc);
  PetscCheck(p->bias_scale >= 0 && !PetscIsInfOrNanReal(p->bias_scale), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sbias_scale must be >= 0, got %.6g", pre, (double)p->bias_scale);
  PetscCheck(p->seed >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sseed must be >= 0, got %" PetscInt_FMT, pre, p->seed);
  PetscFunctionReturn(0);
}

/* A law with the given variance: N(0, var) or its uniform twin U(-a, a), a = sqrt(3 var) (same variance). */
static SLLaw SLLawFromVariance(PetscBool uniform, PetscReal var)
{
  SLLaw law;

  law.kind  = uniform ? SL_LAW_UNIFORM : SL_LAW_NORMAL;
  law.scale = uniform ? PetscSqrtReal(3.0 * var) : PetscSqrtReal(var);
  return law;
}

PetscErrorCode SLInitGetLaws(const SLInitParams *p, PetscInt H, SLLaw *w, SLLaw *b, SLLaw *v, SLLaw *c)
{
  SLLaw     lw, lb, lv, lc;
  PetscReal varw = 1, varv = 1, sin, sout;
  PetscBool uniform = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(SLInitParamsCheck(p, SL_INIT_DEFAULT_PREFIX));
  PetscCheck(H >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Network width H = %" PetscInt_FMT " must be >= 1", H);
  /* docs/theory.md section 3 table: fan-in 1 for the first layer, H for the second; fan-out H and 1 */
  switch (p->scheme) {
  case SL_INIT_LECUN_UNIFORM:
    uniform = PETSC_TRUE; /* fall through */
  case SL_INIT_LECUN_NORMAL:
    varw = 1.0;
    varv = 1.0 / (PetscReal)H;
    break;
  case SL_INIT_HE_UNIFORM:
    uniform = PETSC_TRUE; /* fall through */
  case SL_INIT_HE_NORMAL:
    varw = 2.0;
    varv = 2.0 / (PetscReal)H;
    break;
  case SL_INIT_GLOROT_UNIFORM:
    uniform = PETSC_TRUE; /* fall through */
  case SL_INIT_GLOROT_NORMAL:
    varw = varv = 2.0 / (PetscReal)(H + 1);
    break;
  default:
    break;
  }
  switch (p->scheme) {
  case SL_INIT_TORCH_DEFAULT: /* PyTorch nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias */
    lw.kind = lb.kind = lv.kind = lc.kind = SL_LAW_UNIFORM;
    lw.scale = lb.scale = 1.0;
    lv.scale = lc.scale = 1.0 / PetscSqrtReal((PetscReal)H);
    break;
  case SL_INIT_GAUSSIAN:
    lw.kind = lb.kind = lv.kind = lc.kind = SL_LAW_NORMAL;
    lw.scale                              = p->sw;
    lb.scale                              = p->sb;
    lv.scale                              = p->sv;
    lc.scale                              = p->sc;
    break;
  default: /* the bias follows w, the output bias follows v */
    lw = lb = SLLawFromVariance(uniform, varw);
    lv = lc = SLLawFromVariance(uniform, varv);
    break;
  }
  if (p->bias == SL_BIAS_ZERO) {
    lb.kind  = SL_LAW_ZERO;
    lb.scale = 0.0;
  } else if (p->bias == SL_BIAS_EXPLICIT) {
    lb.kind  = p->bias_law;
    lb.scale = p->bias_law == SL_LAW_ZERO ? 0.0 : p->bias_scale;
  }
  /* alpha scales every parameter; alpha_in the first layer, alpha_out the second */
  sin  = p->alpha * p->alpha_in;
  sout = p->alpha * p->alpha_out;
  lw.scale *= sin;
  lb.scale *= sin;
  lv.scale *= sout;
  lc.scale *= sout;
  if (p->symmetric) { /* c = 0 so that f_0 = 0 identically */
    lc.kind  = SL_LAW_ZERO;
    lc.scale = 0.0;
  }
  if (w) *w = lw;
  if (b) *b = lb;
  if (v) *v = lv;
  if (c) *c = lc;
  PetscFunctionReturn(0);
}

/* One draw of a law: scale * N(0, 1), scale * U(-1, 1) (open interval: never exactly 0), or 0. */
static inline PetscReal SLLawDraw(SLLaw law, uint64_t seed, uint64_t index, uint64_t draw)
{
  switch (law.kind) {
  case SL_LAW_NORMAL:
    return law.scale * SLRandomNormal(seed, SL_STREAM_INIT, index, draw);
  case SL_LAW_UNIFORM:
    return law.scale * (2.0 * SLRandomUniform01(seed, SL_STREAM_INIT, index, draw) - 1.0);
  default:
    return 0.0;
  }
}

PetscErrorCode SLNetworkInitialize(SLNetwork net, const SLInitParams *p)
{
  SLLaw    lw, lb, lv, lc;
  PetscInt H = net->H, half = net->H / 2;
  uint64_t seed;

  PetscFunctionBeginUser;
  PetscCall(SLInitGetLaws(p, H, &lw, &lb, &lv, &lc));
  PetscCheck(!p->symmetric || H % 2 == 0, net->comm, PETSC_ERR_ARG_INCOMP, "-%ssymmetric needs an even width H, got H = %" PetscInt_FMT, SL_INIT_DEFAULT_PREFIX, H);
  PetscCheck(net->hstart >= 0 && net->hlocal >= 0 && net->hstart + net->hlocal <= H, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Neuron range [%" PetscInt_FMT ", %" PetscInt_FMT ") is not inside [0, %" PetscInt_FMT ")", net->hstart, net->hstart + net->hlocal, H);
  seed = (uint64_t)p->seed;
  for (PetscInt i = 0; i < net->hlocal; i++) {
    PetscInt  g = net->hstart + i, src = g;
    PetscReal sign = 1.0;

    if (p->symmetric && g >= half) { /* the mirror of neuron g - H/2: same w and b, opposite v */
      src  = g - half;
      sign = -1.0;
    }
    net->theta[3 * i + 0] = SLLawDraw(lw, seed, (uint64_t)src, 0);
    net->theta[3 * i + 1] = SLLawDraw(lb, seed, (uint64_t)src, 1);
    net->theta[3 * i + 2] = sign * SLLawDraw(lv, seed, (uint64_t)src, 2);
  }
  /* every rank computes c itself (a pure function), so no broadcast is needed */
  net->c = net->has_c ? SLLawDraw(lc, seed, (uint64_t)H, 3) : 0.0;
  if (net->owns_c) net->theta[3 * net->hlocal] = net->c;
  PetscFunctionReturn(0);
}
