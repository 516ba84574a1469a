# Hessian operators, exact eigenvalue counts and spectra (src/hessian_*.c, src/spectrum*.c), THEORY.md
# section 4. The tests compute reference spectra with LAPACK dsyev directly (petscblaslapack.h).
find_package(LAPACK REQUIRED)
set(d ${CMAKE_CURRENT_SOURCE_DIR})
sl_add_c_test(hessian_shell SOURCES ${d}/test_hessian_shell.c LABELS unit theory)
sl_add_c_test(hessian_count SOURCES ${d}/test_hessian_count.c LABELS unit theory)
sl_add_c_test(spectrum SOURCES ${d}/test_spectrum.c LABELS unit theory)
# Activation classes: masks, class-aggregated products and counts against the O(P N^2) oracle and dense LAPACK,
# the reduced full spectrum, extremes and Gram spectra (src/hessian_class.c, src/spectrum_reduced.c).
sl_add_c_test(hessian_class SOURCES ${d}/test_hessian_class.c LABELS unit theory)
# The Krylov method with Krylov-Schur instead of the class-reduced problem (the fallback for many data points).
add_test(NAME spectrum_krylov_schur COMMAND ${SL_MPIEXEC} -n 1 $<TARGET_FILE:spectrum> -sl_eig_reduced_max -1)
set_tests_properties(spectrum_krylov_schur PROPERTIES ENVIRONMENT "${SL_MPI_ENV}" LABELS "unit;theory")
foreach(t hessian_shell hessian_count spectrum hessian_class)
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

# Very wide networks (tests/spectrum_wide.c, also the profiling driver): a width-30000 network on 2 ranks, k = 10
# extremes, counts and a 200-bin exact histogram, checked for consistency and for bitwise repeatability.
sl_add_c_test(spectrum_wide SOURCES ${d}/spectrum_wide.c RANKS 2 ARGS -H 30000 LABELS unit mpi)
# Class aggregates, counts, products, spectra and histograms bitwise equal on 1, 2 and 3 ranks.
sl_add_c_test(hessian_class_mpi SOURCES ${d}/test_hessian_class_mpi.c LABELS unit mpi)
sl_add_c_test(hessian_class_mpi SOURCES ${d}/test_hessian_class_mpi.c RANKS 2 LABELS unit mpi)
sl_add_c_test(hessian_class_mpi SOURCES ${d}/test_hessian_class_mpi.c RANKS 3 LABELS unit mpi)
# single eigenvalues by bisection on the exact count (1 and 2 ranks)
sl_add_c_test(hessian_bisect SOURCES ${d}/test_hessian_bisect.c LABELS unit theory)
sl_add_c_test(hessian_bisect SOURCES ${d}/test_hessian_bisect.c RANKS 2 LABELS unit theory mpi)
