/* Matrix-free Jacobian products against the explicit (local-column) Jacobian, NN and BDSO coordinates, with
 * and without output bias, flat neurons included: J z (summed over ranks) and J^T u (local slice) agree with
 * the explicit products to 1e-13 relative. Runs on 1 and 2 ranks (H = 1500 spans two blocks). */
#include "test_core_util.h"

static PetscErrorCode Check(const char *what, PetscInt N, PetscInt Pl, const PetscReal J[], const PetscReal z[], const PetscReal u_in[], const PetscReal u_apply[], const PetscReal zt_apply[], MPI_Comm comm, PetscInt *nfail)
{
  PetscReal *ul, *u, *zt, umax = 0, zmax = 0, eu = 0, ez = 0, m[4], gm[4];

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(N, &ul, N, &u, PetscMax(Pl, 1), &zt));
  for (PetscInt n = 0; n < N; n++) {
    PetscReal s = 0;
    for (PetscInt p = 0; p < Pl; p++) s += J[n * Pl + p] * z[p];
    ul[n] = s;
  }
  PetscCall(MPIU_Allreduce(ul, u, N, MPIU_REAL, MPI_SUM, comm));
  for (PetscInt p = 0; p < Pl; p++) {
    PetscReal s = 0;
    for (PetscInt n = 0; n < N; n++) s += J[n * Pl + p] * u_in[n];
    zt[p] = s;
  }
  for (PetscInt n = 0; n < N; n++) {
    umax = PetscMax(umax, PetscAbsReal(u[n]));
    eu   = PetscMax(eu, PetscAbsReal(u[n] - u_apply[n]));
  }
  for (PetscInt p = 0; p < Pl; p++) {
    zmax = PetscMax(zmax, PetscAbsReal(zt[p]));
    ez   = PetscMax(ez, PetscAbsReal(zt[p] - zt_apply[p]));
  }
  m[0] = eu;
  m[1] = umax;
  m[2] = ez;
  m[3] = zmax;
  PetscCall(MPIU_Allreduce(m, gm, 4, MPIU_REAL, MPI_MAX, comm));
  TCHECK(gm[1] > 0 && gm[0] <= 1e-13 * gm[1], *nfail, "%s: |J z - apply| = %g (max %g)", what, (double)gm[0], (double)gm[1]);
  TCHECK(gm[3] > 0 && gm[2] <= 1e-13 * gm[3], *nfail, "%s: |J^T u - apply| = %g (max %g)", what, (double)gm[2], (double)gm[3]);
  PetscCall(PetscPrintf(comm, "%s: J z error %.2e, J^T u error %.2e (relative)\n", what, (double)(gm[0] / gm[1]), (double)(gm[2] / gm[3])));
  PetscCall(PetscFree3(ul, u, zt));
  PetscFunctionReturn(0);
}

static PetscErrorCode Run(PetscBool has_c, PetscInt *nfail)
{
  const PetscInt H = 1500, N = 40;
  TLcg           g    = {99 + (uint64_t)has_c};
  SLData         data = NULL;
  SLNetwork      net;
  SLSpline       sp;
  PetscInt       P, Pl;
  PetscReal     *theta, *z, *J, *ua, *zt, *u;
  char           what[64];

  PetscFunctionBeginUser;
  PetscCall(TDataRandom(&g, N, -2, 2, &data));
  P = 3 * H + 1;
  PetscCall(PetscMalloc3(P, &theta, P, &z, N, &u));
  TRandomTheta(&g, H, has_c, NULL, -3, 3, 0, 17, theta);
  for (PetscInt p = 0; p < P; p++) z[p] = TUniform(&g, -1, 1);
  for (PetscInt n = 0; n < N; n++) u[n] = TUniform(&g, -1, 1);
  PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, H, has_c, &net));
  PetscCall(SLNetworkSetParameters(net, theta + 3 * net->hstart));
  PetscCall(SLNetworkGetSizes(net, NULL, &Pl));
  PetscCall(PetscMalloc3(N * PetscMax(Pl, 1), &J, N, &ua, PetscMax(Pl, 1), &zt));
  PetscCall(SLNetworkJacobian(net, data, J));
  PetscCall(SLNetworkJacobianApply(net, data, z + 3 * net->hstart, ua));
  PetscCall(SLNetworkJacobianTransposeApply(net, data, u, zt));
  PetscCall(PetscSNPrintf(what, sizeof(what), "NN c=%d", (int)has_c));
  PetscCall(Check(what, N, Pl, J, z + 3 * net->hstart, u, ua, zt, PETSC_COMM_WORLD, nfail));

  PetscCall(SLSplineCreateFromNetwork(net, &sp));
  PetscCall(SLSplineGetSizes(sp, NULL, &Pl));
  PetscCall(SLSplineJacobian(sp, data, J));
  PetscCall(SLSplineJacobianApply(sp, data, z + 2 * sp->hstart, ua));
  PetscCall(SLSplineJacobianTransposeApply(sp, data, u, zt));
  PetscCall(PetscSNPrintf(what, sizeof(what), "BDSO c=%d", (int)has_c));
  PetscCall(Check(what, N, Pl, J, z + 2 * sp->hstart, u, ua, zt, PETSC_COMM_WORLD, nfail));

  PetscCall(PetscFree3(J, ua, zt));
  PetscCall(PetscFree3(theta, z, u));
  PetscCall(SLSplineDestroy(&sp));
  PetscCall(SLNetworkDestroy(&net));
  PetscCall(TDataDestroy(&data));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt nfail = 0, total;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(Run(PETSC_FALSE, &nfail));
  PetscCall(Run(PETSC_TRUE, &nfail));
  PetscCall(MPIU_Allreduce(&nfail, &total, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCheck(total == 0, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "%" PetscInt_FMT " check(s) failed", total);
  PetscCall(PetscFinalize());
  return 0;
}
