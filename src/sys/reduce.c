/* The deterministic block reduction every collective neuron sum goes through (sys.h): per-block partials in
 * neuron order, gathered, added in block order, so results are bitwise independent of the number of ranks. */
#include <splinelens/sys.h>

/* Whole blocks are dealt as evenly as possible, the first (nblocks % size) ranks getting one more; the last
 * block may be partial. With fewer blocks than ranks the trailing ranks get no neuron. */
void SLBlockRange(PetscInt nblocks, PetscMPIInt size, PetscMPIInt rank, PetscInt *bstart, PetscInt *bcount)
{
  PetscInt base = nblocks / size, extra = nblocks % size;

  *bcount = base + (rank < extra ? 1 : 0);
  *bstart = rank * base + PetscMin((PetscInt)rank, extra);
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
