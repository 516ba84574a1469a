#!/bin/bash
# Growing a study (README "Growing a study"): values added to the axes of an existing file, the runs it has done
# kept (copied, not recomputed), only the new ones computed; the grown file equals the grown grid computed in one go.
#  (a) grown by a seed (inserted before the existing one), then by a width (1 rank), then by an alpha: 0
#      differences to the one-go reference, each step computes exactly the new runs, kept runs keep their
#      /runinfo/wall_time (copied, not recomputed);
#  (b) removing or reordering axis values, other settings, growing a slice file: refused (exit 65), the file
#      unchanged;
#  (c) kill -9 at several moments of a grow: the file left is the old or the grown one, the rerun completes it
#      and equals the reference;
#  (d) kill -9 certainly during a grow (a large grown layout, killed once its temporary exists): the old file is
#      left unchanged, the rerun grows it and keeps its runs, no temporary stays behind.
# The tiny config has widths 4,16, seeds 0,1, alphas 0.5,2.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
run_study 2 "$WORK/ref.h5" -options_file "$CONFIG" "$@" || fail "reference run exited $?"

# kept_copied BEFORE AFTER: every run done (or failed) in BEFORE is in AFTER at the row of the same grid values, with
# the same status, final loss and wall time (copied, not recomputed)
kept_copied() {
  $PY - "$1" "$2" <<'PY'
import h5py, sys, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
key = lambda f, i: tuple(f["runs/" + c][i] for c in ("width", "seed", "alpha", "scheme", "data"))
rows = {key(b, j): j for j in range(len(b["runs/status"]))}
n = 0
for i in range(len(a["runs/status"])):
    if a["runs/status"][i] == 0:
        continue
    j = rows[key(a, i)]
    assert b["runs/status"][j] == a["runs/status"][i], (i, j)
    assert a["runinfo/wall_time"][i] == b["runinfo/wall_time"][j], (i, j, "recomputed?")
    assert np.array_equal(a["runs/final_loss"][i], b["runs/final_loss"][j], equal_nan=True)
    n += 1
assert n > 0
PY
}
g="$WORK/g.h5"
step() { # step NRANKS KEPT NEW options...: one grow step, checked by its log
  local n=$1 kept=$2 new=$3; shift 3
  cp "$g" "$WORK/before.h5"
  run_study "$n" "$g" -options_file "$CONFIG" "$@" || fail "grow to $* exited $? ($(tail -3 "$g.log"))"
  grep -q "growing study: $kept runs kept, $new new" "$g.log" || fail "grow to $*: expected '$kept runs kept, $new new': $(grep -h 'growing\|runs done' "$g.log")"
  grep -q "(this session $new)" "$g.log" || fail "grow to $*: did not compute exactly the $new new runs: $(grep 'runs done' "$g.log" | tail -1)"
  kept_copied "$WORK/before.h5" "$g" || fail "grow to $*: kept runs not copied unchanged"
}
run_study 2 "$g" -options_file "$CONFIG" "$@" -sl_widths 16 -sl_seeds 1 -sl_alphas 2 || fail "first part exited $?"
step 2 1 1 "$@" -sl_widths 16 -sl_seeds 0,1 -sl_alphas 2
step 1 2 2 "$@" -sl_widths 4,16 -sl_seeds 0,1 -sl_alphas 2
step 2 4 4 "$@"
$COMPARE "$WORK/ref.h5" "$g" || fail "(a) grown file differs from the grid computed in one go"
echo "(a) grown by seeds, widths, alphas: identical to the one-go grid, only new runs computed"

# (b) refusals, file untouched
s="$WORK/s.h5"
run_study 2 "$s" -options_file "$CONFIG" "$@" -sl_alphas 2 || fail "(b) small study exited $?"
sum=$(md5sum <"$s")
for bad in "-sl_widths 4 -sl_alphas 2" "-sl_seeds 1,0 -sl_alphas 2" "-sl_alphas 2 -sl_eig_nev 3" "-sl_slice_count 2"; do
  # shellcheck disable=SC2086
  run_study 2 "$s" -options_file "$CONFIG" "$@" $bad; rc=$?
  [ $rc = 65 ] || fail "(b) $bad: exit $rc, expected 65 ($(grep error "$s.log"))"
  [ "$(md5sum <"$s")" = "$sum" ] || fail "(b) $bad changed the file"
  ls "$s".creating-* >/dev/null 2>&1 && fail "(b) $bad left a temporary"
  echo "(b) $bad: $(grep -o 'error: .*' "$s.log" | head -1)"
