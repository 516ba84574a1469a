/* SLOutputFlush and SLOutputClose: the collective commit of the buffered writes (see output.h).
 *
 * The pieces of every rank are gathered at rank 0, which writes each field in one H5Dwrite whose file selection is
 * the union of the pieces (few ranges: see SLOutputGather) and whose memory buffer holds them in increasing file
 * offset, the order in which HDF5 walks a hyperslab union; with large buffers every rank writes its own pieces in
 * one collective H5Dwrite per field instead. The status column goes last, after a file flush, so that a run is
 * marked done only once its data are on disk; a crash loses at most the runs not yet committed. */
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

/* Append n elements at file offset foff, taken from bytes, to f's pieces (pieces received from another rank). */
static PetscErrorCode SLOutputAppendPiece(SLOutput out, SLField *f, hsize_t foff, hsize_t n, const char *bytes)
{
  size_t len = f->esize * (size_t)n;

  PetscFunctionBeginUser;
  if (f->npieces == f->maxpieces) {
    f->maxpieces = 2 * f->maxpieces + 16;
    PetscCall(PetscRealloc(sizeof(SLPiece) * f->maxpieces, &f->pieces));
  }
  if (f->buflen + len > f->bufmax) {
    f->bufmax = PetscMax(2 * f->bufmax, f->buflen + len) + 256;
    PetscCall(PetscRealloc(f->bufmax, &f->buf));
  }
  f->pieces[f->npieces].foff = foff;
  f->pieces[f->npieces].n    = n;
  f->pieces[f->npieces].boff = f->buflen;
  f->pieces[f->npieces].seq  = out->seq++;
  f->npieces++;
  PetscCall(PetscMemcpy(f->buf + f->buflen, bytes, len));
  f->buflen += len;
  PetscFunctionReturn(0);
}

/* Move the pieces of the fields [first, last) of every rank to rank 0 (which then writes them alone): one gather
 * of (field, offset, count) triples and one of the bytes. The union of the runs all ranks finished in an interval
 * is nearly contiguous in the file (the schedule deals runs in id order within a cost class), so rank 0 writes
 * few, large ranges where each rank would have written many small ones (a hyperslab union of hundreds of ranges
 * per field makes a collective write slow). *gathered is false (and nothing moved) when some rank holds more
 * than SL_OUTPUT_GATHER_MAX bytes: then every rank writes its own pieces collectively. */
#define SL_OUTPUT_GATHER_MAX (256.0 * 1048576.0)
static PetscErrorCode SLOutputGather(SLOutput out, PetscInt first, PetscInt last, PetscBool *gathered)
{
  PetscMPIInt size, rank, cnt[2], *all, *mc, *md, *mo, *dof, nm = 0, nd = 0;
  PetscInt64 *meta, *rmeta = NULL;
  char       *data, *rdata = NULL;
  size_t      tm = 0, td = 0, pos = 0, p3 = 0;
  PetscReal   mine = 0, most;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(out->comm, &size));
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  for (PetscInt i = first; i < last; i++) {
    tm += 3 * out->fields[i].npieces;
    td += out->fields[i].buflen;
  }
  mine = (PetscReal)td + 8.0 * (PetscReal)tm;
  PetscCallMPI(MPI_Allreduce(&mine, &most, 1, MPIU_REAL, MPI_MAX, out->comm));
  *gathered = (PetscBool)(size > 1 && most * size < SL_OUTPUT_GATHER_MAX);
  if (!*gathered) PetscFunctionReturn(0);
  PetscCall(PetscMalloc2(tm + 1, &meta, td + 1, &data));
  for (PetscInt i = first; i < last; i++) {
    SLField *f = &out->fields[i];
    for (size_t k = 0; k < f->npieces; k++) {
      size_t b   = f->esize * (size_t)f->pieces[k].n;
      meta[p3++] = i;
      meta[p3++] = (PetscInt64)f->pieces[k].foff;
      meta[p3++] = (PetscInt64)f->pieces[k].n;
      PetscCall(PetscMemcpy(data + pos, f->buf + f->pieces[k].boff, b));
      pos += b;
    }
    if (rank > 0) f->npieces = f->buflen = 0;
  }
  cnt[0] = (PetscMPIInt)tm;
  cnt[1] = (PetscMPIInt)td;
  PetscCall(PetscMalloc5(2 * size, &all, size, &mc, size, &md, size, &mo, size, &dof));
  PetscCallMPI(MPI_Gather(cnt, 2, MPI_INT, all, 2, MPI_INT, 0, out->comm));
  if (rank == 0) {
    for (PetscMPIInt r = 0; r < size; r++) {
      mc[r]  = r ? all[2 * r] : 0; /* rank 0's own pieces stay where they are */
      md[r]  = r ? all[2 * r + 1] : 0;
      mo[r]  = nm;
      dof[r] = nd;
      nm += mc[r];
      nd += md[r];
    }
    PetscCall(PetscMalloc2(nm + 1, &rmeta, nd + 1, &rdata));
  }
  PetscCallMPI(MPI_Gatherv(rank ? meta : NULL, rank ? cnt[0] : 0, MPIU_INT64, rmeta, mc, mo, MPIU_INT64, 0, out->comm));
  PetscCallMPI(MPI_Gatherv(rank ? data : NULL, rank ? cnt[1] : 0, MPI_BYTE, rdata, md, dof, MPI_BYTE, 0, out->comm));
  if (rank == 0) {
    size_t dp = 0;
    for (PetscMPIInt k = 0; k < nm; k += 3) {
      SLField *f = &out->fields[rmeta[k]];
      PetscCall(SLOutputAppendPiece(out, f, (hsize_t)rmeta[k + 1], (hsize_t)rmeta[k + 2], rdata + dp));
      dp += f->esize * (size_t)rmeta[k + 2];
    }
    PetscCall(PetscFree2(rmeta, rdata));
  }
  PetscCall(PetscFree5(all, mc, md, mo, dof));
  PetscCall(PetscFree2(meta, data));
  PetscFunctionReturn(0);
}

