#!/bin/bash
# The union of studies (README "Growable", `splinelens merge`): inputs with the same settings but other axes are
# merged into the union grid, every done run copied into the row of the same grid values, grid points done in no
# input left pending and computed by resuming the merged file with the union axes.
#  (a) tiny with seeds 0,1 (8 runs) + tiny with seed 2 and an extra width 32 (6 runs): the merged file has the union
#      grid 3 widths x 3 seeds x 2 alphas (18 runs, 14 done, 4 pending), the inputs unchanged; resumed with the union
#      axes it computes exactly the 4 pending runs and equals the union grid computed in one go (0 differences);
#      the other input order gives the same content (its grid order is the first input's, here the same);
#  (b) a run done in two inputs with the same results is kept once (seeds 0,1 + seeds 1,2: no pending run, equal to
#      the one-go grid); with a result changed in one copy the merge is refused (exit 65) naming the run;
#  (c) an input with another setting (-sl_eig_nev 3) is refused (exit 65) naming the option; an input whose axis
#      order contradicts the union is refused naming the axis; an existing output is refused: no output file, no
#      temporary, the inputs unchanged;
#  (d) long axes (two ranges of 700 seeds): the union axis holds all 1400 values in order.
# The tiny config has widths 4,16, seeds 0,1, alphas 0.5,2.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
UNION=(-sl_widths 4,16,32 -sl_seeds 0,1,2)
run_study 2 "$WORK/a.h5" -options_file "$CONFIG" "$@" -sl_seeds 0,1 || fail "input a exited $?"
run_study 2 "$WORK/b.h5" -options_file "$CONFIG" "$@" -sl_seeds 2 -sl_widths 4,16,32 || fail "input b exited $?"
run_study 2 "$WORK/ref.h5" -options_file "$CONFIG" "$@" "${UNION[@]}" || fail "one-go union grid exited $?"
sums() { md5sum "$@" | awk '{print $1}' | tr '\n' ' '; }
no_temps() { ! ls "$WORK" | grep -q -e '\.union-' -e '\.merging-' -e '\.creating-' || fail "$1: a temporary is left: $(ls "$WORK")"; }

# (a)
before=$(sums "$WORK/a.h5" "$WORK/b.h5")
mpiexec -n 2 "$BIN" merge -o "$WORK/m.h5" "$WORK/a.h5" "$WORK/b.h5" >"$WORK/m.log" 2>&1 || fail "(a) merge exited $?: $(cat "$WORK/m.log")"
grep -q "union of 2 studies of other grids: -sl_widths 4,16,32 -sl_seeds 0,1,2 -sl_alphas 0.5,2" "$WORK/m.log" || fail "(a) union axes: $(grep union "$WORK/m.log")"
[ "$(sums "$WORK/a.h5" "$WORK/b.h5")" = "$before" ] || fail "(a) the merge changed an input"
no_temps "(a)"
read -r p d f < <(status_counts "$WORK/m.h5")
[ "$p $d $f" = "4 14 0" ] || fail "(a) merged file: pending=$p done=$d failed=$f, expected 4 14 0"
$PY - "$WORK/a.h5" "$WORK/b.h5" "$WORK/m.h5" <<'PY' || fail "(a) done runs not at the rows of their grid values"
import h5py, sys, numpy as np
m = h5py.File(sys.argv[3], "r")
key = lambda f, i: tuple(f["runs/" + c][i] for c in ("width", "seed", "alpha", "scheme", "data"))
rows = {key(m, j): j for j in range(len(m["runs/status"]))}
assert len(rows) == 18, len(rows)
for name in sys.argv[1:3]:
    a = h5py.File(name, "r")
    for i in range(len(a["runs/status"])):
        j = rows[key(a, i)]
        assert m["runs/status"][j] == a["runs/status"][i] == 1, (name, i, j)
        assert np.array_equal(a["runs/final_loss"][i], m["runs/final_loss"][j], equal_nan=True), (name, i, j)
        assert a["runinfo/wall_time"][i] == m["runinfo/wall_time"][j], (name, i, j, "not copied")
