# Tests of the parallel HDF5 study file (src/output*.c, include/splinelens/output.h). Files go to a scratch
# directory of the build tree; each test uses its own names, so they may run concurrently.
set(SL_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/output_scratch)
file(MAKE_DIRECTORY ${SL_OUTPUT_DIR})

# write in rounds / resume / read back exactly; merge of slices == one-shot file
foreach(np 1 2 3)
  if(np EQUAL 1)
    set(lab unit)
  else()
    set(lab unit mpi)
  endif()
  sl_add_c_test(test_output SOURCES test_output.c RANKS ${np} ARGS roundtrip ${SL_OUTPUT_DIR} rt LABELS ${lab})
  add_test(NAME test_output_merge_np${np} COMMAND ${SL_MPIEXEC} -n ${np} $<TARGET_FILE:test_output> merge ${SL_OUTPUT_DIR} mg)
  set_tests_properties(test_output_merge_np${np} PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "${lab}")
endforeach()

# refusals: message names the file; refused files untouched; nothing half-created
set(SL_OUTPUT_ERRORS ${CMAKE_CURRENT_SOURCE_DIR}/test_output_errors.sh)
foreach(case foreign layout nothdf5 notstudy nodir notdir readonly fsize merge-dup merge-missing merge-fingerprint
        merge-layout merge-exists)
  add_test(NAME test_output_err_${case} COMMAND sh ${SL_OUTPUT_ERRORS} ${case} 1 ${SL_MPIEXEC} $<TARGET_FILE:test_output> ${SL_OUTPUT_DIR})
  set_tests_properties(test_output_err_${case} PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit")
endforeach()
foreach(case foreign layout merge-dup)
  add_test(NAME test_output_err_${case}_np2 COMMAND sh ${SL_OUTPUT_ERRORS} ${case} 2 ${SL_MPIEXEC} $<TARGET_FILE:test_output> ${SL_OUTPUT_DIR})
  set_tests_properties(test_output_err_${case}_np2 PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit;mpi")
endforeach()

# outside views: h5diff of merged vs one-shot, h5py sees the dimension scales
add_test(NAME test_output_h5diff COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_output_h5diff.sh ${SL_MPIEXEC} $<TARGET_FILE:test_output> ${SL_OUTPUT_DIR})
set_tests_properties(test_output_h5diff PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit;mpi")
add_test(NAME test_output_dims_py COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_output_dims.py ${SL_MPIEXEC} $<TARGET_FILE:test_output> ${SL_OUTPUT_DIR})
set_tests_properties(test_output_dims_py PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit;mpi;python")
