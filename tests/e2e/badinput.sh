#!/bin/bash
# Bad input stops before any work with a message naming the culprit, exit != 0, and no file damaged.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
expect() { # expect REGEX OUTFILE args...: nonzero exit, message matches, OUTFILE not created
  local re=$1 out=$2; shift 2
  mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" "$@" >"$WORK/log" 2>&1 && fail "exit 0 for: $*"
  grep -Eq -- "$re" "$WORK/log" || fail "message /$re/ not found for: $* ; got: $(grep 'ERROR' "$WORK/log" | head -3)"
  [ -e "$out" ] && [ "$out" != "$WORK/good.h5" ] && [ "$out" != "$WORK/junk.h5" ] && [ "$out" != "$WORK/adir" ] && fail "output $out was created for: $*"
  return 0
}
expect "Unknown value 'nosuch' for -sl_schemes; valid values: lecun_normal" "$WORK/x.h5" -sl_schemes nosuch
expect "Option -sl_widths: empty axis" "$WORK/x.h5" -sl_widths
expect "Option -sl_widths: width must be > 0" "$WORK/x.h5" -sl_widths 0,4
expect "Option -sl_alphas: scales must be finite and > 0" "$WORK/x.h5" -sl_alphas -1
expect "Unknown option -sl_widht" "$WORK/x.h5" -sl_widht 3
expect "Unknown value 'everything' for -sl_hess_parts; valid values: full, gauss_newton, residual" "$WORK/x.h5" -sl_hess_parts everything
expect "Option -sl_hess_stages snapshots needs training" "$WORK/x.h5" -sl_hess_stages init,snapshots -sl_train false
expect "-sl_data_mydata_file" "$WORK/x.h5" -sl_datasets mydata -sl_data_mydata_type csv
printf 'x,y\n1,2\n1,3\n' > "$WORK/dup.csv"
expect "dup.csv:3" "$WORK/x.h5" -sl_datasets mydata -sl_data_mydata_type csv -sl_data_mydata_file "$WORK/dup.csv"
expect "directory .*does not exist" "$WORK/nodir/x.h5"
# Unwritable outputs (as root permissions do not stop a write, so: a directory, a path under a regular file).
mkdir -p "$WORK/adir"
expect "output file .*adir is a directory" "$WORK/adir"
[ -z "$(ls -A "$WORK/adir")" ] || fail "something was written into the directory given as output"
echo "a regular file" > "$WORK/plain"
expect "cannot create .*plain/x.h5: .*plain is not a directory" "$WORK/plain/x.h5"
# A file of another study is refused and left byte-identical.
run_study 2 "$WORK/good.h5" -options_file "$CONFIG" "$@" || fail "good run exited $?"
before=$(md5sum < "$WORK/good.h5")
expect "belongs to another study" "$WORK/good.h5" -sl_alphas 0.25
[ "$before" = "$(md5sum < "$WORK/good.h5")" ] || fail "the other study's file was modified"
# A file that is not HDF5 is refused and left alone.
echo "my precious notes" > "$WORK/junk.h5"
expect "not an HDF5 file" "$WORK/junk.h5"
[ "$(cat "$WORK/junk.h5")" = "my precious notes" ] || fail "non-HDF5 file modified"
echo "every bad input refused with its message"
