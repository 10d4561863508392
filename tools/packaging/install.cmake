# `cmake --install` and `cpack -G DEB` for the programs, the systemd units,
# the example configs and the docs. Included by the root CMakeLists. Install
# components: programs, service, docs. (The client library's install rules
# live elsewhere.)
include(GNUInstallDirs)

install(TARGETS txcoord txpart txctl txrecover txbench
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT programs)

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT docs)

# The units name the programs and the config files by absolute path, so they
# are written at install time from the prefix actually installed to
# (`cmake --install --prefix`, or /usr inside the .deb).
set(TWOPC_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "where the systemd units are installed, relative to the prefix")
install(CODE "
  set(TWOPC_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")
  set(TWOPC_RENDER_DIR \"${CMAKE_BINARY_DIR}/packaging/rendered\")
  set(TWOPC_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(TWOPC_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  set(TWOPC_UNITDIR \"${TWOPC_SYSTEMD_UNIT_DIR}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/install_service_files.cmake\")"
  COMPONENT service)

# --- the .deb -------------------------------------------------------------
# Built from the installed tree with CMAKE_INSTALL_PREFIX=/usr (whatever this
# build tree was configured with), so configs land in /etc/twopc (conffiles)
# and units in /usr/lib/systemd/system.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME twopc)
set(CPACK_PACKAGE_VENDOR twopc)
set(CPACK_PACKAGE_CONTACT "twopc maintainers <twopc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "two-phase-commit coordinator and participant agents for SQLite databases")
set(CPACK_PACKAGE_DESCRIPTION
    "txcoord coordinates atomic transactions across SQLite databases on several hosts;\
 txpart serves one database beside it; txctl, txrecover and txbench are the\
 client, the recovery tool and the benchmark. systemd units: txcoord.service,\
 txpart@.service.")
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL programs service docs)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev), so they
# match what the binaries link; adduser is for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS systemd)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/conffiles.in
               ${CMAKE_BINARY_DIR}/packaging/debian/conffiles @ONLY)
file(COPY ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/postrm
     DESTINATION ${CMAKE_BINARY_DIR}/packaging/debian
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                      WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_BINARY_DIR}/packaging/debian/conffiles ${CMAKE_BINARY_DIR}/packaging/debian/postinst
    ${CMAKE_BINARY_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)

# Tests: `cmake --install` into a temporary prefix, and the .deb (see the scripts).
# Not in sanitizer builds: nobody ships those binaries, and CI tests the
# packaging in its normal build.
if(TWOPC_BUILD_TESTS AND NOT TWOPC_SANITIZE AND NOT TWOPC_FUZZ)
  add_test(NAME install_tree
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
                   -DWORK_DIR=${CMAKE_BINARY_DIR}/packaging/install_test
                   -P ${CMAKE_CURRENT_LIST_DIR}/install_test.cmake)
  add_test(NAME deb_package
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
                   -DWORK_DIR=${CMAKE_BINARY_DIR}/packaging/deb_test -DVERSION=${PROJECT_VERSION}
                   -P ${CMAKE_CURRENT_LIST_DIR}/deb_test.cmake)
  set_tests_properties(install_tree deb_package PROPERTIES LABELS integration TIMEOUT 300)
endif()
