# CTest: `cpack -G DEB` packages the built programs; the .deb's control fields
# and contents are checked with dpkg-deb, and it is unpacked into a temporary
# root (dpkg-deb -x: no system-wide dpkg -i on a developer's machine) where the
# installed txcoord --help and --version must run.
# Usage: cmake -DBUILD_DIR=... -DWORK_DIR=... -DVERSION=... -P deb_test.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

function(expect_match what text regex)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what} does not match '${regex}':\n${text}")
  endif()
endfunction()

run(cpack -G DEB -B "${WORK_DIR}" --config "${BUILD_DIR}/CPackConfig.cmake")
file(GLOB debs "${WORK_DIR}/*.deb")
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one .deb in ${WORK_DIR}, found: ${debs}")
endif()
set(deb "${debs}")

run(dpkg-deb --field "${deb}" Package Version Depends)
set(fields "${out}")
expect_match("control" "${fields}" "Package: twopc\n")
expect_match("control" "${fields}" "Version: ${VERSION}\n")
foreach(dependency adduser libc6 libstdc\\+\\+6 libthrift-0.17.0 libsqlite3-0 libgoogle-glog0v6
                   libgflags2.2)
  expect_match("Depends" "${fields}" "Depends:.*${dependency}")
endforeach()

run(dpkg-deb --contents "${deb}")
foreach(path usr/bin/txcoord usr/bin/txpart usr/bin/txctl usr/bin/txrecover usr/bin/txbench
             usr/lib/systemd/system/txcoord.service usr/lib/systemd/system/txpart@.service
             usr/lib/sysusers.d/twopc.conf etc/twopc/txcoord.conf etc/twopc/txpart-p0.conf
             usr/share/doc/twopc/README.md)
  expect_match("contents" "${out}" " \\./${path}\n")
endforeach()

set(control "${WORK_DIR}/control")
run(dpkg-deb --control "${deb}" "${control}")
file(READ "${control}/conffiles" conffiles)
expect_match("conffiles" "${conffiles}" "^/etc/twopc/txcoord.conf\n/etc/twopc/txpart-p0.conf\n$")
if(NOT EXISTS "${control}/postinst")
  message(FATAL_ERROR "no postinst in the .deb")
endif()

set(root "${WORK_DIR}/root")
run(dpkg-deb --extract "${deb}" "${root}")
file(READ "${root}/usr/lib/systemd/system/txcoord.service" unit)
expect_match("txcoord.service" "${unit}"
             "ExecStart=/usr/bin/txcoord --config /etc/twopc/txcoord.conf\n")
file(READ "${root}/usr/lib/systemd/system/txpart@.service" unit)
expect_match("txpart@.service" "${unit}"
             "ExecStart=/usr/bin/txpart --config /etc/twopc/txpart-%i.conf\n")
# systemd's own check of the units (when systemd is installed), with
# ExecStart pointing into the unpacked root: any warning fails.
find_program(SYSTEMD_ANALYZE systemd-analyze)
if(SYSTEMD_ANALYZE)
  set(units "${WORK_DIR}/units")
  foreach(unit txcoord.service txpart@.service)
    file(READ "${root}/usr/lib/systemd/system/${unit}" text)
    string(REPLACE "ExecStart=/usr/bin/" "ExecStart=${root}/usr/bin/" text "${text}")
    string(REPLACE "txpart@.service" "txpart@p0.service" unit "${unit}")
    file(WRITE "${units}/${unit}" "${text}")
  endforeach()
  execute_process(COMMAND ${SYSTEMD_ANALYZE} verify "${units}/txcoord.service"
                          "${units}/txpart@p0.service"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
    message(FATAL_ERROR "systemd-analyze verify: exit ${rc}\n${out}${err}")
  endif()
else()
  message(STATUS "no systemd-analyze here: units not verified by systemd")
endif()

run("${root}/usr/bin/txcoord" --help)
expect_match("installed txcoord --help" "${out}" "Examples:\n  txcoord ")
run("${root}/usr/bin/txcoord" --version)
expect_match("installed txcoord --version" "${out}" "^txcoord \\(twopc\\) ${VERSION}\n$")
# The example configs parse: with a required flag emptied after them, the
# programs get as far as checking it (a bad line would be reported first).
foreach(check "txpart;txpart-p0.conf;--name=;--name is required"
              "txcoord;txcoord.conf;--wal_dir=;--wal-dir is required")
  list(GET check 0 program)
  list(GET check 1 config)
  list(GET check 2 override)
  list(GET check 3 expected)
  execute_process(COMMAND "${root}/usr/bin/${program}" --config "${root}/etc/twopc/${config}"
                          ${override} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 2 OR NOT err STREQUAL "${program}: ${expected}\n")
    message(FATAL_ERROR "${program} --config ${config}: exit ${rc}: ${err}")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
