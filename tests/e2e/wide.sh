#!/bin/bash
# Wide runs on a group of ranks: a study whose runs exceed -sl_wide_threshold runs each on both ranks
# (neurons split in 1024-neuron blocks). Gradient descent and every neuron sum are reduced in a fixed block
# order, so training and the exact counts/histograms are bitwise those of a one-rank run; the Krylov-Schur
# extremes agree to the eigensolver tolerance. Spectra at init, end and every snapshot; the eigenvectors of the
# extremes (class-reduced, lifted neuron by neuron) are bitwise those of one rank and are eigenvectors.
#
# "wide.sh BIN SRC train" (test e2e_wide_train) is the trained wide run instead: the default integrator (L-stable
# SDIRK, Newton with direct solves on the class structure) on H = 20000 neurons, sine N = 16, trained to an end
# state on groups of 2 and 3 ranks, bitwise against the same run on 1 rank (see the train section below).
BIN=$1 SRC=$2 MODE=${3:-spectra}
. "$SRC/tests/e2e/lib.sh"

if [ "$MODE" = train ]; then
  # N = 16 and loss_tol 1e-6 keep the runs (about 60 implicit steps each) within seconds on an idle machine.
  topts=(-sl_widths 20000 -sl_seeds 0 -sl_alphas 1 -sl_schemes lecun_normal -sl_datasets sine -sl_data_sine_n 16
         -sl_train_max_time 1e5 -sl_train_loss_tol 1e-6 -sl_train_grad_rtol 1e-9 -sl_train_rtol 1e-6 -sl_train_atol 1e-6
         -sl_train_curve 8 -sl_train_snapshots 2 -sl_output_max_snapshot_params 0
         -sl_coords nn -sl_hess_stages final -sl_eig_hist_bins 20 -sl_wide_threshold 1)
  run_study 1 "$WORK/one.h5" "${topts[@]}" || fail "1-rank run exited $? ($(tail -3 "$WORK/one.h5.log"))"
  run_study 2 "$WORK/two.h5" "${topts[@]}" || fail "2-rank run exited $? ($(tail -3 "$WORK/two.h5.log"))"
  run_study 3 "$WORK/three.h5" "${topts[@]}" || fail "3-rank run exited $? ($(tail -3 "$WORK/three.h5.log"))"
  grep -q "1 on groups of 2 ranks" "$WORK/two.h5.log" || fail "the run was not on a group: $(grep 'runs to do' "$WORK/two.h5.log")"
  grep -q "1 on groups of 3 ranks" "$WORK/three.h5.log" || fail "the run was not on a group of 3: $(grep 'runs to do' "$WORK/three.h5.log")"
  # End state on the group: done, interpolating or stationary, q conserved (claim 9), the end-state checks hold.
  $PY - "$WORK/one.h5" "$WORK/two.h5" "$WORK/three.h5" <<'PYEOF' || fail "trained wide run: see above"
import h5py, sys
bad = []
for fn, name in zip(sys.argv[1:4], ("1 rank", "2 ranks", "3 ranks")):
    f = h5py.File(fn, "r")
    r = f["runs"]
    reason = r["stop_reason"][0].decode()
    print("%s: status %d, stop %s, steps %d, t %.6g, loss %.3e -> %.3e, q drift %.2e, checks_ok %d, group %d"
          % (name, r["status"][0], reason, r["steps"][0], r["final_time"][0], r["init_loss"][0], r["final_loss"][0],
             r["q_drift"][0], r["checks_ok"][0], f["runinfo/group_size"][0]))
    if r["status"][0] != 1 or reason not in ("loss_tol", "stationary"):
        bad.append("%s: no end state (status %d, stop %s)" % (name, r["status"][0], reason))
    if not r["q_drift"][0] <= 1e-10:
        bad.append("%s: q drift %.3e > 1e-10" % (name, r["q_drift"][0]))
    if r["checks_ok"][0] != 1:
        bad.append("%s: end-state spectrum checks failed" % name)
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PYEOF
  # The whole training (every Newton step is a direct solve, the step control and the Newton test use fixed-order
  # reductions: no Krylov inner products) is bitwise that of one rank: every dataset but the run info and the
  # eigenpair residual norms of the spectrum solver (Krylov-Schur on the group).
  for k in two three; do
    $COMPARE "$WORK/one.h5" "$WORK/$k.h5" --exclude /runinfo --exclude /spectra/final/nn/full/residuals \
      || fail "trained wide run on a group ($k ranks) differs from 1 rank"
  done
  echo "trained wide run on groups of 2 and 3 ranks: end state reached, bitwise that of 1 rank"
  exit 0
