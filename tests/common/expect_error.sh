#!/bin/sh
# expect_error.sh "<regex>" cmd [args...]
#
# Run cmd and pass only if it FAILS (exit status != 0) AND its combined stdout+stderr matches the extended
# regular expression <regex> (grep -E). Used by tests that check a bad input stops the program with a message
# naming the option / file:line at fault. Prints the output on failure so ctest logs show why.
if [ "$#" -lt 2 ]; then
  echo "usage: $0 <regex> cmd [args...]" >&2
  exit 2
fi
regex=$1
shift
out=$("$@" 2>&1)
status=$?
if [ "$status" -eq 0 ]; then
  printf '%s\n' "$out"
  echo "expect_error.sh: FAIL: command succeeded (exit 0), expected an error matching: $regex" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  printf '%s\n' "$out"
  echo "expect_error.sh: FAIL: exit status $status, but the output does not match: $regex" >&2
  exit 1
fi
echo "expect_error.sh: ok (exit status $status, output matches: $regex)"
exit 0
