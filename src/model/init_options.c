/* Initialization parameters: defaults, options, view (init.h). */
#include <splinelens/init.h>
#include "model_impl.h"

PetscErrorCode SLInitParamsSetDefaults(SLInitParams *p)
{
  PetscFunctionBeginUser;
  p->scheme     = SL_INIT_LECUN_NORMAL;
  p->bias       = SL_BIAS_SAME;
  p->bias_law   = SL_LAW_NORMAL;
  p->bias_scale = 1.0;
  p->sw = p->sb = p->sv = p->sc = 1.0;
  p->alpha = p->alpha_in = p->alpha_out = 1.0;
  p->symmetric                          = PETSC_FALSE;
  p->seed                               = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode SLInitParamsSetFromOptions(SLInitParams *p, const char prefix[])
{
  PetscFunctionBeginUser;
  /* PetscOptionsEnum would stop on an unknown name without listing the valid ones */
  PetscCall(SLOptionsCheckEnum(prefix, "-scheme", SLInitSchemes));
  PetscCall(SLOptionsCheckEnum(prefix, "-bias", SLBiasPolicies));
  PetscCall(SLOptionsCheckEnum(prefix, "-bias_law", SLLawKinds));
  PetscOptionsBegin(PETSC_COMM_WORLD, prefix, "Initialization (docs/theory.md section 3)", NULL);
  PetscCall(PetscOptionsEnum("-scheme", "Initialization scheme", "SLInitParamsSetFromOptions", SLInitSchemes, (PetscEnum)p->scheme, (PetscEnum *)&p->scheme, NULL));
  PetscCall(PetscOptionsEnum("-bias", "Bias policy: same (the scheme's law of b), zero (all breakpoints at 0), explicit (-bias_law, -bias_scale)", "SLInitParamsSetFromOptions", SLBiasPolicies, (PetscEnum)p->bias, (PetscEnum *)&p->bias, NULL));
  PetscCall(PetscOptionsEnum("-bias_law", "Law of b with -bias explicit: normal N(0, s^2), uniform U(-s, s), zero", "SLInitParamsSetFromOptions", SLLawKinds, (PetscEnum)p->bias_law, (PetscEnum *)&p->bias_law, NULL));
  PetscCall(PetscOptionsReal("-bias_scale", "Std (normal) or half-width (uniform) s of b with -bias explicit", "SLInitParamsSetFromOptions", p->bias_scale, &p->bias_scale, NULL));
  PetscCall(PetscOptionsReal("-sw", "Std of w (gaussian scheme)", "SLInitParamsSetFromOptions", p->sw, &p->sw, NULL));
  PetscCall(PetscOptionsReal("-sb", "Std of b (gaussian scheme)", "SLInitParamsSetFromOptions", p->sb, &p->sb, NULL));
  PetscCall(PetscOptionsReal("-sv", "Std of v (gaussian scheme)", "SLInitParamsSetFromOptions", p->sv, &p->sv, NULL));
  PetscCall(PetscOptionsReal("-sc", "Std of the output bias c (gaussian scheme)", "SLInitParamsSetFromOptions", p->sc, &p->sc, NULL));
  PetscCall(PetscOptionsReal("-alpha", "Global scale of every parameter (> 0; f_0 scales as alpha^2)", "SLInitParamsSetFromOptions", p->alpha, &p->alpha, NULL));
  PetscCall(PetscOptionsReal("-alpha_in", "Extra scale of the first layer w, b (> 0)", "SLInitParamsSetFromOptions", p->alpha_in, &p->alpha_in, NULL));
  PetscCall(PetscOptionsReal("-alpha_out", "Extra scale of the second layer v, c (> 0)", "SLInitParamsSetFromOptions", p->alpha_out, &p->alpha_out, NULL));
  PetscCall(PetscOptionsBool("-symmetric", "Neurons H/2..H-1 mirror 0..H/2-1 with v negated and c = 0, so f_0 = 0 (H even)", "SLInitParamsSetFromOptions", p->symmetric, &p->symmetric, NULL));
  PetscCall(SLOptionsBoundedInt("-seed", "Seed of the counter-based generator", "SLInitParamsSetFromOptions", p->seed, &p->seed, NULL, 0, PETSC_MAX_INT));
  PetscOptionsEnd();
  PetscCall(SLInitParamsCheck(p, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode SLInitParamsView(const SLInitParams *p, PetscViewer viewer)
{
  PetscBool iascii;

  PetscFunctionBeginUser;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_WORLD;
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "Initialization: scheme %s, bias %s, seed %" PetscInt_FMT "%s\n", SLInitSchemes[p->scheme], SLBiasPolicies[p->bias], p->seed, p->symmetric ? ", symmetric (f_0 = 0)" : ""));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "scales: alpha %.6g, alpha_in %.6g, alpha_out %.6g\n", (double)p->alpha, (double)p->alpha_in, (double)p->alpha_out));
  if (p->scheme == SL_INIT_GAUSSIAN) PetscCall(PetscViewerASCIIPrintf(viewer, "gaussian stds: sw %.6g, sb %.6g, sv %.6g, sc %.6g\n", (double)p->sw, (double)p->sb, (double)p->sv, (double)p->sc));
  if (p->bias == SL_BIAS_EXPLICIT) PetscCall(PetscViewerASCIIPrintf(viewer, "explicit bias law: %s, scale %.6g\n", SLLawKinds[p->bias_law], (double)p->bias_scale));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}
