/* Shared enum name tables. */
#include <splinelens/sys.h>

const char *const SLLossTypes[] = {"sum", "mean", "SLLossType", "SL_LOSS_", NULL};
