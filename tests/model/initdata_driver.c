/* Test driver for data sets and initialization options (tests/initdata.cmake): sets up one data set
 * (-data <name>, options -sl_data_<name>_*) and one set of initialization parameters (-sl_init_*), optionally
 * initializes a width -H network, and prints summaries. Bad options must stop it with a message naming them. */
#include <splinelens/data.h>
#include <splinelens/init.h>

int main(int argc, char **argv)
{
  char         name[64] = "sine";
  PetscInt     H        = 0;
  PetscBool    has_c    = PETSC_FALSE;
  SLData       data;
  SLInitParams p;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "initdata_driver: -data <name> [-H <width>] [-has_c] with -sl_data_<name>_* and -sl_init_* options"));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-data", name, sizeof(name), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-H", &H, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-has_c", &has_c, NULL));
  PetscCall(SLDataCreate(name, &data));
  PetscCall(SLDataSetFromOptions(data));
  PetscCall(SLDataSetUp(data));
  PetscCall(PetscViewerPushFormat(PETSC_VIEWER_STDOUT_WORLD, PETSC_VIEWER_ASCII_INFO_DETAIL));
  PetscCall(SLDataView(data, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PetscViewerPopFormat(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(SLInitParamsSetDefaults(&p));
  PetscCall(SLInitParamsSetFromOptions(&p, "sl_init_"));
  PetscCall(SLInitParamsView(&p, PETSC_VIEWER_STDOUT_WORLD));
  if (H > 0) {
    SLNetwork net;
    SLLaw     w, b, v, c;

    PetscCall(SLInitGetLaws(&p, H, &w, &b, &v, &c));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "laws for H = %" PetscInt_FMT ": w %s(%.6g) b %s(%.6g) v %s(%.6g) c %s(%.6g)\n", H, SLLawKinds[w.kind], (double)w.scale, SLLawKinds[b.kind], (double)b.scale, SLLawKinds[v.kind], (double)v.scale, SLLawKinds[c.kind],
                          (double)c.scale));
    PetscCall(SLNetworkCreate(PETSC_COMM_WORLD, H, has_c, &net));
    PetscCall(SLNetworkInitialize(net, &p));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "network initialized: H = %" PetscInt_FMT ", c = %.6g\n", H, (double)net->c));
    PetscCall(SLNetworkDestroy(&net));
  }
  PetscCall(SLDataDestroy(&data));
  PetscCall(PetscFinalize());
  return 0;
}
