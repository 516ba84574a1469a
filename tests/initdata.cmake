# Tests of the counter-based RNG, initialization schemes and data sets (src/rng.c, init*.c, data*.c).

# sl_add_expect_error() is defined in tests/CMakeLists.txt.

sl_add_c_test(test_rng SOURCES test_rng.c LABELS unit)
sl_add_c_test(test_init SOURCES test_init.c LABELS unit theory)
sl_add_c_test(test_init_mpi SOURCES test_init_mpi.c RANKS 2 LABELS unit mpi)
sl_add_c_test(test_init_mpi SOURCES test_init_mpi.c RANKS 3 LABELS unit mpi)
sl_add_c_test(test_data SOURCES test_data.c LABELS unit)

# ---- the driver: good inputs print summaries, bad inputs stop with a message naming the culprit ----------
add_executable(initdata_driver initdata_driver.c)
target_link_libraries(initdata_driver PRIVATE splinelens_lib)
# singleton MPI start (no mpiexec): 0.3 s instead of 1.3 s per run
set(SL_DRIVER $<TARGET_FILE:initdata_driver>)
set(SL_CSV ${CMAKE_CURRENT_SOURCE_DIR}/data)

add_test(NAME initdata_good_csv COMMAND ${SL_DRIVER} -data pts -sl_data_pts_type csv -sl_data_pts_file ${SL_CSV}/good_header.csv)
set_tests_properties(initdata_good_csv PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit"
  PASS_REGULAR_EXPRESSION "type csv, N = 4, x in \\[-1, 0.5\\].*x\\[0\\] = -1  y = 1\n.*x\\[1\\] = 0  y = 0\n.*x\\[2\\] = 0.10000000000000001  y = -2.5\n.*x\\[3\\] = 0.5  y = 0.25\n")
add_test(NAME initdata_good_defaults COMMAND ${SL_DRIVER} -data fourpoint -H 8 -has_c -sl_init_scheme torch_default -sl_init_symmetric)
set_tests_properties(initdata_good_defaults PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit"
  PASS_REGULAR_EXPRESSION "type fourpoint, N = 4.*scheme torch_default.*symmetric.*c zero.*network initialized: H = 8, c = 0\n")

# initialization options
sl_add_expect_error(initdata_err_scheme "Unknown value 'foo' for -sl_init_scheme; valid values: lecun_normal, he_normal, glorot_normal, lecun_uniform, he_uniform, glorot_uniform, torch_default, gaussian"
  ${SL_DRIVER} -sl_init_scheme foo)
sl_add_expect_error(initdata_err_alpha "-sl_init_alpha must be > 0, got 0" ${SL_DRIVER} -sl_init_alpha 0)
sl_add_expect_error(initdata_err_alpha_in "-sl_init_alpha_in must be > 0, got -1" ${SL_DRIVER} -sl_init_alpha_in -1)
sl_add_expect_error(initdata_err_sw "-sl_init_sw must be >= 0" ${SL_DRIVER} -sl_init_sw -2)
sl_add_expect_error(initdata_err_bias "Unknown value 'sometimes' for -sl_init_bias; valid values: same, zero, explicit" ${SL_DRIVER} -sl_init_bias sometimes)
sl_add_expect_error(initdata_err_symmetric_odd "-sl_init_symmetric needs an even width H, got H = 5" ${SL_DRIVER} -H 5 -sl_init_symmetric)
# data options
sl_add_expect_error(initdata_err_n "-sl_data_sine_n must be >= 1, got 0" ${SL_DRIVER} -sl_data_sine_n 0)
sl_add_expect_error(initdata_err_range "-sl_data_cubic_xmin .1. must be < -sl_data_cubic_xmax .1." ${SL_DRIVER} -data cubic -sl_data_cubic_xmin 1 -sl_data_cubic_xmax 1)
sl_add_expect_error(initdata_err_noise "-sl_data_sine_noise must be >= 0" ${SL_DRIVER} -sl_data_sine_noise -1)
sl_add_expect_error(initdata_err_type_required "-sl_data_train_type is required: 'train' is not a data type name" ${SL_DRIVER} -data train)
sl_add_expect_error(initdata_err_type "Unknown value 'sawtooth' for -sl_data_sine_type; valid values: sine, square, cubic, random, fourpoint, csv" ${SL_DRIVER} -sl_data_sine_type sawtooth)
sl_add_expect_error(initdata_err_fourpoint_n "-sl_data_fourpoint_n: the fourpoint data set has exactly 4 points, got 5" ${SL_DRIVER} -data fourpoint -sl_data_fourpoint_n 5)
sl_add_expect_error(initdata_err_csv_nofile "-sl_data_d_file is required with type csv" ${SL_DRIVER} -data d -sl_data_d_type csv)
# CSV files: file:line and the fault
foreach(case
    "empty|empty.csv: no data rows"
    "header_only|header_only.csv: no data rows"
    "nonnumeric|nonnumeric.csv:3: field 2 .y. 'abc' is not a number"
    "nan|nan.csv:2: field 1 .x. 'nan' is not finite"
    "inf|inf.csv:2: field 2 .y. '-Inf' is not finite"
    "duplicate|duplicate.csv:4: duplicate x = 0.5 .also on line 3."
    "columns|columns.csv:2: expected 2 comma-separated fields .x,y., found 3"
    "columns1|columns1.csv:2: expected 2 comma-separated fields .x,y., found 1"
    "header_late|header_late.csv:2: field 1 .x. 'x' is not a number"
    "does_not_exist|Cannot open data file '[^']*does_not_exist.csv'")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 file)
  list(GET parts 1 regex)
  sl_add_expect_error(initdata_err_csv_${file} "${regex}" ${SL_DRIVER} -data f -sl_data_f_type csv -sl_data_f_file ${SL_CSV}/${file}.csv)
endforeach()
