#!/bin/bash
# Growing a study along the data sets axis (README "Growable"): each data set has its own fingerprint
# (/data/<name>@fingerprint of its options and points), the settings fingerprint leaves the data sets out.
#  (a) a study on fourpoint grown by the data set sine (-sl_data_sine_n 8), on 1 and on 2 ranks: only the new runs
#      computed, the kept ones copied, and the file equals the grid fourpoint,sine computed in one go (0 differences);
#  (b) growing with an existing data set changed (its options, or a CSV file's points) is refused (exit 65) naming
#      the data set and the changed line, the file bitwise unchanged, no temporary left;
#  (c) the union (`splinelens merge`) of a study on fourpoint and one on sine equals the one-go grid; an input whose
#      sine has other options is refused (exit 65) naming the data set, nothing written;
#  (d) a file written before per-data-set fingerprints (emulated: those attributes removed, the settings
#      fingerprint of that time) still resumes and grows by a seed, and its data sets axis cannot grow: refused
#      with a line saying so, the file unchanged; two such files still merge (union along a seed), an old and a new
#      one are refused saying why;
#  (e) temporaries of a merge killed by kill -9 (<out>.union-*, <out>.merging-*) are removed by the next merge
#      to the same output, and a symlink planted at such a name is left alone.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
G=(-options_file "$CONFIG" "$@" -sl_widths 4 -sl_alphas 2) # 2 runs per data set (seeds 0,1)
TWO=(-sl_datasets fourpoint,sine -sl_data_sine_n 8)
no_temps() { ! ls "$WORK" | grep -q -e '\.union-' -e '\.merging-' -e '\.creating-' || fail "$1: a temporary is left: $(ls "$WORK")"; }
run_study 2 "$WORK/ref.h5" "${G[@]}" "${TWO[@]}" || fail "one-go reference exited $?"
run_study 2 "$WORK/base.h5" "${G[@]}" || fail "study on fourpoint exited $?"

# (a)
for n in 1 2; do
  g="$WORK/g$n.h5"
  cp "$WORK/base.h5" "$g"
  run_study $n "$g" "${G[@]}" "${TWO[@]}" || fail "(a) grow on $n ranks exited $? ($(tail -3 "$g.log"))"
  grep -q "growing study: 2 runs kept, 2 new" "$g.log" || fail "(a) $n ranks: $(grep -h 'growing\|error' "$g.log")"
  grep -q "(this session 2)" "$g.log" || fail "(a) $n ranks: not exactly the 2 new runs computed: $(grep 'runs done' "$g.log" | tail -1)"
  $COMPARE "$WORK/ref.h5" "$g" || fail "(a) grown on $n ranks: differs from the grid computed in one go"
done
$PY - "$WORK/base.h5" "$WORK/g2.h5" <<'PY' || fail "(a) the kept runs were not copied"
import h5py, numpy, sys
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
key = lambda f, i: tuple(f["runs/" + c][i] for c in ("width", "seed", "alpha", "scheme", "data"))
rows = {key(b, j): j for j in range(len(b["runs/status"]))}
for i in range(len(a["runs/status"])):
    assert a["runinfo/wall_time"][i] == b["runinfo/wall_time"][rows[key(a, i)]], (i, "recomputed?")
assert b["data/sine"].attrs["fingerprint"] != b["data/fourpoint"].attrs["fingerprint"]
assert a["data/fourpoint"].attrs["fingerprint"] == b["data/fourpoint"].attrs["fingerprint"]
assert a.attrs["settings_fingerprint"] == b.attrs["settings_fingerprint"]
PY
echo "(a) fourpoint grown by sine on 1 and 2 ranks: 2 runs kept, 2 new, identical to the one-go grid"

# (b) a changed data set: refused, the file untouched
g="$WORK/g2.h5"
sum=$(md5sum <"$g")
run_study 2 "$g" "${G[@]}" -sl_seeds 0,1,2 -sl_datasets fourpoint,sine -sl_data_sine_n 9; rc=$?
[ $rc = 65 ] || fail "(b) sine changed: exit $rc, expected 65: $(tail -3 "$g.log")"
grep -q 'error: .*belongs to another study: its axes/data value "sine" changed .*"sl_data_sine_n=8", this one has "sl_data_sine_n=9"' "$g.log" || fail "(b) the refusal does not name the data set and the change: $(grep error "$g.log")"
[ "$(grep -c '^splinelens: error' "$g.log")" = 1 ] || fail "(b) not one error line: $(cat "$g.log")"
[ "$(md5sum <"$g")" = "$sum" ] || fail "(b) the refused grow changed the file"
no_temps "(b)"
echo "(b) $(grep -o 'error: .*' "$g.log" | cut -c1-220)"
csv="$WORK/points.csv" c="$WORK/csv.h5"
printf 'x,y\n-1,0.5\n-0.3,-0.2\n0.2,0.7\n0.9,0.1\n' >"$csv"
D=(-sl_data_mydata_type csv -sl_data_mydata_file "$csv")
run_study 2 "$c" "${G[@]}" -sl_datasets mydata "${D[@]}" || fail "(b) study on a CSV exited $?"
sum=$(md5sum <"$c")
printf 'x,y\n-1,0.5\n-0.3,-0.2\n0.2,0.75\n0.9,0.1\n' >"$csv" # one target changed
run_study 2 "$c" "${G[@]}" -sl_datasets mydata,sine -sl_data_sine_n 8 "${D[@]}"; rc=$?
[ $rc = 65 ] || fail "(b) grown with a changed CSV: exit $rc, expected 65: $(tail -3 "$c.log")"
grep -q 'error: .*"mydata" changed .*data_mydata_points' "$c.log" || fail "(b) the refusal does not name the data set: $(grep error "$c.log")"
[ "$(md5sum <"$c")" = "$sum" ] || fail "(b) the refused grow changed the file"
no_temps "(b)"
echo "(b) a changed CSV while growing by a data set: refused naming mydata, the file unchanged"

