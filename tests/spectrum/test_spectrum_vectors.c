/* Eigenvectors of the Hessian extremes (-sl_eig_vectors, docs/theory.md section 4) on one rank, every method:
 * dense (EPSLAPACK), Krylov-Schur (-sl_eig_dense_max 0 -sl_eig_reduced_max -1) and the class-reduced problem
 * (-sl_eig_dense_max 0), NN and BDSO coordinates, parts full / gauss_newton / residual, small widths and data sets
 * fourpoint, random targets and a jittered sine (also at an interpolating point: many exactly zero eigenvalues).
 * Against the assembled dense Hessian and LAPACK dsyev (all eigenpairs), each stored vector must:
 *  - have unit 2-norm and the sign rule (largest |entry|, smallest index on ties, positive);
 *  - satisfy ||H x - lambda x|| <= 1e-8 max|lambda| with lambda its vector_values entry, which is the LAPACK
 *    eigenvalue of its position (dense and reduced; Krylov: close to some eigenvalue, by the residual);
 *  - equal the LAPACK eigenvector (sign rule applied) to 1e-7 when its eigenvalue is simple (relative gap 1e-6);
 *  - be orthogonal to the other stored vectors (also within a repeated eigenvalue; Krylov: within each end).
 * The layout (nvec = min(2k, P), 0 when off) and SLSpectrumReset are checked, and the same check function must
 * reject deliberately wrong vectors (flipped sign, perturbed entry, wrong eigenvalue). */
#include <slepcsys.h>
#include "test_hessian_util.h"

typedef struct {
  PetscInt   P;
  PetscReal *H;      /* P x P column-major */
  PetscReal *ev, *Z; /* LAPACK eigenvalues (ascending) and orthonormal eigenvectors (columns) */
  PetscReal  scale;  /* max |lambda| */
} Ref;

static PetscErrorCode RefCreate(SLModel model, SLData data, SLHessianPart part, Ref *ref)
{
  Mat                A;
  PetscInt           lda, P;
  const PetscScalar *m;
  PetscReal         *work, wq;
  PetscBLASInt       bn, lwork = -1, info;

  PetscFunctionBeginUser;
  PetscCall(SLHessianCreateDense(model, data, SL_LOSS_SUM, part, &A));
  PetscCall(MatGetSize(A, &P, NULL));
  PetscCall(MatDenseGetLDA(A, &lda));
  ref->P = P;
  PetscCall(PetscMalloc3(P * P, &ref->H, P, &ref->ev, P * P, &ref->Z));
  PetscCall(MatDenseGetArrayRead(A, &m));
  for (PetscInt j = 0; j < P; j++)
    for (PetscInt i = 0; i < P; i++) ref->H[i + j * P] = ref->Z[i + j * P] = m[i + j * lda];
  PetscCall(MatDenseRestoreArrayRead(A, &m));
  PetscCall(MatDestroy(&A));
  PetscCall(PetscBLASIntCast(P, &bn));
  LAPACKsyev_("V", "U", &bn, ref->Z, &bn, ref->ev, &wq, &lwork, &info);
  lwork = (PetscBLASInt)wq;
  PetscCall(PetscMalloc1(lwork, &work));
  LAPACKsyev_("V", "U", &bn, ref->Z, &bn, ref->ev, work, &lwork, &info);
  HCHECK(info == 0, "dsyev failed, info %d", (int)info);
  PetscCall(PetscFree(work));
  ref->scale = PetscMax(PetscAbsReal(ref->ev[0]), PetscAbsReal(ref->ev[P - 1]));
  PetscFunctionReturn(0);
}

static PetscErrorCode RefDestroy(Ref *ref)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree3(ref->H, ref->ev, ref->Z));
  PetscFunctionReturn(0);
}

/* Index of the largest |x_p|, smallest p on ties. */
static PetscInt ArgMaxAbs(PetscInt P, const PetscReal x[])
{
  PetscInt b = 0;

  for (PetscInt p = 1; p < P; p++)
    if (PetscAbsReal(x[p]) > PetscAbsReal(x[b])) b = p;
  return b;
}

