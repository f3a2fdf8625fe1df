# Fails when a module's file includes a ksearch header of a module it may not depend on.
# Run by the build (CMakeLists.txt, ksearch_module) before the module compiles:
#   cmake -DMODULE=report -DALLOWED="common;store;..." -DFILES="a.cc;b.h" -DSTAMP=out.stamp -P check_module_includes.cmake
# The allowed modules are the module's dependencies in CMakeLists.txt, followed transitively: the
# same table README.md's architecture section shows.
cmake_minimum_required(VERSION 3.25)
set(problems "")
foreach(file IN LISTS FILES)
  file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"ksearch/[a-z_]+/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"ksearch/([a-z_]+)/.*$" "\\1" used "${line}")
    if(NOT used STREQUAL MODULE AND NOT used IN_LIST ALLOWED)
      string(STRIP "${line}" line)
      string(APPEND problems "  ${file}: ${line}\n")
    endif()
  endforeach()
endforeach()
if(problems)
  string(REPLACE ";" ", " allowed_text "${ALLOWED}")
  message(FATAL_ERROR "module '${MODULE}' may include only its own headers and those of: ${allowed_text}\n"
                      "(its dependencies in CMakeLists.txt; README.md, Architecture). These includes break that:\n"
                      "${problems}")
endif()
file(WRITE "${STAMP}" "")
