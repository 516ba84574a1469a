/* Data sets (data.h): the generators' points and targets, the rng counters they use, options, explicit points,
 * and the strict CSV loader on good and bad files (tests/data/). */
#include <string.h>
#include <petscviewer.h>
#include <splinelens/data.h>
#include <splinelens/rng.h>

#include "check.h"

static int Increasing(SLData d)
{
  for (PetscInt n = 1; n < d->N; n++)
    if (!(d->x[n] > d->x[n - 1])) return 0;
  return 1;
}

static PetscErrorCode CheckGenerators(void)
{
  SLData d;

  PetscFunctionBeginUser;
  PetscCall(SLDataCreate("sine", &d));
  CHECK(d->type == SL_DATA_SINE && d->N == 16 && d->xmin == -1 && d->xmax == 1 && d->noise == 0 && d->seed == 0 && d->sampling == SL_SAMPLING_GRID, "defaults of a data set named sine");
  /* grid: linspace with exact ends, 0 exactly in the middle of [-1, 1] when N is odd */
  PetscCall(SLDataGenerate(d, SL_DATA_SINE, 17, -1, 1, 0, 0));
  CHECK(d->N == 17 && d->x[0] == -1 && d->x[16] == 1 && d->x[8] == 0 && Increasing(d), "sine grid ends");
  for (PetscInt n = 0; n < 17; n++) {
    CHECK(fabs(d->x[n] - (-1 + 2.0 * n / 16)) < 1e-15, "grid x[%" PetscInt_FMT "] = %g", n, d->x[n]);
    CHECK(d->y[n] == sin(PETSC_PI * d->x[n]), "sine y[%" PetscInt_FMT "]", n);
  }
  PetscCall(SLDataGenerate(d, SL_DATA_SQUARE, 17, -1, 1, 0, 0));
  for (PetscInt n = 1; n < 16; n++) CHECK(d->y[n] == (d->x[n] >= 0 ? 1.0 : -1.0), "square y(%g) = %g", d->x[n], d->y[n]);
  CHECK(d->y[8] == 1, "square wave must be +1 at x = 0");
  PetscCall(SLDataGenerate(d, SL_DATA_CUBIC, 5, 0, 2, 0, 0));
  for (PetscInt n = 0; n < 5; n++) CHECK(d->x[n] == 0.5 * n && d->y[n] == d->x[n] * d->x[n] * d->x[n], "cubic point %" PetscInt_FMT, n);
  PetscCall(SLDataGenerate(d, SL_DATA_CUBIC, 1, 0, 3, 0, 0));
  CHECK(d->N == 1 && d->x[0] == 1.5 && d->y[0] == 1.5 * 1.5 * 1.5, "N = 1 takes the midpoint");
  PetscCall(SLDataGenerate(d, SL_DATA_FOURPOINT, PETSC_DEFAULT, 0, 0, 0, 0));
  {
    const double X[4] = {-1, -1.0 / 16, 1.0 / 16, 1}, Y[4] = {-1, 0.5, -0.5, 1};
    CHECK(d->N == 4, "fourpoint N = %" PetscInt_FMT, d->N);
    for (PetscInt n = 0; n < 4; n++) CHECK(d->x[n] == X[n] && d->y[n] == Y[n], "fourpoint point %" PetscInt_FMT, n);
  }
  /* zigzag: y_n = amplitude (-1)^n by sorted position, so the second differences alternate in sign */
  d->amplitude = 0.5;
  PetscCall(SLDataGenerate(d, SL_DATA_ZIGZAG, 9, -1, 1, 0, 0));
  CHECK(d->N == 9 && d->x[0] == -1 && d->x[8] == 1 && Increasing(d), "zigzag grid");
  for (PetscInt n = 0; n < 9; n++) CHECK(d->y[n] == (n % 2 ? -0.5 : 0.5), "zigzag y[%" PetscInt_FMT "] = %g", n, d->y[n]);
  for (PetscInt n = 1; n + 1 < 9; n++) {
    double c0 = d->y[n + 1] - 2 * d->y[n] + d->y[n - 1], c1 = n + 2 < 9 ? d->y[n + 2] - 2 * d->y[n + 1] + d->y[n] : -c0;
    CHECK(c0 * c1 < 0, "zigzag curvature must alternate in sign at n = %" PetscInt_FMT, n);
  }
  d->amplitude = 1.0;
  /* square10: fixed 10 points, two per half-period of a square wave */
  PetscCall(SLDataGenerate(d, SL_DATA_SQUARE10, PETSC_DEFAULT, 0, 0, 0, 0));
  CHECK(d->N == 10 && d->type == SL_DATA_SQUARE10 && Increasing(d), "square10 N = %" PetscInt_FMT, d->N);
  for (PetscInt n = 0; n < 10; n++) CHECK(fabs(d->x[n] - (-0.9 + 0.2 * n)) < 1e-15 && d->y[n] == ((n / 2) % 2 ? -1.0 : 1.0), "square10 point %" PetscInt_FMT " (%g, %g)", n, d->x[n], d->y[n]);
  /* random targets: U(-1, 1) from (seed, SL_STREAM_DATA, n, 0) */
  {
    const PetscInt N = 100000;
    double         s = 0, s2 = 0;

    PetscCall(SLDataGenerate(d, SL_DATA_RANDOM, N, -1, 1, 0, 9));
    for (PetscInt n = 0; n < N; n++) {
      CHECK(d->y[n] == 2 * SLRandomUniform01(9, SL_STREAM_DATA, (uint64_t)n, 0) - 1, "random target %" PetscInt_FMT, n);
      s += d->y[n];
      s2 += d->y[n] * d->y[n];
      if (nfail > 20) break;
    }
    CHECK(fabs(s / N) < 5 * sqrt(1.0 / 3 / N), "random targets mean %g", s / N);
    CHECK(fabs(s2 / N - 1.0 / 3) < 5 * sqrt((1.0 / 5 - 1.0 / 9) / N), "random targets second moment %g", s2 / N);
  }
  /* random sampling: the sorted draws xmin + (xmax - xmin) u(seed, SL_STREAM_DATA, n, 1) */
  {
    const PetscInt N = 1000;
    double        *x;
    int            same = 1;

    d->sampling = SL_SAMPLING_RANDOM;
    PetscCall(SLDataGenerate(d, SL_DATA_SINE, N, 2, 5, 0, 4));
    PetscCall(PetscMalloc1(N, &x));
    for (PetscInt n = 0; n < N; n++) x[n] = 2 + 3 * SLRandomUniform01(4, SL_STREAM_DATA, (uint64_t)n, 1);
    PetscCall(PetscSortReal(N, x));
    for (PetscInt n = 0; n < N; n++) same &= d->x[n] == x[n] && d->y[n] == sin(PETSC_PI * x[n]);
    CHECK(same && Increasing(d) && d->x[0] > 2 && d->x[N - 1] < 5, "random sampling points");
    CHECK(d->xmin == 2 && d->xmax == 5, "random sampling keeps the requested range");
    PetscCall(SLDataGenerate(d, SL_DATA_SINE, N, 2, 5, 0, 5));
    CHECK(d->x[0] != x[0], "random sampling ignores the seed");
    PetscCall(PetscFree(x));
    d->sampling = SL_SAMPLING_GRID;
  }
  /* label noise: y += noise N(0,1) from (seed, SL_STREAM_NOISE, n, 0); its sample std matches */
  {
    const PetscInt N  = 100000;
    double         s2 = 0;

    PetscCall(SLDataGenerate(d, SL_DATA_CUBIC, N, -1, 1, 0.1, 3));
    for (PetscInt n = 0; n < N; n++) {
      double e = d->y[n] - d->x[n] * d->x[n] * d->x[n];
      CHECK(fabs(e - 0.1 * SLRandomNormal(3, SL_STREAM_NOISE, (uint64_t)n, 0)) < 1e-15, "noise at %" PetscInt_FMT, n);
      s2 += e * e;
      if (nfail > 20) break;
    }
    CHECK(fabs(s2 / N - 0.01) < 5 * 0.01 * sqrt(2.0 / N), "noise variance %g", s2 / N);
  }
  PetscCall(SLDataDestroy(&d));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckPointsAndErrors(void)
{
  SLData         d;
  PetscErrorCode ierr;
  const double   x[4] = {0.3, -2, 1, 0}, y[4] = {3, -20, 10, 0};
  double         bad[2] = {0, 0}, nan = NAN;

  PetscFunctionBeginUser;
  PetscCall(SLDataCreate("mine", &d));
  PetscCall(SLDataSetPoints(d, 4, x, y));
  CHECK(d->N == 4 && d->x[0] == -2 && d->y[0] == -20 && d->x[1] == 0 && d->x[2] == 0.3 && d->y[2] == 3 && d->x[3] == 1 && d->y[3] == 10, "SetPoints sorts the pairs");
  CHECK(d->xmin == -2 && d->xmax == 1, "SetPoints sets the actual range");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SLDataSetPoints(d, 2, bad, y);
  CHECK(ierr != 0, "duplicate x accepted by SetPoints");
  bad[1] = nan;
  ierr   = SLDataSetPoints(d, 2, bad, y);
  CHECK(ierr != 0, "NaN accepted by SetPoints");
  ierr = SLDataSetPoints(d, 0, x, y);
  CHECK(ierr != 0, "N = 0 accepted by SetPoints");
  ierr = SLDataGenerate(d, SL_DATA_SINE, 0, -1, 1, 0, 0);
  CHECK(ierr != 0, "N = 0 accepted");
  ierr = SLDataGenerate(d, SL_DATA_SINE, 5, 1, 1, 0, 0);
  CHECK(ierr != 0, "xmin = xmax accepted");
  ierr = SLDataGenerate(d, SL_DATA_SINE, 5, -1, 1, -0.1, 0);
  CHECK(ierr != 0, "negative noise accepted");
  ierr = SLDataGenerate(d, SL_DATA_FOURPOINT, 7, -1, 1, 0, 0);
  CHECK(ierr != 0, "fourpoint with N = 7 accepted");
  /* every bad CSV fixture is refused (the messages are checked by the expect_error tests) */
  {
    const char *files[] = {"empty", "header_only", "nonnumeric", "nan", "inf", "duplicate", "columns", "columns1", "header_late", "does_not_exist"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
      char path[PETSC_MAX_PATH_LEN];

      PetscCall(PetscSNPrintf(path, sizeof(path), "%s/tests/data/%s.csv", SL_SOURCE_DIR, files[i]));
      ierr = SLDataLoadCSV(d, path);
      CHECK(ierr != 0, "bad CSV %s accepted", files[i]);
    }
  }
  ierr = SLDataCreate("bad-name", &d);
  CHECK(ierr != 0, "a name with '-' accepted");
  PetscCall(PetscPopErrorHandler());
  PetscCall(SLDataDestroy(&d));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckCSV(void)
{
  SLData d;
  char   path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(SLDataCreate("file", &d));
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/tests/data/good_header.csv", SL_SOURCE_DIR));
  PetscCall(SLDataLoadCSV(d, path));
  CHECK(d->type == SL_DATA_CSV && d->N == 4, "good_header.csv: N = %" PetscInt_FMT, d->N);
  if (d->N == 4) {
    const double X[4] = {-1, 0, 0.1, 0.5}, Y[4] = {1, 0, -2.5, 0.25};
    for (PetscInt n = 0; n < 4; n++) CHECK(d->x[n] == X[n] && d->y[n] == Y[n], "good_header.csv point %" PetscInt_FMT ": (%g, %g)", n, d->x[n], d->y[n]);
  }
  CHECK(d->xmin == -1 && d->xmax == 0.5 && strcmp(d->file, path) == 0, "good_header.csv range and file");
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/tests/data/good_crlf.csv", SL_SOURCE_DIR));
  PetscCall(SLDataLoadCSV(d, path));
  CHECK(d->N == 2 && d->x[0] == 1 && d->y[0] == 1 && d->x[1] == 2 && d->y[1] == 4, "good_crlf.csv");
  PetscCall(SLDataDestroy(&d));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckOptions(void)
{
  SLData d;
  char   path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_sine_n", "33"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_sine_xmin", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_sine_xmax", "2"));
  PetscCall(SLDataCreate("sine", &d));
  PetscCall(SLDataSetFromOptions(d));
  PetscCall(SLDataSetUp(d));
  CHECK(d->type == SL_DATA_SINE && d->N == 33 && d->x[0] == 0 && d->x[32] == 2, "options of data set sine");
  PetscCall(SLDataDestroy(&d));
  /* a custom name with a type, random sampling and noise */
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_train_type", "cubic"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_train_sampling", "random"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_train_noise", "0.5"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_train_seed", "12"));
  PetscCall(SLDataCreate("train", &d));
  PetscCall(SLDataSetFromOptions(d));
  PetscCall(SLDataSetUp(d));
  CHECK(d->type == SL_DATA_CUBIC && d->sampling == SL_SAMPLING_RANDOM && d->N == 16 && d->noise == 0.5 && d->seed == 12 && Increasing(d), "options of data set train");
  CHECK(d->y[0] != d->x[0] * d->x[0] * d->x[0], "noise not applied");
  PetscCall(SLDataView(d, PETSC_VIEWER_STDOUT_SELF));
  PetscCall(SLDataDestroy(&d));
  /* zigzag and square10 through options (the name selects the type) */
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_zigzag_n", "7"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_zigzag_amplitude", "2"));
  PetscCall(SLDataCreate("zigzag", &d));
  PetscCall(SLDataSetFromOptions(d));
  PetscCall(SLDataSetUp(d));
  CHECK(d->type == SL_DATA_ZIGZAG && d->N == 7 && d->amplitude == 2 && d->y[0] == 2 && d->y[1] == -2 && d->y[6] == 2, "options of data set zigzag");
  PetscCall(SLDataDestroy(&d));
  PetscCall(SLDataCreate("square10", &d));
  PetscCall(SLDataSetFromOptions(d));
  PetscCall(SLDataSetUp(d));
  CHECK(d->type == SL_DATA_SQUARE10 && d->N == 10 && d->x[0] == -0.9 && d->y[2] == -1, "options of data set square10");
  PetscCall(SLDataDestroy(&d));
  /* csv through options, with noise added after loading */
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/tests/data/good_header.csv", SL_SOURCE_DIR));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_pts_type", "csv"));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_pts_file", path));
  PetscCall(PetscOptionsSetValue(NULL, "-sl_data_pts_noise", "0.1"));
  PetscCall(SLDataCreate("pts", &d));
  PetscCall(SLDataSetFromOptions(d));
  PetscCall(SLDataSetUp(d));
  CHECK(d->N == 4 && d->x[0] == -1 && fabs(d->y[0] - (1 + 0.1 * SLRandomNormal(0, SL_STREAM_NOISE, 0, 0))) < 1e-15, "csv data set through options");
  PetscCall(SLDataDestroy(&d));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, "test_data: data sets"));
  PetscCall(CheckGenerators());
  PetscCall(CheckPointsAndErrors());
  PetscCall(CheckCSV());
  PetscCall(CheckOptions());
  printf("%s: %d failure(s)\n", nfail ? "FAILED" : "PASSED", nfail);
  PetscCall(PetscFinalize());
  return nfail ? 1 : 0;
}
