
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/app/actor_child.cpp" "CMakeFiles/rstlab_lab.dir/src/app/actor_child.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/app/actor_child.cpp.o.d"
  "/work/main/src/app/kernel_actor.cpp" "CMakeFiles/rstlab_lab.dir/src/app/kernel_actor.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/app/kernel_actor.cpp.o.d"
  "/work/main/src/capture/recorder.cpp" "CMakeFiles/rstlab_lab.dir/src/capture/recorder.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/capture/recorder.cpp.o.d"
  "/work/main/src/lab/lab.cpp" "CMakeFiles/rstlab_lab.dir/src/lab/lab.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/lab/lab.cpp.o.d"
  "/work/main/src/lab/netdev.cpp" "CMakeFiles/rstlab_lab.dir/src/lab/netdev.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/lab/netdev.cpp.o.d"
  "/work/main/src/link/tun_link.cpp" "CMakeFiles/rstlab_lab.dir/src/link/tun_link.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/link/tun_link.cpp.o.d"
  "/work/main/src/link/veth_link.cpp" "CMakeFiles/rstlab_lab.dir/src/link/veth_link.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/link/veth_link.cpp.o.d"
  "/work/main/src/peer/peer.cpp" "CMakeFiles/rstlab_lab.dir/src/peer/peer.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/peer/peer.cpp.o.d"
  "/work/main/src/peer/segment.cpp" "CMakeFiles/rstlab_lab.dir/src/peer/segment.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/peer/segment.cpp.o.d"
  "/work/main/src/render/outputs.cpp" "CMakeFiles/rstlab_lab.dir/src/render/outputs.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/render/outputs.cpp.o.d"
  "/work/main/src/runner/calls.cpp" "CMakeFiles/rstlab_lab.dir/src/runner/calls.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/runner/calls.cpp.o.d"
  "/work/main/src/runner/lab_cache.cpp" "CMakeFiles/rstlab_lab.dir/src/runner/lab_cache.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/runner/lab_cache.cpp.o.d"
  "/work/main/src/runner/runner.cpp" "CMakeFiles/rstlab_lab.dir/src/runner/runner.cpp.o" "gcc" "CMakeFiles/rstlab_lab.dir/src/runner/runner.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build-fuzz/CMakeFiles/rstlab_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
