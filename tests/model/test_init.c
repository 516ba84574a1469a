/* Initialization schemes (init.h, docs/theory.md section 3).
 *
 *  1. For every scheme (and the bias options), on H = 1e5 neurons: SLInitGetLaws returns the table's laws
 *     with alpha, alpha_in, alpha_out applied (expected values computed here from the table, not from init.c);
 *     the generated w, b, v pass KS tests against those laws; the breakpoints beta = -b/w pass a KS test
 *     (p > 0.01) against Cauchy(0, sb/sw) (Gaussian w, b) or the ratio-of-uniforms law (uniform w, b); the
 *     mean of mu^2 = (v|w|)^2 is within 5 standard errors of Var(v) Var(w) (= sv^2 sw^2: E[R_total] / H).
 *     Negative controls show the KS test can fail.
 *  2. Same seed -> the same bits whether the network is generated as one range or in two pieces.
 *  3. Symmetric init: mirrored neurons, c = 0, f_0 = 0 exactly.
 *  4. alpha scales every parameter and leaves beta unchanged; bad parameters are refused.
 */
#include <string.h>
#include <splinelens/init.h>
#include <splinelens/rng.h>
#include "ks.h"

#include "check.h"

/* ---- CDFs (ctx[0] = scale parameter) ------------------------------------------------------------------ */
static double NormalCDF(double x, const double *s)
{
  return 0.5 * erfc(-x / (s[0] * sqrt(2.0)));
}
static double UniformCDF(double x, const double *a)
{
  double t = (x + a[0]) / (2 * a[0]);
  return t < 0 ? 0 : (t > 1 ? 1 : t);
}
static double CauchyCDF(double x, const double *g)
{
  return 0.5 + atan(x / g[0]) / M_PI_KS;
}
/* beta = -b/w with w ~ U(-a, a), b ~ U(-c, c), k = c/a. Integrating the density of docs/theory.md section 3,
 * p = 1/(4k) on [-k, k] and k/(4 beta^2) beyond: F = k/(4|beta|) for beta <= -k, 1/2 + beta/(4k) on [-k, k],
 * 1 - k/(4 beta) for beta >= k (continuous: 1/4 and 3/4 at -k and k). */
static double RatioUniformCDF(double x, const double *k)
{
  if (x <= -k[0]) return k[0] / (4 * fabs(x));
  if (x >= k[0]) return 1 - k[0] / (4 * x);
  return 0.5 + x / (4 * k[0]);
}

static double LawVariance(SLLaw l)
{
  return l.kind == SL_LAW_NORMAL ? l.scale * l.scale : (l.kind == SL_LAW_UNIFORM ? l.scale * l.scale / 3 : 0);
}

static double LawKS(SLLaw l, size_t n, double *x)
{
  double s = l.scale;
  return KSTest(n, x, l.kind == SL_LAW_NORMAL ? NormalCDF : UniformCDF, &s, NULL);
}

typedef struct {
  const char  *label;
  SLInitParams p;
  SLLaw        w, b, v, c; /* expected, from docs/theory.md section 3 with the scales applied */
} Case;

static SLLaw Law(SLLawKind k, double s)
{
  SLLaw l = {k, s};
  return l;
}

static void CheckLaw(const char *label, const char *what, SLLaw got, SLLaw want)
{
  CHECK(got.kind == want.kind && fabs(got.scale - want.scale) <= 1e-14 * want.scale, "%s: law of %s is %s(%g), expected %s(%g)", label, what, SLLawKinds[got.kind], got.scale, SLLawKinds[want.kind], want.scale);
}

