/* The file-system side of opening a study file (rank 0): the output directory (mkdir -p), the single-writer lock
 * <file>.lock, and the temporaries a killed creation may leave behind. A merge takes the same lock on its output
 * (SLOutputMergeLock) and removes, with it held, the temporaries of a killed merge into that output.
 *
 * The lock is a POSIX record lock (fcntl F_SETLK) on <file>.lock, held by rank 0 of the writer from SLOutputOpen
 * to SLOutputDestroy; the kernel drops it when the process dies (kill -9 included), so a lock file whose lock is
 * free is stale whatever it says. Its text (host, pid, start time) names the holder for the refusal message. */
#include "output_impl.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* mkdir -p of the directory part of fname; msg is empty on success, else says why (naming the path). */
PetscErrorCode SLMakeParentDirs(const char fname[], char msg[], size_t len)
{
  char  *dir;
  size_t n;

  PetscFunctionBeginUser;
  msg[0] = 0;
  PetscCall(PetscStrallocpy(fname, &dir));
  PetscCall(PetscStrlen(dir, &n));
  while (n > 0 && dir[n - 1] != '/') n--; /* keep "a/b/" of "a/b/file" */
  for (size_t i = 1; i < n && !msg[0]; i++) {
    struct stat st;
    char        c;

    if (dir[i] != '/') continue;
    c      = dir[i];
    dir[i] = 0;
    if (stat(dir, &st) != 0) {
      if (mkdir(dir, 0777) != 0 && errno != EEXIST) PetscCall(PetscSNPrintf(msg, len, "cannot create %s: cannot create directory %s (%s)", fname, dir, strerror(errno)));
    } else if (!S_ISDIR(st.st_mode)) PetscCall(PetscSNPrintf(msg, len, "cannot create %s: %s is not a directory", fname, dir));
    dir[i] = c;
  }
  PetscCall(PetscFree(dir));
  PetscFunctionReturn(0);
}

/* Take the single-writer lock <filename>.lock (rank 0): *lockpath its name, *lockfd the open locked file. On
 * refusal *code and msg say who holds it. */
static PetscErrorCode SLLockFile(const char filename[], char **lockpath, int *lockfd, PetscErrorCode *code, char msg[])
{
  size_t len;

  PetscFunctionBeginUser;
  *code = 0;
  PetscCall(PetscStrlen(filename, &len));
  PetscCall(PetscMalloc1(len + 6, lockpath));
  PetscCall(PetscSNPrintf(*lockpath, len + 6, "%s.lock", filename));
  for (int attempt = 0; attempt < 10; attempt++) {
    struct flock fl;
    struct stat  a, b;
    char         old[512], host[256], stamp[64], text[512];
    ssize_t      nr;
    int          fd  = open(*lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    time_t       now = time(NULL);

    if (fd < 0) {
      *code = errno == ENOSPC ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN;
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot create the lock file %s: %s", *lockpath, strerror(errno)));
      PetscFunctionReturn(0);
    }
    nr                      = pread(fd, old, sizeof(old) - 1, 0);
    old[nr > 0 ? nr : 0]    = 0;
    old[strcspn(old, "\n")] = 0;
    memset(&fl, 0, sizeof(fl));
    fl.l_type   = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
      int e = errno;

      (void)close(fd);
      *code = PETSC_ERR_FILE_OPEN;
      if (e == EACCES || e == EAGAIN)
        PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: %s is being written by another splinelens (%s; lock file %s); refusing to write it concurrently: wait for it to end, or use another output file", filename, old[0] ? old : "holder unknown", *lockpath));
      else PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot lock %s: %s", *lockpath, strerror(e)));
      PetscFunctionReturn(0);
    }
    /* Locked; but if the holder we waited for unlinked the file meanwhile, ours is a lock on a dead inode. */
    if (fstat(fd, &a) != 0 || stat(*lockpath, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
      (void)close(fd);
      continue;
    }
    if (old[0]) PetscCall(PetscFPrintf(PETSC_COMM_SELF, stderr, "splinelens: warning: taking over the stale lock %s (%s: that process has ended)\n", *lockpath, old));
    if (gethostname(host, sizeof(host)) != 0) PetscCall(PetscStrncpy(host, "?", sizeof(host)));
    host[sizeof(host) - 1] = 0;
    (void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    PetscCall(PetscSNPrintf(text, sizeof(text), "host %s, pid %d, since %s\n", host, (int)getpid(), stamp));
    PetscCall(PetscStrlen(text, &len));
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, len, 0) != (ssize_t)len) {
      *code = errno == ENOSPC ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN;
      PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot write the lock file %s: %s", *lockpath, errno == ENOSPC ? "no space left on device" : strerror(errno)));
      (void)unlink(*lockpath);
      (void)close(fd);
      PetscFunctionReturn(0);
    }
    *lockfd = fd;
    PetscFunctionReturn(0);
  }
  *code = PETSC_ERR_FILE_OPEN;
  PetscCall(PetscSNPrintf(msg, SL_OUTPUT_MSGLEN, "SLOutput: cannot take the lock %s (it keeps being replaced)", *lockpath));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputLock(SLOutput out, PetscErrorCode *code, char msg[])
{
  PetscFunctionBeginUser;
  PetscCall(SLLockFile(out->filename, &out->lockpath, &out->lockfd, code, msg));
  PetscFunctionReturn(0);
}

/* Release the lock (removing the lock file first, while still holding it). */
PetscErrorCode SLOutputUnlock(SLOutput out)
{
  PetscFunctionBeginUser;
  if (out->lockfd >= 0) {
    (void)unlink(out->lockpath);
    (void)close(out->lockfd);
    out->lockfd = -1;
  }
  PetscCall(PetscFree(out->lockpath));
  PetscFunctionReturn(0);
}

/* Remove the files <fname><suffix>XXXXXX (temporaries of a killed creation); called with the lock held. */
PetscErrorCode SLRemoveTemporaries(const char fname[], const char suffix[])
{
  char          *dir, *base, prefix[PETSC_MAX_PATH_LEN], path[2 * PETSC_MAX_PATH_LEN];
  DIR           *d;
  struct dirent *e;
  size_t         lp;

  PetscFunctionBeginUser;
  PetscCall(PetscStrallocpy(fname, &dir));
  base = strrchr(dir, '/');
  if (base) *base++ = 0;
  else base = dir;
  PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "%s%s", base, suffix));
  PetscCall(PetscStrlen(prefix, &lp));
  d = opendir(base == dir ? "." : (dir[0] ? dir : "/"));
  while (d && (e = readdir(d))) {
    if (strncmp(e->d_name, prefix, lp) || strlen(e->d_name) != lp + 6) continue;
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", base == dir ? "." : dir, e->d_name));
    if (!unlink(path)) PetscCall(PetscFPrintf(PETSC_COMM_SELF, stderr, "splinelens: warning: removed %s, left by an interrupted creation of %s\n", path, fname));
  }
  if (d) (void)closedir(d);
  PetscCall(PetscFree(dir));
  PetscFunctionReturn(0);
}

