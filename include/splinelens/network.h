/* The shallow univariate ReLU network f(x) = sum_i v_i (w_i x + b_i)_+ [+ c] in NN coordinates
 * (docs/theory.md sections 1 and 4): evaluation, residuals, loss, gradient, Jacobian, and the Hessian split as
 * Hess = J^T J + R with R block-diagonal (one 3x3 block per neuron, entries a_i, d_i).
 *
 * A network may be distributed over a communicator by contiguous, SL_NEURON_BLOCK-aligned neuron ranges.
 * Arrays indexed by parameter ("_local") hold this rank's 3*hlocal parameters, plus c on the last rank when
 * the network has an output bias: exactly the local part of a PETSc Vec in the global neuron-major order.
 * Arrays indexed by data point (length N) are replicated and identical on every rank. All functions that
 * return N-vectors or scalars are collective and bitwise independent of the number of ranks.
 */
#pragma once
#include <petscmat.h>
#include <splinelens/sys.h>
#include <splinelens/data.h>

typedef enum {
  SL_HESS_FULL,         /* J^T J + R                      */
  SL_HESS_GAUSS_NEWTON, /* J^T J                          */
  SL_HESS_RESIDUAL      /* R (block-diagonal residual term) */
} SLHessianPart;
#define SL_NPARTS 3 /* number of Hessian parts (SLHessianPart values) */
PETSC_EXTERN const char *const SLHessianParts[];

typedef struct _n_SLNetwork *SLNetwork;
struct _n_SLNetwork {
  MPI_Comm   comm;   /* neurons are split over it (PETSC_COMM_SELF: whole network here) */
  PetscInt   H;      /* global width                                                   */
  PetscInt   hstart; /* first neuron stored here                                       */
  PetscInt   hlocal; /* number of neurons stored here                                  */
  PetscBool  has_c;  /* output bias present                                            */
  PetscBool  owns_c; /* this rank stores c in its local parameter slice (last rank)   */
  PetscReal *theta;  /* 3*hlocal numbers (w,b,v neuron-major), then c if owns_c         */
  PetscReal  c;      /* output bias, replicated on every rank (0 without output bias)  */
};

/* Create a width-H network distributed over comm (block-aligned ranges, as even as possible). */
PETSC_EXTERN PetscErrorCode SLNetworkCreate(MPI_Comm comm, PetscInt H, PetscBool has_c, SLNetwork *net);
/* The neuron range rank `rank` of `size` gets for width H: block-aligned, deterministic. */
PETSC_EXTERN PetscErrorCode SLNetworkLayout(PetscInt H, PetscMPIInt size, PetscMPIInt rank, PetscInt *hstart, PetscInt *hlocal);
PETSC_EXTERN PetscErrorCode SLNetworkDuplicate(SLNetwork net, SLNetwork *copy); /* same layout and values */
PETSC_EXTERN PetscErrorCode SLNetworkDestroy(SLNetwork *net);
/* P = 3H (+1) globally, and the local slice length. */
PETSC_EXTERN PetscErrorCode SLNetworkGetSizes(SLNetwork net, PetscInt *P, PetscInt *Plocal);
/* Copy a local parameter slice in / out (after SetParameters, c is re-broadcast from its owner). */
PETSC_EXTERN PetscErrorCode SLNetworkSetParameters(SLNetwork net, const PetscReal theta_local[]);
PETSC_EXTERN PetscErrorCode SLNetworkGetParameters(SLNetwork net, PetscReal theta_local[]);
/* Gather the whole parameter vector (length P) on every rank (for output and small checks). */
PETSC_EXTERN PetscErrorCode SLNetworkGatherParameters(SLNetwork net, PetscReal theta[]);
PETSC_EXTERN PetscErrorCode SLNetworkView(SLNetwork net, PetscViewer viewer);

/* f(x_k) for k < n (collective; f replicated). */
PETSC_EXTERN PetscErrorCode SLNetworkEvaluate(SLNetwork net, PetscInt n, const PetscReal x[], PetscReal f[]);
/* r_n = f(x_n) - y_n. */
PETSC_EXTERN PetscErrorCode SLNetworkResidual(SLNetwork net, SLData data, PetscReal r[]);
/* Loss of residuals r (1/2 sum r^2, or its mean variant). */
PETSC_EXTERN PetscErrorCode SLLossFromResidual(SLLossType type, PetscInt N, const PetscReal r[], PetscReal *loss);
/* Loss and gradient g_local = scale * J^T r (local slice). r (length N, may be NULL) receives the residuals. */
PETSC_EXTERN PetscErrorCode SLNetworkLossGradient(SLNetwork net, SLData data, SLLossType type, PetscReal *loss, PetscReal g_local[], PetscReal r[]);
/* Local columns of the N x P Jacobian of (f(x_n))_n, row-major: J[n*Plocal + p]. */
PETSC_EXTERN PetscErrorCode SLNetworkJacobian(SLNetwork net, SLData data, PetscReal J[]);
/* u = J z (z local slice, u length N replicated; deterministic block reduction) and z_local = J^T u. Both
 * stream over neurons: O(P N) work and no stored Jacobian. */
PETSC_EXTERN PetscErrorCode SLNetworkJacobianApply(SLNetwork net, SLData data, const PetscReal z_local[], PetscReal u[]);
PETSC_EXTERN PetscErrorCode SLNetworkJacobianTransposeApply(SLNetwork net, SLData data, const PetscReal u[], PetscReal z_local[]);
/* Residual-term blocks for local neurons: a_i = scale sum_n r_n x_n 1_ni, d_i = scale sum_n r_n 1_ni. The 3x3
 * block of neuron i has (v,w) = (w,v) = a_i and (v,b) = (b,v) = d_i, eigenvalues +-sqrt(a^2+d^2), 0. */
PETSC_EXTERN PetscErrorCode SLNetworkResidualBlocks(SLNetwork net, SLData data, SLLossType type, const PetscReal r[], PetscReal a[], PetscReal d[]);
/* Number of active data points |A_i| of each local neuron (0: dead neuron). */
PETSC_EXTERN PetscErrorCode SLNetworkActiveCounts(SLNetwork net, SLData data, PetscInt count[]);
/* Number of dead neurons (no active data point; the zeros of SLNetworkActiveCounts), global. On sorted data O(1)
 * per neuron (the activation is monotone along the points, so only the two end points are evaluated), else the
 * direct O(N). Collective. */
PETSC_EXTERN PetscErrorCode SLNetworkDeadCount(SLNetwork net, SLData data, PetscInt *ndead);
/* Number of (neuron, point) pairs with |w_i x_n + b_i| <= tol (|w_i x_n| + |b_i|): a breakpoint on a data point,
 * where the ReLU's second derivative is a Dirac term the analytic Hessian omits. Collective, global count. On
 * sorted data (and tol < 1) O(log N) per neuron plus the pairs counted, else O(N) per neuron. */
PETSC_EXTERN PetscErrorCode SLNetworkBreakpointsOnData(SLNetwork net, SLData data, PetscReal tol, PetscInt *count);
/* Dense P x P Hessian (or one part of it) as a MATSEQDENSE; sequential networks only (comm size 1). */
PETSC_EXTERN PetscErrorCode SLNetworkHessianDense(SLNetwork net, SLData data, SLLossType type, SLHessianPart part, Mat *H);
