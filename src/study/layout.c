/* Declaration of the study file layout (analysis/FORMAT.md). Sizes of every ragged array follow from the grid
 * alone, so the whole file is created before the first run starts. */
#include "study_impl.h"

const char *const SLStageNames[] = {"init", "final", "snapshots", "SLStage", "SL_STAGE_", NULL};

typedef struct {
  const char *name;
  SLFieldType type;
  PetscInt    strlen;
  const char *description;
  const char *units;
} SLColumn;

static const SLColumn SLRunColumns[] = {
  {"width", SL_FIELD_INT, 0, "network width H (hidden neurons)", "neurons"},
  {"seed", SL_FIELD_INT, 0, "seed of the network initialization", ""},
  {"alpha", SL_FIELD_REAL, 0, "global initialization scale alpha", ""},
  {"scheme", SL_FIELD_STRING, 32, "initialization scheme", ""},
  {"data", SL_FIELD_STRING, 64, "data set name (group /data/<name>)", ""},
  {"i_width", SL_FIELD_INT, 0, "index on the width axis", ""},
  {"i_seed", SL_FIELD_INT, 0, "index on the seed axis", ""},
  {"i_alpha", SL_FIELD_INT, 0, "index on the alpha axis", ""},
  {"i_scheme", SL_FIELD_INT, 0, "index on the scheme axis", ""},
  {"i_data", SL_FIELD_INT, 0, "index on the data axis", ""},
  {"n_params", SL_FIELD_INT, 0, "number of NN parameters P = 3H (+1)", ""},
  {"n_points", SL_FIELD_INT, 0, "number of data points N", ""},
  {"stop_reason", SL_FIELD_STRING, 32, "why training stopped", ""},
  {"reason", SL_FIELD_STRING, 128, "failure message (empty when the run succeeded)", ""},
  {"steps", SL_FIELD_INT, 0, "accepted gradient-flow (TS) steps", "steps"},
  {"final_time", SL_FIELD_REAL, 0, "gradient-flow time reached", "time"},
  {"init_loss", SL_FIELD_REAL, 0, "loss at initialization", "loss"},
  {"final_loss", SL_FIELD_REAL, 0, "loss at the end of training", "loss"},
  {"q_drift", SL_FIELD_REAL, 0, "max_i |q_i(T)-q_i(0)| / max(1, max_i |q_i(0)|), q = v^2 - w^2 - b^2", ""},
  {"interpolating", SL_FIELD_INT, 0, "1 if training reached loss <= loss_tol", ""},
  {"init_R_total", SL_FIELD_REAL, 0, "roughness sum_i mu_i^2 at init", "1/x^2"},
  {"init_R_in", SL_FIELD_REAL, 0, "roughness over breakpoints inside the data range at init", "1/x^2"},
  {"init_frac_in", SL_FIELD_REAL, 0, "fraction of breakpoints inside the data range at init", ""},
  {"init_max_kink", SL_FIELD_REAL, 0, "largest |mu_i| inside the data range at init", ""},
  {"init_n_in", SL_FIELD_INT, 0, "breakpoints inside the data range at init", ""},
  {"init_n_dead", SL_FIELD_INT, 0, "neurons with an empty active set at init", ""},
  {"init_n_flat", SL_FIELD_INT, 0, "neurons with w = 0 at init", ""},
  {"init_n_dirac", SL_FIELD_INT, 0, "(neuron, point) pairs with a breakpoint on a data point at init", ""},
  {"final_R_total", SL_FIELD_REAL, 0, "roughness sum_i mu_i^2 at the end", "1/x^2"},
  {"final_R_in", SL_FIELD_REAL, 0, "roughness over breakpoints inside the data range at the end", "1/x^2"},
  {"final_frac_in", SL_FIELD_REAL, 0, "fraction of breakpoints inside the data range at the end", ""},
  {"final_max_kink", SL_FIELD_REAL, 0, "largest |mu_i| inside the data range at the end", ""},
  {"final_n_in", SL_FIELD_INT, 0, "breakpoints inside the data range at the end", ""},
  {"final_n_dead", SL_FIELD_INT, 0, "neurons with an empty active set at the end", ""},
  {"final_n_flat", SL_FIELD_INT, 0, "neurons with w = 0 at the end", ""},
  {"final_n_dirac", SL_FIELD_INT, 0, "(neuron, point) pairs with a breakpoint on a data point at the end", ""},
  {"checks_ok", SL_FIELD_INT, 0, "1 if every spectral check of the run holds", ""},
};

