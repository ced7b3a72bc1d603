file(REMOVE_RECURSE
  "CMakeFiles/decode_fuzz.dir/fuzz/decode_fuzz.cpp.o"
  "CMakeFiles/decode_fuzz.dir/fuzz/decode_fuzz.cpp.o.d"
  "decode_fuzz"
  "decode_fuzz.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/decode_fuzz.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
