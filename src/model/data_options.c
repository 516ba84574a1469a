/* Data set options and set-up (data.h): -sl_data_<name>_{type,n,xmin,xmax,noise,seed,sampling,amplitude,file}. */
#include <splinelens/data.h>
#include "model_impl.h"

PetscErrorCode SLDataSetFromOptions(SLData data)
{
  char       pre[128], title[128], valid[256] = "";
  PetscBool  typeset, nset, fileset, ampset, isname;
  SLDataType nametype;

  PetscFunctionBeginUser;
  PetscCall(SLDataGetPrefix(data, pre, sizeof(pre)));
  PetscCall(PetscSNPrintf(title, sizeof(title), "Data set '%s' (docs/theory.md section 1)", data->name));
  PetscCall(SLOptionsCheckEnum(pre, "-type", SLDataTypes));
  PetscCall(SLOptionsCheckEnum(pre, "-sampling", SLSamplings));
  PetscOptionsBegin(PETSC_COMM_WORLD, pre, title, NULL);
  PetscCall(PetscOptionsEnum("-type", "Data type (default: the data set's name, when it is a generator type)", "SLDataSetFromOptions", SLDataTypes, (PetscEnum)data->type, (PetscEnum *)&data->type, &typeset));
  PetscCall(SLOptionsBoundedInt("-n", "Number of points N >= 1 (fourpoint: always 4; square10: always 10; csv: the file's rows)", "SLDataSetFromOptions", data->N, &data->N, &nset, 1, PETSC_MAX_INT));
  PetscCall(PetscOptionsReal("-xmin", "Left end of the x range (generators)", "SLDataSetFromOptions", data->xmin, &data->xmin, NULL));
  PetscCall(PetscOptionsReal("-xmax", "Right end of the x range (generators)", "SLDataSetFromOptions", data->xmax, &data->xmax, NULL));
  PetscCall(PetscOptionsReal("-noise", "Std of additive Gaussian label noise y += noise N(0,1)", "SLDataSetFromOptions", data->noise, &data->noise, NULL));
  PetscCall(SLOptionsBoundedInt("-seed", "Seed of random x, random targets and noise", "SLDataSetFromOptions", data->seed, &data->seed, NULL, 0, PETSC_MAX_INT));
  PetscCall(PetscOptionsEnum("-sampling", "x positions: grid (linspace, both ends) or random (uniform, sorted)", "SLDataSetFromOptions", SLSamplings, (PetscEnum)data->sampling, (PetscEnum *)&data->sampling, NULL));
  PetscCall(PetscOptionsReal("-amplitude", "zigzag: targets y_n = amplitude (-1)^n (> 0)", "SLDataSetFromOptions", data->amplitude, &data->amplitude, &ampset));
  PetscCall(PetscOptionsString("-file", "CSV file of x,y rows (type csv)", "SLDataSetFromOptions", data->file, data->file, sizeof(data->file), &fileset));
  PetscOptionsEnd();
  PetscCall(SLDataTypeFromName(data->name, &isname, &nametype));
  if (!typeset && !isname) {
    for (int t = SL_DATA_SINE; t <= SL_DATA_CSV; t++) {
      if (t) PetscCall(PetscStrlcat(valid, ", ", sizeof(valid)));
      PetscCall(PetscStrlcat(valid, SLDataTypes[t], sizeof(valid)));
    }
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER, "-%stype is required: '%s' is not a data type name (types: %s)", pre, data->name, valid);
  }
  /* fixed-size data: a conflicting -n is a mistake worth stopping for (csv ignores -n: the file decides) */
  if (data->type == SL_DATA_FOURPOINT || data->type == SL_DATA_SQUARE10) {
    const PetscInt Nfix = data->type == SL_DATA_FOURPOINT ? 4 : 10;

    PetscCheck(!nset || data->N == Nfix, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "-%sn: the %s data set has exactly %" PetscInt_FMT " points, got %" PetscInt_FMT, pre, SLDataTypes[data->type], Nfix, data->N);
    data->N = Nfix;
  }
  PetscCheck(!ampset || data->type == SL_DATA_ZIGZAG, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "-%samplitude is only used with -%stype zigzag (type is %s)", pre, pre, SLDataTypes[data->type]);
  PetscCheck(!fileset || data->type == SL_DATA_CSV, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "-%sfile is only used with -%stype csv (type is %s)", pre, pre, SLDataTypes[data->type]);
  PetscCheck(data->type != SL_DATA_CSV || data->file[0], PETSC_COMM_SELF, PETSC_ERR_USER, "-%sfile is required with type csv", pre);
  PetscFunctionReturn(0);
}

PetscErrorCode SLDataSetUp(SLData data)
{
  char pre[128];

  PetscFunctionBeginUser;
  PetscCall(SLDataGetPrefix(data, pre, sizeof(pre)));
  if (data->type == SL_DATA_CSV) {
    PetscCheck(data->file[0], PETSC_COMM_SELF, PETSC_ERR_USER, "Data set '%s' has type csv but no file: give -%sfile (or -%stype)", data->name, pre, pre);
    PetscCheck(data->noise >= 0 && !PetscIsInfOrNanReal(data->noise), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%snoise must be >= 0 (a standard deviation), got %.6g", pre, (double)data->noise);
    PetscCheck(data->seed >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sseed must be >= 0, got %" PetscInt_FMT, pre, data->seed);
    PetscCall(SLDataLoadCSV(data, data->file));
    PetscCall(SLDataAddNoise(data));
  } else {
    PetscCall(SLDataGenerate(data, data->type, data->N, data->xmin, data->xmax, data->noise, data->seed));
  }
  PetscFunctionReturn(0);
}