static const SLColumn SLSpectrumColumns[] = {
  {"method", SL_FIELD_STRING, 16, "eigensolver: dense (every eigenvalue) or krylov (extremes)", ""},
  {"size", SL_FIELD_INT, 0, "operator size P", ""},
  {"n_neg", SL_FIELD_INT, 0, "eigenvalues < -zero_tol (exact count)", ""},
  {"n_zero", SL_FIELD_INT, 0, "eigenvalues with |lambda| <= zero_tol (exact count)", ""},
  {"n_pos", SL_FIELD_INT, 0, "eigenvalues > zero_tol (exact count)", ""},
  {"n_bound", SL_FIELD_INT, 0, "neurons with a nonzero residual sum: upper bound of n_neg", ""},
  {"check_neg", SL_FIELD_INT, 0, "1 if n_neg <= n_bound", ""},
  {"check_zero", SL_FIELD_INT, 0, "at interpolating minima 1 if at least P - rank bound eigenvalues lie within zero_tol + ||R|| of 0 (Weyl), else 0; -1 not applicable (not interpolating, or the residual part)", ""},
  {"nconv", SL_FIELD_INT, 0, "stored eigenvalues that converged", ""},
  {"nreduced", SL_FIELD_INT, 0, "size of the class-reduced eigenproblem the extremes came from (-1: dense or Krylov-Schur)", ""},
  {"check_counts", SL_FIELD_INT, 0, "1 if the dense spectrum and the exact inertia counts agree, 0 if not, -1 not both computed", ""},
  {"lambda_min", SL_FIELD_REAL, 0, "smallest eigenvalue", "loss/param^2"},
  {"lambda_max", SL_FIELD_REAL, 0, "largest eigenvalue", "loss/param^2"},
  {"zero_tol", SL_FIELD_REAL, 0, "zero tolerance zero_rtol * max |lambda|", "loss/param^2"},
};

PetscErrorCode SLSpectrumPath(char buf[], size_t len, PetscInt stage, SLCoordinates c, SLHessianPart p, const char leaf[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(buf, len, "spectra/%s/%s/%s/%s", SLStageNames[stage], SLCoordinateNames[c], SLHessianParts[p], leaf));
  PetscFunctionReturn(0);
}

