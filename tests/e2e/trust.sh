#!/bin/bash
# trust.sh BIN SRC CONFIG CASE: what must never be lost, mixed or overwritten, one scenario per ctest case.
#  lock        a second writer on the same output, started while the first runs, is refused (exit 65) naming
#              the holder's host and pid; it computes nothing; the first is unaffected (stops cleanly on request)
#  datachange  a CSV data file edited between an interruption and the rerun: the rerun is refused (exit 65)
#              naming the data set, and the file is left byte-identical
#  mergelink   symlinks planted at the merge output or at predictable temporary names are never followed: the
#              files they point to are untouched
#  killcreate  kill -9 of the whole job while a large layout is being created: the rerun accepts what is left
#              (creates the layout again), no temporary stays behind
#  diskfull    output on a full file system (a small tmpfs when it can be mounted, else a file-size limit as the
#              fault): exit 71, "no space left on device" named, one error line, no partial file left
#  longaxis    an axis of 300 values (more than the former 256-value cut) gives all 300 x ... runs
BIN=$1 SRC=$2 CONFIG=$3 CASE=$4
. "$SRC/tests/e2e/lib.sh"
one_error_line() { [ "$(grep -c '^splinelens: error' "$1")" = 1 ] || fail "not exactly one error line in $1: $(cat "$1")"; }
py() { $PY -c "$@"; }

case $CASE in
lock)
  out="$WORK/locked.h5"
  # the first writer: long enough (many seeds, one rank) to still run when the second one comes
  setsid mpiexec -n 1 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" -sl_seeds 0-200 >"$WORK/a.log" 2>&1 &
  a=$!
  for _ in $(seq 1 600); do
    grep -q "runs done [1-9]" "$WORK/a.log" 2>/dev/null && break
    kill -0 $a 2>/dev/null || break
    sleep 0.05
  done
  kill -0 $a 2>/dev/null || fail "the first writer ended before the second started: $(tail -3 "$WORK/a.log")"
  rank=$(pgrep -P $a | head -1)
  mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" -sl_seeds 0-200 >"$WORK/b.log" 2>&1; rc=$?
  kill -0 $a 2>/dev/null || fail "the first writer ended during the test; the refusal is not shown to be due to the lock"
  [ $rc = 65 ] || fail "second writer: exit $rc, expected 65: $(cat "$WORK/b.log")"
  grep -Eq "is being written by another splinelens \(host $(hostname), pid ($rank|$a)[,)]" "$WORK/b.log" || fail "second writer: the holder (pid $rank) is not named: $(grep error "$WORK/b.log")"
  one_error_line "$WORK/b.log"
  ! grep -q "runs done" "$WORK/b.log" || fail "the second writer computed runs"
  # stop the first writer cleanly (a stop request to its rank), then resume it to completion: nothing was mixed
  while kill -0 $a 2>/dev/null; do pkill -USR1 -P $a; sleep 0.05; done
  wait $a; rc=$?
  [ $rc = 75 ] || fail "the first writer, stopped on request, exited $rc (expected 75): $(tail -3 "$WORK/a.log")"
  read -r p d f < <(status_counts "$out")
  [ "$p" -gt 0 ] && [ "$d" -gt 0 ] || fail "after the stop: pending=$p done=$d failed=$f"
  echo "second writer refused while the first ran (holder pid $rank named); first writer stopped cleanly ($d runs done)"
  ;;