/* All the checks of one vector x for eigenvalue lambda; pos >= 0: the position of lambda in the spectrum (it must
 * be the LAPACK eigenvalue there). *ok false and msg say why it fails. */
static PetscErrorCode CheckVector(const Ref *ref, PetscReal lambda, const PetscReal x[], PetscInt pos, PetscBool *ok, char msg[], size_t len)
{
  const PetscInt  P  = ref->P;
  const PetscReal sc = ref->scale, gap = 1e-6 * sc;
  PetscReal       nrm = 0.0, res = 0.0, y[1024], dp = 0.0, dm = 0.0;
  PetscInt        b, si = pos;

  PetscFunctionBeginUser;
  *ok = PETSC_FALSE;
  HCHECK(P <= 1024, "P = %" PetscInt_FMT " too large for the test", P);
  for (PetscInt p = 0; p < P; p++) {
    if (PetscIsInfOrNanReal(x[p])) {
      PetscCall(PetscSNPrintf(msg, len, "entry %" PetscInt_FMT " is %g", p, (double)x[p]));
      PetscFunctionReturn(0);
    }
    nrm += x[p] * x[p];
  }
  nrm = PetscSqrtReal(nrm);
  if (PetscAbsReal(nrm - 1) > 1e-12) {
    PetscCall(PetscSNPrintf(msg, len, "norm %.17g", (double)nrm));
    PetscFunctionReturn(0);
  }
  b = ArgMaxAbs(P, x);
  if (!(x[b] > 0)) {
    PetscCall(PetscSNPrintf(msg, len, "sign rule: entry %" PetscInt_FMT " of largest magnitude is %g", b, (double)x[b]));
    PetscFunctionReturn(0);
  }
  for (PetscInt i = 0; i < P; i++) {
    PetscReal t = -lambda * x[i];

    for (PetscInt j = 0; j < P; j++) t += ref->H[i + j * P] * x[j];
    res += t * t;
  }
  res = PetscSqrtReal(res);
  if (!(res <= 1e-8 * sc)) {
    PetscCall(PetscSNPrintf(msg, len, "residual %g > 1e-8 * %g (lambda %.17g)", (double)res, (double)sc, (double)lambda));
    PetscFunctionReturn(0);
  }
  if (pos >= 0 && !(PetscAbsReal(lambda - ref->ev[pos]) <= 1e-9 * sc)) {
    PetscCall(PetscSNPrintf(msg, len, "value %.17g is not the LAPACK eigenvalue %.17g at position %" PetscInt_FMT, (double)lambda, (double)ref->ev[pos], pos));
    PetscFunctionReturn(0);
  }
  if (si < 0) { /* the nearest LAPACK eigenvalue */
    si = 0;
    for (PetscInt i = 1; i < P; i++)
      if (PetscAbsReal(ref->ev[i] - lambda) < PetscAbsReal(ref->ev[si] - lambda)) si = i;
  }
  if ((si == 0 || ref->ev[si] - ref->ev[si - 1] > gap) && (si == P - 1 || ref->ev[si + 1] - ref->ev[si] > gap)) {
    /* simple: the LAPACK vector with the sign rule, compared entrywise */
    PetscInt  yb;
    PetscReal s, top2 = 0.0;

    for (PetscInt p = 0; p < P; p++) y[p] = ref->Z[p + si * P];
    yb = ArgMaxAbs(P, y);
    s  = y[yb] < 0 ? -1.0 : 1.0;
    for (PetscInt p = 0; p < P; p++) {
      y[p] *= s;
      dp = PetscMax(dp, PetscAbsReal(x[p] - y[p]));
      dm = PetscMax(dm, PetscAbsReal(x[p] + y[p]));
      if (p != yb) top2 = PetscMax(top2, PetscAbsReal(y[p]));
    }
    /* the sign rule decides the sign unless the two largest magnitudes are within the tolerance */
    if (!(dp <= 1e-7) && !(PetscAbsReal(y[yb]) - top2 <= 1e-7 && dm <= 1e-7)) {
      PetscCall(PetscSNPrintf(msg, len, "differs from the LAPACK eigenvector of the simple eigenvalue %.17g by %g (opposite sign: %g)", (double)ref->ev[si], (double)dp, (double)dm));
      PetscFunctionReturn(0);
    }
  }
  *ok = PETSC_TRUE;
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt vectors, simple, repeated, nan; /* repeated: vectors of an eigenvalue of multiplicity > 1 (gap 1e-9) */
} Stats;

