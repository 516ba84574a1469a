/* Helpers shared by the training tests (test_train_*.c): data sets, networks with fixed pseudo-random
 * parameters that depend only on the global neuron index (so any rank layout holds the same network), and a
 * one-call training run under a private options database. */
#pragma once
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <splinelens/splinelens.h>
#include <splinelens/train.h>
#include <splinelens/classeval.h>

#define TCHECK(cond, ...) PetscCheck(cond, PETSC_COMM_SELF, PETSC_ERR_PLIB, __VA_ARGS__)

/* splitmix64 of (seed, i, k): a uniform number in [-1, 1). */
static inline PetscReal TTHash(uint64_t seed, uint64_t i, uint64_t k)
{
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL + k * 0x94D049BB133111EBULL + 0x632BE59BD9B4E019ULL;

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z = z ^ (z >> 31);
  return -1.0 + 2.0 * ((PetscReal)(z >> 11) / 9007199254740992.0);
}

/* Width-H network on comm: w = +-wscale (0.5..1), breakpoint beta in [-1.2, 1.2], v in [-vscale, vscale], c = 0.1.
 * Large wscale and small vscale is the lazy regime (breakpoints barely move, docs/theory.md section 5). */
static inline PetscErrorCode TTNetwork(MPI_Comm comm, PetscInt H, PetscBool has_c, uint64_t seed, PetscReal wscale, PetscReal vscale, SLNetwork *net)
{
  PetscInt   Plocal;
  PetscReal *th;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkCreate(comm, H, has_c, net));
  PetscCall(SLNetworkGetSizes(*net, NULL, &Plocal));
  PetscCall(PetscMalloc1(PetscMax(1, Plocal), &th));
  for (PetscInt il = 0; il < (*net)->hlocal; il++) {
    const uint64_t  i    = (uint64_t)((*net)->hstart + il);
    const PetscReal s    = TTHash(seed, i, 0) < 0 ? -1.0 : 1.0;
    const PetscReal w    = wscale * s * (0.75 + 0.25 * TTHash(seed, i, 1));
    const PetscReal beta = 1.2 * TTHash(seed, i, 2);

    th[3 * il]     = w;
    th[3 * il + 1] = -w * beta;
    th[3 * il + 2] = vscale * TTHash(seed, i, 3);
  }
  if ((*net)->owns_c) th[3 * (*net)->hlocal] = 0.1;
  PetscCall(SLNetworkSetParameters(*net, th));
  PetscCall(PetscFree(th));
  PetscFunctionReturn(0);
}

/* y = sin(pi x) on a grid of N points in [-1, 1]. */
static inline PetscErrorCode TTSine(PetscInt N, SLData *data)
{
  PetscFunctionBeginUser;
  PetscCall(SLDataCreate("sine", data));
  PetscCall(SLDataGenerate(*data, SL_DATA_SINE, N, -1.0, 1.0, 0.0, 1));
  TCHECK((*data)->N == N, "sine data has %" PetscInt_FMT " points, expected %" PetscInt_FMT, (*data)->N, N);
  PetscFunctionReturn(0);
}

/* Create a trainer from the options string `opts` alone (a private options database, pushed for the call) and
 * train net on data. */
static inline PetscErrorCode TTTrain(const char opts[], SLNetwork net, SLData data, SLTrainResult *res)
{
  PetscOptions o;
  SLTrainer    tr;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&o));
  PetscCall(PetscOptionsInsertString(o, opts));
  PetscCall(PetscOptionsPush(o));
  PetscCall(SLTrainerCreate(net->comm, &tr));
  PetscCall(SLTrainerSetOptionsPrefix(tr, "sl_train_"));
  PetscCall(SLTrainerSetFromOptions(tr));
  PetscCall(SLTrainerTrain(tr, net, data, res));
  PetscCall(SLTrainerDestroy(&tr));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&o));
  PetscFunctionReturn(0);
}

/* Loss of a local parameter slice (collective), through the activation-class evaluator the trainer uses
 * (classeval.h; bitwise the trainer's numbers) and, if direct is not NULL, through the direct O(H N) kernel. */
static inline PetscErrorCode TTLoss2(SLNetwork net, SLData data, SLLossType type, const PetscReal theta_local[], PetscReal *loss, PetscReal *direct)
{
  SLNetwork   tmp;
  SLClassEval ce;

  PetscFunctionBeginUser;
  PetscCall(SLNetworkDuplicate(net, &tmp));
  PetscCall(SLNetworkSetParameters(tmp, theta_local));
  PetscCall(SLClassEvalCreate(tmp, data, &ce));
  PetscCall(SLClassEvalLossGradient(ce, type, loss, NULL, NULL));
  PetscCall(SLClassEvalDestroy(&ce));
  if (direct) PetscCall(SLNetworkLossGradient(tmp, data, type, direct, NULL, NULL));
  PetscCall(SLNetworkDestroy(&tmp));
  PetscFunctionReturn(0);
}

static inline PetscErrorCode TTLoss(SLNetwork net, SLData data, SLLossType type, const PetscReal theta_local[], PetscReal *loss)
{
  PetscFunctionBeginUser;
  PetscCall(TTLoss2(net, data, type, theta_local, loss, NULL));
  PetscFunctionReturn(0);
}

/* max_i |q_i(1) - q_i(0)| / max(1, max_i |q_i(0)|) over a whole (gathered) parameter vector, q = v^2 - w^2 - b^2. */
static inline PetscReal TTQDrift(PetscInt H, const PetscReal a[], const PetscReal b[])
{
  PetscReal dmax = 0, qmax = 0;

  for (PetscInt i = 0; i < H; i++) {
    PetscReal q0 = a[3 * i + 2] * a[3 * i + 2] - a[3 * i] * a[3 * i] - a[3 * i + 1] * a[3 * i + 1];
    PetscReal q1 = b[3 * i + 2] * b[3 * i + 2] - b[3 * i] * b[3 * i] - b[3 * i + 1] * b[3 * i + 1];

    dmax = PetscMax(dmax, PetscAbsReal(q1 - q0));
    qmax = PetscMax(qmax, PetscAbsReal(q0));
  }
  return dmax / PetscMax(1.0, qmax);
}
