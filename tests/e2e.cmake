# End-to-end tests of the study runner (the real program on small studies).
set(SL_E2E_CONFIG ${CMAKE_SOURCE_DIR}/configs/tiny.yaml)
foreach(t resume badinput)
  add_test(NAME e2e_${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${t}.sh $<TARGET_FILE:splinelens>
           ${CMAKE_SOURCE_DIR} ${SL_E2E_CONFIG})
  set_tests_properties(e2e_${t} PROPERTIES LABELS "e2e;mpi" ENVIRONMENT "${SL_MPI_ENV}" TIMEOUT 300)
endforeach()
# The tiny study on 1, 2, 3 ranks, with spectra at every snapshot and eigenvectors too.
add_test(NAME e2e_ranks COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ranks.sh $<TARGET_FILE:splinelens>
         ${CMAKE_SOURCE_DIR} ${SL_E2E_CONFIG} -sl_hess_stages init,final,snapshots -sl_eig_vectors)
set_tests_properties(e2e_ranks PROPERTIES LABELS "e2e;mpi" ENVIRONMENT "${SL_MPI_ENV}" TIMEOUT 300)
# Slower runs so the signals of the resume test arrive mid-study.
set_tests_properties(e2e_resume PROPERTIES TIMEOUT 400)
add_test(NAME e2e_wide COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/wide.sh $<TARGET_FILE:splinelens> ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_wide PROPERTIES LABELS "e2e;mpi" ENVIRONMENT "${SL_MPI_ENV}" TIMEOUT 300)

# The issue's acceptance test: the default study itself (configs/default.yaml, 72 runs) on 1, 2 and 3 ranks gives
# identical numeric content (about 2 minutes on 2 cores).
add_test(NAME e2e_ranks_default COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ranks.sh $<TARGET_FILE:splinelens>
         ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/configs/default.yaml)
set_tests_properties(e2e_ranks_default PROPERTIES LABELS "e2e;mpi" ENVIRONMENT "${SL_MPI_ENV}" TIMEOUT 900)
