#!/bin/bash
# The step controller "slbasic" (src/train/train_adapt.c) is PETSc's basic controller with a fixed-order error norm:
# up to one 1024-neuron block, on one rank, that order is basic's own, so every adaptive integrator (explicit RK
# 3bs, the default SDIRK, the implicit midpoint rule with its own backward-difference estimate) gives results
# bitwise those of -sl_train_ts_adapt_type basic (every dataset outside /runinfo; the study fingerprints differ,
# the option being part of the configuration).
BIN=$1 SRC=$2
. "$SRC/tests/e2e/lib.sh"

opts=(-sl_widths 8,512 -sl_seeds 0 -sl_alphas 1 -sl_schemes lecun_normal -sl_datasets sine -sl_data_sine_n 16
      -sl_train_max_time 100 -sl_train_max_steps 300 -sl_train_rtol 1e-6 -sl_train_atol 1e-6 -sl_train_curve 8
      -sl_train_snapshots 2 -sl_coords nn -sl_hess_stages final -sl_eig_hist_bins 10)
for m in "rk:-sl_train_conservative false" "sdirk:-sl_train_implicit sdirk" "midpoint:-sl_train_implicit midpoint"; do
  name=${m%%:*}
  read -r -a mopts <<<"${m#*:}"
  for a in slbasic basic; do
    run_study 1 "$WORK/$name-$a.h5" "${opts[@]}" "${mopts[@]}" -sl_train_ts_adapt_type $a || fail "$name with $a exited $? ($(tail -3 "$WORK/$name-$a.h5.log"))"
  done
  $PY - "$SRC/analysis" "$WORK/$name-slbasic.h5" "$WORK/$name-basic.h5" "$name" <<'PYEOF' || fail "$name: slbasic is not bitwise basic on one rank (above)"
import sys
sys.path.insert(0, sys.argv[1])
import h5py
from splinelens.compare import datasets, same
a, b = (h5py.File(f, "r") for f in sys.argv[2:4])
da, db = datasets(a, ["/runinfo"]), datasets(b, ["/runinfo"])
bad = ["%s: only in one file" % p for p in sorted(set(da) ^ set(db))]
for p in sorted(set(da) & set(db)):
    ok, why = same(da[p][()], db[p][()], 0.0)
    if not ok:
        bad.append("%s: %s" % (p, why))
r = a["runs"]
print("%s: steps %s, t %s; %d datasets, %d differences" % (sys.argv[4], list(r["steps"][:]), list(r["final_time"][:]), len(da), len(bad)))
# the runs must have stepped (an error estimate at every step) for the comparison to say anything
if (r["steps"][:] < 50).any():
    bad.append("too few steps: %s" % list(r["steps"][:]))
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PYEOF
done
echo "slbasic on one rank, H <= 1024: bitwise PETSc's basic for explicit RK, SDIRK and the implicit midpoint rule"
