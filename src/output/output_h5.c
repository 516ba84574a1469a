/* Small HDF5 and file-system helpers of the study output (strings, attributes, paths, selections, probes). */
#include "output_impl.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fixed-length, NUL-padded C string of len bytes (HDF5 refuses size 0, so at least 1). */
PetscErrorCode SLH5StringType(size_t len, hid_t *type)
{
  PetscFunctionBeginUser;
  SLH5Call(*type = H5Tcopy(H5T_C_S1));
  SLH5Call(H5Tset_size(*type, PetscMax(len, (size_t)1)));
  SLH5Call(H5Tset_strpad(*type, H5T_STR_NULLPAD));
  PetscFunctionReturn(0);
}

/* Scalar fixed-length string attribute; an existing attribute of that name is replaced. In a parallel file this
 * is a metadata change: every rank must call it with the same arguments. */
PetscErrorCode SLH5WriteStringAttr(hid_t loc, const char name[], const char value[])
{
  hid_t  type, space, attr;
  htri_t exists;
  size_t len;
  char  *buf;

  PetscFunctionBeginUser;
  SLH5Call(exists = H5Aexists(loc, name));
  if (exists > 0) SLH5Call(H5Adelete(loc, name));
  PetscCall(PetscStrlen(value, &len));
  PetscCall(PetscCalloc1(len + 1, &buf));
  PetscCall(PetscMemcpy(buf, value, len));
  PetscCall(SLH5StringType(len, &type));
  SLH5Call(space = H5Screate(H5S_SCALAR));
  SLH5Call(attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  SLH5Call(H5Awrite(attr, type, buf));
  SLH5Call(H5Aclose(attr));
  SLH5Call(H5Sclose(space));
  SLH5Call(H5Tclose(type));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

/* Read a scalar string attribute (fixed or variable length) into a new NUL-terminated string (PetscFree it).
 * *exists is PETSC_FALSE (and *value NULL) when there is no such attribute or it is not a scalar string. */
PetscErrorCode SLH5ReadStringAttr(hid_t loc, const char name[], PetscBool *exists, char **value)
{
  hid_t       attr, type, mtype, space;
  htri_t      has, vl;
  hssize_t    npoints;
  H5T_class_t cls;
  size_t      size;

  PetscFunctionBeginUser;
  *exists = PETSC_FALSE;
  *value  = NULL;
  SLH5Call(has = H5Aexists(loc, name));
  if (!has) PetscFunctionReturn(0);
  SLH5Call(attr = H5Aopen(loc, name, H5P_DEFAULT));
  SLH5Call(type = H5Aget_type(attr));
  SLH5Call(space = H5Aget_space(attr));
  SLH5Call(npoints = H5Sget_simple_extent_npoints(space));
  SLH5Call(cls = H5Tget_class(type));
  if (cls == H5T_STRING && npoints == 1) {
    SLH5Call(vl = H5Tis_variable_str(type));
    if (vl) {
      char *s = NULL;

      SLH5Call(mtype = H5Tcopy(H5T_C_S1));
      SLH5Call(H5Tset_size(mtype, H5T_VARIABLE));
      SLH5Call(H5Aread(attr, mtype, &s));
      PetscCall(PetscStrallocpy(s ? s : "", value));
      SLH5Call(H5free_memory(s));
    } else {
      size = H5Tget_size(type);
      PetscCheck(size > 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 call failed: H5Tget_size");
      SLH5Call(mtype = H5Tcopy(H5T_C_S1));
      SLH5Call(H5Tset_size(mtype, size));
      SLH5Call(H5Tset_strpad(mtype, H5T_STR_NULLPAD));
      PetscCall(PetscCalloc1(size + 1, value));
      SLH5Call(H5Aread(attr, mtype, *value));
    }
    SLH5Call(H5Tclose(mtype));
    *exists = PETSC_TRUE;
  }
  SLH5Call(H5Sclose(space));
  SLH5Call(H5Tclose(type));
  SLH5Call(H5Aclose(attr));
  PetscFunctionReturn(0);
}

/* Does the link path exist below loc (checking each component, since H5Lexists needs existing parents)? */
PetscErrorCode SLH5PathExists(hid_t loc, const char path[], PetscBool *exists)
{
  char  *p;
  size_t len;
  htri_t e = 1;

  PetscFunctionBeginUser;
  if (path[0] == '/') path++;
  PetscCall(PetscStrallocpy(path, &p));
  PetscCall(PetscStrlen(p, &len));
  for (size_t i = 0; i <= len && e > 0; i++) {
    if (p[i] == '/' || p[i] == 0) {
      char c = p[i];

      p[i] = 0;
      SLH5Call(e = H5Lexists(loc, p, H5P_DEFAULT));
      p[i] = c;
    }
  }
  *exists = e > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(PetscFree(p));
  PetscFunctionReturn(0);
}

/* Select the union of the 1-D ranges [start[i], start[i] + count[i]) in space (nothing when there are none);
 * the ranges must be sorted and disjoint, so the selection's iteration order (increasing offsets) is theirs. */
PetscErrorCode SLH5SelectRanges(hid_t space, size_t n, const hsize_t start[], const hsize_t count[], hsize_t *total)
{
  PetscBool first = PETSC_TRUE;

  PetscFunctionBeginUser;
  *total = 0;
  SLH5Call(H5Sselect_none(space));
  for (size_t i = 0; i < n; i++) {
    if (!count[i]) continue;
    SLH5Call(H5Sselect_hyperslab(space, first ? H5S_SELECT_SET : H5S_SELECT_OR, &start[i], NULL, &count[i], NULL));
    first = PETSC_FALSE;
    *total += count[i];
  }
  PetscFunctionReturn(0);
}

/* Switch HDF5's automatic error-stack printing off around probes whose failure is an expected answer. */
PetscErrorCode SLH5QuietBegin(H5E_auto2_t *func, void **data)
{
  PetscFunctionBeginUser;
  SLH5Call(H5Eget_auto2(H5E_DEFAULT, func, data));
  SLH5Call(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode SLH5QuietEnd(H5E_auto2_t func, void *data)
{
  PetscFunctionBeginUser;
  SLH5Call(H5Eset_auto2(H5E_DEFAULT, func, data));
  PetscFunctionReturn(0);
}

/* Does fname exist (as anything) and is it a directory? */
PetscErrorCode SLFileProbe(const char fname[], PetscBool *exists, PetscBool *isdir)
{
  struct stat st;

  PetscFunctionBeginUser;
  *exists = stat(fname, &st) == 0 ? PETSC_TRUE : PETSC_FALSE;
  *isdir  = (*exists && S_ISDIR(st.st_mode)) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Can a new file fname be created? msg is empty if so, else says why, naming the path. */
PetscErrorCode SLDirectoryCheck(const char fname[], char msg[], size_t len)
{
  char       *dir, *slash;
  struct stat st;

  PetscFunctionBeginUser;
  msg[0] = 0;
  PetscCall(PetscStrallocpy(fname, &dir));
  slash = strrchr(dir, '/');
  if (!slash) {
    PetscCall(PetscFree(dir));
    PetscCall(PetscStrallocpy(".", &dir));
  } else if (slash == dir) slash[1] = 0; /* "/file" */
  else *slash = 0;
  if (stat(dir, &st) != 0) PetscCall(PetscSNPrintf(msg, len, "cannot create %s: directory %s does not exist (%s)", fname, dir, strerror(errno)));
  else if (!S_ISDIR(st.st_mode)) PetscCall(PetscSNPrintf(msg, len, "cannot create %s: %s is not a directory", fname, dir));
  else if (access(dir, W_OK | X_OK) != 0) PetscCall(PetscSNPrintf(msg, len, "cannot create %s: directory %s is not writable (%s)", fname, dir, strerror(errno)));
  PetscCall(PetscFree(dir));
  PetscFunctionReturn(0);
}

/* Broadcast rank 0's verdict (an error code, 0 if fine, and its message of SL_OUTPUT_MSGLEN chars). */
PetscErrorCode SLVerdictBcast(MPI_Comm comm, PetscErrorCode *code, char msg[])
{
  int c = (int)*code;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(&c, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(msg, SL_OUTPUT_MSGLEN, MPI_CHAR, 0, comm));
  *code = (PetscErrorCode)c;
  PetscFunctionReturn(0);
}

/* The message of the last error raised (with SETERRQ / PetscCheck) while SLOutputTry was active. */
const char *SLErrorText(PetscErrorCode ierr)
{
  char *specific = NULL;

  if (PetscErrorMessage(ierr, NULL, &specific) || !specific) return "unknown error";
  return specific;
}

/* H5Ewalk2 callback: does an entry of the error stack say the disk is full (or the file too large)? */
static herr_t SLH5NoSpaceWalk(unsigned n, const H5E_error2_t *e, void *ctx)
{
  const char *d = e->desc ? e->desc : "";

  (void)n;
  if (strstr(d, "No space left") || strstr(d, "errno = 28") || strstr(d, "errno = 27") || strstr(d, "File too large") || strstr(d, "MPI_ERR_NO_SPACE") || strstr(d, "MPI_ERR_QUOTA") || strstr(d, "Disk quota")) *(PetscBool *)ctx = PETSC_TRUE;
  return 0;
}

/* After a failed HDF5 call: was the cause a full disk? (HDF5 records the errno of a failed write on its error
 * stack; MPI-IO failures carry the MPI error string.) */
PetscBool SLH5NoSpace_Private(void)
{
  PetscBool nospace = (PetscBool)(errno == ENOSPC || errno == EFBIG || errno == EDQUOT);

  if (!nospace) (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, SLH5NoSpaceWalk, &nospace);
  return nospace;
}

PetscErrorCode SLOutputSetErrorPrinting(PetscBool on)
{
  PetscFunctionBeginUser;
  SLH5Call(H5Eset_auto2(H5E_DEFAULT, on ? (H5E_auto2_t)H5Eprint2 : NULL, on ? stderr : NULL));
  PetscFunctionReturn(0);
}

/* The first line where two canonical option texts (root attribute study_options) differ, as text. */
void SLCanonicalDiff(const char a[], const char b[], char diff[], size_t len)
{
  diff[0] = 0;
  if (!a || !b) return;
  while (*a || *b) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

    if (la != lb || strncmp(a, b, la)) {
      (void)PetscSNPrintf(diff, len, "; first difference: the file has \"%.*s\", this one has \"%.*s\"", (int)PetscMin(la, 300), a, (int)PetscMin(lb, 300), b);
      return;
    }
    a += la + (a[la] ? 1 : 0);
    b += lb + (b[lb] ? 1 : 0);
  }
}

void SLOutputOptionsDiff(const char a[], const char b[], char diff[], size_t len)
{
  SLCanonicalDiff(a, b, diff, len);
}

PetscBool SLOutputHDF5Stuck(void)
{
  return (PetscBool)(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE) > 0);
}
