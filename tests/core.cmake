# Core numerics: NN and BDSO coordinates (src/network*.c, src/spline*.c), THEORY.md sections 1, 2, 4.
# The tests call LAPACK dsyev directly (petscblaslapack.h); the library itself needs no BLAS/LAPACK symbol.
find_package(LAPACK REQUIRED)
set(d ${CMAKE_CURRENT_SOURCE_DIR})
sl_add_c_test(core_fd SOURCES ${d}/test_core_fd.c LABELS unit theory)
sl_add_c_test(core_bdso SOURCES ${d}/test_core_bdso.c LABELS unit theory)
sl_add_c_test(core_spectrum SOURCES ${d}/test_core_spectrum.c LABELS unit theory)
sl_add_c_test(core_jacobian SOURCES ${d}/test_core_jacobian.c LABELS unit)
sl_add_c_test(core_jacobian SOURCES ${d}/test_core_jacobian.c RANKS 2 LABELS unit mpi)
sl_add_c_test(core_mpi SOURCES ${d}/test_core_mpi.c RANKS 2 LABELS unit mpi)
sl_add_c_test(core_mpi SOURCES ${d}/test_core_mpi.c RANKS 3 LABELS unit mpi)
foreach(t core_fd core_bdso core_spectrum core_jacobian core_mpi)
  target_link_libraries(${t} PRIVATE LAPACK::LAPACK)
endforeach()
