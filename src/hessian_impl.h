/* Private to hessian_*.c and spectrum*.c (not part of the public contract).
 *
 * The structured Hessian of THEORY.md section 4 in either coordinate system: Hess = R + U U^T with
 * U = sqrt(scale) J^T and R block-diagonal. Everything here works on one neuron at a time from the model's
 * parameters, so no P x N or P x P array is ever stored.
 */
#pragma once
#include <splinelens/hessian.h>
#include <splinelens/spectrum.h>

/* The layout facts shared by both coordinate systems. */
typedef struct {
  SLCoordinates coords;
  MPI_Comm      comm;
  PetscInt      H, hstart, hlocal; /* neurons: global width, this rank's range      */
  PetscBool     has_c, owns_c;     /* output bias present / stored on this rank      */
  PetscInt      P, Plocal;         /* parameters: global, local slice              */
  PetscInt      npn;               /* parameters per neuron: 3 (NN) or 2 (BDSO)     */
} SLModelInfo;

PETSC_INTERN PetscErrorCode SLModelGetInfo(SLModel model, SLModelInfo *info);
/* r_n = f(x_n) - y_n (replicated, collective). */
PETSC_INTERN PetscErrorCode SLModelResidual(SLModel model, SLData data, PetscReal r[]);
/* Residual blocks of the local neurons, two numbers each (loss scale included):
 * NN (a_i, d_i) of the 3x3 block; BDSO (e_i, 0) of the 2x2 block [[0, e_i], [e_i, 0]]. */
PETSC_INTERN PetscErrorCode SLModelResidualBlocks(SLModel model, SLData data, SLLossType type, const PetscReal r[], PetscReal blk[]);
/* A copy of the model with the same layout and values (the caller destroys it with SLModelDestroyCopy). */
PETSC_INTERN PetscErrorCode SLModelDuplicate(SLModel model, SLModel *copy);
PETSC_INTERN PetscErrorCode SLModelDestroyCopy(SLModel *copy);
/* u = J z, z_local = J^T u (the streaming products of network.h / spline.h). */
PETSC_INTERN PetscErrorCode SLModelJacobianApply(SLModel model, SLData data, const PetscReal z_local[], PetscReal u[]);
PETSC_INTERN PetscErrorCode SLModelJacobianTransposeApply(SLModel model, SLData data, const PetscReal u[], PetscReal z_local[]);

/* The Jacobian columns of local neuron i (length N each, npn of them, in parameter order), written to
 * col[k*ld + n]. Same formulas and activation rule as SLNetworkJacobian / SLSplineJacobian. */
PETSC_INTERN void SLModelNeuronColumns(SLModel model, SLData data, PetscInt i, PetscReal col[], PetscInt ld);

/* Eigen-decomposition of the residual block of a neuron (THEORY.md section 4), from its two numbers blk:
 * NN: B = rho (u e_v^T + e_v u^T), u = (a, d, 0)/rho: eigenvalues 0 (vector (d, -a, 0)/rho), +rho, -rho
 * (vectors (u +- e_v)/sqrt 2); BDSO [[0, e], [e, 0]]: +-|e|. ev[k] and the orthonormal vectors q[k*npn + j]
 * (k-th vector, component j). For rho = 0 / e = 0 any orthonormal basis is returned. */
PETSC_INTERN void SLModelBlockEigen(SLCoordinates coords, const PetscReal blk[2], PetscReal ev[], PetscReal q[]);

/* Exact eigenvalue counting (hessian_inertia.c): state prepared once (residuals and blocks) and evaluated
 * at many lambdas. */
typedef struct _n_SLHessCount *SLHessCount;
PETSC_INTERN PetscErrorCode SLHessCountCreate(SLModel model, SLData data, SLLossType type, SLHessianPart part, SLHessCount *hc);
PETSC_INTERN PetscErrorCode SLHessCountEval(SLHessCount hc, PetscReal lambda, PetscInt *count, PetscBool *ok);
/* Count at lambda, nudging it in direction dir (+1 up, -1 down) by a relative 1e-12 (growing tenfold, up to
 * 8 tries) when lambda hits an eigenvalue of R; *used receives the lambda actually evaluated. */
PETSC_INTERN PetscErrorCode SLHessCountEvalNudged(SLHessCount hc, PetscReal lambda, PetscInt dir, PetscInt *count, PetscReal *used);
/* Rigorous spectral bounds lo <= lambda_min, lambda_max <= hi (-||R||, trace(J^T J) + ||R||), and a scale of
 * the Hessian (max of ||R|| and the largest diagonal entry of scale J^T J). */
PETSC_INTERN PetscErrorCode SLHessCountGetBounds(SLHessCount hc, PetscReal *lo, PetscReal *hi);
PETSC_INTERN PetscErrorCode SLHessCountGetScale(SLHessCount hc, PetscReal *hscale);
/* The number of neurons whose residual block has spectral radius > thr (rho_i or |e_i|): since J^T J is PSD,
 * #{eig(Hess) < -thr} <= #{eig(R) < -thr} = this number (THEORY.md section 4, with thr = zero_tol). */
PETSC_INTERN PetscErrorCode SLHessCountBound(SLHessCount hc, PetscReal thr, PetscInt *nbound);
PETSC_INTERN PetscErrorCode SLHessCountDestroy(SLHessCount *hc);

/* Log events (registered on first use). */
PETSC_INTERN PetscLogEvent SL_EVENT_HessMult, SL_EVENT_HessCount, SL_EVENT_Spectrum;
PETSC_INTERN PetscErrorCode SLHessianRegisterEvents(void);
