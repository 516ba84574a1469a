/* SLOutputFlush and SLOutputClose: the collective commit of the buffered writes (see output.h).
 *
 * For each field in declaration order every rank makes one collective H5Dwrite whose file selection is the union
 * of its pieces (nothing when it has none) and whose memory buffer holds the pieces in increasing file offset,
 * the order in which HDF5 walks a hyperslab union. The status column goes last, after a file flush, so that a
 * run is marked done only once its data are on disk; a crash loses at most the round in flight. */
#include "output_impl.h"

static int SLPieceCompare(const void *a, const void *b)
{
  const SLPiece *p = (const SLPiece *)a, *q = (const SLPiece *)b;

  if (p->foff != q->foff) return p->foff < q->foff ? -1 : 1;
  return p->seq < q->seq ? -1 : (p->seq > q->seq ? 1 : 0);
}

/* Sort f's pieces by file offset; a repeated write of the same range replaces the earlier one, any other overlap
 * is an error (reported in msg rather than raised, so that all ranks can agree before the collective writes). */
static PetscErrorCode SLOutputSortPieces(SLField *f, char msg[], size_t len)
{
  size_t m = 0;

  PetscFunctionBeginUser;
  if (f->npieces) qsort(f->pieces, f->npieces, sizeof(SLPiece), SLPieceCompare);
  for (size_t i = 0; i < f->npieces; i++) {
    SLPiece p = f->pieces[i];

    if (m > 0) {
      SLPiece *q = &f->pieces[m - 1];

      if (p.foff == q->foff && p.n == q->n) {
        *q = p; /* the later write wins */
        continue;
      }
      if (p.foff < q->foff + q->n && !msg[0])
        PetscCall(PetscSNPrintf(msg, len, "SLOutput: overlapping writes to /%s (elements [%llu, %llu) and [%llu, %llu)) in one flush", f->path, (unsigned long long)q->foff, (unsigned long long)(q->foff + q->n), (unsigned long long)p.foff, (unsigned long long)(p.foff + p.n)));
    }
    f->pieces[m++] = p;
  }
  f->npieces = m;
  PetscFunctionReturn(0);
}

/* The collective write of one field's (sorted) pieces; clears its buffer. */
static PetscErrorCode SLOutputWriteField(SLOutput out, SLField *f, hid_t dxpl)
{
  hsize_t *start, *count, total, one = 1;
  size_t   nr = 0, pos = 0;
  char    *mbuf, dummy = 0;
  hid_t    fspace, mspace, ftype, mtype;

  PetscFunctionBeginUser;
  if (!f->len) PetscFunctionReturn(0); /* empty dataset (no storage, no pieces): skipped by every rank alike */
  PetscCall(PetscMalloc2(f->npieces + 1, &start, f->npieces + 1, &count));
  PetscCall(PetscMalloc1(f->buflen + 1, &mbuf));
  for (size_t i = 0; i < f->npieces; i++) {
    SLPiece *p     = &f->pieces[i];
    size_t   bytes = f->esize * (size_t)p->n;

    if (nr > 0 && start[nr - 1] + count[nr - 1] == p->foff) count[nr - 1] += p->n; /* coalesce neighbours */
    else {
      start[nr] = p->foff;
      count[nr] = p->n;
      nr++;
    }
    PetscCall(PetscMemcpy(mbuf + pos, f->buf + p->boff, bytes));
    pos += bytes;
  }
  PetscCall(SLOutputFieldTypes_Private(f, &ftype, &mtype));
  SLH5Call(fspace = H5Dget_space(f->dset));
  PetscCall(SLH5SelectRanges(fspace, nr, start, count, &total));
  SLH5Call(mspace = H5Screate_simple(1, total ? &total : &one, NULL));
  if (!total) SLH5Call(H5Sselect_none(mspace));
  SLH5CallFile(out->filename, H5Dwrite(f->dset, mtype, mspace, fspace, dxpl, total ? mbuf : &dummy));
  SLH5Call(H5Sclose(mspace));
  SLH5Call(H5Sclose(fspace));
  SLH5Call(H5Tclose(ftype));
  SLH5Call(H5Tclose(mtype));
  PetscCall(PetscFree2(start, count));
  PetscCall(PetscFree(mbuf));
  f->npieces = 0;
  f->buflen  = 0;
  PetscFunctionReturn(0);
}