fi
opts=(-sl_widths 2500,3000 -sl_seeds 0 -sl_alphas 1 -sl_datasets sine -sl_data_sine_n 12 -sl_train_gd -sl_train_lr 0.002
      -sl_train_max_steps 200 -sl_train_max_time 0.4 -sl_train_snapshots 3 -sl_train_curve 6 -sl_coords nn,bdso
      -sl_hess_stages init,final,snapshots -sl_eig_vectors -sl_eig_dense_max 500 -sl_eig_nev 4 -sl_eig_hist_bins 16 -sl_wide_threshold 1)
run_study 1 "$WORK/one.h5" "${opts[@]}" || fail "1-rank run exited $? ($(tail -3 "$WORK/one.h5.log"))"
run_study 2 "$WORK/two.h5" "${opts[@]}" || fail "2-rank run exited $? ($(tail -3 "$WORK/two.h5.log"))"
grep -q "2 on groups of 2 ranks" "$WORK/two.h5.log" || fail "the runs were not distributed: $(grep 'runs to do' "$WORK/two.h5.log")"
$PY - "$WORK/two.h5" <<'PYEOF' || fail "group size not recorded as 2"
import h5py, sys
g = h5py.File(sys.argv[1], "r")["runinfo/group_size"][:]
sys.exit(0 if (g == 2).all() else 1)
PYEOF
# Everything but the eigenvalues (and what is derived from them) is bitwise identical.
$COMPARE "$WORK/one.h5" "$WORK/two.h5" --exclude /runinfo --exclude /spectra || fail "training/network content differs between 1 and 2 ranks"
for st in init final snapshots; do for c in nn bdso; do
  for leaf in n_neg n_zero n_pos n_bound; do
    $PY -c "import h5py,sys,numpy as np; a,b=(h5py.File(f,'r')['spectra/$st/$c/full/$leaf'][:] for f in sys.argv[1:]); sys.exit(0 if np.array_equal(a,b) else 1)" "$WORK/one.h5" "$WORK/two.h5" || fail "$st/$c $leaf differ"
  done
done; done
$COMPARE "$WORK/one.h5" "$WORK/two.h5" --rtol 1e-7 --exclude /runinfo --exclude /spectra/init/nn/full/residuals --exclude /spectra/init/bdso/full/residuals --exclude /spectra/final/nn/full/residuals --exclude /spectra/final/bdso/full/residuals --exclude /spectra/snapshots/nn/full/residuals --exclude /spectra/snapshots/bdso/full/residuals || fail "spectra differ beyond 1e-7 between 1 and 2 ranks"
for st in init final; do for c in nn bdso; do
  $PY -c "import h5py,sys,numpy as np; a,b=(h5py.File(f,'r')['spectra/$st/$c/full/vectors'][:] for f in sys.argv[1:]); sys.exit(0 if np.isfinite(a).any() and np.array_equal(a,b,equal_nan=True) else 1)" "$WORK/one.h5" "$WORK/two.h5" || fail "$st/$c eigenvectors differ between 1 and 2 ranks"
done; done
# The stored vectors are unit eigenvectors of the stored eigenvalues: ||H x - lambda x|| by numpy's own Hessian.
$PY - "$WORK/two.h5" "$SRC/analysis" <<'PYEOF' || fail "stored eigenvectors are not eigenvectors"
import sys
sys.path.insert(0, sys.argv[2])
import numpy as np
from splinelens import theory as T
from splinelens.reader import Study
s = Study(sys.argv[1])
worst = 0.0
for i in range(s.nruns):
    r = s.run(i)
    for st in ("init", "final"):
        th = getattr(r, "theta_" + st)
        for co in ("nn", "bdso"):
            vals, vec = s.eigenvectors((st, co, "full"), i)
            if st == "final" and r.status != 1:
                assert vals is None or np.all(np.isnan(vals)), (i, "a failed run has no end spectrum")
                continue
            assert vals is not None and vec.shape == (vals.size, (3 if co == "nn" else 2) * r.H), (i, st, co)
            Hm = T.hessian(th, r.x, r.y, s.loss, co, "full")
            scale = np.max(np.abs(vals))
            for l, x in zip(vals, vec):
                assert abs(np.linalg.norm(x) - 1) < 1e-10 and x[np.argmax(np.abs(x))] > 0
                worst = max(worst, np.linalg.norm(Hm @ x - l * x) / scale)
print("eigenvector residual max %.2e" % worst)
sys.exit(0 if worst < 1e-8 else 1)
PYEOF
echo "wide runs on 2 ranks: network and training bitwise, counts exact, extremes within 1e-7"
