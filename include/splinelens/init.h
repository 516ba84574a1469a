/* Initialization schemes and their laws (docs/theory.md section 3). Every parameter of neuron i is drawn from the
 * counter-based generator keyed by (seed, SL_STREAM_INIT) with counter (i, draw), so any neuron range of any
 * layout reproduces the same network bit for bit.
 */
#pragma once
#include <splinelens/network.h>

typedef enum {
  SL_INIT_LECUN_NORMAL,
  SL_INIT_HE_NORMAL,
  SL_INIT_GLOROT_NORMAL,
  SL_INIT_LECUN_UNIFORM,
  SL_INIT_HE_UNIFORM,
  SL_INIT_GLOROT_UNIFORM,
  SL_INIT_TORCH_DEFAULT,
  SL_INIT_GAUSSIAN
} SLInitScheme;
PETSC_EXTERN const char *const SLInitSchemes[];

typedef enum {
  SL_BIAS_SAME,    /* b follows the law of w (default)          */
  SL_BIAS_ZERO,    /* b = 0: every breakpoint at 0              */
  SL_BIAS_EXPLICIT /* b ~ bias_law(bias_scale)                  */
} SLBiasPolicy;
PETSC_EXTERN const char *const SLBiasPolicies[];

typedef enum {
  SL_LAW_NORMAL,  /* N(0, scale^2)         */
  SL_LAW_UNIFORM, /* U(-scale, scale)      */
  SL_LAW_ZERO     /* identically 0         */
} SLLawKind;
PETSC_EXTERN const char *const SLLawKinds[];

typedef struct {
  SLLawKind kind;
  PetscReal scale; /* std (normal) or half-width (uniform), after all scale factors */
} SLLaw;

typedef struct {
  SLInitScheme scheme;
  SLBiasPolicy bias;
  SLLawKind    bias_law;       /* explicit bias law                                    */
  PetscReal    bias_scale;     /* explicit bias std / half-width                       */
  PetscReal    sw, sb, sv, sc; /* gaussian scheme stds (sc: output bias)            */
  PetscReal    alpha;          /* global scale: multiplies every parameter              */
  PetscReal    alpha_in;       /* extra scale of the first layer (w, b)                 */
  PetscReal    alpha_out;      /* extra scale of the second layer (v, c)                */
  PetscBool    symmetric;      /* neurons H/2..H-1 copy 0..H/2-1 with v negated: f_0 = 0 */
  PetscInt     seed;
} SLInitParams;

PETSC_EXTERN PetscErrorCode SLInitParamsSetDefaults(SLInitParams *p);
/* Options under the given prefix (e.g. "sl_init_"): -sl_init_scheme, -sl_init_bias, -sl_init_bias_law,
 * -sl_init_bias_scale, -sl_init_sw, -sl_init_sb, -sl_init_sv, -sl_init_sc, -sl_init_alpha, -sl_init_alpha_in,
 * -sl_init_alpha_out, -sl_init_symmetric, -sl_init_seed. Refuses alpha <= 0 and negative stds, naming the option. */
PETSC_EXTERN PetscErrorCode SLInitParamsSetFromOptions(SLInitParams *p, const char prefix[]);
/* The laws of w, b, v and c for width H, with every scale applied (what the closed forms of section 3 use). */
PETSC_EXTERN PetscErrorCode SLInitGetLaws(const SLInitParams *p, PetscInt H, SLLaw *w, SLLaw *b, SLLaw *v, SLLaw *c);
/* Fill the local neurons (and c) of net. Symmetric init needs H even. */
PETSC_EXTERN PetscErrorCode SLNetworkInitialize(SLNetwork net, const SLInitParams *p);
PETSC_EXTERN PetscErrorCode SLInitParamsView(const SLInitParams *p, PetscViewer viewer);
