/* Private to init.c and init_options.c. */
#pragma once
#include <splinelens/init.h>

/* The prefix named in messages when the caller's prefix is unknown (SLInitGetLaws, SLNetworkInitialize). */
#define SL_INIT_DEFAULT_PREFIX "sl_init_"

/* Refuse alpha, alpha_in, alpha_out <= 0, negative stds and out-of-range enums; messages name -<prefix>opt. */
PETSC_INTERN PetscErrorCode SLInitParamsCheck(const SLInitParams *p, const char prefix[]);