static PetscErrorCode CheckLaws(PetscInt H, Case *cs)
{
  SLNetwork net;
  SLLaw     w, b, v, c;
  double   *x, *beta, *mu2;
  double    p, D, mean = 0, var = 0, se, expect;
  PetscInt  nflat = 0, n = cs->p.symmetric ? H / 2 : H; /* mirrors are not independent draws */

  PetscFunctionBeginUser;
  PetscCall(SLInitGetLaws(&cs->p, H, &w, &b, &v, &c));
  CheckLaw(cs->label, "w", w, cs->w);
  CheckLaw(cs->label, "b", b, cs->b);
  CheckLaw(cs->label, "v", v, cs->v);
  CheckLaw(cs->label, "c", c, cs->c);
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &net));
  PetscCall(SLNetworkInitialize(net, &cs->p));
  PetscCall(PetscMalloc3(H, &x, H, &beta, H, &mu2));
  for (PetscInt i = 0; i < H; i++) {
    double wi = net->theta[3 * i], bi = net->theta[3 * i + 1], vi = net->theta[3 * i + 2];

    nflat += wi == 0;
    beta[i] = -bi / wi;
    mu2[i]  = vi * fabs(wi) * vi * fabs(wi);
  }
  CHECK(nflat == 0, "%s: %" PetscInt_FMT " neurons with w = 0", cs->label, nflat);
  /* marginals (p > 0.001: a looser bar, as these are auxiliary checks of the scale factors) */
  for (int k = 0; k < 3; k++) {
    SLLaw l = k == 0 ? cs->w : (k == 1 ? cs->b : cs->v);

    if (l.kind == SL_LAW_ZERO) {
      PetscInt nz = 0;
      for (PetscInt i = 0; i < H; i++) nz += net->theta[3 * i + k] != 0;
      CHECK(nz == 0, "%s: %" PetscInt_FMT " nonzero values of a zero law", cs->label, nz);
      continue;
    }
    for (PetscInt i = 0; i < n; i++) x[i] = net->theta[3 * i + k];
    p = LawKS(l, (size_t)n, x);
    CHECK(p > 0.001, "%s: KS of %s against %s(0, %g): p = %g", cs->label, k == 0 ? "w" : (k == 1 ? "b" : "v"), SLLawKinds[l.kind], l.scale, p);
  }
  /* c is one draw: check it lies in the support and is reproducible from its counter (H, 3) */
  if (cs->c.kind == SL_LAW_UNIFORM) CHECK(fabs(net->c) < cs->c.scale, "%s: c = %g outside U(-%g, %g)", cs->label, net->c, cs->c.scale, cs->c.scale);
  if (cs->c.kind == SL_LAW_NORMAL) CHECK(fabs(net->c - cs->c.scale * SLRandomNormal((uint64_t)cs->p.seed, SL_STREAM_INIT, (uint64_t)H, 3)) <= 1e-14 * fabs(net->c), "%s: c not drawn from counter (H, 3)", cs->label);
  CHECK(net->theta[3 * H] == net->c, "%s: c slot of theta %g != net->c %g", cs->label, net->theta[3 * H], net->c);
  /* breakpoints */
  if (cs->b.kind == SL_LAW_ZERO) {
    PetscInt nz = 0;
    for (PetscInt i = 0; i < H; i++) nz += beta[i] != 0;
    CHECK(nz == 0, "%s: bias zero but %" PetscInt_FMT " breakpoints away from 0", cs->label, nz);
  } else if (cs->w.kind == SL_LAW_NORMAL && cs->b.kind == SL_LAW_NORMAL) {
    double g = cs->b.scale / cs->w.scale;

    p = KSTest((size_t)n, beta, CauchyCDF, &g, &D);
    printf("%-34s beta ~ Cauchy(0, %.4g):           D = %.5f  p = %.4f\n", cs->label, g, D, p);
    CHECK(p > 0.01, "%s: KS of beta against Cauchy(0, %g): p = %g", cs->label, g, p);
  } else if (cs->w.kind == SL_LAW_UNIFORM && cs->b.kind == SL_LAW_UNIFORM) {
    double k = cs->b.scale / cs->w.scale;

    p = KSTest((size_t)n, beta, RatioUniformCDF, &k, &D);
    printf("%-34s beta ~ ratio of uniforms (c/a = %.4g): D = %.5f  p = %.4f\n", cs->label, k, D, p);
    CHECK(p > 0.01, "%s: KS of beta against the ratio-of-uniforms law (c/a = %g): p = %g", cs->label, k, p);
  }
  /* delta-slopes: E[mu^2] = Var(v) Var(w), mu^2 i.i.d. over neurons */
  for (PetscInt i = 0; i < n; i++) mean += mu2[i];
  mean /= n;
  for (PetscInt i = 0; i < n; i++) var += (mu2[i] - mean) * (mu2[i] - mean);
  var /= n - 1;
  se     = sqrt(var / n);
  expect = LawVariance(cs->v) * LawVariance(cs->w);
  printf("%-34s E[mu^2] = %.5g, expected %.5g (SE %.2g)\n", cs->label, mean, expect, se);
  CHECK(fabs(mean - expect) < 5 * se, "%s: mean mu^2 %g not within 5 SE (%g) of %g", cs->label, mean, se, expect);
  PetscCall(PetscFree3(x, beta, mu2));
  PetscCall(SLNetworkDestroy(&net));
  PetscFunctionReturn(0);
}

