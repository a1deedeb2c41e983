# netsave calibrate, run from the kept overlay, reproduces the shipped
# England defaults: each fitted value within 1% of the value in
# params/england.ini (the objective is flat near its minimum, so the
# simplex stops within about that of it).
# Usage: cmake -DNETSAVE=... -DSOURCE=... -DSCRATCH=... -P calibrate_reproduces.cmake
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH})
execute_process(
  COMMAND ${NETSAVE} calibrate ${SOURCE}/params/england.ini
          ${SOURCE}/params/england-calibration.ini -o ${SCRATCH}/fit.ini
          --starts 1
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "calibrate failed (${rc}): ${err}")
endif()
file(STRINGS ${SCRATCH}/fit.ini fitted REGEX "^[a-z_]+ = ")
file(READ ${SOURCE}/params/england.ini model)
list(LENGTH fitted n)
if(NOT n EQUAL 6)
  message(FATAL_ERROR "expected 6 fitted parameters, got: ${fitted}")
endif()
foreach(line ${fitted})
  string(REGEX MATCH "^([a-z_]+) = ([0-9.eE+-]+)" _ "${line}")
  set(name ${CMAKE_MATCH_1})
  set(value ${CMAKE_MATCH_2})
  string(REGEX MATCH "\n${name} = ([0-9.eE+-]+)" _ "${model}")
  set(shipped ${CMAKE_MATCH_1})
  if(shipped STREQUAL "")
    message(FATAL_ERROR "${name} is not in params/england.ini")
  endif()
  # CMake has no floating point: compare in millionths.
  foreach(which value shipped)
    set(x ${${which}})
    if(x MATCHES "^([0-9]+)\\.([0-9]+)$")
      set(int ${CMAKE_MATCH_1})
      string(SUBSTRING "${CMAKE_MATCH_2}000000" 0 6 frac)
    else()
      set(int ${x})
      set(frac 000000)
    endif()
    string(REGEX REPLACE "^0+([0-9])" "\\1" frac "${frac}")
    math(EXPR ${which}_u "${int} * 1000000 + ${frac}")
  endforeach()
  math(EXPR diff "${value_u} - ${shipped_u}")
  if(diff LESS 0)
    math(EXPR diff "-${diff}")
  endif()
  math(EXPR limit "${shipped_u} / 100")
  if(diff GREATER limit)
    message(FATAL_ERROR "${name}: fitted ${value}, shipped ${shipped}: more than 1% apart")
  endif()
  message(STATUS "${name}: fitted ${value}, shipped ${shipped}")
endforeach()