# (c) the union of studies on other data sets
run_study 2 "$WORK/s.h5" "${G[@]}" -sl_datasets sine -sl_data_sine_n 8 || fail "(c) study on sine exited $?"
mpiexec -n 2 "$BIN" merge -o "$WORK/m.h5" "$WORK/base.h5" "$WORK/s.h5" >"$WORK/m.log" 2>&1 || fail "(c) merge exited $?: $(cat "$WORK/m.log")"
grep -q "union of 2 studies of other grids: .*-sl_datasets fourpoint,sine -sl_data_sine_n 8" "$WORK/m.log" || fail "(c) union axes: $(grep union "$WORK/m.log")"
read -r p d f < <(status_counts "$WORK/m.h5")
[ "$p $d $f" = "0 4 0" ] || fail "(c) merged file: pending=$p done=$d failed=$f, expected 0 4 0"
$COMPARE "$WORK/ref.h5" "$WORK/m.h5" || fail "(c) the union differs from the grid computed in one go"
no_temps "(c)"
run_study 2 "$WORK/s9.h5" "${G[@]}" -sl_datasets sine -sl_data_sine_n 9 -sl_seeds 2 || fail "(c) study on sine n 9 exited $?"
before=$(md5sum "$WORK/base.h5" "$WORK/s.h5" "$WORK/s9.h5")
mpiexec -n 2 "$BIN" merge -o "$WORK/x.h5" "$WORK/base.h5" "$WORK/s.h5" "$WORK/s9.h5" >"$WORK/x.log" 2>&1; rc=$?
[ $rc = 65 ] || fail "(c) inputs with different sine: exit $rc, expected 65: $(cat "$WORK/x.log")"
grep -q "error: .*data set sine differs between input files .*s.h5 and .*s9.h5 .*sl_data_sine_n=8.*sl_data_sine_n=9" "$WORK/x.log" || fail "(c) the refusal does not name the data set: $(cat "$WORK/x.log")"
[ ! -e "$WORK/x.h5" ] || fail "(c) the refused merge created its output"
[ "$(md5sum "$WORK/base.h5" "$WORK/s.h5" "$WORK/s9.h5")" = "$before" ] || fail "(c) the refused merge changed an input"
no_temps "(c)"
echo "(c) union of fourpoint and sine = the one-go grid; $(grep -o 'error: .*' "$WORK/x.log" | cut -c1-160)"