/* The KS machinery itself: tabulated critical values and negative controls (the test can fail). */
static PetscErrorCode CheckKS(PetscInt H)
{
  double      *z, g = 1.0, g11 = 1.1, k = 1.0, p;
  SLNetwork    net;
  SLInitParams prm;

  PetscFunctionBeginUser;
  CHECK(fabs(KSQ(1.3581) - 0.05) < 2e-4 && fabs(KSQ(1.6276) - 0.01) < 2e-4 && fabs(KSQ(1.2238) - 0.10) < 2e-4, "Kolmogorov p-values off: Q(1.3581) = %g, Q(1.6276) = %g, Q(1.2238) = %g", KSQ(1.3581), KSQ(1.6276), KSQ(1.2238));
  CHECK(fabs(KSQ(1.18 - 1e-12) - KSQ(1.18 + 1e-12)) < 1e-9, "the two Kolmogorov series disagree at 1.18");
  CHECK(fabs(RatioUniformCDF(-1e6, &k) - 2.5e-7) < 1e-20 && RatioUniformCDF(0, &k) == 0.5 && fabs(RatioUniformCDF(1e6, &k) - (1 - 2.5e-7)) < 1e-15, "ratio-of-uniforms CDF limits");
  CHECK(fabs(RatioUniformCDF(-1 - 1e-12, &k) - 0.25) < 1e-11 && fabs(RatioUniformCDF(1 + 1e-12, &k) - 0.75) < 1e-11, "ratio-of-uniforms CDF continuity at +-c/a");
  PetscCall(PetscMalloc1(H, &z));
  /* a normal sample is not Cauchy */
  for (PetscInt i = 0; i < H; i++) z[i] = SLRandomNormal(7, SL_STREAM_TEST, (uint64_t)i, 0);
  p = KSTest((size_t)H, z, CauchyCDF, &g, NULL);
  printf("negative control: N(0,1) sample against Cauchy(0, 1): p = %.3g\n", p);
  CHECK(p < 0.01, "negative control: KS of a normal sample against Cauchy(0, 1) gives p = %g >= 0.01", p);
  /* lecun_normal breakpoints are Cauchy(0, 1), not Cauchy(0, 1.1) nor the ratio-of-uniforms law */
  PetscCall(SLInitParamsSetDefaults(&prm));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_FALSE, &net));
  PetscCall(SLNetworkInitialize(net, &prm));
  for (PetscInt i = 0; i < H; i++) z[i] = -net->theta[3 * i + 1] / net->theta[3 * i];
  p = KSTest((size_t)H, z, CauchyCDF, &g11, NULL);
  printf("negative control: lecun_normal beta against Cauchy(0, 1.1): p = %.3g\n", p);
  CHECK(p < 0.01, "negative control: KS of lecun_normal beta against Cauchy(0, 1.1) gives p = %g", p);
  p = KSTest((size_t)H, z, RatioUniformCDF, &k, NULL);
  printf("negative control: lecun_normal beta against the ratio-of-uniforms law: p = %.3g\n", p);
  CHECK(p < 0.01, "negative control: KS of lecun_normal beta against ratio of uniforms gives p = %g", p);
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(PetscFree(z));
  PetscFunctionReturn(0);
}

/* Same bits from one range and from two pieces [0, split) + [split, H) (the second owns c). */
static PetscErrorCode CheckPieces(const char *label, const SLInitParams *p, PetscInt H, PetscInt split)
{
  SLNetwork whole, a, b;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &whole));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &a));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &b));
  a->hstart = 0;
  a->hlocal = split;
  a->owns_c = PETSC_FALSE;
  b->hstart = split;
  b->hlocal = H - split;
  PetscCall(SLNetworkInitialize(whole, p));
  PetscCall(SLNetworkInitialize(a, p));
  PetscCall(SLNetworkInitialize(b, p));
  CHECK(memcmp(whole->theta, a->theta, sizeof(PetscReal) * 3 * split) == 0, "%s: piece [0, %" PetscInt_FMT ") differs", label, split);
  CHECK(memcmp(whole->theta + 3 * split, b->theta, sizeof(PetscReal) * (3 * (H - split) + 1)) == 0, "%s: piece [%" PetscInt_FMT ", H) + c differs", label, split);
  CHECK(memcmp(&whole->c, &a->c, sizeof(PetscReal)) == 0 && memcmp(&whole->c, &b->c, sizeof(PetscReal)) == 0, "%s: c differs between pieces", label);
  /* the same seed again gives the same network, another seed another one */
  {
    SLInitParams q = *p;
    SLNetwork    again;

    PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &again));
    PetscCall(SLNetworkInitialize(again, &q));
    CHECK(memcmp(whole->theta, again->theta, sizeof(PetscReal) * (3 * H + 1)) == 0, "%s: not reproducible", label);
    q.seed++;
    PetscCall(SLNetworkInitialize(again, &q));
    CHECK(memcmp(whole->theta, again->theta, sizeof(PetscReal) * 3 * H) != 0, "%s: seed ignored", label);
    PetscCall(SLNetworkDestroy(&again));
  }
  PetscCall(SLNetworkDestroy(&whole));
  PetscCall(SLNetworkDestroy(&a));
  PetscCall(SLNetworkDestroy(&b));
  PetscFunctionReturn(0);
}