datachange)
  out="$WORK/data.h5" csv="$WORK/points.csv"
  printf 'x,y\n-1,0.5\n-0.3,-0.2\n0.2,0.7\n0.9,0.1\n' >"$csv"
  D=(-sl_datasets mydata -sl_data_mydata_type csv -sl_data_mydata_file "$csv")
  run_study 1 "$out" -options_file "$CONFIG" "${D[@]}" -sl_stop_after 1; rc=$?
  [ $rc = 75 ] || fail "first part exited $rc, expected 75: $(tail -3 "$out.log")"
  sum=$(md5sum <"$out")
  printf 'x,y\n-1,0.5\n-0.3,-0.2\n0.2,0.75\n0.9,0.1\n' >"$csv" # one target changed
  run_study 1 "$out" -options_file "$CONFIG" "${D[@]}"; rc=$?
  [ $rc = 65 ] || fail "rerun with a changed data file: exit $rc, expected 65: $(tail -3 "$out.log")"
  grep -q "belongs to another study.*data_mydata_points" "$out.log" || fail "the refusal does not name the data set: $(grep error "$out.log")"
  one_error_line "$out.log"
  [ "$sum" = "$(md5sum <"$out")" ] || fail "the refused rerun changed $out"
  echo "changed data file refused on resume, naming the data set; the study file unchanged"
  ;;
mergelink)
  for i in 0 1; do
    run_study 1 "$WORK/s$i.h5" -options_file "$CONFIG" -sl_slice_count 2 -sl_slice_index $i || fail "slice $i exited $?"
  done
  echo "my precious notes" >"$WORK/victim"
  # (1) a symlink at the output name, to an existing file: refused, target untouched
  ln -s "$WORK/victim" "$WORK/m1.h5"
  "$BIN" merge -o "$WORK/m1.h5" "$WORK/s0.h5" "$WORK/s1.h5" >"$WORK/m1.log" 2>&1; rc=$?
  [ $rc = 65 ] || fail "(1) merge onto a symlink exited $rc: $(cat "$WORK/m1.log")"
  grep -q "already exists; refusing to overwrite it" "$WORK/m1.log" || fail "(1) message: $(cat "$WORK/m1.log")"
  [ "$(cat "$WORK/victim")" = "my precious notes" ] || fail "(1) the symlink's target was overwritten"
  # (2) a dangling symlink at the output name: its target is never created; the result replaces the link
  ln -s "$WORK/victim2" "$WORK/m2.h5"
  "$BIN" merge -o "$WORK/m2.h5" "$WORK/s0.h5" "$WORK/s1.h5" >"$WORK/m2.log" 2>&1; rc=$?
  [ ! -e "$WORK/victim2" ] || fail "(2) merge wrote through a dangling symlink (exit $rc)"
  [ $rc != 0 ] || [ ! -L "$WORK/m2.h5" ] || fail "(2) merge succeeded but the output is still the symlink"
  # (3) symlinks at the old predictable temporary names <out>.merging-<pid> of the next pids
  next=$(sh -c 'echo $$')
  for p in $(seq $next $((next + 400))); do ln -s "$WORK/victim" "$WORK/m3.h5.merging-$p"; done
  "$BIN" merge -o "$WORK/m3.h5" "$WORK/s0.h5" "$WORK/s1.h5" >"$WORK/m3.log" 2>&1 || fail "(3) merge exited $?: $(cat "$WORK/m3.log")"
  [ "$(cat "$WORK/victim")" = "my precious notes" ] || fail "(3) a planted temporary-name symlink was followed"
  [ -f "$WORK/m3.h5" ] && [ ! -L "$WORK/m3.h5" ] || fail "(3) no regular merged file"
  [ "$(ls "$WORK" | grep -c 'm3.h5.merging-')" = 401 ] || fail "(3) the planted links were changed"
  read -r p d f < <(status_counts "$WORK/m3.h5")
  [ "$p" = 0 ] || fail "(3) merged file has $p pending runs"
  echo "merge never follows a planted symlink (output name, dangling link, predictable temporary names)"
  ;;
