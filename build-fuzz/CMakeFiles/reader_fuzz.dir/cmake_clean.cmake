file(REMOVE_RECURSE
  "CMakeFiles/reader_fuzz.dir/fuzz/reader_fuzz.cpp.o"
  "CMakeFiles/reader_fuzz.dir/fuzz/reader_fuzz.cpp.o.d"
  "reader_fuzz"
  "reader_fuzz.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/reader_fuzz.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