/* f(x) of neurons [i0, i1) in index order, evaluated here (independent of network*.c). */
static double PartialF(const SLNetwork net, PetscInt i0, PetscInt i1, double x)
{
  double s = 0;

  for (PetscInt i = i0; i < i1; i++) {
    double z = net->theta[3 * i] * x + net->theta[3 * i + 1];
    s += net->theta[3 * i + 2] * (z > 0 ? z : 0);
  }
  return s;
}

static PetscErrorCode CheckSymmetric(SLInitScheme scheme, PetscInt H)
{
  SLInitParams p;
  SLNetwork    net;
  PetscInt     half = H / 2, bad = 0;
  double       maxabs = 0;

  PetscFunctionBeginUser;
  PetscCall(SLInitParamsSetDefaults(&p));
  p.scheme    = scheme;
  p.symmetric = PETSC_TRUE;
  p.seed      = 11;
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &net));
  PetscCall(SLNetworkInitialize(net, &p));
  for (PetscInt i = 0; i < half; i++) {
    const PetscReal *t = net->theta + 3 * i, *m = net->theta + 3 * (i + half);
    bad += !(m[0] == t[0] && m[1] == t[1] && m[2] == -t[2]);
  }
  CHECK(bad == 0, "symmetric %s: %" PetscInt_FMT " neurons are not mirrors", SLInitSchemes[scheme], bad);
  CHECK(net->c == 0 && net->theta[3 * H] == 0, "symmetric %s: c = %g", SLInitSchemes[scheme], net->c);
  /* f_0(x) = (sum over the first half) + (sum over the mirrors) = s + (-s) = 0 exactly */
  for (int k = 0; k <= 40; k++) {
    double x = -2 + 0.1 * k, s1 = PartialF(net, 0, half, x), s2 = PartialF(net, half, H, x);

    CHECK(s1 + s2 + net->c == 0.0, "symmetric %s: f_0(%g) = %g", SLInitSchemes[scheme], x, s1 + s2 + net->c);
    maxabs = PetscMax(maxabs, fabs(s1));
  }
  CHECK(maxabs > 0, "symmetric %s: the half network is identically 0 (control)", SLInitSchemes[scheme]);
  PetscCall(SLNetworkDestroy(&net));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckScaleAndErrors(PetscInt H)
{
  SLInitParams   p, q;
  SLNetwork      n1, n3;
  PetscErrorCode ierr;
  PetscInt       bad = 0;

  PetscFunctionBeginUser;
  PetscCall(SLInitParamsSetDefaults(&p));
  p.scheme = SL_INIT_HE_UNIFORM;
  q        = p;
  q.alpha  = 3;
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &n1));
  PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &n3));
  PetscCall(SLNetworkInitialize(n1, &p));
  PetscCall(SLNetworkInitialize(n3, &q));
  for (PetscInt i = 0; i < 3 * H + 1; i++) bad += fabs(n3->theta[i] - 3 * n1->theta[i]) > 1e-15 * fabs(3 * n1->theta[i]);
  for (PetscInt i = 0; i < H; i++) {
    double b1 = -n1->theta[3 * i + 1] / n1->theta[3 * i], b3 = -n3->theta[3 * i + 1] / n3->theta[3 * i];
    bad += fabs(b1 - b3) > 1e-14 * fabs(b1);
  }
  CHECK(bad == 0, "alpha = 3: %" PetscInt_FMT " parameters not scaled by 3 or breakpoints moved", bad);
  /* alpha_in scales only w, b; alpha_out only v, c */
  q           = p;
  q.alpha_in  = 2;
  q.alpha_out = 5;
  PetscCall(SLNetworkInitialize(n3, &q));
  bad = 0;
  for (PetscInt i = 0; i < H; i++) {
    for (int k = 0; k < 3; k++) bad += fabs(n3->theta[3 * i + k] - (k < 2 ? 2 : 5) * n1->theta[3 * i + k]) > 1e-15 * fabs(n3->theta[3 * i + k]);
  }
  bad += fabs(n3->c - 5 * n1->c) > 1e-15 * fabs(n3->c);
  CHECK(bad == 0, "alpha_in/alpha_out: %" PetscInt_FMT " parameters wrongly scaled", bad);
  /* refused: odd width with symmetric init, alpha <= 0, negative stds */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  q           = p;
  q.symmetric = PETSC_TRUE;
  {
    SLNetwork odd;

    PetscCall(SLNetworkCreate(PETSC_COMM_SELF, 5, PETSC_FALSE, &odd));
    ierr = SLNetworkInitialize(odd, &q);
    CHECK(ierr != 0, "symmetric init accepted an odd width");
    PetscCall(SLNetworkDestroy(&odd));
  }
  q       = p;
  q.alpha = 0;
  ierr    = SLInitGetLaws(&q, H, NULL, NULL, NULL, NULL);
  CHECK(ierr != 0, "alpha = 0 accepted");
  q           = p;
  q.alpha_out = -1;
  ierr        = SLNetworkInitialize(n1, &q);
  CHECK(ierr != 0, "alpha_out = -1 accepted");
  q    = p;
  q.sb = -0.5;
  ierr = SLInitGetLaws(&q, H, NULL, NULL, NULL, NULL);
  CHECK(ierr != 0, "sb = -0.5 accepted");
  PetscCall(PetscPopErrorHandler());
  PetscCall(SLNetworkDestroy(&n1));
  PetscCall(SLNetworkDestroy(&n3));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt  H = 100000, nc = 0;
  Case      cs[16];
  double    r3 = sqrt(3.0), iH = 1.0 / sqrt(100000.0);
  PetscBool skip_laws = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "test_init: initialization laws"));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-H", &H, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-skip_laws", &skip_laws, NULL));
  iH = 1.0 / sqrt((double)H);

  /* the section 3 table, written out here independently of init.c */
