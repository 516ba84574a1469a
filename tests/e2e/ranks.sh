#!/bin/bash
# A study gives bitwise-identical numeric content on 1, 2 and 3 ranks (3 oversubscribed on 2 cores).
# Usage: ranks.sh BIN SRC CONFIG [extra options]
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
for n in 1 2 3; do
  run_study $n "$WORK/r$n.h5" -options_file "$CONFIG" "$@" || fail "run on $n ranks exited $? ($(tail -3 "$WORK/r$n.h5.log"))"
  read -r p d f < <(status_counts "$WORK/r$n.h5")
  [ "$p" = 0 ] || fail "$p runs pending after a complete run on $n ranks"
done
$COMPARE "$WORK/r1.h5" "$WORK/r2.h5" || fail "1 and 2 ranks differ"
$COMPARE "$WORK/r1.h5" "$WORK/r3.h5" || fail "1 and 3 ranks differ"
echo "identical on 1, 2, 3 ranks"
