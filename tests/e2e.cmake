# End-to-end tests of the study runner (the real program on small studies).
set(SL_E2E_CONFIG ${CMAKE_SOURCE_DIR}/configs/tiny.yaml)
foreach(t ranks resume badinput)
  add_test(NAME e2e_${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${t}.sh $<TARGET_FILE:splinelens>
           ${CMAKE_SOURCE_DIR} ${SL_E2E_CONFIG})
  set_tests_properties(e2e_${t} PROPERTIES LABELS "e2e;mpi" ENVIRONMENT "${SL_MPI_ENV}" TIMEOUT 300)
endforeach()
# Slower runs so the signals of the resume test arrive mid-study.
set_tests_properties(e2e_resume PROPERTIES TIMEOUT 400)
add_test(NAME e2e_wide COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/wide.sh $<TARGET_FILE:splinelens> ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_wide PROPERTIES LABELS "e2e;mpi" ENVIRONMENT "${SL_MPI_ENV}" TIMEOUT 300)
