# Install rules for the data files and the CPack configuration of the Debian package.
# Included at the end of the top-level CMakeLists.txt, after every install() rule of the
# executables (app/CMakeLists.txt). Build the package with `cmake --build <dir> --target package`
# or `cd <dir> && cpack -G DEB`.

set(_kvr_pkg_dir ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(_kvr_src_dir ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)

# Sample prompt sets: used by the GUI and by kvrecycle-cli alike.
file(GLOB _kvr_samples CONFIGURE_DEPENDS ${_kvr_src_dir}/resources/samples/*.csv)
install(FILES ${_kvr_samples} DESTINATION ${CMAKE_INSTALL_DATADIR}/kvrecycle/samples)
# Example sweep specs; their relative paths reach the samples (../samples).
file(GLOB _kvr_sweeps CONFIGURE_DEPENDS ${_kvr_src_dir}/resources/sweeps/*.json)
install(FILES ${_kvr_sweeps} DESTINATION ${CMAKE_INSTALL_DATADIR}/kvrecycle/sweeps)

if(KVR_BUILD_GUI)
  # The desktop file id, the AppStream component id and the metainfo file name must agree.
  install(FILES ${_kvr_pkg_dir}/kvrecycle.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications
          RENAME io.github.kvrecycle.desktop)
  install(FILES ${_kvr_pkg_dir}/io.github.kvrecycle.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${_kvr_src_dir}/resources/icons/kvrecycle.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kvrecycle)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "kvrecycle developers")
set(CPACK_PACKAGE_CONTACT "kvrecycle developers <kvrecycle@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "workbench for KV-cache recycling experiments on GPT-2 models")
set(CPACK_PACKAGE_DESCRIPTION
    "kvrecycle measures how much faster GPT-2-family language models (GPT-2, DialoGPT or
synthetic ones) generate text when the key/value cache of an earlier prompt is reused, what
that costs in storage, and whether the output stays exactly the same. It runs baseline and
recycled generation on prompt sets from CSV files, checks exactness, keeps a run history and
exports results. kvrecycle is the Qt desktop workbench (live charts, run comparison);
kvrecycle-cli drives the same engine headless.
The GPT-2 tokenizer files (vocab.json, merges.txt) are not in this package: fetch them once
with packaging/setup.sh from the kvrecycle source tree.")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)           # kvrecycle_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
find_program(KVR_DPKG dpkg)
if(KVR_DPKG)
  execute_process(COMMAND ${KVR_DPKG} --print-architecture
                  OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

# Runtime dependencies. dpkg-shlibdeps finds the shared libraries the binaries link (libtorch,
# SQLite, xxHash, libgomp, BLAS/LAPACK, Qt, QCustomPlot, ...); listed by hand is only what it
# cannot see: the BLAS/LAPACK provider we test with (libblas.so.3 is an alternative) and the
# Qt plugins the GUI loads at run time (SVG icons, the platform plugins).
set(_kvr_depends libopenblas0-pthread)
if(KVR_BUILD_GUI)
  list(APPEND _kvr_depends libqt6svg6 qt6-qpa-plugins)
endif()
find_program(KVR_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(KVR_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  # No dpkg-shlibdeps (not a Debian host): name the Debian 12 runtime libraries explicitly.
  list(APPEND _kvr_depends libtorch1.13 libsqlite3-0 libxxhash0 libgomp1)
  if(KVR_BUILD_GUI)
    list(APPEND _kvr_depends libqt6core6 libqt6gui6 libqt6widgets6 libqt6printsupport6
                             libqcustomplot2.1-qt6)
  endif()
endif()
list(JOIN _kvr_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)

include(CPack)
