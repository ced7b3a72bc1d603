file(REMOVE_RECURSE
  "CMakeFiles/rstlab.dir/src/cli/analyze_command.cpp.o"
  "CMakeFiles/rstlab.dir/src/cli/analyze_command.cpp.o.d"
  "CMakeFiles/rstlab.dir/src/cli/main.cpp.o"
  "CMakeFiles/rstlab.dir/src/cli/main.cpp.o.d"
  "rstlab"
  "rstlab.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/rstlab.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
