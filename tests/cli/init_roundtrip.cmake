# netsave init DIR writes the built-in model; running on the written files
# must give exactly the built-in model's results, and a second init must
# refuse to overwrite them.
# Usage: cmake -DNETSAVE=... -DSCRATCH=... -P init_roundtrip.cmake
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH})
execute_process(COMMAND ${NETSAVE} init ${SCRATCH}/model RESULT_VARIABLE rc
                OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "netsave init failed (${rc})")
endif()
file(GLOB inis ${SCRATCH}/model/*.ini)
list(LENGTH inis n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one INI file, found: ${inis}")
endif()
execute_process(COMMAND ${NETSAVE} run ${inis} --csv ${SCRATCH}/from_files
                RESULT_VARIABLE rc1 OUTPUT_QUIET)
execute_process(COMMAND ${NETSAVE} run --csv ${SCRATCH}/builtin
                RESULT_VARIABLE rc2 OUTPUT_QUIET)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "run failed: files ${rc1}, built-in ${rc2}")
endif()
file(GLOB csvs RELATIVE ${SCRATCH}/builtin ${SCRATCH}/builtin/*.csv)
list(LENGTH csvs n_csv)
if(n_csv LESS 4)
  message(FATAL_ERROR "expected the CSV outputs, found: ${csvs}")
endif()
foreach(f ${csvs})
  file(READ ${SCRATCH}/builtin/${f} a)
  file(READ ${SCRATCH}/from_files/${f} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${f} differs between the built-in model and init's files")
  endif()
endforeach()
execute_process(COMMAND ${NETSAVE} init ${SCRATCH}/model RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "exists; not overwriting")
  message(FATAL_ERROR "a second init must refuse (rc ${rc}): ${err}")
endif()
message(STATUS "init round trip: ${n_csv} CSV files identical")
