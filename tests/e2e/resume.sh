#!/bin/bash
# Interrupted studies complete on rerun with the same content as an uninterrupted run:
#  (a) -sl_stop_after k stops with exit 75 after k runs; the rerun computes only the rest;
#  (b) SIGUSR1 to the ranks mid-study, repeated until they exit: exit 75, file valid, rerun completes;
#  (c) kill -9 of the whole job mid-study (after a round was committed): rerun completes.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
run_study 2 "$WORK/ref.h5" -options_file "$CONFIG" "$@" || fail "reference run exited $?"
read -r p total_done f < <(status_counts "$WORK/ref.h5")
total=$((total_done + f))

# (a)
run_study 2 "$WORK/a.h5" -options_file "$CONFIG" "$@" -sl_stop_after 3; rc=$?
[ $rc = 75 ] || fail "(a) -sl_stop_after 3 exited $rc, expected 75"
read -r p d f < <(status_counts "$WORK/a.h5")
[ $((d + f)) -ge 3 ] && [ "$p" -gt 0 ] || fail "(a) after stop: pending=$p done=$d failed=$f"
first=$((d + f))
run_study 2 "$WORK/a.h5" -options_file "$CONFIG" "$@" || fail "(a) rerun exited $?"
grep -q "this session $((total - first))" "$WORK/a.h5.log" || fail "(a) rerun did not compute exactly the $((total - first)) remaining runs: $(grep 'runs done' "$WORK/a.h5.log" | tail -1)"
$COMPARE "$WORK/ref.h5" "$WORK/a.h5" || fail "(a) resumed file differs from the reference"

# (b) and (c): a longer version of the study (more seeds: 8x the runs) so that it is still running when the
# signal comes; its own uninterrupted reference.
# Finished runs are committed every 0.5 s (-sl_output_flush_interval; not part of the study's fingerprint), so
# that the first progress line (printed at a commit) comes well before the end.
LONG=(-sl_seeds 0-16 -sl_output_flush_interval 0.5)
run_study 2 "$WORK/ref_long.h5" -options_file "$CONFIG" "$@" "${LONG[@]}" || fail "long reference run exited $?"
for mode in usr1 kill9; do
  out="$WORK/$mode.h5"
  mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" "$@" "${LONG[@]}" >"$out.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "runs done [1-9]" "$out.log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 $pid 2>/dev/null; then
    if [ $mode = usr1 ]; then
      # Keep signalling the ranks (mpiexec's children) until they are gone: a second USR1 arriving while the file
      # is being closed (slurmd and a batch shell both signalling, as under SLURM) must be absorbed, not kill a
      # rank with status 138. mpiexec itself is not signalled: it dies of a USR1 that arrives during its own
      # teardown, which is why jobs/splinelens-job.sh forwards only the first signal to the step.
      while kill -0 $pid 2>/dev/null; do pkill -USR1 -P $pid; sleep 0.02; done
      wait $pid; rc=$?
      [ $rc = 75 ] || fail "(b) SIGUSR1: exit $rc, expected 75 ($(tail -3 "$out.log"))"
    else
      pkill -KILL -f -- "-sl_output $out"; wait $pid 2>/dev/null
    fi
  else
    fail "($mode) the study finished before the signal: nothing was interrupted ($(tail -1 "$out.log"))"
  fi
  read -r p d f < <(status_counts "$out")
  [ "$p" -gt 0 ] || fail "($mode) no run pending after the interruption (pending=$p done=$d failed=$f)"
  run_study 2 "$out" -options_file "$CONFIG" "$@" "${LONG[@]}" || fail "($mode) rerun exited $? ($(tail -5 "$out.log"))"
  grep -q "(this session $p)" "$out.log" || fail "($mode) rerun did not compute exactly the $p pending runs: $(grep 'runs done' "$out.log" | tail -1)"
  $COMPARE "$WORK/ref_long.h5" "$out" || fail "($mode) resumed file differs from the reference"
done
echo "resume after stop-after, SIGUSR1 and kill -9: identical to the uninterrupted run"
