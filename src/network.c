/* SLNetwork: distributed layout, life cycle, parameter access, view (THEORY.md section 1), and the
 * deterministic block reduction every collective neuron sum goes through (see network_impl.h). */
#include "network_impl.h"

const char *const SLHessianParts[] = {"full", "gauss_newton", "residual", "SLHessianPart", "SL_HESS_", NULL};

/* Whole blocks are dealt as evenly as possible, the first (nblocks % size) ranks getting one more; the last
 * block may be partial. With fewer blocks than ranks the trailing ranks get no neuron. */
static void SLBlockRange(PetscInt nblocks, PetscMPIInt size, PetscMPIInt rank, PetscInt *bstart, PetscInt *bcount)
{
  PetscInt base = nblocks / size, extra = nblocks % size;

  *bcount = base + (rank < extra ? 1 : 0);
  *bstart = rank * base + PetscMin((PetscInt)rank, extra);
}

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

PetscErrorCode SLBcastFromLast(MPI_Comm comm, PetscReal *value)
{
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (size > 1) PetscCallMPI(MPI_Bcast(value, 1, MPIU_REAL, size - 1, comm));
  PetscFunctionReturn(0);
}

/* Outputs are processed in chunks so the gathered block partials (nblocks x chunk) stay small for any width
 * and any number of points; the chunking does not change any sum. */
#define SL_REDUCE_BUDGET (1 << 20)

PetscErrorCode SLBlockReduce(MPI_Comm comm, PetscInt H, PetscInt hstart, PetscInt hlocal, PetscInt n, SLBlockKernel kernel, void *ctx, PetscReal out[])
{
  PetscMPIInt  size;
  PetscInt     nblocks, nbloc, chunk, r;
  PetscReal   *part, *all;
  PetscMPIInt *counts = NULL, *displs = NULL;
  PetscInt    *bcount;

  PetscFunctionBeginUser;
  if (n <= 0) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(comm, &size));
  nblocks = (H + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
  PetscCheck(hstart % SL_NEURON_BLOCK == 0 || hlocal == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Neuron range start %" PetscInt_FMT " not block aligned", hstart);
  nbloc = (hlocal + SL_NEURON_BLOCK - 1) / SL_NEURON_BLOCK;
  chunk = PetscMax(1, PetscMin(n, SL_REDUCE_BUDGET / nblocks));
  PetscCall(PetscMalloc1(nblocks * chunk, &all));
  PetscCall(PetscMalloc1(PetscMax(nbloc, 1) * chunk, &part));
  PetscCall(PetscMalloc1(size, &bcount));
  for (r = 0; r < size; r++) {
    PetscInt bs;
    SLBlockRange(nblocks, (PetscMPIInt)size, (PetscMPIInt)r, &bs, &bcount[r]);
  }
  if (size > 1) PetscCall(PetscMalloc2(size, &counts, size, &displs));
  for (PetscInt k0 = 0; k0 < n; k0 += chunk) {
    PetscInt m = PetscMin(chunk, n - k0);

    /* per-block partials of the local neurons, block-major: part[b*m + k] */
    for (PetscInt b = 0; b < nbloc; b++) {
      PetscInt i0 = b * SL_NEURON_BLOCK, i1 = PetscMin(i0 + SL_NEURON_BLOCK, hlocal);

      PetscCall(PetscArrayzero(part + b * m, m));
      kernel(ctx, i0, i1, k0, m, part + b * m);
    }
    if (size > 1) {
      PetscInt    off = 0;
      PetscMPIInt mine;

      for (r = 0; r < size; r++) {
        PetscCall(PetscMPIIntCast(bcount[r] * m, &counts[r]));
        PetscCall(PetscMPIIntCast(off, &displs[r]));
        off += bcount[r] * m;
      }
      PetscCall(PetscMPIIntCast(nbloc * m, &mine));
      PetscCallMPI(MPI_Allgatherv(part, mine, MPIU_REAL, all, counts, displs, MPIU_REAL, comm));
    } else {
      PetscCall(PetscArraycpy(all, part, nbloc * m));
    }
    /* blocks added in increasing order, on every rank alike */
    for (PetscInt k = 0; k < m; k++) out[k0 + k] = 0.0;
    for (PetscInt b = 0; b < nblocks; b++) {
      const PetscReal *pb = all + b * m;
      for (PetscInt k = 0; k < m; k++) out[k0 + k] += pb[k];
    }
  }
  if (size > 1) PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(bcount));
  PetscCall(PetscFree(part));
  PetscCall(PetscFree(all));
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
  PetscMPIInt  size, *counts, *displs;
  PetscInt     Plocal, off = 0;

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
