#!/bin/sh
# test_output_h5diff.sh <mpiexec> <test_output> <dir>
#
# SLOutputMerge of two slice files (written on 2 ranks) against the one-shot file, compared by h5diff (hdf5-tools)
# group by group (the root attributes differ by design: merged_from). As a control, h5diff must see the
# difference between the one-shot file and a slice.
set -u
mpiexec=$1 exe=$2 dir=$3/h5diff
rm -rf "$dir" && mkdir -p "$dir" || exit 2
"$mpiexec" -n 2 "$exe" merge "$dir" hd || { echo "FAIL: the merge driver failed" >&2; exit 1; }
one=$dir/hd_one_np2.h5 merged=$dir/hd_merged_np2.h5 slice=$dir/hd_a_np2.h5
groups=$(h5ls "$one" | awk '$2 == "Group" {print $1}')
[ -n "$groups" ] || { echo "FAIL: no groups in $one" >&2; exit 1; }
for g in $groups; do
  h5diff "$one" "$merged" "/$g" "/$g" || { echo "FAIL: h5diff finds /$g differs between $one and $merged" >&2; h5diff -r "$one" "$merged" "/$g" "/$g" | head -40; exit 1; }
  echo "ok: /$g identical"
done
if h5diff -q "$one" "$slice" /runs /runs; then
  echo "FAIL: h5diff sees no difference between $one and the slice $slice" >&2
  exit 1
fi
echo "ok: h5diff distinguishes the slice"
