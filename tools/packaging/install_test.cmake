# CTest: `cmake --install` into a temporary prefix puts the programs, units,
# configs and docs where GNUInstallDirs says, with units naming that prefix,
# and a second install keeps a config the operator changed.
# Usage: cmake -DBUILD_DIR=... -DWORK_DIR=... -P install_test.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(install_into_prefix)
  execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

function(expect_contains file text)
  file(READ "${file}" content)
  string(FIND "${content}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${file} does not contain '${text}':\n${content}")
  endif()
endfunction()

install_into_prefix()
foreach(path bin/txcoord bin/txpart bin/txctl bin/txrecover bin/txbench
             lib/systemd/system/txcoord.service lib/systemd/system/txpart@.service
             lib/sysusers.d/twopc.conf etc/twopc/txcoord.conf etc/twopc/txpart-p0.conf
             share/doc/twopc/README.md)
  if(NOT EXISTS "${prefix}/${path}")
    message(FATAL_ERROR "not installed: ${prefix}/${path}")
  endif()
endforeach()
expect_contains("${prefix}/lib/systemd/system/txcoord.service"
                "ExecStart=${prefix}/bin/txcoord --config ${prefix}/etc/twopc/txcoord.conf\n")
expect_contains("${prefix}/lib/systemd/system/txpart@.service"
                "ExecStart=${prefix}/bin/txpart --config ${prefix}/etc/twopc/txpart-%i.conf\n")

execute_process(COMMAND "${prefix}/bin/txpart" --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Examples:")
  message(FATAL_ERROR "installed txpart --help: exit ${rc}\n${out}")
endif()

file(APPEND "${prefix}/etc/twopc/txcoord.conf" "--participant=p9=10.9.9.9:7701\n")
install_into_prefix()
expect_contains("${prefix}/etc/twopc/txcoord.conf" "p9=10.9.9.9:7701")
file(REMOVE_RECURSE "${WORK_DIR}")
