# bench/run --quick as an opt-in smoke test: it needs torch and takes about a minute, so it runs only with
# SL_TEST_BENCH=1 in the environment and is skipped (exit 77) otherwise. With --check it fails when the exact
# counts disagree with the dense eigenvalues at some edge, or splinelens' extreme eigenvalues with the dense
# ones; it never asserts times.
add_test(NAME bench_quick
         COMMAND sh -c "if [ \"\$SL_TEST_BENCH\" = 1 ]; then BUILD_DIR='${CMAKE_BINARY_DIR}' exec bash '${CMAKE_SOURCE_DIR}/bench/run' --quick --check --out '${CMAKE_BINARY_DIR}/bench-quick.json'; else echo 'bench_quick: set SL_TEST_BENCH=1 to run it'; exit 77; fi")
set_tests_properties(bench_quick PROPERTIES LABELS bench SKIP_RETURN_CODE 77 TIMEOUT 900 ENVIRONMENT "${SL_MPI_ENV}")
