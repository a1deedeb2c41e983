# Runs one golden CLI case:  cmake -DNETSAVE=... -DCASE_DIR=... [...] -P run_case.cmake
#
#   NETSAVE              path to the netsave binary
#   CASE_DIR             the case folder; its files are copied into a fresh
#                        scratch folder, which is the working directory, so
#                        the paths in messages are the relative ones typed
#   SCRATCH_DIR          the scratch folder (emptied first)
#   ARGS                 the arguments, a ;-list
#   EXPECT_RC            the exit status, compared exactly
#   EXPECT_STDERR        optional: a file holding stderr, compared exactly
#   EXPECT_STDOUT_REGEX  optional: a file of regular expressions, one a line
#                        (blank lines and lines starting with '#' skipped;
#                        \n stands for a newline; ^ and $ anchor at the
#                        start and end of the whole output), each of which
#                        must match stdout
#   EXPECT_FILES         optional: a ;-list of paths (relative to the
#                        scratch folder) that must exist after the run
#
# When EXPECT_RC is not 0, the scratch folder must be exactly as it was
# before the run, every file byte for byte: a failure creates and changes
# nothing. For `run`, "-o out.xlsx --csv outdir" is first inserted right
# after the command, so there is something it could have written.
cmake_minimum_required(VERSION 3.25)

foreach(var NETSAVE CASE_DIR SCRATCH_DIR EXPECT_RC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_case.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${SCRATCH_DIR}")
file(MAKE_DIRECTORY "${SCRATCH_DIR}")
file(COPY "${CASE_DIR}/" DESTINATION "${SCRATCH_DIR}")

set(args ${ARGS})
set(check_no_output FALSE)
list(LENGTH args n_args)
if(NOT EXPECT_RC STREQUAL "0" AND n_args GREATER 0)
  list(GET args 0 command)
  if(command STREQUAL "run")
    list(INSERT args 1 -o out.xlsx --csv outdir)
  endif()
  set(check_no_output TRUE)
endif()

# What the folder holds, with a hash of every file, so that a failing case
# can be shown to have created and changed nothing.
function(snapshot out_var)
  file(GLOB_RECURSE paths LIST_DIRECTORIES TRUE RELATIVE "${SCRATCH_DIR}"
       "${SCRATCH_DIR}/*")
  list(SORT paths)
  set(result "")
  foreach(p IN LISTS paths)
    if(IS_DIRECTORY "${SCRATCH_DIR}/${p}")
      list(APPEND result "${p}/")
    else()
      file(SHA256 "${SCRATCH_DIR}/${p}" h)
      list(APPEND result "${p}=${h}")
    endif()
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()
snapshot(before)

# Under valgrind (NS_VALGRIND), any memory error or leak fails the case
# with exit status 97 and the report in the scratch folder's parent.
# The cases run interpreted (below); should one compile all the same,
# libgccjit's own errors and leaks are suppressed:
# tests/valgrind-libgccjit.supp.
set(launcher "")
if(VALGRIND)
  set(vg_log "${SCRATCH_DIR}.valgrind.log")
  # The interpreter only: valgrind cannot run AVX-512 code, and would run
  # GCC itself, for minutes, to compile a model (the sanitizer build and
  # tests/test_jit.c check the compiled path).
  set(ENV{NS_JIT} 0)
  set(launcher "${VALGRIND}" --quiet --error-exitcode=97 --leak-check=full
      --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
      "--suppressions=${CMAKE_CURRENT_LIST_DIR}/../valgrind-libgccjit.supp"
      "--log-file=${vg_log}")
endif()
execute_process(
  COMMAND ${launcher} "${NETSAVE}" ${args}
  WORKING_DIRECTORY "${SCRATCH_DIR}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(VALGRIND AND rc STREQUAL "97")
  file(READ "${vg_log}" vg_report)
  message(FATAL_ERROR "valgrind found memory errors or leaks:\n${vg_report}")
endif()

set(failures "")
string(REPLACE ";" " " shown_args "${args}")

if(NOT rc STREQUAL EXPECT_RC)
  string(APPEND failures "exit status: expected ${EXPECT_RC}, got ${rc}\n")
endif()

if(DEFINED EXPECT_STDERR AND NOT EXPECT_STDERR STREQUAL "")
  file(READ "${EXPECT_STDERR}" expected_err)
  if(NOT err STREQUAL expected_err)
    string(APPEND failures
           "stderr differs from ${EXPECT_STDERR}\n"
           "--- expected stderr ---\n${expected_err}"
           "--- actual stderr ---\n${err}"
           "--- end ---\n")
  endif()
endif()

if(DEFINED EXPECT_STDOUT_REGEX AND NOT EXPECT_STDOUT_REGEX STREQUAL "")
  file(STRINGS "${EXPECT_STDOUT_REGEX}" regexes)
  foreach(re IN LISTS regexes)
    if(re STREQUAL "" OR re MATCHES "^#")
      continue()
    endif()
    # CMake's regular expressions have no escape for a newline; allow \n.
    string(REPLACE "\\n" "\n" re "${re}")
    if(NOT out MATCHES "${re}")
      string(APPEND failures "stdout does not match: ${re}\n")
    endif()
  endforeach()
endif()

foreach(path IN LISTS EXPECT_FILES)
  if(NOT EXISTS "${SCRATCH_DIR}/${path}")
    string(APPEND failures "expected file not created: ${path}\n")
  endif()
endforeach()

if(check_no_output)
  foreach(path out.xlsx outdir)
    if(EXISTS "${SCRATCH_DIR}/${path}")
      string(APPEND failures "a failing run created ${path}\n")
    endif()
  endforeach()
  snapshot(after)
  if(NOT before STREQUAL after)
    set(added ${after})
    if(before)
      list(REMOVE_ITEM added ${before})
    endif()
    string(APPEND failures
           "a failing run created or changed files; new or changed: ${added}\n")
  endif()
endif()

if(NOT failures STREQUAL "")
  # message() without a mode prints the text as it is (FATAL_ERROR would
  # rewrap it and collapse blanks, which hides what differs).
  message("case ${CASE_DIR}\n"
          "command (in ${SCRATCH_DIR}): netsave ${shown_args}\n"
          "${failures}"
          "--- stdout ---\n${out}--- end ---")
  message(FATAL_ERROR "CLI case failed")
endif()