# (d) a file of the format before per-data-set fingerprints: no /data/<name>@fingerprint, @options, and the
# settings fingerprint of that time (the canonical text without the lines of the four axes widths .. schemes)
old_file() {
  $PY - "$1" <<'PY'
import h5py, numpy, sys
f = h5py.File(sys.argv[1], "r+")
for name in f["data"]:
    for a in ("fingerprint", "options"):
        if a in f["data"][name].attrs:
            del f["data"][name].attrs[a]
text = f.attrs["study_options"]
text = text.decode() if isinstance(text, bytes) else text
lines = [l for l in text.split("\n") if l.split("=")[0] not in ("sl_widths", "sl_seeds", "sl_alphas", "sl_schemes")]
h = 1469598103934665603
for b in "\n".join(lines).encode():
    h = ((h ^ b) * 1099511628211) % 2**64
f.attrs["settings_fingerprint"] = numpy.bytes_("%016x" % h)  # fixed-length ASCII, as the program writes
PY
}
o="$WORK/old.h5"
run_study 2 "$o" "${G[@]}" -sl_seeds 0 || fail "(d) study on seed 0 exited $?"
old_file "$o" || fail "(d) could not make the old file"
run_study 2 "$o" "${G[@]}" -sl_seeds 0 || fail "(d) resuming the old file exited $? ($(tail -3 "$o.log"))"
grep -q "resuming .*: 0 runs to do" "$o.log" || fail "(d) the old file was not resumed: $(grep -h 'resuming\|writing\|growing\|error' "$o.log")"
old_file "$o" || fail "(d) could not make the old file"
sum=$(md5sum <"$o")
run_study 2 "$o" "${G[@]}" -sl_seeds 0 "${TWO[@]}"; rc=$?
[ $rc = 65 ] || fail "(d) old file grown by a data set: exit $rc, expected 65: $(tail -3 "$o.log")"
grep -q "error: .*cannot grow .*old.h5 along its axis axes/data: the file was written by an earlier version" "$o.log" || fail "(d) the refusal does not say why: $(grep error "$o.log")"
[ "$(md5sum <"$o")" = "$sum" ] || fail "(d) the refused grow changed the old file"
refusal=$(grep -o 'error: .*' "$o.log" | head -1 | cut -c1-200)
cp "$WORK/base.h5" "$WORK/oldb.h5" && old_file "$WORK/oldb.h5" || fail "(d) could not make the old file oldb.h5"
mpiexec -n 2 "$BIN" merge -o "$WORK/om.h5" "$o" "$WORK/oldb.h5" >"$WORK/om.log" 2>&1 || fail "(d) union of two old files exited $?: $(cat "$WORK/om.log")"
$COMPARE "$WORK/base.h5" "$WORK/om.h5" >/dev/null || fail "(d) the union of two old files (seeds 0 and 0,1) differs from the one-go grid"
mpiexec -n 2 "$BIN" merge -o "$WORK/oy.h5" "$WORK/oldb.h5" "$WORK/s.h5" >"$WORK/oy.log" 2>&1; rc=$?
[ $rc = 65 ] || fail "(d) union of an old and a new file: exit $rc, expected 65: $(cat "$WORK/oy.log")"
grep -q "error: .*belongs to another study.*written before per-data-set fingerprints" "$WORK/oy.log" || fail "(d) the refusal of an old and a new file does not say why: $(cat "$WORK/oy.log")"
[ ! -e "$WORK/oy.h5" ] || fail "(d) the refused merge created its output"
run_study 2 "$o" "${G[@]}" || fail "(d) growing the old file by a seed exited $? ($(tail -3 "$o.log"))"
grep -q "growing study: 1 runs kept, 1 new" "$o.log" || fail "(d) the old file did not grow by a seed: $(grep -h 'growing\|error' "$o.log")"
$COMPARE "$WORK/base.h5" "$o" || fail "(d) the grown old file differs from the grid computed in one go"
echo "(d) an old file resumes, grows by a seed (= the one-go grid), and its data sets axis is refused: $refusal"

# (e) a merge killed by kill -9 while its temporaries exist: the next merge to that output removes them
k="$WORK/k.h5"
for _ in 1 2 3; do
  setsid mpiexec -n 2 "$BIN" merge -o "$k" "$WORK/base.h5" "$WORK/s.h5" >"$WORK/k.log" 2>&1 &
  pid=$!
  seen=0
  for _ in $(seq 1 2000); do
    if ls "$WORK" | grep -q -e 'k.h5.union-[A-Za-z0-9]\{6\}$'; then seen=1; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.005
  done
  kids=$(pgrep -P $pid)
  kill -KILL $pid $kids 2>/dev/null
  wait $pid 2>/dev/null
  for p in $kids; do while kill -0 $p 2>/dev/null; do sleep 0.05; done; done
  rm -f "$k"
  [ $seen = 1 ] && ls "$WORK" | grep -q 'k.h5.union-[A-Za-z0-9]\{6\}' && break
done
left=$(ls "$WORK" | grep -c -e 'k.h5.union-[A-Za-z0-9]\{6\}' -e 'k.h5.merging-')
[ "$left" -gt 0 ] || fail "(e) the killed merges left no temporary to clean up (files: $(ls "$WORK"))"
ln -s "$WORK/victim" "$k.union-PLANTD" # the name of a temporary, but a link: not ours, left alone
mpiexec -n 2 "$BIN" merge -o "$k" "$WORK/base.h5" "$WORK/s.h5" >"$WORK/k.log" 2>&1 || fail "(e) the merge after the kill exited $?: $(cat "$WORK/k.log")"
! ls "$WORK" | grep -v PLANTD | grep -q -e 'k.h5.union-[A-Za-z0-9]\{6\}' -e 'k.h5.merging-' -e 'k.h5.lock' || fail "(e) temporaries of the killed merge are left: $(ls "$WORK")"
[ -L "$k.union-PLANTD" ] || fail "(e) the planted link was removed"
$COMPARE "$WORK/ref.h5" "$k" >/dev/null || fail "(e) the merge after the kill differs from the one-go grid"
echo "(e) $left temporaries of a killed merge removed by the next merge: $(grep -c 'warning: removed' "$WORK/k.log") warnings"
