# Eigenvectors of the Hessian extremes (-sl_eig_vectors; src/spectrum*.c, THEORY.md section 4): every method
# against LAPACK eigenpairs of the dense Hessian on one rank, and the class-reduced vectors of a wide distributed
# network bitwise equal to a one-rank computation on 1, 2 and 3 ranks.
find_package(LAPACK REQUIRED)
set(d ${CMAKE_CURRENT_SOURCE_DIR})
sl_add_c_test(spectrum_vectors SOURCES ${d}/test_spectrum_vectors.c LABELS unit theory)
target_link_libraries(spectrum_vectors PRIVATE LAPACK::LAPACK)
foreach(np 1 2 3)
  sl_add_c_test(spectrum_vectors_mpi SOURCES ${d}/test_spectrum_vectors_mpi.c RANKS ${np} LABELS unit mpi)
endforeach()
