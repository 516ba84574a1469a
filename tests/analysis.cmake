# Analysis tools (analysis/*.py, splinelens-summary, splinelens-report): pytest under tests/python, with
# Debian's /usr/bin/python3 (numpy, scipy, h5py, matplotlib). The end-to-end tests run the real program
# (SPLINELENS_BIN) on a small study with 2 ranks; they skip with a reason when the binary is missing.
add_test(NAME analysis_pytest
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/python)
set_tests_properties(analysis_pytest PROPERTIES
  LABELS python
  TIMEOUT 600
  ENVIRONMENT "${SL_MPI_ENV};SPLINELENS_BIN=$<TARGET_FILE:splinelens>;SPLINELENS_MPIEXEC=${SL_MPIEXEC};MPLBACKEND=Agg")
