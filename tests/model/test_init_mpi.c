/* A distributed network initializes to the same bits as the whole network generated on one process, for any
 * rank count (counter-based draws indexed by the global neuron, init.h). Run on 2 and 3 ranks. */
#include <string.h>
#include <splinelens/init.h>

int main(int argc, char **argv)
{
  const PetscInt H     = 3000; /* 3 blocks of SL_NEURON_BLOCK: uneven ranges on 2 ranks */
  PetscInt       nfail = 0, P;
  PetscMPIInt    rank;
  SLInitParams   p;
  PetscReal     *all;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "test_init_mpi"));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  for (int sym = 0; sym < 2; sym++) {
    for (int scheme = SL_INIT_LECUN_NORMAL; scheme <= SL_INIT_GAUSSIAN; scheme++) {
      SLNetwork dist, whole;
      PetscInt  bad;

      PetscCall(SLInitParamsSetDefaults(&p));
      p.scheme    = (SLInitScheme)scheme;
      p.symmetric = sym ? PETSC_TRUE : PETSC_FALSE;
      p.seed      = 5 + scheme;
      PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, H, PETSC_TRUE, &dist));
      PetscCall(SLNetworkCreate(PETSC_COMM_SELF, H, PETSC_TRUE, &whole));
      PetscCall(SLNetworkInitialize(dist, &p));
      PetscCall(SLNetworkInitialize(whole, &p));
      PetscCall(SLNetworkGetSizes(dist, &P, NULL));
      PetscCall(PetscMalloc1(P, &all));
      PetscCall(SLNetworkGatherParameters(dist, all));
      bad = memcmp(all, whole->theta, sizeof(PetscReal) * P) != 0;
      bad += memcmp(&dist->c, &whole->c, sizeof(PetscReal)) != 0;
      /* the local slice is exactly the global slice starting at neuron hstart */
      bad += memcmp(dist->theta, whole->theta + 3 * dist->hstart, sizeof(PetscReal) * 3 * dist->hlocal) != 0;
      if (bad) {
        nfail++;
        PetscCall(PetscPrintf(PETSC_COMM_SELF, "FAIL rank %d: %s%s differs from the one-process network\n", rank, SLInitSchemes[scheme], sym ? " symmetric" : ""));
      }
      PetscCall(PetscFree(all));
      PetscCall(SLNetworkDestroy(&dist));
      PetscCall(SLNetworkDestroy(&whole));
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nfail, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: %" PetscInt_FMT " failure(s)\n", nfail ? "FAILED" : "PASSED", nfail));
  PetscCall(PetscFinalize());
  return nfail ? 1 : 0;
}