PY
cp "$WORK/m.h5" "$WORK/m0.h5"
run_study 2 "$WORK/m.h5" -options_file "$CONFIG" "$@" "${UNION[@]}" || fail "(a) resuming the merged file exited $? ($(tail -3 "$WORK/m.h5.log"))"
grep -q "resuming .*: 4 runs to do" "$WORK/m.h5.log" || fail "(a) the resume did not resume the 4 pending runs: $(grep -h 'resuming\|writing\|growing' "$WORK/m.h5.log")"
grep -q "(this session 4)" "$WORK/m.h5.log" || fail "(a) the resume computed other than the 4 pending runs: $(grep 'runs done' "$WORK/m.h5.log" | tail -1)"
$COMPARE "$WORK/ref.h5" "$WORK/m.h5" || fail "(a) merged and resumed file differs from the union grid computed in one go"
mpiexec -n 2 "$BIN" merge -o "$WORK/m2.h5" "$WORK/b.h5" "$WORK/a.h5" >"$WORK/m2.log" 2>&1 || fail "(a) merge b a exited $?: $(cat "$WORK/m2.log")"
grep -q "union of 2 studies of other grids: -sl_widths 4,16,32 -sl_seeds 2,0,1 " "$WORK/m2.log" || fail "(a) union axes of b a: $(grep union "$WORK/m2.log")"
read -r p d f < <(status_counts "$WORK/m2.h5")
[ "$p $d $f" = "4 14 0" ] || fail "(a) merged file b a: pending=$p done=$d failed=$f, expected 4 14 0"
echo "(a) union of seeds 0,1 and seed 2 with width 32: 14 runs copied, 4 pending; resumed: identical to the one-go grid"

# (b) overlapping runs
run_study 2 "$WORK/c.h5" -options_file "$CONFIG" "$@" -sl_seeds 1,2 || fail "input c exited $?"
run_study 2 "$WORK/ref2.h5" -options_file "$CONFIG" "$@" -sl_seeds 0,1,2 || fail "one-go seeds 0,1,2 exited $?"
mpiexec -n 2 "$BIN" merge -o "$WORK/o.h5" "$WORK/a.h5" "$WORK/c.h5" >"$WORK/o.log" 2>&1 || fail "(b) merge of overlapping inputs exited $?: $(cat "$WORK/o.log")"
read -r p d f < <(status_counts "$WORK/o.h5")
[ "$p $d $f" = "0 12 0" ] || fail "(b) merged file: pending=$p done=$d failed=$f, expected 0 12 0"
$COMPARE "$WORK/ref2.h5" "$WORK/o.h5" || fail "(b) merge of overlapping inputs differs from the one-go grid"
cp "$WORK/c.h5" "$WORK/cx.h5"
$PY - "$WORK/cx.h5" <<'PY' || fail "(b) could not fabricate a difference"
import h5py, sys
f = h5py.File(sys.argv[1], "r+")
i = [j for j in range(len(f["runs/status"])) if f["runs/seed"][j] == 1 and f["runs/width"][j] == 16 and f["runs/alpha"][j] == 2][0]
f["runs/final_loss"][i] = f["runs/final_loss"][i] * 2 + 1
PY
before=$(sums "$WORK/a.h5" "$WORK/cx.h5")
mpiexec -n 2 "$BIN" merge -o "$WORK/x.h5" "$WORK/a.h5" "$WORK/cx.h5" >"$WORK/x.log" 2>&1; rc=$?
[ $rc = 65 ] || fail "(b) a run done twice with different results: exit $rc, expected 65: $(cat "$WORK/x.log")"
grep -q "error: .*width 16, seed 1, alpha 2, scheme lecun_normal, data fourpoint) is done in both .*a.h5 and .*cx.h5 with different results (/runs/final_loss differs)" "$WORK/x.log" || fail "(b) the refusal does not name the run: $(cat "$WORK/x.log")"
[ ! -e "$WORK/x.h5" ] || fail "(b) refused merge created its output"
[ "$(sums "$WORK/a.h5" "$WORK/cx.h5")" = "$before" ] || fail "(b) the refused merge changed an input"
no_temps "(b)"
echo "(b) overlap: $(grep -o 'error: .*' "$WORK/x.log")"

