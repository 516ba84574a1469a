# SLURM scenario tests (tests/slurm/): the job scripts of jobs/ on a real one-node SLURM that the fixture
# slurm_setup installs and starts (tests/slurm/setup-slurm.sh, as root). They SKIP (exit 77) unless the
# environment has SL_TEST_SLURM=1. They run one at a time (RESOURCE_LOCK: each job takes both cores) and share a
# work directory; slurm_study writes the reference file the other scenarios compare with.
set(SL_SLURM_DIR ${CMAKE_CURRENT_SOURCE_DIR}/slurm)
set(SL_SLURM_WORK ${CMAKE_CURRENT_BINARY_DIR}/slurm-work)

add_test(NAME slurm_setup COMMAND bash ${SL_SLURM_DIR}/setup.sh)
set_tests_properties(slurm_setup PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 TIMEOUT 600
                     FIXTURES_SETUP slurm RESOURCE_LOCK slurm_cluster)

# scenario name -> timeout (s). The first writes the reference (fixture slurm_ref) the others need.
set(SL_SLURM_SCENARIOS study 600 requeue 900 array 900 scancel 900)
while(SL_SLURM_SCENARIOS)
  list(POP_FRONT SL_SLURM_SCENARIOS scenario timeout)
  add_test(NAME slurm_${scenario}
           COMMAND bash ${SL_SLURM_DIR}/${scenario}.sh $<TARGET_FILE:splinelens> ${CMAKE_SOURCE_DIR} ${SL_SLURM_WORK})
  set_tests_properties(slurm_${scenario} PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 TIMEOUT ${timeout}
                       RESOURCE_LOCK slurm_cluster)
  if(scenario STREQUAL "study")
    set_tests_properties(slurm_${scenario} PROPERTIES FIXTURES_REQUIRED slurm FIXTURES_SETUP slurm_ref)
  else()
    set_tests_properties(slurm_${scenario} PROPERTIES FIXTURES_REQUIRED "slurm;slurm_ref")
  endif()
endwhile()
