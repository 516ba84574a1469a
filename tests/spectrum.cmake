# Hessian operators, exact eigenvalue counts and spectra (src/hessian_*.c, src/spectrum*.c), THEORY.md
# section 4. The tests compute reference spectra with LAPACK dsyev directly (petscblaslapack.h).
find_package(LAPACK REQUIRED)
set(d ${CMAKE_CURRENT_SOURCE_DIR})
sl_add_c_test(hessian_shell SOURCES ${d}/test_hessian_shell.c LABELS unit theory)
sl_add_c_test(hessian_count SOURCES ${d}/test_hessian_count.c LABELS unit theory)
sl_add_c_test(spectrum SOURCES ${d}/test_spectrum.c LABELS unit theory)
foreach(t hessian_shell hessian_count spectrum)
  target_link_libraries(${t} PRIVATE LAPACK::LAPACK)
endforeach()

# Distributed operators and spectra against one rank (H = 2500: three SL_NEURON_BLOCKs over 1, 2, 3 ranks).
sl_add_c_test(spectrum_mpi SOURCES ${d}/test_spectrum_mpi.c LABELS unit mpi)
sl_add_c_test(spectrum_mpi SOURCES ${d}/test_spectrum_mpi.c RANKS 2 LABELS unit mpi)
sl_add_c_test(spectrum_mpi SOURCES ${d}/test_spectrum_mpi.c RANKS 3 LABELS unit mpi)
target_link_libraries(spectrum_mpi PRIVATE LAPACK::LAPACK)
# H = 50 is one block: ranks 1 and 2 hold no neuron (rank 2 holds only c).
add_test(NAME spectrum_mpi_np3_oneblock COMMAND ${SL_MPIEXEC} -n 3 $<TARGET_FILE:spectrum_mpi> -H 50 -N 30)
set_tests_properties(spectrum_mpi_np3_oneblock PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit;mpi")
# The dense Hessian of a distributed model must stop with a message saying why (tests/expect_error.sh).
add_test(NAME spectrum_dense_distributed_error
         COMMAND sh ${d}/expect_error.sh "SLHessianCreateDense needs a sequential model"
                 ${SL_MPIEXEC} -n 2 $<TARGET_FILE:spectrum_mpi> -dense_error -H 50)
set_tests_properties(spectrum_dense_distributed_error PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit;mpi")