/* Every stored vector of spec against ref; nsmall: k (the first min(k, P) rows are the small end). */
static PetscErrorCode CheckSpectrum(const Ref *ref, const SLSpectrum *spec, PetscInt nev, const char *what, Stats *st)
{
  const PetscInt P = ref->P, nsmall = PetscMin(nev, P);

  PetscFunctionBeginUser;
  HCHECK(spec->nvec == PetscMin(2 * nev, P) && spec->vlocal == P && spec->vstart == 0 && spec->vectors && spec->vector_values, "%s: vector layout nvec %" PetscInt_FMT " vlocal %" PetscInt_FMT " vstart %" PetscInt_FMT, what, spec->nvec, spec->vlocal,
         spec->vstart);
  for (PetscInt j = 0; j < spec->nvec; j++) {
    const PetscReal *x   = spec->vectors + j * P;
    const PetscInt   pos = j < nsmall ? j : P - spec->nvec + j;
    PetscBool        ok, allnan = PETSC_TRUE;
    char             msg[256];

    if (spec->method == SL_EIG_KRYLOV && spec->nreduced < 0 && PetscIsNanReal(spec->vector_values[j])) {
      for (PetscInt p = 0; p < P; p++) allnan = allnan && PetscIsNanReal(x[p]) ? PETSC_TRUE : PETSC_FALSE;
      HCHECK(allnan, "%s: vector %" PetscInt_FMT " of a value not converged is not all NaN", what, j);
      st->nan++;
      continue;
    }
    if (j > 0 && !PetscIsNanReal(spec->vector_values[j - 1])) HCHECK(spec->vector_values[j] >= spec->vector_values[j - 1], "%s: vector_values not ascending at %" PetscInt_FMT, what, j);
    /* Krylov-Schur may return a repeated eigenvalue fewer times: its values need not be at their position */
    PetscCall(CheckVector(ref, spec->vector_values[j], x, spec->method == SL_EIG_KRYLOV && spec->nreduced < 0 ? -1 : pos, &ok, msg, sizeof(msg)));
    HCHECK(ok, "%s: vector %" PetscInt_FMT " (lambda %.17g): %s", what, j, (double)spec->vector_values[j], msg);
    if (spec->method != SL_EIG_KRYLOV || spec->nreduced >= 0)
      HCHECK(spec->vector_values[j] == spec->values[j] || spec->method == SL_EIG_DENSE, "%s: vector_values[%" PetscInt_FMT "] %.17g != values %.17g", what, j, (double)spec->vector_values[j], (double)spec->values[j]);
    if (spec->method == SL_EIG_DENSE) HCHECK(spec->vector_values[j] == spec->values[pos], "dense vector value %" PetscInt_FMT, j);
    st->vectors++;
    if ((pos > 0 && ref->ev[pos] - ref->ev[pos - 1] <= 1e-9 * ref->scale) || (pos < P - 1 && ref->ev[pos + 1] - ref->ev[pos] <= 1e-9 * ref->scale)) st->repeated++;
    if ((pos == 0 || ref->ev[pos] - ref->ev[pos - 1] > 1e-6 * ref->scale) && (pos == P - 1 || ref->ev[pos + 1] - ref->ev[pos] > 1e-6 * ref->scale)) st->simple++;
    /* orthogonality to the earlier rows (Krylov: the two ends are separate solves, only within an end) */
    for (PetscInt i = 0; i < j; i++) {
      const PetscReal *xi = spec->vectors + i * P;
      PetscReal        d  = 0.0;

      if (PetscIsNanReal(xi[0])) continue;
      if (spec->method == SL_EIG_KRYLOV && spec->nreduced < 0 && (i < nsmall) != (j < nsmall)) continue;
      for (PetscInt p = 0; p < P; p++) d += xi[p] * x[p];
      HCHECK(PetscAbsReal(d) <= 1e-8, "%s: vectors %" PetscInt_FMT " and %" PetscInt_FMT " (lambda %.17g, %.17g) have inner product %g", what, i, j, (double)spec->vector_values[i], (double)spec->vector_values[j], (double)d);
    }
  }
  PetscFunctionReturn(0);
}

