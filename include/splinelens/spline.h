/* The spline (BDSO) view of a network (docs/theory.md section 2 and 4): breakpoints beta_i = -b_i/w_i,
 * delta-slopes mu_i = v_i |w_i|, orientations s_i = sign(w_i), so f(x) = sum_i mu_i (s_i (x - beta_i))_+ [+ c].
 *
 * A neuron with w_i = 0 is flat: it has no breakpoint (beta_i = NaN, s_i = 0) and adds the constant
 * mu_i := v_i (b_i)_+ to f; it is flagged, never divided by. Layout and collectives as in network.h.
 * BDSO parameters phi (local slice): phi[2i] = beta_i, phi[2i+1] = mu_i, c last on the last rank.
 */
#pragma once
#include <splinelens/network.h>

typedef struct _n_SLSpline *SLSpline;
struct _n_SLSpline {
  MPI_Comm   comm;
  PetscInt   H, hstart, hlocal;
  PetscBool  has_c, owns_c;
  PetscReal *beta;  /* hlocal breakpoints (NaN for flat neurons)        */
  PetscReal *mu;    /* hlocal delta-slopes (the constant for flat ones) */
  PetscInt  *s;     /* hlocal orientations: +1, -1, or 0 (flat)         */
  PetscReal  c;     /* output bias (replicated)                         */
  PetscInt   nflat; /* global number of flat neurons                     */
};

typedef struct {
  PetscReal R_total;  /* sum_i mu_i^2 over all neurons with a breakpoint              */
  PetscReal R_in;     /* the same over breakpoints inside [xmin, xmax]                 */
  PetscReal frac_in;  /* fraction of breakpoints inside [xmin, xmax]                    */
  PetscReal max_kink; /* max |mu_i| over breakpoints inside [xmin, xmax] (0 if none)    */
  PetscInt  n_in;     /* number of breakpoints inside [xmin, xmax]                      */
} SLRoughness;

PETSC_EXTERN PetscErrorCode SLSplineCreateFromNetwork(SLNetwork net, SLSpline *sp);
/* Re-read the values of net into an existing spline of the same layout. */
PETSC_EXTERN PetscErrorCode SLSplineUpdateFromNetwork(SLSpline sp, SLNetwork net);
/* Inverse map with hidden scale scale_i > 0 (scale == NULL: all 1): w = s c, b = -s c beta, v = mu / c. Flat
 * neurons map to w = 0, b = scale_i, v = mu_i / scale_i. net must have the spline's layout. */
PETSC_EXTERN PetscErrorCode SLSplineToNetwork(SLSpline sp, const PetscReal scale_local[], SLNetwork net);
PETSC_EXTERN PetscErrorCode SLSplineDestroy(SLSpline *sp);
PETSC_EXTERN PetscErrorCode SLSplineGetSizes(SLSpline sp, PetscInt *P, PetscInt *Plocal); /* 2H (+1) */
PETSC_EXTERN PetscErrorCode SLSplineGetParameters(SLSpline sp, PetscReal phi_local[]);
PETSC_EXTERN PetscErrorCode SLSplineSetParameters(SLSpline sp, const PetscReal phi_local[]); /* orientations kept */

PETSC_EXTERN PetscErrorCode SLSplineEvaluate(SLSpline sp, PetscInt n, const PetscReal x[], PetscReal f[]);
/* Loss and BDSO gradient: dl/dmu_i = scale s_i sum_{A_i} r_n (x_n - beta_i), dl/dbeta_i = -scale s_i mu_i sum_{A_i} r_n
 * (flat neurons: dl/dbeta = 0, dl/dmu = scale sum_n r_n). r (may be NULL) receives the residuals. */
PETSC_EXTERN PetscErrorCode SLSplineLossGradient(SLSpline sp, SLData data, SLLossType type, PetscReal *loss, PetscReal g_local[], PetscReal r[]);
/* Local columns of the BDSO Jacobian J_s (N x Plocal, row-major). */
PETSC_EXTERN PetscErrorCode SLSplineJacobian(SLSpline sp, SLData data, PetscReal J[]);
PETSC_EXTERN PetscErrorCode SLSplineJacobianApply(SLSpline sp, SLData data, const PetscReal z_local[], PetscReal u[]);
PETSC_EXTERN PetscErrorCode SLSplineJacobianTransposeApply(SLSpline sp, SLData data, const PetscReal u[], PetscReal z_local[]);
/* Residual term: 2x2 block per neuron with off-diagonal e_i = -scale s_i sum_{A_i} r_n (eigenvalues +-|e_i|). */
PETSC_EXTERN PetscErrorCode SLSplineResidualBlocks(SLSpline sp, SLData data, SLLossType type, const PetscReal r[], PetscReal e[]);
PETSC_EXTERN PetscErrorCode SLSplineHessianDense(SLSpline sp, SLData data, SLLossType type, SLHessianPart part, Mat *H);

/* Roughness and flatness measures over the data range [xmin, xmax] (collective). */
PETSC_EXTERN PetscErrorCode SLSplineRoughness(SLSpline sp, PetscReal xmin, PetscReal xmax, SLRoughness *rough);
/* All breakpoints sorted increasingly with their global neuron index (flat neurons excluded), gathered on
 * every rank; *nb receives their number. beta_sorted and index must hold H entries. */
PETSC_EXTERN PetscErrorCode SLSplineSortedBreakpoints(SLSpline sp, PetscInt *nb, PetscReal beta_sorted[], PetscInt index[]);
PETSC_EXTERN PetscErrorCode SLSplineView(SLSpline sp, PetscViewer viewer);
