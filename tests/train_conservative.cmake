# -sl_train_conservative (src/train_implicit.c): implicit midpoint gradient flow conserving q (THEORY.md section 5,
# claim 9). Drift vs TSRK 3bs, monotone loss, agreement with RK 5dp; the distributed run vs one rank.
set(d ${CMAKE_CURRENT_SOURCE_DIR})
sl_add_c_test(train_conservative SOURCES ${d}/test_train_conservative.c LABELS unit theory)
sl_add_c_test(train_conservative SOURCES ${d}/test_train_conservative.c RANKS 2 ARGS mpi LABELS unit theory mpi)
# -help documents the option and the Newton/Krylov options under the same prefix; View names the method.
add_test(NAME train_conservative_help COMMAND sh -c "out=$($<TARGET_FILE:train_options> -sl_train_conservative -help 2>&1) || exit 1; for o in conservative snes_rtol snes_stol ksp_type pc_type ts_theta_theta; do printf '%s\\n' \"$out\" | grep -Eq -- \"-sl_train_${o}[ :]\" || { echo \"-sl_train_$o missing from -help\"; exit 1; }; done")
set_tests_properties(train_conservative_help PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS unit)
add_test(NAME train_conservative_view COMMAND $<TARGET_FILE:train_options> -sl_train_conservative)
set_tests_properties(train_conservative_view PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS unit PASS_REGULAR_EXPRESSION "conservative .*implicit midpoint.*q = v\\^2-w\\^2-b\\^2 conserved")
sl_add_expect_error(train_conservative_bad_gd "sl_train_gd and -sl_train_conservative" $<TARGET_FILE:train_options> -sl_train_gd -sl_train_conservative)