/* Is name (in a directory listing) <base><suffix>XXXXXX followed by one of the tails? */
static PetscBool SLIsTemporary(const char name[], const char base[], const char suffix[], const char *const tails[])
{
  size_t lb = strlen(base), ls = strlen(suffix);

  if (strncmp(name, base, lb) || strncmp(name + lb, suffix, ls)) return PETSC_FALSE;
  name += lb + ls;
  for (int i = 0; i < 6; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9'))) return PETSC_FALSE;
  name += 6;
  for (int k = 0; tails[k]; k++) {
    size_t lt = strlen(tails[k]);

    if (strncmp(name, tails[k], lt)) continue;
    if (!strcmp(tails[k], ".creating-")) return (PetscBool)(strlen(name) == lt + 6);
    if (!name[lt]) return PETSC_TRUE;
  }
  return PETSC_FALSE;
}

/* Rank 0 with the merge lock held: remove the regular files a killed merge into outfile left next to it. */
static PetscErrorCode SLRemoveMergeTemporaries(const char outfile[])
{
  static const char *const none[]   = {"", NULL};
  static const char *const union_[] = {"", ".lock", ".creating-", NULL};
  char                    *dir, *base, path[2 * PETSC_MAX_PATH_LEN];
  DIR                     *d;
  struct dirent           *e;

  PetscFunctionBeginUser;
  PetscCall(PetscStrallocpy(outfile, &dir));
  base = strrchr(dir, '/');
  if (base) *base++ = 0;
  else base = dir;
  d = opendir(base == dir ? "." : (dir[0] ? dir : "/"));
  while (d && (e = readdir(d))) {
    struct stat st;

    if (!SLIsTemporary(e->d_name, base, ".merging-", none) && !SLIsTemporary(e->d_name, base, ".union-", union_)) continue;
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", base == dir ? "." : dir, e->d_name));
    if (lstat(path, &st) || !S_ISREG(st.st_mode)) continue; /* only files a merge made: never a planted link */
    if (!unlink(path)) PetscCall(PetscFPrintf(PETSC_COMM_SELF, stderr, "splinelens: warning: removed %s, left by an interrupted merge into %s\n", path, outfile));
  }
  if (d) (void)closedir(d);
  PetscCall(PetscFree(dir));
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputMergeLock(MPI_Comm comm, const char outfile[], int *lockfd)
{
  PetscMPIInt    rank;
  PetscErrorCode code                  = 0;
  char           msg[SL_OUTPUT_MSGLEN] = "", *lockpath = NULL;

  PetscFunctionBeginUser;
  *lockfd = -1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscCall(SLLockFile(outfile, &lockpath, lockfd, &code, msg));
    PetscCall(PetscFree(lockpath));
    if (!code) PetscCall(SLRemoveMergeTemporaries(outfile));
  }
  PetscCall(SLVerdictBcast(comm, &code, msg));
  PetscCheck(!code, comm, code, "%s", msg);
  PetscFunctionReturn(0);
}

PetscErrorCode SLOutputMergeUnlock(const char outfile[], int *lockfd)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  if (*lockfd < 0) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s.lock", outfile));
  (void)unlink(path);
  (void)close(*lockfd);
  *lockfd = -1;
  PetscFunctionReturn(0);
}