static PetscErrorCode SLDeclareColumns(SLOutput out, const char group[], PetscInt n, const SLColumn cols[])
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", group, cols[i].name));
    PetscCall(SLOutputDeclareColumn(out, path, cols[i].type, cols[i].strlen, cols[i].description, cols[i].units));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyDeclareLayout(SLStudy s, SLOutput out)
{
  PetscInt   R = s->nruns, K, M, *cnt;
  PetscInt64 iv[SL_MAX_AXIS];
  const char *sv[SL_MAX_AXIS];
  char       path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(SLStudyDeclareProvenance(s, out));
  /* axes */
  for (PetscInt i = 0; i < s->nwidth; i++) iv[i] = s->widths[i];
  PetscCall(SLOutputDeclareConstInt(out, "axes/width", s->nwidth, iv, "widths axis", "neurons"));
  for (PetscInt i = 0; i < s->nseed; i++) iv[i] = s->seeds[i];
  PetscCall(SLOutputDeclareConstInt(out, "axes/seed", s->nseed, iv, "seeds axis", ""));
  PetscCall(SLOutputDeclareConstReal(out, "axes/alpha", s->nalpha, s->alphas, "initialization scales axis", ""));
  for (PetscInt i = 0; i < s->nscheme; i++) sv[i] = SLInitSchemes[s->schemes[i]];
  PetscCall(SLOutputDeclareConstStrings(out, "axes/scheme", s->nscheme, sv, "initialization schemes axis"));
  for (PetscInt i = 0; i < s->ndata; i++) sv[i] = s->data[i]->name;
  PetscCall(SLOutputDeclareConstStrings(out, "axes/data", s->ndata, sv, "data sets axis"));
  {
    PetscInt n = 0;
    for (PetscInt c = 0; c < 2; c++)
      if (s->coords[c]) sv[n++] = SLCoordinateNames[c];
    PetscCall(SLOutputDeclareConstStrings(out, "axes/coords", n, sv, "coordinate systems of the Hessian spectra"));
    n = 0;
    for (PetscInt p = 0; p < 3; p++)
      if (s->parts[p]) sv[n++] = SLHessianParts[p];
    PetscCall(SLOutputDeclareConstStrings(out, "axes/parts", n, sv, "Hessian parts (full = J^T J + R)"));
    n = 0;
    for (PetscInt st = 0; st < SL_NSTAGES; st++)
      if (s->stages[st]) sv[n++] = SLStageNames[st];
    PetscCall(SLOutputDeclareConstStrings(out, "axes/stages", n, sv, "when the Hessian spectra are computed"));
  }
  /* data sets */
  for (PetscInt i = 0; i < s->ndata; i++) {
    SLData d = s->data[i];
    char   group[PETSC_MAX_PATH_LEN], val[PETSC_MAX_PATH_LEN];
    PetscCall(PetscSNPrintf(group, sizeof(group), "data/%s", d->name));
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/x", group));
    PetscCall(SLOutputDeclareConstReal(out, path, d->N, d->x, "inputs x_n", "x"));
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/y", group));
    PetscCall(SLOutputDeclareConstReal(out, path, d->N, d->y, "targets y_n", "y"));
    PetscCall(SLOutputDeclareAttribute(out, group, "type", SLDataTypes[d->type]));
    PetscCall(SLOutputDeclareAttribute(out, group, "sampling", SLSamplings[d->sampling]));
    PetscCall(SLOutputDeclareAttribute(out, group, "file", d->file));
    PetscCall(PetscSNPrintf(val, sizeof(val), "%" PetscInt_FMT, d->N));
    PetscCall(SLOutputDeclareAttribute(out, group, "n", val));
    PetscCall(PetscSNPrintf(val, sizeof(val), "%.17g", (double)d->xmin));
    PetscCall(SLOutputDeclareAttribute(out, group, "xmin", val));
    PetscCall(PetscSNPrintf(val, sizeof(val), "%.17g", (double)d->xmax));
    PetscCall(SLOutputDeclareAttribute(out, group, "xmax", val));
    PetscCall(PetscSNPrintf(val, sizeof(val), "%.17g", (double)d->noise));
    PetscCall(SLOutputDeclareAttribute(out, group, "noise", val));
    PetscCall(PetscSNPrintf(val, sizeof(val), "%" PetscInt_FMT, d->seed));
    PetscCall(SLOutputDeclareAttribute(out, group, "seed", val));
  }
  /* run table */
  PetscCall(SLDeclareColumns(out, "runs", PETSC_STATIC_ARRAY_LENGTH(SLRunColumns), SLRunColumns));
  PetscCall(SLOutputDeclareColumn(out, "runinfo/wall_time", SL_FIELD_REAL, 0, "wall-clock time of the run", "s"));
  PetscCall(SLOutputDeclareColumn(out, "runinfo/rank", SL_FIELD_INT, 0, "first rank of the group that ran it", ""));
  PetscCall(SLOutputDeclareColumn(out, "runinfo/group_size", SL_FIELD_INT, 0, "ranks that ran it", ""));

  /* ragged per-run arrays */
  PetscCall(SLTrainerGetOutputSizes(s->trainer, &K, &M));
  if (!s->train) K = M = 0; /* initialization-only study: no curve, no snapshots */
  PetscCall(PetscMalloc1(R, &cnt));
#define SL_RAGGED(expr, path_, type_, desc_, units_) \
  do { \
    for (PetscInt i = 0; i < R; i++) { \
      SLRunSpec r; \
      PetscInt  H, P; \
      PetscCall(SLStudyGetRun(s, i, &r)); \
      H = r.width; \
      P = 3 * H + (s->output_bias ? 1 : 0); \
      (void)H; \
      (void)P; \
      cnt[i] = (expr); \
    } \
    PetscCall(SLOutputDeclareRagged(out, path_, type_, cnt, desc_, units_)); \
  } while (0)
  SL_RAGGED(P, "network/theta_init", SL_FIELD_REAL, "initial NN parameters, neuron-major (w_i, b_i, v_i), c last", "");
  SL_RAGGED(P, "network/theta_final", SL_FIELD_REAL, "final NN parameters, neuron-major (w_i, b_i, v_i), c last", "");
  for (PetscInt st = 0; st < 2; st++) {
    char d[256];
    PetscCall(PetscSNPrintf(path, sizeof(path), "network/beta_%s", SLStageNames[st]));
    PetscCall(PetscSNPrintf(d, sizeof(d), "breakpoints beta_i = -b_i/w_i at %s (NaN for w_i = 0)", SLStageNames[st]));
    SL_RAGGED(H, path, SL_FIELD_REAL, d, "x");
    PetscCall(PetscSNPrintf(path, sizeof(path), "network/mu_%s", SLStageNames[st]));
    PetscCall(PetscSNPrintf(d, sizeof(d), "delta-slopes mu_i = v_i |w_i| at %s", SLStageNames[st]));
    SL_RAGGED(H, path, SL_FIELD_REAL, d, "y/x");
    PetscCall(PetscSNPrintf(path, sizeof(path), "network/s_%s", SLStageNames[st]));
    PetscCall(PetscSNPrintf(d, sizeof(d), "orientations s_i = sign(w_i) at %s", SLStageNames[st]));
    SL_RAGGED(H, path, SL_FIELD_INT, d, "");
  }
  SL_RAGGED(M, "train/curve_time", SL_FIELD_REAL, "loss-curve times (0, then log-spaced)", "time");
  SL_RAGGED(M, "train/curve_loss", SL_FIELD_REAL, "loss at curve_time (NaN after an early stop)", "loss");
  SL_RAGGED(K, "train/snap_time", SL_FIELD_REAL, "snapshot times", "time");
  SL_RAGGED(K, "train/snap_loss", SL_FIELD_REAL, "loss at the snapshot times", "loss");
  SL_RAGGED(P <= s->max_snapshot_params ? K * P : 0, "train/snap_theta", SL_FIELD_REAL, "parameter snapshots, K x P row-major", "");
  SL_RAGGED(P <= s->max_snapshot_params ? K * H : 0, "train/snap_beta", SL_FIELD_REAL, "breakpoints at the snapshots, K x H row-major", "x");
  SL_RAGGED(P <= s->max_snapshot_params ? K * H : 0, "train/snap_mu", SL_FIELD_REAL, "delta-slopes at the snapshots, K x H row-major", "y/x");

  /* spectra: at init and final one spectrum per run (scalars are run-table columns); at the snapshots K per run
   * (scalars become ragged arrays of K entries, the arrays K rows of the per-spectrum length) */
  for (PetscInt st = 0; st < SL_NSTAGES; st++)
    for (PetscInt c = 0; c < 2; c++)
      for (PetscInt p = 0; p < 3; p++) {
        static const char *const leaves[] = {"values", "residuals", "hist_edges", "hist_counts", "gram_values"};
        static const char *const descs[]  = {"eigenvalues, ascending (all, or k smallest then k largest)", "residual norms ||H x - lambda x|| of the eigenpairs", "exact-histogram bin edges", "exact number of eigenvalues per histogram bin", "at interpolating minima: eigenvalues of the Gram matrix scale J J^T (N x N), the exact nonzero spectrum; NaN otherwise"};
        const PetscInt           rows     = st == SL_STAGE_SNAPSHOTS ? K : 1;
        char                     group[PETSC_MAX_PATH_LEN];
        if (!(s->stages[st] && s->coords[c] && s->parts[p])) continue;
        PetscCall(PetscSNPrintf(group, sizeof(group), "spectra/%s/%s/%s", SLStageNames[st], SLCoordinateNames[c], SLHessianParts[p]));
        if (st != SL_STAGE_SNAPSHOTS) PetscCall(SLDeclareColumns(out, group, PETSC_STATIC_ARRAY_LENGTH(SLSpectrumColumns), SLSpectrumColumns));
        else {
          /* method and size do not change along a run; every other scalar is one value per snapshot */
          PetscCall(SLDeclareColumns(out, group, 2, SLSpectrumColumns));
          for (PetscInt k = 2; k < (PetscInt)PETSC_STATIC_ARRAY_LENGTH(SLSpectrumColumns); k++) {
            char d[512];
            for (PetscInt i = 0; i < R; i++) cnt[i] = K;
            PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", group, SLSpectrumColumns[k].name));
            PetscCall(PetscSNPrintf(d, sizeof(d), "%s, at each snapshot (K per run)", SLSpectrumColumns[k].description));
            PetscCall(SLOutputDeclareRagged(out, path, SLSpectrumColumns[k].type, cnt, d, SLSpectrumColumns[k].units));
          }
        }
        for (PetscInt leaf = 0; leaf < 5; leaf++) {
          char d[512];
          for (PetscInt i = 0; i < R; i++) {
            SLRunSpec   r;
            SLEigMethod method;
            PetscInt    Pc, nvals, nbins;
            PetscCall(SLStudyGetRun(s, i, &r));
            Pc = (c == SL_COORD_NN ? 3 : 2) * r.width + (s->output_bias ? 1 : 0);
            PetscCall(SLSpectrumSolverGetLayout(s->eig, Pc, 1, &method, &nvals, &nbins));
            cnt[i] = rows * (leaf < 2 ? nvals : (leaf == 2 ? (nbins ? nbins + 1 : 0) : (leaf == 3 ? nbins : (p != SL_HESS_RESIDUAL ? s->data[r.i_data]->N : 0))));
          }
          PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", group, leaves[leaf]));
          PetscCall(PetscSNPrintf(d, sizeof(d), "%s%s", descs[leaf], rows > 1 ? "; K rows per run (row k: snapshot k), row-major" : ""));
          PetscCall(SLOutputDeclareRagged(out, path, leaf == 3 ? SL_FIELD_INT : SL_FIELD_REAL, cnt, d, leaf == 3 ? "" : "loss/param^2"));
        }
        /* eigenvectors of the extremes (-sl_eig_vectors), at init and final only */
        if (st != SL_STAGE_SNAPSHOTS) {
          PetscInt nvec0 = 0, *cv;
          PetscCall(PetscMalloc1(R, &cv));
          for (PetscInt i = 0; i < R; i++) {
            SLRunSpec r;
            PetscInt  Pc;
            PetscCall(SLStudyGetRun(s, i, &r));
            Pc = (c == SL_COORD_NN ? 3 : 2) * r.width + (s->output_bias ? 1 : 0);
            PetscCall(SLSpectrumSolverGetVectorLayout(s->eig, Pc, 1, &cnt[i]));
            cv[i] = cnt[i] * Pc;
            nvec0 += cnt[i];
          }
          if (nvec0) {
            PetscCall(PetscSNPrintf(path, sizeof(path), "%s/vector_values", group));
            PetscCall(SLOutputDeclareRagged(out, path, SL_FIELD_REAL, cnt, "eigenvalues of the stored eigenvectors: the k smallest then the k largest", "loss/param^2"));
            PetscCall(PetscSNPrintf(path, sizeof(path), "%s/vectors", group));
            PetscCall(SLOutputDeclareRagged(out, path, SL_FIELD_REAL, cv, "unit eigenvectors, nvec x P row-major, coordinates in the run's order (neuron-major (w,b,v) or (beta,mu), c last); entry of largest |x| positive", ""));
          }
          PetscCall(PetscFree(cv));
        }
      }
#undef SL_RAGGED
  PetscCall(PetscFree(cnt));
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudyPutGrid(SLStudy s, SLOutput out)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < s->nruns; i++) {
    SLRunSpec  r;
    PetscInt64 v;
    PetscReal  a;
    PetscCall(SLStudyGetRun(s, i, &r));
#define SL_PUTI(name, val) \
  do { \
    v = (PetscInt64)(val); \
    PetscCall(SLOutputPutInt(out, "runs/" name, i, 0, 1, &v)); \
  } while (0)
    SL_PUTI("width", r.width);
    SL_PUTI("seed", r.seed);
    SL_PUTI("i_width", r.i_width);
    SL_PUTI("i_seed", r.i_seed);
    SL_PUTI("i_alpha", r.i_alpha);
    SL_PUTI("i_scheme", r.i_scheme);
    SL_PUTI("i_data", r.i_data);
    SL_PUTI("n_params", 3 * r.width + (s->output_bias ? 1 : 0));
    SL_PUTI("n_points", s->data[r.i_data]->N);
#undef SL_PUTI
    a = r.alpha;
    PetscCall(SLOutputPutReal(out, "runs/alpha", i, 0, 1, &a));
    PetscCall(SLOutputPutString(out, "runs/scheme", i, SLInitSchemes[r.scheme]));
    PetscCall(SLOutputPutString(out, "runs/data", i, s->data[r.i_data]->name));
  }
  PetscFunctionReturn(0);
}