/* Sort every field's pieces; any overlap is an error on every rank. */
static PetscErrorCode SLOutputCheckPieces(SLOutput out, PetscInt first, PetscInt last)
{
  char msg[SL_OUTPUT_MSGLEN];
  int  bad;

  PetscFunctionBeginUser;
  msg[0] = 0;
  for (PetscInt i = first; i < last; i++) PetscCall(SLOutputSortPieces(&out->fields[i], msg, sizeof(msg)));
  bad = msg[0] ? 1 : 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, out->comm));
  if (bad) {
    PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s", msg);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "SLOutput: another rank made overlapping writes to %s", out->filename);
  }
  PetscFunctionReturn(0);
}

/* Write the fields [first, last): gathered at rank 0 and written there with independent I/O, or (large buffers,
 * one rank) every rank its own pieces in one collective write per field. */
static PetscErrorCode SLOutputWriteFields(SLOutput out, PetscInt first, PetscInt last)
{
  PetscBool   gathered = PETSC_FALSE;
  PetscMPIInt rank;
  hid_t       dxpl;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  PetscCall(SLOutputCheckPieces(out, first, last));
  PetscCall(SLOutputGather(out, first, last, &gathered));
  if (gathered) PetscCall(SLOutputCheckPieces(out, first, last)); /* rank 0: the union, sorted and checked */
  SLH5Call(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SLH5Call(H5Pset_dxpl_mpio(dxpl, gathered ? H5FD_MPIO_INDEPENDENT : H5FD_MPIO_COLLECTIVE));
  for (PetscInt i = first; i < last; i++) {
    SLField *f = &out->fields[i];
    if (f->kind != SL_KIND_COLUMN && f->kind != SL_KIND_RAGGED && f->kind != SL_KIND_STATUS) continue;
    if (gathered && (rank > 0 || f->npieces == 0)) continue;
    PetscCall(SLOutputWriteField(out, f, dxpl));
  }
  SLH5Call(H5Pclose(dxpl));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputFlush(SLOutput out)
{
  PetscFunctionBeginUser;
  PetscCheck(out->file >= 0, out->comm, PETSC_ERR_ORDER, "SLOutput: SLOutputFlush while the file is not open");
  PetscCall(SLOutputWriteFields(out, 1, out->nfields)); /* every field but the status column */
  SLH5CallFile(out->filename, H5Fflush(out->file, H5F_SCOPE_GLOBAL));
  PetscCall(SLOutputCheckPieces(out, 0, 1));
  PetscCall(SLOutputShareStatus(out));
  PetscCall(SLOutputWriteFields(out, 0, 1)); /* the status column last, once the data are on disk */
  SLH5CallFile(out->filename, H5Fflush(out->file, H5F_SCOPE_GLOBAL));
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
