# SPDX-License-Identifier: MIT
# Install rules and the Debian package (cpack -G DEB, or tools/package). Nothing installed
# here is read at run time except by people: the catalogue is compiled into the binary.
include(GNUInstallDirs)

install(TARGETS rstlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages and shell completion are written in man/ and completion/; each is installed
# only when it exists at configure time, so a tree without them still installs.
# Man pages are installed gzipped (gzip -n: no name or time stamp, so the package is
# reproducible), as Debian policy asks; man reads them either way.
set(rstlab_man_gz "")
foreach(page rstlab.1 rstlab-scenario.5)
  if(EXISTS ${CMAKE_SOURCE_DIR}/man/${page})
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
    add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND gzip -9 -n -c ${CMAKE_SOURCE_DIR}/man/${page} > ${CMAKE_BINARY_DIR}/man/${page}.gz
      DEPENDS ${CMAKE_SOURCE_DIR}/man/${page})
    list(APPEND rstlab_man_gz ${CMAKE_BINARY_DIR}/man/${page}.gz)
    install(FILES ${CMAKE_BINARY_DIR}/man/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endif()
endforeach()
if(rstlab_man_gz)
  add_custom_target(rstlab_man_pages ALL DEPENDS ${rstlab_man_gz})
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/completion/rstlab.bash)
  install(FILES ${CMAKE_SOURCE_DIR}/completion/rstlab.bash
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME rstlab)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/completion/_rstlab)
  install(FILES ${CMAKE_SOURCE_DIR}/completion/_rstlab DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
endif()

# The documentation keeps the clone's layout (README.md beside docs/) so its links still work.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB rstlab_doc_pages ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${rstlab_doc_pages} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/gallery DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# The Debian package. CPack rather than a debian/ folder: the install rules above are the
# single list of what ships, and cpack needs no debhelper; dpkg-shlibdeps (dpkg-dev)
# computes Depends from the libraries the binary really links.
set(RSTLAB_PACKAGE_MAINTAINER "rstlab maintainers <rstlab@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rstlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${RSTLAB_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "reproduce and explain TCP resets on real Linux sockets")
set(CPACK_PACKAGE_DESCRIPTION
    "rstlab replays the moments behind 'broken pipe' and 'connection reset by peer' on\n\
real Linux kernel sockets inside private network namespaces: a libtins peer or a\n\
second kernel socket sends exact FINs and RSTs while a libpcap recorder keeps every\n\
segment. Each run yields an annotated timeline of packets and system calls, a pcap,\n\
diagrams and a report. It also analyzes pcap captures: who reset whom, and why.\n\
Runs need root; nothing touches the host's own network.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # rstlab_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# tshark reads the captures and their packet comments, strace shows the calls of a run as the
# kernel saw them, chromium opens the HTML reports; a run needs none of them.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "tshark, strace, chromium")
include(CPack)
