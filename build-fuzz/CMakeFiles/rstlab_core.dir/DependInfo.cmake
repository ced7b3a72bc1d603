
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/build-fuzz/generated/scenarios.cpp" "CMakeFiles/rstlab_core.dir/generated/scenarios.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/generated/scenarios.cpp.o.d"
  "/work/main/src/analyze/analyze_file.cpp" "CMakeFiles/rstlab_core.dir/src/analyze/analyze_file.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/analyze/analyze_file.cpp.o.d"
  "/work/main/src/analyze/analyzer.cpp" "CMakeFiles/rstlab_core.dir/src/analyze/analyzer.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/analyze/analyzer.cpp.o.d"
  "/work/main/src/annotate/annotator.cpp" "CMakeFiles/rstlab_core.dir/src/annotate/annotator.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/annotate/annotator.cpp.o.d"
  "/work/main/src/annotate/tcp_model.cpp" "CMakeFiles/rstlab_core.dir/src/annotate/tcp_model.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/annotate/tcp_model.cpp.o.d"
  "/work/main/src/capture/pcap_file.cpp" "CMakeFiles/rstlab_core.dir/src/capture/pcap_file.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/capture/pcap_file.cpp.o.d"
  "/work/main/src/capture/pcapng_file.cpp" "CMakeFiles/rstlab_core.dir/src/capture/pcapng_file.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/capture/pcapng_file.cpp.o.d"
  "/work/main/src/render/diagram_common.cpp" "CMakeFiles/rstlab_core.dir/src/render/diagram_common.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/render/diagram_common.cpp.o.d"
  "/work/main/src/render/html.cpp" "CMakeFiles/rstlab_core.dir/src/render/html.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/render/html.cpp.o.d"
  "/work/main/src/render/sequence_text.cpp" "CMakeFiles/rstlab_core.dir/src/render/sequence_text.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/render/sequence_text.cpp.o.d"
  "/work/main/src/render/svg.cpp" "CMakeFiles/rstlab_core.dir/src/render/svg.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/render/svg.cpp.o.d"
  "/work/main/src/render/text.cpp" "CMakeFiles/rstlab_core.dir/src/render/text.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/render/text.cpp.o.d"
  "/work/main/src/runner/packet_events.cpp" "CMakeFiles/rstlab_core.dir/src/runner/packet_events.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/runner/packet_events.cpp.o.d"
  "/work/main/src/scenario/catalogue.cpp" "CMakeFiles/rstlab_core.dir/src/scenario/catalogue.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/scenario/catalogue.cpp.o.d"
  "/work/main/src/scenario/parser.cpp" "CMakeFiles/rstlab_core.dir/src/scenario/parser.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/scenario/parser.cpp.o.d"
  "/work/main/src/trace/trace.cpp" "CMakeFiles/rstlab_core.dir/src/trace/trace.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/trace/trace.cpp.o.d"
  "/work/main/src/trace/trace_json.cpp" "CMakeFiles/rstlab_core.dir/src/trace/trace_json.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/trace/trace_json.cpp.o.d"
  "/work/main/src/util/error.cpp" "CMakeFiles/rstlab_core.dir/src/util/error.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/util/error.cpp.o.d"
  "/work/main/src/util/files.cpp" "CMakeFiles/rstlab_core.dir/src/util/files.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/util/files.cpp.o.d"
  "/work/main/src/wire/address.cpp" "CMakeFiles/rstlab_core.dir/src/wire/address.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/wire/address.cpp.o.d"
  "/work/main/src/wire/decode.cpp" "CMakeFiles/rstlab_core.dir/src/wire/decode.cpp.o" "gcc" "CMakeFiles/rstlab_core.dir/src/wire/decode.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