done

# (c) kill -9 during a grow, at several moments (start-up, layout, copy, runs)
k="$WORK/k.h5"
hits_old=0 hits_new=0
for d in 0.2 0.3 0.4 0.5 0.6 0.7 0.8 1.0; do
  cp "$s" "$k"
  mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$k" -options_file "$CONFIG" "$@" >"$k.log" 2>&1 &
  pid=$!
  sleep $d
  pkill -KILL -f -- "-sl_output $k"; wait $pid 2>/dev/null
  r=$($PY -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['runs/status']))" "$k") || fail "(c) kill after $d s: file not readable"
  case $r in
    4) hits_old=$((hits_old + 1)) ;;
    8) hits_new=$((hits_new + 1)) ;;
    *) fail "(c) kill after $d s: the file has $r runs, neither the old 4 nor the grown 8" ;;
  esac
  run_study 2 "$k" -options_file "$CONFIG" "$@" || fail "(c) rerun after a kill at $d s exited $? ($(tail -3 "$k.log"))"
  $COMPARE "$WORK/ref.h5" "$k" >/dev/null || fail "(c) rerun after a kill at $d s differs from the reference"
  ls "$k".creating-* >/dev/null 2>&1 && fail "(c) a temporary is left after the rerun"
done
echo "(c) kill -9 during the grow: $hits_old kills left the old file, $hits_new the grown one; every rerun complete and identical"

# (d) a grow to 8000 runs (a layout of ~50 MB: creating it takes a while), killed while its temporary exists
k="$WORK/big.h5"
cp "$s" "$k"
sum=$(md5sum <"$k")
BIG=(-sl_alphas 2 -sl_seeds 0-4000 -sl_stop_after 0)
setsid mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$k" -options_file "$CONFIG" "$@" "${BIG[@]}" >"$k.log" 2>&1 &
pid=$!
seen=0
for _ in $(seq 1 2000); do
  if ls "$WORK" | grep -q 'big.h5.creating-'; then seen=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.005
done
[ $seen = 1 ] || fail "(d) never saw the grown layout being created: $(tail -3 "$k.log")"
kids=$(pgrep -P $pid)
kill -KILL $pid $kids 2>/dev/null
wait $pid 2>/dev/null
for p in $kids; do while kill -0 $p 2>/dev/null; do sleep 0.05; done; done
ls "$WORK" | grep -q 'big.h5.creating-' || fail "(d) the kill did not hit the grow (files: $(ls "$WORK"))"
[ "$(md5sum <"$k")" = "$sum" ] || fail "(d) the old file changed under a grow killed before its rename"
cp "$k" "$WORK/before.h5"
run_study 2 "$k" -options_file "$CONFIG" "$@" "${BIG[@]}"; rc=$?
[ $rc = 75 ] || fail "(d) rerun after the kill: exit $rc, expected 75 (-sl_stop_after 0): $(grep error "$k.log")"
grep -q "growing study: 4 runs kept, 7996 new" "$k.log" || fail "(d) rerun: $(grep -h 'growing\|error' "$k.log")"
! ls "$WORK" | grep -q 'big.h5.creating-' || fail "(d) a temporary of the killed grow is left: $(ls "$WORK")"
read -r p d f < <(status_counts "$k")
[ $((p + d)) = 8000 ] && [ "$d" -ge 4 ] && [ "$f" = 0 ] || fail "(d) grown file: pending=$p done=$d failed=$f (expected 8000 runs, at least the 4 kept done)"
kept_copied "$WORK/before.h5" "$k" || fail "(d) kept runs not copied unchanged"
echo "(d) kill -9 during the grow of a large layout: old file unchanged, rerun grew it keeping its 4 runs"
