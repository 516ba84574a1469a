#!/bin/bash
# Bad input stops with the exit status of its class (README "Exit status": 64 usage, 65 input, 71 resource), a
# message naming the culprit, and no result file created or changed (checksums of the whole output directory
# before and after). This script (ctest e2e_badinput): options (64-bit ranges, unused options), options files,
# data files, existing outputs, the flags that start nothing, merge usage. Locks, changed data on resume, merge
# symlinks, disk full and kill -9 during creation: tests/e2e/trust.sh; mutated inputs: tests/e2e/fuzz.sh.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
R="$WORK/res" # every output of this script lives here: its checksum list must not change on a refusal
mkdir -p "$R"
N=0
sums() { (cd "$R" && find . -type f ! -name '*.log' | sort | xargs -r md5sum); }
# expect CODE REGEX OUTFILE args...: exit status CODE, message matches REGEX, nothing under $R created/changed
expect() {
  local code=$1 re=$2 out=$3 before rc; shift 3
  N=$((N + 1))
  before=$(sums)
  mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$out" -options_file "$CONFIG" "$@" >"$WORK/log" 2>&1; rc=$?
  [ $rc = "$code" ] || fail "case $N: exit $rc, expected $code, for: $* ; got: $(grep -m3 'error' "$WORK/log")"
  grep -Eq -- "$re" "$WORK/log" || fail "case $N: message /$re/ not found for: $* ; got: $(grep -m3 'error' "$WORK/log")"
  [ "$before" = "$(sums)" ] || fail "case $N: a file under the output directory was created or changed for: $*"
  [ "$(grep -c '^splinelens: error' "$WORK/log")" = 1 ] || fail "case $N: not exactly one error line for: $*"
  ! grep -q -- '--- Error Message ---\|HDF5-DIAG' "$WORK/log" || fail "case $N: PETSc/HDF5 trace printed without -sl_debug for: $*"
}
X="$R/x.h5"
# ---- 64: options
expect 64 "Unknown value 'nosuch' for -sl_schemes; valid values: lecun_normal" "$X" -sl_schemes nosuch
expect 64 "Option -sl_widths: empty axis" "$X" -sl_widths
expect 64 "Option -sl_widths: width must be > 0" "$X" -sl_widths 0,4
expect 64 "Option -sl_alphas: scales must be finite and > 0" "$X" -sl_alphas -1
expect 64 "Option -sl_alphas: value 1\.? appears twice" "$X" -sl_alphas 1,1
expect 64 "Unknown option -sl_widht" "$X" -sl_widht 3
expect 64 "Unknown value 'everything' for -sl_hess_parts; valid values: full, gauss_newton, residual" "$X" -sl_hess_parts everything
expect 64 "Option -sl_hess_stages snapshots needs training" "$X" -sl_hess_stages init,snapshots -sl_train false
expect 64 "-sl_data_mydata_file" "$X" -sl_datasets mydata -sl_data_mydata_type csv
expect 64 "-sl_train_gd and -sl_train_conservative exclude each other" "$X" -sl_train_gd -sl_train_conservative
expect 64 "fourpoint" "$X" -sl_data_fourpoint_n 5
expect 64 "Option -sl_seeds: seeds must be >= 0" "$X" -sl_seeds -1
expect 64 "Option -sl_slice_index must be in \[0, 2\)" "$X" -sl_slice_count 2 -sl_slice_index 2
expect 64 "Option -sl_datasets: data set \"fourpoint\" appears twice" "$X" -sl_datasets fourpoint,fourpoint
expect 64 "Option -sl_wide_threshold must be > 0" "$X" -sl_wide_threshold 0
expect 64 "Option -sl_output_max_snapshot_params must be in \[0, 2147483647\], got -1" "$X" -sl_output_max_snapshot_params -1
expect 64 "Option -sl_wide_ranks must be >= 1" "$X" -sl_wide_ranks 0
# ---- 64: integers are parsed as 64-bit and range-checked (no silent 32-bit wrap), axes of any length
expect 64 "Option -sl_widths: width 4294967300 is out of range \[1, 715827882\]" "$X" -sl_widths 4294967300
expect 64 "Option -sl_seeds: seed 4294967296 is out of range \[0, 2147483647\]" "$X" -sl_seeds 4294967296
expect 64 "Option -sl_train_max_steps must be in \[1, 2147483647\], got 99999999999" "$X" -sl_train_max_steps 99999999999
expect 64 "Option -sl_widths: width 2147483648 is out of range" "$X" -sl_widths 2147483648
expect 64 "Option -sl_widths: 99999999999999999999 is out of the 64-bit integer range" "$X" -sl_widths 4,99999999999999999999
expect 64 "Option -sl_eig_hist_bins: '1e8' is not an integer" "$X" -sl_eig_hist_bins 1e8
expect 64 "Option -sl_train_curve must be in \[2, 2147483647\], got 200000000000" "$X" -sl_train_curve 200000000000
expect 64 "Option -sl_data_fourpoint_seed must be in \[0, 2147483647\], got -3" "$X" -sl_data_fourpoint_seed -3
expect 64 "Option -sl_eig_nev must be in \[1, 2147483647\], got 0" "$X" -sl_eig_nev 0
expect 64 "Option -sl_slice_count must be in \[1, 2147483647\], got 0" "$X" -sl_slice_count 0
expect 64 "Option -sl_seeds: range 5-5 is empty" "$X" -sl_seeds 5-5
expect 64 "Option -sl_seeds: the range 0-99999999999 makes the list longer than 100000000 values" "$X" -sl_seeds 0-99999999999
expect 64 "Option -sl_seeds: value 3\.? appears twice" "$X" -sl_seeds 0-5,3
expect 64 "Option -sl_widths: empty entry 2" "$X" -sl_widths 4,,16
expect 64 "Option -sl_alphas: 'x' is not a number" "$X" -sl_alphas 1,x
# ---- 64: every unused option is an error, prefixes and PETSc sub-options included
expect 64 "Unknown option -widths: every splinelens option starts with -sl_" "$X" -widths 3
expect 64 "Unknown option -sl_train_ts_tpye" "$X" -sl_train_ts_tpye rk
expect 64 "Unknown option -sl_eig_eps_tpye" "$X" -sl_eig_eps_tpye krylovschur
expect 64 "Unknown option -sl_data_sine_n" "$X" -sl_data_sine_n 5
# ---- 65: options files (checked before PETSc reads them): not text, YAML syntax, duplicate keys, missing
optfile() { # optfile REGEX NAME CONTENT(printf format)
  printf -- "$3" >"$WORK/$2"
  expect 65 "$1" "$X" -options_file "$WORK/$2"
}
optfile "dup.yaml:3: duplicate key: option -sl_study_name is already set at line 1" dup.yaml 'sl_study_name: a\nsl_view: 0\nsl_study_name: b\n'
optfile "nest.yaml:3: duplicate key: option -sl_train_max_steps is already set at line 2" nest.yaml 'sl_train:\n  max_steps: 5\nsl_train_max_steps: 6\n'
optfile "syntax.yaml:2: YAML syntax error: did not find expected ',' or ']'" syntax.yaml 'sl_widths: [4, 16\nsl_seeds: [0]\n'
optfile "binary.yaml:1: not a text file" binary.yaml '\177ELF\002\001\001\000\000\000'
optfile "binary.opts:2: not a text file \(byte 0x00" binary.opts '-sl_widths 4\n\000\001\002\003'
expect 65 "cannot open options file .*nofile.yaml" "$X" -options_file "$WORK/nofile.yaml"
# ---- 65: data files
csv() { expect 65 "$1" "$X" -sl_datasets mydata -sl_data_mydata_type csv -sl_data_mydata_file "$2"; }
printf 'x,y\n1,2\n1,3\n' >"$WORK/dup.csv";   csv "dup.csv:3: duplicate x" "$WORK/dup.csv"
printf 'x,y\n1,2\n2,abc\n' >"$WORK/nan.csv"; csv "nan.csv:3: field 2 \(y\) 'abc' is not a number" "$WORK/nan.csv"
printf 'x,y\n1,2,3\n' >"$WORK/three.csv";    csv "three.csv:2: expected 2 comma-separated fields" "$WORK/three.csv"
printf 'x,y\n' >"$WORK/empty.csv";           csv "empty.csv: no data rows" "$WORK/empty.csv"
printf 'x,y\n1,inf\n' >"$WORK/inf.csv";      csv "inf.csv:2: .*not finite" "$WORK/inf.csv"
csv "Cannot open data file .*missing.csv" "$WORK/missing.csv"
# ---- 65: existing outputs
mkdir -p "$R/adir"
expect 65 "output file .*adir is a directory" "$R/adir"
[ -z "$(ls -A "$R/adir")" ] || fail "something was written into the directory given as output"
echo "a regular file" >"$R/plain"
expect 65 "cannot create .*plain/x.h5: .*plain is not a directory" "$R/plain/x.h5"
run_study 2 "$R/good.h5" -options_file "$CONFIG" "$@" || fail "good run exited $?"
expect 65 "belongs to another study.*first difference: .*sl_eig_nev=4.*sl_eig_nev=3" "$R/good.h5" -sl_eig_nev 3
# other axes with the same settings: growing (tests/e2e/grow.sh), but never by removing a value
expect 65 "cannot grow .*good.h5: value 0.5 of its axis axes/alpha is not in this study's axis" "$R/good.h5" -sl_alphas 0.25
echo "my precious notes" >"$R/junk.h5"
expect 65 "not an HDF5 file" "$R/junk.h5"
[ "$(cat "$R/junk.h5")" = "my precious notes" ] || fail "non-HDF5 file modified"
# ---- 0: flags that start nothing (no study file, no lock)
flag() { # flag REGEX args...
  local before; N=$((N + 1)); before=$(sums)
  mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$X" "$@" >"$WORK/log" 2>&1 || fail "case $N: $* exited $?"
  grep -Eq -- "$1" "$WORK/log" || fail "case $N: /$1/ not in the output of $*"
  [ "$before" = "$(sums)" ] && [ ! -e "$X" ] && [ ! -e "$X.lock" ] || fail "case $N: $* touched the output"
}
v="^splinelens [0-9.]+ \(git [0-9a-f]+"
flag "$v" -version
flag "$v" --version
flag "Exit status:" -help
flag "Exit status:" --help
flag "Exit status:" -h
# ---- 0: a missing output directory is created (the README's command in a fresh clone)
N=$((N + 1))
mpiexec -n 2 "$BIN" -sl_view 0 -sl_output_dir "$WORK/fresh/results/deeper" -options_file "$CONFIG" "$@" -sl_stop_after 1 >"$WORK/fresh.log" 2>&1; rc=$?
[ $rc = 75 ] && [ -s "$WORK/fresh/results/deeper/tiny.h5" ] || fail "case $N: missing output directory: exit $rc ($(grep -m1 error "$WORK/fresh.log"))"
# ---- usage errors of merge
merge() { # merge CODE REGEX args...
  local code=$1 re=$2 before rc; shift 2; N=$((N + 1)); before=$(sums)
  "$BIN" merge "$@" >"$WORK/log" 2>&1; rc=$?
  [ $rc = "$code" ] || fail "case $N: merge $* exited $rc, expected $code: $(head -3 "$WORK/log")"
  grep -Eq -- "$re" "$WORK/log" || fail "case $N: merge: /$re/ not in: $(head -3 "$WORK/log")"
  [ "$before" = "$(sums)" ] || fail "case $N: merge $* created or changed a file"
}
merge 64 "merge: unknown option -frobnicate" -frobnicate -o "$R/m.h5" "$R/good.h5"
merge 64 "no output file" "$R/good.h5"
merge 65 "junk.h5" -o "$R/m.h5" "$R/good.h5" "$R/junk.h5"
merge 65 "run 0 is done in both" -o "$R/m.h5" "$R/good.h5" "$R/good.h5"
echo "$N bad-input cases refused with their exit status and message, no file touched"
