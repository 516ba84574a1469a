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
# SL_EXPECT_END_STATES=1: every trained run must also stop at an end state (interpolating or stationary, never on
# its budget): what README promises for the default study.
if [ "${SL_EXPECT_END_STATES:-0}" = 1 ]; then
  $PY - "$WORK/r1.h5" <<'PYEOF' || fail "runs of the study stopped without reaching an end state"
import h5py, sys
r = h5py.File(sys.argv[1], "r")["runs"]
reasons = [x.decode() if isinstance(x, bytes) else str(x) for x in r["stop_reason"][:]]
bad = [(i, x, int(r["steps"][i])) for i, x in enumerate(reasons) if x not in ("loss_tol", "stationary")]
print("end states: %d of %d runs%s" % (len(reasons) - len(bad), len(reasons), (": not " + str(bad)) if bad else ""))
sys.exit(1 if bad else 0)
PYEOF
fi
$COMPARE "$WORK/r1.h5" "$WORK/r2.h5" || fail "1 and 2 ranks differ"
$COMPARE "$WORK/r1.h5" "$WORK/r3.h5" || fail "1 and 3 ranks differ"
echo "identical on 1, 2, 3 ranks${SL_EXPECT_END_STATES:+, every run at an end state}"
