/* Activation classes on a distributed network (docs/theory.md section 4) against the same network on one rank
 * (rank 0, PETSC_COMM_SELF), H = 2500 (three SL_NEURON_BLOCKs) with flat, dead and on-data neurons:
 *  - the class aggregates are bitwise equal (deterministic block reduction);
 *  - exact counts SLHessianCountBelow at 40 lambdas (gaps of the spectrum, near 0) are the same integers, for
 *    NN and BDSO, every part, with and without output bias;
 *  - shell products are bitwise equal;
 *  - the spectrum (k = 10 extremes, counts, 60-bin histogram) and, at an interpolating point, the Gram spectrum are
 *    bitwise equal. Run on 1, 2 and 3 ranks (tests/spectrum.cmake). */
#include <slepcsys.h>
#include "test_hessian_util.h"
#include "spectrum/spectrum_impl.h" /* white-box: the reduced problem */

/* Network of width H on comm: HNeuron with flat neurons, then special neurons by global index (a function of
 * the global index only, so every layout holds the same network). */
static PetscErrorCode MakeNetwork(MPI_Comm comm, PetscInt H, PetscBool has_c, SLData data, SLNetwork *net)
{
  const PetscReal *x = data->x;
  const PetscInt   N = data->N;

  PetscFunctionBeginUser;
  PetscCall(HNetworkCreate(comm, H, has_c, 77, 1.0, 11, net));
  for (PetscInt i = 0; i < (*net)->hlocal; i++) {
    const PetscInt g = (*net)->hstart + i;
    PetscReal     *p = (*net)->theta + 3 * i;

    if (g % 13 == 3) { /* breakpoint exactly on a data point */
      const PetscReal w = (g % 2) ? 1.0 : -1.0;

      p[0] = w;
      p[1] = -w * x[g % N];
    } else if (g % 17 == 5) { /* dead on the data */
      p[0] = 1.0;
      p[1] = -3.0;
    } else if (g % 19 == 7) { /* active everywhere, w < 0 */
      p[0] = -0.5;
      p[1] = 2.0;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckCase(SLCoordinates coords, PetscBool has_c, SLHessianPart part, PetscBool interp, PetscInt H, SLData data)
{
  PetscMPIInt rank, size;
  SLNetwork   dnet, snet = NULL;
  SLModel     dm, sm;
  SLHessClass dcl, scl = NULL;
  PetscReal   lam[40];
  PetscInt    nl = 40, nagg, P;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(MakeNetwork(PETSC_COMM_WORLD, H, has_c, data, &dnet));
  PetscCall(HModelCreate(coords, dnet, &dm));
  if (rank == 0) {
    PetscCall(MakeNetwork(PETSC_COMM_SELF, H, has_c, data, &snet));
    PetscCall(HModelCreate(coords, snet, &sm));
  }
  /* aggregates */
  PetscCall(SLHessClassCreate(dm, data, SL_LOSS_SUM, part, PETSC_FALSE, NULL, NULL, &dcl));
  nagg = dcl->nc * SL_CLASS_AGG;
  P    = dcl->info.P;
  if (rank == 0) {
    PetscCall(SLHessClassCreate(sm, data, SL_LOSS_SUM, part, PETSC_FALSE, NULL, NULL, &scl));
    HCHECK(!memcmp(dcl->agg, scl->agg, (size_t)nagg * sizeof(PetscReal)) && !memcmp(dcl->blk, scl->blk, 2 * (size_t)dcl->nc * sizeof(PetscReal)), "%s part %s: class aggregates differ between %d ranks and one", SLCoordinateNames[coords], SLHessianParts[part], size);
    HCHECK(dcl->hscale == scl->hscale && dcl->gtrace == scl->gtrace && dcl->rnorm == scl->rnorm, "scales differ");
  }
  /* lambdas: midpoints of gaps of the whole spectrum (reduced problem on rank 0) and points near 0 */
  if (rank == 0) {
    SLHessCount hc;
    PetscReal  *ev, scale;
    PetscInt    nd = 0, *dist;

    PetscCall(PetscMalloc2(P, &ev, P, &dist));
    PetscCall(SLHessCountCreate(sm, data, SL_LOSS_SUM, part, &hc));
    PetscCall(SLSpectrumReducedAll(hc, ev));
    PetscCall(SLHessCountDestroy(&hc));
    scale = PetscMax(PetscAbsReal(ev[0]), PetscAbsReal(ev[P - 1]));
    for (PetscInt k = 0; k + 1 < P; k++)
      if (ev[k + 1] - ev[k] > 1e-8 * scale) dist[nd++] = k;
    HCHECK(nd >= 10, "only %" PetscInt_FMT " spectral gaps", nd);
    for (PetscInt t = 0; t < nl - 4; t++) {
      const PetscInt k = dist[(t * nd) / (nl - 4)];

      lam[t] = 0.5 * (ev[k] + ev[k + 1]);
    }
    lam[nl - 4] = -1e-7 * scale;
    lam[nl - 3] = 1e-7 * scale;
    lam[nl - 2] = ev[0] - 0.01 * scale;
    lam[nl - 1] = ev[P - 1] + 0.01 * scale;
    PetscCall(PetscFree2(ev, dist));
  }
  PetscCallMPI(MPI_Bcast(lam, (PetscMPIInt)nl, MPIU_REAL, 0, PETSC_COMM_WORLD));
  for (PetscInt t = 0; t < nl; t++) {
    PetscInt  cd, cs = -2;
    PetscBool okd, oks;

    PetscCall(SLHessianCountBelow(dm, data, SL_LOSS_SUM, part, lam[t], &cd, &okd));
    if (rank == 0) {
      PetscCall(SLHessianCountBelow(sm, data, SL_LOSS_SUM, part, lam[t], &cs, &oks));
      HCHECK(okd == oks && cd == cs, "%s part %s c %d: count below %.17g: %d ranks %" PetscInt_FMT ", one rank %" PetscInt_FMT, SLCoordinateNames[coords], SLHessianParts[part], (int)has_c, (double)lam[t], size, cd, cs);
    }
  }
  /* products */
  {
    Mat        Ad, As;
    Vec        xd, yd, y0, xs, ys;
    VecScatter sc;
    PetscInt   lo, hi;

    PetscCall(SLHessianCreateShellFromClass(dcl, &Ad));
    PetscCall(MatCreateVecs(Ad, &xd, &yd));
    PetscCall(VecGetOwnershipRange(xd, &lo, &hi));
    for (PetscInt p = lo; p < hi; p++) PetscCall(VecSetValue(xd, p, PetscSinReal(0.1 * p) + 0.2, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(xd));
    PetscCall(VecAssemblyEnd(xd));
    PetscCall(MatMult(Ad, xd, yd));
    PetscCall(VecScatterCreateToZero(yd, &sc, &y0));
    PetscCall(VecScatterBegin(sc, yd, y0, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, yd, y0, INSERT_VALUES, SCATTER_FORWARD));
    if (rank == 0) {
      PetscBool same;

      PetscCall(SLHessianCreateShellFromClass(scl, &As));
      PetscCall(MatCreateVecs(As, &xs, &ys));
      for (PetscInt p = 0; p < P; p++) PetscCall(VecSetValue(xs, p, PetscSinReal(0.1 * p) + 0.2, INSERT_VALUES));
      PetscCall(VecAssemblyBegin(xs));
      PetscCall(VecAssemblyEnd(xs));
      PetscCall(MatMult(As, xs, ys));
      PetscCall(VecEqual(ys, y0, &same));
      HCHECK(same, "%s part %s: %d-rank product differs from the one-rank product", SLCoordinateNames[coords], SLHessianParts[part], size);
      PetscCall(VecDestroy(&xs));
      PetscCall(VecDestroy(&ys));
      PetscCall(MatDestroy(&As));
    }
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecDestroy(&y0));
    PetscCall(VecDestroy(&xd));
    PetscCall(VecDestroy(&yd));
    PetscCall(MatDestroy(&Ad));
  }
  /* spectra */
  {
    SLSpectrumSolver s;
    SLSpectrum       ds, ss;
    PetscInt         buf[4];

    PetscCall(SLSpectrumSolverCreate(PETSC_COMM_WORLD, &s));
    PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
    PetscCall(SLSpectrumSolverSetFromOptions(s));
    PetscCall(SLSpectrumSolverCompute(s, dm, data, SL_LOSS_SUM, part, interp, PETSC_FALSE, &ds));
    PetscCall(SLSpectrumSolverDestroy(&s));
    HCHECK(ds.method == SL_EIG_KRYLOV && ds.nreduced >= 0 && ds.nconv == ds.nvals && ds.nbins == 60, "distributed spectrum layout");
    if (rank == 0) {
      PetscCall(SLSpectrumSolverCreate(PETSC_COMM_SELF, &s));
      PetscCall(SLSpectrumSolverSetOptionsPrefix(s, "sl_eig_"));
      PetscCall(SLSpectrumSolverSetFromOptions(s));
      PetscCall(SLSpectrumSolverCompute(s, sm, data, SL_LOSS_SUM, part, interp, PETSC_FALSE, &ss));
      PetscCall(SLSpectrumSolverDestroy(&s));
      HCHECK(ss.nvals == ds.nvals && !memcmp(ss.values, ds.values, (size_t)ds.nvals * sizeof(PetscReal)), "extremes differ between %d ranks and one", size);
      HCHECK(!memcmp(ss.hist_edges, ds.hist_edges, (size_t)(ds.nbins + 1) * sizeof(PetscReal)) && !memcmp(ss.hist_counts, ds.hist_counts, (size_t)ds.nbins * sizeof(PetscInt)), "histograms differ");
      HCHECK(ss.n_neg == ds.n_neg && ss.n_zero == ds.n_zero && ss.n_pos == ds.n_pos && ss.n_bound == ds.n_bound && ss.zero_tol == ds.zero_tol, "counts differ");
      HCHECK(ss.ngram == ds.ngram && (ds.ngram == 0 || !memcmp(ss.gram_values, ds.gram_values, (size_t)ds.ngram * sizeof(PetscReal))), "Gram spectra differ");
      HCHECK(!interp || part == SL_HESS_RESIDUAL || ds.ngram == data->N, "no Gram spectrum at an interpolating point");
      PetscCall(SLSpectrumReset(&ss));
    }
    /* every rank holds the same counts */
    buf[0] = ds.n_neg;
    buf[1] = -ds.n_neg;
    buf[2] = ds.hist_counts[ds.nbins / 2];
    buf[3] = -ds.hist_counts[ds.nbins / 2];
    PetscCall(MPIU_Allreduce(MPI_IN_PLACE, buf, 4, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD));
    HCHECK(buf[0] == -buf[1] && buf[2] == -buf[3], "ranks hold different counts");
    PetscCall(SLSpectrumReset(&ds));
  }
  if (rank == 0) {
    PetscCall(SLHessClassDestroy(&scl));
    PetscCall(HModelDestroy(&sm));
    PetscCall(SLNetworkDestroy(&snet));
  }
  PetscCall(SLHessClassDestroy(&dcl));
  PetscCall(HModelDestroy(&dm));
  PetscCall(SLNetworkDestroy(&dnet));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt H = 2500, N = 40;
  SLData   data;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-H", &H, NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_nev", "10"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_dense_max", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_eig_hist_bins", "60"));
  PetscCall(HDataCreate(N, 71, &data));
  for (PetscInt part = 0; part < 3; part++) {
    PetscCall(CheckCase(SL_COORD_NN, PETSC_TRUE, (SLHessianPart)part, PETSC_FALSE, H, data));
    PetscCall(CheckCase(SL_COORD_BDSO, PETSC_FALSE, (SLHessianPart)part, PETSC_FALSE, H, data));
  }
  PetscCall(CheckCase(SL_COORD_NN, PETSC_FALSE, SL_HESS_FULL, PETSC_FALSE, H, data));
  PetscCall(CheckCase(SL_COORD_BDSO, PETSC_TRUE, SL_HESS_GAUSS_NEWTON, PETSC_FALSE, H, data));
  /* interpolating point (targets f(x) of the network): Gram spectra */
  {
    SLNetwork net;

    PetscCall(MakeNetwork(PETSC_COMM_WORLD, H, PETSC_TRUE, data, &net));
    PetscCall(HDataInterpolate(net, 0.0, data));
    PetscCall(SLNetworkDestroy(&net));
    PetscCall(CheckCase(SL_COORD_NN, PETSC_TRUE, SL_HESS_FULL, PETSC_TRUE, H, data));
    PetscCall(CheckCase(SL_COORD_BDSO, PETSC_TRUE, SL_HESS_GAUSS_NEWTON, PETSC_TRUE, H, data));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hessian_class_mpi: aggregates, counts, products, spectra and histograms bitwise equal to one rank\n"));
  PetscCall(SLDataDestroy(&data));
  PetscCall(SlepcFinalize());
  return 0;
}