#define ADD(lbl, sch, W, B, V, C) \
  do { \
    cs[nc].label = lbl; \
    PetscCall(SLInitParamsSetDefaults(&cs[nc].p)); \
    cs[nc].p.scheme = sch; \
    cs[nc].p.seed   = 100 + nc; \
    cs[nc].w        = W; \
    cs[nc].b        = B; \
    cs[nc].v        = V; \
    cs[nc].c        = C; \
    nc++; \
  } while (0)
  ADD("lecun_normal", SL_INIT_LECUN_NORMAL, Law(SL_LAW_NORMAL, 1), Law(SL_LAW_NORMAL, 1), Law(SL_LAW_NORMAL, iH), Law(SL_LAW_NORMAL, iH));
  ADD("he_normal", SL_INIT_HE_NORMAL, Law(SL_LAW_NORMAL, sqrt(2.0)), Law(SL_LAW_NORMAL, sqrt(2.0)), Law(SL_LAW_NORMAL, sqrt(2.0) * iH), Law(SL_LAW_NORMAL, sqrt(2.0) * iH));
  {
    double g = sqrt(2.0 / (H + 1));
    ADD("glorot_normal", SL_INIT_GLOROT_NORMAL, Law(SL_LAW_NORMAL, g), Law(SL_LAW_NORMAL, g), Law(SL_LAW_NORMAL, g), Law(SL_LAW_NORMAL, g));
    ADD("glorot_uniform", SL_INIT_GLOROT_UNIFORM, Law(SL_LAW_UNIFORM, r3 * g), Law(SL_LAW_UNIFORM, r3 * g), Law(SL_LAW_UNIFORM, r3 * g), Law(SL_LAW_UNIFORM, r3 * g));
  }
  ADD("lecun_uniform", SL_INIT_LECUN_UNIFORM, Law(SL_LAW_UNIFORM, r3), Law(SL_LAW_UNIFORM, r3), Law(SL_LAW_UNIFORM, r3 * iH), Law(SL_LAW_UNIFORM, r3 * iH));
  ADD("he_uniform", SL_INIT_HE_UNIFORM, Law(SL_LAW_UNIFORM, sqrt(6.0)), Law(SL_LAW_UNIFORM, sqrt(6.0)), Law(SL_LAW_UNIFORM, sqrt(6.0) * iH), Law(SL_LAW_UNIFORM, sqrt(6.0) * iH));
  ADD("torch_default", SL_INIT_TORCH_DEFAULT, Law(SL_LAW_UNIFORM, 1), Law(SL_LAW_UNIFORM, 1), Law(SL_LAW_UNIFORM, iH), Law(SL_LAW_UNIFORM, iH));
  /* gaussian with every scale factor: w ~ N(0, (2 * 1.5 * 0.8)^2), b ~ N(0, (0.5 * 1.2)^2): gamma = 0.25 */
  ADD("gaussian sw2 sb.5 sv.7 a1.5 .8 2", SL_INIT_GAUSSIAN, Law(SL_LAW_NORMAL, 2.4), Law(SL_LAW_NORMAL, 0.6), Law(SL_LAW_NORMAL, 2.1), Law(SL_LAW_NORMAL, 0.3 * 3));
  cs[nc - 1].p.sw = 2, cs[nc - 1].p.sb = 0.5, cs[nc - 1].p.sv = 0.7, cs[nc - 1].p.sc = 0.3;
  cs[nc - 1].p.alpha = 1.5, cs[nc - 1].p.alpha_in = 0.8, cs[nc - 1].p.alpha_out = 2;
  /* explicit bias laws: beta ~ Cauchy(0, 2.5) and ratio of uniforms with c/a = 0.3 */
  ADD("lecun_normal bias N(0,2.5^2)", SL_INIT_LECUN_NORMAL, Law(SL_LAW_NORMAL, 1), Law(SL_LAW_NORMAL, 2.5), Law(SL_LAW_NORMAL, iH), Law(SL_LAW_NORMAL, iH));
  cs[nc - 1].p.bias = SL_BIAS_EXPLICIT, cs[nc - 1].p.bias_law = SL_LAW_NORMAL, cs[nc - 1].p.bias_scale = 2.5;
  ADD("torch_default bias U(-.3,.3) a2", SL_INIT_TORCH_DEFAULT, Law(SL_LAW_UNIFORM, 2), Law(SL_LAW_UNIFORM, 0.6), Law(SL_LAW_UNIFORM, 2 * iH), Law(SL_LAW_UNIFORM, 2 * iH));
  cs[nc - 1].p.bias = SL_BIAS_EXPLICIT, cs[nc - 1].p.bias_law = SL_LAW_UNIFORM, cs[nc - 1].p.bias_scale = 0.3, cs[nc - 1].p.alpha = 2;
  ADD("he_normal bias zero", SL_INIT_HE_NORMAL, Law(SL_LAW_NORMAL, sqrt(2.0)), Law(SL_LAW_ZERO, 0), Law(SL_LAW_NORMAL, sqrt(2.0) * iH), Law(SL_LAW_NORMAL, sqrt(2.0) * iH));
  cs[nc - 1].p.bias = SL_BIAS_ZERO;
  ADD("lecun_uniform symmetric", SL_INIT_LECUN_UNIFORM, Law(SL_LAW_UNIFORM, r3), Law(SL_LAW_UNIFORM, r3), Law(SL_LAW_UNIFORM, r3 * iH), Law(SL_LAW_ZERO, 0));
  cs[nc - 1].p.symmetric = PETSC_TRUE; /* the law of each neuron is unchanged; c = 0 */

  if (!skip_laws) {
    for (PetscInt i = 0; i < nc; i++) PetscCall(CheckLaws(H, &cs[i]));
    PetscCall(CheckKS(H));
  }
  PetscCall(CheckPieces("lecun_normal", &cs[0].p, 4098, 1));
  PetscCall(CheckPieces("lecun_normal", &cs[0].p, 4098, 2049));
  PetscCall(CheckPieces("gaussian", &cs[7].p, 4097, 3000));
  PetscCall(CheckPieces("torch_default bias explicit", &cs[9].p, 4097, 1024));
  PetscCall(CheckPieces("lecun_uniform symmetric", &cs[11].p, 4098, 1000));
  PetscCall(CheckPieces("lecun_uniform symmetric", &cs[11].p, 4098, 3000));
  PetscCall(CheckSymmetric(SL_INIT_LECUN_NORMAL, 2000));
  PetscCall(CheckSymmetric(SL_INIT_TORCH_DEFAULT, 6));
  PetscCall(CheckScaleAndErrors(1000));
  printf("%s: %d failure(s)\n", nfail ? "FAILED" : "PASSED", nfail);
  PetscCall(PetscFinalize());
  return nfail ? 1 : 0;
}