typedef enum {
  M_DENSE,
  M_KRYLOV_SCHUR,
  M_REDUCED
} Method;
static const char *const MethodNames[] = {"dense", "krylov-schur", "reduced"};

static PetscErrorCode Compute(Method meth, PetscInt nev, PetscBool use_setter, SLModel model, SLData data, SLHessianPart part, SLSpectrum *spec)
{
  SLSpectrumSolver s;
  char             buf[32];
  PetscInt         nvec, P;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", meth == M_DENSE ? "2000" : "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_reduced_max", meth == M_KRYLOV_SCHUR ? "-1" : "2000"));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT, nev));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", buf));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "0"));
  if (use_setter) PetscCall(PetscOptionsClearValue(NULL, "-sl_eig_vectors"));
  else PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_vectors", "true"));
  PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
  PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
  PetscCall(SLSpectrumSolverSetFromOptions(s));
  P = model.coords == SL_COORD_NN ? 3 * model.net->H + (model.net->has_c ? 1 : 0) : 2 * model.sp->H + (model.sp->has_c ? 1 : 0);
  PetscCall(SLSpectrumSolverGetVectorLayout(s, P, 1, &nvec));
  if (use_setter) HCHECK(nvec == 0, "vectors are off by default, nvec %" PetscInt_FMT, nvec); /* asked for by the Compute argument */
  else HCHECK(nvec == PetscMin(2 * nev, P), "nvec %" PetscInt_FMT " for P %" PetscInt_FMT ", k %" PetscInt_FMT, nvec, P, nev);
  PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, part, PETSC_FALSE, PETSC_TRUE, spec));
  HCHECK(spec->nvec == PetscMin(2 * nev, P), "spec nvec %" PetscInt_FMT " for P %" PetscInt_FMT ", k %" PetscInt_FMT, spec->nvec, P, nev);
  PetscCall(SLSpectrumSolverDestroy(&s));
  HCHECK(spec->method == (meth == M_DENSE ? SL_EIG_DENSE : SL_EIG_KRYLOV) && (meth == M_KRYLOV_SCHUR ? spec->nreduced < 0 : meth == M_REDUCED ? spec->nreduced >= 0 : PETSC_TRUE), "method %s not used", MethodNames[meth]);
  PetscFunctionReturn(0);
}

/* data sets: 0 fourpoint, 1 random targets (N = 11), 2 jittered sine (N = 15), 3 the sine at an interpolating
 * point (r = 0). */
