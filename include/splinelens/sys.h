/* splinelens: common definitions shared by every module.
 *
 * Conventions (see docs/theory.md for the mathematics):
 *  - NN parameters theta of a width-H network are stored neuron-major: theta[3i+0] = w_i, theta[3i+1] = b_i,
 *    theta[3i+2] = v_i, and the optional output bias c last (theta[3H]). P = 3H (+1).
 *  - Spline (BDSO) coordinates phi are stored neuron-major too: phi[2i+0] = beta_i, phi[2i+1] = mu_i, c last.
 *    Orientations s_i = sign(w_i) are held fixed and stored separately.
 *  - A network may be distributed over an MPI communicator by contiguous neuron ranges that are aligned to
 *    SL_NEURON_BLOCK. Sums over neurons (forward pass, J z) are computed per block and added in block order,
 *    so results are bitwise identical for any number of ranks.
 *  - Every option lives under the prefix "sl_" (see -help).
 */
#pragma once
#include <petscsys.h>
#include <splinelens/slconfig.h>

/* Neurons per deterministic-reduction block; distributed neuron ranges start on multiples of it. */
#define SL_NEURON_BLOCK 1024

/* Loss normalisation: "sum" l = 1/2 sum r_n^2 (the paper's), "mean" l = 1/(2N) sum r_n^2. */
typedef enum {
  SL_LOSS_SUM,
  SL_LOSS_MEAN
} SLLossType;
PETSC_EXTERN const char *const SLLossTypes[]; /* PetscOptionsEnum list: "sum","mean",... */

/* Factor multiplying the sum-loss quantities: 1 for sum, 1/N for mean. */
static inline PetscReal SLLossScale(SLLossType t, PetscInt N)
{
  return t == SL_LOSS_MEAN ? 1.0 / (PetscReal)N : 1.0;
}

/* ---- deterministic block reduction (src/sys/reduce.c) ----
 * A sum over neurons that produces replicated numbers is computed as per-block partial sums (the neurons of
 * block k = [k B, (k+1) B), B = SL_NEURON_BLOCK, added in index order, starting from 0), then the block partials
 * added in increasing k, starting from 0. Every rank holds whole blocks (SLNetworkLayout), so the same
 * floating-point operations happen in the same order on any number of ranks: results are bitwise independent
 * of the process count. */

/* Accumulate into acc[0..m) the contributions of the local neurons [i0, i1) (local indices, index order) to
 * outputs k0..k0+m-1. acc arrives zeroed for each block. */
typedef void (*SLBlockKernel)(void *ctx, PetscInt i0, PetscInt i1, PetscInt k0, PetscInt m, PetscReal acc[]);

/* The blocks [*bstart, *bstart + *bcount) of nblocks dealt to rank of size: as evenly as possible, the first
 * (nblocks % size) ranks getting one more. */
PETSC_EXTERN void SLBlockRange(PetscInt nblocks, PetscMPIInt size, PetscMPIInt rank, PetscInt *bstart, PetscInt *bcount);

/* out[k] = sum over all neurons of the kernel's contributions, k < n, by the deterministic block reduction
 * (collective on comm; out replicated). H, hstart, hlocal describe the calling rank's layout. */
PETSC_EXTERN PetscErrorCode SLBlockReduce(MPI_Comm comm, PetscInt H, PetscInt hstart, PetscInt hlocal, PetscInt n, SLBlockKernel kernel, void *ctx, PetscReal out[]);

/* Broadcast a value known on the last rank (the owner of c) to every rank. */
PETSC_EXTERN PetscErrorCode SLBcastFromLast(MPI_Comm comm, PetscReal *value);

/* ---- the PETSc package (src/sys/package.c) ----
 * Registers the splinelens class id and every log event (SLHessMult, SLHessCount, SLHessClass, SLSpectrum,
 * SLSpecReduced, SLTrain); idempotent, called by the Create functions of the objects that log. */
PETSC_EXTERN PetscErrorCode SLInitializePackage(void);
PETSC_EXTERN PetscErrorCode SLFinalizePackage(void);

/* ---- options (src/sys/options.c) ---- */

/* The index of value (case-insensitive) among the names of the PETSc enum list `list` (the PetscOptionsEnum
 * format: names, enum type name, prefix, NULL); an error on comm naming option (e.g. "-sl_schemes"), the bad value
 * and every valid value when it is none of them. PetscOptionsEnum's own message lists no valid values. */