killcreate)
  out="$WORK/big.h5"
  BIG=(-sl_seeds 0-4000 -sl_stop_after 0) # a layout of ~100 MB: creation takes a few seconds
  setsid mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" "${BIG[@]}" >"$WORK/k.log" 2>&1 &
  k=$!
  seen=0
  for _ in $(seq 1 2000); do
    if ls "$WORK" | grep -q 'big.h5.creating-'; then seen=1; break; fi
    kill -0 $k 2>/dev/null || break
    sleep 0.005
  done
  [ $seen = 1 ] || fail "never saw the layout being created: $(tail -3 "$WORK/k.log")"
  kids=$(pgrep -P $k) # the ranks (Open MPI puts them in process groups of their own)
  kill -KILL $k $kids 2>/dev/null
  wait $k 2>/dev/null
  for p in $kids; do while kill -0 $p 2>/dev/null; do sleep 0.05; done; done # gone: the kernel dropped the lock
  ls "$WORK" | grep -q 'big.h5.creating-' && [ ! -e "$out" ] || fail "the kill did not hit the creation (file: $(ls "$WORK"))"
  run_study 2 "$out" -options_file "$CONFIG" "${BIG[@]}"; rc=$?
  [ $rc = 75 ] || fail "rerun after kill -9 during creation: exit $rc, expected 75: $(grep error "$out.log")"
  ! ls "$WORK" | grep -q 'big.h5.creating-' || fail "a temporary of the killed creation is left: $(ls "$WORK")"
  read -r p d f < <(status_counts "$out")
  [ $((p + d)) = 16000 ] && [ "$f" = 0 ] && [ "$p" -gt 0 ] || fail "recreated layout: pending=$p done=$d failed=$f (expected 16000 runs)"
  run_study 2 "$out" -options_file "$CONFIG" -sl_seeds 0-4000 -sl_stop_after 2; rc=$?
  [ $rc = 75 ] || fail "resuming the recreated file: exit $rc: $(grep error "$out.log")"
  echo "kill -9 during layout creation: the rerun recreated the layout and resumes it"
  ;;
diskfull)
  dir="$WORK/full" log="$WORK/diskfull.log"
  mkdir -p "$dir"
  if mount -t tmpfs -o size=96k tmpfs "$dir" 2>/dev/null; then
    trap 'umount "$dir" 2>/dev/null; rm -rf "$WORK"' EXIT
    how="tmpfs of 96 kB"
    mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$dir/tiny.h5" -options_file "$CONFIG" >"$log" 2>&1; rc=$?
  else # the same fault without a mount: a file size limit (EFBIG, SIGXFSZ ignored)
    how="file size limit of 96 kB (no tmpfs here)"
    (trap '' XFSZ; ulimit -f 96; exec mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$dir/tiny.h5" -options_file "$CONFIG") >"$log" 2>&1; rc=$?
  fi
  [ $rc = 71 ] || fail "$how: exit $rc, expected 71 (resource): $(grep error "$log")"
  grep -q "no space left on device" "$log" || fail "$how: ENOSPC not named: $(grep error "$log")"
  one_error_line "$log"
  ! grep -q -- 'HDF5-DIAG\|--- Error Message ---' "$log" || fail "$how: HDF5/PETSc trace printed"
  [ ! -e "$dir/tiny.h5" ] || fail "$how: a partial study file is left"
  ! ls "$dir" | grep -q 'creating-' || fail "$how: a temporary is left: $(ls "$dir")"
  echo "disk full ($how): exit 71, named, nothing partial left"
  ;;
longaxis)
  out="$WORK/long.h5"
  run_study 1 "$out" -options_file "$CONFIG" -sl_widths 1-301 -sl_seeds 0 -sl_alphas 1 -sl_stop_after 0; rc=$?
  [ $rc = 75 ] || fail "-sl_widths 1-301: exit $rc: $(grep error "$out.log")"
  py "import h5py,sys; f=h5py.File(sys.argv[1],'r'); w=f['axes/width'][:]; r=f['runs/width'][:]; ok=list(w)==list(range(1,301)) and len(r)==300 and sorted(set(r))==list(range(1,301)); print(len(w), len(r)); sys.exit(0 if ok else 1)" "$out" || fail "the widths axis or the run table is not the 300 widths"
  echo "an axis of 300 values gives 300 runs"
  ;;
*)
  fail "unknown case $CASE"
  ;;
esac
