#!/bin/sh
# test_output_errors.sh <case> <nranks> <mpiexec> <test_output> <dir>
#
# Error cases of the study output file (include/splinelens/output.h), driven by tests/test_output.c: each must
# exit nonzero with a message naming the file at fault, and must leave the files it refused untouched (checked
# with cmp against a copy made before) and create no output (merges: no result, no temporary file).
set -u
if [ "$#" -ne 5 ]; then
  echo "usage: $0 <case> <nranks> <mpiexec> <test_output> <dir>" >&2
  exit 2
fi
case=$1 np=$2 mpiexec=$3 exe=$4 dir=$5/err_$1_np$2
rm -rf "$dir" && mkdir -p "$dir" || exit 2

fail() {
  echo "test_output_errors.sh $case: FAIL: $*" >&2
  exit 1
}
run() {
  "$mpiexec" -n "$np" "$exe" "$@"
}
# expect_fail <extended regex> cmd...: cmd must fail and print a match
expect_fail() {
  regex=$1
  shift
  out=$("$@" 2>&1)
  st=$?
  if [ "$st" -eq 0 ]; then
    printf '%s\n' "$out"
    fail "command succeeded, expected an error matching: $regex"
  fi
  if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
    printf '%s\n' "$out"
    fail "exit status $st, but the output does not match: $regex"
  fi
  echo "ok: exit status $st, message matches: $regex"
}
unchanged() {
  cmp "$1" "$1.orig" || fail "$1 was modified by the refused open"
  echo "ok: $1 unchanged"
}
no_merge_output() {
  [ ! -e "$1" ] || fail "refused merge created $1"
  ls "$dir" | grep -q merging && fail "refused merge left a temporary file in $dir"
  echo "ok: no merge output"
}

case $case in
foreign) # a file of another study is refused and left byte-identical; the right fingerprint resumes it
  f=$dir/study.h5
  run open "$f" fp-A std | grep -q "created $f" || fail "could not create $f"
  cp "$f" "$f.orig"
  expect_fail "SLOutput: $f belongs to another study: its study_fingerprint is \"fp-A\", this study's is \"fp-B\"" run open "$f" fp-B std
  unchanged "$f"
  run open "$f" fp-A std | grep -q "resumed $f" || fail "the right fingerprint did not resume $f"
  ;;
layout) # same fingerprint, other layout
  f=$dir/study.h5
  run open "$f" fp-A std | grep -q "created $f" || fail "could not create $f"
  cp "$f" "$f.orig"
  expect_fail "SLOutput: $f has a different layout: dataset /runs/extra is missing" run open "$f" fp-A extra
  unchanged "$f"
  ;;
nothdf5)
  f=$dir/notes.h5
  printf 'these are my notes, not an HDF5 file\n' >"$f"
  cp "$f" "$f.orig"
  expect_fail "SLOutput: file $f exists but is not an HDF5 file" run open "$f" fp-A std
  unchanged "$f"
  ;;
notstudy) # an HDF5 file of someone else
  f=$dir/other.h5
  /usr/bin/python3 -c "import h5py, sys; h5py.File(sys.argv[1], 'w').create_dataset('x', data=[1, 2])" "$f" || exit 2
  cp "$f" "$f.orig"
  expect_fail "SLOutput: $f is not a splinelens study file \(root attribute format is missing" run open "$f" fp-A std
  unchanged "$f"
  ;;
nodir) # a missing output directory is created (mkdir -p), as the README's commands expect in a fresh clone
  f=$dir/no/such/dir/study.h5
  run open "$f" fp-A std >/dev/null 2>&1 || fail "a study file in a missing directory was not created"
  [ -f "$f" ] || fail "$f was not created"
  ;;
notdir)
  : >"$dir/plain"
  f=$dir/plain/study.h5
  expect_fail "SLOutput: cannot create $f: $dir/plain is not a directory" run open "$f" fp-A std
  ;;
readonly) # an unwritable directory; root may write anywhere, so it gets /proc, where creation itself fails
  if [ "$(id -u)" -eq 0 ]; then
    f=/proc/sl_test_output_$$.h5
    expect_fail "SLOutput: cannot create the lock file $f.lock" run open "$f" fp-A std
  else
    mkdir "$dir/ro" && chmod 555 "$dir/ro"
    expect_fail "SLOutput: cannot create $dir/ro/study.h5: directory $dir/ro is not writable" run open "$dir/ro/study.h5" fp-A std
    chmod 755 "$dir/ro"
  fi
  ;;
fsize) # creation fails midway (file size limit): no half-created file is left
  f=$dir/big.h5
  expect_fail "SLOutput: creating the layout of $f failed \(HDF5 could not create dataset /big/zeros: no space left on device \(or file too large\)\); the partial file was removed" run fsize "$f"
  [ ! -e "$f" ] || fail "half-created $f left behind"
  ;;
merge-dup)
  expect_fail "SLOutputMerge: run 6 is done in both $dir/merge-dup_a_np$np.h5 and $dir/merge-dup_b_np$np.h5" run merge-dup "$dir"
  no_merge_output "$dir/merge-dup_out_np$np.h5"
  ;;
merge-missing)
  expect_fail "SLOutputMerge: 5 run.s. are done in none of the 1 input files .first: 1, 3, 5, 7, 9." run merge-missing "$dir"
  no_merge_output "$dir/merge-missing_out_np$np.h5"
  ;;
merge-fingerprint)
  expect_fail "SLOutputMerge: input file $dir/merge-fingerprint_b_np$np.h5 belongs to another study than $dir/merge-fingerprint_a_np$np.h5: study_fingerprint \"fp-another-study\" vs \"fp-test-study-0001\"" run merge-fingerprint "$dir"
  no_merge_output "$dir/merge-fingerprint_out_np$np.h5"
  ;;
merge-layout)
  expect_fail "SLOutputMerge: input file $dir/merge-layout_b_np$np.h5 has another layout than $dir/merge-layout_a_np$np.h5: it has an extra dataset /runs/extra" run merge-layout "$dir"
  no_merge_output "$dir/merge-layout_out_np$np.h5"
  ;;
merge-exists)
  expect_fail "SLOutputMerge: output file $dir/merge-exists_out_np$np.h5 already exists; refusing to overwrite it" run merge-exists "$dir"
  ;;
*)
  echo "unknown case $case" >&2
  exit 2
  ;;
esac
echo "test_output_errors.sh $case: ok"
