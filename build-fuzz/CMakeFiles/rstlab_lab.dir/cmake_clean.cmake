file(REMOVE_RECURSE
  "CMakeFiles/rstlab_lab.dir/src/app/actor_child.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/app/actor_child.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/app/kernel_actor.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/app/kernel_actor.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/capture/recorder.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/capture/recorder.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/lab/lab.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/lab/lab.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/lab/netdev.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/lab/netdev.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/link/tun_link.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/link/tun_link.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/link/veth_link.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/link/veth_link.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/peer/peer.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/peer/peer.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/peer/segment.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/peer/segment.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/render/outputs.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/render/outputs.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/runner/calls.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/runner/calls.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/runner/lab_cache.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/runner/lab_cache.cpp.o.d"
  "CMakeFiles/rstlab_lab.dir/src/runner/runner.cpp.o"
  "CMakeFiles/rstlab_lab.dir/src/runner/runner.cpp.o.d"
  "librstlab_lab.a"
  "librstlab_lab.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/rstlab_lab.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
