# netsave psa gives byte-identical files for -j 1 and -j 2.
# Usage: cmake -DNETSAVE=... -DSCRATCH=... -P psa_threads_identical.cmake
file(REMOVE_RECURSE ${SCRATCH})
foreach(j 1 2)
  execute_process(COMMAND ${NETSAVE} psa -n 400 --seed 1 -j ${j}
                          --csv ${SCRATCH}/j${j} --draws
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "netsave psa -j ${j} failed (${rc}): ${err}")
  endif()
endforeach()
foreach(f psa_summary.csv ceac.csv psa_draws.csv)
  file(READ ${SCRATCH}/j1/${f} a)
  file(READ ${SCRATCH}/j2/${f} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${f} differs between -j 1 and -j 2")
  endif()
  string(LENGTH "${a}" n)
  if(n LESS 200)
    message(FATAL_ERROR "${f} is suspiciously short: ${a}")
  endif()
endforeach()
message(STATUS "psa -j 1 and -j 2: identical files")