# (c) refusals before anything is written
run_study 2 "$WORK/d.h5" -options_file "$CONFIG" "$@" -sl_seeds 3 -sl_eig_nev 3 || fail "input d exited $?"
run_study 2 "$WORK/e.h5" -options_file "$CONFIG" "$@" -sl_seeds 1,0 -sl_widths 32 || fail "input e exited $?"
before=$(sums "$WORK/a.h5" "$WORK/b.h5" "$WORK/d.h5" "$WORK/e.h5")
check_refused() { # check_refused OUT PATTERN inputs...
  local out=$1 pat=$2; shift 2
  mpiexec -n 2 "$BIN" merge -o "$out" "$@" >"$WORK/r.log" 2>&1; rc=$?
  [ $rc = 65 ] || fail "(c) merge $*: exit $rc, expected 65: $(cat "$WORK/r.log")"
  grep -q "error: .*$pat" "$WORK/r.log" || fail "(c) merge $*: the refusal does not say '$pat': $(cat "$WORK/r.log")"
  [ "$(grep -c 'growing\|union of' "$WORK/r.log")" = 0 ] || fail "(c) merge $*: work started before the refusal: $(cat "$WORK/r.log")"
  no_temps "(c) merge $*"
  echo "(c) $(grep -o 'error: .*' "$WORK/r.log" | cut -c1-200)"
}
check_refused "$WORK/y.h5" "sl_eig_nev" "$WORK/a.h5" "$WORK/b.h5" "$WORK/d.h5"
[ ! -e "$WORK/y.h5" ] || fail "(c) refused merge created its output"
check_refused "$WORK/y.h5" "axes/seed.* in another order" "$WORK/a.h5" "$WORK/e.h5"
[ ! -e "$WORK/y.h5" ] || fail "(c) refused merge created its output"
cp "$WORK/m0.h5" "$WORK/exists.h5"
s0=$(sums "$WORK/exists.h5")
mpiexec -n 2 "$BIN" merge -o "$WORK/exists.h5" "$WORK/a.h5" "$WORK/b.h5" >"$WORK/r.log" 2>&1; rc=$?
[ $rc != 0 ] && grep -q "already exists" "$WORK/r.log" || fail "(c) merge over an existing file: exit $rc: $(cat "$WORK/r.log")"
[ "$(sums "$WORK/exists.h5")" = "$s0" ] || fail "(c) merge over an existing file changed it"
[ "$(sums "$WORK/a.h5" "$WORK/b.h5" "$WORK/d.h5" "$WORK/e.h5")" = "$before" ] || fail "(c) a refused merge changed an input"
echo "(c) refusals: no output, no temporary, inputs unchanged"

# (d) long axes (seed ranges of 700 values each, 2 runs done in each input): the union has all 1400 seeds in order
run_study 2 "$WORK/l1.h5" -options_file "$CONFIG" "$@" -sl_widths 4 -sl_alphas 2 -sl_seeds 0-700 -sl_stop_after 0; rc=$?
[ $rc = 75 ] || fail "(d) input l1 exited $rc"
run_study 2 "$WORK/l2.h5" -options_file "$CONFIG" "$@" -sl_widths 4 -sl_alphas 2 -sl_seeds 700-1400 -sl_stop_after 0; rc=$?
[ $rc = 75 ] || fail "(d) input l2 exited $rc"
mpiexec -n 2 "$BIN" merge -o "$WORK/l.h5" "$WORK/l1.h5" "$WORK/l2.h5" >"$WORK/l.log" 2>&1 || fail "(d) merge exited $?: $(tail -3 "$WORK/l.log")"
$PY - "$WORK/l.h5" <<'PY' || fail "(d) the union of the long axes is wrong"
import h5py, sys, numpy as np
f = h5py.File(sys.argv[1], "r")
assert np.array_equal(f["axes/seed"][:], np.arange(1400)), f["axes/seed"][:10]
s = f["runs/status"][:]
assert len(s) == 1400 and (s == 1).sum() == 4 and (s == 0).sum() == 1396, (len(s), (s == 1).sum())
PY
no_temps "(d)"
echo "(d) union of two 700-seed ranges: 1400 seeds in order, the 4 done runs kept"
