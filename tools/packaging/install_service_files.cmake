# Runs at install time (install(CODE) in install.cmake): writes the systemd
# units for the prefix being installed to, and installs them, the example
# configs and the sysusers.d entry. Expects TWOPC_SOURCE_DIR, TWOPC_RENDER_DIR,
# TWOPC_BINDIR, TWOPC_DOCDIR and TWOPC_UNITDIR (the last three relative to the
# prefix, or absolute).

function(twopc_under_prefix dir out)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

twopc_under_prefix("${TWOPC_BINDIR}" TWOPC_BINDIR)
twopc_under_prefix("${TWOPC_DOCDIR}" TWOPC_DOCDIR)
twopc_under_prefix("${TWOPC_UNITDIR}" unit_dir)
twopc_under_prefix("lib/sysusers.d" sysusers_dir)
# As GNUInstallDirs does: the /usr prefix keeps its configuration in /etc.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(TWOPC_ETCDIR "/etc")
else()
  set(TWOPC_ETCDIR "${CMAKE_INSTALL_PREFIX}/etc")
endif()

# One render directory per destination, so parallel installs do not collide.
string(MD5 key "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(render "${TWOPC_RENDER_DIR}/${key}")
set(systemd "${TWOPC_SOURCE_DIR}/tools/systemd")
foreach(unit txcoord.service txpart@.service)
  configure_file("${systemd}/${unit}.in" "${render}/${unit}" @ONLY)
endforeach()
file(INSTALL "${render}/txcoord.service" "${render}/txpart@.service" DESTINATION "${unit_dir}")
file(INSTALL "${systemd}/twopc.sysusers" DESTINATION "${sysusers_dir}" RENAME twopc.conf)

# Config files are the operator's once installed: never overwritten.
foreach(config txcoord.conf txpart-p0.conf)
  if(EXISTS "$ENV{DESTDIR}${TWOPC_ETCDIR}/twopc/${config}")
    message(STATUS "Keeping: $ENV{DESTDIR}${TWOPC_ETCDIR}/twopc/${config}")
  else()
    file(INSTALL "${systemd}/${config}" DESTINATION "${TWOPC_ETCDIR}/twopc")
  endif()
endforeach()
