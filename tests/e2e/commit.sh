#!/bin/bash
# Commits by time (-sl_output_flush_interval) and the progress lines.
#  (a) kill -9 between commits: every run committed before the kill (the "runs done D" of the last progress line,
#      printed after each commit) is in the file, some are pending; the rerun computes exactly the pending runs and
#      the file is bitwise identical (numeric content) to an uninterrupted run;
#  (b) the progress line's format (timestamp, percentage, ETA) and its throttling: at most one line per interval
#      (plus the last), judged from the elapsed time the lines themselves report;
#  (c) failures summarised by reason; (d) one line per finished slice.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
LONG=(-sl_seeds 0-100 -sl_train_max_steps 1000) # 400 runs, several seconds even on an idle machine: the kill comes
# well before the end (the step budget keeps the training part of each run short: this test is about commits)
RE='^\[splinelens\] runs done [0-9]+/[0-9]+ \(this session [0-9]+\), [0-9.]+%, failed [0-9]+( \([^)]*\))?, elapsed [0-9.]+ s(, ETA [0-9]+ s \([0-9]{2}:[0-9]{2}:[0-9]{2}\))? \| [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$'

# (a)
run_study 2 "$WORK/ref.h5" -options_file "$CONFIG" "$@" "${LONG[@]}" || fail "reference run exited $?"
out="$WORK/k.h5"
mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" "$@" "${LONG[@]}" -sl_output_flush_interval 1 >"$out.log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(grep -c 'runs done [1-9]' "$out.log" 2>/dev/null)" -ge 2 ] && break # a second commit: kill between commits
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
kill -0 $pid 2>/dev/null || fail "(a) the study finished before the kill ($(tail -1 "$out.log"))"
pkill -KILL -f -- "-sl_output $out"; wait $pid 2>/dev/null
last=$(grep -o 'runs done [0-9]*' "$out.log" | tail -1 | awk '{print $3}')
read -r p d f < <(status_counts "$out")
echo "(a) killed after a commit reporting $last runs done; the file has $d done, $f failed, $p pending"
[ $((d + f)) -ge "$last" ] || fail "(a) committed runs lost: the last commit reported $last done, the file has $((d + f))"
[ "$p" -gt 0 ] || fail "(a) no run pending after the kill"
run_study 2 "$out" -options_file "$CONFIG" "$@" "${LONG[@]}" || fail "(a) rerun exited $?"
grep -q "(this session $p)" "$out.log" || fail "(a) rerun did not compute exactly the $p pending runs: $(grep 'runs done' "$out.log" | tail -1)"
$COMPARE "$WORK/ref.h5" "$out" || fail "(a) resumed file differs from the uninterrupted run"

# (b) format of every progress line, and at most one per interval
grep '^\[splinelens\] runs done' "$WORK/ref.h5.log" "$out.log" -h | while read -r line; do
  [[ $line =~ $RE ]] || fail "(b) progress line of unexpected format: $line"
done || exit 1
run_study 2 "$WORK/p.h5" -options_file "$CONFIG" "$@" "${LONG[@]}" -sl_output_flush_interval 1 || fail "(b) run exited $?"
n=$(grep -c '^\[splinelens\] runs done' "$WORK/p.h5.log")
el=$(grep '^\[splinelens\] runs done' "$WORK/p.h5.log" | tail -1 | sed -E 's/.*elapsed ([0-9.]+) s.*/\1/')
runs=$(grep -o 'runs done [0-9]*/[0-9]*' "$WORK/p.h5.log" | tail -1 | cut -d/ -f2)
echo "(b) $n progress lines for $runs runs in $el s with a 1 s interval"
awk -v n="$n" -v el="$el" 'BEGIN { exit !(n <= int(el / 1) + 2) }' || fail "(b) $n progress lines in $el s: more than one per 1 s interval"
grep '^\[splinelens\] runs done' "$WORK/p.h5.log" | tail -1 | grep -q "runs done $runs/$runs (this session $runs), 100.0%" || fail "(b) last line is not the complete study: $(tail -3 "$WORK/p.h5.log")"
grep -q "ETA [0-9]* s" "$WORK/p.h5.log" "$out.log" "$WORK/ref.h5.log" || echo "(b) note: no progress line before the end (ETA not shown): the study took $el s"

# (c) every run fails in the spectrum (unknown eigensolver type): the summary names the reason with its count
run_study 2 "$WORK/f.h5" -options_file "$CONFIG" "$@" -sl_eig_dense_max 0 -sl_eig_reduced_max -1 -sl_eig_eps_type nosuch || fail "(c) run exited $?"
line=$(grep '^\[splinelens\] runs done' "$WORK/f.h5.log" | tail -1)
echo "(c) $line"
[[ $line =~ failed\ 8\ \(spectrum[^\)]*\ 8\) ]] || fail "(c) failures not summarised by reason: $line"

# (d) a slice reports its end once
run_study 2 "$WORK/s.h5" -options_file "$CONFIG" "$@" -sl_slice_count 2 -sl_slice_index 1 || fail "(d) slice run exited $?"
[ "$(grep -c '^\[splinelens\] slice 1 of 2 finished: 4/4 runs done, 0 failed' "$WORK/s.h5.log")" = 1 ] || fail "(d) no single 'slice 1 of 2 finished' line: $(grep slice "$WORK/s.h5.log")"
echo "commits by time: kill -9 between commits loses nothing committed, resume exact; progress format, throttle, reasons, slices"
