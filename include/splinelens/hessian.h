/* Structured Hessian operators (docs/theory.md section 4): Hess = R + U U^T, R block-diagonal (3x3 per neuron in NN
 * coordinates, 2x2 in BDSO), U = sqrt(scale) J^T (P x N). Never P x P. The data are sorted, so each neuron's active
 * set is a prefix or a suffix of the data: its "activation class" (at most 2N + 3 of them, found once by binary
 * search). Sums over neurons collapse onto the classes: a product costs O(P + N^2), an exact count O(N^3) after an
 * O(P) setup; memory O(P + N^2). Works on distributed networks (MatShell on the network's communicator); every
 * neuron sum is block-deterministic, so results do not depend on the number of ranks.
 */
#pragma once
#include <petscmat.h>
#include <splinelens/spline.h>

typedef enum {
  SL_COORD_NN,  /* (w_i, b_i, v_i [, c])   */
  SL_COORD_BDSO /* (beta_i, mu_i [, c])    */
} SLCoordinates;
#define SL_NCOORDS 2                                /* number of coordinate systems (SLCoordinates values) */
PETSC_EXTERN const char *const SLCoordinateNames[]; /* "nn", "bdso" */

/* The model in one of the coordinate systems: exactly one of net / sp is used. */
typedef struct {
  SLCoordinates coords;
  SLNetwork     net;
  SLSpline      sp;
} SLModel;

/* Matrix-free operator of one Hessian part; local sizes follow the network layout. The residuals and classes are
 * computed once at creation (the operator is frozen at the current parameters: the model is copied; the data set
 * is referenced and must outlive the Mat). Also provides MatGetDiagonal (diag of scale J^T J, O(P)). */
PETSC_EXTERN PetscErrorCode SLHessianCreateShell(SLModel model, SLData data, SLLossType type, SLHessianPart part, Mat *H);
/* As SLHessianCreateShell with what the caller already knows of the model (each may be NULL): the residuals
 * r_n = f(x_n) - y_n (length N, replicated; skips their O(H N) evaluation) and, in NN coordinates, the activation
 * class of every local neuron (the ids of classeval.h, e.g. SLClassEvalGetClasses; skips the binary searches). */
PETSC_EXTERN PetscErrorCode SLHessianCreateShellAt(SLModel model, SLData data, SLLossType type, SLHessianPart part, const PetscReal r[], const PetscInt cls[], Mat *H);
/* Direct solves with shift I + Hess (hessian_solve.c; Woodbury on the class structure, O(P + N^2) per solve after
 * an O(nc + N^3) setup), bordered by k constraints on single neurons: (shift I + Hess) y + E lambda = r, E^T y = c,
 * E's columns unit vectors dir (npn numbers each) in the block of local neuron neuron[j], at most one per neuron.
 * H: a full-Hessian shell of SLHessianCreateShell*. SetUp is collective; *ok = PETSC_FALSE when shift I + R or the
 * small dense systems are (numerically) singular, and Apply must not be called then. Apply (collective): r, y
 * local slices, c the klocal constraint values. Bitwise independent of the number of ranks. */
typedef struct _n_SLHessSolve *SLHessSolve;
PETSC_EXTERN PetscErrorCode    SLHessianSolveCreate(SLHessSolve *hs);
PETSC_EXTERN PetscErrorCode    SLHessianSolveSetUp(SLHessSolve hs, Mat H, PetscReal shift, PetscInt klocal, const PetscInt neuron[], const PetscReal dir[], PetscBool *ok);
PETSC_EXTERN PetscErrorCode    SLHessianSolveApply(SLHessSolve hs, const PetscReal r[], const PetscReal c[], PetscReal y[]);
PETSC_EXTERN PetscErrorCode    SLHessianSolveDestroy(SLHessSolve *hs);
/* Dense P x P (sequential models only). */
PETSC_EXTERN PetscErrorCode SLHessianCreateDense(SLModel model, SLData data, SLLossType type, SLHessianPart part, Mat *H);
/* Exact number of eigenvalues < lambda by Haynsworth inertia additivity (docs/theory.md section 4):
 * nu_-(R - lambda I) + nu_-(-I_N - U^T (R - lambda I)^{-1} U) - N. lambda must not be an eigenvalue of R (the
 * call reports *ok = PETSC_FALSE when a block of R - lambda I is numerically singular). The N x N matrix is
 * assembled from 2x2 class aggregates: O(P) setup per call, then O(N^3) (LDL^T inertia); the spectrum solver
 * reuses the setup for all its counts. Collective; the same integer on every rank for any number of ranks. */
PETSC_EXTERN PetscErrorCode SLHessianCountBelow(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscReal lambda, PetscInt *count, PetscBool *ok);
/* The k-th smallest eigenvalue (k = 0 .. P-1) of a Hessian part by bisection on SLHessianCountBelow, to
 * rtol times the Hessian's scale: any single eigenvalue (e.g. the 10 most negative) of any width, exactly
 * up to rtol. Collective on the model's communicator; rank-count independent. */
PETSC_EXTERN PetscErrorCode SLHessianEigenvalueBisect(SLModel model, SLData data, SLLossType type, SLHessianPart part, PetscInt k, PetscReal rtol, PetscReal *lambda);