static PetscErrorCode CheckCase(SLCoordinates coords, PetscInt H, PetscBool has_c, PetscInt dset, SLHessianPart part, PetscInt seed, Stats st[3])
{
  SLNetwork net;
  SLData    data;
  SLModel   model;
  Ref       ref;
  PetscInt  nev = H <= 5 ? 10 : 4; /* P <= 2k (all vectors) for the smallest width */

  PetscFunctionBeginUser;
  if (dset <= 1) {
    PetscCall(SLDataCreate(dset == 0 ? "fourpoint" : "random", &data));
    PetscCall(SLDataGenerate(data, dset == 0 ? SL_DATA_FOURPOINT : SL_DATA_RANDOM, dset == 0 ? 4 : 11, -1.0, 1.0, 0.0, seed));
  } else PetscCall(HDataCreate(15, seed, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, H, has_c, seed + 100, 1.0, 0, &net));
  if (dset == 3) PetscCall(HDataInterpolate(net, 0.0, data));
  PetscCall(HModelCreate(coords, net, &model));
  PetscCall(RefCreate(model, data, part, &ref));
  for (PetscInt m = 0; m < 3; m++) {
    SLSpectrum spec;
    char       what[128];

    PetscCall(PetscSNPrintf(what, sizeof(what), "%s %s H=%" PetscInt_FMT "%s data %" PetscInt_FMT " part %s", MethodNames[m], SLCoordinateNames[coords], H, has_c ? " +c" : "", dset, SLHessianParts[part]));
    PetscCall(Compute((Method)m, nev, (seed + m) % 3 == 0 ? PETSC_TRUE : PETSC_FALSE, model, data, part, &spec));
    PetscCall(CheckSpectrum(&ref, &spec, nev, what, &st[m]));
    PetscCall(SLSpectrumReset(&spec));
    HCHECK(spec.nvec == 0 && spec.vectors == NULL && spec.vector_values == NULL, "%s: reset", what);
  }
  PetscCall(RefDestroy(&ref));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

/* The option off: no vectors, and the rest of the spectrum is what it was (same values and residuals). */
static PetscErrorCode CheckOff(void)
{
  SLNetwork        net;
  SLData           data;
  SLModel          model;
  SLSpectrum       a, b;
  SLSpectrumSolver s;

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(15, 3, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, 40, PETSC_TRUE, 103, 1.0, 0, &net));
  PetscCall(HModelCreate(SL_COORD_NN, net, &model));
  for (PetscInt m = 0; m < 3; m++) {
    PetscCall(PetscOptionsClearValue(NULL, "-sl_eig_vectors"));
    PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", m == 0 ? "2000" : "0"));
    PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_reduced_max", m == 1 ? "-1" : "2000"));
    PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", "4"));
    PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
    PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
    PetscCall(SLSpectrumSolverSetFromOptions(s));
    PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, SL_HESS_FULL, PETSC_FALSE, PETSC_FALSE, &a));
    PetscCall(SLSpectrumSolverCompute(s, model, data, SL_LOSS_SUM, SL_HESS_FULL, PETSC_FALSE, PETSC_TRUE, &b));
    PetscCall(SLSpectrumSolverDestroy(&s));
    HCHECK(a.nvec == 0 && a.vectors == NULL && a.vector_values == NULL && a.vlocal == 0, "%s: vectors without -sl_eig_vectors", MethodNames[m]);
    HCHECK(b.nvec > 0 && a.nvals == b.nvals, "%s: layout with vectors", MethodNames[m]);
    for (PetscInt j = 0; j < a.nvals; j++) HCHECK(a.values[j] == b.values[j] && a.residuals[j] == b.residuals[j], "%s: value or residual %" PetscInt_FMT " changed by -sl_eig_vectors", MethodNames[m], j);
    PetscCall(SLSpectrumReset(&a));
    PetscCall(SLSpectrumReset(&b));
  }
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

/* The check function rejects wrong vectors: the sign flipped, one entry perturbed (renormalized), the eigenvalue
 * of another position. */