/* Gather the (run, status) pairs every rank flushed and apply them to the replicated status array. */
static PetscErrorCode SLOutputShareStatus(SLOutput out)
{
  SLField    *f = &out->fields[0];
  PetscMPIInt size, n = 2 * (PetscMPIInt)f->npieces, *counts, *displs, tot = 0;
  PetscInt   *mine, *all;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(out->comm, &size));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  PetscCallMPI(MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, out->comm));
  for (PetscMPIInt r = 0; r < size; r++) {
    displs[r] = tot;
    tot += counts[r];
  }
  PetscCall(PetscMalloc2(n + 1, &mine, tot + 1, &all));
  for (size_t i = 0; i < f->npieces; i++) {
    mine[2 * i]     = (PetscInt)f->pieces[i].foff;
    mine[2 * i + 1] = (PetscInt)(signed char)f->buf[f->pieces[i].boff];
  }
  PetscCallMPI(MPI_Allgatherv(mine, n, MPIU_INT, all, counts, displs, MPIU_INT, out->comm));
  for (PetscMPIInt k = 0; k < tot; k += 2) out->status[all[k]] = all[k + 1];
  PetscCall(PetscFree2(mine, all));
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputFlush(SLOutput out)
{
  char        msg[SL_OUTPUT_MSGLEN];
  int         bad;
  PetscMPIInt rank;
  hid_t       dxpl;

  PetscFunctionBeginUser;
  PetscCheck(out->file >= 0, out->comm, PETSC_ERR_ORDER, "SLOutput: SLOutputFlush while the file is not open");
  msg[0] = 0;
  for (PetscInt i = 0; i < out->nfields; i++) PetscCall(SLOutputSortPieces(&out->fields[i], msg, sizeof(msg)));
  bad = msg[0] ? 1 : 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, out->comm));
  if (bad) {
    PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
    PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s", msg);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: another rank made overlapping writes to %s", out->filename);
  }
  SLH5Call(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SLH5Call(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  for (PetscInt i = 0; i < out->nfields; i++)
    if (out->fields[i].kind == SL_KIND_COLUMN || out->fields[i].kind == SL_KIND_RAGGED) PetscCall(SLOutputWriteField(out, &out->fields[i], dxpl));
  SLH5CallFile(out->filename, H5Fflush(out->file, H5F_SCOPE_GLOBAL));
  PetscCall(SLOutputShareStatus(out));
  PetscCall(SLOutputWriteField(out, &out->fields[0], dxpl));
  SLH5CallFile(out->filename, H5Fflush(out->file, H5F_SCOPE_GLOBAL));
  SLH5Call(H5Pclose(dxpl));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputClose(SLOutput out, PetscInt nattr, const char *const names[], const char *const values[])
{
  PetscFunctionBeginUser;
  PetscCheck(out->file >= 0, out->comm, PETSC_ERR_ORDER, "SLOutput: SLOutputClose while the file is not open");
  PetscCall(SLOutputFlush(out)); /* anything still buffered */
  for (PetscInt i = 0; i < nattr; i++) {
    PetscCheck(strcmp(names[i], "format") && strcmp(names[i], "format_version") && strcmp(names[i], "study_fingerprint"), out->comm, PETSC_ERR_ARG_WRONG, "SLOutput: closing attribute %s is reserved", names[i]);
    PetscCall(SLH5WriteStringAttr(out->file, names[i], values[i]));
  }
  PetscCall(SLOutputCloseHandles_Private(out, PETSC_TRUE));
  PetscFunctionReturn(0);
}
