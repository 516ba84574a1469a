# Training (src/train.c, src/train_run.c): gradient flow with PETSc TS, THEORY.md sections 2, 5 and 6.
set(d ${CMAKE_CURRENT_SOURCE_DIR})
sl_add_c_test(train_conservation SOURCES ${d}/test_train_conservation.c LABELS unit theory)
sl_add_c_test(train_loss SOURCES ${d}/test_train_loss.c LABELS unit theory)
sl_add_c_test(train_stop SOURCES ${d}/test_train_stop.c LABELS unit)
sl_add_c_test(train_snapshots SOURCES ${d}/test_train_snapshots.c LABELS unit)
sl_add_c_test(train_mpi SOURCES ${d}/test_train_mpi.c RANKS 2 LABELS unit mpi)

# Options: every invalid value stops SLTrainerSetFromOptions with a message naming the option.
add_executable(train_options ${d}/test_train_options.c)
target_link_libraries(train_options PRIVATE splinelens_lib)
set(SL_TRAIN_BAD_OPTIONS
  "lr|-sl_train_lr -1|sl_train_lr"
  "max_time|-sl_train_max_time 0|sl_train_max_time"
  "max_steps|-sl_train_max_steps 0|sl_train_max_steps"
  "snapshots|-sl_train_snapshots 1|sl_train_snapshots"
  "curve|-sl_train_curve 5|sl_train_curve"
  "t0|-sl_train_t0 200|sl_train_t0"
  "diverge|-sl_train_diverge 0.5|sl_train_diverge"
  "rtol|-sl_train_rtol 0|sl_train_rtol"
  "loss|-sl_train_loss median|sl_train_loss.*median"
  "ts_type|-sl_train_ts_type nosuchtype|nosuchtype")
foreach(case ${SL_TRAIN_BAD_OPTIONS})
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 args)
  list(GET parts 2 regex)
  separate_arguments(args)
  add_test(NAME train_bad_${name} COMMAND sh ${d}/expect_error.sh "${regex}" $<TARGET_FILE:train_options> ${args})
  set_tests_properties(train_bad_${name} PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS unit)
endforeach()
# -help documents every trainer option and the TS options under the same prefix; valid options are accepted.
add_test(NAME train_help COMMAND sh -c "out=$($<TARGET_FILE:train_options> -help 2>&1) || exit 1; for o in max_time max_steps loss_tol diverge gd lr snapshots curve t0 loss rtol atol ts_type ts_adapt_type; do printf '%s\\n' \"$out\" | grep -Eq -- \"-sl_train_${o}[ :]\" || { echo \"-sl_train_$o missing from -help\"; exit 1; }; done")
set_tests_properties(train_help PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS unit)
add_test(NAME train_good_options COMMAND $<TARGET_FILE:train_options> -sl_train_gd -sl_train_lr 0.5 -sl_train_snapshots 3 -sl_train_curve 3 -sl_train_t0 0.5 -sl_train_max_time 2 -sl_train_loss mean)
set_tests_properties(train_good_options PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS unit PASS_REGULAR_EXPRESSION "learning rate \\(step\\) 0.5.*max time 2")
