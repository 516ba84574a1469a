#!/bin/bash
# A wide run trained by an adaptive integrator on a group of 2 and of 3 ranks gives training outputs bitwise those
# of 1 rank: the step controller "slbasic" (src/train/train_adapt.c) sums its weighted error norm by the
# fixed-order block reduction over neurons, so every accept/reject decision and step size is the same on any
# number of ranks.
#   wide_adapt.sh BIN SRC rk        explicit adaptive RK (-sl_train_conservative false: TSRK 3bs)
#   wide_adapt.sh BIN SRC sdirk     the default implicit SDIRK (its stage solves are rank-count independent too)
#   wide_adapt.sh BIN SRC midpoint  the implicit midpoint rule (its own backward-difference error estimate)
#   wide_adapt.sh BIN SRC basic     the control: explicit RK with PETSc's own controller
#                                   (-sl_train_ts_adapt_type basic, whose error norm is an MPI sum of the ranks'
#                                   partial sums) on 1 and 2 ranks must DIFFER, which shows the comparison sees
#                                   what the other modes rule out. (With 3 ranks each rank holds one of the 3
#                                   neuron blocks and the MPI sum happens to add them in block order.)
BIN=$1 SRC=$2 MODE=${3:-rk}
. "$SRC/tests/e2e/lib.sh"

# H = 3000: three 1024-neuron blocks. Explicit RK: 500 accepted steps of the stiff flow (about 3 s per run on an
# idle machine; PETSc's basic controller already differs between 1 and 2 ranks after them); implicit: 100 steps.
opts=(-sl_widths 3000 -sl_seeds 0 -sl_alphas 1 -sl_schemes lecun_normal -sl_datasets sine -sl_data_sine_n 16
      -sl_train_max_time 10 -sl_train_loss_tol 1e-8 -sl_train_rtol 1e-6 -sl_train_atol 1e-6 -sl_train_curve 8
      -sl_train_snapshots 3 -sl_coords nn -sl_hess_stages final -sl_eig_hist_bins 20 -sl_wide_threshold 1)
case $MODE in
  rk | basic) opts+=(-sl_train_conservative false -sl_train_max_steps 500) ;;
  sdirk | midpoint) opts+=(-sl_train_implicit "$MODE" -sl_train_max_steps 100) ;;
  *) fail "unknown mode $MODE" ;;
esac
# the Hessian eigenpairs' residual norms are not training outputs (they differ at ~1e-27 between rank counts)
cmp_opts=(--exclude /runinfo --exclude /spectra/final/nn/full/residuals)

if [ "$MODE" = basic ]; then
  opts+=(-sl_train_ts_adapt_type basic)
  ranks=(2)
else
  ranks=(2 3)
fi
run_study 1 "$WORK/one.h5" "${opts[@]}" || fail "1-rank run exited $? ($(tail -3 "$WORK/one.h5.log"))"
for n in "${ranks[@]}"; do
  run_study "$n" "$WORK/r$n.h5" "${opts[@]}" || fail "$n-rank run exited $? ($(tail -3 "$WORK/r$n.h5.log"))"
  grep -q "1 on groups of $n ranks" "$WORK/r$n.h5.log" || fail "the run was not on a group of $n: $(grep 'runs to do' "$WORK/r$n.h5.log")"
done
$PY - "$WORK/one.h5" <<'PYEOF' || fail "the 1-rank run did not train"
import h5py, sys
r = h5py.File(sys.argv[1], "r")["runs"]
print("1 rank: status %d, stop %s, steps %d, t %.6g, loss %.3e -> %.3e"
      % (r["status"][0], r["stop_reason"][0].decode(), r["steps"][0], r["final_time"][0], r["init_loss"][0], r["final_loss"][0]))
sys.exit(0 if r["status"][0] == 1 and r["steps"][0] >= 50 and r["final_loss"][0] < r["init_loss"][0] else 1)
PYEOF
if [ "$MODE" = basic ]; then
  $COMPARE "$WORK/one.h5" "$WORK/r2.h5" "${cmp_opts[@]}"
  rc=$?
  [ $rc -eq 0 ] && fail "control: with PETSc's basic controller 2 ranks gave results bitwise those of 1 rank (the comparison cannot tell)"
  [ $rc -eq 1 ] || fail "control: splinelens-compare exited $rc"
  echo "control: PETSc's basic controller on 2 ranks differs from 1 rank (above), as expected"
  exit 0
fi
for n in "${ranks[@]}"; do
  $COMPARE "$WORK/one.h5" "$WORK/r$n.h5" "${cmp_opts[@]}" || fail "the $n-rank run differs from the 1-rank run (above)"
done
echo "$MODE on groups of 2 and 3 ranks: every training output bitwise that of 1 rank"
