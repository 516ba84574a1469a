/* SLNetwork: distributed layout, life cycle, parameter access, view (docs/theory.md section 1). Collective neuron
 * sums go through the deterministic block reduction of sys.h (src/sys/reduce.c). */
#include "model_impl.h"

const char *const SLHessianParts[] = {"full", "gauss_newton", "residual", "SLHessianPart", "SL_HESS_", NULL};

PetscErrorCode SLNetworkLayout(PetscInt H, PetscMPIInt size, PetscMPIInt rank, PetscInt *hstart, PetscInt *hlocal)
{
  PetscInt nblocks, bstart, bcount, hend;

  PetscFunctionBeginUser;
  PetscCheck(H >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Network width H = %" PetscInt_FMT " must be >= 1", H);
  PetscCheck(size >= 1 && rank >= 0 && rank < size, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Invalid rank %d of %d", rank, size);
  nblocks = (H + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
  SLBlockRange(nblocks, size, rank, &bstart, &bcount);
  *hstart = PetscMin(bstart * SL_NEURON_BLOCK, H);
  hend    = PetscMin((bstart + bcount) * SL_NEURON_BLOCK, H);
  *hlocal = hend - *hstart;
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkCreate(MPI_Comm comm, PetscInt H, PetscBool has_c, SLNetwork *net)
{
  SLNetwork   nt;
  PetscMPIInt size, rank;
  PetscInt    Plocal;

  PetscFunctionBeginUser;
  PetscCheck(H >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "Network width H = %" PetscInt_FMT " must be >= 1", H);
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscNew(&nt));
  nt->comm   = comm;
  nt->H      = H;
  nt->has_c  = has_c;
  nt->owns_c = (has_c && rank == size - 1) ? PETSC_TRUE : PETSC_FALSE;
  nt->c      = 0.0;
  PetscCall(SLNetworkLayout(H, size, rank, &nt->hstart, &nt->hlocal));
  Plocal = 3 * nt->hlocal + (nt->owns_c ? 1 : 0);
  PetscCall(PetscCalloc1(PetscMax(Plocal, 1), &nt->theta));
  *net = nt;
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkDuplicate(SLNetwork net, SLNetwork *copy)
{
  PetscInt Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkCreate(net->comm, net->H, net->has_c, copy));
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  PetscCall(PetscArraycpy((*copy)->theta, net->theta, Plocal));
  (*copy)->c = net->c;
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkDestroy(SLNetwork *net)
{
  PetscFunctionBeginUser;
  if (!*net) PetscFunctionReturn(0);
  PetscCall(PetscFree((*net)->theta));
  PetscCall(PetscFree(*net));
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkGetSizes(SLNetwork net, PetscInt *P, PetscInt *Plocal)
{
  PetscFunctionBeginUser;
  if (P) *P = 3 * net->H + (net->has_c ? 1 : 0);
  if (Plocal) *Plocal = 3 * net->hlocal + (net->owns_c ? 1 : 0);
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkSetParameters(SLNetwork net, const PetscReal theta_local[])
{
  PetscInt Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  PetscCall(PetscArraycpy(net->theta, theta_local, Plocal));
  if (net->has_c) {
    PetscReal c = net->owns_c ? net->theta[3 * net->hlocal] : 0.0;

    PetscCall(SLBcastFromLast(net->comm, &c));
    net->c = c;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkGetParameters(SLNetwork net, PetscReal theta_local[])
{
  PetscInt Plocal;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  PetscCall(PetscArraycpy(theta_local, net->theta, Plocal));
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkGatherParameters(SLNetwork net, PetscReal theta[])
{
  PetscMPIInt size, *counts, *displs;
  PetscInt    Plocal, off = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(net->comm, &size));
  PetscCall(SLNetworkGetSizes(net, NULL, &Plocal));
  if (size == 1) {
    PetscCall(PetscArraycpy(theta, net->theta, Plocal));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  for (PetscMPIInt r = 0; r < size; r++) {
    PetscInt hs, hl, cnt;

    PetscCall(SLNetworkLayout(net->H, size, r, &hs, &hl));
    cnt = 3 * hl + ((net->has_c && r == size - 1) ? 1 : 0);
    PetscCall(PetscMPIIntCast(cnt, &counts[r]));
    PetscCall(PetscMPIIntCast(off, &displs[r]));
    off += cnt;
  }
  {
    PetscMPIInt mycount;

    PetscCall(PetscMPIIntCast(Plocal, &mycount));
    PetscCallMPI(MPI_Allgatherv(net->theta, mycount, MPIU_REAL, theta, counts, displs, MPIU_REAL, net->comm));
  }
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(0);
}

PetscErrorCode SLNetworkView(SLNetwork net, PetscViewer viewer)
{
  PetscBool         iascii;
  PetscMPIInt       size;
  PetscViewerFormat format;
  PetscInt          P;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(net->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(net->comm, &size));
  PetscCall(SLNetworkGetSizes(net, &P, NULL));
  PetscCall(PetscViewerASCIIPrintf(viewer, "SLNetwork: width H = %" PetscInt_FMT ", P = %" PetscInt_FMT " parameters, output bias %s, %d rank(s)\n", net->H, P, net->has_c ? "yes" : "no", size));
  if (net->has_c) PetscCall(PetscViewerASCIIPrintf(viewer, "  c = %.17g\n", (double)net->c));
  PetscCall(PetscViewerGetFormat(viewer, &format));
  if (format == PETSC_VIEWER_ASCII_INFO_DETAIL) {
    PetscReal *theta;

    PetscCall(PetscMalloc1(P, &theta));
    PetscCall(SLNetworkGatherParameters(net, theta));
    PetscCall(PetscViewerASCIIPushTab(viewer));
    for (PetscInt i = 0; i < net->H; i++) PetscCall(PetscViewerASCIIPrintf(viewer, "neuron %" PetscInt_FMT ": w = %.17g, b = %.17g, v = %.17g\n", i, (double)theta[3 * i], (double)theta[3 * i + 1], (double)theta[3 * i + 2]));
    PetscCall(PetscViewerASCIIPopTab(viewer));
    PetscCall(PetscFree(theta));
  }
  PetscFunctionReturn(0);
}