PETSC_EXTERN PetscErrorCode SLEnumFind(MPI_Comm comm, const char option[], const char *const list[], const char value[], PetscInt *idx);
/* If -<prefix><name+1> is set, check its value with SLEnumFind (before PetscOptionsEnum reads it). */
PETSC_EXTERN PetscErrorCode SLOptionsCheckEnum(const char prefix[], const char name[], const char *const list[]);

/* 64-bit integer options (use inside PetscOptionsBegin/End, like PetscOptionsInt): the value is parsed with
 * strtoll (overflow detected, no silent 32-bit wrap), then refused unless min <= value <= max, with a message
 * naming the option and its valid range. -help shows the range. */
#define SL_MAX_LIST 100000000 /* most values of one list option (the grid limit of a study) */
PETSC_EXTERN PetscErrorCode SLParseInt64(const char option[], const char str[], PetscInt64 *value);
PETSC_EXTERN PetscErrorCode SLCheckRange(const char option[], PetscInt64 value, PetscInt64 min, PetscInt64 max);
PETSC_EXTERN PetscErrorCode SLOptionsInt64_Private(PetscOptionItems *, const char opt[], const char text[], const char man[], PetscInt64 current, PetscInt64 *value, PetscBool *set, PetscInt64 min, PetscInt64 max);
/* The same for a PetscInt: the range is also clipped to what a PetscInt holds. */
PETSC_EXTERN PetscErrorCode SLOptionsBoundedInt_Private(PetscOptionItems *, const char opt[], const char text[], const char man[], PetscInt current, PetscInt *value, PetscBool *set, PetscInt64 min, PetscInt64 max);
#define SLOptionsInt64(opt, text, man, cur, value, set, min, max)      SLOptionsInt64_Private(PetscOptionsObject, opt, text, man, cur, value, set, min, max)
#define SLOptionsBoundedInt(opt, text, man, cur, value, set, min, max) SLOptionsBoundedInt_Private(PetscOptionsObject, opt, text, man, cur, value, set, min, max)
/* List options of any length (axes), allocated (PetscFree; strings: SLStringListDestroy); `now` is the default
 * shown by -help. Items are comma-separated; integer items may be ranges "a-b" meaning a, a+1, ..., b-1. An
 * option given with no value is an error ("empty axis"); *set is false when the option is absent. */
PETSC_EXTERN PetscErrorCode SLOptionsInt64List_Private(PetscOptionItems *, const char opt[], const char text[], const char man[], const char now[], PetscInt *n, PetscInt64 **values, PetscBool *set);
PETSC_EXTERN PetscErrorCode SLOptionsRealList_Private(PetscOptionItems *, const char opt[], const char text[], const char man[], const char now[], PetscInt *n, PetscReal **values, PetscBool *set);
PETSC_EXTERN PetscErrorCode SLOptionsStringList_Private(PetscOptionItems *, const char opt[], const char text[], const char man[], const char now[], PetscInt *n, char ***values, PetscBool *set);
PETSC_EXTERN PetscErrorCode SLStringListDestroy(PetscInt n, char ***values);
#define SLOptionsInt64List(opt, text, man, now, n, values, set)  SLOptionsInt64List_Private(PetscOptionsObject, opt, text, man, now, n, values, set)
#define SLOptionsRealList(opt, text, man, now, n, values, set)   SLOptionsRealList_Private(PetscOptionsObject, opt, text, man, now, n, values, set)
#define SLOptionsStringList(opt, text, man, now, n, values, set) SLOptionsStringList_Private(PetscOptionsObject, opt, text, man, now, n, values, set)

/* ---- options files (src/sys/options_file.c), checked before PETSc reads them ----
 * A file given by -options_file (YAML when it ends in .yaml/.yml) or -options_file_yaml must be text (no NUL or
 * control bytes, valid UTF-8); a YAML file must parse (a syntax error names file:line) and set no option twice
 * (a duplicate key, also through nesting, names both lines). Nonzero and a one-line msg "file:line: what" on the
 * first fault (also a file that cannot be opened). Plain C: callable before PetscInitialize. */
PETSC_EXTERN int SLOptionsFileCheck(const char path[], int yaml, char msg[], size_t len);
PETSC_EXTERN int SLOptionsFilesCheck(int argc, char **argv, char msg[], size_t len);
