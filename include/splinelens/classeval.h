/* Activation-class evaluation of a shallow ReLU network (docs/theory.md section 4, "Activation classes"):
 * residual, loss, gradient and residual blocks in O(H log N + N) instead of the O(H N) of the direct kernels of
 * network.h, with classes updated incrementally along a trajectory.
 *
 * On sorted data x_0 < ... < x_{N-1} the active set of neuron i, {n : w_i x_n + b_i > 0} (the predicate of
 * network_eval.c, evaluated in floating point: fl(w x + b) is monotone in x, so the set found by binary search
 * is exactly the direct kernel's mask, breakpoints on data points and w = 0 included), is a suffix [k, N)
 * (w > 0), a prefix [0, k) (w < 0), or everything / nothing (w = 0: b > 0 / b <= 0). Class ids (the NN ids of
 * the hessian layer's classes), nc = 2N + 2:
 *   c in [0, N]        suffix [c, N)           (c = 0: every point, c = N: dead)
 *   c in [N+1, 2N+1]   prefix [0, c - N - 1)   (only 0 < k < N occur: full / empty prefixes are ids 0 / N)
 * Per class A_c = sum_{i in c} v_i w_i and B_c = sum_{i in c} v_i b_i give f(x_n) = x_n sum_{c active at n} A_c
 * + sum_{c active at n} B_c (+ c) by prefix / suffix sums over k, and the residual moments S1_c = sum_{A_c} r_n x_n,
 * S0_c = sum_{A_c} r_n give the gradient neuron by neuron: (dl/dw, dl/db, dl/dv) = scale (v S1, v S0, w S1 + b S0),
 * dl/dc = scale sum_n r_n, residual blocks (a_i, d_i) = scale (S1_c, S0_c).
 *
 * Determinism: A_c, B_c are summed per SL_NEURON_BLOCK block in neuron order (from +0), and the block partials
 * added in block order (from +0): the order of SLBlockReduce (sys.h), so every output is bitwise independent of
 * the number of ranks. Everything after that (f, r, moments) is replicated sequential O(N) work; the gradient is
 * local per neuron. The results agree with the direct kernels to rounding, not bit for bit (other summation
 * order): the error of f is O(eps) relative to sum_i |v_i| (|w_i x_n| + |b_i|), that of the gradient O(eps)
 * relative to |v_i| sum |r_n x_n|, ... (tests/model/test_classeval.c checks 1e-13 of those scales).
 *
 * Life cycle. The evaluator keeps references to net and data (not copies): data must not change while it
 * lives, and after any change of the network's parameters SLClassEvalUpdate must be called before the next
 * evaluation (the class sums are computed there). A trainer evaluating the gradient-flow right-hand side
 * d theta/dt = -grad l(theta) would do, once per run:
 *     SLClassEvalCreate(net, data, &ce);
 * and per right-hand-side evaluation at the local slice theta_local (length Plocal, c last on its owner):
 *     SLClassEvalUpdate(ce, theta_local, &nchanged);           (copies theta into net; NULL: net is current)
 *     SLClassEvalLossGradient(ce, type, &loss, g_local, r);     (g_local: the local slice of grad l)
 *     rhs_local = -g_local
 * then SLClassEvalDestroy(&ce). Between nearby states (one ODE step) few breakpoints cross data points, so the
 * update costs O(H) checks of two activations per neuron plus a binary search for each neuron that changed
 * class; Create and SLClassEvalRebuild classify every neuron by binary search.
 */
#pragma once
#include <splinelens/network.h>

typedef struct _n_SLClassEval *SLClassEval;

/* Classify the local neurons of net on data (strictly increasing x) and compute the class sums. Collective on
 * net->comm. */
PETSC_EXTERN PetscErrorCode SLClassEvalCreate(SLNetwork net, SLData data, SLClassEval *ce);
PETSC_EXTERN PetscErrorCode SLClassEvalDestroy(SLClassEval *ce);
/* New parameters: theta_local (this rank's slice, as SLNetworkSetParameters takes it; NULL: net already holds
 * them). Neurons whose class no longer matches are re-classified by binary search; nchanged (may be NULL)
 * receives the global number of such neurons. Then the class sums. Collective. */
PETSC_EXTERN PetscErrorCode SLClassEvalUpdate(SLClassEval ce, const PetscReal theta_local[], PetscInt *nchanged);
/* From scratch: every neuron by binary search, then the class sums (what Create does). Collective. */
PETSC_EXTERN PetscErrorCode SLClassEvalRebuild(SLClassEval ce);

/* r_n = f(x_n) - y_n (length N, replicated). Not collective (the class sums are replicated). */
PETSC_EXTERN PetscErrorCode SLClassEvalResidual(SLClassEval ce, PetscReal r[]);
/* Loss (1/2 sum r^2 or its mean) of the current parameters. */
PETSC_EXTERN PetscErrorCode SLClassEvalLoss(SLClassEval ce, SLLossType type, PetscReal *loss);
/* As SLNetworkLossGradient: loss (may be NULL), g_local = scale J^T r (local slice, may be NULL), r (length N,
 * may be NULL) the residuals. Not collective. */
PETSC_EXTERN PetscErrorCode SLClassEvalLossGradient(SLClassEval ce, SLLossType type, PetscReal *loss, PetscReal g_local[], PetscReal r[]);
/* As SLNetworkResidualBlocks for the given residuals r (length N): a_i = scale S1_c, d_i = scale S0_c. */
PETSC_EXTERN PetscErrorCode SLClassEvalResidualBlocks(SLClassEval ce, SLLossType type, const PetscReal r[], PetscReal a[], PetscReal d[]);
/* Class id of every local neuron (hlocal numbers, owned by ce) and the number of class ids nc = 2N + 2. */
PETSC_EXTERN PetscErrorCode SLClassEvalGetClasses(SLClassEval ce, PetscInt *nc, const PetscInt *cls[]);
/* Number of distinct non-empty classes (global; collective) and of neurons in dead classes (global). */
PETSC_EXTERN PetscErrorCode SLClassEvalGetClassCounts(SLClassEval ce, PetscInt *nclasses, PetscInt *ndead);
