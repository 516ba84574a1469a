# Shared helpers of the end-to-end tests. Sourced; expects $BIN (splinelens) and $SRC (source tree).
set -u
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_io=${OMPI_MCA_io:-romio321}
PY=/usr/bin/python3
COMPARE="$PY $SRC/analysis/splinelens-compare"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sl-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# run_study NRANKS OUTFILE [options...]: runs and returns splinelens' exit status; log in OUTFILE.log
run_study() {
  local n=$1 out=$2; shift 2
  mpiexec -n "$n" "$BIN" -sl_view 0 -sl_output "$out" "$@" >"$out.log" 2>&1
}
# status_counts FILE: prints "pending done failed"
status_counts() {
  $PY -c "import h5py,numpy as np,sys; s=h5py.File(sys.argv[1],'r')['runs/status'][:]; print((s==0).sum(),(s==1).sum(),(s==2).sum())" "$1"
}
