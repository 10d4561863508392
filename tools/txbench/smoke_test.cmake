# Runs a short local txbench and checks its JSON line: exit 0, invariant_ok
# true, committed > 0, every probe measured.
# Usage: cmake -DTXBENCH=path/to/txbench -P smoke_test.cmake
execute_process(
  COMMAND ${TXBENCH} --local --seconds 2 --clients 4 --accounts 100 --json-only
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
message(STATUS "txbench stdout: ${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "txbench exited with ${rc}\n${err}")
endif()
if(NOT out MATCHES "\"invariant_ok\":true")
  message(FATAL_ERROR "invariant_ok is not true\n${err}")
endif()
if(NOT out MATCHES "\"committed\":([0-9]+)" OR CMAKE_MATCH_1 EQUAL 0)
  message(FATAL_ERROR "nothing committed\n${err}")
endif()
# The probes ran: a failed one reports -1.
foreach(probe fdatasync_us wal_fdatasync_us commit_floor_us)
  if(NOT out MATCHES "\"${probe}\":[1-9]")
    message(FATAL_ERROR "${probe} was not measured\n${err}")
  endif()
endforeach()