static PetscErrorCode CheckRejects(void)
{
  SLNetwork  net;
  SLData     data;
  SLModel    model;
  Ref        ref;
  SLSpectrum spec;
  PetscReal  x[1024];
  PetscInt   P, j = 0;
  PetscBool  ok;
  char       msg[256];

  PetscFunctionBeginUser;
  PetscCall(HDataCreate(15, 5, &data));
  PetscCall(HNetworkCreate(PETSC_COMM_SELF, 12, PETSC_TRUE, 105, 1.0, 0, &net));
  PetscCall(HModelCreate(SL_COORD_NN, net, &model));
  PetscCall(RefCreate(model, data, SL_HESS_FULL, &ref));
  P = ref.P;
  PetscCall(Compute(M_REDUCED, 4, PETSC_FALSE, model, data, SL_HESS_FULL, &spec));
  /* the smallest eigenvalue at a random point is simple */
  HCHECK(ref.ev[1] - ref.ev[0] > 1e-3 * ref.scale, "expected a simple smallest eigenvalue");
  PetscCall(CheckVector(&ref, spec.vector_values[j], spec.vectors, 0, &ok, msg, sizeof(msg)));
  HCHECK(ok, "the stored vector fails: %s", msg);
  for (PetscInt p = 0; p < P; p++) x[p] = -spec.vectors[p];
  PetscCall(CheckVector(&ref, spec.vector_values[j], x, 0, &ok, msg, sizeof(msg)));
  HCHECK(!ok, "a flipped sign is not rejected");
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  rejected (sign flipped): %s\n", msg));
  {
    PetscReal nrm = 0.0;

    for (PetscInt p = 0; p < P; p++) x[p] = spec.vectors[p] + (p == P / 2 ? 1e-6 : 0.0);
    for (PetscInt p = 0; p < P; p++) nrm += x[p] * x[p];
    for (PetscInt p = 0; p < P; p++) x[p] /= PetscSqrtReal(nrm);
  }
  PetscCall(CheckVector(&ref, spec.vector_values[j], x, 0, &ok, msg, sizeof(msg)));
  HCHECK(!ok, "a perturbed entry is not rejected");
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  rejected (entry perturbed by 1e-6): %s\n", msg));
  PetscCall(CheckVector(&ref, spec.vector_values[j + 1], spec.vectors, 0, &ok, msg, sizeof(msg)));
  HCHECK(!ok, "a wrong eigenvalue is not rejected");
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  rejected (eigenvalue of the next position): %s\n", msg));
  PetscCall(SLSpectrumReset(&spec));
  PetscCall(RefDestroy(&ref));
  PetscCall(HModelDestroy(&model));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(SLDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const PetscInt widths[] = {5, 17, 40};
  Stats          st[3]    = {
                {0, 0, 0, 0},
                {0, 0, 0, 0},
                {0, 0, 0, 0}
  };
  PetscInt seed = 1;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  for (PetscInt c = 0; c < 2; c++)
    for (PetscInt w = 0; w < 3; w++)
      for (PetscInt dset = 0; dset < 4; dset++)
        for (PetscInt part = 0; part < 3; part++, seed++) {
          if (dset == 3 && part == SL_HESS_RESIDUAL) continue; /* the zero operator: covered by part full there */
          PetscCall(CheckCase((SLCoordinates)c, widths[w], (seed % 2) ? PETSC_TRUE : PETSC_FALSE, dset, (SLHessianPart)part, seed, st));
        }
  PetscCall(CheckOff());
  PetscCall(CheckRejects());
  for (PetscInt m = 0; m < 3; m++) {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %s: %" PetscInt_FMT " vectors checked (%" PetscInt_FMT " of simple, %" PetscInt_FMT " of repeated eigenvalues), %" PetscInt_FMT " not converged\n", MethodNames[m], st[m].vectors, st[m].simple, st[m].repeated,
                          st[m].nan));
    HCHECK(st[m].vectors > 100 && st[m].simple > 20 && (m == M_KRYLOV_SCHUR || st[m].repeated > 20), "%s: too few vectors checked", MethodNames[m]);
  }
  HCHECK(st[M_KRYLOV_SCHUR].nan <= st[M_KRYLOV_SCHUR].vectors / 4, "Krylov-Schur: %" PetscInt_FMT " vectors not converged", st[M_KRYLOV_SCHUR].nan);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "spectrum_vectors: dense, Krylov-Schur and reduced eigenvectors agree with LAPACK\n"));
  PetscCall(SlepcFinalize());
  return 0;
}
