/* Growing a study: the row of this study of every run of an existing file with the same settings whose axes are
 * subsets of this study's (output_grow.c checks the axes and copies the runs). Runs are identified by their grid
 * values: run id = (((i_width * n_seed + i_seed) * n_alpha + i_alpha) * n_scheme + i_scheme) * n_data + i_data in
 * both files, and each axis index of the file maps to the index of the same value here. The data sets axis is keyed
 * (SLStudySetGrowKeys): a data set the file shares with this study must have the same fingerprint (options and
 * points), new data sets may be added. */
#include "study_impl.h"

PetscErrorCode SLStudyGrowMap(SLOutput out, void *ctx, PetscInt nold, PetscInt old2new[])
{
  SLStudy          s       = (SLStudy)ctx;
  const SLSchemaId axes[5] = {SL_F_AXES_WIDTH, SL_F_AXES_SEED, SL_F_AXES_ALPHA, SL_F_AXES_SCHEME, SL_F_AXES_DATA};
  const PetscInt   nnew[5] = {s->nwidth, s->nseed, s->nalpha, s->nscheme, s->ndata};
  PetscInt         n[5];
  const PetscInt  *map[5];
  PetscReal        prod = 1;

  PetscFunctionBeginUser;
  /* the slice of a run depends on the whole grid: grown slices would redo kept runs of other slices */
  PetscCheck(s->slice_count == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "a study run in slices (-sl_slice_count %" PetscInt_FMT ") cannot grow its files: merge the slices, then grow the merged file (jobs/README.md)", s->slice_count);
  for (int k = 0; k < 5; k++) {
    char path[PETSC_MAX_PATH_LEN];
    PetscCall(SLSchemaPath(axes[k], NULL, path, sizeof(path)));
    PetscCall(SLOutputGrowAxis(out, path, &n[k], &map[k]));
    prod *= (PetscReal)n[k];
  }
  PetscCheck(prod == (PetscReal)nold, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "Growing: the existing file has %" PetscInt_FMT " runs, not the product %g of its axis lengths", nold, (double)prod);
  for (PetscInt id = 0; id < nold; id++) {
    PetscInt rest = id, i[5], nid = 0;
    for (int k = 4; k >= 1; k--) {
      i[k] = rest % n[k];
      rest /= n[k];
    }
    i[0] = rest;
    for (int k = 0; k < 5; k++) nid = nid * nnew[k] + map[k][i[k]];
    old2new[id] = nid;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLStudySetGrowKeys(SLStudy s, SLOutput out)
{
  const SLSchemaKey key = {"", 0, SL_COORD_NN, SL_HESS_FULL};
  char              axis[PETSC_MAX_PATH_LEN], group[PETSC_MAX_PATH_LEN], *slash;
  const char       *attr, *text;

  PetscFunctionBeginUser;
  PetscCall(SLSchemaPath(SL_F_AXES_DATA, NULL, axis, sizeof(axis)));
  PetscCall(SLSchemaAttribute(SL_F_DATA_ATTR_FINGERPRINT, &key, group, sizeof(group), &attr)); /* "data/" */
  PetscCall(SLSchemaAttribute(SL_F_DATA_ATTR_OPTIONS, &key, group, sizeof(group), &text));
  slash = strrchr(group, '/');
  PetscCheck(slash, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Growing: data set groups are not under a group");
  *slash = 0;
  PetscCall(SLOutputSetGrowKeys(out, axis, group, attr, text, s->legacy_settings_fingerprint));
  PetscFunctionReturn(0);
}
