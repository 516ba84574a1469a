#!/bin/bash
# Plans and preflight (src/study/plan.c):
#  (a) a study too large for the caps (-sl_max_file_size, -sl_max_memory) or the machine is refused at once with
#      exit 71 (resource), one error line naming the option that makes it too big, and nothing created: on 1 and
#      on 2 ranks (no hang);
#  (b) -sl_dry_run prints the plan in its documented format, exits 0 and touches nothing;
#  (c) the plan's estimates against the real figures: the file size within a factor 1.5 of the file written, the
#      peak memory per rank within a factor 1.5 of the getrusage peak the study reports (a dense-spectrum study
#      whose Hessians dominate the memory);
#  (d) the slice count of a wall-time target: the calibration a,b turns the total cost into rank-seconds.
BIN=$1 SRC=$2 CONFIG=$3; shift 3
. "$SRC/tests/e2e/lib.sh"
R="$WORK/res"
mkdir -p "$R"
# refuse NRANKS REGEX args...
refuse() {
  local n=$1 re=$2 rc; shift 2
  mpiexec -n "$n" "$BIN" -sl_view 0 -sl_output "$R/sub/x.h5" -options_file "$CONFIG" "$@" >"$WORK/log" 2>&1; rc=$?
  [ $rc = 71 ] || fail "(a) exit $rc, expected 71, for $* on $n ranks: $(grep -m2 error "$WORK/log")"
  grep -Eq -- "$re" "$WORK/log" || fail "(a) message /$re/ not found for $*: $(grep -m2 error "$WORK/log")"
  [ "$(grep -c '^splinelens: error' "$WORK/log")" = 1 ] || fail "(a) not exactly one error line for $*"
  [ -z "$(ls -A "$R")" ] || fail "(a) something was created for $*: $(ls -R "$R")"
  echo "(a) $n ranks, $*: $(grep -m1 '^splinelens: error' "$WORK/log")"
}
for n in 1 2; do
  refuse $n "no space left on device|out of memory|more than -sl_max.*-sl_widths 715827882" -sl_widths 715827882
  refuse $n "(more than -sl_max_memory|no space left on device).*-sl_eig_hist_bins 100000000" -sl_eig_hist_bins 100000000 -sl_max_memory 4e9 -sl_max_file_size 1e12
  refuse $n "more than -sl_max_file_size.*-sl_eig_hist_bins 100000000" -sl_eig_hist_bins 100000000 -sl_max_file_size 4e9
  refuse $n "(more than -sl_max_memory|no space left on device).*-sl_train_curve 200000000" -sl_train_curve 200000000 -sl_max_memory 4e9 -sl_max_file_size 1e12
  refuse $n "more than -sl_max_file_size.*-sl_train_curve 200000000" -sl_train_curve 200000000 -sl_max_file_size 4e9
done
refuse 2 "more than -sl_max_memory.*-sl_widths 2000 with dense spectra up to -sl_eig_dense_max 7000" -sl_widths 2000 -sl_eig_dense_max 7000 -sl_max_memory 2e8

# (b) the dry run: format, exit 0, nothing created
STUDY=(-options_file "$CONFIG" -sl_seeds 0-100 -sl_widths 4,16,64 -sl_train 0)
mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$R/sub/d.h5" "${STUDY[@]}" -sl_dry_run -sl_plan_walltime 600 -sl_plan_ranks 16 >"$WORK/plan" 2>&1 || fail "(b) dry run exited $?: $(cat "$WORK/plan")"
cat "$WORK/plan"
[ -z "$(ls -A "$R")" ] || fail "(b) the dry run created $(ls -R "$R")"
for re in '^plan runs: 600 \(study 600, slice 0 of 1\)$' \
  '^plan cost per run: min [0-9.e+-]+, mean [0-9.e+-]+, max [0-9.e+-]+ units; [0-9.e+-]+, [0-9.e+-]+, [0-9.e+-]+ s$' \
  '^plan cost total: [0-9.e+-]+ units, [0-9.e+-]+ rank-seconds \(calibration a=[0-9.e+-]+ s/unit, b=[0-9.e+-]+ s/run\)$' \
  '^plan memory per rank: [0-9.e+-]+ bytes \(.*\)$' '^plan file size: [0-9.e+-]+ bytes \(.*, [0-9]+ datasets\)$' \
  '^plan walltime target: 600 s per slice, 16 ranks per slice at most$' '^plan slices: 1$' '^plan ranks: [0-9]+$' '^plan time per slice: [0-9.e+-]+ s$'; do
  grep -Eq -- "$re" "$WORK/plan" || fail "(b) no line /$re/ in the plan"
done

# (c) estimates against the real figures
val() { grep "^$1" "$2" | sed -E 's/^[^:]*: ([0-9.e+-]+).*/\1/'; }
ratio_ok() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { r = a / b; exit !(r <= f && r >= 1 / f) }'; }
run_study 2 "$R/d.h5" "${STUDY[@]}" || fail "(c) study exited $?"
est=$(val "plan file size" "$WORK/plan") real=$(stat -c %s "$R/d.h5")
echo "(c) file size: plan $est bytes, written $real bytes"
ratio_ok "$est" "$real" 1.5 || fail "(c) file size estimate $est vs $real bytes: outside a factor 1.5"
DENSE=(-options_file "$CONFIG" -sl_widths 300,600 -sl_seeds 0 -sl_alphas 1 -sl_train 0 -sl_eig_dense_max 2000)
mpiexec -n 2 "$BIN" -sl_view 0 -sl_output "$R/m.h5" "${DENSE[@]}" -sl_dry_run >"$WORK/plan2" 2>&1 || fail "(c) dry run exited $?"
run_study 2 "$R/m.h5" "${DENSE[@]}" || fail "(c) dense study exited $?"
est=$(val "plan memory per rank" "$WORK/plan2") real=$(sed -nE 's/^\[splinelens\] peak memory per rank: ([0-9.e+-]+) bytes.*/\1/p' "$R/m.h5.log")
echo "(c) peak memory per rank: plan $est bytes, measured $real bytes"
[ -n "$real" ] || fail "(c) no measured peak in the log"
ratio_ok "$est" "$real" 1.5 || fail "(c) memory estimate $est vs measured $real bytes: outside a factor 1.5"

# (d) slices for a wall-time target follow the calibration: 1 rank-second per run -> 600 rank-seconds; with 2
# ranks and 60 s per slice at 80% efficiency: ceil(600 / 96) = 7 slices
mpiexec -n 1 "$BIN" -sl_view 0 -sl_output "$R/sub/d.h5" "${STUDY[@]}" -sl_dry_run -sl_plan_walltime 60 -sl_plan_ranks 2 -sl_plan_calibration 0,1 >"$WORK/plan3" 2>&1 || fail "(d) exited $?"
grep -q '^plan slices: 7$' "$WORK/plan3" || fail "(d) expected 7 slices: $(grep '^plan' "$WORK/plan3")"
grep -q '^plan ranks: 2$' "$WORK/plan3" || fail "(d) expected 2 ranks: $(grep '^plan' "$WORK/plan3")"
echo "preflight refusals, dry-run format, estimates within a factor 1.5, slices from the calibration"
