/* Univariate training data (x_n, y_n), n = 1..N: built-in generators and a validated CSV loader.
 *
 * A data set is named; its options live under the prefix "sl_data_<name>_" (e.g. -sl_data_sine_n 32). When no
 * -sl_data_<name>_type is given, a name that is a generator type ("sine", "fourpoint", ...) selects it.
 */
#pragma once
#include <splinelens/sys.h>

typedef enum {
  SL_DATA_SINE,      /* y = sin(pi x)                                      */
  SL_DATA_SQUARE,    /* y = sign(sin(pi x)), the square wave (+1 at x = 0) */
  SL_DATA_CUBIC,     /* y = x^3                                            */
  SL_DATA_RANDOM,    /* y ~ U(-1, 1) independent targets                   */
  SL_DATA_FOURPOINT, /* X = (-1, -1/16, 1/16, 1), Y = (-1, 1/2, -1/2, 1)    */
  SL_DATA_ZIGZAG,    /* y_n = amplitude (-1)^n: discrete curvature alternating in sign */
  SL_DATA_SQUARE10,  /* the 10-point square wave (data.c): x = -0.9, -0.7, ..., 0.9, y = +1 +1 -1 -1 ... */
  SL_DATA_CSV        /* x,y per line from -sl_data_<name>_file (always the last type) */
} SLDataType;
PETSC_EXTERN const char *const SLDataTypes[];

typedef enum {
  SL_SAMPLING_GRID,  /* x_n equally spaced on [xmin, xmax] (both ends included) */
  SL_SAMPLING_RANDOM /* x_n ~ U(xmin, xmax), then sorted                        */
} SLSampling;
PETSC_EXTERN const char *const SLSamplings[];

typedef struct _n_SLData *SLData;
struct _n_SLData {
  char       name[64]; /* the name that selects its options                    */
  SLDataType type;
  SLSampling sampling;
  PetscInt   N;                        /* number of points                                     */
  PetscReal  xmin, xmax;               /* requested x range (generators); actual range of x after load */
  PetscReal  noise;                    /* std of additive Gaussian label noise                  */
  PetscReal  amplitude;                /* zigzag: |y_n| before noise (default 1)                */
  PetscInt   seed;                     /* seed of x sampling, random targets and noise          */
  char       file[PETSC_MAX_PATH_LEN]; /* CSV source                                            */
  PetscReal *x, *y;                    /* length N, sorted by x (strictly increasing)           */
};

PETSC_EXTERN PetscErrorCode SLDataCreate(const char name[], SLData *data);
/* Reads -sl_data_<name>_{type,n,xmin,xmax,noise,seed,sampling,amplitude,file}; errors name the option at fault. */
PETSC_EXTERN PetscErrorCode SLDataSetFromOptions(SLData data);
/* Generates or loads the points. Every input error (bad file content, N < 1, xmin >= xmax) stops here. */
PETSC_EXTERN PetscErrorCode SLDataSetUp(SLData data);
/* Directly generate (no options; a zigzag takes data->amplitude). */
PETSC_EXTERN PetscErrorCode SLDataGenerate(SLData data, SLDataType type, PetscInt N, PetscReal xmin, PetscReal xmax, PetscReal noise, PetscInt seed);
/* Strict CSV: "x,y" per line, optional first header line, '#' comments and blank lines ignored. Empty file,
 * non-numeric field, NaN/Inf, duplicate x and wrong column count stop with an error naming file and line. */
PETSC_EXTERN PetscErrorCode SLDataLoadCSV(SLData data, const char file[]);
/* Set points explicitly (copied, sorted, validated as the CSV loader does). */
PETSC_EXTERN PetscErrorCode SLDataSetPoints(SLData data, PetscInt N, const PetscReal x[], const PetscReal y[]);
PETSC_EXTERN PetscErrorCode SLDataView(SLData data, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode SLDataDestroy(SLData *data);
